#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's tests, each writing TAP into build/results/, then one
# closing line "N passed, N failed".  Exits non-zero on any failure.
#
#   run-tests.sh            the test command (make test), within 60
#                           minutes cold on 2 cores (README.md)
#   run-tests.sh --configs  the other configurations (make test-configs)
#   run-tests.sh --all      both (make test-all)
#
# The test command: the full matrix on the mainline form, the series
# checks, a build and one boot on each backport.
#   host tool      tools/xen/tests/run.sh on the host build of the tool
#   fuzz           libFuzzer slice: region helpers and the tool on DTBs
#   each form (6.1, 6.12, mainline):
#     checkpatch   scripts/checkpatch.pl --strict on every patch
#     am-check     git am of the series onto the pristine baseline's
#                  files it touches; no patch adds a file the baseline has
#     patches-check  patches/ is what export-patches.sh writes from it
#   6.1, 6.12 (LTS backports, built without the guests' options):
#     boot-regions[-6.12]  Xen + our dom0: regions, holes, tool, every
#                  KUnit suite and kselftest; the balloon's target
#                  raised: no memory hotplugged (stock 6.12 beside it and
#                  the x86_64 PV dom0: make test-6.12; stock 6.1: make
#                  test-6.1)
#     kernel checks  our 6.1 arm64 objects rebuilt with W=1 and sparse,
#                  no warnings; kernel-doc
#   7.3 (mainline): our kernel and stock's, same config (test-baseline.sh)
#     boot-regions-7.3[-xen4.20]  as above, under Xen 4.17 and 4.20
#     boot-stock-7.3    the series' kselftests skip cleanly on stock;
#                  what stock hotplugs for a raised balloon target
#     first-map-arm64-7.3  RAM cost of the first grant map, ours beside
#                  stock in the same run
#     dmabuf-7.3   a 4 MiB gntdev dma-buf: no superpage shattered (Xen's
#                  'q'), RAM cost, beside stock and our forced RAM path
#     tool-in-tree-7.3, kernel-checks-7.3  the tool built in the tree;
#                  W=1 and kernel-doc
#     boot-no-regions-7.3  ext_regions=no: fallback
#     boot-small-regions-7.3  a layout with a 64 MiB region: the pool
#                  uses it; layout-small-7.3-xen4.20 under Xen 4.20
#     kunit-run-7.3  the pure suite with kunit.py exec, without Xen
#     guests       domUs started with xl, their PV disks and networks
#                  served by dom0's backends: ours, with regions and in
#                  the small layout, four cycles each (guests.sh; make
#                  guests runs ten and adds stock and ext_regions=no)
#
# --configs, each a kernel build of its own:
#   boot-regions-16k, -64k  the same dom0 tests with 16 and 64 KiB pages
#   boot-debug     a debug dom0 (KASAN, lockdep, kmemleak, ...): the same
#                  tests and fault injection, no checker reporting, no
#                  leak after them
#   boot-x86_64    an x86_64 PV dom0 under Xen for amd64: safe placement,
#                  the balloon's offline pages its own
#   first-map-*    ours with 16 and 64 KiB pages and on x86_64
#   kernel checks  x86_64 and 32-bit arm (with and without LPAE) builds,
#                  W=1 and sparse on our files
# CONFIGS="16k 64k debug x86_64 checks" (the default) names those to run.
#
# (every prefix of the series built for arm64 and x86_64 and booted:
# make bisect, 36 boots, outside both)

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export OUT=${OUT:-$REPO/build}
# shellcheck source=objdir.sh
. "$HERE/objdir.sh"
# The series the harness builds and checks is signed by its test
# identity, whatever git's own configuration says.
export SERIES_IDENTITY=${SERIES_IDENTITY:-$TEST_IDENTITY}
# The test matrix names its configurations itself.
unset CONF
RES=$OUT/results
BOOT_TIMEOUT=${TIMEOUT:-300}
case ${1:-} in
"")		PART="test" ;;
--configs)	PART=configs ;;
--all)		PART=all ;;
*)		echo "usage: $0 [--configs|--all]" >&2; exit 2 ;;
esac
# part NAME: this run includes NAME (test or configs).
part() { [ "$PART" = all ] || [ "$PART" = "$1" ]; }
# config NAME: --configs includes NAME ($CONFIGS, by default all of
# 16k 64k debug x86_64 checks).
CONFIGS=${CONFIGS:-16k 64k debug x86_64 checks}
config() { [[ " $CONFIGS " == *" $1 "* ]]; }
# The test command starts from an empty results directory, all but
# install-deps.sh's list of what it fetched, printed first: the figures
# below hold for these versions.  --configs adds its own and counts only
# those.
if part test; then
	find "$RES" -mindepth 1 -maxdepth 1 ! -name versions.txt -exec rm -rf {} + 2>/dev/null
