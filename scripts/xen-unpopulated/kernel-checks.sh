#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Rebuild the kernel objects of our own files with W=1 and sparse (C=2:
# check even if up to date) in the ours build tree; TAP, one line an
# object.  An object passes when the compiler and sparse say nothing
# about any file the series adds.

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
echo "1..$n"
echo "# kernel-checks: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
