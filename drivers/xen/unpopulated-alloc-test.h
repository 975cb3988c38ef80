/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for the unpopulated page allocator.
 *
 * Included at the end of unpopulated-alloc.c, in the style of
 * mm/damon/core-test.h, to reach the pool's counters and knobs.  The
 * cases run against the real hypervisor (in a Xen guest at boot) and
 * are skipped outside Xen or without a Xen resource.
 */

#ifndef _XEN_UNPOPULATED_ALLOC_TEST_H
#define _XEN_UNPOPULATED_ALLOC_TEST_H

#include <kunit/test.h>
#include <linux/async.h>
#include <linux/delay.h>
#include <linux/initrd.h>
#include <linux/io.h>
#include <linux/mmzone.h>
#include <linux/sizes.h>
#include <linux/vmstat.h>
#include <xen/extended-regions.h>

/* No hand-back and no retry of held pages pending or running. */
static void xut_cancel_work(void)
{
	cancel_delayed_work_sync(&xen_unpop_handback_work);
	cancel_delayed_work_sync(&xen_unpop_held_work);
}

/*
 * Put the hand-back work queued by a free far off, so that a case that
 * hands back itself, in a window it opens, does not race it (with
 * handback_delay_ms at 0 it would run at once).  Returns the delay to
 * give back to xut_restore_delay().
 */
static unsigned int xut_hold_off_handback(void)
{
	unsigned int saved = READ_ONCE(handback_delay_ms);

	WRITE_ONCE(handback_delay_ms, 60 * MSEC_PER_SEC);
	return saved;
}

static void xut_restore_delay(unsigned int saved)
{
	WRITE_ONCE(handback_delay_ms, saved);
	xut_cancel_work();
}

/* The pool's counters, exact: the stashed pages put back first. */
static struct xen_unpop_stats xut_stats(void)
{
	struct xen_unpop_stats st;

	mutex_lock(&xen_unpop_lock);
	xen_unpop_drain_stashes();
	st = xen_unpop_stats;
	mutex_unlock(&xen_unpop_lock);
	return st;
}

/*
 * Free RAM in pages, exactly: the buddy allocator's free pages with the
 * per-cpu deltas, and the pages sitting on per-cpu lists, which
 * NR_FREE_PAGES leaves out.  Read without their locks: the callers wait
 * for two equal readings.
 */
static long xut_free_ram_pages(void)
{
	struct zone *zone;
	long free = 0;
	int cpu;

	for_each_populated_zone(zone) {
		free += zone_page_state_snapshot(zone, NR_FREE_PAGES);
		for_each_online_cpu(cpu)
			free += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset,
						      cpu)->count);
	}
	return free;
}

/* Free RAM once it has stopped moving (boot-time work winding down). */
static long xut_settled_free_ram_pages(void)
{
	long prev = xut_free_ram_pages(), now;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		msleep(20);
		now = xut_free_ram_pages();
		if (now == prev)
			break;
		prev = now;
	}
	return prev;
}

/* Seed pages set aside while a case runs: the cases test the chunks. */
static LIST_HEAD(xut_seeds_aside);
static unsigned long xut_nr_seeds_aside;

static void xut_restore_seeds(void)
{
	mutex_lock(&xen_unpop_lock);
	list_splice_init(&xut_seeds_aside, &xen_unpop_seeds);
	xen_unpop_stats.seed_pages_free += xut_nr_seeds_aside;
	xut_nr_seeds_aside = 0;
	mutex_unlock(&xen_unpop_lock);
}

/* The allocator's seams, for the case's own task (see xen_unpop_seam()). */
static struct xen_unpop_seams xut_seams;

static int xut_init(struct kunit *test)
{
	if (!xen_domain() || !target_resource)
		kunit_skip(test, "no Xen resource for unpopulated pages");
	xut_seams = (struct xen_unpop_seams){ .task = current };
	WRITE_ONCE(xen_unpop_seams, &xut_seams);
	mutex_lock(&xen_unpop_lock);
	list_splice_init(&xen_unpop_seeds, &xut_seeds_aside);
	xut_nr_seeds_aside = xen_unpop_stats.seed_pages_free;
	xen_unpop_stats.seed_pages_free = 0;
	mutex_unlock(&xen_unpop_lock);
	return 0;
}

static void xut_exit(struct kunit *test)
{
	WRITE_ONCE(xen_unpop_seams, NULL);
	xut_restore_seeds();
}

/*
 * The run [@first, @first + @nr) must lie in one scratch chunk carved
 * from the Xen resource (so inside an extended region on Arm, where the
 * holes between regions are busy) and must not meet System RAM.
 */
static void xut_expect_unpopulated(struct kunit *test, struct page *first,
				   unsigned int nr)
{
	resource_size_t start = page_to_phys(first);
	resource_size_t end = start + ((resource_size_t)nr << PAGE_SHIFT) - 1;
	struct xen_unpop_chunk *chunk;
	bool inside = false;

	KUNIT_ASSERT_TRUE(test, xen_unpop_page(first));
	KUNIT_EXPECT_EQ(test, region_intersects(start, end - start + 1,
						IORESOURCE_SYSTEM_RAM,
						IORES_DESC_NONE),
			REGION_DISJOINT);
	KUNIT_EXPECT_GE(test, start, target_resource->start);
	KUNIT_EXPECT_LE(test, end, target_resource->end);

	mutex_lock(&xen_unpop_lock);
	list_for_each_entry(chunk, &xen_unpop_chunks, list)
		if (chunk->res.parent == target_resource &&
		    start >= chunk->res.start && end <= chunk->res.end)
			inside = true;
	mutex_unlock(&xen_unpop_lock);
	KUNIT_EXPECT_TRUE(test, inside);
}

static void xut_single_page(struct kunit *test)
{
	struct xen_unpop_stats before = xut_stats(), during, after;
	struct page *page;

	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(1, &page), 0);
	during = xut_stats();
	xut_expect_unpopulated(test, page, 1);
	KUNIT_EXPECT_TRUE(test, xen_is_unpopulated_page(page));
	KUNIT_EXPECT_EQ(test, during.pages_total - during.pages_free,
			before.pages_total - before.pages_free + 1);
	KUNIT_EXPECT_EQ(test, during.fallback_pages, before.fallback_pages);

	xen_free_unpopulated_pages(1, &page);
	after = xut_stats();
	KUNIT_EXPECT_EQ(test, after.pages_total - after.pages_free,
			before.pages_total - before.pages_free);
}

/*
 * What hand-back relies on, on every baseline: a MEMORY_DEVICE_GENERIC
 * page is born at a count of one, the pool's own reference, and a user's
 * get_page()/put_page() brings it back there.  memremap never sets such a
 * page to zero, and the pool never drops its reference; hand-back freezes
 * the count at exactly this value.
 */
static void xut_idle_refcount(struct kunit *test)
{
	struct page *page;

	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(1, &page), 0);
	if (!xen_is_unpopulated_page(page)) {
		xen_free_unpopulated_pages(1, &page);
		kunit_skip(test, "the page is not the pool's");
	}
	KUNIT_EXPECT_TRUE(test, is_zone_device_page(page));
	KUNIT_EXPECT_EQ(test, xen_unpop_chunk_of(page)->pgmap.type,
			MEMORY_DEVICE_GENERIC);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), XEN_UNPOP_IDLE_REFCOUNT);
	get_page(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), XEN_UNPOP_IDLE_REFCOUNT + 1);
	put_page(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), XEN_UNPOP_IDLE_REFCOUNT);
	xen_free_unpopulated_pages(1, &page);
}

static void xut_many_single_pages(struct kunit *test)
{
	struct xen_unpop_stats before = xut_stats(), after;
	const unsigned int nr = 1500;
	struct page **pages;
	unsigned long *seen;
	unsigned int i;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(nr, pages), 0);

	/* Distinct pages, all from the pool, none from the balloon. */
	seen = kunit_kcalloc(test, nr, sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, seen);
	for (i = 0; i < nr; i++) {
		unsigned int j;

		xut_expect_unpopulated(test, pages[i], 1);
		seen[i] = page_to_pfn(pages[i]);
		for (j = 0; j < i; j++)
			KUNIT_ASSERT_NE(test, seen[j], seen[i]);
	}
	KUNIT_EXPECT_EQ(test, xut_stats().fallback_pages,
			before.fallback_pages);

	xen_free_unpopulated_pages(nr, pages);
	after = xut_stats();
	KUNIT_EXPECT_EQ(test, after.pages_total - after.pages_free,
			before.pages_total - before.pages_free);
}

static const unsigned int xut_run_sizes[] = { 1, 2, 3, 511, 512, 513, 4096 };

static void xut_run_size_desc(const unsigned int *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u pages", *size);
}

KUNIT_ARRAY_PARAM(xut_run, xut_run_sizes, xut_run_size_desc);

static void xut_contiguous(struct kunit *test)
{
	const unsigned int nr = *(const unsigned int *)test->param_value;
	struct xen_unpop_stats before = xut_stats(), during, after;
	struct page **pages;
	unsigned int i;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, pages),
			0);
	during = xut_stats();

	for (i = 1; i < nr; i++)
		KUNIT_ASSERT_EQ(test, page_to_pfn(pages[i]),
				page_to_pfn(pages[0]) + i);
	xut_expect_unpopulated(test, pages[0], nr);
	KUNIT_EXPECT_EQ(test, during.contiguous_runs,
			before.contiguous_runs + 1);
	KUNIT_EXPECT_EQ(test, during.contiguous_pages,
			before.contiguous_pages + nr);
	KUNIT_EXPECT_EQ(test, during.pages_total - during.pages_free,
			before.pages_total - before.pages_free + nr);

	xen_free_unpopulated_contiguous_pages(nr, pages);
	after = xut_stats();
	KUNIT_EXPECT_EQ(test, after.contiguous_runs, before.contiguous_runs);
	KUNIT_EXPECT_EQ(test, after.pages_total - after.pages_free,
			before.pages_total - before.pages_free);
}