fi
mkdir -p "$RES"
started=$(mktemp)
trap 'rm -f "$started"' EXIT
echo "# package versions (install-deps.sh):"
sed 's/^/#   /' "$RES/versions.txt" 2>/dev/null ||
	echo "#   (no $RES/versions.txt: run install-deps.sh)"

# shellcheck source=step.sh
. "$HERE/step.sh"
# img CONF [KIND]: the boot image of that build; obj CONF [KIND]: its
# object tree (objdir.sh).
img() { "$HERE/objdir.sh" --image "$@"; }
obj() { echo "$OUT/$("$HERE/objdir.sh" "$@" | cut -d' ' -f1)"; }

t0=$(date +%s)
step baseline "$HERE/baseline.sh"

# boot [XEN_OPTIONS] XENBOOT_ARGS...: our dom0, with grant frames enough
# for the bigger dma-buf tests (Xen's default is 64).
boot() {
	local xen=$1
	shift
	"$HERE/xenboot.py" boot --timeout "$BOOT_TIMEOUT" \
		--xen-cmdline "gnttab_max_frames=512 $xen" \
		--kernel "$(img arm64)" "$@"
}
# check LOG NAME XENBOOT_CHECK_ARGS...: TAP into $RES/NAME.tap
check() {
	local log=$1 name=$2
	shift 2
	"$HERE/xenboot.py" check "$log" --name "$name" "$@" > "$RES/$name.tap"
	tail -n 1 "$RES/$name.tap"
}

if part test; then
	step build-host-tool make -C "$REPO/tools/xen" OUTPUT="$OUT/host/" \
		TOOLS_INCLUDE="$OUT/linux-source-6.1/tools/include" &&
		"$REPO/tools/xen/tests/run.sh" "$OUT/host/xen-extregions" > "$RES/host-tool.tap"
	tail -n 1 "$RES/host-tool.tap" 2>/dev/null

	# libFuzzer on the region helpers and on the tool with malformed
	# device trees, a fixed slice (make fuzz runs longer).
	"$HERE/fuzz.sh" --runs 250000 --seed 1 > "$RES/fuzz.tap"
	tail -n 1 "$RES/fuzz.tap"

	# series_checks BASELINE: checkpatch, git am onto a git tree of the
	# pristine baseline's files the series touches, and patches/ as make
	# patches would write it; TAP names carry the baseline's tag ("" for
	# 6.1).
	series_checks() {
		local tag=
		[ "$1" = 6.1 ] || tag=-$1
		BASELINE=$1 "$HERE/checkpatch.sh" "$REPO/out/series$tag" \
			> "$RES/checkpatch$tag.tap"
		tail -n 1 "$RES/checkpatch$tag.tap"
		"$HERE/am-check.sh" "$(BASELINE=$1 baseline_vars && baseline_tarball)" \
			"$REPO/out/series$tag" \
			> "$RES/am-check$tag.tap"
		tail -n 1 "$RES/am-check$tag.tap"
		"$HERE/patches-check.sh" "$REPO/out/series$tag/git" \
			> "$RES/patches-check$tag.tap"
		tail -n 1 "$RES/patches-check$tag.tap"
	}
	step series "$HERE/series.sh" "$OUT/linux-source-6.1" "$REPO/out/series" &&
		series_checks 6.1
