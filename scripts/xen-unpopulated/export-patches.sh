#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The way back from a series to this repository: write patches/ and our
# files from the git repository series.sh builds (out/series/git), after
# its commits were edited there (git commit --amend, rebase -i, ...).
#
#   export-patches.sh SERIES_GIT [PATCHES_DIR]
#
# For each commit of baseline..series, in order, patches/NN-name/ gets:
#   message        the commit message
#   files          kept as it is (which of our files the patch owns)
#   upstream.diff  the commit's diff to every other file
# and each of our files is copied from the series' last commit to its
# path in the repository.  With PATCHES_DIR only that directory is
# written (our files are left alone): the staleness check uses it.

set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
GIT=$(cd "$1" && pwd)
DEST=${2:-$REPO/patches}

g() {
	git -C "$GIT" -c core.quotepath=false "$@"
}

mapfile -t dirs < <(ls -d "$REPO"/patches/[0-9]*/)
mapfile -t commits < <(g rev-list --reverse baseline..series)
[ "${#dirs[@]}" -eq "${#commits[@]}" ] || {
	echo "export-patches: ${#commits[@]} commits for ${#dirs[@]} patches" >&2
	exit 1
}

mapfile -t ours < <(cat "$REPO"/patches/[0-9]*/files | grep -v '^#')
excl=()
for f in "${ours[@]}"; do
	excl+=(":(exclude)$f")
done

for i in "${!commits[@]}"; do
	c=${commits[$i]}
	name=$(basename "${dirs[$i]}")
	out=$DEST/$name
	mkdir -p "$out"
	[ "$DEST" = "$REPO/patches" ] || cp "${dirs[$i]}/files" "$out/files"
	g log -1 --format=%B "$c" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$out/message"
	g diff --no-color --no-ext-diff --full-index --no-renames \
		"$c~1" "$c" -- . "${excl[@]}" > "$out/upstream.diff"
done

if [ "$DEST" = "$REPO/patches" ]; then
	for f in "${ours[@]}"; do
		g show "series:$f" > "$REPO/$f"
	done
fi
echo "export-patches: ${#commits[@]} patches written to $DEST"
