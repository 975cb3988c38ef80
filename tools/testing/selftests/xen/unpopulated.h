/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the Xen kselftests share: the uapi headers, the unpopulated
 * allocator's counters in debugfs, dom0's free RAM.  The dom0 bench tool
 * of the repository uses it too, without the kselftest harness.
 */
#ifndef __SELFTESTS_XEN_UNPOPULATED_H
#define __SELFTESTS_XEN_UNPOPULATED_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* The uapi gntdev header uses the hypervisor's own type names. */
typedef uint32_t grant_ref_t;
typedef uint16_t domid_t;

#include <xen/gntalloc.h>
#include <xen/gntdev.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define UNPOP_STATS	"/sys/kernel/debug/xen/unpopulated/stats"
/* The pool's hand-back delay; absent from a kernel without the series. */
#define UNPOP_HANDBACK_MS \
	"/sys/module/unpopulated_alloc/parameters/handback_delay_ms"
/*
 * A grant is one Xen page.  gntalloc and gntdev give each grant a kernel
 * page of its own, so with 16 or 64 KiB pages only the first XEN_PAGE
 * bytes of each kernel page hold the granted frame.
 */
#define XEN_PAGE	4096UL

/* The kernel's page size: the unit gntalloc and gntdev mappings count in. */
static inline size_t unpop_page(void)
{
	static size_t size;

	if (!size)
		size = sysconf(_SC_PAGESIZE);
	return size;
}

/* Kernel pages that @bytes of mapping take, at least one. */
static inline unsigned int unpop_pages(size_t bytes)
{
	size_t n = bytes / unpop_page();

	return n ? n : 1;
}

/*
 * This domain's id, for grants to ourselves: 0 in dom0 (which may run
 * before xenstored does); elsewhere the "domid" key of the domain's home
 * in xenstore, read through /dev/xen/xenbus.  The message header and
 * XS_READ are those of Xen's public io/xs_wire.h, which no uapi header
 * carries.  0 if it cannot be read, so that a grant fails visibly.
 */
static inline domid_t unpop_self_domid(void)
{
	static int domid = -1;
	struct {
		uint32_t type, req_id, tx_id, len;
		char body[32];
	} msg = { .type = 2 /* XS_READ */, .len = sizeof("domid") };
	char caps[64] = "";
	ssize_t n;
	int fd;

	if (domid >= 0)
		return domid;
	domid = 0;
	fd = open("/proc/xen/capabilities", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, caps, sizeof(caps) - 1);
		close(fd);
		if (n > 0 && strstr(caps, "control_d"))
			return domid;
	}
	fd = open("/dev/xen/xenbus", O_RDWR);
	if (fd < 0)
		return domid;
	memcpy(msg.body, "domid", sizeof("domid"));
	if (write(fd, &msg, 16 + msg.len) == (ssize_t)(16 + msg.len)) {
		memset(&msg, 0, sizeof(msg));
		n = read(fd, &msg, sizeof(msg) - 1);
		if (n > 16 && msg.type == 2 && msg.len < sizeof(msg.body))
			domid = atoi(msg.body);
	}
	close(fd);
	return domid;
}

/* Why the grant devices cannot be used (not dom0), or NULL. */
static inline const char *unpop_devices_missing(void)
{
	static char why[160];
	static const char * const devs[] = {
		"/dev/xen/gntalloc", "/dev/xen/gntdev",
	};
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		fd = open(devs[i], O_RDWR);
		if (fd < 0) {
			snprintf(why, sizeof(why), "no %s: %s", devs[i],
				 strerror(errno));
			return why;
		}
		close(fd);
	}
	return NULL;
}

/*
 * Why this kernel cannot run the tests, or NULL: no allocator counters
 * (a kernel without the series) or no grant devices (not dom0).
 */
static inline const char *unpop_missing(void)
{
	if (access(UNPOP_STATS, R_OK))
		return "no " UNPOP_STATS ": kernel without the unpopulated allocator's counters";
	return unpop_devices_missing();
}

/* One counter from xen/unpopulated/stats, or -1. */
static inline long unpop_stat(const char *key)
{
	char line[128], name[64];
	long val, found = -1;
	FILE *f = fopen(UNPOP_STATS, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", name, &val) == 2 &&
		    !strcmp(name, key))
			found = val;
	fclose(f);
	return found;
}

