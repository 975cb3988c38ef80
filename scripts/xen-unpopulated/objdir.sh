#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The configurations the harness builds, in one place.  Source it and call
#
#   conf_vars CONF KIND     (KIND: ours or stock)
#
# which sets CONF_ARCH, CONF_CROSS (the cross-compiler prefix), CONF_FRAGS
# (config fragments on top of allnoconfig), CONF_TARGETS (make targets),
# CONF_IMAGE (the boot image, relative to the object tree; empty where
# nothing boots) and CONF_OBJ (the object tree under $OUT).  Run as a
# script, it prints "OBJ IMAGE" for CONF and KIND.
#
# $BASELINE (6.1, the default, or 6.12) picks the baseline: baseline_vars
# sets BL (the version), BL_PKG (Debian's package and tarball name) and
# BL_TAG ("" for 6.1, "-6.12" otherwise), which every tree, object tree
# and series directory of that baseline carries.

CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

baseline_vars() {
	BL=${BASELINE:-6.1}
	case $BL in
	6.1|6.12) ;;
	*)
		echo "unknown baseline '$BL' (6.1, 6.12)" >&2
		return 2
		;;
	esac
	BL_PKG=linux-source-$BL
	BL_TAG=
	[ "$BL" = 6.1 ] || BL_TAG=-$BL
}

conf_vars() {
	local conf=$1 kind=$2

	baseline_vars || return 2

	case $conf in
	arm64|arm64-16k|arm64-64k|arm64-debug)
		CONF_ARCH=arm64
		CONF_CROSS=aarch64-linux-gnu-
		CONF_FRAGS=("$CONF_DIR/dom0-arm64.config")
		if [ "$conf" = arm64 ]; then
			CONF_FRAGS+=("$CONF_DIR/guests-arm64.config")
		else
			CONF_FRAGS+=("$CONF_DIR/$conf.config")
		fi
		CONF_TARGETS=Image
		CONF_IMAGE=arch/arm64/boot/Image
		CONF_OBJ=obj-$kind${conf#arm64}$BL_TAG
		;;
	x86_64)
		CONF_ARCH=x86_64
		CONF_CROSS=
		CONF_FRAGS=("$CONF_DIR/x86-dom0.config")
		CONF_TARGETS=bzImage
		CONF_IMAGE=arch/x86/boot/bzImage
		CONF_OBJ=obj-x86
		[ "$kind" = ours ] || CONF_OBJ=obj-x86-$kind
		CONF_OBJ=$CONF_OBJ$BL_TAG
		;;
	arm|arm-lpae)
		CONF_ARCH=arm
		CONF_CROSS=arm-linux-gnueabihf-
		CONF_FRAGS=("$CONF_DIR/arm.config")
		[ "$conf" = arm ] || CONF_FRAGS+=("$CONF_DIR/$conf.config")
		CONF_TARGETS="arch/arm/xen/ drivers/xen/"
		CONF_IMAGE=
		CONF_OBJ=obj-$kind-$conf$BL_TAG
		;;
	*)
		echo "unknown configuration '$conf' (arm64, arm64-16k, arm64-64k, arm64-debug, x86_64, arm, arm-lpae)" >&2
		return 2
		;;
	esac
}

# w1_make CONF OBJECT...: rebuild OBJECTs in CONF's tree of ours with W=1
# and sparse (C=2: checked even when up to date), printing what make
# said; make's status is the function's.
w1_make() {
	local conf=$1
	shift
	conf_vars "$conf" ours || return 2
	(cd "$OUT/$CONF_OBJ" && rm -f "$@")
	make -C "$OUT/linux-ours$BL_TAG" O="$OUT/$CONF_OBJ" ARCH="$CONF_ARCH" \
		CROSS_COMPILE="$CONF_CROSS" CC="ccache ${CONF_CROSS}gcc" \
		W=1 C=2 "$@" 2>&1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	conf_vars "$1" "${2:-ours}" || exit 2
	echo "$CONF_OBJ $CONF_IMAGE"
fi
