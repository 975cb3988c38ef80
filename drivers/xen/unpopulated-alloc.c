// SPDX-License-Identifier: GPL-2.0
/*
 * Unpopulated pages: struct pages with no RAM behind them, for grant and
 * foreign mappings.
 *
 * The pool is made of chunks.  Each chunk is a subsection-aligned range of
 * guest-physical address space taken from the Xen resource (the extended
 * regions on Arm, iomem_resource elsewhere), mirrored as busy "Xen scratch"
 * in iomem_resource, and given struct pages with memremap_pages() as
 * MEMORY_DEVICE_GENERIC.  A bitmap per chunk says which pages are in use,
 * so the pool hands out single pages and physically contiguous runs alike.
 *
 * Chunks start at one granule (2 MiB with 4 KiB pages, whose struct pages
 * cost 32 KiB of RAM; see XEN_UNPOP_GRANULE_PAGES for other page sizes)
 * and double up to a section, so a first grant map is cheap and a busy
 * pool has few chunks.  Chunks that become wholly free are handed back,
 * off the hot path, but for a reserve of one granule-sized chunk; their
 * pages' reference counts are frozen before they are unmapped, so that
 * no new reference can be taken meanwhile.
 *
 * A page freed with a reference still held on it (a pin of a buffer
 * that was mapped to user space, an skb fragment) is kept out of service
 * until that reference goes: handing it out again would show the old
 * holder another domain's frame.
 *
 * Without extended regions the space comes from iomem_resource, which
 * does not know what lies in its gaps; there chunks go above 4 GiB and
 * above everything it describes (see xen_unpop_iomem_floor()), and in
 * the initial domain only once the PCI host bridges have claimed their
 * windows: until then the pool does not grow there, and requests fall
 * back to ballooned pages, RAM frames that no window can claim.
 *
 * The architecture may also give the pool pages at boot, by freeing them
 * into it from arch_xen_unpopulated_init(): ordinary struct pages with no
 * RAM behind them (x86 hands over the unpopulated part of Xen's extra
 * memory regions).  These seed pages cost nothing and are served first,
 * but for a stashed page (below).
 *
 * When there is no Xen resource, or the space is exhausted or too
 * fragmented, single pages fall back to ballooned RAM page by page; the
 * free path tells the kinds apart from the pages themselves.
 *
 * A single page of the pool's chunks freed goes to a stash of one page
 * per CPU, where the next single page is taken from, so a backend that
 * maps grants one at a time takes no lock and touches no bitmap.  A
 * stashed page stays in use for the bitmaps; whatever needs them exact
 * (a contiguous run's search, a request the bitmaps fall short of,
 * hand-back, the statistics) puts the stashes back first.
 */

#define pr_fmt(fmt) "xen:unpopulated: " fmt

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/errno.h>
#include <linux/error-injection.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pfn.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <xen/balloon.h>
#include <xen/features.h>
#include <xen/page.h>
#include <xen/xen.h>

/*
 * Pages whose struct pages fill whole pages of the memory map: PAGE_SIZE
 * over the largest power of two dividing sizeof(struct page).
 */
#define XEN_UNPOP_MEMMAP_PAGES \
	(PAGE_SIZE / (sizeof(struct page) & -sizeof(struct page)))
/*
 * Chunks are whole subsections, which is what memremap_pages() accepts,
 * and their struct pages are whole pages of the memory map that no two
 * chunks share: vmemmap_populate_basepages() misses the last page of a
 * range that does not start on a page, and arm64's vmemmap_free() frees
 * every page backing the range it is given, neighbours' struct pages
 * included.  With 4 KiB pages that is a subsection (2 MiB); with 16 KiB
 * pages 4 MiB, with 64 KiB pages 64 MiB, whose struct pages take one
 * page: smaller chunks would cost the same RAM.  (Both counts are powers
 * of two: this is the larger.)
 */
#define XEN_UNPOP_GRANULE_PAGES \
	(DIV_ROUND_UP(XEN_UNPOP_MEMMAP_PAGES, PAGES_PER_SUBSECTION) * \
	 PAGES_PER_SUBSECTION)
/* Largest chunk the pool grows by on its own (a contiguous run may ask more). */
#define XEN_UNPOP_MAX_GROWTH_PAGES	PAGES_PER_SECTION
/* Free pages kept in the pool when handing chunks back. */
#define XEN_UNPOP_RESERVE_PAGES		XEN_UNPOP_GRANULE_PAGES
/* No chunk is smaller: xen_unpop_maybe_hand_back() relies on it. */
static_assert(XEN_UNPOP_RESERVE_PAGES <= XEN_UNPOP_GRANULE_PAGES);
/*
 * The refcount of a MEMORY_DEVICE_GENERIC page that nobody holds:
 * memremap_pages() sets it to 1 and that reference stays the pool's
 * (6.1 and 6.12 alike); users take references of their own on top.
 */
#define XEN_UNPOP_IDLE_REFCOUNT		1
/*
 * Delays before looking again at held pages (ms): from the first, doubled
 * each time some are still held, up to the last.
 */
#define XEN_UNPOP_HELD_RETRY_MS		1000
#define XEN_UNPOP_HELD_RETRY_MAX_MS	64000
/* Runs of seed pages recorded (x86 has up to 128 extra memory regions). */
#define XEN_UNPOP_SEED_RANGES		128

struct xen_unpop_chunk {
	struct dev_pagemap pgmap;
	struct list_head list;
	struct resource res;		/* in target_resource */
	struct resource mirror;		/* in iomem_resource, if not the same */
	unsigned long first_pfn;
	struct page *first_page;	/* first_pfn's: a chunk's are in a row */
	unsigned int nr_pages;
	unsigned int nr_free;
	unsigned int nr_held;		/* pages freed with a reference held */
	unsigned int hint;		/* where to look for a free page first */
	unsigned int run_hint;		/* where to look for a free run first */
	unsigned int run_miss;		/* no free run this long, or 0 */
	unsigned long *held;		/* one bit a held page, after used[] */
	unsigned long used[];		/* one bit a page in use or held */
};

static DEFINE_MUTEX(xen_unpop_lock);
static LIST_HEAD(xen_unpop_chunks);
static struct resource *target_resource;

/*
 * Per-CPU cache of one free page of the pool's chunks, or NULL: what the
 * next single page is taken from.  Its used bit stays set.  Changed with
 * xchg() and cmpxchg() only (a READ_ONCE() may look first), from any CPU:
 * a task may move between taking the pointer and using it, and
 * xen_unpop_drain_stashes() empties every CPU's, so never with the
 * this_cpu_*() operations, which are atomic against the local CPU only.
 * An offline CPU's page waits there for the next drain.
 */
static DEFINE_PER_CPU(struct page *, xen_unpop_stash);
/*
 * The mark of a stashed page, in its zone_device_data, which is the
 * pool's while the page is free (users may leave their own pointer
 * there): a free of a stashed page, a double free, is caught on any CPU.
 */
static const char xen_unpop_stashed_mark;
#define XEN_UNPOP_STASHED	((void *)&xen_unpop_stashed_mark)

/* Frames of the seed pages, written only while the architecture seeds. */
static struct range xen_unpop_seed_range[XEN_UNPOP_SEED_RANGES] __ro_after_init;
static unsigned int xen_unpop_seed_ranges __ro_after_init;
static bool xen_unpop_seeding __ro_after_init;
static LIST_HEAD(xen_unpop_seeds);	/* free seed pages, by page->lru */
/*
 * Seed pages held (freed, or found free, with a reference left) until
 * the reference goes: a bit per seed frame, in the order of the runs,
 * not a list by page->lru, which whoever holds the page may look at.
 * NULL if it could not be allocated; such pages are then dropped.
 */
static unsigned long *xen_unpop_seeds_held;
static unsigned long xen_unpop_seed_frames __ro_after_init;

/*
 * Until the PCI host bridges have claimed their windows in
 * iomem_resource, nothing says where they will lie: the pool does not
 * grow there before (see xen_unpop_space()).
 */
static bool xen_unpop_iomem_settled;
/* Until the balloon is set up, ballooned pages freed wait here. */
static bool xen_unpop_balloon_ready;
static LIST_HEAD(xen_unpop_early_ballooned);	/* by page->lru */

/* A module parameter, read without the lock (READ_ONCE()). */
static unsigned int handback_delay_ms = 1000;
module_param(handback_delay_ms, uint, 0644);
MODULE_PARM_DESC(handback_delay_ms,
		 "Delay before wholly free chunks are handed back (ms)");

