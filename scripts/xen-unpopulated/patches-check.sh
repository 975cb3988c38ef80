#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches/ is what export-patches.sh writes from the series: a patch
# edited by hand in a way the round trip would not keep (a diff that
# no longer matches its tree, a stale message) fails here.  TAP.
#
#   patches-check.sh SERIES_GIT

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
TMP=$OUT/patches-export
n=0
failed=0

rm -rf "$TMP"
if ! log=$("$HERE/export-patches.sh" "$1" "$TMP" 2>&1); then
	echo "not ok 1 - patches-check: export-patches.sh ($log)"
	echo "1..1"
	echo "# patches-check: 0 passed, 1 failed"
	exit 1
fi
for dir in "$REPO"/patches/[0-9]*/; do
	name=$(basename "$dir")
	n=$((n + 1))
	if stale=$(diff -ru "$dir" "$TMP/$name" 2>&1); then
		echo "ok $n - patches-check: $name is what export-patches.sh writes"
	else
		failed=$((failed + 1))
		echo "not ok $n - patches-check: $name is stale (make patches)"
		echo "$stale" | head -n 20 | sed 's/^/#   /'
	fi
done
echo "1..$n"
echo "# patches-check: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
