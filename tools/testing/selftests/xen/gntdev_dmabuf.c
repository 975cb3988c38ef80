// SPDX-License-Identifier: GPL-2.0
/*
 * Grant DMA buffers (gntdev dma-buf export) on unpopulated pages, and the
 * RAM fallback.
 *
 * The domain grants its own pages with /dev/xen/gntalloc, exports them
 * as a dma-buf with IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, imports that
 * dma-buf back as grant references (IOCTL_GNTDEV_DMABUF_IMP_TO_REFS) and
 * maps those through gntdev: the data must cross both ways.  The
 * allocator's counters (debugfs xen/unpopulated/stats) say which path
 * backed the buffer, and must return to where they were after release.
 *
 * N in debugfs xen/grant_table/dma_unpopulated forces the RAM path,
 * which without CMA cannot provide buffers of more than a few MiB: there
 * the bigger variants may fail with ENOMEM, as they do on a stock kernel,
 * or succeed on RAM where CMA has the memory.
 *
 * Variants are sized in bytes of buffer; the uAPI counts grants, one a
 * kernel page, of which only the first Xen page is granted.
 *
 * Grant references are scarce: Xen 4.17 gives an Arm dom0 at most as many
 * grant frames as its own text section holds (116 frames, 59392 refs, for
 * Debian's build).  So a buffer is exported from at most REFS_MAX_BYTES of
 * granted pages, used in turn (a grant may be mapped up to 255 times), and
 * the import back, which needs a fresh ref per page, runs up to IMPORT_MAX
 * pages; the data is checked there.  Bigger buffers are still exported,
 * counted and released.
 *
 * Needs: dom0 or a domU (the grants are the domain's own), debugfs, and a
 * grant table above Xen's default of 64 frames for the bigger variants.
 * Where the allocator's counters, the grant devices or dma-buf export are
 * missing (a kernel without the series, a PV dom0, whose gntdev refuses
 * to export), the program is skipped (exit 4).
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

#define KNOB	"/sys/kernel/debug/xen/grant_table/dma_unpopulated"
/* Largest buffer the RAM path surely gives, CMA or not. */
#define RAM_PATH_SURE_BYTES	(4UL << 20)
/* Granted pages a buffer is exported from, used in turn (RAM they take). */
#define REFS_MAX_BYTES		(16UL << 20)
/* Largest buffer imported back as refs, one a page. */
#define IMPORT_MAX		16384

