#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack Debian's linux-source-$BASELINE (6.1 by default, 6.12, or
# mainline's X.Y; install-deps.sh installs the first two and fetches the
# third from Debian 13) into $OUT/linux-source-$BASELINE once, and print
# the exact baseline version.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
# shellcheck source=objdir.sh
. "$HERE/objdir.sh"
baseline_vars
TARBALL=$(baseline_tarball)
VERSION=$(baseline_version || true)

[ -f "$TARBALL" ] && [ -n "$VERSION" ] ||
	{ echo "baseline: $TARBALL missing, run install-deps.sh" >&2; exit 1; }
if [ "$(cat "$OUT/$BL_PKG/.xen-unpopulated-baseline" 2>/dev/null)" != "$VERSION" ]; then
	rm -rf "$OUT/$BL_PKG" "$OUT/linux-ours$BL_TAG"
	mkdir -p "$OUT"
	tar -C "$OUT" -xf "$TARBALL"
	echo "$VERSION" > "$OUT/$BL_PKG/.xen-unpopulated-baseline"
fi
echo "baseline: $BL_PKG $VERSION ($(make -s -C "$OUT/$BL_PKG" kernelversion))"