fi

# The backports' kernels are built without what the guests need, in
# object trees of their own (objdir.sh), and without ccache's
# preprocessor pass, no stock twin of theirs being built here.
export GUESTS_CONFIG=n

# The 6.1 LTS form: our kernel boots as arm64 dom0 with every KUnit suite
# and kselftest; W=1, sparse and kernel-doc on our objects (Debian's
# sparse is too old for mainline).
if part test &&
   step build-kernel-ours "$HERE/build-kernel.sh" ours &&
   step build-initramfs "$HERE/mkinitramfs.sh" "$OUT/initrd.cpio.gz"; then
	boot "" --dom0-cmdline xu.balloon-grow=64 --log "$RES/boot-regions.log"
	check "$RES/boot-regions.log" boot-regions --expect-regions --balloon-grow \
		"${ALL_KUNIT[@]}" "${KSELFTESTS[@]}" "${DEBUGFS_ARM64[@]}"

	"$HERE/kernel-checks.sh" arm64 > "$RES/kernel-checks.tap"
	tail -n 1 "$RES/kernel-checks.tap"
fi

# The 6.12 LTS form of the series: it applies with git am to the
# pristine 6.12 tree, checkpatch-clean, patches/ in step, and our 6.12
# kernel boots as arm64 dom0 with every KUnit suite and kselftest
# (boot-regions-6.12).  Stock 6.12 beside it and our 6.12 x86_64 PV dom0
# are make test-6.12.
if part test &&
   step baseline-6.12 env BASELINE=6.12 "$HERE/baseline.sh" &&
   step series-6.12 "$HERE/series.sh" "$OUT/linux-source-6.12" \
	"$REPO/out/series-6.12"; then
	series_checks 6.12
	BASELINE=6.12 TALLY=n "$HERE/test-baseline.sh" --ours-arm64
fi

# Mainline's kernels: the guests' options in, stock built beside ours.
unset GUESTS_CONFIG

# The mainline form (the newest X.Y with an upstream-X.Y.diff, Debian
# 13's linux-source-X.Y): its series checks, then our kernel of it and
# stock's, same config, booted under Xen (test-baseline.sh --arm64):
# every KUnit suite and kselftest on ours, the kselftests skipping on
# stock, the first map and the dma-bufs, ours beside stock.  Our
# mainline x86_64 PV dom0 is make test-mainline.
MAINLINE=$(mainline_version)
if part test &&
   step "baseline-$MAINLINE" env BASELINE="$MAINLINE" "$HERE/baseline.sh" &&
   step "series-$MAINLINE" "$HERE/series.sh" "$OUT/linux-source-$MAINLINE" \
	"$REPO/out/series-$MAINLINE"; then
	series_checks "$MAINLINE"
	BASELINE=$MAINLINE TALLY=n "$HERE/test-baseline.sh" --arm64
fi

# The rest of the matrix on the mainline form, the kernels and initramfs
# test-baseline.sh built: fallback, the small layout (under Xen 4.20
# too; both Xen versions boot the default layout there), kunit.py and
# real guests.
# Its initramfs is made here if test-baseline.sh did not get to it (a
# failed stock build); without our kernel, one failure says what did not
# run.
built() { grep -q '^ok' "$RES/$1-$MAINLINE-full.tap" 2>/dev/null; }
if part test && ! built "build-kernel-ours-$MAINLINE"; then
	echo "not ok 1 - mainline matrix: not run, no kernel of ours on $MAINLINE" \
		> "$RES/matrix-$MAINLINE.tap"
	tail -n 1 "$RES/matrix-$MAINLINE.tap"