/* Everything below is protected by xen_unpop_lock. */
static unsigned int xen_unpop_growth = XEN_UNPOP_GRANULE_PAGES;
static unsigned int xen_unpop_held_delay_ms = XEN_UNPOP_HELD_RETRY_MS;
static struct xen_unpop_stats {
	unsigned long chunks;
	unsigned long pages_total;
	unsigned long pages_free;
	unsigned long contiguous_runs;
	unsigned long contiguous_pages;
	unsigned long fallback_allocs;
	unsigned long fallback_pages;
	unsigned long fallback_pages_in_use;
	unsigned long grow_failures;
	unsigned long handbacks;
	unsigned long handback_pages;
	unsigned long handback_held;
	unsigned long pages_held;
	unsigned long seed_pages;
	unsigned long seed_pages_free;
	unsigned long seed_pages_held;
	unsigned long seed_pages_dropped;
} xen_unpop_stats;

static void xen_unpop_handback_fn(struct work_struct *work);
/*
 * Two works run hand-back: one queued when a free leaves a chunk spare,
 * handback_delay_ms later, and one that looks at held pages again, with
 * a delay that grows while they stay held.  Apart, so that a page held
 * for good does not put off the hand-back of chunks freed meanwhile.
 */
static DECLARE_DELAYED_WORK(xen_unpop_handback_work, xen_unpop_handback_fn);
static DECLARE_DELAYED_WORK(xen_unpop_held_work, xen_unpop_handback_fn);
/* One hand-back at a time; it owns the chunks on xen_unpop_leaving. */
static DEFINE_MUTEX(xen_unpop_handback_lock);
/* Chunks being handed back: off the pool, still in the resources. */
static LIST_HEAD(xen_unpop_leaving);

/* The address of this cookie marks our dev_pagemaps. */
static const char xen_unpop_owner[] = "xen-unpopulated";

#ifdef CONFIG_XEN_UNPOPULATED_ALLOC_KUNIT_TEST
/*
 * Seams for the KUnit suite, compiled with it only and seen from the
 * test's own task only: a cap on the pool's size, and steps run where a
 * race window would open, so that a case opens it at will.
 */
struct xen_unpop_seams {
	struct task_struct *task;
	unsigned long limit;		/* pages the pool may hold, or 0 */
	/* xen_free_unpopulated_pages(): the pool took its pages back */
	void (*after_free)(void);
	/* xen_unpop_hand_back(): before @chunk is unmapped */
	void (*before_unmap)(struct xen_unpop_chunk *chunk);
};

static struct xen_unpop_seams *xen_unpop_seams;

static struct xen_unpop_seams *xen_unpop_seam(void)
{
	struct xen_unpop_seams *seams = READ_ONCE(xen_unpop_seams);

	return seams && seams->task == current ? seams : NULL;
}

static unsigned long xen_unpop_limit(void)
{
	struct xen_unpop_seams *seams = xen_unpop_seam();

	return seams && seams->limit ? seams->limit : ULONG_MAX;
}

static void xen_unpop_seam_after_free(void)
{
	struct xen_unpop_seams *seams = xen_unpop_seam();

	if (seams && seams->after_free)
		seams->after_free();
}

static void xen_unpop_seam_before_unmap(struct xen_unpop_chunk *chunk)
{
	struct xen_unpop_seams *seams = xen_unpop_seam();

	if (seams && seams->before_unmap)
		seams->before_unmap(chunk);
}
#else
static unsigned long xen_unpop_limit(void)
{
	return ULONG_MAX;
}

static void xen_unpop_seam_after_free(void)
{
}

static void xen_unpop_seam_before_unmap(struct xen_unpop_chunk *chunk)
{
}
#endif

static bool xen_unpop_page(const struct page *page)
{
	return is_zone_device_page(page) &&
	       page->pgmap->owner == xen_unpop_owner;
}

static struct xen_unpop_chunk *xen_unpop_chunk_of(const struct page *page)
{
	return container_of(page->pgmap, struct xen_unpop_chunk, pgmap);
}

/* Is @page a seed page, one the architecture gave the pool at boot? */
static bool xen_unpop_seed_page(const struct page *page)
{
	u64 pfn = page_to_pfn(page);
	unsigned int i;

	if (is_zone_device_page(page))
		return false;
	for (i = 0; i < xen_unpop_seed_ranges; i++)
		if (pfn >= xen_unpop_seed_range[i].start &&
		    pfn <= xen_unpop_seed_range[i].end)
			return true;
	return false;
}

/**
 * xen_unpop_seed_record - note a frame in a table of runs of frames
 * @runs: the runs, in the order their frames came
 * @nr: runs in use, updated
 * @max: runs the table holds
 * @pfn: the frame
 *
 * A frame right after the last run's end extends it; any other starts a
 * run of its own, if there is room for one.
 *
 * Return: false if @pfn could not be noted, the table left as it was.
 */
static bool xen_unpop_seed_record(struct range *runs, unsigned int *nr,
				  unsigned int max, u64 pfn)
{
	struct range *last = *nr ? &runs[*nr - 1] : NULL;

	if (last && last->end != U64_MAX && last->end + 1 == pfn) {
		last->end = pfn;
		return true;
	}
	if (*nr == max)
		return false;
	runs[(*nr)++] = (struct range){ .start = pfn, .end = pfn };
	return true;
}

/*
 * Take a page the architecture frees into the pool while it seeds it.
 * One whose frame cannot be recorded is not used at all: it has no RAM
 * behind it, and the balloon, not set up yet, must not have it.  Lock
 * held.
 */
static void xen_unpop_seed(struct page *page)
{
	/* Reserved RAM's pages: the pool's reference, as a chunk's have. */
	if (page_ref_count(page) != XEN_UNPOP_IDLE_REFCOUNT) {
		pr_warn_once("seed page %#lx has a refcount of %d, not used\n",
			     page_to_pfn(page), page_ref_count(page));
		xen_unpop_stats.seed_pages_dropped++;
		return;
	}
	if (!xen_unpop_seed_record(xen_unpop_seed_range, &xen_unpop_seed_ranges,
				   XEN_UNPOP_SEED_RANGES, page_to_pfn(page))) {
		pr_warn_once("too many runs of seed pages, the rest is not used\n");
		xen_unpop_stats.seed_pages_dropped++;
		return;
	}
	list_add_tail(&page->lru, &xen_unpop_seeds);
	xen_unpop_stats.seed_pages++;
	xen_unpop_stats.seed_pages_free++;
}

/* Is @page a ballooned page, one of neither the pool nor the seeds? */
static bool xen_unpop_ballooned(const struct page *page)
{
	return !xen_unpop_page(page) && !xen_unpop_seeding &&
	       !xen_unpop_seed_page(page);
}

/*
 * Give ballooned pages back to the balloon, or, before it is set up,
 * keep them until it is: balloon_init() resets the balloon's counters,
 * which pages on its list would then contradict.
 */
static void xen_unpop_free_ballooned(unsigned int nr, struct page **pages)
{
	unsigned int i;

	if (unlikely(!READ_ONCE(xen_unpop_balloon_ready))) {
		mutex_lock(&xen_unpop_lock);
		if (!xen_unpop_balloon_ready) {
			for (i = 0; i < nr; i++)
				list_add_tail(&pages[i]->lru,
					      &xen_unpop_early_ballooned);
			mutex_unlock(&xen_unpop_lock);
			return;
		}
		mutex_unlock(&xen_unpop_lock);
	}
	xen_free_ballooned_pages(nr, pages);
}

/* Hand-back needs the p2m of a PV guest restored, which we do not do. */
static bool xen_unpop_can_hand_back(void)
{
	return !IS_ENABLED(CONFIG_XEN_HAVE_PVMMU) ||
	       xen_feature(XENFEAT_auto_translated_physmap);
}

static int xen_unpop_invalidate_p2m(unsigned long first_pfn,
				    unsigned int nr_pages)
{
#ifdef CONFIG_XEN_HAVE_PVMMU
	unsigned int i;

	/*
	 * memremap_pages() builds page tables for the new range, so a PV
	 * guest's p2m must hold invalid entries for it first.  They are not
	 * restored on failure: the range is known to be free of devices.
	 */
	if (xen_feature(XENFEAT_auto_translated_physmap))
		return 0;
	for (i = 0; i < nr_pages; i++) {
		if (!set_phys_to_machine(first_pfn + i, INVALID_P2M_ENTRY)) {
			pr_warn("set_phys_to_machine() failed, no memory added\n");
			return -ENOMEM;
		}
	}
#endif
	return 0;
}

static int xen_unpop_alloc_p2m(struct page *page)
{
#ifdef CONFIG_XEN_HAVE_PVMMU
	if (!xen_feature(XENFEAT_auto_translated_physmap))
		return xen_alloc_p2m_entry(page_to_pfn(page));
#endif
	return 0;
}

/* Highest guest-physical address the pool may use: a PV p2m's end. */
static u64 xen_unpop_max_addr(void)
{
#ifdef CONFIG_XEN_HAVE_PVMMU
	if (!xen_feature(XENFEAT_auto_translated_physmap))
		return PFN_PHYS((u64)xen_max_p2m_pfn) - 1;
#endif
	return U64_MAX;
}