static void xut_contiguous_zero(struct kunit *test)
{
	struct page *page = NULL;

	KUNIT_EXPECT_EQ(test, xen_alloc_unpopulated_contiguous_pages(0, &page),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, xen_alloc_unpopulated_pages(0, &page), 0);
	KUNIT_EXPECT_PTR_EQ(test, page, NULL);
}

static void xut_interleaved(struct kunit *test)
{
	struct xen_unpop_stats before = xut_stats(), after;
	struct page *a[3], *b[5], *d[2], **c;
	unsigned int i;

	c = kunit_kcalloc(test, 600, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);

	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(3, a), 0);
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(5, b), 0);
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(600, c), 0);
	xen_free_unpopulated_pages(5, b);
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(2, d), 0);

	/* No live page handed out twice. */
	for (i = 0; i < 600; i++) {
		KUNIT_EXPECT_TRUE(test, c[i] != a[0] && c[i] != a[1] &&
				  c[i] != a[2] && c[i] != d[0] && c[i] != d[1]);
	}
	KUNIT_EXPECT_TRUE(test, d[0] != a[0] && d[0] != a[1] && d[0] != a[2]);
	KUNIT_EXPECT_EQ(test, page_to_pfn(d[1]), page_to_pfn(d[0]) + 1);

	xen_free_unpopulated_contiguous_pages(3, a);
	xen_free_unpopulated_contiguous_pages(600, c);
	xen_free_unpopulated_contiguous_pages(2, d);
	after = xut_stats();
	KUNIT_EXPECT_EQ(test, after.pages_total - after.pages_free,
			before.pages_total - before.pages_free);
	KUNIT_EXPECT_EQ(test, after.contiguous_runs, before.contiguous_runs);
}

/*
 * With the pool capped at its present size, a request beyond its free
 * pages is served partly from the balloon (a failed growth counted once
 * a request); the mixed array goes back page by page to where each page
 * came from.
 */
static void xut_exhaustion_falls_back(struct kunit *test)
{
	struct xen_unpop_stats before, during, after;
	unsigned int nr, i, pool = 0, ram = 0, extra;
	struct page **pages, *tmp;
	int ret;

	xen_unpop_hand_back();
	before = xut_stats();
	/* More than a granule beyond: growth is tried by the granule too. */
	extra = XEN_UNPOP_GRANULE_PAGES + 1;
	nr = before.pages_free + extra;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);

	xut_seams.limit = before.pages_total;
	KUNIT_EXPECT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, pages),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, xut_stats().grow_failures,
			before.grow_failures + 1);
	ret = xen_alloc_unpopulated_pages(nr, pages);
	xut_seams.limit = 0;
	KUNIT_ASSERT_EQ(test, ret, 0);

	during = xut_stats();
	KUNIT_EXPECT_EQ(test, during.grow_failures, before.grow_failures + 2);
	for (i = 0; i < nr; i++) {
		if (xen_is_unpopulated_page(pages[i]))
			pool++;
		else
			ram++;
	}
	KUNIT_EXPECT_EQ(test, pool, (unsigned int)before.pages_free);
	KUNIT_EXPECT_EQ(test, ram, extra);
	KUNIT_EXPECT_EQ(test, during.pages_free, 0UL);
	KUNIT_EXPECT_EQ(test, during.pages_total, before.pages_total);
	KUNIT_EXPECT_EQ(test, during.fallback_pages,
			before.fallback_pages + extra);
	KUNIT_EXPECT_EQ(test, during.fallback_pages_in_use,
			before.fallback_pages_in_use + extra);

	/* Mix the order: RAM pages first, in the middle and last. */
	tmp = pages[0];
	pages[0] = pages[nr - 1];
	pages[nr - 1] = tmp;
	tmp = pages[nr / 2];
	pages[nr / 2] = pages[nr - 2];
	pages[nr - 2] = tmp;

	xen_free_unpopulated_pages(nr, pages);
	after = xut_stats();
	KUNIT_EXPECT_EQ(test, after.pages_free, before.pages_free);
	KUNIT_EXPECT_EQ(test, after.fallback_pages_in_use,
			before.fallback_pages_in_use);
}

/*
 * Whether the struct pages of @pfn come and go with its chunk.  Not when
 * the chunk shares a memory section with boot memory (an early section,
 * as where a domU's first region starts right above its RAM): that
 * section's memory map exists from boot and stays.
 */
static bool xut_memmap_follows_chunk(unsigned long pfn)
{
	return !early_section(__pfn_to_section(pfn));
}

/*
 * A new chunk costs struct-page RAM; handing it back unmaps the chunk,
 * releases its address space and returns that RAM.
 */
static void xut_handback_returns_ram(struct kunit *test)
{
	const unsigned int nr = 4096;	/* 256 KiB of struct pages */
	struct xen_unpop_stats before, during, after;
	long ram_before, ram_during, ram_after, expect;
	resource_size_t start, size;
	struct page **pages;
	unsigned long pfn;
	bool own_memmap;

	if (!xen_unpop_can_hand_back())
		kunit_skip(test, "no hand-back in a PV guest");

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);

	/* Let boot-time work (such as freeing the initrd) finish first. */
	wait_for_initramfs();
	async_synchronize_full();
	xut_cancel_work();
	xen_unpop_hand_back();
	before = xut_stats();
	ram_before = xut_settled_free_ram_pages();

	/* Bigger than any free run left, so a chunk must be added. */
	KUNIT_ASSERT_LT(test, before.pages_free, (unsigned long)nr);
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, pages),
			0);
	during = xut_stats();
	ram_during = xut_settled_free_ram_pages();
	KUNIT_EXPECT_GT(test, during.chunks, before.chunks);

	pfn = page_to_pfn(pages[0]);
	start = page_to_phys(pages[0]);
	size = (resource_size_t)nr << PAGE_SHIFT;
	KUNIT_EXPECT_TRUE(test, pfn_valid(pfn));
	KUNIT_EXPECT_NE(test, region_intersects(start, size, IORESOURCE_MEM,
						IORES_DESC_NONE),
			REGION_DISJOINT);

	own_memmap = xut_memmap_follows_chunk(pfn);
	expect = own_memmap ? nr * sizeof(struct page) / PAGE_SIZE : 0;
	KUNIT_EXPECT_GE(test, ram_before - ram_during, expect / 2);

	xen_free_unpopulated_contiguous_pages(nr, pages);
	KUNIT_EXPECT_GE(test, xen_unpop_hand_back(), 1U);
	after = xut_stats();
	ram_after = xut_settled_free_ram_pages();

	KUNIT_EXPECT_EQ(test, after.chunks, before.chunks);
	KUNIT_EXPECT_EQ(test, after.pages_total, before.pages_total);
	KUNIT_EXPECT_GT(test, after.handbacks, before.handbacks);
	/* The struct pages are gone and the range is out of iomem. */
	if (own_memmap)
		KUNIT_EXPECT_FALSE(test, pfn_valid(pfn));
	else
		kunit_info(test, "chunk at %pa shares a section with boot memory: its memory map stays\n",
			   &start);
	KUNIT_EXPECT_EQ(test, region_intersects(start, size, IORESOURCE_MEM,
						IORES_DESC_NONE),
			REGION_DISJOINT);
	/* Within 64 KiB of where it was: the struct-page RAM came back. */
	KUNIT_EXPECT_GE(test, ram_after + (long)(SZ_64K / PAGE_SIZE),
			ram_before);
	kunit_info(test, "free RAM: %ld kB, %ld kB with the chunk, %ld kB after hand-back\n",
		   ram_before << (PAGE_SHIFT - 10), ram_during << (PAGE_SHIFT - 10),
		   ram_after << (PAGE_SHIFT - 10));
}

/*
 * Every page of every chunk is still ours, with the refcount of a
 * MEMORY_DEVICE_GENERIC page that nobody else holds (at boot, with no
 * other user of the pool), and no two chunks share a page of struct
 * pages.  Returns the number of pages that are
 * not so, after one expectation per kind of fault.
 */
static unsigned long xut_check_chunks(struct kunit *test)
{
	unsigned long bad_owner = 0, bad_ref = 0, bad_align = 0, bad_miss = 0;
	unsigned long i;
	struct xen_unpop_chunk *chunk;

	mutex_lock(&xen_unpop_lock);
	list_for_each_entry(chunk, &xen_unpop_chunks, list) {
		unsigned long first = (unsigned long)pfn_to_page(chunk->first_pfn);
		unsigned long end = (unsigned long)pfn_to_page(chunk->first_pfn +
							      chunk->nr_pages);

		if (!IS_ALIGNED(first, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE))
			bad_align++;
		/* A noted run length is one that no free run has. */
		if (chunk->run_miss &&
		    bitmap_find_next_zero_area(chunk->used, chunk->nr_pages, 0,
					       chunk->run_miss, 0) <
		    chunk->nr_pages)
			bad_miss++;
		for (i = 0; i < chunk->nr_pages; i++) {
			struct page *page = pfn_to_page(chunk->first_pfn + i);

			if (!pfn_valid(chunk->first_pfn + i) ||
			    !xen_unpop_page(page) || xen_unpop_chunk_of(page) != chunk)
				bad_owner++;
			else if (page_ref_count(page) != XEN_UNPOP_IDLE_REFCOUNT)
				bad_ref++;
		}
	}
	mutex_unlock(&xen_unpop_lock);
	KUNIT_EXPECT_EQ_MSG(test, bad_align, 0UL,
			    "chunks sharing a page of struct pages");
	KUNIT_EXPECT_EQ_MSG(test, bad_owner, 0UL, "pages no longer ours");
	KUNIT_EXPECT_EQ_MSG(test, bad_ref, 0UL, "pages with a stray reference");
	KUNIT_EXPECT_EQ_MSG(test, bad_miss, 0UL,
			    "chunks noting a run they have free");
	return bad_align + bad_owner + bad_ref + bad_miss;
}

/*
 * The start of a hand-back case (skipped where there is no hand-back):
 * nothing spare left in the pool, a page of the reserve kept in use
 * (@kept) so that only the case's own chunks are spare, and @nr pages in
 * a chunk the pool must add for them, returned in an array of the
 * test's.  @before gets the pool's counters from before that chunk.
 */
