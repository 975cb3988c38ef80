// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection in the debug dom0: grant maps and dma-buf exports in a
 * loop while one kind of failure is injected at a time, with the kernel's
 * own mechanisms.  Prints TAP: per case, every operation either succeeded
 * (through the fallback where there is one) or failed with ENOMEM, the
 * data of every mapping that succeeded was right, and afterwards the
 * pool's counters are back where they were and every "Xen scratch" range
 * in /proc/iomem still belongs to a chunk of the pool.
 *
 *   xen-unpop-faults ROUNDS [CASE...]
 *
 * runs every case, or only the CASEs named.
 * Cases (fail_function needs the allocator's ALLOW_ERROR_INJECTION
 * points; failslab and fail_page_alloc filter on this task):
 *   reserve      taking space from the Xen resource fails (growth)
 *   remap        memremap_pages() fails (growth)
 *   chunk-alloc  the chunk's bookkeeping allocation fails (growth)
 *   fallback     growth and the balloon fallback both fail: what the pool
 *                holds is served, the rest fails with ENOMEM
 *   failslab     every slab allocation of this task fails once a budget
 *                that grows round by round is spent: gntdev's arrays, the
 *                chunk bookkeeping, the dma-buf's tables, at every point
 *                (the grant map's own p2m entries on Arm too, which gntdev
 *                reports as EINVAL)
 *   page-alloc   one page allocation of this task in ten fails (struct
 *                pages of new chunks, ballooned pages, page tables)
 *   handback     no injection: hand-back runs at once (handback_delay_ms
 *                = 0), racing growth
 * Each case prints how many failures were injected.  (The other failure
 * point of grant maps, gnttab_pages_set_private(), allocates only on
 * 32-bit kernels; a 64-bit one cannot fail there.)
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* The kselftests' helpers (tools/testing/selftests/xen). */
#include "unpopulated.h"

#define DBG		"/sys/kernel/debug"
#define CHUNKS		DBG "/xen/unpopulated/chunks"
#define GRANTS		1024	/* pages granted to ourselves, mapped in runs */
#define TIMES		1000000	/* a fault_attr's budget of injections */
#define SEED		0xfa017000c0ffee00ULL

static int gntalloc, gntdev;
static struct ioctl_gntalloc_alloc_gref *alloc;
static void *src;
static int tap_n, tap_failed;

static void tap(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	tap_failed += !ok;
	fflush(stdout);
}

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

static long get(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtol(buf, NULL, 0);
		fclose(f);
	}
	return v;
}

/* Configure fault_attr directory @dir: always fail, up to TIMES times. */
static void attr_setup(const char *dir, const char *probability)
{
	char path[160];
	static const char * const knobs[][2] = {
		{ "interval", "1" }, { "verbose", "0" }, { "space", "0" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, knobs[i][0]);
		put(path, knobs[i][1]);
	}
	snprintf(path, sizeof(path), "%s/probability", dir);
	put(path, probability);
	snprintf(path, sizeof(path), "%s/times", dir);
	put(path, "1000000");
}

/* Injections done in @dir since attr_setup(), and stop injecting. */
static long attr_done(const char *dir)
{
	char path[160];
	long left;

	snprintf(path, sizeof(path), "%s/times", dir);
	left = get(path);
	snprintf(path, sizeof(path), "%s/probability", dir);
	put(path, "0");
	return left < 0 ? -1 : TIMES - left;
}

/*
 * Mark this task for failslab and fail_page_alloc, or unmark it.  The
 * file stays open: opening it again would allocate, and fail.
 */
static int make_it_fail = -1, self_failing;

static void self_fail(int on)
{
	if (make_it_fail < 0)
		make_it_fail = open("/proc/self/make-it-fail", O_WRONLY);
	if (pwrite(make_it_fail, on ? "1" : "0", 1, 0) != 1)
		tap(0, "cannot write /proc/self/make-it-fail: %s", strerror(errno));
	self_failing = on;
}