/* Does the allocator have a resource to carve pages from? */
static inline int unpop_have_pool(void)
{
	char line[128];
	int pool = 0;
	FILE *f = fopen(UNPOP_STATS, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "resource ", 9))
			pool = strcmp(line + 9, "none\n") != 0;
	fclose(f);
	return pool;
}

static inline uint64_t unpop_pattern(unsigned int page, unsigned int word,
				     uint64_t seed)
{
	return seed ^ ((uint64_t)page << 32) ^ word;
}

/* Word @i of the granted frame of kernel page @p of the mapping at @w. */
static inline uint64_t *unpop_word(const void *w, unsigned int p,
				   unsigned int i)
{
	return (uint64_t *)((char *)w + (size_t)p * unpop_page()) + i;
}

/*
 * Write a pattern into the granted frames of @pages kernel pages at @w,
 * every @stride-th word; page p gets the pattern of page p % @refs (a
 * buffer made of @refs grants used in turn).
 */
static inline void unpop_fill(void *w, unsigned int pages, unsigned int refs,
			      unsigned int stride, uint64_t seed)
{
	unsigned int p, i;

	for (p = 0; p < pages; p++)
		for (i = 0; i < XEN_PAGE / 8; i += stride)
			*unpop_word(w, p, i) = unpop_pattern(p % refs, i, seed);
}

/*
 * Byte offset of the first word unpop_fill() did not leave there, or -1.
 */
static inline long unpop_check(const void *w, unsigned int pages,
			       unsigned int refs, unsigned int stride,
			       uint64_t seed)
{
	unsigned int p, i;

	for (p = 0; p < pages; p++)
		for (i = 0; i < XEN_PAGE / 8; i += stride)
			if (*unpop_word(w, p, i) !=
			    unpop_pattern(p % refs, i, seed))
				return (long)((char *)unpop_word(w, p, i) -
					      (char *)w);
	return -1;
}

/*
 * Grant @count of our own pages to ourselves (domain 0) with @gntalloc,
 * writable, and map them at *@map.  Returns the request, which holds the
 * grant references, or NULL with errno set and nothing left behind.
 */
static inline struct ioctl_gntalloc_alloc_gref *
unpop_grant_own(int gntalloc, unsigned int count, void **map)
{
	struct ioctl_gntalloc_dealloc_gref dealloc = { 0 };
	struct ioctl_gntalloc_alloc_gref *alloc;
	int err;

	alloc = calloc(1, sizeof(*alloc) + count * sizeof(alloc->gref_ids[0]));
	if (!alloc)
		return NULL;
	alloc->domid = unpop_self_domid();
	alloc->flags = GNTALLOC_FLAG_WRITABLE;
	alloc->count = count;
	if (ioctl(gntalloc, IOCTL_GNTALLOC_ALLOC_GREF, alloc))
		goto err_free;
	*map = mmap(NULL, count * unpop_page(), PROT_READ | PROT_WRITE, MAP_SHARED,
		    gntalloc, alloc->index);
	if (*map != MAP_FAILED)
		return alloc;

	err = errno;
	dealloc.index = alloc->index;
	dealloc.count = count;
	ioctl(gntalloc, IOCTL_GNTALLOC_DEALLOC_GREF, &dealloc);
	errno = err;
err_free:
	free(alloc);
	*map = NULL;
	return NULL;
}

/*
 * How many of the pages [@first, @first + @n) of a grant run filled by
 * unpop_fill() with @seed, as mapped at @dst, do not show their pattern
 * (three words of each: first, one that moves with the page, last).
 */
static inline unsigned long unpop_bad_pages(const void *dst,
					    unsigned int first, unsigned int n,
					    uint64_t seed)
{
	unsigned int p, last = XEN_PAGE / 8 - 1, mid;
	unsigned long bad = 0;

	for (p = 0; p < n; p++) {
		mid = (first + p) % last;
		if (*unpop_word(dst, p, 0) != unpop_pattern(first + p, 0, seed) ||
		    *unpop_word(dst, p, mid) != unpop_pattern(first + p, mid, seed) ||
		    *unpop_word(dst, p, last) != unpop_pattern(first + p, last, seed))
			bad++;
	}
	return bad;
}

/*
 * A gntdev map request for the grants [@first, @first + @n) of @alloc
 * (ours), from calloc(): free() it.  NULL if out of memory.
 */
