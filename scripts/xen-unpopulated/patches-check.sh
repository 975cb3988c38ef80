#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches/ is what export-patches.sh writes from the series: a patch
# edited by hand in a way the round trip would not keep (a diff that
# no longer matches its tree, a stale message) fails here.  Diffs are
# compared without their blob hashes and hunk line numbers, which a
# newer baseline package moves without changing the series.  TAP.
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
# A 6.1 series writes message (or message-6.1), files and upstream.diff;
# one on another baseline writes only that baseline's upstream-X.Y.diff
# and message-X.Y, where needed.
BL=$(git -C "$1" log -1 --format=%s baseline | sed -n 's/^baseline: \([0-9]*\.[0-9]*\).*/\1/p')
if [ "$BL" = 6.1 ]; then
	mine=(message message-6.1 files upstream.diff)
	hint="make patches"
else
	mine=("upstream-$BL.diff" "message-$BL")
	hint="make patches BASELINE=$BL"
fi
# norm FILE: a diff without what moves when the baseline does but our
# change does not (Debian's next linux-source: blob hashes, the line
# numbers of hunks); anything else is the file as it is.
norm() {
	case $1 in
	*.diff)	sed -e '/^index [0-9a-f]*\.\.[0-9a-f]*/d' \
		    -e 's/^@@ -[0-9]*\(,[0-9]*\)\{0,1\} +[0-9]*\(,[0-9]*\)\{0,1\} @@/@@ -\1 +\2 @@/' \
		    "$1" 2>/dev/null ;;
	*)	cat "$1" 2>/dev/null ;;
	esac
}
for dir in "$REPO"/patches/[0-9]*/; do
	name=$(basename "$dir")
	n=$((n + 1))
	stale=
	for f in "${mine[@]}"; do
		# a form with its own message leaves the shared one alone
		[ "$f" = message ] && [ -f "$dir/message-$BL" ] && continue
		if [ -f "$dir/$f" ] || [ -f "$TMP/$name/$f" ]; then
			if [ -f "$dir/$f" ] && [ -f "$TMP/$name/$f" ]; then
				stale+=$(diff -u --label "patches/$name/$f" \
					--label "written now" <(norm "$dir/$f") \
					<(norm "$TMP/$name/$f") 2>&1)
			else
				stale+="patches/$name/$f: only one of patches/ and the export has it"
			fi
		fi
	done
	if [ -z "$stale" ]; then
		echo "ok $n - patches-check: $name is what export-patches.sh writes ($BL)"
	else
		failed=$((failed + 1))
		echo "not ok $n - patches-check: $name is stale for $BL ($hint)"
		echo "$stale" | head -n 20 | sed 's/^/#   /'
	fi
done
echo "1..$n"
echo "# patches-check: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