/**
 * xen_unpop_iomem_floor - lowest address for chunks from iomem_resource
 * @highest_end: end (inclusive) of the highest range iomem_resource
 *	describes below the pool's highest usable address, other than our
 *	own chunks
 * @granule: chunk alignment in bytes, a power of two
 *
 * iomem_resource knows nothing of what lies in its gaps: firmware flash
 * and other ranges the memory map leaves out below 4 GiB, PCI windows yet
 * to be assigned, MMIO that a PV dom0's p2m maps 1:1.  So the pool takes
 * none of that space: only space above 4 GiB and above everything that
 * iomem_resource describes (RAM, firmware ranges, PCI windows) up to the
 * highest address the pool may use.  A range wholly above that (say an
 * x86 HyperTransport hole at 1 TiB, beyond a PV dom0's p2m) cannot be
 * reached anyway and does not count; one that straddles it does.
 *
 * Return: the lowest address a chunk may start at, granule-aligned, or
 * U64_MAX if there is no such address.
 */
static u64 xen_unpop_iomem_floor(u64 highest_end, u64 granule)
{
	u64 floor = SZ_4G;

	if (highest_end >= floor) {
		if (highest_end > U64_MAX - granule)
			return U64_MAX;
		floor = highest_end + 1;
	}
	return round_up(floor, granule);
}

/* Does @res lie in a chunk on @list?  Lock held. */
static bool xen_unpop_in_chunk(const struct resource *res,
			       const struct list_head *list)
{
	struct xen_unpop_chunk *chunk;

	list_for_each_entry(chunk, list, list)
		if (res->start >= chunk->res.start && res->end <= chunk->res.end)
			return true;
	return false;
}

/*
 * walk_iomem_res_desc() callback: the highest end that is not a chunk,
 * in the pool or on its way out.  Lock held.
 */
static int xen_unpop_note_end(struct resource *res, void *arg)
{
	u64 *highest = arg;

	if (!xen_unpop_in_chunk(res, &xen_unpop_chunks) &&
	    !xen_unpop_in_chunk(res, &xen_unpop_leaving))
		*highest = max_t(u64, *highest, res->end);
	return 0;
}

/**
 * xen_unpop_may_grow_on - may the pool add chunks carved from @target?
 * @target: the resource the space comes from
 * @host: whether this is the initial domain, which has the host's PCI
 *	host bridges
 * @settled: whether those have claimed their windows
 *
 * A Xen resource holds only space that Xen vouches for.  In the initial
 * domain iomem_resource learns where PCI windows lie as the host bridges
 * are set up, so space above everything it describes before then may be
 * a window's (a PVH dom0 maps its grant table at core_initcall).  Until
 * then its requests are served by seed pages and ballooned pages, whose
 * frames are RAM's.  Other guests do not wait: a PVH domU has no host
 * bridge, an HVM guest maps its grant table through the platform PCI
 * device, not this pool, and a PV driver domain's pcifront bus appears
 * only when xenbus connects, long after anything could wait for it.
 *
 * Return: true if chunks may be added now.
 */
static bool xen_unpop_may_grow_on(const struct resource *target, bool host,
				  bool settled)
{
	return target != &iomem_resource || !host || settled;
}

/*
 * A request that needed the pool to grow got no chunk: count it, once,
 * unless growth was not allowed yet.  Lock held.
 */
static void xen_unpop_grow_failed(void)
{
	if (xen_unpop_may_grow_on(target_resource, xen_initial_domain(),
				  READ_ONCE(xen_unpop_iomem_settled)))
		xen_unpop_stats.grow_failures++;
}

/*
 * The range chunks may be carved from: the hotpluggable range, within a
 * PV p2m, and on iomem_resource above xen_unpop_iomem_floor(), once the
 * PCI windows are known.  Lock held.  Returns false if that leaves
 * nothing.
 */
static bool xen_unpop_space(struct range *limit)
{
	u64 highest = 0;

	if (!xen_unpop_may_grow_on(target_resource, xen_initial_domain(),
				   READ_ONCE(xen_unpop_iomem_settled)))
		return false;
	*limit = mhp_get_pluggable_range(true);
	limit->end = min_t(u64, limit->end, xen_unpop_max_addr());
	if (target_resource == &iomem_resource) {
		/* Ranges straddling limit->end come back clipped to it. */
		walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM, 0,
				    limit->end, &highest, xen_unpop_note_end);
		limit->start = max_t(u64, limit->start,
				     xen_unpop_iomem_floor(highest,
							   xen_unpopulated_granule()));
		if (limit->start >= limit->end)
			pr_warn_once("no space above %#llx, the highest end iomem describes, below %#llx\n",
				     highest, limit->end);
	}
	return limit->start < limit->end;
}

/*
 * The steps of growth that can fail, and the balloon fallback, are
 * functions of their own, open to fault injection (fail_function), so
 * that tests make each of them fail in turn.
 */

/* The bookkeeping of a chunk of @size pages, zeroed: two bitmaps. */
static noinline struct xen_unpop_chunk *xen_unpop_chunk_alloc(unsigned int size)
{
	struct xen_unpop_chunk *chunk;

	chunk = kzalloc(struct_size(chunk, used, 2 * BITS_TO_LONGS(size)),
			GFP_KERNEL);
	if (chunk)
		chunk->held = chunk->used + BITS_TO_LONGS(size);
	return chunk;
}

ALLOW_ERROR_INJECTION(xen_unpop_chunk_alloc, NULL);

/**
 * xen_unpop_skip_busy - lowest stretch that meets no busy range
 * @busy: the first of a list of sibling resources, sorted by address
 * @size: length of the stretch in bytes, not 0
 * @align: alignment of its start, a power of two
 * @start: in: the lowest start allowed, @align-aligned; out: the lowest
 *	@align-aligned start from there whose @size bytes meet none of the
 *	list's resources
 *
 * Return: false if no such start is left in the address space.
 */
static bool xen_unpop_skip_busy(const struct resource *busy,
				resource_size_t size, resource_size_t align,
				resource_size_t *start)
{
	const resource_size_t top = ~(resource_size_t)0;

	for (; busy; busy = busy->sibling) {
		if (*start > top - (size - 1))
			return false;
		if (busy->start > *start + size - 1)
			break;
		if (busy->end < *start)
			continue;
		if (busy->end > top - align)
			return false;
		*start = ALIGN(busy->end + 1, align);
	}
	return true;
}

/*
 * allocate_resource() callback: where in @avail, a free stretch of the
 * space, @size bytes may start so that their mirror fits in
 * iomem_resource too.  Part of a Xen resource's regions may be taken
 * there by others: the balloon hotplugs memory sections at the lowest
 * room in iomem_resource, which can lie inside an extended region, and
 * the lowest fit would then fail to be mirrored at every growth.  Called
 * with resource_lock held, which keeps iomem_resource's list as it is.
 */
static resource_size_t xen_unpop_align(void *data,
				       const struct resource *avail,
				       resource_size_t size,
				       resource_size_t align)
{
	resource_size_t start = ALIGN(avail->start, align);

	if (target_resource == &iomem_resource)
		return start;
	if (!xen_unpop_skip_busy(iomem_resource.child, size, align, &start))
		return avail->end;	/* too high: allocate_resource() fails */
	return start;
}

/*
 * Take *@size pages of space inside @limit for @chunk, or if that fails,
 * @need pages (*@size then says so), and mirror them as busy in
 * iomem_resource.  Nothing is left taken on failure.
 */
static noinline int xen_unpop_reserve(struct xen_unpop_chunk *chunk,
				      unsigned int *size, unsigned int need,
				      const struct range *limit)
{
	int ret;

	chunk->res.name = "Xen scratch";
	chunk->res.flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	ret = allocate_resource(target_resource, &chunk->res,
				(resource_size_t)*size << PAGE_SHIFT,
				limit->start, limit->end,
				XEN_UNPOP_GRANULE_PAGES << PAGE_SHIFT,
				xen_unpop_align, NULL);
	if (ret && *size > need) {
		*size = need;
		ret = allocate_resource(target_resource, &chunk->res,
					(resource_size_t)need << PAGE_SHIFT,
					limit->start, limit->end,
					XEN_UNPOP_GRANULE_PAGES << PAGE_SHIFT,
					xen_unpop_align, NULL);
	}
	if (ret || target_resource == &iomem_resource)
		return ret;

	/*
	 * xen_unpop_align() found the space free in iomem_resource as well,
	 * but resource_lock was dropped since: memory hotplugged there in
	 * between (the balloon's) makes this fail, and the request falls
	 * back to ballooned pages as for any growth failure.
	 */
	chunk->mirror.name = chunk->res.name;
	chunk->mirror.start = chunk->res.start;
	chunk->mirror.end = chunk->res.end;
	chunk->mirror.flags = chunk->res.flags;
	ret = request_resource(&iomem_resource, &chunk->mirror);
	if (ret) {
		pr_warn("cannot reserve %pR in iomem (%d)\n", &chunk->mirror,
			ret);
		release_resource(&chunk->res);
	}
	return ret;
}