static struct page **xut_new_chunk(struct kunit *test, unsigned int nr,
				   struct page **kept,
				   struct xen_unpop_stats *before)
{
	struct page **pages;

	if (!xen_unpop_can_hand_back())
		kunit_skip(test, "no hand-back in a PV guest");
	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);

	xut_cancel_work();
	xen_unpop_hand_back();
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(1, kept), 0);
	KUNIT_ASSERT_TRUE(test, xen_is_unpopulated_page(*kept));
	*before = xut_stats();
	KUNIT_ASSERT_LT(test, before->pages_free, (unsigned long)nr);

	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, pages),
			0);
	KUNIT_EXPECT_GT(test, xut_stats().chunks, before->chunks);
	return pages;
}

/* Is some chunk spare?  What a free that empties a chunk must go by. */
static bool xut_any_spare(void)
{
	struct xen_unpop_chunk *chunk;
	bool spare = false;

	mutex_lock(&xen_unpop_lock);
	list_for_each_entry(chunk, &xen_unpop_chunks, list)
		spare |= xen_unpop_chunk_spare(chunk);
	mutex_unlock(&xen_unpop_lock);
	return spare;
}

/* Is @pages, @nr of them, a whole chunk of the pool's? */
static bool xut_whole_chunk(struct page **pages, unsigned int nr)
{
	struct xen_unpop_chunk *chunk = xen_unpop_chunk_of(pages[0]);

	return chunk->first_pfn == page_to_pfn(pages[0]) &&
	       chunk->nr_pages == nr;
}

/*
 * A free that empties a chunk queues hand-back when, and only when, some
 * chunk is spare, whichever chunk that is.  Two runs of the reserve's
 * size, each a chunk of its own (the pool capped so that it grows by no
 * more at a time): the newer freed first, while the older is in use, then
 * the older, after which one of them is spare whatever else the pool holds.
 * The other stays as the reserve, beside a page of the first chunk that
 * the early case holds while the suite runs: so this case runs last.
 */
static void xut_handback_queued_when_spare(struct kunit *test)
{
	const unsigned int nr = XEN_UNPOP_RESERVE_PAGES;
	struct page **older, **newer;
	unsigned int saved_delay_ms;

	if (!xen_unpop_can_hand_back())
		kunit_skip(test, "no hand-back in a PV guest");
	older = kunit_kcalloc(test, nr, sizeof(*older), GFP_KERNEL);
	newer = kunit_kcalloc(test, nr, sizeof(*newer), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, older);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, newer);

	xut_cancel_work();
	xen_unpop_hand_back();
	KUNIT_ASSERT_FALSE(test, xut_any_spare());
	xut_seams.limit = xut_stats().pages_total + nr;
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, older),
			0);
	xut_seams.limit = xut_stats().pages_total + nr;
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, newer),
			0);
	xut_seams.limit = 0;
	KUNIT_ASSERT_TRUE_MSG(test, xut_whole_chunk(older, nr) &&
			      xut_whole_chunk(newer, nr),
			      "the runs share chunks with pages in use");

	saved_delay_ms = xut_hold_off_handback();
	xen_free_unpopulated_contiguous_pages(nr, newer);
	KUNIT_EXPECT_EQ(test, delayed_work_pending(&xen_unpop_handback_work),
			xut_any_spare());
	xut_cancel_work();
	xen_free_unpopulated_contiguous_pages(nr, older);
	KUNIT_EXPECT_TRUE(test, xut_any_spare());
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&xen_unpop_handback_work));

	xut_cancel_work();
	KUNIT_EXPECT_GE(test, xen_unpop_hand_back(), 1U);
	KUNIT_EXPECT_FALSE(test, xut_any_spare());
	xut_restore_delay(saved_delay_ms);
}

/*
 * Handing a chunk back must leave its neighbours whole.  Chunks are
 * carved first-fit, so a chunk made right after the reserve is its
 * neighbour; with 16 or 64 KiB pages two subsection-sized chunks would
 * share a page of struct pages, which arm64 frees with either.
 */
static void xut_handback_keeps_neighbours(struct kunit *test)
{
	const unsigned int nr = 2 * XEN_UNPOP_GRANULE_PAGES;
	struct page **pages, *kept;
	struct xen_unpop_stats before;

	pages = xut_new_chunk(test, nr, &kept, &before);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);

	xen_free_unpopulated_contiguous_pages(nr, pages);
	KUNIT_EXPECT_GE(test, xen_unpop_hand_back(), 1U);
	KUNIT_EXPECT_EQ(test, xut_stats().chunks, before.chunks);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);

	/* And the pool still grows there and serves from the survivors. */
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, pages),
			0);
	xut_expect_unpopulated(test, pages[0], nr);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
	xen_free_unpopulated_contiguous_pages(nr, pages);
	xen_free_unpopulated_pages(1, &kept);
	xen_unpop_hand_back();
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
}

/*
 * A reference that outlives the free (a pin of a buffer mapped to user
 * space) keeps its page out of service and its chunk, struct pages and
 * all, until it is dropped.
 */
static void xut_handback_waits_for_refs(struct kunit *test)
{
	const unsigned int nr = 2 * XEN_UNPOP_GRANULE_PAGES;
	struct page **pages, *held, *kept;
	struct xen_unpop_stats before;
	unsigned long pfn;

	/* Bigger than the reserve: spare as soon as it is wholly free. */
	pages = xut_new_chunk(test, nr, &kept, &before);
	held = pages[nr / 2];
	pfn = page_to_pfn(held);
	get_page(held);
	xen_free_unpopulated_contiguous_pages(nr, pages);
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held + 1);

	KUNIT_EXPECT_EQ(test, xen_unpop_hand_back(), 0U);
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held + 1);
	KUNIT_EXPECT_GT(test, xut_stats().chunks, before.chunks);
	KUNIT_EXPECT_TRUE(test, pfn_valid(pfn));
	KUNIT_EXPECT_TRUE(test, xen_unpop_page(held));
	KUNIT_EXPECT_EQ(test, page_ref_count(held), XEN_UNPOP_IDLE_REFCOUNT + 1);
	/* The retry was armed; it must not race with the checks below. */
	KUNIT_EXPECT_TRUE(test, cancel_delayed_work_sync(&xen_unpop_held_work));
	xut_cancel_work();

	put_page(held);
	KUNIT_EXPECT_GE(test, xen_unpop_hand_back(), 1U);
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held);
	KUNIT_EXPECT_EQ(test, xut_stats().chunks, before.chunks);
	if (xut_memmap_follows_chunk(pfn))
		KUNIT_EXPECT_FALSE(test, pfn_valid(pfn));
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
	xen_free_unpopulated_pages(1, &kept);
}

/* What the seams saw: chunks handed back, a late reference taken. */
static unsigned int xut_seam_handbacks;
static bool xut_seam_late_ref;

static void xut_hand_back_now(void)
{
	xut_seam_handbacks += xen_unpop_hand_back();
}

/*
 * A free of pool pages mixed with ballooned ones looks at no pool page
 * once the pool has them back, for hand-back may unmap their chunk,
 * struct pages and all, right then: here it does, from the seam right
 * after the pool's lock is dropped, so that whatever the free does after
 * that meets a chunk already unmapped.
 */
static void xut_mixed_free_then_hand_back(struct kunit *test)
{
	const unsigned int nr = 2 * XEN_UNPOP_GRANULE_PAGES;
	struct xen_unpop_stats before, during, after;
	struct page **pages, **mixed, *kept, *ram[2];
	unsigned int i, j = 0, saved_delay_ms;

	/* A new chunk, wholly free again, then its pages one by one. */
	pages = xut_new_chunk(test, nr, &kept, &before);
	mixed = kunit_kcalloc(test, nr + 2, sizeof(*mixed), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mixed);
	xen_free_unpopulated_contiguous_pages(nr, pages);
	xut_cancel_work();
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(nr, pages), 0);
	KUNIT_ASSERT_EQ(test, xen_unpop_fallback(2, ram), 0);
	during = xut_stats();

	/* Pool pages, a ballooned one, pool pages, the other one last. */
	for (i = 0; i < nr; i++) {
		mixed[j++] = pages[i];
		if (i == nr / 2)
			mixed[j++] = ram[0];
	}
	mixed[j++] = ram[1];
	saved_delay_ms = xut_hold_off_handback();
	xut_seam_handbacks = 0;
	xut_seams.after_free = xut_hand_back_now;
	xen_free_unpopulated_pages(j, mixed);
	xut_seams.after_free = NULL;
	xut_restore_delay(saved_delay_ms);
	after = xut_stats();

	KUNIT_EXPECT_GE(test, xut_seam_handbacks, 1U);
	KUNIT_EXPECT_EQ(test, after.chunks, before.chunks);
	KUNIT_EXPECT_EQ(test, after.fallback_pages_in_use,
			during.fallback_pages_in_use - 2);
	KUNIT_EXPECT_EQ(test, after.pages_total - after.pages_free,
			before.pages_total - before.pages_free);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
	xen_free_unpopulated_pages(1, &kept);
}

static void xut_take_late_ref(struct xen_unpop_chunk *chunk)
{
	struct page *page = pfn_to_page(chunk->first_pfn + chunk->nr_pages / 2);

	xut_seam_late_ref = get_page_unless_zero(page);
	if (xut_seam_late_ref)
		put_page(page);
}

/*
 * Between hand-back's choice of a chunk and its unmapping, nothing can
 * take a reference to a page of it (its counts are frozen at 0), as
 * get_page_unless_zero() by whoever still points at one would.
 */
static void xut_handback_freezes_refs(struct kunit *test)
{
	const unsigned int nr = 2 * XEN_UNPOP_GRANULE_PAGES;
	struct page **pages, *kept;
	struct xen_unpop_stats before;
	unsigned int saved_delay_ms;

	pages = xut_new_chunk(test, nr, &kept, &before);
	saved_delay_ms = xut_hold_off_handback();
	xen_free_unpopulated_contiguous_pages(nr, pages);
	xut_cancel_work();
	xut_seam_late_ref = true;
	xut_seams.before_unmap = xut_take_late_ref;
	KUNIT_EXPECT_GE(test, xen_unpop_hand_back(), 1U);
	xut_seams.before_unmap = NULL;
	xut_restore_delay(saved_delay_ms);
	KUNIT_EXPECT_FALSE_MSG(test, xut_seam_late_ref,
			       "a reference was taken on a page being unmapped");
	KUNIT_EXPECT_EQ(test, xut_stats().chunks, before.chunks);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
	xen_free_unpopulated_pages(1, &kept);
}

