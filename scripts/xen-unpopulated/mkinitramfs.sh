#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the dom0 initramfs: static busybox from Debian's busybox-static
# (unpacked by install-deps.sh), our /init, xen-extregions compiled
# statically with the baseline tree's libfdt, and the series' kselftests
# (tools/testing/selftests/xen, installed with make TARGETS=xen install),
# run by /init through run_kselftest.sh.  One initramfs serves every
# arm64 page size; x86_64 has its own.
#
#   mkinitramfs.sh OUTPUT.cpio.gz [arm64|x86_64]

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
BASE=$OUT/linux-source-6.1
DEST=$1
ARCH=${2:-arm64}

case $ARCH in
arm64)	CC=aarch64-linux-gnu-gcc
	BB=$OUT/sysroot/bin/busybox
	STAGE=$OUT/dom0 ;;
x86_64)	CC=gcc
	BB=$OUT/sysroot-x86/bin/busybox
	STAGE=$OUT/dom0-x86 ;;
*)	echo "usage: $0 OUTPUT.cpio.gz [arm64|x86_64]" >&2; exit 2 ;;
esac
HDR=$OUT/headers-$ARCH

mkdir -p "$STAGE/bin"
make -s -C "$REPO/tools/xen" CC="$CC" LDFLAGS=-static \
	LIBFDT_SRC="$BASE/scripts/dtc/libfdt" TOOLS_INCLUDE="$BASE/tools/include" \
	OUTPUT="$STAGE/bin/"

# kselftests of the series, built and installed the kselftest way
# (make TARGETS=xen install: binaries, run_kselftest.sh and its runner),
# and the bench, against the series' uapi headers.
SRC=$OUT/linux-ours
make -s -C "$SRC" O="$OUT/obj-headers-$ARCH" ARCH="$ARCH" \
	INSTALL_HDR_PATH="$HDR" headers_install
rm -rf "$STAGE/kselftest" "$STAGE/tests"
if [ -d "$SRC/tools/testing/selftests/xen" ]; then
	make -s -C "$SRC/tools/testing/selftests" TARGETS=xen ARCH="$ARCH" \
		CROSS_COMPILE="${CC%gcc}" KHDR_INCLUDES="-isystem $HDR/include" \
		LDFLAGS=-static O="$OUT/kselftest-build-$ARCH" \
		KSFT_INSTALL_PATH="$STAGE/kselftest" install >/dev/null
fi

for prog in xen-unpop-bench xen-unpop-faults xen-unpop-pattern; do
	$CC -static -O2 -Wall -I"$HDR/include" \
		-I"$SRC/tools/testing/selftests/xen" \
		-o "$STAGE/bin/$prog" "$HERE/dom0/$prog.c"
done

GEN=$OUT/gen_init_cpio
[ "$GEN" -nt "$BASE/usr/gen_init_cpio.c" ] ||
	cc -O2 -o "$GEN" "$BASE/usr/gen_init_cpio.c"

list=$STAGE/initramfs.list
{
	for d in /bin /sbin /usr /usr/bin /proc /sys /dev /tmp /etc; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /bin/busybox $BB 0755 0 0"
	for applet in $("$HERE/busybox-applets.sh" "$BB"); do
		echo "slink /bin/$applet busybox 0777 0 0"
	done
	echo "file /init $HERE/dom0/init 0755 0 0"
	echo "file /bin/xen-extregions $STAGE/bin/xen-extregions 0755 0 0"
	echo "file /bin/xen-unpop-bench $STAGE/bin/xen-unpop-bench 0755 0 0"
	echo "file /bin/xen-unpop-faults $STAGE/bin/xen-unpop-faults 0755 0 0"
	# make guests: dom0's scenario and the domUs' side of it
	# (guest-initrd.sh adds the toolstack and the domUs' kernel).
	echo "file /bin/xen-unpop-pattern $STAGE/bin/xen-unpop-pattern 0755 0 0"
	echo "file /bin/xen-unpop-guests $HERE/dom0/xen-unpop-guests 0755 0 0"
	echo "file /bin/xen-unpop-guest $HERE/dom0/xen-unpop-guest 0755 0 0"
	if [ -d "$STAGE/kselftest" ]; then
		(cd "$STAGE" && find kselftest -type d | sort) |
			while read -r d; do echo "dir /$d 0755 0 0"; done
		(cd "$STAGE" && find kselftest -type f | sort) |
			while read -r f; do
				echo "file /$f $STAGE/$f $(stat -c %a "$STAGE/$f") 0 0"
			done
	fi
} > "$list"
"$GEN" "$list" | gzip -9n > "$DEST.tmp"
mv "$DEST.tmp" "$DEST"
echo "mkinitramfs: $DEST ($(stat -c %s "$DEST") bytes)"