ALLOW_ERROR_INJECTION(xen_unpop_reserve, ERRNO);

/* Give the space of @chunk struct pages. */
static noinline int xen_unpop_remap(struct xen_unpop_chunk *chunk)
{
	void *vaddr;

	chunk->pgmap.type = MEMORY_DEVICE_GENERIC;
	chunk->pgmap.range.start = chunk->res.start;
	chunk->pgmap.range.end = chunk->res.end;
	chunk->pgmap.nr_range = 1;
	chunk->pgmap.owner = (void *)xen_unpop_owner;
	vaddr = memremap_pages(&chunk->pgmap, NUMA_NO_NODE);
	if (IS_ERR(vaddr)) {
		pr_warn("cannot remap %pR (%ld)\n", &chunk->res,
			PTR_ERR(vaddr));
		return PTR_ERR(vaddr);
	}
	return 0;
}

ALLOW_ERROR_INJECTION(xen_unpop_remap, ERRNO);

/* @nr pages from the balloon instead of the pool, counted as such. */
static noinline int xen_unpop_fallback(unsigned int nr, struct page **pages)
{
	int ret = xen_alloc_ballooned_pages(nr, pages);

	if (ret)
		return ret;
	mutex_lock(&xen_unpop_lock);
	xen_unpop_stats.fallback_allocs++;
	xen_unpop_stats.fallback_pages += nr;
	xen_unpop_stats.fallback_pages_in_use += nr;
	mutex_unlock(&xen_unpop_lock);
	return 0;
}

ALLOW_ERROR_INJECTION(xen_unpop_fallback, ERRNO);

/*
 * Add a chunk of at least @min_pages pages to the pool.  Tries the
 * geometric growth size first, then exactly what is needed.  The caller
 * counts a failure, once for its request.
 */
static struct xen_unpop_chunk *xen_unpop_grow(unsigned int min_pages)
{
	/* A granule at least, so the reserve at least: see its definition. */
	unsigned int need = round_up(min_pages, XEN_UNPOP_GRANULE_PAGES);
	unsigned int size = max(need, xen_unpop_growth);
	unsigned long limit_pages = xen_unpop_limit();
	struct xen_unpop_chunk *chunk;
	struct range limit;

	if (!need || need < min_pages || !xen_unpop_space(&limit))
		return NULL;
	if (xen_unpop_stats.pages_total + size > limit_pages)
		size = need;
	if (xen_unpop_stats.pages_total + size > limit_pages)
		return NULL;

	chunk = xen_unpop_chunk_alloc(size);
	if (!chunk)
		return NULL;
	if (xen_unpop_reserve(chunk, &size, need, &limit))
		goto err_free;

	chunk->first_pfn = PHYS_PFN(chunk->res.start);
	/* ZONE_DEVICE means SPARSEMEM_VMEMMAP: one array of struct pages. */
	chunk->first_page = pfn_to_page(chunk->first_pfn);
	chunk->nr_pages = size;
	chunk->nr_free = size;
	if (xen_unpop_invalidate_p2m(chunk->first_pfn, size) ||
	    xen_unpop_remap(chunk))
		goto err_release;

	list_add_tail(&chunk->list, &xen_unpop_chunks);
	xen_unpop_stats.chunks++;
	xen_unpop_stats.pages_total += size;
	xen_unpop_stats.pages_free += size;
	if (size >= xen_unpop_growth)
		xen_unpop_growth = min_t(unsigned int, 2 * xen_unpop_growth,
					 XEN_UNPOP_MAX_GROWTH_PAGES);
	return chunk;

err_release:
	if (chunk->mirror.parent)
		release_resource(&chunk->mirror);
	release_resource(&chunk->res);
err_free:
	kfree(chunk);
	return NULL;
}

/* Count @nr pages from @idx, just marked in use, as taken.  Lock held. */
static struct page *xen_unpop_taken(struct xen_unpop_chunk *chunk,
				    unsigned int idx, unsigned int nr)
{
	chunk->nr_free -= nr;
	chunk->hint = idx + nr < chunk->nr_pages ? idx + nr : 0;
	xen_unpop_stats.pages_free -= nr;
	return pfn_to_page(chunk->first_pfn + idx);
}

/* Mark page @idx in use, with xen_unpop_lock held. */
static struct page *xen_unpop_take_one(struct xen_unpop_chunk *chunk,
				       unsigned int idx)
{
	__set_bit(idx, chunk->used);
	return xen_unpop_taken(chunk, idx, 1);
}

/* Mark @nr pages from @idx in use, with xen_unpop_lock held. */
static struct page *xen_unpop_take(struct xen_unpop_chunk *chunk,
				   unsigned int idx, unsigned int nr)
{
	bitmap_set(chunk->used, idx, nr);
	return xen_unpop_taken(chunk, idx, nr);
}

/* Is @page, of a chunk or a seed page, referenced by anybody but the pool? */
static bool xen_unpop_page_referenced(const struct page *page)
{
	return page_ref_count(page) != XEN_UNPOP_IDLE_REFCOUNT;
}

/* Is page @idx of @chunk referenced by anybody but the pool? */
static bool xen_unpop_referenced(const struct xen_unpop_chunk *chunk,
				 unsigned int idx)
{
	return xen_unpop_page_referenced(pfn_to_page(chunk->first_pfn + idx));
}

/*
 * Keep page @idx of @chunk, free or just freed, out of service until its
 * reference goes; hand-back's work looks at it again (and puts it back
 * with xen_unpop_release_held()).  Lock held.
 */
static void xen_unpop_hold(struct xen_unpop_chunk *chunk, unsigned int idx,
			   bool was_free)
{
	if (was_free)
		xen_unpop_take_one(chunk, idx);
	__set_bit(idx, chunk->held);
	chunk->nr_held++;
	xen_unpop_stats.pages_held++;
	queue_delayed_work(system_unbound_wq, &xen_unpop_held_work,
			   msecs_to_jiffies(xen_unpop_held_delay_ms));
}

/* The bit of seed frame @pfn in xen_unpop_seeds_held. */
static unsigned long xen_unpop_seed_bit(unsigned long pfn)
{
	unsigned long bit = 0;
	unsigned int i;

	for (i = 0; i < xen_unpop_seed_ranges; i++) {
		const struct range *run = &xen_unpop_seed_range[i];

		if (pfn >= run->start && pfn <= run->end)
			return bit + (pfn - run->start);
		bit += run->end - run->start + 1;
	}
	return bit;	/* not a seed frame: one past the last bit */
}

/* The seed frame of bit @bit of xen_unpop_seeds_held. */
static unsigned long xen_unpop_seed_pfn(unsigned long bit)
{
	unsigned int i;

	for (i = 0; i < xen_unpop_seed_ranges; i++) {
		const struct range *run = &xen_unpop_seed_range[i];
		unsigned long len = run->end - run->start + 1;

		if (bit < len)
			return run->start + bit;
		bit -= len;
	}
	return 0;
}

/*
 * Hold seed @page, which somebody but the pool references, until that
 * reference goes: handed out again under it, the page would have two
 * users.  With no map to note it in, it is dropped for good.  Lock held.
 */
static void xen_unpop_seed_hold(struct page *page)
{
	unsigned long bit = xen_unpop_seed_bit(page_to_pfn(page));

	lockdep_assert_held(&xen_unpop_lock);
	if (!xen_unpop_seeds_held) {
		pr_warn_ratelimited("seed page %#lx referenced, not used again\n",
				    page_to_pfn(page));
		xen_unpop_stats.seed_pages--;
		xen_unpop_stats.seed_pages_dropped++;
		return;
	}
	if (WARN_ON_ONCE(bit >= xen_unpop_seed_frames ||
			 __test_and_set_bit(bit, xen_unpop_seeds_held)))
		return;
	xen_unpop_stats.seed_pages_held++;
	queue_delayed_work(system_unbound_wq, &xen_unpop_held_work,
			   msecs_to_jiffies(xen_unpop_held_delay_ms));
}

/* Put seed @page back among the free ones, or hold it.  Lock held. */
static void xen_unpop_seed_put(struct page *page)
{
	lockdep_assert_held(&xen_unpop_lock);
	/* Freed again while held: the first free left it to us already. */
	if (WARN_ON_ONCE(xen_unpop_seeds_held &&
			 test_bit(xen_unpop_seed_bit(page_to_pfn(page)),
				  xen_unpop_seeds_held)))
		return;
	if (xen_unpop_page_referenced(page)) {
		xen_unpop_seed_hold(page);
		return;
	}
	list_add(&page->lru, &xen_unpop_seeds);
	xen_unpop_stats.seed_pages_free++;
}

