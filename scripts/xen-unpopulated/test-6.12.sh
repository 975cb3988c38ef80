#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The 6.12 kernels that the test command leaves out to stay within its
# time: our 6.12 kernel booted as arm64 dom0, and stock 6.12, built with
# our config, booted under the same Xen beside it.  TAP into
# build/results/*-6.12-full.tap, then "N passed, N failed".
#
#   boot-regions-6.12 our 6.12 kernel: the boot-regions assertions, both
#                     KUnit suites, the four kselftests
#   boot-stock-6.12   the series' kselftests skip cleanly on stock 6.12
#   first-map-arm64-6.12  the first one-page grant map, stock and ours
#   dmabuf-6.12       a 4 MiB dma-buf: superpages and RAM, stock, ours
#                     and our RAM path; a 64 MiB one on ours
#   boot-x86_64-6.12  our 6.12 kernel as an x86_64 PV dom0, where 6.12
#                     seeds the pool with Xen's extra memory: both KUnit
#                     suites (the seed case must run, not skip), the
#                     placement checks, the kselftests, and the balloon
#                     giving 64 MiB back and taking it again with no
#                     seed page among the pages it marks offline
#
# The test command itself checks the 6.12 series (checkpatch, git am,
# patches/).

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export OUT=${OUT:-$REPO/build}
export BASELINE=6.12
unset CONF
RES=$OUT/results
mkdir -p "$RES"
rm -f "$RES"/*-6.12-full.tap

STEP_TAP_SUFFIX=-6.12-full
# shellcheck source=step.sh
. "$HERE/step.sh"

if step baseline-6.12 "$HERE/baseline.sh" &&
   step build-kernel-ours-6.12 "$HERE/build-kernel.sh" ours &&
   step build-kernel-stock-6.12 "$HERE/build-kernel.sh" stock &&
   step build-initramfs "$HERE/mkinitramfs.sh" "$OUT/initrd.cpio.gz"; then
	"$HERE/xenboot.py" boot --timeout "${TIMEOUT:-300}" \
		--xen-cmdline "gnttab_max_frames=512" \
		--kernel "$("$HERE/objdir.sh" --image arm64 ours)" \
		--log "$RES/boot-regions-6.12.log"
	"$HERE/xenboot.py" check "$RES/boot-regions-6.12.log" \
		--name boot-regions-6.12 --expect-regions \
		--kunit xen_extended_regions:25 --kunit xen_unpopulated_alloc:24 \
		--kselftest gntdev_unpopulated --kselftest gntdev_dmabuf \
		--kselftest gntdev_map_mmap --kselftest gntdev_load \
		> "$RES/boot-regions-6.12-full.tap"
	tail -n 1 "$RES/boot-regions-6.12-full.tap"
	"$HERE/xenboot.py" boot --timeout "${TIMEOUT:-300}" \
		--xen-cmdline "gnttab_max_frames=512" \
		--kernel "$("$HERE/objdir.sh" --image arm64 stock)" \
		--dom0-cmdline xu.tests=gntdev_unpopulated,gntdev_dmabuf \
		--log "$RES/boot-stock-6.12.log"
	"$HERE/xenboot.py" check "$RES/boot-stock-6.12.log" --name boot-stock-6.12 \
		--expect-regions --stock \
		--kselftest-skip "gntdev_unpopulated:kernel without" \
		--kselftest-skip "gntdev_dmabuf:kernel without" \
		> "$RES/boot-stock-6.12-full.tap"
	tail -n 1 "$RES/boot-stock-6.12-full.tap"
	"$HERE/bench.py" --assert-first-map > "$RES/first-map-arm64-6.12-full.tap"
	tail -n 1 "$RES/first-map-arm64-6.12-full.tap"
	"$HERE/bench.py" --assert-dmabuf > "$RES/dmabuf-6.12-full.tap"
	tail -n 1 "$RES/dmabuf-6.12-full.tap"
fi
if step build-kernel-ours-x86_64-6.12 env CONF=x86_64 "$HERE/build-kernel.sh" ours &&
   step build-initramfs-x86_64 "$HERE/mkinitramfs.sh" \
	"$OUT/initrd-x86_64.cpio.gz" x86_64; then
	"$HERE/xenboot.py" boot --arch x86_64 --timeout "${TIMEOUT:-300}" \
		--kernel "$("$HERE/objdir.sh" --image x86_64)" \
		--initrd "$OUT/initrd-x86_64.cpio.gz" --dom0-cmdline xu.balloon=64 \
		--log "$RES/boot-x86_64-6.12.log"
	"$HERE/xenboot.py" check "$RES/boot-x86_64-6.12.log" \
		--name boot-x86_64-6.12 --expect-iomem --balloon 64 \
		--kunit xen_extended_regions:25 --kunit xen_unpopulated_alloc:24 \
		--kunit-ran xen_unpopulated_alloc.xut_seed_pages \
		--kselftest gntdev_unpopulated --kselftest gntdev_map_mmap \
		--kselftest gntdev_load \
		--kselftest-skip "gntdev_dmabuf:cannot export dma-bufs" \
		> "$RES/boot-x86_64-6.12-full.tap"
	tail -n 1 "$RES/boot-x86_64-6.12-full.tap"
fi
"$HERE/xenboot.py" tally "$RES"/*-6.12-full.tap