/*
 * A page freed with a reference still held on it is not handed out
 * again until the reference goes: its holder would see another domain's
 * frame.  Nor is a free page somebody took a reference to.
 */
static void xut_held_page_not_reused(struct kunit *test)
{
	struct xen_unpop_stats before;
	struct page *page, *again, *run[2];

	xut_cancel_work();
	xen_unpop_hand_back();
	before = xut_stats();
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(1, &page), 0);
	KUNIT_ASSERT_TRUE(test, xen_is_unpopulated_page(page));
	get_page(page);
	xen_free_unpopulated_pages(1, &page);
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held + 1);

	/* The free page looked at first is the one freed last. */
	if (!xen_alloc_unpopulated_pages(1, &again)) {
		KUNIT_EXPECT_PTR_NE(test, again, page);
		xen_free_unpopulated_pages(1, &again);
	} else {
		KUNIT_FAIL(test, "no page to allocate");
	}

	/* Released once the reference goes (its chunk may go then too). */
	put_page(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), XEN_UNPOP_IDLE_REFCOUNT);
	xen_unpop_hand_back();
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held);

	/*
	 * A reference taken on a free page, the one freed last: passed
	 * over, and held.
	 */
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(2, run), 0);
	xen_free_unpopulated_contiguous_pages(2, run);
	KUNIT_ASSERT_TRUE(test, get_page_unless_zero(run[1]));
	if (!xen_alloc_unpopulated_pages(1, &again)) {
		KUNIT_EXPECT_PTR_NE(test, again, run[1]);
		KUNIT_EXPECT_EQ(test, xut_stats().pages_held,
				before.pages_held + 1);
		xen_free_unpopulated_pages(1, &again);
	} else {
		KUNIT_FAIL(test, "no page to allocate");
	}
	put_page(run[1]);
	xen_unpop_hand_back();
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
	xut_cancel_work();
}

/* Are @pages, @nr of them, pages of the pool's in a row, in one chunk? */
static bool xut_in_a_row(struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!xen_unpop_page(pages[i]) ||
		    page_to_pfn(pages[i]) != page_to_pfn(pages[0]) + i ||
		    xen_unpop_chunk_of(pages[i]) != xen_unpop_chunk_of(pages[0]))
			return false;
	return true;
}

/* No run of @nr pages is found, and @chunk notes that none was. */
static void xut_expect_no_run(struct kunit *test, struct xen_unpop_chunk *chunk,
			      unsigned int nr, struct page **run)
{
	unsigned int miss;
	int ret;

	ret = xen_alloc_unpopulated_contiguous_pages(nr, run);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	if (!ret)
		xen_free_unpopulated_contiguous_pages(nr, run);
	mutex_lock(&xen_unpop_lock);
	miss = chunk->run_miss;
	mutex_unlock(&xen_unpop_lock);
	KUNIT_EXPECT_EQ(test, miss, nr);
}

/* Take a run of @nr pages into @run, expected from @first on: taken? */
static bool xut_take_run(struct kunit *test, unsigned int nr,
			 struct page **run, struct page *first)
{
	int ret = xen_alloc_unpopulated_contiguous_pages(nr, run);

	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret)
		return false;
	KUNIT_EXPECT_PTR_EQ(test, run[0], first);
	return true;
}

/* A run of @nr pages is found, from @first on, and given back. */
static void xut_expect_run(struct kunit *test, unsigned int nr,
			   struct page **run, struct page *first)
{
	if (xut_take_run(test, nr, run, first))
		xen_free_unpopulated_contiguous_pages(nr, run);
}

/*
 * Cap the pool at its size and take all its free pages, *@nr of them,
 * into an array of the test's; *@row is the index there of the first of
 * @len pages in a row in one chunk.  Without such pages the case is
 * skipped, the pool as it was.  xut_give_all() undoes it.
 */
static struct page **xut_take_all(struct kunit *test, unsigned int len,
				  unsigned long *nr, unsigned long *row)
{
	struct page **all;
	unsigned long i;
	int ret;

	xut_cancel_work();
	xen_unpop_hand_back();
	*nr = xut_stats().pages_free;
	if (*nr < len)
		kunit_skip(test, "fewer than %u free pages", len);
	all = kunit_kcalloc(test, *nr, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, all);
	xut_seams.limit = xut_stats().pages_total;
	ret = xen_alloc_unpopulated_pages(*nr, all);
	if (ret)
		xut_seams.limit = 0;
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "taking the pool's free pages");
	KUNIT_EXPECT_EQ(test, xut_stats().pages_free, 0UL);

	for (i = 0; i + len <= *nr; i++)
		if (xut_in_a_row(all + i, len))
			break;
	if (i + len > *nr) {
		xen_free_unpopulated_pages(*nr, all);
		xut_seams.limit = 0;
		kunit_skip(test, "no %u free pages in a row", len);
	}
	*row = i;
	return all;
}

/*
 * Give back what xut_take_all() took but the row, free by now, and lift
 * the cap.
 */
static void xut_give_all(struct kunit *test, struct page **all,
			 unsigned long nr, unsigned long row, unsigned int len)
{
	memmove(all + row, all + row + len, (nr - row - len) * sizeof(*all));
	xen_free_unpopulated_pages(nr - len, all);
	xut_seams.limit = 0;
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
}

/*
 * A search that found no run of some length is not made again in that
 * chunk until a free there makes such a run; then the run is found, be it
 * joined from both sides or one.  The pool, capped, cannot grow; all its
 * free pages are taken, then pages of four in a row of one chunk freed.
 */
static void xut_run_miss_forgotten(struct kunit *test)
{
	struct xen_unpop_chunk *chunk;
	struct page **all, *run[3], *quad[4];
	unsigned long nr, row;
	int ret;

	all = xut_take_all(test, ARRAY_SIZE(quad), &nr, &row);
	memcpy(quad, all + row, sizeof(quad));
	chunk = xen_unpop_chunk_of(quad[0]);

	/* Two free pages apart, then the one between: a run of three. */
	xen_free_unpopulated_pages(1, &quad[0]);
	xen_free_unpopulated_pages(1, &quad[2]);
	xut_expect_no_run(test, chunk, 2, run);
	xen_free_unpopulated_pages(1, &quad[1]);
	xut_expect_run(test, 3, run, quad[0]);

	/*
	 * The first three, the pool's only free pages, taken again; the
	 * first and the fourth freed, then the second: a run of exactly the
	 * length not found, joined from one side.
	 */
	ret = xen_alloc_unpopulated_pages(3, run);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		KUNIT_EXPECT_EQ(test, page_to_pfn(run[0]) + page_to_pfn(run[1]) +
				page_to_pfn(run[2]), 3 * page_to_pfn(quad[1]));
		xen_free_unpopulated_pages(1, &quad[0]);
		xen_free_unpopulated_pages(1, &quad[3]);
		xut_expect_no_run(test, chunk, 2, run);
		xen_free_unpopulated_pages(1, &quad[1]);
		xut_expect_run(test, 2, run, quad[0]);
		xen_free_unpopulated_pages(1, &quad[2]);
	} else {
		xen_free_unpopulated_pages(1, &quad[3]);
	}
	xut_give_all(test, all, nr, row, ARRAY_SIZE(quad));
}

/*
 * A run is looked for from where the last one was found on, then around
 * the chunk's start: a run freed before that point is found again only
 * once none is free past it.  The pool, capped, cannot grow; all its free
 * pages are taken, then six pages in a row of one chunk freed.
 */
static void xut_run_search_resumes(struct kunit *test)
{
	struct page **all, *six[6], *run[6], *a[2], *b[2], *c[2], *d[2];
	bool got_a, got_b, got_c, got_d;
	unsigned long nr, row;

	all = xut_take_all(test, ARRAY_SIZE(six), &nr, &row);
	memcpy(six, all + row, sizeof(six));
	xen_free_unpopulated_pages(ARRAY_SIZE(six), six);

	/* The pool's only run of six, found: where the next search starts. */
	xut_expect_run(test, ARRAY_SIZE(six), run, six[0]);
	got_a = xut_take_run(test, 2, a, six[0]);
	got_b = xut_take_run(test, 2, b, six[2]);
	if (got_a)
		xen_free_unpopulated_contiguous_pages(2, a);
	/* Not a's run, free before b's, found last: the one after it. */
	got_c = xut_take_run(test, 2, c, six[4]);
	/* Nothing free past c: around the chunk's start. */
	got_d = xut_take_run(test, 2, d, six[0]);

	if (got_b)
		xen_free_unpopulated_contiguous_pages(2, b);
	if (got_c)
		xen_free_unpopulated_contiguous_pages(2, c);
	if (got_d)
		xen_free_unpopulated_contiguous_pages(2, d);
	xut_give_all(test, all, nr, row, ARRAY_SIZE(six));
}

/* This CPU's stashed page, or NULL; the caller keeps to this CPU. */
static struct page *xut_stashed(void)
{
	return READ_ONCE(*raw_cpu_ptr(&xen_unpop_stash));
}

/* Is every CPU's stash empty? */
static bool xut_stashes_empty(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (READ_ONCE(*per_cpu_ptr(&xen_unpop_stash, cpu)))
			return false;
	return true;
}

/* Empty the stashes, for a case that looks at this CPU's. */
static void xut_drain_stashes(void)
{
	mutex_lock(&xen_unpop_lock);
	xen_unpop_drain_stashes();
	mutex_unlock(&xen_unpop_lock);
}

/* Pages the pool took from the balloon, the stashes left as they are. */
static unsigned long xut_fallback_pages(void)
{
	unsigned long n;

	mutex_lock(&xen_unpop_lock);
	n = xen_unpop_stats.fallback_pages;
	mutex_unlock(&xen_unpop_lock);
	return n;
}

