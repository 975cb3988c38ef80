#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build an arm64 dom0 Image, out of tree, with ccache.
#
#   build-kernel.sh ours|stock [EXTRA_FRAGMENT...]
#
# stock: the baseline tree as Debian ships it.
# ours:  the baseline with this repository's series applied.
# Both use the same config: allnoconfig + dom0-arm64.config + extras.
# Options the series adds are simply absent from the stock config.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
KIND=$1
shift

"$HERE/baseline.sh" >/dev/null
BASE=$OUT/linux-source-6.1

case $KIND in
stock)	SRC=$BASE ;;
ours)	SRC=$OUT/linux-ours
	if [ ! -f "$SRC/Makefile" ]; then
		echo "build-kernel: copying the baseline to $SRC"
		rm -rf "$SRC"
		cp -a "$BASE" "$SRC"
	fi
	"$HERE/series.sh" "$BASE" "$OUT/series" "$SRC" ;;
*)	echo "usage: $0 ours|stock [fragment...]" >&2; exit 2 ;;
esac

OBJ=$OUT/obj-$KIND
mkdir -p "$OBJ"
JOBS=${JOBS:-$(($(nproc) + 1))}
MK=(make -s -C "$SRC" O="$OBJ" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
    CC="ccache aarch64-linux-gnu-gcc" KBUILD_BUILD_USER=xen-unpopulated
    KBUILD_BUILD_HOST=build -j"$JOBS")

frags=("$HERE/dom0-arm64.config" "$@")
cat "${frags[@]}" > "$OBJ/fragment.config.new"
if ! cmp -s "$OBJ/fragment.config.new" "$OBJ/fragment.config" ||
   [ ! -f "$OBJ/.config" ]; then
	"${MK[@]}" allnoconfig
	for pass in 1 2; do
		"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
			"$OBJ/.config" "$OBJ/fragment.config.new" >/dev/null
		"${MK[@]}" olddefconfig
	done
	mv "$OBJ/fragment.config.new" "$OBJ/fragment.config"
fi
rm -f "$OBJ/fragment.config.new"

# Fail loudly if a wanted option did not stick.  Options that only exist
# with the series applied are not expected in the stock tree.
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*}
	val=${line#*=}
	if [ "$KIND" = stock ] &&
	   ! grep -rqs "^config ${opt#CONFIG_}\$" "$SRC"/drivers/xen/Kconfig "$SRC"/arch/arm64/Kconfig; then
		grep -rqs --include='Kconfig*' "^config ${opt#CONFIG_}\$" "$SRC" || continue
	fi
	if [ "$val" = n ]; then
		grep -qx "$opt=y" "$OBJ/.config" && { echo "build-kernel: $opt is set, wanted n" >&2; bad=1; }
	else
		grep -qx "$line" "$OBJ/.config" || { echo "build-kernel: $line did not stick" >&2; bad=1; }
	fi
done < "$OBJ/fragment.config"
[ $bad -eq 0 ] || exit 1

"${MK[@]}" Image
echo "build-kernel: $KIND $(cat "$OBJ/include/config/kernel.release") from linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1) -> $OBJ/arch/arm64/boot/Image"
