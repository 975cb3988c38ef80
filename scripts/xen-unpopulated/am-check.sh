#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The series as a maintainer takes it: git am onto a git tree of the
# pristine baseline.  TAP.
#
#   am-check.sh TARBALL SERIESDIR
#
# git am reads only the files a patch touches, so the tree holds those
# files as the tarball ships them (and what get_maintainer.pl needs),
# not the whole baseline: a git tree of all of it took two minutes a
# baseline.  The tarball's list of files stands for the rest: no patch
# may add a file the baseline ships.  The tree is remade whenever the
# baseline's version or the set of files changes.

set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$REPO/build}
TARBALL=$1
SERIES=$(cd "$2" && pwd)
NAME=$(basename "$TARBALL" .tar.xz)
GIT=$OUT/pristine-$NAME
# shellcheck source=objdir.sh
. "$REPO/scripts/xen-unpopulated/objdir.sh"
PKG_VERSION=$(BL_PKG=$NAME baseline_version || stat -c %Y "$TARBALL")
failed=0
n=0

g() {
	git -C "$GIT" -c user.name=xen-unpopulated \
		-c user.email=xen-unpopulated@example.org \
		-c core.autocrlf=false -c advice.detachedHead=false "$@"
}

# ok COND_RC DESCRIPTION [DIAGNOSTIC]
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - am-check: $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - am-check: $2"
		[ -z "${3:-}" ] || echo "$3" | head -n 20 | sed 's/^/#   /'
	fi
}

patches=$(ls "$SERIES"/[0-9]*.patch | grep -v '/0000-cover-letter.patch$')
if [ -z "$patches" ]; then
	ok 1 "a series in $SERIES"
	echo "1..$n"
	exit 1
fi
nr=$(echo "$patches" | wc -l)

# The tarball's files, its top directory left out, once per version;
# the first line names the version and that directory.
LIST=$OUT/pristine-$NAME.files
if [ "$(head -n 1 "$LIST" 2>/dev/null | cut -d' ' -f2)" != "$PKG_VERSION" ]; then
	rm -f "$LIST"
	if xz -T0 -dc "$TARBALL" | tar -t > "$LIST.tmp"; then
		{ echo "# $PKG_VERSION $(head -n 1 "$LIST.tmp" | cut -d/ -f1)"
		  sed -n 's|^[^/]*/\(.*[^/]\)$|\1|p' "$LIST.tmp"; } > "$LIST"
	fi
	rm -f "$LIST.tmp"
	ok "$([ -s "$LIST" ]; echo $?)" "the file list of $NAME $PKG_VERSION"
	[ -s "$LIST" ] || { echo "1..$n"; exit 1; }
else
	ok 0 "the file list of $NAME $PKG_VERSION (kept)"
fi
# What the tree holds: every file a patch touches that the baseline
# ships, and get_maintainer.pl with the files it looks for at the top.
# shellcheck disable=SC2086 # one argument a patch
want=$( { sed -n 's|^diff --git a/\([^ ]*\) b/\(.*\)|\1\n\2|p' $patches
	  printf '%s\n' COPYING CREDITS Kbuild MAINTAINERS Makefile README \
		scripts/get_maintainer.pl; } | sort -u | grep -Fx -f - "$LIST")
stamp="$PKG_VERSION $(echo "$want" | md5sum | cut -c1-32)"
if [ "$(cat "$GIT/.git/xen-unpopulated-baseline" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$GIT"
	mkdir -p "$GIT"
	top=$(head -n 1 "$LIST" | cut -d' ' -f3)
	echo "$want" | sed "s|^|$top/|" > "$GIT.members"
	xz -T0 -dc "$TARBALL" |
		tar -x -C "$GIT" --strip-components=1 -T "$GIT.members" &&
	g init -q -b pristine && g add -A -f &&
	g commit -q -m "$NAME $PKG_VERSION as Debian ships it, the files the series touches" &&
	echo "$stamp" > "$GIT/.git/xen-unpopulated-baseline"
	ok $? "a git tree of the pristine $NAME $PKG_VERSION ($(echo "$want" | wc -l) of its $(($(wc -l < "$LIST") - 1)) files)"
else
	ok 0 "a git tree of the pristine $NAME $PKG_VERSION (kept)"
fi

g am --abort > /dev/null 2>&1
g checkout -q -f pristine && g clean -fdxq && g checkout -q -B am pristine
# shellcheck disable=SC2086 # one argument a patch
log=$(g am --whitespace=error-all $patches 2>&1)
ok $? "git am applies all $nr patches" "$log"
applied=$(g rev-list --count pristine..am)
ok "$([ "$applied" -eq "$nr" ]; echo $?)" "one commit a patch ($applied of $nr)"

# No patch re-creates a file the baseline ships.
recreated=$(for c in $(g rev-list --reverse pristine..am); do
	for f in $(g diff-tree --no-commit-id --diff-filter=A --name-only -r "$c"); do
		grep -qxF "$f" "$LIST" && echo "$f"
	done
done)
ok "$([ -z "$recreated" ]; echo $?)" "no patch adds a file the baseline has" "$recreated"

# What git am produced is our repository's files, byte for byte, but
# where this baseline's diffs change one of them (6.12's or mainline's
# interfaces): that one is as the series made it.
BL=${NAME#linux-source-}
changed=$(for dir in "$REPO"/patches/[0-9]*/; do
	d=$(patch_diff "$dir" "$BL")
	[ "${d##*/}" = upstream.diff ] || cat "$d"
done | sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' | sort -u)
differ=$(for f in $(cat "$REPO"/patches/[0-9]*/files | grep -v '^#'); do
	ref=$REPO/$f
	echo "$changed" | grep -qx "$f" && ref=$SERIES/git/$f
	cmp -s "$GIT/$f" "$ref" || echo "$f"
done)
ok "$([ -z "$differ" ]; echo $?)" "the applied tree holds our files as the repository has them${changed:+, or as the diffs of this baseline change them}" "$differ"

# checkpatch.sh leaves FILE_PATH_CHANGES to this: every file the series
# adds has a maintainer (an M: line from get_maintainer.pl).
# (It looks for these directories at the top; git keeps no empty one.)
(cd "$GIT" && mkdir -p Documentation arch include drivers fs init ipc kernel \
	lib scripts)
orphans=$(for f in $(g diff --diff-filter=A --name-only pristine am); do
	(cd "$GIT" && perl scripts/get_maintainer.pl --no-git --no-rolestats \
		--no-l --no-s -f "$f" 2>/dev/null) | grep -q . || echo "$f"
done)
ok "$([ -z "$orphans" ]; echo $?)" "every file the series adds has a maintainer in MAINTAINERS" "$orphans"

echo "1..$n"
echo "# am-check: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
