#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests for xen-extregions: device trees written here, compiled with dtc,
# and the exact output (or error) checked.  Prints TAP.
#
#   run.sh [PATH_TO_xen-extregions]

set -u

TOOL=${1:-$(dirname "$0")/../xen-extregions}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
failed=0

# dts BODY [ACELLS SCELLS]: a tree with a /hypervisor node whose reg is BODY
dts() {
	cat <<EOT
/dts-v1/;
/ {
	#address-cells = <${2:-2}>;
	#size-cells = <${3:-2}>;
	hypervisor {
		compatible = "xen,xen-4.17", "xen,xen";
		reg = <$1>;
	};
};
EOT
}

dtb() {
	dtc -q -I dts -O dtb -o "$TMP/t.dtb" - || { echo "dtc failed" >&2; return 1; }
	echo "$TMP/t.dtb"
}

# check NAME WANT_RC WANT_STDOUT STDERR_PATTERN -- ARGS...
check() {
	local name=$1 want_rc=$2 want_out=$3 err_pat=$4 rc
	shift 5
	n=$((n + 1))
	"$TOOL" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		echo "not ok $n - $name # exit $rc, wanted $want_rc"
		sed 's/^/# /' "$TMP/err"
	elif [ "$(cat "$TMP/out")" != "$want_out" ]; then
		echo "not ok $n - $name # wrong output"
		diff <(echo "$want_out") "$TMP/out" | sed 's/^/# /'
	elif [ -n "$err_pat" ] && ! grep -q -- "$err_pat" "$TMP/err"; then
		echo "not ok $n - $name # stderr lacks '$err_pat'"
		sed 's/^/# /' "$TMP/err"
	elif [ -z "$err_pat" ] && [ -s "$TMP/err" ]; then
		echo "not ok $n - $name # unexpected stderr"
		sed 's/^/# /' "$TMP/err"
	else
		echo "ok $n - $name"
		return
	fi
	failed=$((failed + 1))
}

GT="0 0x40200000 0 0x40000"	# region 0: the grant table

echo "TAP version 13"

# The layout Xen 4.17 gives dom0 under QEMU with -m 2048, dom0_mem=512M.
f=$(dts "$GT 0 0x40400000 0 0x1fc00000 0 0x80000000 0 0x40000000" | dtb)
check "qemu layout" 0 "region 0x40400000 0x5fffffff
region 0x80000000 0xbfffffff
hole 0x60000000 0x7fffffff
usable 0x40400000 0x5fffffff
usable 0x80000000 0xbfffffff" "" -- "$f"

check "qemu layout, 128 MiB granule" 0 "region 0x40400000 0x5fffffff
region 0x80000000 0xbfffffff
hole 0x60000000 0x7fffffff
usable 0x48000000 0x5fffffff
usable 0x80000000 0xbfffffff" "" -- --granule 0x8000000 "$f"

check "range clips and drops" 0 "region 0x40400000 0x5fffffff
region 0x80000000 0xbfffffff
hole 0x60000000 0x7fffffff
usable 0x50000000 0x5fffffff" "" -- --range 0x50000000-0x7fffffff "$f"

check "granule of one page" 0 "region 0x40400000 0x5fffffff
region 0x80000000 0xbfffffff
hole 0x60000000 0x7fffffff
usable 0x40401000 0x5fffffff
usable 0x80000000 0x80000fff" "" -- --granule 4096 --range 0x40400123-0x80000fff "$f"

# Seed 000's ten regions, given in reverse order.
f=$(dts "$GT 0x7 0x80000000 0xf8 0x80000000 0x6 0x80000000 0 0x80000000 \
	0x5 0x80000000 0 0x80000000 0x1 0 0x4 0 0 0xf1200000 0 0xbe00000 \
	0 0xe7800000 0 0x4800000 0 0xd0000000 0 0x16000000 \
	0 0x40000000 0 0x7e00000 0 0xc000000 0 0x24000000 0 0 0 0x8000000" | dtb)
check "seed 000 regions, unsorted" 0 "region 0x0 0x7ffffff
region 0xc000000 0x2fffffff
region 0x40000000 0x47dfffff
region 0xd0000000 0xe5ffffff
region 0xe7800000 0xebffffff
region 0xf1200000 0xfcffffff
region 0x100000000 0x4ffffffff
region 0x580000000 0x5ffffffff
region 0x680000000 0x6ffffffff
region 0x780000000 0xffffffffff
hole 0x8000000 0xbffffff
hole 0x30000000 0x3fffffff
hole 0x47e00000 0xcfffffff
hole 0xe6000000 0xe77fffff
hole 0xec000000 0xf11fffff
hole 0xfd000000 0xffffffff
hole 0x500000000 0x57fffffff
hole 0x600000000 0x67fffffff
hole 0x700000000 0x77fffffff
usable 0x40000000 0x47dfffff
usable 0xd0000000 0xe5ffffff
usable 0xe7800000 0xebffffff
usable 0xf1200000 0xfcffffff
usable 0x100000000 0x4ffffffff
usable 0x580000000 0x5ffffffff
usable 0x680000000 0x6ffffffff
usable 0x780000000 0xffffffffff" "" -- --range 0x40000000-0x80003fffffff "$f"

f=$(dts "$GT" | dtb)
check "only the grant table" 0 "" "" -- "$f"

f=$(dts "$GT 0 0x80000000 0 0x10000000 0 0x88000000 0 0x10000000 \
	0 0x98000000 0 0x8000000 0 0xa0000000 0 0x200000" | dtb)
check "overlapping and touching merged" 0 "region 0x80000000 0xa01fffff
usable 0x80000000 0xa01fffff" "" -- "$f"