static int set_knob(int on)
{
	int fd = open(KNOB, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, on ? "Y" : "N", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/* A few words a page: enough to tell pages apart, fast under TCG. */
#define STRIDE	127

static void fill(uint64_t *w, unsigned int pages, unsigned int refs,
		 uint64_t seed)
{
	unpop_fill(w, pages, refs, STRIDE, seed);
}

static long check(const uint64_t *w, unsigned int pages, unsigned int refs,
		  uint64_t seed)
{
	return unpop_check(w, pages, refs, STRIDE, seed);
}

FIXTURE(dmabuf) {
	int gntalloc;
	int gntdev;
	struct ioctl_gntalloc_alloc_gref *alloc;
	void *src;
	unsigned int refs;
	int forced_ram;
};

FIXTURE_VARIANT(dmabuf) {
	size_t bytes;
	unsigned int flags;
	int force_ram;
};

FIXTURE_VARIANT_ADD(dmabuf, wc_kib_4) {
	.bytes = 4096, .flags = GNTDEV_DMA_FLAG_WC,
};

FIXTURE_VARIANT_ADD(dmabuf, wc_kib_64) {
	.bytes = 64 << 10, .flags = GNTDEV_DMA_FLAG_WC,
};

FIXTURE_VARIANT_ADD(dmabuf, wc_mib_4) {
	.bytes = 4 << 20, .flags = GNTDEV_DMA_FLAG_WC,
};

FIXTURE_VARIANT_ADD(dmabuf, wc_mib_64) {
	.bytes = 64 << 20, .flags = GNTDEV_DMA_FLAG_WC,
};

FIXTURE_VARIANT_ADD(dmabuf, wc_mib_256) {
	.bytes = 256UL << 20, .flags = GNTDEV_DMA_FLAG_WC,
};

FIXTURE_VARIANT_ADD(dmabuf, coherent_kib_4) {
	.bytes = 4096, .flags = GNTDEV_DMA_FLAG_COHERENT,
};

FIXTURE_VARIANT_ADD(dmabuf, coherent_kib_64) {
	.bytes = 64 << 10, .flags = GNTDEV_DMA_FLAG_COHERENT,
};

FIXTURE_VARIANT_ADD(dmabuf, coherent_mib_4) {
	.bytes = 4 << 20, .flags = GNTDEV_DMA_FLAG_COHERENT,
};

FIXTURE_VARIANT_ADD(dmabuf, coherent_mib_64) {
	.bytes = 64 << 20, .flags = GNTDEV_DMA_FLAG_COHERENT,
};

FIXTURE_VARIANT_ADD(dmabuf, coherent_mib_256) {
	.bytes = 256UL << 20, .flags = GNTDEV_DMA_FLAG_COHERENT,
};

FIXTURE_VARIANT_ADD(dmabuf, ram_wc_kib_4) {
	.bytes = 4096, .flags = GNTDEV_DMA_FLAG_WC, .force_ram = 1,
};

FIXTURE_VARIANT_ADD(dmabuf, ram_wc_kib_64) {
	.bytes = 64 << 10, .flags = GNTDEV_DMA_FLAG_WC, .force_ram = 1,
};

FIXTURE_VARIANT_ADD(dmabuf, ram_wc_mib_4) {
	.bytes = 4 << 20, .flags = GNTDEV_DMA_FLAG_WC, .force_ram = 1,
};

FIXTURE_VARIANT_ADD(dmabuf, ram_wc_mib_64) {
	.bytes = 64 << 20, .flags = GNTDEV_DMA_FLAG_WC, .force_ram = 1,
};

FIXTURE_VARIANT_ADD(dmabuf, ram_coherent_kib_4) {
	.bytes = 4096, .flags = GNTDEV_DMA_FLAG_COHERENT, .force_ram = 1,
};

FIXTURE_VARIANT_ADD(dmabuf, ram_coherent_mib_4) {
	.bytes = 4 << 20, .flags = GNTDEV_DMA_FLAG_COHERENT, .force_ram = 1,
};

FIXTURE_VARIANT_ADD(dmabuf, ram_coherent_mib_64) {
	.bytes = 64 << 20, .flags = GNTDEV_DMA_FLAG_COHERENT, .force_ram = 1,
};

FIXTURE_SETUP(dmabuf)
{
	unsigned int n = unpop_pages(variant->bytes);
	unsigned int refs_max = unpop_pages(REFS_MAX_BYTES);

	if (variant->force_ram) {
		ASSERT_EQ(0, set_knob(0)) {
			TH_LOG("cannot write %s", KNOB);
		}
		self->forced_ram = 1;
	}
	self->gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	ASSERT_LE(0, self->gntalloc);
	self->gntdev = open("/dev/xen/gntdev", O_RDWR);
	ASSERT_LE(0, self->gntdev);

	self->refs = n < refs_max ? n : refs_max;
	self->alloc = unpop_grant_own(self->gntalloc, self->refs, &self->src);
	ASSERT_NE(NULL, self->alloc) {
		TH_LOG("gntalloc of %u pages: %s", self->refs, strerror(errno));
	}
}

FIXTURE_TEARDOWN(dmabuf)
{
	if (self->forced_ram)
		set_knob(1);
	unpop_release_grants(self->gntalloc, self->gntdev, self->alloc,
			     self->src, self->refs * unpop_page());
}

TEST_F_TIMEOUT(dmabuf, export_import_release, 300)
{
	unsigned int n = unpop_pages(variant->bytes), i;
	int unpopulated = unpop_have_pool() && !variant->force_ram;
	struct ioctl_gntdev_dmabuf_exp_from_refs *exp;
	struct ioctl_gntdev_dmabuf_imp_to_refs *imp;
	struct ioctl_gntdev_dmabuf_imp_release rel = { 0 };
	struct ioctl_gntdev_dmabuf_exp_wait_released wait = { 0 };
	struct ioctl_gntdev_map_grant_ref *map;
	struct ioctl_gntdev_unmap_grant_ref unmap = { 0 };
	long runs, run_pages, in_use;
	uint64_t *dst;
	int ret;

	fill(self->src, self->refs, self->refs, 0x5eed0000d0d00000ULL);
	runs = unpop_stat("contiguous_runs");
	run_pages = unpop_stat("contiguous_pages");
	in_use = unpop_stat("pages_in_use");
	ASSERT_LE(0, runs);
	TH_LOG("%u pages of %zu KiB, expected on %s", n, unpop_page() >> 10,
	       unpopulated ? "unpopulated pages" : "RAM");

	exp = calloc(1, sizeof(*exp) + n * sizeof(exp->refs[0]));
	ASSERT_NE(NULL, exp);
	exp->flags = variant->flags;
	exp->count = n;
	exp->domid = unpop_self_domid();
	for (i = 0; i < n; i++)
		exp->refs[i] = self->alloc->gref_ids[i % self->refs];
	ret = ioctl(self->gntdev, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, exp);

	if (!unpopulated && ret && errno == ENOMEM &&
	    variant->bytes > RAM_PATH_SURE_BYTES) {
		/* No contiguous RAM that big (no CMA): as on a stock kernel. */
		TH_LOG("RAM path: no %zu MiB of contiguous RAM",
		       variant->bytes >> 20);
		EXPECT_EQ(runs, unpop_stat("contiguous_runs"));
		EXPECT_EQ(in_use, unpop_stat("pages_in_use"));
		free(exp);
		return;
	}
	ASSERT_EQ(0, ret) {
		TH_LOG("export of %u pages: %s", n, strerror(errno));
	}
	if (unpopulated) {
		EXPECT_EQ(runs + 1, unpop_stat("contiguous_runs"));
		EXPECT_EQ(run_pages + n, unpop_stat("contiguous_pages"));
	} else {
		EXPECT_EQ(runs, unpop_stat("contiguous_runs"));
	}

	/* Import the dma-buf back as grants, map them, check the data. */
	if (n <= IMPORT_MAX) {
		imp = calloc(1, sizeof(*imp) + n * sizeof(imp->refs[0]));
		ASSERT_NE(NULL, imp);
		imp->fd = exp->fd;
		imp->count = n;
		imp->domid = unpop_self_domid();
		ASSERT_EQ(0, ioctl(self->gntdev,
				   IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, imp)) {
			TH_LOG("import of %u pages: %s", n, strerror(errno));
		}
		map = calloc(1, sizeof(*map) + n * sizeof(map->refs[0]));
		ASSERT_NE(NULL, map);
		map->count = n;
		for (i = 0; i < n; i++) {
			map->refs[i].domid = unpop_self_domid();
			map->refs[i].ref = imp->refs[i];
		}
		ASSERT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF,
				   map));
		dst = mmap(NULL, n * unpop_page(), PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->gntdev, map->index);
		ASSERT_NE(MAP_FAILED, dst);
		EXPECT_EQ(-1, check(dst, n, self->refs, 0x5eed0000d0d00000ULL));
		fill(dst, n, self->refs, 0xfeed0000f00d0000ULL);
		EXPECT_EQ(-1, check(self->src, self->refs, self->refs,
				    0xfeed0000f00d0000ULL));

		EXPECT_EQ(0, munmap(dst, n * unpop_page()));
		unmap.index = map->index;
		unmap.count = n;
		EXPECT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF,
				   &unmap));
		rel.fd = exp->fd;
		EXPECT_EQ(0, ioctl(self->gntdev,
				   IOCTL_GNTDEV_DMABUF_IMP_RELEASE, &rel));
		free(map);
		free(imp);
	} else {
		TH_LOG("not imported: %u refs more than dom0's grant table holds",
		       n);
	}

	/* Release the export and wait for it to be gone. */
	EXPECT_EQ(0, close(exp->fd));
	wait.fd = exp->fd;
	wait.wait_to_ms = 5000;
	ret = ioctl(self->gntdev, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &wait);
	EXPECT_TRUE(ret == 0 || errno == ENOENT) {
		TH_LOG("wait for release: %s", strerror(errno));
	}

	/* Everything went back. */
	EXPECT_EQ(runs, unpop_stat("contiguous_runs"));
	EXPECT_EQ(run_pages, unpop_stat("contiguous_pages"));
	EXPECT_EQ(in_use, unpop_stat("pages_in_use"));
	free(exp);
}

int main(int argc, char **argv)
{
	const char *why = unpop_missing();

	if (!why)
		why = unpop_dmabuf_missing();
	if (why) {
		ksft_print_header();
		ksft_exit_skip("%s\n", why);
	}
	return test_harness_run(argc, argv);
}