elif part test &&
     { built build-initramfs ||
       step "build-initramfs-$MAINLINE" env BASELINE="$MAINLINE" \
		"$HERE/mkinitramfs.sh" "$OUT/initrd.cpio.gz"; }; then
	export BASELINE=$MAINLINE
	boot "ext_regions=no" --log "$RES/boot-no-regions-$BASELINE.log"
	check "$RES/boot-no-regions-$BASELINE.log" "boot-no-regions-$BASELINE" \
		--expect-no-regions "${KSELFTESTS[@]}"

	# Several regions, one of 64 MiB, none holding an aligned 128 MiB
	# (the stock allocator's section): the pool must use every one whole.
	boot "" --layout small --dom0-cmdline xu.tests=gntdev_unpopulated \
		--log "$RES/boot-small-regions-$BASELINE.log"
	check "$RES/boot-small-regions-$BASELINE.log" "boot-small-regions-$BASELINE" \
		--expect-regions --small-region --kunit xen_unpopulated_alloc:25 \
		--kselftest gntdev_unpopulated

	# The layouts are the project's, not a Xen build's: Debian 13's Xen
	# 4.20 gives dom0 the same regions (the check compares them with
	# what the layout set up, as under 4.17).
	boot "" --xen-version 4.20 --layout small \
		--dom0-cmdline "kunit.enable=0 xu.tests=none" \
		--log "$RES/layout-small-$BASELINE-xen4.20.log"
	check "$RES/layout-small-$BASELINE-xen4.20.log" "layout-small-$BASELINE-xen4.20" \
		--expect-regions

	# The pure suite the kernel's way, without Xen: kunit.py exec runs
	# the arm64 kernel built above (it has kunit.py's PL011 console)
	# under plain QEMU, no hypervisor.  make kunit builds and runs
	# drivers/xen/.kunitconfig with kunit.py run, a kernel of its own.
	n_kunit=$(grep -c KUNIT_CASE "$REPO/drivers/xen/extended-regions-test.h")
	if step "kunit-run-$BASELINE" env -C "$OUT/linux-ours-$BASELINE" python3 \
		tools/testing/kunit/kunit.py exec --arch=arm64 \
		--build_dir="$(obj arm64)" xen_extended_regions &&
	   grep -q "Ran $n_kunit tests: passed: $n_kunit\$" "$RES/kunit-run-$BASELINE.log"; then
		echo "ok 1 - kunit-run-$BASELINE: kunit.py exec xen_extended_regions, $n_kunit of $n_kunit passed" \
			> "$RES/kunit-run-$BASELINE.tap"
	else
		echo "not ok 1 - kunit-run-$BASELINE: kunit.py exec xen_extended_regions, $n_kunit cases expected (see $RES/kunit-run-$BASELINE.log)" \
			> "$RES/kunit-run-$BASELINE.tap"
	fi
	tail -n 1 "$RES/kunit-run-$BASELINE.tap"

	# Real guests (guests.sh): xl in dom0 starts two domUs at once, four
	# times here (make guests: ten), their PV disks and networks served
	# by dom0's blkback and netback, on our kernel with Xen's extended
	# regions and in a layout whose regions hold no aligned 128 MiB.
	# make guests runs stock beside them and ext_regions=no as well.
	if ! SCENARIOS="guests guests-small" GUESTS_BUILT=1 CYCLES=4 \
		TIMEOUT=$((BOOT_TIMEOUT * 3)) "$HERE/guests.sh" > "$RES/guests-run.log" 2>&1; then
		echo "not ok 1 - guests: guests.sh failed before its scenarios (see $RES/guests-run.log)" \
			> "$RES/guests-run.tap"
	fi
	grep '^# guests' "$RES/guests-run.log"
	unset BASELINE
fi

