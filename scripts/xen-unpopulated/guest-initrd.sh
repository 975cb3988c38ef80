#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The dom0 initramfs for make guests: the arm64 dom0 initramfs
# (mkinitramfs.sh), then Xen 4.17's toolstack from Debian's arm64
# packages (install-deps.sh unpacks them) with our hotplug scripts, then
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
TOOLS=$OUT/sysroot-tools
GEN=$OUT/gen_init_cpio
STAGE=$OUT/dom0-guests
[ -f "$BASEFS" ] && [ -x "$GEN" ] ||
	{ echo "guest-initrd: run mkinitramfs.sh first" >&2; exit 1; }
[ -x "$TOOLS/usr/lib/xen-4.17/bin/xl" ] ||
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
# gconv modules).
tools=$STAGE/tools.cpio.gz
if [ ! -f "$tools" ] || [ "$TOOLS/.versions" -nt "$tools" ] ||
   [ "$HERE/dom0/hotplug-block" -nt "$tools" ] ||
   [ "$HERE/dom0/hotplug-vif" -nt "$tools" ] || [ "$0" -nt "$tools" ]; then
	{
		list "$TOOLS" lib/ld-linux-aarch64.so.1 \
			$(cd "$TOOLS" && find lib/aarch64-linux-gnu \
				usr/lib/aarch64-linux-gnu -maxdepth 1 -name '*.so*') \
			usr/lib/xen-4.17/bin/xl usr/lib/xen-4.17/bin/xenstored \
			usr/lib/xen-4.17/bin/xenconsoled \
			usr/lib/xen-4.17/bin/xen-init-dom0 \
			usr/lib/xen-4.17/bin/libxl-save-helper \
			usr/bin/xenstore-read usr/bin/xenstore-write \
			usr/bin/xenstore-ls usr/bin/xenstore-rm etc/xen/xl.conf
		echo "dir /etc/xen/scripts 0755 0 0"
		echo "file /etc/xen/scripts/block $HERE/dom0/hotplug-block 0755 0 0"
		echo "file /etc/xen/scripts/vif-bridge $HERE/dom0/hotplug-vif 0755 0 0"
	} > "$STAGE/tools.list"
	"$GEN" "$STAGE/tools.list" | gzip -6n > "$tools.tmp"
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
