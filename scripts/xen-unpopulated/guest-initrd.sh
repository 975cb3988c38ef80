#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The dom0 initramfs for make guests: the arm64 dom0 initramfs
# (mkinitramfs.sh), then the toolstack of the Xen that boots ($XEN: 4.17
# from Debian 12's arm64 packages, or 4.20 from Debian 13's, with that
# release's libraries; install-deps.sh unpacks them) with our hotplug
# scripts, then
# the domUs' kernel and initramfs under /guest/.  The kernel unpacks
# concatenated archives in turn, so this is three gzipped cpio archives
# end to end.  One Image serves dom0 and the domUs: the domUs boot the
# dom0's own kernel and initramfs (its /init sees xu.role=guest).
#
#   guest-initrd.sh IMAGE OUTPUT.cpio.gz

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
IMAGE=$1
DEST=$2
BASEFS=$OUT/initrd.cpio.gz
XV=${XEN:-4.17}
case $XV in
4.17)	TOOLS=$OUT/sysroot-tools ;;
*)	TOOLS=$OUT/sysroot-tools-$XV ;;
esac
XBIN=usr/lib/xen-$XV/bin
GEN=$OUT/gen_init_cpio
STAGE=$OUT/dom0-guests
[ -f "$BASEFS" ] && [ -x "$GEN" ] ||
	{ echo "guest-initrd: run mkinitramfs.sh first" >&2; exit 1; }
[ -x "$TOOLS/$XBIN/xl" ] ||
	{ echo "guest-initrd: no toolstack in $TOOLS (install-deps.sh)" >&2; exit 1; }
mkdir -p "$STAGE"

# list ROOT PATH...: gen_init_cpio lines for PATHs under ROOT, their
# parent directories first.
list() {
	local root=$1 p d
	shift
	for p in "$@"; do
		d=$(dirname "$p")
		while [ "$d" != . ]; do
			echo "dir /$d 0755 0 0"
			d=$(dirname "$d")
		done
	done | sort -u
	for p in "$@"; do
		if [ -L "$root/$p" ]; then
			echo "slink /$p $(readlink "$root/$p") 0777 0 0"
		else
			echo "file /$p $root/$p $(stat -c %a "$root/$p") 0 0"
		fi
	done
}

# The toolstack: the daemons and xl, the xenstore tools the hotplug
# scripts use, and every shared library of the packages (not glibc's
# gconv modules).  Debian 13 keeps its libraries and the dynamic linker
# under usr/lib only (merged /usr); binaries ask for
# /lib/ld-linux-aarch64.so.1, which the initramfs gets as a file.
tools=$STAGE/tools-$XV.cpio.gz
if [ ! -f "$tools" ] || [ "$TOOLS/.versions" -nt "$tools" ] ||
   [ "$HERE/dom0/hotplug-block" -nt "$tools" ] ||
   [ "$HERE/dom0/hotplug-vif" -nt "$tools" ] || [ "$0" -nt "$tools" ]; then
	ld=lib/ld-linux-aarch64.so.1
	[ -e "$TOOLS/$ld" ] || ld=
	libdirs=$(cd "$TOOLS" && ls -d lib/aarch64-linux-gnu \
		usr/lib/aarch64-linux-gnu 2>/dev/null || true)
	{
		# shellcheck disable=SC2046,SC2086
		list "$TOOLS" $ld \
			$(cd "$TOOLS" && find $libdirs -maxdepth 1 -name '*.so*') \
			$XBIN/xl $XBIN/xenstored $XBIN/xenconsoled \
			$XBIN/xen-init-dom0 $XBIN/libxl-save-helper \
			usr/bin/xenstore-read usr/bin/xenstore-write \
			usr/bin/xenstore-ls usr/bin/xenstore-rm etc/xen/xl.conf
		if [ -z "$ld" ]; then
			echo "dir /lib 0755 0 0"
			echo "file /lib/ld-linux-aarch64.so.1 $TOOLS/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 0755 0 0"
		fi
		echo "dir /etc/xen/scripts 0755 0 0"
		echo "file /etc/xen/scripts/block $HERE/dom0/hotplug-block 0755 0 0"
		echo "file /etc/xen/scripts/vif-bridge $HERE/dom0/hotplug-vif 0755 0 0"
	} > "$STAGE/tools-$XV.list"
	"$GEN" "$STAGE/tools-$XV.list" | gzip -6n > "$tools.tmp"
	mv "$tools.tmp" "$tools"
fi

# The domUs' kernel and initramfs.
{
	echo "dir /guest 0755 0 0"
	echo "file /guest/Image $IMAGE 0644 0 0"
	echo "file /guest/initrd.cpio.gz $BASEFS 0644 0 0"
} > "$STAGE/guest.list"
"$GEN" "$STAGE/guest.list" | gzip -1n > "$STAGE/guest.cpio.gz"

cat "$BASEFS" "$tools" "$STAGE/guest.cpio.gz" > "$DEST.tmp"
mv "$DEST.tmp" "$DEST"
echo "guest-initrd: $DEST ($(stat -c %s "$DEST") bytes)"
