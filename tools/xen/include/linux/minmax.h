/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_XEN_LINUX_MINMAX_H
#define _TOOLS_XEN_LINUX_MINMAX_H

/* Each argument evaluated once, as in the kernel. */
#define min(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a > _b ? _a : _b; })

#endif
