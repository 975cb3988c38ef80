/* SPDX-License-Identifier: GPL-2.0 */
/* Just enough of <linux/types.h> to build kernel helpers on the host. */
#ifndef _TOOLS_XEN_LINUX_TYPES_H
#define _TOOLS_XEN_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

#endif
