/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_XEN_LINUX_RANGE_H
#define _TOOLS_XEN_LINUX_RANGE_H

#include <linux/types.h>

/* As in the kernel: both ends inclusive. */
struct range {
	u64 start;
	u64 end;
};

#endif