/*
 * Two single pages of the pool's chunks into @a and @b, for a stash case,
 * or the case skipped (seed pages come first); hand-back held off, as
 * frees into a stash make it due.  Returns the delay for
 * xut_restore_delay().
 */
static unsigned int xut_stash_start(struct kunit *test, struct page **a,
				    struct page **b)
{
	unsigned int saved_delay_ms = xut_hold_off_handback();
	int ret;

	ret = xen_alloc_unpopulated_pages(1, a);
	if (!ret) {
		ret = xen_alloc_unpopulated_pages(1, b);
		if (ret)
			xen_free_unpopulated_pages(1, a);
	}
	if (!ret && (!xen_unpop_page(*a) || !xen_unpop_page(*b))) {
		xen_free_unpopulated_pages(1, a);
		xen_free_unpopulated_pages(1, b);
		xut_restore_delay(saved_delay_ms);
		kunit_skip(test, "single pages not of the pool's chunks");
	}
	if (ret)
		xut_restore_delay(saved_delay_ms);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "two single pages");
	return saved_delay_ms;
}

/*
 * A single page freed is this CPU's next single page, before the page
 * freed after it, which the pool's hint would give.  The case keeps to
 * one CPU only while it looks at the stash: nothing then grows the pool.
 */
static void xut_stash_serves_next(struct kunit *test)
{
	struct page *a, *b, *again;
	unsigned int saved_delay_ms = xut_stash_start(test, &a, &b);
	int ret;

	migrate_disable();
	xut_drain_stashes();
	xen_free_unpopulated_pages(1, &a);
	KUNIT_EXPECT_PTR_EQ(test, xut_stashed(), a);
	xen_free_unpopulated_pages(1, &b);
	KUNIT_EXPECT_PTR_EQ(test, xut_stashed(), a);
	ret = xen_alloc_unpopulated_pages(1, &again);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		KUNIT_EXPECT_PTR_EQ(test, again, a);
		KUNIT_EXPECT_NULL(test, xut_stashed());
	}
	migrate_enable();

	if (!ret)
		xen_free_unpopulated_pages(1, &again);
	xut_restore_delay(saved_delay_ms);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
}

/*
 * A stashed page somebody took a reference to is not handed out: it is
 * held, as its free would have done with the reference already there.
 * The pool keeps free pages (its reserve), so the allocation in between
 * takes one of them and does not grow the pool.
 */
static void xut_stash_referenced_held(struct kunit *test)
{
	struct page *page, *spare, *again;
	unsigned int saved_delay_ms = xut_stash_start(test, &page, &spare);
	struct xen_unpop_stats before;
	int ret;

	xen_free_unpopulated_pages(1, &spare);
	before = xut_stats();
	if (before.pages_free < 2) {
		xen_free_unpopulated_pages(1, &page);
		xut_restore_delay(saved_delay_ms);
		kunit_skip(test, "fewer than two free pages in the pool");
	}

	migrate_disable();
	xut_drain_stashes();
	xen_free_unpopulated_pages(1, &page);
	KUNIT_EXPECT_PTR_EQ(test, xut_stashed(), page);
	get_page(page);
	ret = xen_alloc_unpopulated_pages(1, &again);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		KUNIT_EXPECT_PTR_NE(test, again, page);
	KUNIT_EXPECT_NULL(test, xut_stashed());
	migrate_enable();

	if (!ret)
		xen_free_unpopulated_pages(1, &again);
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held + 1);
	put_page(page);
	xen_unpop_hand_back();
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held);
	xut_restore_delay(saved_delay_ms);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
}

/*
 * A chunk whose last page in use is freed into a stash still goes back:
 * the free makes a hand-back due, and hand-back puts the stashes back
 * before it looks for spare chunks.
 */
static void xut_stash_handed_back(struct kunit *test)
{
	const unsigned int nr = 2 * XEN_UNPOP_GRANULE_PAGES;
	struct xen_unpop_chunk *chunk;
	struct xen_unpop_stats before;
	struct page **pages, *kept;
	unsigned int i, saved_delay_ms;

	/* A new chunk, wholly free again, then single pages, some of it. */
	pages = xut_new_chunk(test, nr, &kept, &before);
	chunk = xen_unpop_chunk_of(pages[0]);
	xen_free_unpopulated_contiguous_pages(nr, pages);
	xut_cancel_work();
	saved_delay_ms = xut_hold_off_handback();
	i = nr;
	if (!xen_alloc_unpopulated_pages(nr, pages)) {
		for (i = 0; i < nr; i++)
			if (xen_unpop_page(pages[i]) &&
			    xen_unpop_chunk_of(pages[i]) == chunk)
				break;
		if (i == nr)
			xen_free_unpopulated_pages(nr, pages);
	}
	if (i == nr) {
		xen_free_unpopulated_pages(1, &kept);
		xut_restore_delay(saved_delay_ms);
	}
	KUNIT_ASSERT_LT_MSG(test, i, nr, "no single page of the new chunk");
	swap(pages[0], pages[i]);

	/* All but one given back, then that one, into an empty stash. */
	xen_free_unpopulated_pages(nr - 1, pages + 1);
	xut_cancel_work();
	migrate_disable();
	xut_drain_stashes();
	xen_free_unpopulated_pages(1, pages);
	KUNIT_EXPECT_PTR_EQ(test, xut_stashed(), pages[0]);
	migrate_enable();
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&xen_unpop_handback_work));

	xut_cancel_work();
	KUNIT_EXPECT_GE(test, xen_unpop_hand_back(), 1U);
	KUNIT_EXPECT_EQ(test, xut_stats().chunks, before.chunks);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
	xen_free_unpopulated_pages(1, &kept);
	xut_restore_delay(saved_delay_ms);
}

/*
 * What the bitmaps fall short of, the stashes may hold: a run's search
 * and a request for more single pages than are free there put them back
 * first, rather than fail or take RAM from the balloon.  The pool,
 * capped, cannot grow; all its free pages are taken, then two in a row
 * given back, one into this CPU's stash.
 */
static void xut_stash_drained_when_short(struct kunit *test)
{
	struct page **all, *pair[2], *run[2];
	unsigned int saved_delay_ms;
	unsigned long nr, row, fallback;
	int ret;

	all = xut_take_all(test, ARRAY_SIZE(pair), &nr, &row);
	memcpy(pair, all + row, sizeof(pair));
	saved_delay_ms = xut_hold_off_handback();

	/* A run of two, whose first page sits in the stash. */
	migrate_disable();
	xut_drain_stashes();
	xen_free_unpopulated_pages(1, &pair[0]);
	KUNIT_EXPECT_PTR_EQ(test, xut_stashed(), pair[0]);
	xen_free_unpopulated_pages(1, &pair[1]);
	migrate_enable();
	xut_expect_run(test, 2, run, pair[0]);
	KUNIT_EXPECT_TRUE(test, xut_stashes_empty());

	/* Two single pages, one of them in the stash: none from the balloon. */
	ret = xen_alloc_unpopulated_pages(2, run);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		migrate_disable();
		xut_drain_stashes();
		xen_free_unpopulated_pages(1, &run[0]);
		KUNIT_EXPECT_NOT_NULL(test, xut_stashed());
		xen_free_unpopulated_pages(1, &run[1]);
		migrate_enable();
		fallback = xut_fallback_pages();
		ret = xen_alloc_unpopulated_pages(2, run);
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, xut_fallback_pages(), fallback);
		if (!ret) {
			KUNIT_EXPECT_TRUE(test, xen_unpop_page(run[0]) &&
					  xen_unpop_page(run[1]));
			xen_free_unpopulated_pages(2, run);
		}
	}
	xut_restore_delay(saved_delay_ms);
	xut_give_all(test, all, nr, row, ARRAY_SIZE(pair));
}

/* A page held for good is looked at again less and less often, up to a limit. */
static void xut_held_retry_backs_off(struct kunit *test)
{
	unsigned int i, delay;
	struct page *page;

	xut_cancel_work();
	xen_unpop_hand_back();
	KUNIT_ASSERT_EQ(test, xut_stats().pages_held, 0UL);
	KUNIT_ASSERT_EQ(test, READ_ONCE(xen_unpop_held_delay_ms),
			(unsigned int)XEN_UNPOP_HELD_RETRY_MS);
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(1, &page), 0);
	get_page(page);
	xen_free_unpopulated_pages(1, &page);
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&xen_unpop_held_work));

	/* The case runs hand-back itself, the work never in between. */
	delay = XEN_UNPOP_HELD_RETRY_MS;
	for (i = 0; i < 10; i++) {
		xut_cancel_work();
		xen_unpop_hand_back();
		delay = min_t(unsigned int, 2 * delay,
			      XEN_UNPOP_HELD_RETRY_MAX_MS);
		KUNIT_EXPECT_EQ(test, READ_ONCE(xen_unpop_held_delay_ms), delay);
		KUNIT_EXPECT_TRUE(test,
				  delayed_work_pending(&xen_unpop_held_work));
	}
	KUNIT_EXPECT_EQ(test, delay, (unsigned int)XEN_UNPOP_HELD_RETRY_MAX_MS);

	put_page(page);
	xen_unpop_hand_back();
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, 0UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(xen_unpop_held_delay_ms),
			(unsigned int)XEN_UNPOP_HELD_RETRY_MS);
	xut_cancel_work();
}

/*
 * A page held for good backs its own retries off, but must not put off
 * the hand-back of a chunk that becomes wholly free meanwhile: that goes
 * handback_delay_ms after the free, as it would with nothing held.
 */
