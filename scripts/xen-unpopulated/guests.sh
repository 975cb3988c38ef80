#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make guests: real domUs started by Xen's own toolstack in dom0 (4.17;
# XEN=4.20: Debian 13's hypervisor and toolstack, names ending -xen4.20),
# their PV disks and networks served by dom0's blkback and netback, on
# our kernel and on the stock one, in three layouts:
#
#   guests            Xen's extended regions (the default layout); the
#                     first domU also checks its own regions and runs the
#                     series' kselftests on its own pool
#   guests-no-regions Xen's ext_regions=no: everything falls back to
#                     ballooned pages and still works
#   guests-small      xenboot.py's layout "small": no region holds an
#                     aligned 128 MiB (the stock allocator's unit)
#
# each as ours and as "-stock", TAP into $OUT/results/, every console
# (Xen's, dom0's, each domU's) in a file of its own there.  What stock
# does is reported beside ours, not asserted; a boot whose console stays
# silent for $STALL seconds (a hung dom0) is stopped there.  With
# --one KERNEL MEM DOM0_MEM XEN_CMDLINE (make guests with any of those
# set) it runs that one boot, in $LAYOUT.  $SCENARIOS, if set, names the
# scenarios to run (the test command runs ours only: "guests
# guests-small").  Ends with "N passed, N failed".
#
# Figures (make bench): guests.py figures LOG.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export OUT=${OUT:-$REPO/build}
RES=$OUT/results
CYCLES=${CYCLES:-10}
MIB=${MIB:-64}
GUEST_MEM=${GUEST_MEM:-96}
BOOT_TIMEOUT=${TIMEOUT:-900}
STALL=${STALL:-180}
mkdir -p "$RES"
# The guests need the arm64 configuration whole (objdir.sh).
unset CONF GUESTS_CONFIG

# shellcheck source=step.sh
. "$HERE/step.sh"

one=
if [ "${1:-}" = --one ]; then
	one=1
	unset SCENARIOS
	ONE_KERNEL=$2 ONE_MEM=$3 ONE_DOM0_MEM=$4 ONE_XEN=$5
fi

# The kernels the scenarios to run boot: the --one kernel, those of
# $SCENARIOS (stock's names end in -stock), or both.
kinds="ours stock"
if [ -n "$one" ]; then
	kinds=$ONE_KERNEL
elif [ -n "${SCENARIOS:-}" ]; then
	kinds=$(for s in $SCENARIOS; do
		case $s in *-stock) echo stock ;; *) echo ours ;; esac
	done | sort -u)
fi

# Kernels and initramfs, unless the test command built them already.
if [ -z "${GUESTS_BUILT:-}" ]; then
	for k in $kinds; do
		step "build-kernel-$k" "$HERE/build-kernel.sh" "$k" || exit 1
	done
	step build-initramfs "$HERE/mkinitramfs.sh" "$OUT/initrd.cpio.gz" || exit 1
fi
for k in $kinds; do
	read -r obj image < <("$HERE/objdir.sh" arm64 "$k")
	grep -qx CONFIG_XEN_NETDEV_BACKEND=y "$OUT/$obj/.config" 2>/dev/null || {
		echo "guests: $OUT/$obj is not configured for guests (no netback)" >&2
		exit 1
	}
	"$HERE/guest-initrd.sh" "$OUT/$obj/$image" \
		"$OUT/initrd-guests-$k.cpio.gz" > /dev/null || exit 1
done

# scenario NAME KERNEL MEM DOM0_MEM LAYOUT XEN_OPTIONS CHECK_ARGS...
ran=()	# the TAP files of this run
scenario() {
	local name=$1 kernel=$2 mem=$3 dom0_mem=$4 layout=$5 xen=$6 selftest=0
	shift 6
	case " ${SCENARIOS:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	case " $* " in *" --selftest "*) selftest=1 ;; esac
	# Under Xen 4.20 (XEN=4.20) every name ends in -xen4.20.
	[ "${XEN:-4.17}" = 4.17 ] || name=$name-xen$XEN
	ran+=("$RES/$name.tap")
	"$HERE/xenboot.py" boot --timeout "$BOOT_TIMEOUT" --stall "$STALL" \
		--kernel "$("$HERE/objdir.sh" --image arm64 "$kernel")" \
		--initrd "$OUT/initrd-guests-$kernel.cpio.gz" \
		--mem "$mem" --dom0-mem "$dom0_mem" --layout "$layout" \
		--xen-cmdline "gnttab_max_frames=512 $xen" \
		--dom0-cmdline "xu.tests=none xu.guests=$CYCLES:$MIB:$selftest:$GUEST_MEM" \
		--log "$RES/$name.log" 2>/dev/null
	"$HERE/guests.py" check "$RES/$name.log" --name "$name" \
		--cycles "$CYCLES" --mib "$MIB" --split "$RES/$name" "$@" \
		> "$RES/$name.tap"
	tail -n 1 "$RES/$name.tap"
}

if [ -n "$one" ]; then
	args=()
	[ "$ONE_KERNEL" = stock ] && args+=(--stock)
	case " $ONE_XEN " in *" ext_regions=no "*) args+=(--no-regions) ;; esac
	[ "$ONE_KERNEL" = ours ] && [ ${#args[@]} -eq 0 ] && args+=(--selftest)
	scenario "guests-one-$ONE_KERNEL" "$ONE_KERNEL" "$ONE_MEM" \
		"$ONE_DOM0_MEM" "${LAYOUT:-regions}" "$ONE_XEN" "${args[@]}"
	"$HERE/xenboot.py" tally "${ran[@]}"
	exit
fi

scenario guests ours 2048 512M regions "" --selftest
scenario guests-stock stock 2048 512M regions "" --stock
scenario guests-no-regions ours 2048 512M regions ext_regions=no --no-regions
scenario guests-no-regions-stock stock 2048 512M regions ext_regions=no \
	--stock --no-regions
scenario guests-small ours 2048 512M small ""
scenario guests-small-stock stock 2048 512M small "" --stock
[ -n "${GUESTS_BUILT:-}" ] ||
	"$HERE/xenboot.py" tally "${ran[@]}"
