#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack Debian's linux-source-6.1 (installed by install-deps.sh) into
# $OUT/linux-source-6.1 once, and print the exact baseline version.

set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$REPO/build}
TARBALL=/usr/src/linux-source-6.1.tar.xz
VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.1)

[ -f "$TARBALL" ] || { echo "baseline: $TARBALL missing, run install-deps.sh" >&2; exit 1; }
if [ "$(cat "$OUT/linux-source-6.1/.xen-unpopulated-baseline" 2>/dev/null)" != "$VERSION" ]; then
	rm -rf "$OUT/linux-source-6.1" "$OUT/linux-ours"
	mkdir -p "$OUT"
	tar -C "$OUT" -xf "$TARBALL"
	echo "$VERSION" > "$OUT/linux-source-6.1/.xen-unpopulated-baseline"
fi
echo "baseline: linux-source-6.1 $VERSION ($(make -s -C "$OUT/linux-source-6.1" kernelversion))"
