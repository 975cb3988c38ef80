// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrent load on the unpopulated pool: several processes, for a
 * bounded time, each granting its own pages and mixing grant maps of
 * random sizes (held a while, mmap()ed, every page checked against its
 * data pattern), unmaps in random order and dma-buf exports and releases,
 * while hand-back runs at once (handback_delay_ms=0) and so races growth.
 *
 * Afterwards the pool's counters must be back where they were and dom0's
 * free RAM within LOAD_RAM_TOLERANCE_KB of where it was.  Prints the
 * operations a second ("make bench" compares them with a stock kernel's).
 *
 * Needs: dom0 or a domU.  Without the allocator's counters (a kernel without the
 * series) the same load runs, and only they go unchecked; dma-buf
 * exports are left out where gntdev cannot export (a PV dom0).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "unpopulated.h"

#define LOAD_SECONDS		8
#define LOAD_MIN_PROCS		4
#define LOAD_GRANTS		256	/* pages each process grants itself */
#define LOAD_HOLD		4	/* mappings a process keeps at once */
#define LOAD_RAM_TOLERANCE_KB	2048

struct load_result {
	unsigned long maps, pages, exports, unmaps;
	unsigned long errors, bad_pages;
	int last_errno;
	int done;
};

struct held {
	uint64_t index;
	unsigned int first, count;
	void *addr;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void put_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	close(fd);
}

static void fail(struct load_result *r, int err)
{
	r->errors++;
	r->last_errno = err;
}

static void unmap_held(int gntdev, struct held *h, struct load_result *r)
{
	struct ioctl_gntdev_unmap_grant_ref unmap = {
		.index = h->index, .count = h->count,
	};

	munmap(h->addr, h->count * unpop_page());
	if (ioctl(gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap))
		fail(r, errno);
	else
		r->unmaps++;
	h->count = 0;
}

static void map_one(int gntdev, const struct ioctl_gntalloc_alloc_gref *a,
		    struct held *h, uint64_t seed, struct load_result *r)
{
	unsigned int n = 1 + random() % (random() % 4 ? 16 : LOAD_GRANTS);
	unsigned int first = random() % (LOAD_GRANTS - n + 1);
	struct ioctl_gntdev_map_grant_ref *map;

	map = unpop_map_request(a, first, n);
	if (!map) {
		fail(r, ENOMEM);
		return;
	}
	if (ioctl(gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, map)) {
		fail(r, errno);
		free(map);
		return;
	}
	h->index = map->index;
	h->first = first;
	h->count = n;
	free(map);
	h->addr = mmap(NULL, n * unpop_page(), PROT_READ, MAP_SHARED, gntdev,
		       h->index);
	if (h->addr == MAP_FAILED) {
		struct ioctl_gntdev_unmap_grant_ref unmap = {
			.index = h->index, .count = n,
		};

		fail(r, errno);
		ioctl(gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap);
		h->count = 0;
		return;
	}
	r->bad_pages += unpop_bad_pages(h->addr, first, n, seed);
	r->maps++;
	r->pages += n;
}

static void export_one(int gntdev, const struct ioctl_gntalloc_alloc_gref *a,
		       struct load_result *r)
{
	unsigned int n = 1 + random() % LOAD_GRANTS, i;
	struct ioctl_gntdev_dmabuf_exp_from_refs *exp;
	struct ioctl_gntdev_dmabuf_exp_wait_released wait = {
		.wait_to_ms = 10000,
	};

	exp = calloc(1, sizeof(*exp) + n * sizeof(exp->refs[0]));
	if (!exp) {
		fail(r, ENOMEM);
		return;
	}
	exp->flags = random() % 2 ? GNTDEV_DMA_FLAG_WC : GNTDEV_DMA_FLAG_COHERENT;
	exp->count = n;
	exp->domid = unpop_self_domid();
	for (i = 0; i < n; i++)
		exp->refs[i] = a->gref_ids[random() % LOAD_GRANTS];
	if (ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, exp)) {
		fail(r, errno);
		free(exp);
		return;
	}
	wait.fd = exp->fd;
	close(exp->fd);
	if (ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &wait) &&
	    errno != ENOENT)
		fail(r, errno);
	r->exports++;
	free(exp);
}

/* One process of the load, until @deadline (CLOCK_MONOTONIC, ms). */
static int worker(unsigned int id, int exports, uint64_t deadline,
		  struct load_result *r)
{
	struct ioctl_gntalloc_alloc_gref *a;
	struct held held[LOAD_HOLD] = { 0 };
	uint64_t seed = 0x10ad000000000000ULL + id;
	int gntalloc, gntdev;
	unsigned int i;
	void *src;

