# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the test scripts.  step NAME COMMAND...: run COMMAND with its
# output in $RES/NAME.log and one TAP line for it, with the seconds it
# took, in $RES/NAME$STEP_TAP_SUFFIX.tap; on failure, the log's tail on
# stdout.

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