/*
 * A free page of @chunk that nobody references, from the hint on, or
 * nr_pages if none is left; free pages found referenced are held.  Lock
 * held.
 */
static unsigned int xen_unpop_find_page(struct xen_unpop_chunk *chunk)
{
	unsigned long idx = chunk->hint;

	while (chunk->nr_free) {
		/* The hint is often the page freed last: no search. */
		if (test_bit(idx, chunk->used)) {
			idx = find_next_zero_bit(chunk->used, chunk->nr_pages,
						 idx);
			if (idx >= chunk->nr_pages)
				idx = find_first_zero_bit(chunk->used,
							  chunk->nr_pages);
		}
		if (!xen_unpop_referenced(chunk, idx))
			return idx;
		xen_unpop_hold(chunk, idx, true);
	}
	return chunk->nr_pages;
}

/*
 * A free run of @nr pages of @chunk that nobody references, or nr_pages
 * if there is none; free pages found referenced are held.  The search
 * starts where the last run was found, so that a fragmented stretch
 * before it is not searched again on each request, and goes on around
 * the chunk's start up to the runs that end past that point.  A search in
 * vain is noted, so that a fragmented chunk is not searched again for as
 * long a run until a free makes one.  Lock held.
 */
static unsigned int xen_unpop_find_run(struct xen_unpop_chunk *chunk,
				       unsigned int nr)
{
	unsigned long start = chunk->run_hint, end = chunk->nr_pages;
	unsigned long idx = start, i;
	bool around = false;

	/*
	 * Too few free pages, or searched before in vain and no free since
	 * made such a run.  Only a search that was made is noted: a run
	 * longer than the free pages would be a note no free could reach.
	 */
	if (nr > chunk->nr_free || (chunk->run_miss && nr >= chunk->run_miss))
		return chunk->nr_pages;
	while (chunk->nr_free >= nr) {
		idx = bitmap_find_next_zero_area(chunk->used, end, idx, nr, 0);
		if (idx >= end) {
			if (around || !start)
				break;
			around = true;
			end = min_t(unsigned long, start + nr - 1,
				    chunk->nr_pages);
			idx = 0;
			continue;
		}
		for (i = idx; i < idx + nr; i++)
			if (xen_unpop_referenced(chunk, i))
				break;
		if (i == idx + nr) {
			chunk->run_hint = idx;
			return idx;
		}
		xen_unpop_hold(chunk, i, true);
		idx = i + 1;
	}
	chunk->run_miss = nr;
	return chunk->nr_pages;
}

/* Take up to @nr free seed pages.  Lock held. */
static unsigned int xen_unpop_take_seeds(unsigned int nr, struct page **pages)
{
	unsigned int got = 0;

	while (got < nr && !list_empty(&xen_unpop_seeds)) {
		struct page *page = list_first_entry(&xen_unpop_seeds,
						     struct page, lru);

		list_del(&page->lru);
		xen_unpop_stats.seed_pages_free--;
		/* Referenced since its free, by whoever kept a pointer. */
		if (xen_unpop_page_referenced(page))
			xen_unpop_seed_hold(page);
		else
			pages[got++] = page;
	}
	return got;
}

static unsigned int xen_unpop_drain_stashes(void);

/* Take up to @nr single pages from the pool, growing it if allowed. */
static unsigned int xen_unpop_take_pages(unsigned int nr, struct page **pages)
{
	struct xen_unpop_chunk *chunk;
	unsigned int got = 0, idx;
	bool drained = false;

	/* Seed pages cost nothing: first. */
	if (!list_empty(&xen_unpop_seeds)) {
		got = xen_unpop_take_seeds(nr, pages);
		if (got == nr)
			return got;
	}

again:
	list_for_each_entry(chunk, &xen_unpop_chunks, list) {
		while (got < nr) {
			idx = xen_unpop_find_page(chunk);
			if (idx >= chunk->nr_pages)
				break;
			pages[got++] = xen_unpop_take_one(chunk, idx);
		}
		if (got == nr)
			return got;
	}
	/* Short: the stashes may hold what is missing, before growing. */
	if (!drained) {
		drained = true;
		if (xen_unpop_drain_stashes())
			goto again;
	}

	while (got < nr) {
		chunk = xen_unpop_grow(nr - got);
		/* Single pages need no big run: try one granule. */
		if (!chunk && nr - got > XEN_UNPOP_GRANULE_PAGES)
			chunk = xen_unpop_grow(XEN_UNPOP_GRANULE_PAGES);
		if (!chunk) {
			xen_unpop_grow_failed();
			break;
		}
		/* A new chunk: nobody references its pages. */
		while (got < nr && chunk->nr_free)
			pages[got++] = xen_unpop_take_one(chunk,
							  chunk->nr_pages -
							  chunk->nr_free);
	}
	return got;
}

/*
 * Page @idx of @chunk was just freed: drop the note that no run of
 * chunk->run_miss pages is free if the page's free run is that long now.
 * Both ends of that run are fewer than run_miss pages away, as no run was
 * that long before.  Out of line, to keep the common free short.  Lock
 * held.
 */
static noinline void xen_unpop_forget_miss(struct xen_unpop_chunk *chunk,
					   unsigned long idx)
{
	unsigned long first = find_last_bit(chunk->used, idx);
	unsigned long end = find_next_bit(chunk->used, chunk->nr_pages,
					  idx + 1);

	/* find_last_bit() returns @idx if no page before @idx is in use. */
	first = first == idx ? 0 : first + 1;
	if (end - first >= chunk->run_miss)
		chunk->run_miss = 0;
}

/*
 * Page @idx of @chunk was just freed: forget a run that a search did not
 * find, if the page may have made one.  A page whose neighbours are both
 * in use (or past an end) is a free run of one.  Always inline: most
 * chunks note nothing, and a free should pay one test for that, not a
 * call.  Lock held.
 */
static __always_inline void xen_unpop_note_freed(struct xen_unpop_chunk *chunk,
						 unsigned long idx)
{
	if (likely(!chunk->run_miss))
		return;
	if (chunk->run_miss > 1 &&
	    (!idx || test_bit(idx - 1, chunk->used)) &&
	    (idx + 1 == chunk->nr_pages || test_bit(idx + 1, chunk->used)))
		return;
	xen_unpop_forget_miss(chunk, idx);
}

/*
 * Put one page back, with xen_unpop_lock held.  The next single page is
 * looked for there first, so a page freed and allocated again costs no
 * search; a page still referenced is held instead.  Returns the page's
 * chunk if that became wholly free, else NULL.
 */
static struct xen_unpop_chunk *xen_unpop_put(struct page *page)
{
	struct xen_unpop_chunk *chunk = xen_unpop_chunk_of(page);
	unsigned long idx = page_to_pfn(page) - chunk->first_pfn;

	if (WARN_ON_ONCE(idx >= chunk->nr_pages ||
			 !test_bit(idx, chunk->used) ||
			 test_bit(idx, chunk->held) ||
			 page->zone_device_data == XEN_UNPOP_STASHED))
		return NULL;
	if (xen_unpop_page_referenced(page)) {
		xen_unpop_hold(chunk, idx, false);
		return NULL;
	}
	__clear_bit(idx, chunk->used);
	xen_unpop_note_freed(chunk, idx);
	chunk->hint = idx;
	chunk->nr_free++;
	xen_unpop_stats.pages_free++;
	return chunk->nr_free == chunk->nr_pages ? chunk : NULL;
}

/*
 * Put the stashed pages back in the pool, so that its bitmaps and counts
 * are exact.  A chunk that this leaves wholly free needs no new hand-back:
 * the free that stashed its page, or one after it, made one due (see
 * xen_unpop_handback_due()).  Lock held.  Returns the pages put back.
 */
static unsigned int xen_unpop_drain_stashes(void)
{
	struct page **slot, *page;
	unsigned int n = 0;
	int cpu;

	lockdep_assert_held(&xen_unpop_lock);
	for_each_possible_cpu(cpu) {
		slot = per_cpu_ptr(&xen_unpop_stash, cpu);
		if (!READ_ONCE(*slot))
			continue;
		page = xchg(slot, NULL);
		if (page) {
			page->zone_device_data = NULL;
			xen_unpop_put(page);
			n++;
		}
	}
	return n;
}

/*
 * Put back the held pages whose references went.  Lock held.  Returns
 * true if some page is still held.
 */
