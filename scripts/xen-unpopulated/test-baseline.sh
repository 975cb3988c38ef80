#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernels of another baseline (BASELINE=6.12, or mainline's X.Y):
# our kernel booted as arm64 dom0, and stock, built with our config,
# booted under the same Xen beside it.  TAP into
# build/results/*-X.Y-full.tap, then "N passed, N failed".
#
#   [BASELINE=X.Y] [TALLY=n] test-baseline.sh [--arm64 | --ours-arm64]
#
# --arm64: the arm64 boots only; --ours-arm64: only boot-regions-X.Y
# under Xen 4.17 (one kernel build; the test command's boot of a
# backport); TALLY=n: no closing count (the test command, which runs
# these, counts them with the rest).
#
#   boot-regions-X.Y  our kernel: the boot-regions assertions, both
#                     KUnit suites, the four kselftests, no memory
#                     hotplugged for a raised balloon target (-xen4.20:
#                     the same under Debian 13's Xen 4.20)
#   boot-stock-X.Y    the series' kselftests skip cleanly on stock;
#                     what stock hotplugs for a raised balloon target
#   first-map-arm64-X.Y  the first one-page grant map, stock and ours
#   dmabuf-X.Y        a 4 MiB dma-buf: superpages and RAM, stock, ours
#                     and our RAM path; a 64 MiB one on ours
#   tool-in-tree-X.Y  tools/xen built with plain make in the patched tree
#                     and its tests
#   kernel-checks-X.Y W=1, sparse and kernel-doc on our arm64 objects
#   boot-x86_64-X.Y   our kernel as an x86_64 PV dom0, where 6.12 and
#                     later seed the pool with Xen's extra memory: both
#                     KUnit suites (the seed case must run, not skip),
#                     the placement checks, the kselftests, and the
#                     balloon giving 64 MiB back and taking it again
#                     with no seed page among the pages it marks offline
#
# The test command itself checks each form of the series (checkpatch,
# git am, patches/).

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export OUT=${OUT:-$REPO/build}
# shellcheck source=objdir.sh
. "$HERE/objdir.sh"
baseline_vars || exit 2
export BASELINE=$BL
export SERIES_IDENTITY=${SERIES_IDENTITY:-$TEST_IDENTITY}
unset CONF
RES=$OUT/results
mkdir -p "$RES"
rm -f "$RES"/*-"$BL"-full.tap
ARM64_ONLY=
OURS_ONLY=
case ${1:-} in
--arm64) ARM64_ONLY=y ;;
--ours-arm64) ARM64_ONLY=y OURS_ONLY=y ;;
esac

STEP_TAP_SUFFIX=-$BL-full
# shellcheck source=step.sh
. "$HERE/step.sh"

# boot_regions XEN_VERSION: our arm64 kernel booted as dom0 under that
# Xen, with the boot-regions assertions, every KUnit suite and kselftest
# and what the series puts in debugfs (boot-regions-X.Y[-xenV]).
boot_regions() {
	local xv=$1 name=boot-regions-$BL
	[ "$xv" = 4.17 ] || name=$name-xen$xv
	"$HERE/xenboot.py" boot --timeout "${TIMEOUT:-300}" \
		--xen-cmdline "gnttab_max_frames=512" --xen-version "$xv" \
		--kernel "$("$HERE/objdir.sh" --image arm64 ours)" \
		--dom0-cmdline xu.balloon-grow=64 --log "$RES/$name.log"
	"$HERE/xenboot.py" check "$RES/$name.log" \
		--name "$name" --expect-regions --balloon-grow \
		"${ALL_KUNIT[@]}" "${KSELFTESTS[@]}" "${DEBUGFS_ARM64[@]}" \
		> "$RES/$name-full.tap"
	tail -n 1 "$RES/$name-full.tap"
}

if step baseline-$BL "$HERE/baseline.sh" &&
   step build-kernel-ours-$BL "$HERE/build-kernel.sh" ours &&
   { [ -n "$OURS_ONLY" ] ||
     step build-kernel-stock-$BL "$HERE/build-kernel.sh" stock; } &&
   step build-initramfs "$HERE/mkinitramfs.sh" "$OUT/initrd.cpio.gz"; then
	boot_regions 4.17
	# --ours-arm64 stops there: no stock kernel, one Xen.
	if [ -z "$OURS_ONLY" ]; then
		# Under Debian 13's Xen 4.20 too.
		boot_regions 4.20
		"$HERE/xenboot.py" boot --timeout "${TIMEOUT:-300}" \
			--xen-cmdline "gnttab_max_frames=512" \
			--kernel "$("$HERE/objdir.sh" --image arm64 stock)" \
			--dom0-cmdline "xu.tests=gntdev_unpopulated,gntdev_dmabuf xu.balloon-grow=64" \
			--log "$RES/boot-stock-$BL.log"
		"$HERE/xenboot.py" check "$RES/boot-stock-$BL.log" --name boot-stock-$BL \
			--expect-regions --stock --balloon-grow \
			--kselftest-skip "gntdev_unpopulated:kernel without" \
			--kselftest-skip "gntdev_dmabuf:kernel without" \
			> "$RES/boot-stock-$BL-full.tap"
		tail -n 1 "$RES/boot-stock-$BL-full.tap"
		"$HERE/bench.py" --assert-first-map > "$RES/first-map-arm64-$BL-full.tap"
		tail -n 1 "$RES/first-map-arm64-$BL-full.tap"
		"$HERE/bench.py" --assert-dmabuf > "$RES/dmabuf-$BL-full.tap"
		tail -n 1 "$RES/dmabuf-$BL-full.tap"
		# The tool built inside the patched tree as a maintainer would, with
		# plain make against the system's libfdt, and its tests.
		step "tool-in-tree-$BL" make -C "$OUT/linux-ours$BL_TAG/tools/xen" \
			OUTPUT="$OUT/host-$BL/" check
		# W=1, sparse and kernel-doc on our arm64 objects of this baseline.
		"$HERE/kernel-checks.sh" arm64 > "$RES/kernel-checks-$BL-full.tap"
		tail -n 1 "$RES/kernel-checks-$BL-full.tap"
	fi
fi
# 6.1's x86 seeds no pages: its seed case skips.
SEED_CASE=()
[ "$BL" = 6.1 ] || SEED_CASE=(--kunit-ran xen_unpopulated_alloc.xut_seed_pages
			      --kunit-ran xen_unpopulated_alloc.xut_seed_page_held
			      --kunit-ran xen_unpopulated_alloc.xut_seed_page_late_ref)
if [ -z "$ARM64_ONLY" ] &&
   step build-kernel-ours-x86_64-$BL env CONF=x86_64 "$HERE/build-kernel.sh" ours &&
   step build-initramfs-x86_64 "$HERE/mkinitramfs.sh" \
	"$OUT/initrd-x86_64.cpio.gz" x86_64; then
	"$HERE/xenboot.py" boot --arch x86_64 --timeout "${TIMEOUT:-300}" \
		--kernel "$("$HERE/objdir.sh" --image x86_64)" \
		--initrd "$OUT/initrd-x86_64.cpio.gz" --dom0-cmdline xu.balloon=64 \
		--log "$RES/boot-x86_64-$BL.log"
	# shellcheck disable=SC2046 # debugfs_x86: words, no spaces
	"$HERE/xenboot.py" check "$RES/boot-x86_64-$BL.log" \
		--name boot-x86_64-$BL --expect-iomem --balloon 64 "${ALL_KUNIT[@]}" \
		$(debugfs_x86 "$OUT/$BL_PKG") \
		${SEED_CASE[@]+"${SEED_CASE[@]}"} \
		--kselftest gntdev_unpopulated --kselftest gntdev_map_mmap \
		--kselftest gntdev_load \
		--kselftest-skip "gntdev_dmabuf:cannot export dma-bufs" \
		> "$RES/boot-x86_64-$BL-full.tap"
	tail -n 1 "$RES/boot-x86_64-$BL-full.tap"
fi
# TALLY=n: the caller (run-tests.sh) counts the TAP files itself.
[ "${TALLY:-y}" = n ] || "$HERE/xenboot.py" tally "$RES"/*-"$BL"-full.tap
