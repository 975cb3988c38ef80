#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn this repository into a git am-able patch series against the
# baseline tree, and (optionally) sync the result into a kernel tree.
#
#   series.sh BASELINE OUTDIR [TREE [N]]
#
# Each directory patches/NN-name/ is one patch:
#   message        subject line, blank line, body (series.sh adds the
#                  Signed-off-by)
#   message-X.Y    the same for the X.Y form, where it says more (a
#                  backport's note; objdir.sh's patch_message)
#   files          our files (repository paths = kernel paths): new ones,
#                  or baseline files that the patch rewrites as a whole
#   upstream.diff  small diff to baseline files (may be empty)
#   upstream-X.Y.diff  the same for the X.Y baseline (6.12, mainline),
#                  where that of the nearest older baseline does not
#                  apply there or X.Y needs more; it may also change our
#                  files, where X.Y's interfaces differ (objdir.sh's
#                  patch_diff picks a patch's diff)
# patches/cover-letter is the cover letter (subject line, blank, body);
# series.sh adds a closing "base:" line naming the baseline's package.
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

# shellcheck source=objdir.sh
. "$REPO/scripts/xen-unpopulated/objdir.sh"

# upstream_diff DIR: the diff of patch DIR for this baseline
upstream_diff() {
	patch_diff "$1" "$BL"
}

rm -rf "$WORK" "$OUT"/*.patch
mkdir -p "$WORK"

# Every patch's author and Signed-off-by is whoever makes the series:
# git's own user.name and user.email (the repository's configuration,
# then the global one), or SERIES_IDENTITY="Name <address>", which the
# harness sets to its stated test identity (objdir.sh's TEST_IDENTITY)
# for the series it builds and checks.  patches/*/message carries no
# Signed-off-by.  Dates come from the repository's last commit, so the
# series is the same on any machine.
if [ -n "${SERIES_IDENTITY:-}" ]; then
	ID_NAME=${SERIES_IDENTITY% <*}
	ID_EMAIL=${SERIES_IDENTITY##*<}
	ID_EMAIL=${ID_EMAIL%>}
else
	ID_NAME=$(git -C "$REPO" config user.name || true)
	ID_EMAIL=$(git -C "$REPO" config user.email || true)
fi
case $ID_EMAIL in
*@*) [ -n "$ID_NAME" ] && [ "$ID_NAME" != "${SERIES_IDENTITY:-}" ] ;;
*) false ;;
esac || {
	echo "series: no identity for the patches' author and Signed-off-by:" \
		"set git config user.name and user.email (or" \
		"SERIES_IDENTITY=\"Name <address>\")" >&2
	exit 1
}
SERIES_DATE=$(git -C "$REPO" log -1 --format=%cI 2>/dev/null || date -Iseconds)
export GIT_AUTHOR_DATE=$SERIES_DATE GIT_COMMITTER_DATE=$SERIES_DATE
export GIT_AUTHOR_NAME=$ID_NAME GIT_AUTHOR_EMAIL=$ID_EMAIL
export GIT_COMMITTER_NAME=$ID_NAME GIT_COMMITTER_EMAIL=$ID_EMAIL

git_w() {
	git -C "$WORK" -c core.autocrlf=false -c user.useConfigOnly=false "$@"
}

# signed MESSAGE: MESSAGE with the Signed-off-by of the identity, in its
# trailer block when it ends with one (Fixes:, Cc:), else after a blank
# line.  It runs in a pipeline: the caller checks MESSAGE first.
signed() {
	cat "$1"
	tail -n 1 "$1" | grep -q '^[A-Za-z-]*: ' || echo
	echo "Signed-off-by: $ID_NAME <$ID_EMAIL>"
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
# The baseline's kernel version, X.Y.Z.
KVER=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$BASE/Makefile" | paste -sd.)
git_w commit -q --allow-empty -m "baseline: $KVER"

git_w checkout -q -b series
# The cover letter ends with the tree the series applies to: Debian's
# package, its version, and the kernel version it holds.
BL_VERSION=$(cat "$BASE/.xen-unpopulated-baseline" 2>/dev/null || echo unknown)
git_w config branch.series.description "$(cat "$REPO/patches/cover-letter"
	echo
	echo "base: linux-source-$BL $BL_VERSION (Linux $KVER)")"

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
	msg=$(patch_message "$dir" "$BL")
	if grep -q 'Signed-off-by:' "$msg"; then
		echo "series: $name: ${msg##*/} carries a Signed-off-by; the series adds it" >&2
		exit 1
	fi
	signed "$msg" | git_w commit -q -F - ||
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