static void xut_held_does_not_put_off_handback(struct kunit *test)
{
	const unsigned int nr = 2 * XEN_UNPOP_GRANULE_PAGES, delay_ms = 1000;
	unsigned int saved_delay_ms = READ_ONCE(handback_delay_ms);
	struct page **pages, *kept;
	struct xen_unpop_stats before;
	unsigned long due, latest;
	bool on_time;
	int i;

	/* Bigger than the reserve: spare as soon as it is wholly free. */
	pages = xut_new_chunk(test, nr, &kept, &before);
	get_page(kept);
	xen_free_unpopulated_pages(1, &kept);
	KUNIT_ASSERT_EQ(test, xut_stats().pages_held, before.pages_held + 1);
	for (i = 0; i < 4; i++) {
		xut_cancel_work();
		xen_unpop_hand_back();
	}
	KUNIT_ASSERT_GT(test, READ_ONCE(xen_unpop_held_delay_ms), delay_ms);

	WRITE_ONCE(handback_delay_ms, delay_ms);
	xen_free_unpopulated_contiguous_pages(nr, pages);
	latest = jiffies + msecs_to_jiffies(delay_ms);
	due = READ_ONCE(xen_unpop_handback_work.timer.expires);
	on_time = time_before_eq(due, latest);
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&xen_unpop_handback_work));
	KUNIT_EXPECT_TRUE_MSG(test, on_time, "hand-back put off by %u ms",
			      jiffies_to_msecs(due - latest));
	WRITE_ONCE(handback_delay_ms, saved_delay_ms);

	xut_cancel_work();
	KUNIT_EXPECT_GE(test, xen_unpop_hand_back(), 1U);
	put_page(kept);
	xen_unpop_hand_back();
	KUNIT_EXPECT_EQ(test, xut_stats().pages_held, before.pages_held);
	KUNIT_EXPECT_EQ(test, xut_stats().chunks, before.chunks);
	KUNIT_EXPECT_EQ(test, xut_check_chunks(test), 0UL);
	xut_cancel_work();
}

/*
 * Until the PCI host bridges have claimed their windows, the pool adds
 * no chunk on iomem_resource (where one could land in a window yet to
 * come); a Xen resource holds only space Xen vouches for.
 */
static void xut_early_growth_rule(struct kunit *test)
{
	struct resource xen_res = DEFINE_RES_MEM(0x40000000ULL, SZ_1G);
	struct resource *iomem = &iomem_resource;
	struct page **pages;
	struct range limit;
	unsigned int nr;
	int ret;

	KUNIT_EXPECT_FALSE(test, xen_unpop_may_grow_on(iomem, true, false));
	KUNIT_EXPECT_TRUE(test, xen_unpop_may_grow_on(iomem, true, true));
	/* A guest other than the initial domain has no host bridge. */
	KUNIT_EXPECT_TRUE(test, xen_unpop_may_grow_on(iomem, false, false));
	KUNIT_EXPECT_TRUE(test, xen_unpop_may_grow_on(&xen_res, true, false));
	KUNIT_EXPECT_TRUE(test, xen_unpop_may_grow_on(&xen_res, false, true));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(xen_unpop_iomem_settled));

	if (target_resource != &iomem_resource || !xen_initial_domain())
		kunit_skip(test, "the space is a Xen resource, or no host bridge");
	/*
	 * As it was before the windows were known (for the pool as a whole,
	 * for the short while this takes at boot): no growth at all.
	 */
	nr = xut_stats().pages_free + XEN_UNPOP_GRANULE_PAGES;
	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);
	WRITE_ONCE(xen_unpop_iomem_settled, false);
	mutex_lock(&xen_unpop_lock);
	KUNIT_EXPECT_FALSE(test, xen_unpop_space(&limit));
	mutex_unlock(&xen_unpop_lock);
	ret = xen_alloc_unpopulated_contiguous_pages(nr, pages);
	WRITE_ONCE(xen_unpop_iomem_settled, true);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	if (!ret)
		xen_free_unpopulated_contiguous_pages(nr, pages);
}

/*
 * A page allocated at core_initcall, as a PVH guest maps its grant table
 * then, before the PCI host bridges claim their windows in iomem_resource
 * (and before the balloon is set up).  Only when the suite is to run.
 */
static struct page *xut_early_page;
static int xut_early_ret = -EAGAIN;

static int __init xut_early_alloc(void)
{
	if (kunit_enabled() && xen_domain())
		xut_early_ret = xen_alloc_unpopulated_pages(1, &xut_early_page);
	return 0;
}
core_initcall(xut_early_alloc);

struct xut_overlap {
	u64 start, end;		/* a chunk */
	unsigned int others;	/* ranges of iomem_resource that meet it */
};

/* walk_iomem_res_desc() callback: a range other than the chunk's own. */
static int xut_note_overlap(struct resource *res, void *arg)
{
	struct xut_overlap *o = arg;

	if (res->start <= o->end && o->start <= res->end &&
	    (res->start != o->start || res->end != o->end))
		o->others++;
	return 0;
}

/*
 * That early page lies in nothing claimed since (a PCI host bridge
 * window takes an early chunk in as its child): on iomem_resource it is
 * a seed page or a ballooned one, whose frame is RAM, not a chunk's.
 */
static void xut_early_page_clear_of_windows(struct kunit *test)
{
	struct xen_unpop_chunk *chunk;
	struct xut_overlap o = {};

	KUNIT_ASSERT_EQ(test, xut_early_ret, 0);
	if (xen_unpop_page(xut_early_page)) {
		chunk = xen_unpop_chunk_of(xut_early_page);
		o.start = chunk->res.start;
		o.end = chunk->res.end;
		walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM, 0, U64_MAX,
				    &o, xut_note_overlap);
		kunit_info(test, "early chunk %pR: %u other ranges meet it, in %s\n",
			   &chunk->res, o.others, chunk->res.parent == &iomem_resource ?
			   "iomem_resource" : chunk->res.parent->name);
		KUNIT_EXPECT_EQ(test, o.others, 0U);
		KUNIT_EXPECT_PTR_NE(test, target_resource, &iomem_resource);
	} else {
		kunit_info(test, "early page at %#llx: %s\n",
			   (u64)page_to_phys(xut_early_page),
			   xen_unpop_seed_page(xut_early_page) ? "a seed page" :
			   "ballooned");
	}
	xen_free_unpopulated_pages(1, &xut_early_page);
	xut_early_ret = -EAGAIN;
}

/* The early page, if no case freed it (all skipped, say). */
static void xut_suite_exit(struct kunit_suite *suite)
{
	if (!xut_early_ret)
		xen_free_unpopulated_pages(1, &xut_early_page);
	xut_early_ret = -EAGAIN;
}

/* Seed frames are noted in runs; one that fits none is refused. */
static void xut_seed_record_rule(struct kunit *test)
{
	struct range runs[2] = {};
	unsigned int nr = 0;

	KUNIT_EXPECT_TRUE(test, xen_unpop_seed_record(runs, &nr, 2, 10));
	KUNIT_EXPECT_TRUE(test, xen_unpop_seed_record(runs, &nr, 2, 11));
	KUNIT_EXPECT_TRUE(test, xen_unpop_seed_record(runs, &nr, 2, 20));
	KUNIT_EXPECT_TRUE(test, xen_unpop_seed_record(runs, &nr, 2, 21));
	KUNIT_EXPECT_EQ(test, nr, 2U);
	KUNIT_EXPECT_EQ(test, runs[0].start, 10ULL);
	KUNIT_EXPECT_EQ(test, runs[0].end, 11ULL);
	KUNIT_EXPECT_EQ(test, runs[1].start, 20ULL);
	KUNIT_EXPECT_EQ(test, runs[1].end, 21ULL);
	/* Full: only the last run may grow, and never past the top. */
	KUNIT_EXPECT_FALSE(test, xen_unpop_seed_record(runs, &nr, 2, 12));
	KUNIT_EXPECT_FALSE(test, xen_unpop_seed_record(runs, &nr, 2, 30));
	KUNIT_EXPECT_EQ(test, nr, 2U);
	KUNIT_EXPECT_EQ(test, runs[1].end, 21ULL);
	runs[1].end = U64_MAX;
	KUNIT_EXPECT_FALSE(test, xen_unpop_seed_record(runs, &nr, 2, 0));
}

/*
 * Chunks on their way out are still in iomem_resource until released:
 * they raise the placement floor no more than the pool's own chunks.
 */
static void xut_floor_skips_leaving(struct kunit *test)
{
	/* Far above any chunk: a PV p2m ends at 512 GiB, regions lower. */
	struct resource probe = DEFINE_RES_MEM(0x7f0000000000ULL, SZ_2M);
	struct xen_unpop_chunk *fake;
	u64 highest = 0;

	fake = kunit_kzalloc(test, sizeof(*fake), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fake);
	fake->res = probe;

	mutex_lock(&xen_unpop_handback_lock);
	mutex_lock(&xen_unpop_lock);
	xen_unpop_note_end(&probe, &highest);
	KUNIT_EXPECT_EQ(test, highest, (u64)probe.end);
	highest = 0;
	list_add(&fake->list, &xen_unpop_leaving);
	xen_unpop_note_end(&probe, &highest);
	list_del(&fake->list);
	mutex_unlock(&xen_unpop_lock);
	mutex_unlock(&xen_unpop_handback_lock);
	KUNIT_EXPECT_EQ(test, highest, 0ULL);
}

/*
 * Seed pages (x86 gives the pool the unpopulated part of Xen's extra
 * memory at boot) are served first, are neither chunk pages nor
 * fallback pages, and go back among the seeds when freed.
 */
static void xut_seed_pages(struct kunit *test)
{
	struct xen_unpop_stats before, during, after;
	struct page *pages[4];
	unsigned int i;

	xut_restore_seeds();
	before = xut_stats();
	if (before.seed_pages_free < ARRAY_SIZE(pages))
		kunit_skip(test, "no seed pages from the architecture");
	KUNIT_EXPECT_LE(test, before.seed_pages_free, before.seed_pages);

	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(ARRAY_SIZE(pages),
							  pages), 0);
	during = xut_stats();
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		KUNIT_EXPECT_TRUE(test, xen_unpop_seed_page(pages[i]));
		KUNIT_EXPECT_FALSE(test, xen_is_unpopulated_page(pages[i]));
	}
	KUNIT_EXPECT_EQ(test, during.seed_pages_free,
			before.seed_pages_free - ARRAY_SIZE(pages));
	KUNIT_EXPECT_EQ(test, during.pages_free, before.pages_free);
	KUNIT_EXPECT_EQ(test, during.fallback_pages, before.fallback_pages);

	xen_free_unpopulated_pages(ARRAY_SIZE(pages), pages);
	after = xut_stats();
	KUNIT_EXPECT_EQ(test, after.seed_pages_free, before.seed_pages_free);
	KUNIT_EXPECT_EQ(test, after.fallback_pages_in_use,
			before.fallback_pages_in_use);
	kunit_info(test, "%lu seed pages in %u runs\n", after.seed_pages,
		   xen_unpop_seed_ranges);
}