	srandom(id + 1);
	gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	gntdev = open("/dev/xen/gntdev", O_RDWR);
	a = unpop_grant_own(gntalloc, LOAD_GRANTS, &src);
	if (gntalloc < 0 || gntdev < 0 || !a) {
		fail(r, errno);
		return 1;
	}
	unpop_fill(src, LOAD_GRANTS, LOAD_GRANTS, 1, seed);

	while (now_ms() < deadline) {
		struct held *h = &held[random() % LOAD_HOLD];

		if (exports && random() % 4 == 0)
			export_one(gntdev, a, r);
		else if (h->count)
			unmap_held(gntdev, h, r);
		else
			map_one(gntdev, a, h, seed, r);
	}
	for (i = 0; i < LOAD_HOLD; i++)
		if (held[i].count)
			unmap_held(gntdev, &held[i], r);
	unpop_release_grants(gntalloc, gntdev, a, src,
			     LOAD_GRANTS * unpop_page());
	r->done = 1;
	return 0;
}

/* The processes' results, shared with them. */
FIXTURE(load) {
	long cpus;
	unsigned int procs;
	struct load_result *res;
};

FIXTURE_SETUP(load)
{
	self->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	self->procs = self->cpus * 2 > LOAD_MIN_PROCS ? self->cpus * 2 :
							LOAD_MIN_PROCS;
	self->res = mmap(NULL, self->procs * sizeof(*self->res),
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	memset(self->res, 0, self->procs * sizeof(*self->res));
}

FIXTURE_TEARDOWN(load)
{
	if (self->res != MAP_FAILED)
		munmap(self->res, self->procs * sizeof(*self->res));
}

/*
 * The load itself takes LOAD_SECONDS; waiting for free RAM to settle
 * before and after takes up to 20 s each, and a debug kernel is slow.
 */
TEST_F_TIMEOUT(load, concurrent, 180)
{
	unsigned int procs = self->procs, i;
	long in_use, fb_in_use, ram_before, ram_after, noise;
	struct load_result *res = self->res, sum = { 0 };
	int exports = !unpop_dmabuf_missing(), status;
	long cpus = self->cpus;
	char delay[16] = "1000";
	uint64_t start, deadline;
	FILE *f;

	ram_before = unpop_settled_free_ram_kb(&noise);
	in_use = unpop_stat("pages_in_use");
	fb_in_use = unpop_stat("fallback_pages_in_use");
	/* What to restore afterwards: the default where there is no knob. */
	f = fopen(UNPOP_HANDBACK_MS, "r");
	if (f) {
		if (!fgets(delay, sizeof(delay), f))
			snprintf(delay, sizeof(delay), "1000");
		fclose(f);
	}
	put_str(UNPOP_HANDBACK_MS, "0");

	start = now_ms();
	deadline = start + LOAD_SECONDS * 1000;
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid)
			_exit(worker(i, exports, deadline, &res[i]));
	}
	for (i = 0; i < procs; i++)
		wait(&status);
	put_str(UNPOP_HANDBACK_MS, delay);

	for (i = 0; i < procs; i++) {
		EXPECT_TRUE(res[i].done) {
			TH_LOG("process %u did not finish (%s)", i,
			       strerror(res[i].last_errno));
		}
		EXPECT_EQ(0, res[i].errors) {
			TH_LOG("process %u: %lu errors, last %s", i,
			       res[i].errors, strerror(res[i].last_errno));
		}
		EXPECT_EQ(0, res[i].bad_pages);
		EXPECT_LT(0, res[i].maps);
		sum.maps += res[i].maps;
		sum.pages += res[i].pages;
		sum.exports += res[i].exports;
		sum.unmaps += res[i].unmaps;
	}
	TH_LOG("%u processes on %ld vCPUs, %d s: %lu maps (%lu pages),",
	       procs, cpus, LOAD_SECONDS, sum.maps, sum.pages);
	TH_LOG("%lu unmaps, %lu dma-buf exports: %lu operations a second",
	       sum.unmaps, sum.exports,
	       (sum.maps + sum.unmaps + sum.exports) / LOAD_SECONDS);
	if (exports)
		EXPECT_LT(0, sum.exports);

	/* Everything went back; the pool hands its spare chunks back. */
	if (in_use >= 0) {
		EXPECT_EQ(in_use, unpop_stat("pages_in_use"));
		EXPECT_EQ(fb_in_use, unpop_stat("fallback_pages_in_use"));
	}
	usleep(2 * 1000 * atol(delay) + 500000);
	ram_after = unpop_settled_free_ram_kb(&noise);
	TH_LOG("free RAM %ld kB before, %ld kB after (tolerance %d kB)",
	       ram_before, ram_after, LOAD_RAM_TOLERANCE_KB);
	if (in_use >= 0)
		EXPECT_GE(ram_after, ram_before - LOAD_RAM_TOLERANCE_KB);
}

int main(int argc, char **argv)
{
	return unpop_harness_main(argc, argv, unpop_devices_missing());
}
