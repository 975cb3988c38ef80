// SPDX-License-Identifier: GPL-2.0
/*
 * gntdev's map ioctl against mmap() of the same device, from two threads.
 *
 * mmap() runs gntdev_mmap() with mmap_lock held, and that takes the
 * device's own lock; the map ioctl must therefore not fault on user memory
 * (copy_to_user() takes mmap_lock) while it holds that lock.  One thread
 * maps and unmaps a grant in a loop while another maps a second grant,
 * mmap()s it, reads it and unmaps it again, on the same device, and a
 * third keeps zapping the page that holds the first thread's ioctl
 * argument, so that the ioctl's copy back to user space really faults.
 * The loop must end (a deadlock hangs it; lockdep, where enabled, reports
 * the lock order whether or not it hangs), every call must succeed, and
 * the data must still cross.
 *
 * A map whose result cannot be copied back (the argument is read-only)
 * must fail with EFAULT and leave nothing behind: the next map gets the
 * same index, and with the unpopulated allocator's counters, its pages
 * are back.
 *
 * Needs: a Xen domain that may map grants (dom0, a domU).  Not this
 * series: without the grant devices the program is skipped (exit 4).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "unpopulated.h"

/* How long the threads race, and the least each must get done. */
#define RACE_SECONDS	3
#define RACE_MIN_LOOPS	50UL

#define SEED		0x6d6d61707261636bULL

/* What the three threads share. */
struct race {
	int gntdev;
	struct ioctl_gntalloc_alloc_gref *alloc;
	/* The map ioctl's argument, alone in a shared page that gets zapped. */
	struct ioctl_gntdev_map_grant_ref *arg;
	atomic_bool stop;
	unsigned long maps, mmaps, zaps;
	int map_err, mmap_err;
};

FIXTURE(race) {
	int gntalloc;
	int gntdev;
	struct ioctl_gntalloc_alloc_gref *alloc;
	void *src;
	struct ioctl_gntdev_map_grant_ref *arg;
	int memfd;
	struct race r;
};

FIXTURE_SETUP(race)
{
	self->memfd = -1;
	self->gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	ASSERT_LE(0, self->gntalloc);
	self->gntdev = open("/dev/xen/gntdev", O_RDWR);
	ASSERT_LE(0, self->gntdev);
	self->alloc = unpop_grant_own(self->gntalloc, 2, &self->src);
	ASSERT_NE(NULL, self->alloc) {
		TH_LOG("gntalloc of 2 pages: %s", strerror(errno));
	}
	unpop_fill(self->src, 2, 2, 1, SEED);

	/* Shared and file-backed: zapping it keeps its contents. */
	self->memfd = memfd_create("gntdev_map_arg", 0);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, unpop_page()));
	self->arg = mmap(NULL, unpop_page(), PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->arg);
}

FIXTURE_TEARDOWN(race)
{
	if (self->arg && self->arg != MAP_FAILED)
		munmap(self->arg, unpop_page());
	if (self->memfd >= 0)
		close(self->memfd);
	unpop_release_grants(self->gntalloc, self->gntdev, self->alloc,
			     self->src, 2 * unpop_page());
}

/* Map grant 1 and unmap it again, through the zapped argument page. */
static void *map_loop(void *data)
{
	struct race *r = data;
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
	grant_ref_t ref = r->alloc->gref_ids[1];

	while (!atomic_load(&r->stop)) {
		r->arg->count = 1;
		r->arg->refs[0].domid = unpop_self_domid();
		r->arg->refs[0].ref = ref;
		if (ioctl(r->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, r->arg)) {
			r->map_err = errno;
			break;
		}
		unmap.index = r->arg->index;
		if (ioctl(r->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap)) {
			r->map_err = errno;
			break;
		}
		r->maps++;
	}
	return NULL;
}

/*
 * Map grant 0, mmap() it (gntdev maps each mapping once), read it,
 * munmap() and unmap it.
 */