/*
 * The seed-page cases start from every seed page back among the free
 * ones, no hand-back pending, and the map of held seed pages there; the
 * pool's counters then.
 */
static struct xen_unpop_stats xut_seed_case_begin(struct kunit *test)
{
	struct xen_unpop_stats before;

	xut_restore_seeds();
	xen_unpop_hand_back();
	xut_cancel_work();
	before = xut_stats();
	if (before.seed_pages_free < 2)
		kunit_skip(test, "no seed pages from the architecture");
	if (!xen_unpop_seeds_held)
		kunit_skip(test, "no map of held seed pages");
	return before;
}

/*
 * A seed page freed with a reference left is held, as a chunk's page
 * is: not handed out again, nor released by hand-back, until the
 * reference goes; then it is free again.
 */
static void xut_seed_page_held(struct kunit *test)
{
	struct xen_unpop_stats before, held, during, after;
	struct page *page, *again = NULL;
	int ret;

	before = xut_seed_case_begin(test);

	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(1, &page), 0);
	if (!xen_unpop_seed_page(page)) {
		xen_free_unpopulated_pages(1, &page);
		KUNIT_FAIL(test, "the first free seed page was not served first");
		return;
	}
	KUNIT_EXPECT_EQ(test, page_ref_count(page), XEN_UNPOP_IDLE_REFCOUNT);
	get_page(page);
	xen_free_unpopulated_pages(1, &page);
	held = xut_stats();
	ret = xen_alloc_unpopulated_pages(1, &again);
	if (!ret)
		xen_free_unpopulated_pages(1, &again);
	xen_unpop_hand_back();
	during = xut_stats();
	put_page(page);
	xen_unpop_hand_back();
	xut_cancel_work();
	after = xut_stats();

	KUNIT_EXPECT_EQ(test, held.seed_pages_held, before.seed_pages_held + 1);
	KUNIT_EXPECT_EQ(test, held.seed_pages_free, before.seed_pages_free - 1);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_PTR_NE(test, again, page);
	KUNIT_EXPECT_EQ(test, during.seed_pages_held, held.seed_pages_held);
	KUNIT_EXPECT_EQ(test, after.seed_pages_held, before.seed_pages_held);
	KUNIT_EXPECT_EQ(test, after.seed_pages_free, before.seed_pages_free);
	KUNIT_EXPECT_EQ(test, after.seed_pages, before.seed_pages);
}

/*
 * A free seed page that somebody took a reference to after its free (by
 * a pointer kept) is held when its turn comes, not handed out.
 */
static void xut_seed_page_late_ref(struct kunit *test)
{
	struct xen_unpop_stats before, during, after;
	struct page *page, *again = NULL;
	int ret;

	before = xut_seed_case_begin(test);

	/* Freed, it is the first free seed page again. */
	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_pages(1, &page), 0);
	xen_free_unpopulated_pages(1, &page);
	if (!xen_unpop_seed_page(page)) {
		KUNIT_FAIL(test, "the first free seed page was not served first");
		return;
	}
	get_page(page);
	ret = xen_alloc_unpopulated_pages(1, &again);
	during = xut_stats();
	if (!ret)
		xen_free_unpopulated_pages(1, &again);
	put_page(page);
	xen_unpop_hand_back();
	xut_cancel_work();
	after = xut_stats();

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_PTR_NE(test, again, page);
	KUNIT_EXPECT_EQ(test, during.seed_pages_held,
			before.seed_pages_held + 1);
	KUNIT_EXPECT_EQ(test, after.seed_pages_held, before.seed_pages_held);
	KUNIT_EXPECT_EQ(test, after.seed_pages_free, before.seed_pages_free);
}

/* The placement rule on iomem_resource, as a pure function. */
static void xut_iomem_floor_rule(struct kunit *test)
{
	const u64 g2m = SZ_2M, g64m = SZ_64M;

	/* Never below 4 GiB, whatever lies below it. */
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(0, g2m), (u64)SZ_4G);
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(0xfeffffff, g2m), (u64)SZ_4G);
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(SZ_4G - 1, g2m), (u64)SZ_4G);
	/* Above the highest range described, granule-aligned. */
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(SZ_4G, g2m),
			(u64)SZ_4G + SZ_2M);
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(0x8ffffffffULL, g2m),
			0x900000000ULL);
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(0x900000005ULL, g64m),
			0x904000000ULL);
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(0xfd00000000ULL - 1, g64m),
			0xfd00000000ULL);
	/* Nothing left above: no address at all, not a wrapped one. */
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(U64_MAX, g2m), U64_MAX);
	KUNIT_EXPECT_EQ(test, xen_unpop_iomem_floor(U64_MAX - SZ_1M, g2m),
			U64_MAX);
}

struct xut_described {
	u64 reach;	/* highest address the pool may use */
	u64 highest;	/* highest end of a range that starts within reach */
};

/*
 * Top-level ranges of iomem_resource other than our chunks, that start
 * where the pool could reach.
 */
static int xut_note_described(struct resource *res, void *arg)
{
	struct xut_described *d = arg;
	struct xen_unpop_chunk *chunk;

	if (res->parent != &iomem_resource || res->start > d->reach)
		return 0;
	list_for_each_entry(chunk, &xen_unpop_chunks, list)
		if (res->start == chunk->res.start && res->end == chunk->res.end)
			return 0;
	d->highest = max_t(u64, d->highest, res->end);
	return 0;
}

/*
 * Where the space is iomem_resource, a new chunk lies above 4 GiB and
 * above every range that iomem_resource describes, but for ranges beyond
 * the pool's reach (above a PV p2m, say).
 */
static void xut_iomem_placement(struct kunit *test)
{
	const unsigned int nr = XEN_UNPOP_GRANULE_PAGES;
	struct xut_described d = { .reach = xen_unpop_max_addr() };
	resource_size_t start;
	struct page **pages;

	if (target_resource != &iomem_resource)
		kunit_skip(test, "the space is a Xen resource");
	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);

	KUNIT_ASSERT_EQ(test, xen_alloc_unpopulated_contiguous_pages(nr, pages),
			0);
	mutex_lock(&xen_unpop_lock);
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM, 0, U64_MAX, &d,
			    xut_note_described);
	mutex_unlock(&xen_unpop_lock);
	start = page_to_phys(pages[0]);
	kunit_info(test, "chunk at %pa, highest range described within reach (0x%llx) ends at 0x%llx\n",
		   &start, d.reach, d.highest);
	KUNIT_EXPECT_GE(test, (u64)start, (u64)SZ_4G);
	KUNIT_EXPECT_GT(test, (u64)start, d.highest);
	KUNIT_EXPECT_LE(test, (u64)start + ((u64)nr << PAGE_SHIFT) - 1, d.reach);
	xen_free_unpopulated_contiguous_pages(nr, pages);
}

/* The lowest stretch clear of a sorted list of busy ranges. */
static void xut_skip_busy_rule(struct kunit *test)
{
	const resource_size_t top = ~(resource_size_t)0;
	struct resource r[4] = {
		DEFINE_RES_MEM(0x1000, 0x1000),
		DEFINE_RES_MEM(0x2000, 0x1000),	/* touches the first */
		DEFINE_RES_MEM(0x10000, 0x1000),
		DEFINE_RES_MEM(top - 0xfff, 0x1000),	/* the very top */
	};
	resource_size_t start;
	unsigned int i;

	for (i = 0; i + 1 < ARRAY_SIZE(r); i++)
		r[i].sibling = &r[i + 1];

	/* Room before the first busy range: unchanged. */
	start = 0;
	KUNIT_EXPECT_TRUE(test, xen_unpop_skip_busy(r, 0x1000, 0x1000, &start));
	KUNIT_EXPECT_EQ(test, (u64)start, 0ULL);
	/* Past two touching ranges at once. */
	start = 0;
	KUNIT_EXPECT_TRUE(test, xen_unpop_skip_busy(r, 0x2000, 0x1000, &start));
	KUNIT_EXPECT_EQ(test, (u64)start, 0x3000ULL);
	/* A gap that fits exactly, and one byte more that does not. */
	start = 0x3000;
	KUNIT_EXPECT_TRUE(test, xen_unpop_skip_busy(r, 0xd000, 0x1000, &start));
	KUNIT_EXPECT_EQ(test, (u64)start, 0x3000ULL);
	KUNIT_EXPECT_TRUE(test, xen_unpop_skip_busy(r, 0xd001, 0x1000, &start));
	KUNIT_EXPECT_EQ(test, (u64)start, 0x11000ULL);
	/* The alignment holds past a busy range. */
	start = 0;
	KUNIT_EXPECT_TRUE(test, xen_unpop_skip_busy(r, 0x2000, 0x4000, &start));
	KUNIT_EXPECT_EQ(test, (u64)start, 0x4000ULL);
	/* Up against the top: no start, not a wrapped one. */
	start = top - 0x3fff;
	KUNIT_EXPECT_FALSE(test, xen_unpop_skip_busy(r, 0x8000, 0x1000, &start));
	start = top - 0x1fff;
	KUNIT_EXPECT_TRUE(test, xen_unpop_skip_busy(r, 0x1000, 0x1000, &start));
	KUNIT_EXPECT_EQ(test, (u64)start, (u64)(top - 0x1fff));
	KUNIT_EXPECT_FALSE(test, xen_unpop_skip_busy(r, 0x2000, 0x1000, &start));
}

/* Has some chunk a free run of @nr pages?  Lock held. */
static bool xut_pool_has_run(unsigned int nr)
{
	struct xen_unpop_chunk *chunk;

	list_for_each_entry(chunk, &xen_unpop_chunks, list)
		if (chunk->nr_free >= nr &&
		    bitmap_find_next_zero_area(chunk->used, chunk->nr_pages, 0,
					       nr, 0) < chunk->nr_pages)
			return true;
	return false;
}

