#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The applets the dom0 /init and tests use (busybox is arm64, so it cannot
# be asked for its list on an x86 build machine).
echo sh ash cat echo mount umount sed grep awk head tail wc sleep sync \
	poweroff reboot dmesg ls mkdir rm cp test "[" seq tr cut sort uniq \
	printf dd od hexdump free uname true false env date expr xargs
