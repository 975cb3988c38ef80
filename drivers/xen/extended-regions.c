// SPDX-License-Identifier: GPL-2.0
/*
 * Xen extended regions: normalisation of the guest-physical ranges that
 * the hypervisor advertises as safe for grant and foreign mappings.
 *
 * Everything in this file is a pure function on arrays of struct range
 * (inclusive ends).  The device tree glue lives with the architecture; the
 * same file is built into tools/xen/xen-extregions for use on the host.
 */

#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/sort.h>
#include <xen/extended-regions.h>

/**
 * xen_ext_region_from_reg() - turn one "reg" entry into an inclusive range
 * @base: first address of the entry, as read from the device tree
 * @size: size of the entry in bytes
 * @region: where to store the range; untouched when the entry is rejected
 *
 * A region may end at the very top of the address space, but it may not
 * wrap past it.
 *
 * Return: true if @region was filled in, false for a zero-sized entry or
 * one whose last byte would lie beyond 2^64 - 1.
 */
bool xen_ext_region_from_reg(u64 base, u64 size, struct range *region)
{
	u64 last;

	if (!size)
		return false;

	last = base + (size - 1);
	if (last < base)
		return false;

	region->start = base;
	region->end = last;
	return true;
}

/* True when @next starts inside @prev or right after its last byte. */
static bool xen_ext_regions_touch(const struct range *prev,
				  const struct range *next)
{
	return next->start <= prev->end || next->start - 1 == prev->end;
}

static int xen_ext_region_cmp(const void *a, const void *b)
{
	const struct range *ra = a, *rb = b;

	if (ra->start != rb->start)
		return ra->start < rb->start ? -1 : 1;
	if (ra->end != rb->end)
		return ra->end < rb->end ? -1 : 1;
	return 0;
}

/**
 * xen_ext_regions_normalize() - sort and merge extended regions in place
 * @regions: array of ranges with inclusive ends
 * @nr: number of entries in @regions
 *
 * Entries whose start lies above their end are dropped.  The rest are
 * sorted by start address, and regions that overlap or touch (one ends at
 * the byte before the next starts) are merged, so that every gap left
 * between two consecutive entries is at least one byte long.
 *
 * Return: the number of regions left at the front of @regions.
 */
unsigned int xen_ext_regions_normalize(struct range *regions,
				       unsigned int nr)
{
	unsigned int i, kept = 0;

	for (i = 0; i < nr; i++)
		if (regions[i].start <= regions[i].end)
			regions[kept++] = regions[i];
	if (!kept)
		return 0;

	sort(regions, kept, sizeof(*regions), xen_ext_region_cmp, NULL);

	nr = kept;
	kept = 0;
	for (i = 1; i < nr; i++) {
		struct range *last = &regions[kept];

		if (xen_ext_regions_touch(last, &regions[i]))
			last->end = max(last->end, regions[i].end);
		else
			regions[++kept] = regions[i];
	}
	return kept + 1;
}

/**
 * xen_ext_regions_holes() - list the gaps between consecutive regions
 * @regions: sorted, non-overlapping ranges, as left by
 *	xen_ext_regions_normalize()
 * @nr: number of entries in @regions
 * @holes: array with room for @nr - 1 entries, receives the gaps
 *
 * Pairs that overlap or touch have no gap and are skipped, so the result
 * is safe even for input that was not normalised.
 *
 * Return: the number of entries stored in @holes.
 */
unsigned int xen_ext_regions_holes(const struct range *regions,
				   unsigned int nr, struct range *holes)
{
	unsigned int i, found = 0;

	for (i = 1; i < nr; i++) {
		if (xen_ext_regions_touch(&regions[i - 1], &regions[i]))
			continue;
		holes[found].start = regions[i - 1].end + 1;
		holes[found].end = regions[i].start - 1;
		found++;
	}
	return found;
}

/**
 * xen_ext_region_clamp() - the part of a region an allocator can use
 * @region: the region, inclusive end
 * @limit: the range the caller may use, such as the hotpluggable range
 *	from mhp_get_pluggable_range(); inclusive end
 * @granule: allocation granule in bytes, a power of two
 * @usable: receives the usable part; untouched when nothing is usable
 *
 * The region is intersected with @limit, then its start is rounded up and
 * its end + 1 rounded down to @granule, without ever computing a value
 * past 2^64 - 1.
 *
 * Return: true if at least one whole granule is left, false otherwise or
 * if @granule is not a power of two.
 */
bool xen_ext_region_clamp(const struct range *region,
			  const struct range *limit, u64 granule,
			  struct range *usable)
{
	u64 mask = granule - 1;
	u64 start, end;

	if (!granule || (granule & mask))
		return false;

	start = max(region->start, limit->start);
	end = min(region->end, limit->end);
	if (start > end)
		return false;

	if (start & mask) {
		if ((start | mask) == U64_MAX)
			return false;
		start = (start | mask) + 1;
	}
	if ((end & mask) != mask) {
		if (end < granule)
			return false;
		end = (end & ~mask) - 1;
	}
	if (start > end)
		return false;

	usable->start = start;
	usable->end = end;
	return true;
}

#ifdef CONFIG_XEN_EXTENDED_REGIONS_KUNIT_TEST
#include "extended-regions-test.h"
#endif
