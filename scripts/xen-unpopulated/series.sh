#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn this repository into a git am-able patch series against the
# baseline tree, and (optionally) sync the result into a kernel tree.
#
#   series.sh BASELINE OUTDIR [TREE [N]]
#
# Each directory patches/NN-name/ is one patch:
#   message        subject line, blank line, body with Signed-off-by
#   files          our files (repository paths = kernel paths): new ones,
#                  or baseline files that the patch rewrites as a whole
#   upstream.diff  small diff to baseline files (may be empty)
#   upstream-6.12.diff  the same for the 6.12 baseline, where 6.1's does
#                  not apply there or 6.12 needs more; it may also
#                  change our files, where 6.12's interfaces differ
# patches/cover-letter is the cover letter (subject line, blank, body).
#
# The series is built in a small git repository that holds only the
# baseline files the series touches, so it takes seconds.  With TREE, the
# files the series touches are copied into TREE when their content
# differs, and files a previous run touched but this one does not are
# restored from BASELINE: unchanged files keep their timestamps, so
# kernel rebuilds stay incremental.  With N, TREE gets the state after
# the first N patches instead of the whole series.

set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BASE=$(cd "$1" && pwd)
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
TREE=${3:-}
STEP=${4:-}
WORK=$OUT/git
# The baseline's VERSION.PATCHLEVEL picks each patch's diff.
BL=$(sed -n 's/^\(VERSION\|PATCHLEVEL\) = //p' "$BASE/Makefile" | paste -sd.)

# upstream_diff DIR: the diff of patch DIR for this baseline
upstream_diff() {
	if [ -f "$1/upstream-$BL.diff" ]; then
		echo "$1/upstream-$BL.diff"
	else
		echo "$1/upstream.diff"
	fi
}

rm -rf "$WORK" "$OUT"/*.patch
mkdir -p "$WORK"

# Authors come from the patches' own Signed-off-by lines and dates from
# the repository's last commit, so the series is the same on any machine.
SERIES_DATE=$(git -C "$REPO" log -1 --format=%cI 2>/dev/null || date -Iseconds)
export GIT_AUTHOR_DATE=$SERIES_DATE GIT_COMMITTER_DATE=$SERIES_DATE
export GIT_AUTHOR_NAME=xen-unpopulated GIT_AUTHOR_EMAIL=xen-unpopulated@example.org
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL

git_w() {
	git -C "$WORK" -c core.autocrlf=false -c user.useConfigOnly=false "$@"
}

# set_author MESSAGE: the first Signed-off-by of MESSAGE becomes the author
set_author() {
	local sob
	sob=$(sed -n 's/^Signed-off-by: \(.*\) <\(.*\)>$/\1\t\2/p' "$1" | head -n 1)
	[ -n "$sob" ] || { echo "series: $1: no Signed-off-by" >&2; exit 1; }
	GIT_AUTHOR_NAME=${sob%%$'\t'*}
	GIT_AUTHOR_EMAIL=${sob#*$'\t'}
	GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
	GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
}

# The baseline files that any patch modifies: those its upstream.diff
# names, and those of our files that the baseline already has (a patch
# changes them; it never creates a file the baseline ships).
touched=$(for dir in "$REPO"/patches/[0-9]*/; do
	sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' "$(upstream_diff "$dir")"
done | sort -u)
for f in $(cat "$REPO"/patches/[0-9]*/files | grep -v '^#'); do
	[ -f "$BASE/$f" ] && touched="$touched $f"
done
touched=$(echo "$touched" | tr ' ' '\n' | sed '/^$/d' | sort -u)
for f in $touched; do
	[ -f "$BASE/$f" ] || continue
	mkdir -p "$WORK/$(dirname "$f")"
	cp "$BASE/$f" "$WORK/$f"
done
git_w init -q -b baseline
git_w add -A
git_w commit -q --allow-empty -m "baseline: $(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$BASE/Makefile" | paste -sd.)"

git_w checkout -q -b series
git_w config branch.series.description "$(cat "$REPO/patches/cover-letter")"

for dir in "$REPO"/patches/[0-9]*/; do
	name=$(basename "$dir")
	for f in $(grep -v '^#' "$dir/files" 2>/dev/null || true); do
		mkdir -p "$WORK/$(dirname "$f")"
		cp "$REPO/$f" "$WORK/$f"
	done
	diff=$(upstream_diff "$dir")
	if [ -s "$diff" ]; then
		git_w apply --whitespace=error-all "$diff" ||
			{ echo "series: $name: ${diff##*/} does not apply" >&2; exit 1; }
	fi
	git_w add -A
	set_author "$dir/message"
	git_w commit -q -F "$dir/message" ||
		{ echo "series: $name: nothing to commit" >&2; exit 1; }
done

git_w format-patch -q --cover-letter --cover-from-description=subject \
	-o "$OUT" baseline..series

# Every file the repository holds must belong to exactly one patch.
listed=$(cat "$REPO"/patches/[0-9]*/files | grep -v '^#' | sort)
dups=$(echo "$listed" | uniq -d)
[ -z "$dups" ] || { echo "series: files in two patches: $dups" >&2; exit 1; }

if [ -n "$TREE" ]; then
	if [ -n "$STEP" ]; then
		git_w checkout -q "series~$(( $(git_w rev-list --count baseline..series) - STEP ))"
	fi
	state=$TREE/.xen-unpopulated-touched
	now=$( (echo "$touched"; echo "$listed") | sed '/^$/d' | sort -u)
	for f in $(cat "$state" 2>/dev/null || true); do
		echo "$now" | grep -qx "$f" && continue
		if [ -f "$BASE/$f" ]; then
			# A new time stamp: make must rebuild what the
			# series had changed.
			cp "$BASE/$f" "$TREE/$f"
		else
			rm -f "$TREE/$f"
		fi
	done
	for f in $now; do
		if [ ! -f "$WORK/$f" ]; then
			rm -f "$TREE/$f"
			continue
		fi
		mkdir -p "$TREE/$(dirname "$f")"
		cmp -s "$WORK/$f" "$TREE/$f" || cp "$WORK/$f" "$TREE/$f"
	done
	echo "$now" > "$state"
fi
echo "series: $(ls "$OUT"/*.patch | wc -l) files in $OUT (cover letter included)"
