// SPDX-License-Identifier: GPL-2.0
/*
 * Grant maps on unpopulated pages, end to end.
 *
 * The domain grants its own pages with /dev/xen/gntalloc and maps them
 * back through /dev/xen/gntdev.  The data must cross both ways, and the
 * allocator's counters in debugfs (xen/unpopulated/stats) must show where
 * the mapping's pages came from and that they went back: the unpopulated
 * pool when the allocator has a resource, ballooned RAM when it has none
 * (as with Xen's ext_regions=no on Arm).
 *
 * Variants are sized in bytes of mapping, so that the RAM gntalloc takes
 * for the granted side is the same whatever the page size; the uAPI counts
 * grants, one a kernel page.
 *
 * Needs: a Xen domain that may map grants (dom0, a domU), debugfs,
 * xen_gntalloc.limit at least as large as the biggest variant.  Without
 * the allocator's counters (a kernel without the series) or the grant
 * devices, the whole program is skipped (exit 4).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "unpopulated.h"

static long pages_in_use(void)
{
	return unpop_stat("pages_in_use");
}

/* Every word of every page: the mapping must show all of it. */
static void fill(void *buf, unsigned int pages, uint64_t seed)
{
	unpop_fill(buf, pages, pages, 1, seed);
}

static long check(const void *buf, unsigned int pages, uint64_t seed)
{
	return unpop_check(buf, pages, pages, 1, seed);
}

FIXTURE(grant) {
	int gntalloc;
	int gntdev;
	struct ioctl_gntalloc_alloc_gref *alloc;
	void *src;
	size_t len;
};

FIXTURE_VARIANT(grant) {
	size_t bytes;
};

FIXTURE_VARIANT_ADD(grant, kib_4) { .bytes = 4096 };
FIXTURE_VARIANT_ADD(grant, kib_64) { .bytes = 64 << 10 };
FIXTURE_VARIANT_ADD(grant, mib_2) { .bytes = 2 << 20 };
FIXTURE_VARIANT_ADD(grant, mib_64) { .bytes = 64 << 20 };

FIXTURE_SETUP(grant)
{
	unsigned int n = unpop_pages(variant->bytes);

	self->gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	ASSERT_LE(0, self->gntalloc);
	self->gntdev = open("/dev/xen/gntdev", O_RDWR);
	ASSERT_LE(0, self->gntdev);

	self->len = n * unpop_page();
	self->alloc = unpop_grant_own(self->gntalloc, n, &self->src);
	ASSERT_NE(NULL, self->alloc) {
		TH_LOG("gntalloc of %u pages: %s (xen_gntalloc.limit?)", n,
		       strerror(errno));
	}
}

FIXTURE_TEARDOWN(grant)
{
	unpop_release_grants(self->gntalloc, self->gntdev, self->alloc,
			     self->src, self->len);
}

TEST_F(grant, map_and_unmap)
{
	unsigned int n = unpop_pages(variant->bytes);
	struct ioctl_gntdev_map_grant_ref *map;
	struct ioctl_gntdev_unmap_grant_ref unmap = { 0 };
	long in_use, fallback, fallback_in_use;
	int pool = unpop_have_pool();
	void *dst;

	fill(self->src, n, 0x5eed0000cafe0000ULL);
	in_use = pages_in_use();
	fallback = unpop_stat("fallback_pages");
	fallback_in_use = unpop_stat("fallback_pages_in_use");
	ASSERT_LE(0, in_use);
	ASSERT_LE(0, fallback);
	ASSERT_LE(0, fallback_in_use);
	TH_LOG("%u pages of %zu KiB, expected from %s", n, unpop_page() >> 10,
	       pool ? "the unpopulated pool" : "the balloon");

	map = unpop_map_request(self->alloc, 0, n);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, map)) {
		TH_LOG("map of %u grants: %s", n, strerror(errno));
	}

	/* gntdev took its pages from the pool, or else from the balloon. */
	if (pool) {
		EXPECT_EQ(in_use + n, pages_in_use());
		EXPECT_EQ(fallback, unpop_stat("fallback_pages"));
	} else {
		EXPECT_EQ(in_use, pages_in_use());
		EXPECT_EQ(fallback + n, unpop_stat("fallback_pages"));
		EXPECT_EQ(fallback_in_use + n,
			  unpop_stat("fallback_pages_in_use"));
	}

	dst = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->gntdev, map->index);
	ASSERT_NE(MAP_FAILED, dst) {
		TH_LOG("mmap of %u grants: %s", n, strerror(errno));
	}

	/* Granter to mapper, then mapper to granter. */
	EXPECT_EQ(-1, check(dst, n, 0x5eed0000cafe0000ULL));
	fill(dst, n, 0xfeed0000beef0000ULL);
	EXPECT_EQ(-1, check(self->src, n, 0xfeed0000beef0000ULL));

	EXPECT_EQ(0, munmap(dst, self->len));
	unmap.index = map->index;
	unmap.count = n;
	EXPECT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap));
	free(map);

	/* Every page went back where it came from. */
	EXPECT_EQ(in_use, pages_in_use());
	EXPECT_EQ(fallback_in_use, unpop_stat("fallback_pages_in_use"));
}

int main(int argc, char **argv)
{
	return unpop_harness_main(argc, argv, unpop_missing());
}