struct tally {
	unsigned long ops, ok, enomem, bad, bad_data;
	int bad_errno, einval_ok;
};

static void count(struct tally *t, int err)
{
	t->ops++;
	if (!err) {
		t->ok++;
	} else if (err == ENOMEM || (err == EINVAL && t->einval_ok)) {
		t->enomem++;
	} else {
		t->bad++;
		t->bad_errno = err;
	}
}

/*
 * munmap() allocates too (6.1's maple tree does), so under injection it
 * may fail with ENOMEM: a clean failure, but the mapping stays, and with
 * it the grant map and its pages.  Take it down again without injection.
 */
static void unmap_view(void *addr, size_t len, struct tally *t)
{
	int was = self_failing;

	if (!munmap(addr, len))
		return;
	count(t, errno);
	if (was)
		self_fail(0);
	if (munmap(addr, len))
		count(t, errno == ENOMEM ? EIO : errno);
	if (was)
		self_fail(1);
}

/* Map @n grants from @first, check them through an mmap(), unmap. */
static int map_round(unsigned int first, unsigned int n, struct tally *t)
{
	struct ioctl_gntdev_map_grant_ref *map;
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = n };
	void *dst;
	int err = 0;

	map = unpop_map_request(alloc, first, n);
	if (!map)
		return -1;
	if (ioctl(gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, map)) {
		count(t, errno);
		free(map);
		return 0;
	}
	dst = mmap(NULL, n * unpop_page(), PROT_READ, MAP_SHARED, gntdev,
		   map->index);
	if (dst == MAP_FAILED) {
		err = errno;
	} else {
		if (unpop_bad_pages(dst, first, n, SEED))
			t->bad_data++;
		unmap_view(dst, n * unpop_page(), t);
	}
	count(t, err);
	unmap.index = map->index;
	if (ioctl(gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap))
		count(t, errno == ENOMEM ? EIO : errno);
	free(map);
	return 0;
}

/* Export @n grants from @first as a dma-buf, release it, wait for that. */
static void dmabuf_round(unsigned int first, unsigned int n, struct tally *t)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs *exp;
	struct ioctl_gntdev_dmabuf_exp_wait_released wait = { .wait_to_ms = 10000 };
	unsigned int i;

	exp = calloc(1, sizeof(*exp) + n * sizeof(exp->refs[0]));
	if (!exp)
		return;
	exp->flags = GNTDEV_DMA_FLAG_WC;
	exp->count = n;
	exp->domid = unpop_self_domid();
	for (i = 0; i < n; i++)
		exp->refs[i] = alloc->gref_ids[first + i];
	if (ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, exp)) {
		/* No dma-buf export on this gntdev (a PV dom0): not a case. */
		if (errno != EINVAL && errno != ENOTTY)
			count(t, errno);
		free(exp);
		return;
	}
	count(t, 0);
	wait.fd = exp->fd;
	close(exp->fd);
	if (ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &wait) &&
	    errno != ENOENT)
		count(t, errno == ENOMEM ? EIO : errno);
	free(exp);
}

static unsigned int rnd(unsigned int below)
{
	return (unsigned int)random() % below;
}

/* One round: a run of 1..GRANTS grants mapped, every third a dma-buf. */
static void round_of(unsigned int r, struct tally *t)
{
	unsigned int n = 1 + rnd(r % 4 ? 64 : GRANTS);
	unsigned int first = rnd(GRANTS - n + 1);

	if (r % 3 == 2)
		dmabuf_round(first, n, t);
	else
		map_round(first, n, t);
}

