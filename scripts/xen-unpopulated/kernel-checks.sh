#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Rebuild the kernel objects of our own files with W=1 and sparse (C=2:
# check even if up to date) in the ours build tree; TAP, one line an
# object.  An object passes when the compiler and sparse say nothing
# about any file the series adds.  kernel-doc must not warn about our
# functions.  Then the same for the x86_64 PV dom0 (where the allocator's
# p2m paths are compiled) and for 32-bit arm with and without LPAE.
#
#   kernel-checks.sh [CONF...]
#
# CONF: arm64 (the objects above and kernel-doc), x86_64, arm, arm-lpae;
# all four by default.  The test command checks arm64 (on 6.1 and, with
# BASELINE=7.3, mainline), make test-configs the others.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
. "$HERE/objdir.sh"
OBJS=(drivers/xen/extended-regions.o drivers/xen/unpopulated-alloc.o arch/arm64/xen/../../arm/xen/extended-regions.o)
ours=$(cat "$REPO"/patches/[0-9]*/files | grep -E '^(arch|drivers|include|mm|kernel)/' |
	xargs -n1 basename | sort -u | paste -sd'|')

CONFS=("$@")
[ ${#CONFS[@]} -gt 0 ] || CONFS=(arm64 x86_64 arm arm-lpae)
others=()
check_arm64=
for conf in "${CONFS[@]}"; do
	case $conf in
	arm64)	check_arm64=1 ;;
	x86_64|arm|arm-lpae)	others+=("$conf") ;;
	*)	echo "kernel-checks: unknown configuration '$conf'" >&2; exit 2 ;;
	esac
done

n=0
failed=0
[ -n "$check_arm64" ] || OBJS=()
for o in "${OBJS[@]}"; do
	n=$((n + 1))
	log=$(w1_make arm64 "$o")
	rc=$?
	warn=$(echo "$log" | grep -E "($ours)" | grep -Ei "warning|error")
	# A tree newer than Debian's sparse (0.6.4 in Debian 12 and 13;
	# 7.3's checker-valid.sh wants __typeof_unqual__) builds without it
	# and says so: W=1 only, and the line says that too.
	if [ $rc -eq 0 ] && [ -z "$warn" ] &&
	   echo "$log" | grep -q "sparse is not available or not up to date"; then
		echo "ok $n - W=1 clean: $o # SKIP sparse: $(sparse --version 2>&1 | head -n 1) is too old for this tree"
	elif [ $rc -eq 0 ] && [ -z "$warn" ]; then
		echo "ok $n - W=1 and sparse clean: $o"
	else
		failed=$((failed + 1))
		echo "not ok $n - W=1 and sparse clean: $o (rc=$rc)"
		(echo "$warn"; echo "$log" | tail -n 5) | sed 's/^/#   /'
	fi
done
# kernel-doc: no warning in our files, nor about the functions the series
# changes in upstream files.
if [ -n "$check_arm64" ]; then
	n=$((n + 1))
	baseline_vars || exit 2
	kdoc=$(cd "$OUT/linux-ours$BL_TAG" &&
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
fi

# The other configurations: our objects rebuilt with W=1 and sparse where
# they are built (x86_64 PV dom0: everything; 32-bit arm, with and
# without LPAE: no ZONE_DEVICE, so the series must compile out to the
# ballooned-page fallback, and arch/arm/xen with drivers/xen must build).
# build-kernel.sh has built each tree already (run-tests.sh); this only
# configures and builds what is missing.
for conf in "${others[@]}"; do
	n=$((n + 1))
	conf_vars "$conf" ours
	log=$(CONF=$conf "$HERE/build-kernel.sh" ours 2>&1)
	rc=$?
	objs=
	for o in drivers/xen/unpopulated-alloc.o drivers/xen/extended-regions.o \
		 drivers/xen/grant-table.o arch/arm/xen/extended-regions.o; do
		[ -f "$OUT/$CONF_OBJ/$o" ] && objs="$objs $o"
	done
	if [ $rc -eq 0 ] && [ -n "$objs" ]; then
		log=$(w1_make "$conf" $objs)
		rc=$?
	fi
	warn=$(echo "$log" | grep -E "($ours)" | grep -Ei "warning|error")
	alloc=$(grep -c '^CONFIG_XEN_UNPOPULATED_ALLOC=y' "$OUT/$CONF_OBJ/.config" 2>/dev/null)
	want=1
	case $conf in arm*) want=0 ;; esac
	what="unpopulated allocator $([ "$want" = 1 ] && echo built || echo compiled out)"
	if [ $rc -eq 0 ] && [ -z "$warn" ] && [ "$alloc" = "$want" ]; then
		echo "ok $n - $conf: $CONF_TARGETS build, W=1 and sparse clean on our files ($what:$objs)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $conf: builds, W=1 and sparse clean, $what (rc=$rc, allocator=$alloc)"
		(echo "$warn"; echo "$log" | grep -E "error" | head -10; echo "$log" | tail -n 5) |
			sed 's/^/#   /'
	fi
done

echo "1..$n"
echo "# kernel-checks: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
