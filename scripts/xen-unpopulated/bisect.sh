#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bisect: every prefix of the series, as git bisect would meet it,
# built and booted under Xen.  For each N, the ours tree is stepped to
# patches 1..N and
#   - built for arm64 and for an x86_64 PV dom0 (incrementally), with
#     drivers/xen/unpopulated-alloc.c, which patches 5 to 16 rewrite step
#     by step, rebuilt for arm64 with W=1 and sparse and read by
#     kernel-doc, none of them saying a word,
#   - booted as dom0 of Xen on arm64 and as an x86_64 PV dom0, each
#     passing the KUnit suites that exist at that point (every case the
#     tree's test headers declare) with no oops, BUG or WARN, and, from
#     the patch that adds them on, the kselftests; the x86_64 dom0 also
#     raises its balloon target by 64 MiB, and the balloon's counters
#     must stay sane and the raise be met (since 6.12 x86 seeds the pool
#     at boot with pages the balloon must never get).
# Both initramfs images are made once from the whole series.  Before N
# reaches the selftests patch, dom0 runs only gntdev_map_mmap, which
# needs no part of the series: grant maps through the allocator as it
# stands at N, mmap()ed and checked, from two threads.  Afterwards the
# tree and both builds are put back to the whole series.  TAP, closing
# with "N passed, N failed".
#
#   [BASELINE=6.12] [ARCHS="arm64 x86_64"] bisect.sh [FIRST [LAST]]
#	prefixes FIRST..LAST (all), built and booted for ARCHS (both)

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export OUT=${OUT:-$REPO/build}
unset CONF
RES=$OUT/results/bisect
. "$HERE/objdir.sh"
# The series the harness builds is signed by its test identity.
export SERIES_IDENTITY=${SERIES_IDENTITY:-$TEST_IDENTITY}
conf_vars arm64 ours
SRC=$OUT/$CONF_SRC
RES=$RES$BL_TAG
mkdir -p "$RES"