if part configs; then
	# arm64_initrd: the initramfs of the arm64 boots below, made once,
	# after the first of their kernels (its kselftests are built in that
	# tree); its step's status.
	initrd_rc=
	arm64_initrd() {
		if [ -z "$initrd_rc" ]; then
			step build-initramfs "$HERE/mkinitramfs.sh" "$OUT/initrd.cpio.gz"
			initrd_rc=$?
		fi
		return "$initrd_rc"
	}

	# 16 and 64 KiB pages: the same dom0 tests on the same initramfs.
	for pages in 16k 64k; do
		config "$pages" || continue
		if step "build-kernel-ours-$pages" env CONF="arm64-$pages" \
			"$HERE/build-kernel.sh" ours && arm64_initrd; then
			# cortex-a57 has no 16 KiB granule; a76 has all.
			boot "" --kernel "$(img "arm64-$pages")" \
				--cpu cortex-a76 --log "$RES/boot-regions-$pages.log"
			check "$RES/boot-regions-$pages.log" "boot-regions-$pages" \
				--expect-regions "${ALL_KUNIT[@]}" "${KSELFTESTS[@]}"
			"$HERE/bench.py" --assert-first-map "arm64-$pages" --ours-only \
				> "$RES/first-map-arm64-$pages.tap"
			tail -n 1 "$RES/first-map-arm64-$pages.tap"
		fi
	done

	# The debug dom0 (arm64-debug.config: KASAN, lockdep, atomic-sleep,
	# VM, debug objects, list checks, kmemleak, fault injection): every
	# KUnit suite and kselftest again, then the seven fault-injection
	# cases of xen-unpop-faults, with no report from any checker and
	# nothing for kmemleak after them all.
	FAULT_ROUNDS=${FAULT_ROUNDS:-150}
	if config debug && step build-kernel-ours-debug env CONF=arm64-debug \
		"$HERE/build-kernel.sh" ours && arm64_initrd; then
		boot "" --kernel "$(img arm64-debug)" \
			--dom0-cmdline "xu.faults=$FAULT_ROUNDS" \
			--timeout $((BOOT_TIMEOUT * 3)) --log "$RES/boot-debug.log"
		check "$RES/boot-debug.log" boot-debug --expect-regions --debug \
			--faults 7 "${ALL_KUNIT[@]}" "${KSELFTESTS[@]}"
	fi

	# x86_64 PV dom0 under Xen for amd64: the pool on iomem_resource,
	# above 4 GiB and everything described; gntdev cannot export
	# dma-bufs on PV, so that kselftest must skip, saying so.  The
	# balloon gives 64 MiB back and takes it again: the pages it marks
	# offline are its own, none of the pool's.
	if config x86_64 && step build-kernel-ours-x86_64 env CONF=x86_64 "$HERE/build-kernel.sh" ours &&
	   step build-initramfs-x86_64 "$HERE/mkinitramfs.sh" \
		"$OUT/initrd-x86_64.cpio.gz" x86_64; then
		"$HERE/xenboot.py" boot --arch x86_64 --timeout "$BOOT_TIMEOUT" \
			--kernel "$(img x86_64)" --dom0-cmdline xu.balloon=64 \
			--initrd "$OUT/initrd-x86_64.cpio.gz" --log "$RES/boot-x86_64.log"
		# shellcheck disable=SC2046 # debugfs_x86: words, no spaces
		check "$RES/boot-x86_64.log" boot-x86_64 --expect-iomem --balloon 64 \
			$(debugfs_x86 "$OUT/linux-source-6.1") \
			"${ALL_KUNIT[@]}" --kselftest gntdev_unpopulated \
			--kselftest gntdev_map_mmap --kselftest gntdev_load \
			--kselftest-skip "gntdev_dmabuf:cannot export dma-bufs"
		"$HERE/bench.py" --assert-first-map x86_64 --ours-only \
			> "$RES/first-map-x86_64.tap"
		tail -n 1 "$RES/first-map-x86_64.tap"
	fi

	# W=1 and sparse on our objects in the x86_64 build, and 32-bit arm
	# with and without LPAE built (the allocator compiled out).
	if config checks; then
		"$HERE/kernel-checks.sh" x86_64 arm arm-lpae \
			> "$RES/kernel-checks-other.tap"
		tail -n 1 "$RES/kernel-checks-other.tap"
	fi
fi

echo "# tests took $(( $(date +%s) - t0 )) s; logs in $RES"
if part test; then
	"$HERE/xenboot.py" tally "$RES"/*.tap
else
	# shellcheck disable=SC2046 # one TAP file a word
	"$HERE/xenboot.py" tally $(find "$RES" -maxdepth 1 -name '*.tap' -newer "$started" | sort)
fi
