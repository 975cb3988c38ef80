/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tools/include has no sort(): the C library's qsort() does the same
 * job for the helpers (they pass no swap function).
 */
#ifndef _TOOLS_XEN_LINUX_SORT_H
#define _TOOLS_XEN_LINUX_SORT_H

#include <stdlib.h>

typedef int (*cmp_func_t)(const void *a, const void *b);

/* The kernel's sort() with the default swap is qsort() on the host. */
static inline void sort(void *base, size_t num, size_t size,
			cmp_func_t cmp_func, void *swap_func)
{
	(void)swap_func;
	qsort(base, num, size, cmp_func);
}

#endif