static inline struct ioctl_gntdev_map_grant_ref *
unpop_map_request(const struct ioctl_gntalloc_alloc_gref *alloc,
		  unsigned int first, unsigned int n)
{
	struct ioctl_gntdev_map_grant_ref *map;
	unsigned int i;

	map = calloc(1, sizeof(*map) + n * sizeof(map->refs[0]));
	if (!map)
		return NULL;
	map->count = n;
	for (i = 0; i < n; i++) {
		map->refs[i].domid = unpop_self_domid();
		map->refs[i].ref = alloc->gref_ids[first + i];
	}
	return map;
}

/*
 * Undo a fixture: unmap the granted pages (@len bytes at @map), end the
 * grants in @alloc, close the devices.  Each step only if it was done.
 */
static inline void unpop_release_grants(int gntalloc, int gntdev,
					struct ioctl_gntalloc_alloc_gref *alloc,
					void *map, size_t len)
{
	struct ioctl_gntalloc_dealloc_gref dealloc = { 0 };

	if (map && map != MAP_FAILED)
		munmap(map, len);
	if (alloc && gntalloc >= 0) {
		dealloc.index = alloc->index;
		dealloc.count = alloc->count;
		ioctl(gntalloc, IOCTL_GNTALLOC_DEALLOC_GREF, &dealloc);
	}
	free(alloc);
	if (gntdev >= 0)
		close(gntdev);
	if (gntalloc >= 0)
		close(gntalloc);
}

/*
 * Can gntdev export a dma-buf here?  A PV dom0's gntdev cannot (it maps
 * through the page tables) and says EINVAL.  Returns why not, or NULL.
 */
static inline const char *unpop_dmabuf_missing(void)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs exp = { 0 };
	struct ioctl_gntalloc_alloc_gref *alloc;
	const char *why = NULL;
	int gntalloc, gntdev;
	void *map;

	gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	gntdev = open("/dev/xen/gntdev", O_RDWR);
	alloc = unpop_grant_own(gntalloc, 1, &map);
	if (!alloc) {
		unpop_release_grants(gntalloc, gntdev, NULL, NULL, 0);
		return NULL;	/* let the tests report it */
	}
	exp.flags = GNTDEV_DMA_FLAG_WC;
	exp.count = 1;
	exp.domid = unpop_self_domid();
	exp.refs[0] = alloc->gref_ids[0];
	if (ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, &exp)) {
		if (errno == EINVAL || errno == ENOTTY)
			/* a PV dom0 maps grants through its page tables */
			why = "gntdev cannot export dma-bufs here (PV dom0?)";
	} else {
		struct ioctl_gntdev_dmabuf_exp_wait_released wait = {
			.fd = exp.fd, .wait_to_ms = 5000,
		};

		close(exp.fd);
		ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &wait);
	}
	unpop_release_grants(gntalloc, gntdev, alloc, map, unpop_page());
	return why;
}

/*
 * Free RAM in kB, exactly: per-cpu vmstat deltas folded first
 * (/proc/sys/vm/stat_refresh), then the buddy allocator's free pages plus
 * the pages on per-cpu lists, from /proc/zoneinfo.  -1 if unreadable.
 */
static inline long unpop_free_ram_kb(void)
{
	char line[256];
	long pages = 0, v;
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			perror("stat_refresh");
		close(fd);
	}
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %ld", &v) == 1)
			pages += v;
		else if (sscanf(line, " count: %ld", &v) == 1)
			pages += v;
	}
	fclose(f);
	return pages * (long)(unpop_page() / 1024);
}

/*
 * Free RAM once it has stopped moving (work left over from boot or from
 * a test), at most 20 s on.  *@noise gets the largest change seen in the
 * last second if it never settled, else 0.
 */
static inline long unpop_settled_free_ram_kb(long *noise)
{
	long prev = unpop_free_ram_kb(), now, diff;
	int tries, quiet = 0;

	*noise = 0;
	for (tries = 0; tries < 100 && quiet < 5; tries++) {
		usleep(200000);
		now = unpop_free_ram_kb();
		diff = labs(now - prev);
		quiet = diff ? 0 : quiet + 1;
		if (quiet == 0)
			*noise = diff;
		prev = now;
	}
	if (quiet >= 5)
		*noise = 0;
	return prev;
}

#ifdef __KSELFTEST_HARNESS_H
/* main() of a test program: skipped as a whole, saying @why, or run. */
static inline int unpop_harness_main(int argc, char **argv, const char *why)
{
	if (why) {
		ksft_print_header();
		ksft_exit_skip("%s\n", why);
	}
	return test_harness_run(argc, argv);
}
#endif

#endif /* __SELFTESTS_XEN_UNPOPULATED_H */