/*
 * Space of the Xen resource that somebody else took in iomem_resource
 * (the balloon hotplugs sections there) is passed over: growth goes on
 * above it instead of failing at every try.
 */
static void xut_growth_skips_busy_iomem(struct kunit *test)
{
	const resource_size_t granule = XEN_UNPOP_GRANULE_PAGES << PAGE_SHIFT;
	const unsigned int nr = 2 * XEN_UNPOP_GRANULE_PAGES;
	struct resource probe = { .name = "xut probe", .flags = IORESOURCE_MEM };
	struct xen_unpop_stats before, after;
	struct resource *blocker;
	resource_size_t start, size;
	struct page **pages;
	struct range limit;
	int ret;

	if (target_resource == &iomem_resource)
		kunit_skip(test, "the space is iomem_resource itself");
	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	blocker = kunit_kzalloc(test, sizeof(*blocker), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blocker);

	/* No such run free in the pool (its reserve is one granule). */
	xen_unpop_hand_back();
	mutex_lock(&xen_unpop_lock);
	if (xut_pool_has_run(nr)) {
		mutex_unlock(&xen_unpop_lock);
		kunit_skip(test, "a run of %u pages is free already", nr);
	}
	/* Where that growth would go, and its first granule taken. */
	size = (resource_size_t)max(nr, xen_unpop_growth) << PAGE_SHIFT;
	ret = -ENOSPC;
	if (xen_unpop_space(&limit))
		ret = allocate_resource(target_resource, &probe, size,
					limit.start, limit.end, granule,
					xen_unpop_align, NULL);
	if (!ret)
		release_resource(&probe);
	mutex_unlock(&xen_unpop_lock);
	if (ret)
		kunit_skip(test, "no room to grow by %pa bytes", &size);
	blocker->name = "xut busy";
	blocker->start = probe.start;
	blocker->end = probe.start + granule - 1;
	blocker->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	KUNIT_ASSERT_EQ(test, request_resource(&iomem_resource, blocker), 0);

	before = xut_stats();
	ret = xen_alloc_unpopulated_contiguous_pages(nr, pages);
	after = xut_stats();
	release_resource(blocker);
	KUNIT_ASSERT_EQ(test, ret, 0);

	start = page_to_phys(pages[0]);
	kunit_info(test, "busy %pR, run at %pa\n", blocker, &start);
	xut_expect_unpopulated(test, pages[0], nr);
	KUNIT_EXPECT_TRUE(test, start > blocker->end ||
			  start + ((resource_size_t)nr << PAGE_SHIFT) - 1 <
			  blocker->start);
	KUNIT_EXPECT_EQ(test, after.grow_failures, before.grow_failures);
	KUNIT_EXPECT_GT(test, after.pages_total, before.pages_total);
	xen_free_unpopulated_contiguous_pages(nr, pages);
}

#define XUT_MAX_REGIONS	64

/*
 * The regions of a Xen resource: the gaps between its children that are
 * not our chunks (the busy holes).  Returns the number found, or -1.
 */
static int xut_regions(struct range *regions)
{
	resource_size_t next = target_resource->start;
	struct xen_unpop_chunk *chunk;
	struct resource *child;
	int nr = 0;

	mutex_lock(&xen_unpop_lock);
	for (child = target_resource->child; child; child = child->sibling) {
		bool ours = false;

		list_for_each_entry(chunk, &xen_unpop_chunks, list)
			ours |= child == &chunk->res;
		if (ours)
			continue;
		if (child->start > next && nr < XUT_MAX_REGIONS)
			regions[nr++] = (struct range){ next, child->start - 1 };
		next = child->end + 1;
	}
	if (next <= target_resource->end && nr < XUT_MAX_REGIONS)
		regions[nr++] = (struct range){ next, target_resource->end };
	mutex_unlock(&xen_unpop_lock);
	return nr;
}

/* Bytes of @region that lie in chunks of the pool. */
static u64 xut_bytes_in_chunks(const struct range *region)
{
	struct xen_unpop_chunk *chunk;
	u64 bytes = 0;

	mutex_lock(&xen_unpop_lock);
	list_for_each_entry(chunk, &xen_unpop_chunks, list) {
		u64 start = max_t(u64, chunk->res.start, region->start);
		u64 end = min_t(u64, chunk->res.end, region->end);

		if (start <= end)
			bytes += end - start + 1;
	}
	mutex_unlock(&xen_unpop_lock);
	return bytes;
}

/*
 * Exhaust the pool with runs of one granule: every region, however
 * small, must end up wholly in chunks, as far as it is usable (inside
 * the hotpluggable range, in whole granules).
 */
static void xut_every_region_used(struct kunit *test)
{
	const u64 granule = (u64)XEN_UNPOP_GRANULE_PAGES << PAGE_SHIFT;
	struct range limit = mhp_get_pluggable_range(true), *regions, usable;
	struct xen_unpop_stats before, after;
	unsigned int nr_runs = 0, max_runs, i;
	struct page **firsts, **run;
	u64 total = 0;
	int nr;

	if (target_resource == &iomem_resource)
		kunit_skip(test, "no extended regions");

	regions = kunit_kcalloc(test, XUT_MAX_REGIONS, sizeof(*regions),
				GFP_KERNEL);
	run = kunit_kcalloc(test, XEN_UNPOP_GRANULE_PAGES, sizeof(*run),
			    GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, regions);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, run);

	nr = xut_regions(regions);
	KUNIT_ASSERT_GT(test, nr, 0);
	for (i = 0; i < nr; i++)
		if (xen_ext_region_clamp(&regions[i], &limit, granule, &usable))
			total += usable.end - usable.start + 1;
	if (total > SZ_4G)
		kunit_skip(test, "too much space to exhaust in a test");

	max_runs = total / granule + 1;
	firsts = kunit_kcalloc(test, max_runs, sizeof(*firsts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, firsts);

	xen_unpop_hand_back();
	before = xut_stats();
	while (nr_runs < max_runs &&
	       !xen_alloc_unpopulated_contiguous_pages(XEN_UNPOP_GRANULE_PAGES,
						       run))
		firsts[nr_runs++] = run[0];
	KUNIT_EXPECT_LT(test, nr_runs, max_runs);

	for (i = 0; i < nr; i++) {
		u64 want = 0, got = xut_bytes_in_chunks(&regions[i]);

		if (xen_ext_region_clamp(&regions[i], &limit, granule, &usable))
			want = usable.end - usable.start + 1;
		kunit_info(test, "region 0x%llx-0x%llx (%llu MiB): %llu MiB usable, %llu MiB used\n",
			   regions[i].start, regions[i].end,
			   (regions[i].end - regions[i].start + 1) >> 20,
			   want >> 20, got >> 20);
		KUNIT_EXPECT_EQ(test, got, want);
	}
	KUNIT_EXPECT_EQ(test, (u64)xut_stats().pages_total << PAGE_SHIFT, total);

	for (i = 0; i < nr_runs; i++) {
		unsigned int j;

		for (j = 0; j < XEN_UNPOP_GRANULE_PAGES; j++)
			run[j] = pfn_to_page(page_to_pfn(firsts[i]) + j);
		xen_free_unpopulated_contiguous_pages(XEN_UNPOP_GRANULE_PAGES,
						      run);
	}
	xen_unpop_hand_back();
	after = xut_stats();
	KUNIT_EXPECT_EQ(test, after.pages_total - after.pages_free,
			before.pages_total - before.pages_free);
	KUNIT_EXPECT_LE(test, after.pages_total, before.pages_total);
}

static struct kunit_case xen_unpopulated_alloc_test_cases[] = {
	KUNIT_CASE(xut_single_page),
	KUNIT_CASE(xut_idle_refcount),
	KUNIT_CASE(xut_many_single_pages),
	KUNIT_CASE_PARAM(xut_contiguous, xut_run_gen_params),
	KUNIT_CASE(xut_contiguous_zero),
	KUNIT_CASE(xut_interleaved),
	KUNIT_CASE(xut_exhaustion_falls_back),
	KUNIT_CASE(xut_handback_returns_ram),
	KUNIT_CASE(xut_handback_keeps_neighbours),
	KUNIT_CASE(xut_handback_waits_for_refs),
	KUNIT_CASE(xut_mixed_free_then_hand_back),
	KUNIT_CASE(xut_handback_freezes_refs),
	KUNIT_CASE(xut_held_page_not_reused),
	KUNIT_CASE(xut_held_retry_backs_off),
	KUNIT_CASE(xut_held_does_not_put_off_handback),
	KUNIT_CASE(xut_early_growth_rule),
	KUNIT_CASE(xut_early_page_clear_of_windows),
	KUNIT_CASE(xut_seed_record_rule),
	KUNIT_CASE(xut_floor_skips_leaving),
	KUNIT_CASE(xut_seed_pages),
	KUNIT_CASE(xut_seed_page_held),
	KUNIT_CASE(xut_seed_page_late_ref),
	KUNIT_CASE(xut_iomem_floor_rule),
	KUNIT_CASE(xut_iomem_placement),
	KUNIT_CASE(xut_skip_busy_rule),
	KUNIT_CASE(xut_growth_skips_busy_iomem),
	KUNIT_CASE(xut_every_region_used),
	KUNIT_CASE(xut_run_miss_forgotten),
	KUNIT_CASE(xut_run_search_resumes),
	KUNIT_CASE(xut_stash_serves_next),
	KUNIT_CASE(xut_stash_referenced_held),
	KUNIT_CASE(xut_stash_handed_back),
	KUNIT_CASE(xut_stash_drained_when_short),
	KUNIT_CASE(xut_handback_queued_when_spare),
	{}
};

static struct kunit_suite xen_unpopulated_alloc_test_suite = {
	.name = "xen_unpopulated_alloc",
	.init = xut_init,
	.exit = xut_exit,
	.suite_exit = xut_suite_exit,
	.test_cases = xen_unpopulated_alloc_test_cases,
};

kunit_test_suite(xen_unpopulated_alloc_test_suite);

#endif /* _XEN_UNPOPULATED_ALLOC_TEST_H */
