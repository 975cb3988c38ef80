/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tools/include has no linux/limits.h: the one limit the helpers use.
 */
#ifndef _TOOLS_XEN_LINUX_LIMITS_H
#define _TOOLS_XEN_LINUX_LIMITS_H

#include <stdint.h>

#define U64_MAX UINT64_MAX

#endif