/* How many "Xen scratch" ranges in /proc/iomem are no chunk of the pool. */
static unsigned int orphans_now(void)
{
	char line[256];
	unsigned long long s, e, cs, ce;
	unsigned int orphans = 0;
	FILE *f = fopen("/proc/iomem", "r"), *c;
	int found;

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, ": Xen scratch") ||
		    sscanf(line, " %llx-%llx", &s, &e) != 2)
			continue;
		found = 0;
		c = fopen(CHUNKS, "r");
		while (c && fgets(line, sizeof(line), c))
			if (sscanf(line, "chunk %llx %llx", &cs, &ce) == 2 &&
			    cs == s && ce == e)
				found = 1;
		if (c)
			fclose(c);
		orphans += !found;
	}
	fclose(f);
	return orphans;
}

/*
 * Every "Xen scratch" range belongs to a chunk, once a hand-back in
 * flight (which takes a chunk off the list before it releases the range)
 * has finished: an orphan that stays is a leak.
 */
static unsigned int orphan_ranges(void)
{
	unsigned int orphans, tries;

	for (tries = 0; (orphans = orphans_now()) && tries < 50; tries++)
		usleep(100000);
	return orphans;
}

/* Are the pool's counters at @in_use and @fb_in_use? */
static int counters_at(long in_use, long fb_in_use)
{
	return unpop_stat("pages_in_use") == in_use &&
	       unpop_stat("fallback_pages_in_use") == fb_in_use;
}

/*
 * Are they back there?  A grant unmap is asynchronous while something
 * still holds one of its pages (gnttab_unmap_refs_async()), so give it a
 * few seconds.
 */
static int counters_back(long in_use, long fb_in_use)
{
	unsigned int tries;

	for (tries = 0; tries < 50; tries++) {
		if (counters_at(in_use, fb_in_use))
			return 1;
		usleep(100000);
	}
	return 0;
}

struct fault_case {
	const char *name;
	const char *attr;	/* fault_attr directory under debugfs */
	const char *inject;	/* fail_function: functions, space-separated */
	const char *probability;
	int self;		/* failslab/fail_page_alloc: this task only */
	int einval_ok;		/* EINVAL is a clean failure here (see top) */
	/* Bytes more the fault_attr's space budget grows by each round. */
	unsigned int space_step;
};

static const struct fault_case cases[] = {
	{ .name = "reserve", .attr = "fail_function",
	  .inject = "xen_unpop_reserve", .probability = "100" },
	{ .name = "remap", .attr = "fail_function",
	  .inject = "xen_unpop_remap", .probability = "100" },
	{ .name = "chunk-alloc", .attr = "fail_function",
	  .inject = "xen_unpop_chunk_alloc", .probability = "100" },
	{ .name = "fallback", .attr = "fail_function",
	  .inject = "xen_unpop_reserve xen_unpop_fallback",
	  .probability = "100" },
	{ .name = "failslab", .attr = "failslab", .probability = "100",
	  .self = 1, .einval_ok = 1, .space_step = 1021 },
	{ .name = "page-alloc", .attr = "fail_page_alloc", .probability = "10",
	  .self = 1, .einval_ok = 1 },
	{ .name = "handback" },
};

