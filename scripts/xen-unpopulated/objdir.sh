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
# nothing boots), CONF_SRC (the source tree under $OUT: the patched one
# for ours, the unpacked baseline for stock) and CONF_OBJ (the object
# tree under $OUT).  Run as a script, it prints "OBJ IMAGE" for CONF and
# KIND; "objdir.sh --image CONF KIND" prints the boot image's path.
#
# An object tree is a directory of its source tree, obj-CONF, the same
# name for ours and stock: Kbuild then names every source and include
# directory relative to it ("../mm/..."), so that a compilation unit the
# series leaves alone is the same command in both trees and ccache
# serves the second build from the first.
#
# The arm64 configuration with 4 KiB pages carries what make guests needs
# (guests-arm64.config); with GUESTS_CONFIG=n it leaves that out, in an
# object tree of its own (obj-arm64-noguests): the test command's
# backport boots, which start no guest and have no stock twin.
#
# $BASELINE (6.1, the default, 6.12, or the mainline X.Y the series is
# written for; "mainline" names it) picks the baseline: baseline_vars
# sets BL (the version), BL_PKG (Debian's package and tarball name) and
# BL_TAG ("" for 6.1, "-X.Y" otherwise), which every tree, object tree
# and series directory of that baseline carries.

CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The identity of the series the harness builds and checks (series.sh's
# author and Signed-off-by); make series uses git's own instead.
TEST_IDENTITY="xen-unpopulated tests <tests@xen-unpopulated.invalid>"

# mainline_version: the mainline baseline the series is written for, the
# newest X.Y that any patch has an upstream-X.Y.diff for.
mainline_version() {
	ls "$CONF_DIR"/../../patches/[0-9]*/upstream-*.diff 2>/dev/null |
		sed -n 's/.*upstream-\([0-9]*\.[0-9]*\)\.diff$/\1/p' |
		sort -u -V | tail -n 1
}

# baseline_version: the version of Debian's $BL_PKG that baseline.sh
# unpacks: an installed package (6.1, 6.12, Debian 12's), or one that
# install-deps.sh fetched from Debian 13's suites into $OUT/$BL_PKG.deb/
# (its .versions: "package version").
baseline_version() {
	if [ -f "$OUT/$BL_PKG.deb/.versions" ]; then
		awk '{ print $2 }' "$OUT/$BL_PKG.deb/.versions"
	else
		dpkg-query -W -f='${Version}' "$BL_PKG" 2>/dev/null
	fi
}

# baseline_tarball: the source tarball of $BL_PKG, fetched or installed.
baseline_tarball() {
	if [ -f "$OUT/$BL_PKG.deb/.versions" ]; then
		echo "$OUT/$BL_PKG.deb/usr/src/$BL_PKG.tar.xz"
	else
		echo "/usr/src/$BL_PKG.tar.xz"
	fi
}

# patch_diff DIR BL [below]: the diff of patch DIR for baseline BL:
# upstream-BL.diff, or else that of the nearest older baseline that has
# one (a mainline form follows 6.12's where it needs nothing of its
# own), or else 6.1's upstream.diff.  With "below", BL's own is skipped.
patch_diff() {
	local dir=$1 bl=$2 v
	for v in $(ls "$dir" | sed -n 's/^upstream-\([0-9]*\.[0-9]*\)\.diff$/\1/p' |
		   sort -r -V); do
		[ "$v" = "$bl" ] && [ "${3:-}" = below ] && continue
		if [ "$(printf '%s\n' "$v" "$bl" | sort -V | tail -n 1)" = "$bl" ]; then
			echo "$dir/upstream-$v.diff"
			return
		fi
	done
	echo "$dir/upstream.diff"
}

# patch_message DIR BL: the message of patch DIR for baseline BL:
# message-BL where that form does more than the others (a backport that
# converts a user the mainline tree no longer has says so), else the
# message all forms share.
patch_message() {
	if [ -f "$1/message-$2" ]; then
		echo "$1/message-$2"
	else
		echo "$1/message"
	fi
}

baseline_vars() {
	local mainline

	mainline=$(mainline_version)
	BL=${BASELINE:-6.1}
	[ "$BL" != mainline ] || BL=$mainline
	case $BL in
	6.1|6.12|"$mainline") ;;
	*)
		echo "unknown baseline '$BL' (6.1, 6.12, $mainline or mainline)" >&2
		return 2
		;;
	esac
	BL_PKG=linux-source-$BL
	BL_TAG=
	[ "$BL" = 6.1 ] || BL_TAG=-$BL
}