static bool xen_unpop_release_held(void)
{
	struct xen_unpop_chunk *chunk;
	unsigned long bit;
	unsigned int idx;

	lockdep_assert_held(&xen_unpop_lock);
	if (xen_unpop_stats.seed_pages_held) {
		for_each_set_bit(bit, xen_unpop_seeds_held,
				 xen_unpop_seed_frames) {
			struct page *page = pfn_to_page(xen_unpop_seed_pfn(bit));

			if (xen_unpop_page_referenced(page))
				continue;
			__clear_bit(bit, xen_unpop_seeds_held);
			list_add(&page->lru, &xen_unpop_seeds);
			xen_unpop_stats.seed_pages_held--;
			xen_unpop_stats.seed_pages_free++;
		}
	}
	if (!xen_unpop_stats.pages_held)
		return xen_unpop_stats.seed_pages_held;
	list_for_each_entry(chunk, &xen_unpop_chunks, list) {
		if (!chunk->nr_held)
			continue;
		for_each_set_bit(idx, chunk->held, chunk->nr_pages) {
			if (xen_unpop_referenced(chunk, idx))
				continue;
			__clear_bit(idx, chunk->held);
			__clear_bit(idx, chunk->used);
			xen_unpop_note_freed(chunk, idx);
			chunk->nr_held--;
			chunk->nr_free++;
			xen_unpop_stats.pages_held--;
			xen_unpop_stats.pages_free++;
		}
	}
	return xen_unpop_stats.pages_held || xen_unpop_stats.seed_pages_held;
}

/*
 * Should this wholly free chunk go back?  Yes if it is bigger than the
 * reserve (a big idle chunk holds struct pages and address space that a
 * bigger run may need), or if the pool keeps its reserve without it.
 * Lock held.
 */
static bool xen_unpop_chunk_spare(const struct xen_unpop_chunk *chunk)
{
	return chunk->nr_free == chunk->nr_pages &&
	       (chunk->nr_pages > XEN_UNPOP_RESERVE_PAGES ||
		xen_unpop_stats.pages_free - chunk->nr_pages >=
		XEN_UNPOP_RESERVE_PAGES);
}

/*
 * Freeze the reference counts of every page of a wholly free chunk at 0,
 * so that nothing can take a new reference (get_page_unless_zero() on a
 * page somebody still points at) between this check and the unmapping
 * of the chunk, struct pages and all.  No mapping may outlive a free:
 * GUP-fast through a PTE left behind would look at freed struct pages
 * whatever their counts.  A page somebody references is held instead,
 * and nothing is frozen.  Lock held.  Returns true if all were frozen.
 */
static bool xen_unpop_chunk_freeze(struct xen_unpop_chunk *chunk)
{
	struct page *first = pfn_to_page(chunk->first_pfn);
	unsigned int i, j;

	for (i = 0; i < chunk->nr_pages; i++)
		if (!page_ref_freeze(nth_page(first, i),
				     XEN_UNPOP_IDLE_REFCOUNT))
			break;
	if (i == chunk->nr_pages)
		return true;
	for (j = 0; j < i; j++)
		page_ref_unfreeze(nth_page(first, j), XEN_UNPOP_IDLE_REFCOUNT);
	xen_unpop_hold(chunk, i, true);
	return false;
}

/*
 * Put back the stashed pages and the held pages whose references went,
 * then unmap and release spare chunks: wholly free ones, but for a
 * reserve of one small chunk.  Returns the number of chunks handed back.
 */
static unsigned int xen_unpop_hand_back(void)
{
	struct xen_unpop_chunk *chunk, *tmp;
	unsigned int n = 0;

	mutex_lock(&xen_unpop_handback_lock);
	mutex_lock(&xen_unpop_lock);
	xen_unpop_drain_stashes();
	if (xen_unpop_release_held()) {
		/* Look again later, less often the longer they stay held. */
		mod_delayed_work(system_unbound_wq, &xen_unpop_held_work,
				 msecs_to_jiffies(xen_unpop_held_delay_ms));
		xen_unpop_held_delay_ms = min_t(unsigned int,
						2 * xen_unpop_held_delay_ms,
						XEN_UNPOP_HELD_RETRY_MAX_MS);
	} else {
		xen_unpop_held_delay_ms = XEN_UNPOP_HELD_RETRY_MS;
	}
	if (xen_unpop_can_hand_back()) {
		/* Newest first: the oldest small chunk is the reserve. */
		list_for_each_entry_safe_reverse(chunk, tmp, &xen_unpop_chunks,
						 list) {
			if (!xen_unpop_chunk_spare(chunk))
				continue;
			if (!xen_unpop_chunk_freeze(chunk)) {
				xen_unpop_stats.handback_held++;
				continue;
			}
			list_move(&chunk->list, &xen_unpop_leaving);
			xen_unpop_stats.chunks--;
			xen_unpop_stats.pages_total -= chunk->nr_pages;
			xen_unpop_stats.pages_free -= chunk->nr_pages;
			xen_unpop_stats.handbacks++;
			xen_unpop_stats.handback_pages += chunk->nr_pages;
			xen_unpop_growth = max_t(unsigned int,
						 xen_unpop_growth / 2,
						 XEN_UNPOP_GRANULE_PAGES);
			n++;
		}
	}
	mutex_unlock(&xen_unpop_lock);

	list_for_each_entry_safe(chunk, tmp, &xen_unpop_leaving, list) {
		xen_unpop_seam_before_unmap(chunk);
		memunmap_pages(&chunk->pgmap);
		mutex_lock(&xen_unpop_lock);
		if (chunk->mirror.parent)
			release_resource(&chunk->mirror);
		release_resource(&chunk->res);
		list_del(&chunk->list);
		mutex_unlock(&xen_unpop_lock);
		kfree(chunk);
	}
	mutex_unlock(&xen_unpop_handback_lock);
	return n;
}

static void xen_unpop_handback_fn(struct work_struct *work)
{
	xen_unpop_hand_back();
}

/*
 * After a free that left @emptied wholly free, with xen_unpop_lock held:
 * hand back what is spare.  Only @emptied needs a look.  No chunk is
 * smaller than the reserve, so if another wholly free chunk is spare,
 * @emptied is too: bigger than the reserve, or the reserve's size with
 * the other chunk's pages free beside it.  A run already due is not put
 * off: a steady load that empties chunks must not starve hand-back, nor
 * the held pages it looks at.
 */
static void xen_unpop_maybe_hand_back(const struct xen_unpop_chunk *emptied)
{
	lockdep_assert_held(&xen_unpop_lock);
	if (xen_unpop_can_hand_back() && xen_unpop_chunk_spare(emptied))
		queue_delayed_work(system_unbound_wq, &xen_unpop_handback_work,
				   msecs_to_jiffies(READ_ONCE(handback_delay_ms)));
}

/*
 * A free left @in_use pages of a chunk in use: make a hand-back due if
 * they may all sit in stashes (at most one a CPU), for the chunk may be
 * spare once hand-back has put them back.  Without the lock from the
 * stash's free, which reads a count that frees under the lock may have
 * lowered since: the last of them sees the count as it is, and makes a
 * hand-back due itself.  The test of the pending bit spares the hot path
 * queue_delayed_work()'s atomic; a hand-back that has started has cleared
 * it, so one queued meanwhile runs again after it.
 */
static void xen_unpop_handback_due(unsigned int in_use)
{
	if (in_use <= nr_cpu_ids && xen_unpop_can_hand_back() &&
	    !delayed_work_pending(&xen_unpop_handback_work))
		queue_delayed_work(system_unbound_wq, &xen_unpop_handback_work,
				   msecs_to_jiffies(READ_ONCE(handback_delay_ms)));
}

/*
 * Put back @nr pages, all of the pool's chunks, and hand back what that
 * leaves spare.  Lock held.
 */
static void xen_unpop_put_pages(unsigned int nr, struct page **pages)
{
	struct xen_unpop_chunk *chunk, *emptied = NULL;
	unsigned int i;

	lockdep_assert_held(&xen_unpop_lock);
	for (i = 0; i < nr; i++) {
		chunk = xen_unpop_put(pages[i]);
		if (chunk)
			emptied = chunk;
	}
	if (emptied) {
		xen_unpop_maybe_hand_back(emptied);
	} else if (nr) {
		/* The rest of the last page's chunk may sit in stashes. */
		chunk = xen_unpop_chunk_of(pages[nr - 1]);
		xen_unpop_handback_due(chunk->nr_pages - chunk->nr_free);
	}
}

/*
 * xen_free_unpopulated_pages() for @pages of which @first is the first
 * that is not of the pool's chunks: a ballooned or a seed page.
 */
