/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tools/include has no struct range: the kernel's, ends inclusive.
 */
#ifndef _TOOLS_XEN_LINUX_RANGE_H
#define _TOOLS_XEN_LINUX_RANGE_H

#include <linux/types.h>

struct range {
	u64 start;
	u64 end;
};

#endif
