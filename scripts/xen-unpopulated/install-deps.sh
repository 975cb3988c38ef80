#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the xen-unpopulated build, boot harness and tests need
# on a Debian 12 machine.  Idempotent: a second run installs nothing.
# Foreign (arm64) packages are fetched with apt-get download and unpacked
# with dpkg -x under $OUT/sysroot; they are never dpkg -i'd.

set -euo pipefail

OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
SYSROOT=$OUT/sysroot
HOST_PKGS="build-essential bc bison flex libssl-dev libelf-dev cpio kmod
	rsync xz-utils python3 ccache gcc-aarch64-linux-gnu
	libc6-dev-arm64-cross qemu-system-arm device-tree-compiler libfdt-dev
	linux-source-6.1 linux-source-6.12 sparse gcc-arm-linux-gnueabihf qemu-system-x86
	clang libclang-rt-14-dev"
# make bench draws its picture with matplotlib (BENCH=1: make bench).
[ -z "${BENCH:-}" ] || HOST_PKGS="$HOST_PKGS python3-matplotlib"
FOREIGN_PKGS="xen-hypervisor-4.17-arm64:arm64 busybox-static:arm64"
# The x86_64 PV dom0 boot: Xen for amd64 and a static busybox, unpacked
# under $OUT/sysroot-x86 (never installed on the build machine).
X86_PKGS="xen-hypervisor-4.17-amd64:amd64 busybox-static:amd64"
SYSROOT_X86=$OUT/sysroot-x86
# Xen 4.17's arm64 toolstack for dom0 (make guests), unpacked under
# $OUT/sysroot-tools: xl, xenstored, xenconsoled and the libraries they
# load, glibc's included (libgcc-s1: glibc loads it at run time).
TOOLS_PKGS="xen-utils-4.17 xen-utils-common xenstore-utils libc6 libgcc-s1
	libncurses6 libtinfo6 libxencall1 libxenevtchn1 libxenforeignmemory1
	libxengnttab1 libxenmisc4.17 libxenstore4 libxentoollog1 libxenhypfs1
	libxendevicemodel1 libxentoolcore1 libyajl2 libfdt1 libuuid1 zlib1g"
SYSROOT_TOOLS=$OUT/sysroot-tools

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=
for p in $HOST_PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed' || missing="$missing $p"
done

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	need_update=1
fi

if [ -n "$missing" ] || [ -n "${need_update:-}" ] ||
   [ ! -f "$SYSROOT/.done" ] || [ ! -f "$SYSROOT_X86/.done" ] ||
   [ ! -f "$SYSROOT_TOOLS/.done" ]; then
	$SUDO apt-get update -qq
fi

if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	$SUDO env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $missing
fi

# unpack DIR PACKAGE...: apt-get download, dpkg -x into DIR, once.
unpack() {
	local dir=$1 deb
	shift
	[ -f "$dir/.done" ] && return 0
	mkdir -p "$dir/debs"
	(cd "$dir/debs" && apt-get download "$@")
	for deb in "$dir"/debs/*.deb; do
		dpkg -x "$deb" "$dir"
	done
	touch "$dir/.done"
}
unpack "$SYSROOT" $FOREIGN_PKGS

unpack "$SYSROOT_X86" $X86_PKGS
# shellcheck disable=SC2046
unpack "$SYSROOT_TOOLS" $(printf '%s:arm64 ' $TOOLS_PKGS)
# QEMU loads Xen for amd64 as a multiboot image, which must not be gzipped.
[ -f "$SYSROOT_X86/boot/xen-4.17-amd64" ] ||
	gunzip -k "$SYSROOT_X86"/boot/xen-4.17-amd64.gz

XEN=$(ls "$SYSROOT"/boot/xen-4.17-arm64 2>/dev/null | head -n1)
[ -n "$XEN" ] || { echo "install-deps: no Xen binary in $SYSROOT" >&2; exit 1; }
[ -x "$SYSROOT/bin/busybox" ] || { echo "install-deps: no busybox" >&2; exit 1; }
[ -f "$SYSROOT_X86/boot/xen-4.17-amd64" ] && [ -x "$SYSROOT_X86/bin/busybox" ] ||
	{ echo "install-deps: no Xen or busybox for x86_64 in $SYSROOT_X86" >&2; exit 1; }
[ -x "$SYSROOT_TOOLS/usr/lib/xen-4.17/bin/xl" ] ||
	{ echo "install-deps: no xl in $SYSROOT_TOOLS" >&2; exit 1; }
echo "install-deps: ok (xen: $XEN)"