f=$(dts "$GT 0 0x80000000 0 0 0xffffffff 0xfff00000 0 0x200000 \
	0 0x90000000 0 0x400000" | dtb)
check "zero-sized and wrapping dropped" 0 "region 0x90000000 0x903fffff
usable 0x90000000 0x903fffff" "ignoring entry 1: base 0x80000000 size 0x0 is empty" -- "$f"
check "wrapping entry named" 0 "region 0x90000000 0x903fffff
usable 0x90000000 0x903fffff" \
	"ignoring entry 2: base 0xfffffffffff00000 size 0x200000 is past 2^64" -- "$f"

f=$(dts "$GT 0xffffffff 0xffc00000 0 0x400000" | dtb)
check "region ending at 2^64 - 1" 0 "region 0xffffffffffc00000 0xffffffffffffffff
usable 0xffffffffffc00000 0xffffffffffffffff" "" -- "$f"

f=$(dts "0x40200000 0x40000 0x50000000 0x1000000 0x60000000 0x100000" 1 1 | dtb)
check "one address and one size cell" 0 "region 0x50000000 0x50ffffff
region 0x60000000 0x600fffff
hole 0x51000000 0x5fffffff
usable 0x50000000 0x50ffffff" "" -- "$f"

# No #address-cells or #size-cells anywhere: Linux reads 1 and 1 (its
# OF_ROOT_NODE_*_CELLS_DEFAULT), not libfdt's 2 and 1, and so must we.
dtc -q -I dts -O dtb -o "$TMP/nocells.dtb" - <<EOT
/dts-v1/;
/ {
	hypervisor {
		compatible = "xen,xen-4.17", "xen,xen";
		reg = <0x40200000 0x40000 0x50000000 0x1000000>;
	};
};
EOT
check "no #address-cells: one cell each, as Linux reads it" 0 "region 0x50000000 0x50ffffff
usable 0x50000000 0x50ffffff" "" -- "$TMP/nocells.dtb"

f=$(dts "$GT 0 0x80000000" | dtb)
check "reg not a whole number of entries" 1 "" "not a whole number" -- "$f"

dtc -q -I dts -O dtb -o "$TMP/nohyp.dtb" - <<'EOT'
/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	memory@40000000 { reg = <0 0x40000000 0 0x20000000>; };
};
EOT
check "no hypervisor node" 1 "" "no Xen hypervisor node" -- "$TMP/nohyp.dtb"
check "missing file" 1 "" "No such file" -- "$TMP/does-not-exist.dtb"
head -c 4096 /dev/urandom > "$TMP/garbage"
check "not a device tree" 1 "" "not a flattened device tree" -- "$TMP/garbage"
: > "$TMP/empty"
check "empty file" 1 "" "not a flattened device tree" -- "$TMP/empty"
head -c 100 "$(dts "$GT" | dtb)" > "$TMP/truncated"
check "truncated device tree" 1 "" "not a flattened device tree" -- "$TMP/truncated"
# The structure block moved off its 4-byte alignment (found by fuzz-dtb):
# libfdt would read misaligned words from it.
python3 -c '
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into(">I", b, 8, struct.unpack_from(">I", b, 8)[0] + 2)
open(sys.argv[2], "wb").write(b)' "$(dts "$GT 0x40000000 0x1000000" | dtb)" "$TMP/misaligned"
check "structure block off its alignment" 1 "" "not a flattened device tree" -- "$TMP/misaligned"
# A property length running past the structure block (found by fuzz-dtb:
# libfdt's offsets overflow and a lookup loops for ever).
python3 -c '
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
off = struct.unpack_from(">I", b, 8)[0]
while struct.unpack_from(">I", b, off)[0] != 3:	# FDT_PROP
	off += 4
struct.pack_into(">I", b, off + 4, 0x7ffffff0)
open(sys.argv[2], "wb").write(b)' "$(dts "$GT 0 0x40400000 0 0x1fc00000" | dtb)" "$TMP/proplen"
check "property length past the structure block" 1 "" "not a flattened device tree" -- \
	"$TMP/proplen"

f=$(dts "$GT 0 0x80000000 0 0x400000" | dtb)
check "granule not a power of two" 2 "" "not a power of two" -- --granule 3000 "$f"
check "granule zero" 2 "" "not a power of two" -- --granule 0 "$f"
check "range upside down" 2 "" "bad --range" -- --range 0x2000-0x1000 "$f"
check "range malformed" 2 "" "bad --range" -- --range 0x1000 "$f"
check "no file given" 2 "" "usage" --

body=$GT
want_r=
want_h=
for i in $(seq 0 255); do
	start=$((0x100000000 + (255 - i) * 0x400000))
	body="$body $((start >> 32)) $((start & 0xffffffff)) 0 0x200000"
done
for i in $(seq 0 255); do
	start=$((0x100000000 + i * 0x400000))
	want_r+=$(printf 'region 0x%x 0x%x' $start $((start + 0x1fffff)))$'\n'
	[ "$i" -lt 255 ] &&
		want_h+=$(printf 'hole 0x%x 0x%x' $((start + 0x200000)) \
			  $((start + 0x3fffff)))$'\n'
done
f=$(dts "$body" | dtb)
"$TOOL" "$f" | grep -v '^usable' > "$TMP/256"
n=$((n + 1))
if [ "$(cat "$TMP/256")" = "$(printf '%s%s' "$want_r" "$want_h" | sed '/^$/d')" ]; then
	echo "ok $n - 256 regions in reverse order"
else
	echo "not ok $n - 256 regions in reverse order"
	failed=$((failed + 1))
fi

echo "1..$n"
echo "# xen-extregions: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
