#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Rebuild the kernel objects of our own files with W=1 and sparse (C=2:
# check even if up to date) in the ours build tree; TAP, one line an
# object.  An object passes when the compiler and sparse say nothing
# about any file the series adds.  kernel-doc must not warn about our
# functions.  Then drivers/xen is built for an x86_64 PV dom0, where the
# allocator's p2m paths are compiled.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
OBJS=(drivers/xen/extended-regions.o drivers/xen/unpopulated-alloc.o arch/arm64/xen/../../arm/xen/extended-regions.o)
ours=$(cat "$REPO"/patches/[0-9]*/files | grep -E '^(arch|drivers|include|mm|kernel)/' |
	xargs -n1 basename | sort -u | paste -sd'|')

n=0
failed=0
for o in "${OBJS[@]}"; do
	n=$((n + 1))
	rm -f "$OUT/obj-ours/$o"
	log=$(make -C "$OUT/linux-ours" O="$OUT/obj-ours" ARCH=arm64 \
		CROSS_COMPILE=aarch64-linux-gnu-  CC="ccache aarch64-linux-gnu-gcc" \
		W=1 C=2 "$o" 2>&1)
	rc=$?
	warn=$(echo "$log" | grep -E "($ours)" | grep -Ei "warning|error")
	if [ $rc -eq 0 ] && [ -z "$warn" ]; then
		echo "ok $n - W=1 and sparse clean: $o"
	else
		failed=$((failed + 1))
		echo "not ok $n - W=1 and sparse clean: $o (rc=$rc)"
		(echo "$warn"; echo "$log" | tail -n 5) | sed 's/^/#   /'
	fi
done
# kernel-doc: no warning in our files, nor about the functions the series
# changes in upstream files.
n=$((n + 1))
kdoc=$(cd "$OUT/linux-ours" &&
	perl scripts/kernel-doc -none drivers/xen/extended-regions.c \
		drivers/xen/unpopulated-alloc.c arch/arm/xen/extended-regions.c \
		include/xen/extended-regions.h 2>&1;
	perl scripts/kernel-doc -none drivers/xen/grant-table.c 2>&1 |
		grep "gnttab_dma_")
if [ -z "$kdoc" ]; then
	echo "ok $n - kernel-doc: no warnings on our functions"
else
	failed=$((failed + 1))
	echo "not ok $n - kernel-doc: no warnings on our functions"
	echo "$kdoc" | sed 's/^/#   /'
fi

# x86_64 with Xen PV: drivers/xen must still build, ours without a word.
x86=$OUT/obj-x86
mkdir -p "$x86"
X86=(make -s -C "$OUT/linux-ours" O="$x86" ARCH=x86_64 CC="ccache gcc" -j"$(($(nproc) + 1))")
n=$((n + 1))
if [ ! -f "$x86/.config" ] || [ "$HERE/x86-dom0.config" -nt "$x86/.config" ]; then
	"${X86[@]}" allnoconfig >/dev/null &&
	for pass in 1 2; do
		"$OUT/linux-ours/scripts/kconfig/merge_config.sh" -m -O "$x86" \
			"$x86/.config" "$HERE/x86-dom0.config" >/dev/null &&
		"${X86[@]}" olddefconfig >/dev/null
	done
fi
missing=$(grep '^CONFIG_.*=y$' "$HERE/x86-dom0.config" | while read -r want; do
	grep -qx "$want" "$x86/.config" || echo "$want"; done)
log=$("${X86[@]}" W=1 drivers/xen/ 2>&1)
rc=$?
warn=$(echo "$log" | grep -E "($ours)" | grep -Ei "warning|error")
if [ $rc -eq 0 ] && [ -z "$warn" ] && [ -z "$missing" ]; then
	echo "ok $n - x86_64 PV dom0: drivers/xen builds, W=1 clean for our files"
else
	failed=$((failed + 1))
	echo "not ok $n - x86_64 PV dom0: drivers/xen builds (rc=$rc)"
	(echo "$missing"; echo "$warn"; echo "$log" | grep -E "error" | head -10) | sed 's/^/#   /'
fi

echo "1..$n"
echo "# kernel-checks: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