static void xen_unpop_free_mixed(unsigned int nr_pages, struct page **pages,
				 unsigned int first)
{
	struct xen_unpop_chunk *chunk, *emptied = NULL;
	unsigned int i, start, ballooned = 0;

	/*
	 * Ballooned pages first, in runs, in place: once the pool has its
	 * own pages back, hand-back may unmap their chunks, struct pages and
	 * all, so nothing looks at them after that.  (A ballooned page's
	 * struct page is RAM's, which stays, and never becomes the pool's:
	 * the loop below may look at it again.)
	 */
	for (i = first; i < nr_pages; i++) {
		if (!xen_unpop_ballooned(pages[i]))
			continue;
		start = i;
		while (i + 1 < nr_pages && xen_unpop_ballooned(pages[i + 1]))
			i++;
		xen_unpop_free_ballooned(i - start + 1, pages + start);
		ballooned += i - start + 1;
	}

	mutex_lock(&xen_unpop_lock);
	xen_unpop_stats.fallback_pages_in_use -= ballooned;
	for (i = 0; ballooned < nr_pages && i < nr_pages; i++) {
		struct page *page = pages[i];

		if (xen_unpop_page(page)) {
			chunk = xen_unpop_put(page);
			if (chunk)
				emptied = chunk;
		} else if (xen_unpop_seeding) {
			xen_unpop_seed(page);
		} else if (xen_unpop_seed_page(page)) {
			xen_unpop_seed_put(page);
		}
	}
	if (emptied)
		xen_unpop_maybe_hand_back(emptied);
	mutex_unlock(&xen_unpop_lock);
}

/*
 * Take this CPU's stashed page into *@page, if there is one that nobody
 * but the pool references.  One that somebody does is held, as its free
 * would have done, and the caller goes to the pool.
 */
static bool xen_unpop_unstash(struct page **page)
{
	struct page **slot = raw_cpu_ptr(&xen_unpop_stash);
	struct page *stashed;

	if (!READ_ONCE(*slot))
		return false;
	stashed = xchg(slot, NULL);
	if (!stashed)
		return false;
	stashed->zone_device_data = NULL;
	if (likely(!xen_unpop_page_referenced(stashed))) {
		*page = stashed;
		return true;
	}
	mutex_lock(&xen_unpop_lock);
	xen_unpop_put_pages(1, &stashed);
	mutex_unlock(&xen_unpop_lock);
	return false;
}

/*
 * Stash @page, freed alone, for this CPU's next single page, if it is of
 * the pool's chunks, the stash is empty and nobody but the pool
 * references the page.  A stashed page is in use for hand-back, so a
 * hand-back may be made due: it puts the stashes back before it looks for
 * spare chunks.  Returns true if the page was dealt with.
 */
static bool xen_unpop_stash_page(struct page *page)
{
	struct page **slot = raw_cpu_ptr(&xen_unpop_stash);
	struct xen_unpop_chunk *chunk;
	struct dev_pagemap *pgmap;
	unsigned long idx;
	unsigned int in_use;

	/* xen_unpop_page() and xen_unpop_chunk_of(), the map looked up once. */
	if (!is_zone_device_page(page))
		return false;
	pgmap = page->pgmap;
	if (pgmap->owner != xen_unpop_owner)
		return false;
	chunk = container_of(pgmap, struct xen_unpop_chunk, pgmap);
	idx = page - chunk->first_page;

	/*
	 * Freed again, stashed or not: the first free left it to us already.
	 * Only the page's owner changes its bits but under the lock, and it
	 * is the caller: in use, not held.
	 */
	if (WARN_ON_ONCE(!data_race(test_bit(idx, chunk->used) &&
				    !test_bit(idx, chunk->held)) ||
			 page->zone_device_data == XEN_UNPOP_STASHED))
		return true;
	if (READ_ONCE(*slot) || xen_unpop_page_referenced(page))
		return false;
	/* Read first: once stashed, the page and its chunk may go. */
	in_use = chunk->nr_pages - data_race(chunk->nr_free);
	/* Marked first: once in the stash, it may be taken at once. */
	page->zone_device_data = XEN_UNPOP_STASHED;
	if (cmpxchg(slot, NULL, page)) {
		page->zone_device_data = NULL;
		return false;
	}
	xen_unpop_handback_due(in_use);
	return true;
}

/**
 * xen_alloc_unpopulated_pages - alloc unpopulated pages
 * @nr_pages: Number of pages
 * @pages: pages returned
 *
 * The pages come from the pool of unpopulated pages, which grows as
 * needed.  Whatever the pool cannot provide (no Xen resource, space
 * exhausted) comes from the balloon instead, so the call fails only when
 * the balloon fails too.  The pages need not be contiguous: see
 * xen_alloc_unpopulated_contiguous_pages() for that.
 *
 * Return: 0 on success, a negative errno otherwise, in which case no page
 * is left allocated.
 */
