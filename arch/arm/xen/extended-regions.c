// SPDX-License-Identifier: GPL-2.0
/*
 * Read the extended regions that Xen advertises in the /hypervisor node
 * and turn them into the resource that the unpopulated allocator carves
 * grant and foreign mapping space from.
 *
 * The "reg" property of the node lists the grant table first (entry 0)
 * and then the extended regions (entries 1..N): guest-physical ranges that
 * the hypervisor guarantees hold neither RAM nor MMIO.  The whole span from
 * the lowest to the highest region becomes "Xen unused space"; the holes
 * between regions are inserted into it as busy children, so an allocation
 * from the resource can only ever land inside a region.
 *
 * Anything odd in the device tree (unsorted, overlapping, zero-sized or
 * wrapping entries) is normalised by xen_ext_regions_normalize() and
 * reported; anything unusable makes us return an error, upon which the
 * allocator falls back to ballooned pages.
 */

#define pr_fmt(fmt) "xen: extended regions: " fmt

#include <linux/acpi.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/of.h>
#include <linux/overflow.h>
#include <linux/range.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <xen/extended-regions.h>
#include <xen/xen.h>

static struct resource xen_resource = {
	.name = "Xen unused space",
};

/* What we made of the device tree, kept for debugfs. */
static struct range *xen_regions;
static unsigned int xen_nr_regions;
static struct resource *xen_holes;
static unsigned int xen_nr_holes;

/*
 * Granule in which the unpopulated allocator maps space (2 MiB with 4 KiB
 * pages, more with bigger pages).  A region that holds no whole granule
 * inside the hotpluggable range cannot be used.
 */
#define XEN_EXT_REGION_GRANULE	((u64)xen_unpopulated_granule())

/*
 * Sum the sizes of @nr ranges into @total; true if the sum does not fit.
 * Normalising keeps the sum exactly when no two entries overlapped.
 */
static bool __init xen_ext_regions_total(const struct range *regions,
					 unsigned int nr, u64 *total)
{
	unsigned int i;

	*total = 0;
	for (i = 0; i < nr; i++)
		if (check_add_overflow(*total, range_len(&regions[i]), total))
			return true;
	return false;
}

/*
 * Parse "reg" entries 1..N of @np into a freshly allocated array of
 * normalised regions.  Returns the number of regions, 0 if there are none
 * or a negative errno.
 */
static int __init xen_ext_regions_read(struct device_node *np,
				       struct range **regionsp)
{
	int na = of_n_addr_cells(np), ns = of_n_size_cells(np);
	unsigned int i, nr_entries, nr = 0;
	u64 before, after;
	bool overlap;
	const __be32 *reg;
	struct range *regions;
	int len;

	reg = of_get_property(np, "reg", &len);
	if (!reg || na < 1 || na > 2 || ns < 1 || ns > 2) {
		pr_warn("%pOF: no usable \"reg\" (#address-cells %d, #size-cells %d)\n",
			np, na, ns);
		return -EINVAL;
	}
	if (len % ((na + ns) * sizeof(*reg))) {
		pr_warn("%pOF: \"reg\" is %d bytes, not a whole number of entries\n",
			np, len);
		return -EINVAL;
	}

	nr_entries = len / ((na + ns) * sizeof(*reg));
	if (nr_entries <= XEN_EXT_REGION_FIRST_INDEX)
		return 0;

	regions = kcalloc(nr_entries - XEN_EXT_REGION_FIRST_INDEX,
			  sizeof(*regions), GFP_KERNEL);
	if (!regions)
		return -ENOMEM;

	reg += XEN_EXT_REGION_FIRST_INDEX * (na + ns);
	for (i = XEN_EXT_REGION_FIRST_INDEX; i < nr_entries; i++) {
		u64 base = of_read_number(reg, na);
		u64 size = of_read_number(reg + na, ns);

		reg += na + ns;
		if (!xen_ext_region_from_reg(base, size, &regions[nr])) {
			pr_warn("ignoring entry %u: base 0x%llx size 0x%llx is %s\n",
				i, base, size, size ? "past 2^64" : "empty");
			continue;
		}
		nr++;
	}

	i = nr;
	overlap = xen_ext_regions_total(regions, nr, &before);
	nr = xen_ext_regions_normalize(regions, nr);
	overlap |= xen_ext_regions_total(regions, nr, &after) || after < before;
	/* Entries that merely touch are legal; overlapping ones are not. */
	if (nr < i && overlap)
		pr_warn("merged %u overlapping entries\n", i - nr);
	else if (nr < i)
		pr_debug("merged %u touching entries\n", i - nr);

	*regionsp = regions;
	return nr;
}

