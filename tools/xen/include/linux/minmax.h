/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tools/include has min() and max() in linux/kernel.h, not in a
 * linux/minmax.h of their own as the kernel does since 5.10.
 */
#ifndef _TOOLS_XEN_LINUX_MINMAX_H
#define _TOOLS_XEN_LINUX_MINMAX_H

#include <linux/kernel.h>

#endif
