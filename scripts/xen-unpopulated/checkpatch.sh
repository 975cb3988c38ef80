#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/checkpatch.pl --strict on every patch of the series; TAP, one
# line a patch.  A patch passes with no error, warning or check at all.
# The allocator's patches get a second line: their size outside tests.
#
#   checkpatch.sh SERIES_DIR

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=objdir.sh
. "$HERE/objdir.sh"
baseline_vars	# $BASELINE: whose checkpatch.pl
BASE=${OUT:-$REPO/build}/$BL_PKG
n=0
failed=0
DIR=$(cd "$1" && pwd)

# run_checkpatch PATCH: the baseline's checkpatch.pl on PATCH, what it
# printed.  FILE_PATH_CHANGES asks whether MAINTAINERS covers new files:
# am-check answers it with get_maintainer.pl on the applied tree.  The
# baseline is a tarball without history, so checkpatch cannot look up
# the hashes of Fixes: lines (UNKNOWN_COMMIT_ID); it still checks their
# form (BAD_FIXES_TAG).  The hashes were checked against public
# archives, as the patches' notes say.
run_checkpatch() {
	(cd "$BASE" && perl scripts/checkpatch.pl --strict --show-types \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$1" 2>&1)
}

for p in "$DIR"/0*.patch; do
	case $p in */0000-cover-letter.patch) continue ;; esac
	n=$((n + 1))
	out=$(run_checkpatch "$p")
	# Once (2026-12-08) a run gave neither a summary nor a diagnostic,
	# and the same patch passed every time after: say what it printed,
	# and run it again.
	if ! echo "$out" | grep -q '^total: '; then
		echo "# checkpatch gave no summary for ${p##*/}, run again; it printed:"
		echo "$out" | tail -n 10 | sed 's/^/#   /'
		out=$(run_checkpatch "$p")
	fi
	if echo "$out" | grep -q "total: 0 errors, 0 warnings, 0 checks"; then
		echo "ok $n - checkpatch --strict: ${p##*/}"
	else
		failed=$((failed + 1))
		echo "not ok $n - checkpatch --strict: ${p##*/}"
		echo "$out" | grep -E "^(ERROR|WARNING|CHECK)|^#|^\+|^total: " |
			sed 's/^/#   /' | head -40
	fi
	# One idea a patch: the allocator rework changes at most 400 lines a
	# patch outside its tests (lines added plus lines removed).
	if grep -q '^Subject: .*xen/unpopulated-alloc:' "$p"; then
		n=$((n + 1))
		lines=$(git apply --numstat "$p" |
			grep -vE -- '-test\.h$|/selftests/|\.kunitconfig$' |
			awk '{ a += $1 + $2 } END { print a + 0 }')
		if [ "$lines" -le 400 ]; then
			echo "ok $n - ${p##*/}: $lines lines outside tests (at most 400)"
		else
			failed=$((failed + 1))
			echo "not ok $n - ${p##*/}: $lines lines outside tests (at most 400)"
		fi
	fi
done
echo "1..$n"
echo "# checkpatch: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