mapfile -t dirs < <(ls -d "$REPO"/patches/[0-9]*/)
first=${1:-1}
last=${2:-${#dirs[@]}}
n=0
failed=0

# ok COND DESCRIPTION
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

# boot_check ARCH BUILD_RC KERNEL INITRD WHAT [CHECK_ARGS...]: boot
# prefix $i as dom0 under Xen for ARCH and check its console for the
# KUnit suites and kselftests in $kunit and $tests, and CHECK_ARGS.
# $boot_args go to xenboot.py boot, $extra to dom0's command line.
boot_check() {
	local arch=$1 built=$2 kernel=$3 initrd=$4 what=$5
	shift 5
	if [ "$built" != 0 ]; then
		ok 1 "patches 1..$i boot as $what (not built)"
		return
	fi
	# shellcheck disable=SC2086
	"$HERE/xenboot.py" boot --arch "$arch" --timeout "${TIMEOUT:-300}" \
		--xen-cmdline gnttab_max_frames=512 $boot_args \
		--kernel "$kernel" --initrd "$initrd" \
		--dom0-cmdline "$cmdline $extra" \
		--log "$log.$arch.log" > /dev/null 2>&1
	"$HERE/xenboot.py" check "$log.$arch.log" --name "$name-$arch" \
		--expect-boot "${kunit[@]}" "${tests[@]}" "$@" > "$log.$arch.tap"
	ok $? "patches 1..$i boot as $what: ${kunit[*]:-no KUnit}, ${tests[*]} ($(tail -n 1 "$log.$arch.tap" | sed 's/^# //'))"
}

# The patch that adds the kselftests, by the files it holds.
selftests_at=$(grep -l '^tools/testing/selftests/xen/' "$REPO"/patches/[0-9]*/files |
	head -n 1 | xargs dirname | xargs basename | cut -d- -f1 | sed 's/^0*//')

ARCHS=${ARCHS:-arm64 x86_64}
# arch NAME: this run builds and boots NAME.
arch() { [[ " $ARCHS " == *" $1 "* ]]; }

# build_whole: the whole series built for ARCHS and their initramfs made.
build_whole() {
	if arch arm64; then
		"$HERE/build-kernel.sh" ours || return
	fi
	if arch x86_64; then
		CONF=x86_64 "$HERE/build-kernel.sh" ours || return
	fi
}

build_whole > "$RES/build-whole.log" 2>&1 &&
	{ ! arch arm64 ||
	  "$HERE/mkinitramfs.sh" "$OUT/initrd.cpio.gz"; } >> "$RES/build-whole.log" 2>&1 &&
	{ ! arch x86_64 ||
	  "$HERE/mkinitramfs.sh" "$OUT/initrd-x86_64.cpio.gz" x86_64; } \
		>> "$RES/build-whole.log" 2>&1
ok $? "the whole series builds for $ARCHS and the initramfs images are made"

for i in $(seq "$first" "$last"); do
	name=$(basename "${dirs[$((i - 1))]}")
	log=$RES/$name
	arm=skip	# without arm64, the x86_64 build below steps the tree
	if arch arm64; then
		CONF=arm64 "$HERE/build-kernel.sh" "step:$i" > "$log.build-arm64.log" 2>&1
		arm=$?
		ok $arm "patches 1..$i ($name) build for arm64"
	fi
	if [ $arm = 0 ]; then
		w1_make arm64 drivers/xen/unpopulated-alloc.o > "$log.w1.log" &&
			(cd "$SRC" && perl scripts/kernel-doc -none \
				drivers/xen/unpopulated-alloc.c) >> "$log.w1.log" 2>&1
		rc=$?
		! grep -E "unpopulated-alloc|xen\.h" "$log.w1.log" |
			grep -qiE "warning|error"
		w1=$?
		# Debian's sparse is too old for 7.3 (kernel-checks.sh).
		checks="W=1, sparse and kernel-doc"
		grep -q "sparse is not available or not up to date" "$log.w1.log" &&
			checks="W=1 and kernel-doc (sparse too old for this tree)"
		ok $((rc | w1)) "patches 1..$i: unpopulated-alloc.c clean with $checks"
	fi
	x86=skip
	if arch x86_64; then
		CONF=x86_64 "$HERE/build-kernel.sh" "step:$i" > "$log.build-x86_64.log" 2>&1
		x86=$?
		ok $x86 "patches 1..$i ($name) build for an x86_64 PV dom0"
	fi

	# The KUnit suites of this prefix and how many cases they declare.
	kunit=()
	dmabuf=
	for t in "$SRC"/drivers/xen/*-test.h; do
		[ -f "$t" ] || continue
		suite=$(sed -n 's/^\t*\.name = "\(xen_[a-z_]*\)".*/\1/p' "$t" | head -n 1)
		[ -n "$suite" ] && kunit+=(--kunit "$suite:$(grep -c 'KUNIT_CASE' "$t")")
	done
	tests=(--kselftest gntdev_map_mmap)
	cmdline=xu.tests=gntdev_map_mmap
	if [ "$i" -ge "${selftests_at:-999}" ]; then
		cmdline=
		tests+=(--kselftest gntdev_unpopulated --kselftest gntdev_load)
		dmabuf=y
	fi

	boot_args= extra=
	arch arm64 && boot_check arm64 $arm "$("$HERE/objdir.sh" --image arm64)" \
		"$OUT/initrd.cpio.gz" "arm64 dom0" \
		${dmabuf:+--kselftest gntdev_dmabuf}
	# Room for dom0 to grow by the balloon: a maximum above its start.
	boot_args="--dom0-mem 512M,max:1024M" extra=xu.balloon=64
	arch x86_64 && boot_check x86_64 $x86 "$("$HERE/objdir.sh" --image x86_64)" \
		"$OUT/initrd-x86_64.cpio.gz" "x86_64 PV dom0" --balloon 64 \
		${dmabuf:+--kselftest-skip "gntdev_dmabuf:cannot export dma-bufs"}
done

build_whole > "$RES/build-restore.log" 2>&1
ok $? "the tree and the builds for $ARCHS are back to the whole series"
echo "1..$n"
echo "# bisect: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