static void run_case(const struct fault_case *c, unsigned int rounds)
{
	long in_use = unpop_stat("pages_in_use");
	long fb_in_use = unpop_stat("fallback_pages_in_use");
	long handbacks = unpop_stat("handbacks"), delay = get(UNPOP_HANDBACK_MS);
	char dir[128], path[160], word[64], buf[16];
	const char *p;
	struct tally t = { .einval_ok = c->einval_ok };
	long injected = 0;
	unsigned int clean = 0;
	unsigned int r, orphans;
	int n, back;

	snprintf(dir, sizeof(dir), DBG "/%s", c->attr ? c->attr : "");
	if (c->inject) {
		snprintf(path, sizeof(path), "%s/inject", dir);
		put(path, "");
		for (p = c->inject; sscanf(p, "%63s%n", word, &n) == 1; p += n) {
			char retval[160];

			if (put(path, word)) {
				tap(0, "%s: fail_function cannot inject %s", c->name, word);
				return;
			}
			/* ENOMEM, as the real failures give; not EINVAL. */
			snprintf(retval, sizeof(retval), "%s/%s/retval", dir, word);
			put(retval, "0xfffffffffffffff4");
		}
	}
	if (c->self) {
		snprintf(path, sizeof(path), "%s/task-filter", dir);
		put(path, "Y");
		snprintf(path, sizeof(path), "%s/ignore-gfp-wait", dir);
		put(path, "N");
		snprintf(path, sizeof(path), "%s/min-order", dir);
		put(path, "0");
	}
	if (!c->attr)
		put(UNPOP_HANDBACK_MS, "0");

	for (r = 0; r < rounds; r++) {
		if (c->attr) {
			attr_setup(dir, c->probability);
			if (c->space_step) {
				/* A budget before failing: every point in turn. */
				snprintf(path, sizeof(path), "%s/space", dir);
				snprintf(buf, sizeof(buf), "%u", r * c->space_step);
				put(path, buf);
			}
		}
		if (c->self)
			self_fail(1);
		round_of(r, &t);
		if (c->self)
			self_fail(0);
		if (c->attr)
			injected += attr_done(dir);
		if (counters_at(in_use, fb_in_use))
			clean = r + 1;
	}

	if (c->inject) {
		snprintf(path, sizeof(path), "%s/inject", dir);
		put(path, "");
	}
	if (!c->attr) {
		snprintf(buf, sizeof(buf), "%ld", delay);
		put(UNPOP_HANDBACK_MS, buf);
		injected = unpop_stat("handbacks") - handbacks;
	}
	orphans = orphan_ranges();
	back = counters_back(in_use, fb_in_use);
	if (!back)
		printf("# %s: the counters are off since round %u of %u\n",
		       c->name, clean, rounds);

	printf("# %s: %lu operations, %lu ok, %lu ENOMEM, %lu other errors, %ld %s\n",
	       c->name, t.ops, t.ok, t.enomem, t.bad, injected,
	       c->attr ? "failures injected" : "hand-backs");
	tap(!t.bad, "%s: every operation succeeded or failed with ENOMEM%s%s",
	    c->name, t.bad ? ", not " : "", t.bad ? strerror(t.bad_errno) : "");
	tap(!t.bad_data, "%s: every mapping showed the granted data", c->name);
	tap(t.ok > 0, "%s: some operations succeeded (%lu)", c->name, t.ok);
	tap(injected > 0, "%s: %ld %s", c->name, injected,
	    c->attr ? "failures injected" : "hand-backs while growing");
	tap(back, "%s: pages in use back to %ld, fallback pages in use to %ld (%ld, %ld)",
	    c->name, in_use, fb_in_use, unpop_stat("pages_in_use"),
	    unpop_stat("fallback_pages_in_use"));
	tap(!orphans, "%s: every Xen scratch range belongs to a chunk (%u do not)",
	    c->name, orphans);
}

/* The case called @name, or NULL. */
static const struct fault_case *case_named(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 200, i;
	const struct fault_case *c;
	int n;

	srandom(1);
	if (unpop_missing() || access(DBG "/fail_function/inject", W_OK)) {
		printf("1..0 # SKIP needs the grant devices, %s and fail_function\n",
		       UNPOP_STATS);
		return 4;
	}
	gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	gntdev = open("/dev/xen/gntdev", O_RDWR);
	alloc = unpop_grant_own(gntalloc, GRANTS, &src);
	if (!alloc) {
		printf("Bail out! gntalloc of %d pages: %s\n", GRANTS, strerror(errno));
		return 1;
	}
	unpop_fill(src, GRANTS, GRANTS, 1, SEED);

	for (i = 0; argc <= 2 && i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i], rounds);
	for (n = 2; n < argc; n++) {
		c = case_named(argv[n]);
		if (c)
			run_case(c, rounds);
		else
			tap(0, "%s: no such case", argv[n]);
	}
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
