# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the test scripts.  step NAME COMMAND...: run COMMAND with its
# output in $RES/NAME.log and one TAP line for it, with the seconds it
# took, in $RES/NAME$STEP_TAP_SUFFIX.tap; on failure, the log's tail on
# stdout.
#
# ALL_KUNIT and KSELFTESTS: the xenboot.py check arguments for every
# KUnit suite of the series (with its number of cases) and every
# kselftest, which a dom0 boot of our kernel runs.  DEBUGFS_OURS: what
# the series puts in debugfs's shared xen/ directory on every
# architecture; DEBUGFS_ARM64 adds the Arm glue's file.
ALL_KUNIT=(--kunit xen_extended_regions:25 --kunit xen_unpopulated_alloc:25)
KSELFTESTS=(--kselftest gntdev_unpopulated --kselftest gntdev_dmabuf
	--kselftest gntdev_map_mmap --kselftest gntdev_load)
DEBUGFS_OURS=(--debugfs-has unpopulated/stats --debugfs-has grant_table/dma_unpopulated)
DEBUGFS_ARM64=("${DEBUGFS_OURS[@]}" --debugfs-has extended_regions)
# debugfs_x86 SRC: DEBUGFS_OURS, and x86's p2m dump in the same directory
# where the baseline SRC still has it (CONFIG_XEN_DEBUG_FS, before 7.x)
debugfs_x86() {
	echo "${DEBUGFS_OURS[@]}"
	grep -q '^config XEN_DEBUG_FS$' "$1/arch/x86/xen/Kconfig" &&
		echo --debugfs-has mmu/p2m
}

step() {
	local name=$1 t0=$SECONDS
	shift
	if "$@" > "$RES/$name.log" 2>&1; then
		echo "ok 1 - $name ($((SECONDS - t0)) s)" > "$RES/$name${STEP_TAP_SUFFIX:-}.tap"
		return 0
	fi
	echo "not ok 1 - $name ($((SECONDS - t0)) s, see $RES/$name.log)" > "$RES/$name${STEP_TAP_SUFFIX:-}.tap"
	tail -n 30 "$RES/$name.log"
	return 1
}
