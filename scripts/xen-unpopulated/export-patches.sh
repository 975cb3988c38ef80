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
#   message        the commit message, without the Signed-off-by lines
#                  (series.sh adds the identity of whoever makes it), or
#                  message-6.1 where the patch has one
#   files          kept as it is (which of our files the patch owns)
#   upstream.diff  the commit's diff to every other file
# and each of our files is copied from the series' last commit to its
# path in the repository.  A file may change in several patches (the
# allocator is rewritten step by step): it belongs to the last of them,
# which copies it whole, and the earlier ones carry their changes to it
# in upstream.diff.  A patch after the owner may not change it.  With
# PATCHES_DIR only that directory is written (our files are left alone):
# the staleness check uses it.
#
# A series made on another baseline (make series BASELINE=6.12 or
# BASELINE=mainline) writes only upstream-X.Y.diff, and message-X.Y
# where the patch has one (else its message must be the shared one): what the commit
# changes after the patch's own files were copied from the repository,
# our files included, so an edit to one of our files there is an
# X.Y-only change.  Where the diff of the nearest older baseline
# (objdir.sh's patch_diff) does exactly that already, there is no
# upstream-X.Y.diff.

set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
GIT=$(cd "$1" && pwd)
DEST=${2:-$REPO/patches}

# shellcheck source=objdir.sh
. "$REPO/scripts/xen-unpopulated/objdir.sh"

g() {
	git -C "$GIT" -c core.quotepath=false "$@"
}

# unsigned: a commit message without its Signed-off-by lines and the
# blank lines they leave at the end
unsigned() {
	grep -v '^Signed-off-by: ' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

mapfile -t dirs < <(ls -d "$REPO"/patches/[0-9]*/)
mapfile -t commits < <(g rev-list --reverse baseline..series)
[ "${#dirs[@]}" -eq "${#commits[@]}" ] || {
	echo "export-patches: ${#commits[@]} commits for ${#dirs[@]} patches" >&2
	exit 1
}

mapfile -t ours < <(cat "$REPO"/patches/[0-9]*/files | grep -v '^#')

BL=$(g log -1 --format=%s baseline | sed -n 's/^baseline: \([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$BL" ] || { echo "export-patches: no baseline version in $GIT" >&2; exit 1; }

if [ "$BL" != 6.1 ]; then
	idx=$(mktemp)
	trap 'rm -f "$idx"' EXIT
	for i in "${!commits[@]}"; do
		c=${commits[$i]}
		dir=${dirs[$i]}
		out=$DEST/$(basename "$dir")
		mkdir -p "$out"
		[ "$DEST" = "$REPO/patches" ] || cp "$dir/files" "$out/files"
		# The tree series.sh applies the diff to: the commit's parent
		# with the patch's own files as the repository has them.
		GIT_INDEX_FILE=$idx g read-tree "$c~1"
		for f in $(grep -v '^#' "$dir/files" || true); do
			mode=100644
			[ -x "$REPO/$f" ] && mode=100755
			GIT_INDEX_FILE=$idx g update-index --add --cacheinfo \
				"$mode,$(g hash-object -w "$REPO/$f"),$f"
		done
		from=$(GIT_INDEX_FILE=$idx g write-tree)
		same=y
		older=$(patch_diff "$dir" "$BL" below)
		[ ! -s "$older" ] ||
			GIT_INDEX_FILE=$idx g apply --cached "$older" 2>/dev/null ||
			same=n
		[ "$(GIT_INDEX_FILE=$idx g write-tree)" = "$(g rev-parse "$c^{tree}")" ] ||
			same=n
		if [ $same = y ]; then
			rm -f "$out/upstream-$BL.diff"
		else
			g diff --no-color --no-ext-diff --full-index --no-renames \
				"$from" "$c" > "$out/upstream-$BL.diff"
		fi
		msg=$(patch_message "$dir" "$BL")
		if [ "$msg" != "$dir/message" ]; then
			g log -1 --format=%B "$c" | unsigned > "$out/${msg##*/}"
		elif ! g log -1 --format=%B "$c" | unsigned | cmp -s - "$msg"; then
			echo "export-patches: $(basename "$dir"): the message differs from patches/; messages are shared, edit them in a 6.1 series (or give this form its own: message-$BL)" >&2
			exit 1
		fi
	done
	echo "export-patches: ${#commits[@]} patches ($BL) written to $DEST"
	exit 0
fi

owned=()	# files of the patches before this one
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	name=$(basename "${dirs[$i]}")
	out=$DEST/$name
	mkdir -p "$out"
	[ "$DEST" = "$REPO/patches" ] || cp "${dirs[$i]}/files" "$out/files"
	msg=$(patch_message "${dirs[$i]}" 6.1)
	g log -1 --format=%B "$c" | unsigned > "$out/${msg##*/}"
	mapfile -t own < <(grep -v '^#' "${dirs[$i]}/files" || true)
	excl=()
	for f in "${own[@]}"; do
		excl+=(":(exclude)$f")
	done
	for f in "${owned[@]}"; do
		if ! g diff --quiet "$c~1" "$c" -- "$f"; then
			echo "export-patches: $name changes $f, which an earlier patch owns: list it in the files of the last patch that changes it" >&2
			exit 1
		fi
	done
	owned+=("${own[@]}")
	g diff --no-color --no-ext-diff --full-index --no-renames \
		"$c~1" "$c" -- . "${excl[@]}" > "$out/upstream.diff"
done

if [ "$DEST" = "$REPO/patches" ]; then
	for f in "${ours[@]}"; do
		g show "series:$f" > "$REPO/$f"
	done
fi
echo "export-patches: ${#commits[@]} patches written to $DEST"