conf_vars() {
	local conf=$1 kind=$2 suffix=

	baseline_vars || return 2

	case $conf in
	arm64|arm64-16k|arm64-64k|arm64-debug)
		CONF_ARCH=arm64
		CONF_CROSS=aarch64-linux-gnu-
		CONF_FRAGS=("$CONF_DIR/dom0-arm64.config")
		if [ "$conf" != arm64 ]; then
			CONF_FRAGS+=("$CONF_DIR/$conf.config")
		elif [ "${GUESTS_CONFIG:-y}" != n ]; then
			CONF_FRAGS+=("$CONF_DIR/guests-arm64.config")
		else
			# GUESTS_CONFIG=n: without it, in a tree of its own.
			suffix=-noguests
		fi
		CONF_TARGETS=Image
		# kunit.py exec boots Image.gz (run-tests.sh's kunit-run).
		[ "$conf" = arm64 ] && CONF_TARGETS="Image Image.gz"
		CONF_IMAGE=arch/arm64/boot/Image
		;;
	x86_64)
		CONF_ARCH=x86_64
		CONF_CROSS=
		CONF_FRAGS=("$CONF_DIR/x86-dom0.config")
		CONF_TARGETS=bzImage
		CONF_IMAGE=arch/x86/boot/bzImage
		;;
	arm|arm-lpae)
		CONF_ARCH=arm
		CONF_CROSS=arm-linux-gnueabihf-
		CONF_FRAGS=("$CONF_DIR/arm.config")
		[ "$conf" = arm ] || CONF_FRAGS+=("$CONF_DIR/$conf.config")
		CONF_TARGETS="arch/arm/xen/ drivers/xen/"
		CONF_IMAGE=
		;;
	*)
		echo "unknown configuration '$conf' (arm64, arm64-16k, arm64-64k, arm64-debug, x86_64, arm, arm-lpae)" >&2
		return 2
		;;
	esac
	case $kind in
	ours)	CONF_SRC=linux-ours$BL_TAG ;;
	stock)	CONF_SRC=$BL_PKG ;;
	*)	echo "unknown kind '$kind' (ours, stock)" >&2; return 2 ;;
	esac
	CONF_OBJ=$CONF_SRC/obj-$conf$suffix
}

# w1_make CONF OBJECT...: rebuild OBJECTs in CONF's tree of ours with W=1
# and sparse (C=2: checked even when up to date), printing what make
# said; make's status is the function's.
w1_make() {
	local conf=$1
	shift
	conf_vars "$conf" ours || return 2
	(cd "$OUT/$CONF_OBJ" && rm -f "$@")
	make -C "$OUT/$CONF_SRC" O="$OUT/$CONF_OBJ" ARCH="$CONF_ARCH" \
		CROSS_COMPILE="$CONF_CROSS" CC="ccache ${CONF_CROSS}gcc" \
		W=1 C=2 "$@" 2>&1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	OUT=${OUT:-$(cd "$CONF_DIR/../.." && pwd)/build}
	if [ "$1" = --image ]; then
		conf_vars "$2" "${3:-ours}" || exit 2
		echo "$OUT/$CONF_OBJ/$CONF_IMAGE"
		exit
	fi
	conf_vars "$1" "${2:-ours}" || exit 2
	echo "$CONF_OBJ $CONF_IMAGE"
fi
