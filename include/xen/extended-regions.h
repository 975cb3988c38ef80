/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Xen extended regions: ranges of guest-physical address space that the
 * hypervisor guarantees to be unused, advertised to Arm guests as entries
 * 1..N of the /hypervisor node's "reg" property (entry 0 is the grant
 * table).
 *
 * The helpers here are pure: no allocation, no locking, no device tree.
 * They are shared by the kernel, its KUnit suite and the host tool
 * tools/xen/xen-extregions.  All ends are inclusive, as in struct range.
 */
#ifndef _XEN_EXTENDED_REGIONS_H
#define _XEN_EXTENDED_REGIONS_H

#include <linux/range.h>
#include <linux/types.h>

/* Index of the first extended region in the /hypervisor "reg" property. */
#define XEN_EXT_REGION_FIRST_INDEX	1

bool xen_ext_region_from_reg(u64 base, u64 size, struct range *region);
unsigned int xen_ext_regions_normalize(struct range *regions,
				       unsigned int nr);
unsigned int xen_ext_regions_holes(const struct range *regions,
				   unsigned int nr, struct range *holes);
bool xen_ext_region_clamp(const struct range *region,
			  const struct range *limit, u64 granule,
			  struct range *usable);

#endif /* _XEN_EXTENDED_REGIONS_H */
