#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a dom0 kernel, out of tree, with ccache.
#
#   [BASELINE=6.1|6.12] [CONF=NAME] build-kernel.sh ours|stock|step:N
#	[EXTRA_FRAGMENT...]
#
# stock:  the baseline tree as Debian ships it.
# ours:   the baseline with this repository's series applied.
# step:N: the baseline with the first N patches (in the ours trees).
#
# BASELINE names the baseline (6.1 by default).  CONF names the
# configuration (see objdir.sh): arm64 (the default, 4 KiB pages),
# arm64-16k, arm64-64k, x86_64 (a PV dom0), and arm, arm-lpae (32-bit,
# where only arch/arm/xen and drivers/xen are built).  Each is
# allnoconfig plus its fragments plus the extras, the same for ours and
# stock.  Options that a tree does not define are simply absent from its
# config.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
KIND=$1
shift

# shellcheck source=objdir.sh
. "$HERE/objdir.sh"
# The series the harness builds is signed by its test identity.
export SERIES_IDENTITY=${SERIES_IDENTITY:-$TEST_IDENTITY}
baseline_vars
"$HERE/baseline.sh" >/dev/null
BASE=$OUT/$BL_PKG

case $KIND in
stock)	;;
ours|step:[0-9]*)
	SRC=$OUT/linux-ours$BL_TAG
	if [ ! -f "$SRC/Makefile" ]; then
		echo "build-kernel: copying the baseline to $SRC"
		rm -rf "$SRC"
		# not the stock kernel's object trees (obj-CONF)
		rsync -a --exclude='/obj-*' "$BASE/" "$SRC/"
	fi
	step=
	case $KIND in step:*) step=${KIND#step:} ;; esac
	"$HERE/series.sh" "$BASE" "$OUT/series$BL_TAG" "$SRC" $step |
		sed 's/^/build-kernel: /'
	LABEL=$KIND
	KIND=ours ;;
*)	echo "usage: $0 ours|stock|step:N [fragment...]" >&2; exit 2 ;;
esac

conf_vars "${CONF:-arm64}" "$KIND"
SRC=$OUT/$CONF_SRC
OBJ=$OUT/$CONF_OBJ
# ccache: the arm64 4 KiB build of ours and stock's share their cache
# entries through the preprocessed source (their include/generated/
# autoconf.h differ in the series' options, so the direct hash does not
# match); every other build, GUESTS_CONFIG=n's included, has no twin and
# skips the preprocessor pass on a miss (depend mode).
if [ "${CONF:-arm64}" = arm64 ] && [ "${GUESTS_CONFIG:-y}" != n ]; then
	unset CCACHE_DEPEND
else
	export CCACHE_DEPEND=1
fi
mkdir -p "$OBJ"
JOBS=${JOBS:-$(($(nproc) + 1))}
MK=(make -s -C "$SRC" O="$OBJ" ARCH="$CONF_ARCH" CROSS_COMPILE="$CONF_CROSS"
    CC="ccache ${CONF_CROSS}gcc" HOSTCC="ccache gcc" KBUILD_BUILD_USER=xen-unpopulated
    KBUILD_BUILD_HOST=build -j"$JOBS")

symbols=$(find "$SRC" -path "$SRC/obj-*" -prune -o -name 'Kconfig*' \
		-not -path '*/Documentation/*' -print0 |
	xargs -0 sed -n 's/^[[:space:]]*\(menu\)\{0,1\}config[[:space:]]\{1,\}\([A-Z0-9_]*\).*/\2/p' |
	sort -u)

# Make the config again whenever the fragments or the tree's Kconfig
# symbols change (stepping through the series adds and removes some);
# the same inputs give the same .config, so the build stays incremental.
frags=("${CONF_FRAGS[@]}" "$@")
{ cat "${frags[@]}"; echo "$symbols" | md5sum; } > "$OBJ/fragment.stamp.new"
if ! cmp -s "$OBJ/fragment.stamp.new" "$OBJ/fragment.stamp" ||
   [ ! -f "$OBJ/.config" ]; then
	cat "${frags[@]}" > "$OBJ/fragment.config"
	"${MK[@]}" allnoconfig
	for pass in 1 2; do
		"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
			"$OBJ/.config" "$OBJ/fragment.config" >/dev/null
		"${MK[@]}" olddefconfig
	done
	mv "$OBJ/fragment.stamp.new" "$OBJ/fragment.stamp"
fi
rm -f "$OBJ/fragment.stamp.new"

# Fail loudly if a wanted option did not stick.  Options the tree does
# not define (those the series adds, in the stock tree) are not expected.
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*}
	val=${line#*=}
	echo "$symbols" | grep -qx "${opt#CONFIG_}" || continue
	if [ "$val" = n ]; then
		grep -qx "$opt=y" "$OBJ/.config" && { echo "build-kernel: $opt is set, wanted n" >&2; bad=1; }
	else
		grep -qx "$line" "$OBJ/.config" || { echo "build-kernel: $line did not stick" >&2; bad=1; }
	fi
done < "$OBJ/fragment.config"
[ $bad -eq 0 ] || exit 1

"${MK[@]}" $CONF_TARGETS
echo "build-kernel: ${LABEL:-$KIND} ${CONF:-arm64} $(cat "$OBJ/include/config/kernel.release") from $BL_PKG $(baseline_version) -> $OBJ/${CONF_IMAGE:-$CONF_TARGETS}"