static void *mmap_loop(void *data)
{
	struct race *r = data;
	struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
	size_t len = unpop_page();
	void *p;

	map.refs[0].domid = unpop_self_domid();
	map.refs[0].ref = r->alloc->gref_ids[0];
	while (!atomic_load(&r->stop)) {
		if (ioctl(r->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, &map)) {
			r->mmap_err = errno;
			break;
		}
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, r->gntdev,
			 map.index);
		if (p == MAP_FAILED) {
			r->mmap_err = errno;
		} else {
			/* Grant 0 holds the first page of the pattern. */
			if (unpop_check(p, 1, 2, 1, SEED) != -1)
				r->mmap_err = EIO;
			munmap(p, len);
		}
		unmap.index = map.index;
		if (ioctl(r->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) &&
		    !r->mmap_err)
			r->mmap_err = errno;
		if (r->mmap_err)
			break;
		r->mmaps++;
	}
	return NULL;
}

/* Drop the argument page's PTE, so that the next access faults. */
static void *zap_loop(void *data)
{
	struct race *r = data;

	while (!atomic_load(&r->stop)) {
		madvise(r->arg, unpop_page(), MADV_DONTNEED);
		r->zaps++;
		sched_yield();
	}
	return NULL;
}

TEST_F_TIMEOUT(race, map_while_mmap, 120)
{
	long in_use = unpop_stat("pages_in_use");
	struct race *r = &self->r;
	pthread_t map, mm, zap;

	r->gntdev = self->gntdev;
	r->alloc = self->alloc;
	r->arg = self->arg;
	atomic_init(&r->stop, false);
	ASSERT_EQ(0, pthread_create(&map, NULL, map_loop, r));
	ASSERT_EQ(0, pthread_create(&mm, NULL, mmap_loop, r));
	ASSERT_EQ(0, pthread_create(&zap, NULL, zap_loop, r));
	sleep(RACE_SECONDS);
	atomic_store(&r->stop, true);
	pthread_join(map, NULL);
	pthread_join(mm, NULL);
	pthread_join(zap, NULL);

	TH_LOG("%lu maps, %lu mmaps, %lu zaps in %d s", r->maps, r->mmaps,
	       r->zaps, RACE_SECONDS);
	EXPECT_EQ(0, r->map_err) {
		TH_LOG("map ioctl: %s", strerror(r->map_err));
	}
	EXPECT_EQ(0, r->mmap_err) {
		TH_LOG("mmap: %s", strerror(r->mmap_err));
	}
	EXPECT_LE(RACE_MIN_LOOPS, r->maps);
	EXPECT_LE(RACE_MIN_LOOPS, r->mmaps);
	if (in_use >= 0)
		EXPECT_EQ(in_use, unpop_stat("pages_in_use"));
}

TEST_F(race, efault_leaves_nothing)
{
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
	long in_use = unpop_stat("pages_in_use");
	uint64_t want;

	self->arg->count = 1;
	self->arg->refs[0].domid = unpop_self_domid();
	self->arg->refs[0].ref = self->alloc->gref_ids[1];
	ASSERT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, self->arg));
	want = self->arg->index;
	unmap.index = want;
	ASSERT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap));

	/* The kernel reads the argument but cannot write the index back. */
	ASSERT_EQ(0, mprotect(self->arg, unpop_page(), PROT_READ));
	EXPECT_EQ(-1, ioctl(self->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, self->arg));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, mprotect(self->arg, unpop_page(),
			      PROT_READ | PROT_WRITE));

	/* Nothing is mapped at that index, and it is free again. */
	EXPECT_EQ(-1, ioctl(self->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap));
	EXPECT_EQ(ENOENT, errno);
	if (in_use >= 0)
		EXPECT_EQ(in_use, unpop_stat("pages_in_use"));
	self->arg->index = ~0ULL;
	ASSERT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, self->arg));
	EXPECT_EQ(want, self->arg->index);
	unmap.index = self->arg->index;
	EXPECT_EQ(0, ioctl(self->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap));
}

int main(int argc, char **argv)
{
	return unpop_harness_main(argc, argv, unpop_devices_missing());
}
