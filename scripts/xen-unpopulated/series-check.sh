#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that every patch of the series builds: the ours tree is stepped
# through the series, one incremental build a patch, then put back to the
# whole series.  TAP, one line a patch.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
nr=$(ls -d "$REPO"/patches/[0-9]*/ | wc -l)
failed=0

for n in $(seq 1 "$nr"); do
	name=$(basename "$(ls -d "$REPO"/patches/[0-9]*/ | sed -n "${n}p")")
	if log=$("$HERE/build-kernel.sh" "step:$n" 2>&1); then
		echo "ok $n - builds with patches 1..$n (up to $name)"
	else
		failed=$((failed + 1))
		echo "not ok $n - builds with patches 1..$n (up to $name)"
		echo "$log" | grep -E "error|Error|did not stick" | head -20 | sed 's/^/#   /'
	fi
done
"$HERE/build-kernel.sh" ours > /dev/null 2>&1 ||
	{ echo "not ok $((nr + 1)) - whole series builds again"; failed=$((failed + 1)); nr=$((nr + 1)); }
echo "1..$nr"
echo "# series-check: $((nr - failed)) passed, $failed failed"
[ $failed -eq 0 ]