/* Insert the holes between @regions into xen_resource as busy ranges. */
static int __init xen_ext_regions_insert_holes(const struct range *regions,
					       unsigned int nr)
{
	struct range *gaps;
	unsigned int i, nr_gaps;
	int rc = 0;

	if (nr < 2)
		return 0;

	gaps = kcalloc(nr - 1, sizeof(*gaps), GFP_KERNEL);
	xen_holes = kcalloc(nr - 1, sizeof(*xen_holes), GFP_KERNEL);
	if (!gaps || !xen_holes) {
		rc = -ENOMEM;
		goto out;
	}

	nr_gaps = xen_ext_regions_holes(regions, nr, gaps);
	for (i = 0; i < nr_gaps; i++) {
		struct resource *hole = &xen_holes[i];

		hole->name = "Xen extended region hole";
		hole->start = gaps[i].start;
		hole->end = gaps[i].end;
		hole->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
		rc = insert_resource(&xen_resource, hole);
		if (rc) {
			pr_warn("cannot insert hole %pR (%d)\n", hole, rc);
			break;
		}
	}

	if (rc) {
		while (i--)
			release_resource(&xen_holes[i]);
	} else {
		xen_nr_holes = nr_gaps;
	}
out:
	kfree(gaps);
	if (rc) {
		kfree(xen_holes);
		xen_holes = NULL;
	}
	return rc;
}

/* True if at least one region holds a whole granule the allocator can map. */
static bool __init xen_ext_regions_usable(const struct range *regions,
					  unsigned int nr)
{
	struct range limit = mhp_get_pluggable_range(true);
	struct range usable;
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (xen_ext_region_clamp(&regions[i], &limit,
					 XEN_EXT_REGION_GRANULE, &usable))
			return true;
	return false;
}

/**
 * arch_xen_unpopulated_init() - provide the Xen resource for scratch pages
 * @res: set to the resource built from the extended regions on success
 *
 * Called once by the unpopulated allocator.  On any error the allocator
 * keeps its fallback: ballooned pages.
 *
 * Return: 0 on success, -ENODEV when not running on Xen with a device tree,
 * -ENOENT when Xen advertises no extended region, -ENOSPC when no region
 * is usable, or another negative errno.
 */
int __init arch_xen_unpopulated_init(struct resource **res)
{
	struct device_node *np;
	struct range *regions = NULL;
	unsigned int i;
	int nr, rc;

	if (!xen_domain())
		return -ENODEV;

	if (!acpi_disabled) {
		pr_info("booted with ACPI, not reading the device tree\n");
		return -ENODEV;
	}

	np = of_find_compatible_node(NULL, NULL, "xen,xen");
	if (!np) {
		pr_warn("no /hypervisor node\n");
		return -ENODEV;
	}
	nr = xen_ext_regions_read(np, &regions);
	of_node_put(np);
	if (nr < 0)
		return nr;
	if (!nr) {
		pr_info("No extended regions are found, using ballooned pages\n");
		kfree(regions);
		return -ENOENT;
	}

	for (i = 0; i < nr; i++)
		pr_info("region %u: 0x%llx-0x%llx\n", i, regions[i].start,
			regions[i].end);

	if (!xen_ext_regions_usable(regions, nr)) {
		pr_warn("no region holds a whole %llu MiB inside the hotpluggable range, using ballooned pages\n",
			XEN_EXT_REGION_GRANULE >> 20);
		rc = -ENOSPC;
		goto err;
	}

	xen_resource.start = regions[0].start;
	xen_resource.end = regions[nr - 1].end;
	xen_resource.flags = IORESOURCE_MEM;

	rc = xen_ext_regions_insert_holes(regions, nr);
	if (rc)
		goto err;

	xen_regions = regions;
	xen_nr_regions = nr;
	*res = &xen_resource;
	return 0;

err:
	kfree(regions);
	return rc;
}

#ifdef CONFIG_DEBUG_FS
static int xen_ext_regions_show(struct seq_file *s, void *unused)
{
	struct range limit = mhp_get_pluggable_range(true);
	struct range usable;
	unsigned int i;

	seq_printf(s, "span 0x%llx 0x%llx\n", (u64)xen_resource.start,
		   (u64)xen_resource.end);
	seq_printf(s, "limit 0x%llx 0x%llx\n", limit.start, limit.end);
	seq_printf(s, "granule 0x%llx\n", XEN_EXT_REGION_GRANULE);
	for (i = 0; i < xen_nr_regions; i++)
		seq_printf(s, "region 0x%llx 0x%llx\n", xen_regions[i].start,
			   xen_regions[i].end);
	for (i = 0; i < xen_nr_holes; i++) {
		const struct resource *hole = &xen_holes[i];

		seq_printf(s, "hole 0x%llx 0x%llx %s\n", (u64)hole->start,
			   (u64)hole->end,
			   hole->parent == &xen_resource &&
			   (hole->flags & IORESOURCE_BUSY) ? "busy" : "free");
	}
	for (i = 0; i < xen_nr_regions; i++)
		if (xen_ext_region_clamp(&xen_regions[i], &limit,
					 XEN_EXT_REGION_GRANULE, &usable))
			seq_printf(s, "usable 0x%llx 0x%llx\n", usable.start,
				   usable.end);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xen_ext_regions);

static int __init xen_ext_regions_debugfs_init(void)
{
	if (!xen_regions)
		return 0;

	debugfs_create_file("extended_regions", 0400, xen_debugfs_dir(), NULL,
			    &xen_ext_regions_fops);
	return 0;
}
late_initcall(xen_ext_regions_debugfs_init);
#endif
