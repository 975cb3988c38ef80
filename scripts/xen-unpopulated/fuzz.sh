#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the libFuzzer harnesses of tools/xen/fuzz and run each, from the
# seed corpus in tools/xen/fuzz/seeds.  TAP, one line a harness: ok when
# libFuzzer ends without a sanitizer report or a broken invariant (both
# abort), with the number of executions.
#
#   fuzz.sh --runs N [--seed S]    a fixed slice (make test: reproducible)
#   fuzz.sh --time SECONDS         a longer run (make fuzz), corpus kept
#
# Findings are written to build/fuzz/artifacts/.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/build}
BASE=$OUT/linux-source-6.1
DIR=$OUT/fuzz
SEEDS=$REPO/tools/xen/fuzz/seeds
runs= time= seed=1

while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--time) time=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	*) echo "usage: $0 --runs N | --time SECONDS [--seed S]" >&2; exit 2 ;;
	esac
done
[ -n "$runs$time" ] || { echo "usage: $0 --runs N | --time SECONDS [--seed S]" >&2; exit 2; }

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || echo "$3" | tail -n 25 | sed 's/^/#   /'
	fi
}

log=$(make -C "$REPO/tools/xen" fuzz OUTPUT="$DIR/" \
	LIBFDT_SRC="$BASE/scripts/dtc/libfdt" TOOLS_INCLUDE="$BASE/tools/include" 2>&1)
ok $? "fuzz: harnesses build with ASan, UBSan and libFuzzer" "$log"
[ $failed -eq 0 ] || { echo "1..$n"; exit 1; }

# Seeds: the text lines of regions.txt as bytes, the .dts compiled.
mkdir -p "$DIR/seeds-regions" "$DIR/seeds-dtb" "$DIR/artifacts"
python3 - "$SEEDS/regions.txt" "$DIR/seeds-regions" <<'PY'
import struct, sys
for i, line in enumerate(l for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")):
    v = [int(x, 16) for x in line.split()]
    data = bytes([v[0]]) + b"".join(struct.pack("<Q", x) for x in v[1:])
    open("%s/seed-%d" % (sys.argv[2], i), "wb").write(data)
PY
for f in "$SEEDS"/*.dts; do
	dtc -q -I dts -O dtb -o "$DIR/seeds-dtb/$(basename "$f" .dts).dtb" "$f"
done

for h in regions dtb; do
	if [ -n "$runs" ]; then
		# A fresh corpus each time: the same seed gives the same run.
		corpus=$DIR/slice-$h
		rm -rf "$corpus"
		cp -r "$DIR/seeds-$h" "$corpus"
		limit=(-runs="$runs")
	else
		corpus=$DIR/corpus-$h
		mkdir -p "$corpus"
		cp -n "$DIR/seeds-$h"/* "$corpus"/
		limit=(-max_total_time="$time")
	fi
	out=$("$DIR/fuzz-$h" -seed="$seed" "${limit[@]}" -max_len=4113 -timeout=10 \
		-artifact_prefix="$DIR/artifacts/$h-" "$corpus" 2>&1)
	rc=$?
	execs=$(echo "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p' | tail -n 1)
	breaks=$(echo "$out" | grep -c "invariant broken")
	ok "$([ $rc -eq 0 ] && [ -n "$execs" ]; echo $?)" \
		"fuzz-$h: ${execs:-?} executions (seed $seed), $breaks invariant breaks, no sanitizer report" \
		"$out"
	echo "# fuzz-$h executions ${execs:-0} invariant_breaks $breaks corpus $(ls "$corpus" | wc -l)"
done
echo "1..$n"
echo "# fuzz: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