int xen_alloc_unpopulated_pages(unsigned int nr_pages, struct page **pages)
{
	unsigned int i, got = 0;
	int ret = 0;

	if (!nr_pages)
		return 0;

	if (target_resource) {
		if (nr_pages == 1 && xen_unpop_unstash(pages)) {
			got = 1;
		} else {
			mutex_lock(&xen_unpop_lock);
			got = xen_unpop_take_pages(nr_pages, pages);
			mutex_unlock(&xen_unpop_lock);
		}

		for (i = 0; i < got; i++) {
			ret = xen_unpop_alloc_p2m(pages[i]);
			if (ret) {
				xen_free_unpopulated_pages(got, pages);
				return ret;
			}
		}
	}

	if (got < nr_pages) {
		ret = xen_unpop_fallback(nr_pages - got, pages + got);
		if (ret) {
			xen_free_unpopulated_pages(got, pages);
			return ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL(xen_alloc_unpopulated_pages);

/**
 * xen_free_unpopulated_pages - return unpopulated pages
 * @nr_pages: Number of pages
 * @pages: pages to return
 *
 * Each page goes back where it came from, as the page itself tells:
 * unpopulated pages to the pool, ballooned pages to the balloon.  @pages
 * may mix both, in any order.
 *
 * From arch_xen_unpopulated_init(), the architecture gives the pool
 * pages of its own this way (seed pages; see the top of this file).
 */
void xen_free_unpopulated_pages(unsigned int nr_pages, struct page **pages)
{
	unsigned int i;

	/* Not back in the bitmaps: no seam after_free for a stashed page. */
	if (nr_pages == 1 && xen_unpop_stash_page(pages[0]))
		return;
	/* On Arm (and x86 without seed pages) all are the pool's: one look. */
	for (i = 0; i < nr_pages; i++) {
		if (!xen_unpop_page(pages[i]))
			break;
	}
	if (i < nr_pages) {
		xen_unpop_free_mixed(nr_pages, pages, i);
	} else {
		mutex_lock(&xen_unpop_lock);
		xen_unpop_put_pages(nr_pages, pages);
		mutex_unlock(&xen_unpop_lock);
	}
	xen_unpop_seam_after_free();
}
EXPORT_SYMBOL(xen_free_unpopulated_pages);

/**
 * xen_alloc_unpopulated_contiguous_pages - alloc a contiguous run
 * @nr_pages: Number of pages, any number that fits in one extended region
 * @pages: pages returned, in ascending physical order
 *
 * The pages are physically contiguous in the guest-physical address
 * space.  Their addresses are not DMA addresses: a device doing DMA to
 * such a page still goes through the DMA API (and swiotlb-xen or an
 * IOMMU) once something is mapped there.  There is no ballooned fallback,
 * as ballooned pages are not contiguous; callers fall back themselves.
 *
 * Return: 0 on success, -ENODEV without a Xen resource, -EINVAL for
 * @nr_pages of 0, -ENOMEM if no run of @nr_pages could be found or made.
 */
int xen_alloc_unpopulated_contiguous_pages(unsigned int nr_pages,
					   struct page **pages)
{
	struct xen_unpop_chunk *chunk, *found = NULL;
	unsigned int idx = 0, i;
	struct page *first;
	int ret;

	if (!nr_pages)
		return -EINVAL;
	if (!target_resource)
		return -ENODEV;

	mutex_lock(&xen_unpop_lock);
	/* A stashed page may be the one a run lacks. */
	xen_unpop_drain_stashes();
	list_for_each_entry(chunk, &xen_unpop_chunks, list) {
		idx = xen_unpop_find_run(chunk, nr_pages);
		if (idx < chunk->nr_pages) {
			found = chunk;
			break;
		}
	}
	if (!found) {
		/* A new chunk: nobody references its pages. */
		found = xen_unpop_grow(nr_pages);
		idx = 0;
	}
	if (!found) {
		xen_unpop_grow_failed();
		mutex_unlock(&xen_unpop_lock);
		return -ENOMEM;
	}
	first = xen_unpop_take(found, idx, nr_pages);
	xen_unpop_stats.contiguous_runs++;
	xen_unpop_stats.contiguous_pages += nr_pages;
	mutex_unlock(&xen_unpop_lock);

	for (i = 0; i < nr_pages; i++)
		pages[i] = nth_page(first, i);
	for (i = 0; i < nr_pages; i++) {
		ret = xen_unpop_alloc_p2m(pages[i]);
		if (ret) {
			xen_free_unpopulated_contiguous_pages(nr_pages, pages);
			return ret;
		}
	}
	return 0;
}

/**
 * xen_free_unpopulated_contiguous_pages - return a contiguous run
 * @nr_pages: Number of pages, as allocated
 * @pages: pages from xen_alloc_unpopulated_contiguous_pages()
 *
 * If a page is not the pool's, the run cannot come from
 * xen_alloc_unpopulated_contiguous_pages(): it is left alone, with a
 * warning.
 */
void xen_free_unpopulated_contiguous_pages(unsigned int nr_pages,
					   struct page **pages)
{
	unsigned int i;

	for (i = 0; i < nr_pages; i++)
		if (WARN_ON_ONCE(!xen_unpop_page(pages[i])))
			return;
	if (!nr_pages)
		return;
	mutex_lock(&xen_unpop_lock);
	xen_unpop_stats.contiguous_runs--;
	xen_unpop_stats.contiguous_pages -= nr_pages;
	xen_unpop_put_pages(nr_pages, pages);
	mutex_unlock(&xen_unpop_lock);
}

/**
 * xen_is_unpopulated_page - tell a page of the pool's chunks from others
 * @page: a page from xen_alloc_unpopulated_pages() or the contiguous
 *	variant
 *
 * Return: true if @page belongs to a chunk of the pool, as every page of
 * a contiguous run does; false if it is a (ballooned) RAM page or a seed
 * page the architecture gave the pool.
 */
bool xen_is_unpopulated_page(const struct page *page)
{
	return xen_unpop_page(page);
}

/**
 * xen_unpopulated_granule - the unit of address space the pool maps
 *
 * Chunks of unpopulated memory are multiples of this size, aligned to it.
 * A range of address space smaller than that, or not holding one aligned
 * granule, cannot be used.
 *
 * Return: the granule in bytes, a power of two.
 */
phys_addr_t xen_unpopulated_granule(void)
{
	return (phys_addr_t)XEN_UNPOP_GRANULE_PAGES << PAGE_SHIFT;
}

/*
 * If arch is not happy with system "iomem_resource" being used for
 * the region allocation it can provide its own view by creating a specific
 * Xen resource with unused regions of guest physical address space provided
 * by the hypervisor.
 */
int __weak __init arch_xen_unpopulated_init(struct resource **res)
{
	*res = &iomem_resource;

	return 0;
}

static int __init unpopulated_init(void)
{
	int ret;

	if (!xen_domain())
		return -ENODEV;

	xen_unpop_seeding = true;
	ret = arch_xen_unpopulated_init(&target_resource);
	xen_unpop_seeding = false;
	if (xen_unpop_stats.seed_pages) {
		pr_info("%lu seed pages in %u runs from the architecture\n",
			xen_unpop_stats.seed_pages, xen_unpop_seed_ranges);
		/* The bit of no seed frame: one past the last. */
		xen_unpop_seed_frames = xen_unpop_seed_bit(ULONG_MAX);
		xen_unpop_seeds_held = kvcalloc(BITS_TO_LONGS(xen_unpop_seed_frames),
						sizeof(unsigned long),
						GFP_KERNEL | __GFP_NOWARN);
		if (!xen_unpop_seeds_held)
			pr_warn("no map of held seed pages: a seed page freed referenced is not used again\n");
	}
	if (ret) {
		pr_info("no resource for unpopulated pages (%d), using ballooned pages\n",
			ret);
		target_resource = NULL;
	}

	return ret;
}
early_initcall(unpopulated_init);

/*
 * The balloon is set up at subsys_initcall: from now on ballooned pages
 * go back to it, those freed before first.
 */
static int __init xen_unpop_balloon_init(void)
{
	struct page *page, *tmp;
	LIST_HEAD(early);

	mutex_lock(&xen_unpop_lock);
	WRITE_ONCE(xen_unpop_balloon_ready, true);
	list_splice_init(&xen_unpop_early_ballooned, &early);
	mutex_unlock(&xen_unpop_lock);
	list_for_each_entry_safe(page, tmp, &early, lru) {
		list_del(&page->lru);
		xen_free_ballooned_pages(1, &page);
	}
	return 0;
}
subsys_initcall_sync(xen_unpop_balloon_init);

/*
 * The PCI host bridges have claimed their windows in iomem_resource by
 * now (ACPI's at subsys_initcall, the rest by fs_initcall): the pool may
 * grow there.
 */
static int __init xen_unpop_iomem_settle(void)
{
	WRITE_ONCE(xen_unpop_iomem_settled, true);
	return 0;
}
fs_initcall_sync(xen_unpop_iomem_settle);

#ifdef CONFIG_DEBUG_FS
static int xen_unpop_stats_show(struct seq_file *s, void *unused)
{
	struct xen_unpop_stats st;

	/*
	 * Stashed pages are free: put them back for exact figures (so a
	 * read changes where the next single page comes from).
	 */
	mutex_lock(&xen_unpop_lock);
	xen_unpop_drain_stashes();
	st = xen_unpop_stats;
	mutex_unlock(&xen_unpop_lock);

	seq_printf(s, "resource %s\n", !target_resource ? "none" :
		   target_resource == &iomem_resource ? "iomem" : "xen");
	seq_printf(s, "granule_pages %lu\n",
		   (unsigned long)XEN_UNPOP_GRANULE_PAGES);
	seq_printf(s, "chunks %lu\n", st.chunks);
	seq_printf(s, "pages_total %lu\n", st.pages_total);
	seq_printf(s, "pages_free %lu\n", st.pages_free);
	seq_printf(s, "pages_in_use %lu\n", st.pages_total - st.pages_free -
		   st.pages_held + st.seed_pages - st.seed_pages_free -
		   st.seed_pages_held);
	seq_printf(s, "contiguous_runs %lu\n", st.contiguous_runs);
	seq_printf(s, "contiguous_pages %lu\n", st.contiguous_pages);
	seq_printf(s, "fallback_allocs %lu\n", st.fallback_allocs);
	seq_printf(s, "fallback_pages %lu\n", st.fallback_pages);
	seq_printf(s, "fallback_pages_in_use %lu\n", st.fallback_pages_in_use);
	seq_printf(s, "grow_failures %lu\n", st.grow_failures);
	seq_printf(s, "handbacks %lu\n", st.handbacks);
	seq_printf(s, "handback_pages %lu\n", st.handback_pages);
	seq_printf(s, "handback_held %lu\n", st.handback_held);
	seq_printf(s, "pages_held %lu\n", st.pages_held);
	seq_printf(s, "seed_pages %lu\n", st.seed_pages);
	seq_printf(s, "seed_pages_free %lu\n", st.seed_pages_free);
	seq_printf(s, "seed_pages_held %lu\n", st.seed_pages_held);
	seq_printf(s, "seed_pages_dropped %lu\n", st.seed_pages_dropped);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xen_unpop_stats);

static int xen_unpop_chunks_show(struct seq_file *s, void *unused)
{
	struct xen_unpop_chunk *chunk;

	mutex_lock(&xen_unpop_lock);
	xen_unpop_drain_stashes();
	list_for_each_entry(chunk, &xen_unpop_chunks, list)
		seq_printf(s, "chunk 0x%llx 0x%llx pages %u free %u held %u\n",
			   (u64)chunk->res.start, (u64)chunk->res.end,
			   chunk->nr_pages, chunk->nr_free, chunk->nr_held);
	mutex_unlock(&xen_unpop_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xen_unpop_chunks);

/*
 * The Xen resource: its span, and its children (holes between extended
 * regions and scratch chunks).  Only we change the children of a Xen
 * resource, under xen_unpop_lock; iomem_resource is not walked.
 */
static int xen_unpop_resource_show(struct seq_file *s, void *unused)
{
	struct resource *child;

	if (!target_resource || target_resource == &iomem_resource)
		return 0;
	mutex_lock(&xen_unpop_lock);
	seq_printf(s, "span 0x%llx 0x%llx\n", (u64)target_resource->start,
		   (u64)target_resource->end);
	for (child = target_resource->child; child; child = child->sibling)
		seq_printf(s, "%s 0x%llx 0x%llx %s\n",
			   child->flags & IORESOURCE_BUSY ? "busy" : "free",
			   (u64)child->start, (u64)child->end, child->name);
	mutex_unlock(&xen_unpop_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xen_unpop_resource);

static int __init xen_unpop_debugfs_init(void)
{
	struct dentry *dir;

	if (!xen_domain())
		return 0;
	dir = debugfs_create_dir("unpopulated", xen_debugfs_dir());
	debugfs_create_file("stats", 0400, dir, NULL, &xen_unpop_stats_fops);
	debugfs_create_file("chunks", 0400, dir, NULL, &xen_unpop_chunks_fops);
	debugfs_create_file("resource", 0400, dir, NULL,
			    &xen_unpop_resource_fops);
	return 0;
}
late_initcall(xen_unpop_debugfs_init);
#endif

#ifdef CONFIG_XEN_UNPOPULATED_ALLOC_KUNIT_TEST
#include "unpopulated-alloc-test.h"
#endif
