// SPDX-License-Identifier: GPL-2.0
/*
 * Measurements in dom0 for "make bench", identical for the stock kernel
 * and ours.  Prints "bench KEY VALUE" lines.
 *
 *   xen-unpop-bench first-map N   RAM cost of the first grant map of N pages
 *   xen-unpop-bench alloc-free K  K rounds of gntdev map+unmap of 1 page
 *   xen-unpop-bench profile K     the same, between markers that make
 *                                 the harness trace what the vCPU
 *                                 executes (make profile)
 *   xen-unpop-bench dmabuf N      export an N-page WC dma-buf: RAM lost
 *                                 while alive, Xen's p2m statistics ('q')
 *                                 before, while alive and after release
 *   xen-unpop-bench largest-export MAX
 *                                 largest power-of-two dma-buf <= MAX pages
 *                                 that exports
 *   xen-unpop-bench curve TOTAL   the cost of each operation as TOTAL
 *                                 single-page maps fill the pool and are
 *                                 freed in random order (make bench)
 *   xen-unpop-bench free-ram      free RAM once it has settled (make guests)
 *   xen-unpop-bench offline-pages pages the kernel marks offline, as the
 *                                 balloon marks those on its list
 *                                 (/proc/kpageflags; make bisect)
 *
 * Free RAM is counted exactly: per-cpu vmstat deltas folded first
 * (/proc/sys/vm/stat_refresh), then the buddy allocator's free pages plus
 * the pages on per-cpu lists, both from /proc/zoneinfo (unpopulated.h).
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
#include <time.h>
#include <unistd.h>

/* The kselftests' helpers (tools/testing/selftests/xen). */
#include "unpopulated.h"

/* The kernel page size: the unit of gntalloc and gntdev mappings. */
#define PAGE ((unsigned long)sysconf(_SC_PAGESIZE))

static void die(const char *what)
{
	printf("bench error %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Total size of "Xen scratch" ranges in /proc/iomem, in KiB. */
static long scratch_kb(void)
{
	char line[256];
	unsigned long long s, e;
	long kb = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		die("iomem");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ": Xen scratch") &&
		    sscanf(line, " %llx-%llx", &s, &e) == 2)
			kb += (e - s + 1) / 1024;
	fclose(f);
	return kb;
}

static struct ioctl_gntalloc_alloc_gref *grant(int gntalloc, unsigned int n)
{
	struct ioctl_gntalloc_alloc_gref *a;

	a = calloc(1, sizeof(*a) + n * sizeof(uint32_t));
	if (!a)
		die("calloc");
	a->domid = unpop_self_domid();
	a->flags = GNTALLOC_FLAG_WRITABLE;
	a->count = n;
	if (ioctl(gntalloc, IOCTL_GNTALLOC_ALLOC_GREF, a))
		die("gntalloc");
	return a;
}

static struct ioctl_gntdev_map_grant_ref *
map_req(const struct ioctl_gntalloc_alloc_gref *a)
{
	struct ioctl_gntdev_map_grant_ref *m;
	unsigned int i;

	m = calloc(1, sizeof(*m) + a->count * sizeof(m->refs[0]));
	if (!m)
		die("calloc");
	m->count = a->count;
	for (i = 0; i < a->count; i++) {
		m->refs[i].domid = unpop_self_domid();
		m->refs[i].ref = a->gref_ids[i];
	}
	return m;
}

/*
 * Where a first map's RAM goes: the kernel's own counters (/proc/vmstat,
 * and Percpu from /proc/meminfo), read into @v, at most VM_MAX of them.
 */
#define VM_MAX 256
struct vm_snap {
	char name[VM_MAX][48];
	long long val[VM_MAX];
	int n;
};

static void vm_read(struct vm_snap *v)
{
	char line[128];
	FILE *f;

	v->n = 0;
	f = fopen("/proc/vmstat", "r");
	while (f && v->n < VM_MAX && fgets(line, sizeof(line), f))
		if (sscanf(line, "%47s %lld", v->name[v->n], &v->val[v->n]) == 2)
			v->n++;
	if (f)
		fclose(f);
	f = fopen("/proc/meminfo", "r");
	while (f && v->n < VM_MAX && fgets(line, sizeof(line), f))
		if (sscanf(line, "Percpu: %lld", &v->val[v->n]) == 1)
			strcpy(v->name[v->n++], "meminfo_percpu_kb");
	if (f)
		fclose(f);
}

/* The counters that moved between @a and @b, as "bench vmstat NAME DELTA". */
static void vm_delta(const struct vm_snap *a, const struct vm_snap *b)
{
	int i, j;

	for (i = 0; i < b->n; i++)
		for (j = 0; j < a->n; j++)
			if (!strcmp(a->name[j], b->name[i]) &&
			    a->val[j] != b->val[i] &&
			    strncmp(b->name[i], "pg", 2) &&
			    strncmp(b->name[i], "numa_", 5))
				printf("bench vmstat %s %lld\n", b->name[i],
				       b->val[i] - a->val[j]);
}

static int first_map(unsigned int n)
{
	static struct vm_snap vm_before, vm_after;
	int gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	int gntdev = open("/dev/xen/gntdev", O_RDWR);
	struct ioctl_gntalloc_alloc_gref *a;
	struct ioctl_gntdev_map_grant_ref *m;
	long before, after, scratch_before, noise;
	volatile uint64_t *src, *dst;

	if (gntalloc < 0 || gntdev < 0)
		die("open");
	a = grant(gntalloc, n);
	src = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   gntalloc, a->index);
	if (src == MAP_FAILED)
		die("mmap gntalloc");
	src[0] = 0x1234;
	m = map_req(a);

	scratch_before = scratch_kb();
	/* Both snapshots' pages touched first: not part of the cost. */
	vm_read(&vm_after);
	vm_read(&vm_before);
	before = unpop_settled_free_ram_kb(&noise);
	if (ioctl(gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, m))
		die("map");
	dst = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, gntdev,
		   m->index);
	if (dst == MAP_FAILED)
		die("mmap gntdev");
	if (dst[0] != 0x1234)
		die("data");
	after = unpop_free_ram_kb();
	vm_read(&vm_after);

	printf("bench first_map_pages %u\n", n);
	vm_delta(&vm_before, &vm_after);
	printf("bench first_map_cost_kb %ld\n", before - after);
	printf("bench idle_noise_kb %ld\n", noise);
	printf("bench scratch_kb_before %ld\n", scratch_before);
	printf("bench scratch_kb_after %ld\n", scratch_kb());
	return 0;
}

/* Unmap the @count pages gntdev mapped at @index of @gntdev. */
static void unmap(int gntdev, uint64_t index, uint32_t count)
{
	struct ioctl_gntdev_unmap_grant_ref u = {
		.index = index,
		.count = count,
	};

	if (ioctl(gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u))
		die("unmap");
}

/* One gntdev map and unmap of the grants in @m: one alloc+free. */
static void map_unmap(int gntdev, struct ioctl_gntdev_map_grant_ref *m)
{
	if (ioctl(gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, m))
		die("map");
	unmap(gntdev, m->index, m->count);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Rates of @rounds map+unmap pairs, in batches: under emulation a batch
 * can be slowed down by the host, so the best and the median batch are
 * reported, not one long run.
 */
#define BATCHES 9

/*
 * A map request for one granted page, with gntdev opened in @gntdev, after
 * a warm-up: the pool (or the balloon) holds a page from then on.
 */
static struct ioctl_gntdev_map_grant_ref *warm_one_page(int *gntdev)
{
	int gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	struct ioctl_gntdev_map_grant_ref *m;
	unsigned int i;

	*gntdev = open("/dev/xen/gntdev", O_RDWR);
	if (gntalloc < 0 || *gntdev < 0)
		die("open");
	m = map_req(grant(gntalloc, 1));
	for (i = 0; i < 16; i++)
		map_unmap(*gntdev, m);
	return m;
}

static int alloc_free(unsigned int rounds)
{
	struct ioctl_gntdev_map_grant_ref *m;
	unsigned int i, b, per = rounds / BATCHES;
	double rate[BATCHES];
	struct timespec t0, t1;
	int gntdev;

	if (!per)
		die("rounds");
	m = warm_one_page(&gntdev);
	for (b = 0; b < BATCHES; b++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < per; i++)
			map_unmap(gntdev, m);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		rate[b] = per / ((t1.tv_sec - t0.tv_sec) +
				 (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	qsort(rate, BATCHES, sizeof(rate[0]), cmp_double);
	printf("bench alloc_free_rounds %u\n", per * BATCHES);
	printf("bench alloc_free_best_per_second %.0f\n", rate[BATCHES - 1]);
	printf("bench alloc_free_median_per_second %.0f\n", rate[BATCHES / 2]);
	return 0;
}

/* Tell the harness @what ("start", "stop"), and wait until it is done. */
static void profile_marker(const char *what)
{
	char line[64];

	printf("@@xenboot profile %s\n", what);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		die("profile marker");
}

/*
 * @rounds gntdev map+unmap pairs of one page between the markers that
 * make the harness trace what the vCPU executes.
 */
static int profile(unsigned int rounds)
{
	struct ioctl_gntdev_map_grant_ref *m;
	unsigned int i;
	int gntdev;

	m = warm_one_page(&gntdev);
	profile_marker("start");
	for (i = 0; i < rounds; i++)
		map_unmap(gntdev, m);
	profile_marker("stop");
	printf("bench profile_rounds %u\n", rounds);
	return 0;
}

/*
 * Ask the harness to press a Xen debug key on the serial line; it sends a
 * newline to dom0 when Xen is done, which ends the wait.
 */
static void xen_debug_key(char key, const char *label)
{
	char line[64];

	printf("@@xenboot debug-key %c %s\n", key, label);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		die("debug key");
}

/* Export @n pages as a WC dma-buf from a few refs used in turn; fd or -1. */
static int export_dmabuf(int gntdev, const struct ioctl_gntalloc_alloc_gref *a,
			 unsigned int n)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs *e;
	unsigned int i;
	int fd = -1;

	e = calloc(1, sizeof(*e) + n * sizeof(e->refs[0]));
	if (!e)
		die("calloc");
	e->flags = GNTDEV_DMA_FLAG_WC;
	e->count = n;
	e->domid = unpop_self_domid();
	for (i = 0; i < n; i++)
		e->refs[i] = a->gref_ids[i % a->count];
	if (!ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, e))
		fd = e->fd;
	free(e);
	return fd;
}

static void release_dmabuf(int gntdev, int fd)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released w = { 0 };

	close(fd);
	w.fd = fd;
	w.wait_to_ms = 5000;
	if (ioctl(gntdev, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &w) &&
	    errno != ENOENT)
		die("wait released");
}

/* Set the unpopulated pool's hand-back delay; ignored on a stock kernel. */
static void handback_delay_ms(const char *ms)
{
	int fd = open(UNPOP_HANDBACK_MS, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, ms, strlen(ms)) < 0)
		die("handback_delay_ms");
	close(fd);
}

static int dmabuf(unsigned int n)
{
	int gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	int gntdev = open("/dev/xen/gntdev", O_RDWR);
	struct ioctl_gntalloc_alloc_gref *a;
	long before, alive, after, again, noise;
	int fd;

	if (gntalloc < 0 || gntdev < 0)
		die("open");
	a = grant(gntalloc, n < 4096 ? n : 4096);

	/* Keep the pool grown after release, for the export again below. */
	handback_delay_ms("600000");
	xen_debug_key('q', "before");
	before = unpop_settled_free_ram_kb(&noise);
	fd = export_dmabuf(gntdev, a, n);
	printf("bench dmabuf_pages %u\n", n);
	printf("bench dmabuf_exported %d\n", fd >= 0);
	if (fd < 0) {
		printf("bench dmabuf_errno %d\n", errno);
		return 0;
	}
	alive = unpop_settled_free_ram_kb(&noise);
	xen_debug_key('q', "alive");
	release_dmabuf(gntdev, fd);
	after = unpop_settled_free_ram_kb(&noise);
	xen_debug_key('q', "after");
	printf("bench dmabuf_ram_lost_alive_kb %ld\n", before - alive);
	printf("bench dmabuf_ram_lost_after_kb %ld\n", before - after);

	/*
	 * The same buffer again, the pool still grown: this costs what
	 * every export costs (gntdev's arrays; on the RAM path the RAM too).
	 * Caches that the first export warmed can only make it look cheaper,
	 * so the first export's cost beyond it is an upper bound.
	 */
	fd = export_dmabuf(gntdev, a, n);
	if (fd < 0)
		die("export again");
	again = unpop_settled_free_ram_kb(&noise);
	release_dmabuf(gntdev, fd);
	handback_delay_ms("1000");
	printf("bench dmabuf_ram_lost_again_kb %ld\n", after - again);
	return 0;
}

static int largest_export(unsigned int max)
{
	int gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	int gntdev = open("/dev/xen/gntdev", O_RDWR);
	struct ioctl_gntalloc_alloc_gref *a;
	unsigned int n, best = 0;
	int fd;

	if (gntalloc < 0 || gntdev < 0)
		die("open");
	a = grant(gntalloc, 4096);
	for (n = 1; n <= max; n *= 2) {
		fd = export_dmabuf(gntdev, a, n);
		if (fd < 0) {
			printf("bench export_failed_pages %u errno %d\n", n, errno);
			break;
		}
		release_dmabuf(gntdev, fd);
		best = n;
		/* Let the pool hand the space back before the next, bigger one. */
		sleep(2);
	}
	printf("bench largest_export_pages %u\n", best);
	printf("bench largest_export_mib %u\n", best / 256);
	return 0;
}

/*
 * The cost of an operation as the pool fills and fragments.  TOTAL
 * single-page maps are made, then freed in an order drawn at random (the
 * same order for every kernel) until curve_points[] per cent of them are
 * still held.  Before the fill ("0") and at each point, each operation is
 * run on a gntdev file apart from the fill's: a single-page map+unmap, a
 * map+unmap of 512 pages, and dma-bufs of 16, 512 and 4096 pages
 * (contiguous runs, where the kernel has them).  The figure is the median
 * time an operation took; under "-icount shift=0" a nanosecond is an
 * instruction, so it counts instructions (Xen's among them, and whatever
 * the kernel does in the background meanwhile, on the one vCPU the bench
 * runs with).  The free RAM at each point, settled, gives what holding
 * the maps costs.
 *
 * The fill's maps are spread over many gntdev files: gntdev keeps a file's
 * maps on a list that a map and an unmap walk, which would make the fill
 * quadratic.
 */
#define CURVE_MAPS_PER_FILE	512
#define CURVE_REPEAT		5
static const unsigned int curve_points[] = { 99, 90, 50, 0 };

struct curve_map {
	int fd;
	uint64_t index;
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double median_of(double *v, unsigned int n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* Median time of a map+unmap of @m (its count of pages) on @gntdev. */
static double curve_map_unmap(int gntdev, struct ioctl_gntdev_map_grant_ref *m,
			      unsigned int rounds)
{
	double t[CURVE_REPEAT];
	unsigned int r, i;

	for (r = 0; r < CURVE_REPEAT; r++) {
		double t0 = now_ns();

		for (i = 0; i < rounds; i++)
			map_unmap(gntdev, m);
		t[r] = (now_ns() - t0) / rounds;
	}
	return median_of(t, CURVE_REPEAT);
}

/*
 * Median time of an export and release of an @n-page dma-buf, or -1; the
 * time of each round, in order, on one line (the first may search the
 * pool for a run that later ones find at once).
 */
static double curve_dmabuf(int gntdev, const struct ioctl_gntalloc_alloc_gref *a,
			   unsigned int n, const char *at)
{
	double t[CURVE_REPEAT];
	unsigned int r;

	printf("bench curve_rounds_dmabuf%u_%s", n, at);
	for (r = 0; r < CURVE_REPEAT; r++) {
		double t0 = now_ns();
		int fd = export_dmabuf(gntdev, a, n);

		if (fd < 0) {
			printf(" fails\n");
			return -1;
		}
		release_dmabuf(gntdev, fd);
		t[r] = now_ns() - t0;
		printf(" %.0f", t[r]);
	}
	printf("\n");
	return median_of(t, CURVE_REPEAT);
}

static void curve_measure(const char *at, unsigned int held, int gntdev,
			  struct ioctl_gntdev_map_grant_ref *one,
			  struct ioctl_gntdev_map_grant_ref *many,
			  const struct ioctl_gntalloc_alloc_gref *a)
{
	static const unsigned int runs[] = { 16, 512, 4096 };
	long noise;
	unsigned int i;

	printf("bench curve_held_%s %u\n", at, held);
	printf("bench curve_scratch_kb_%s %ld\n", at, scratch_kb());
	printf("bench curve_free_ram_kb_%s %ld\n", at,
	       unpop_settled_free_ram_kb(&noise));
	printf("bench curve_single_%s %.0f\n", at,
	       curve_map_unmap(gntdev, one, 64));
	printf("bench curve_map%u_%s %.0f\n", many->count, at,
	       curve_map_unmap(gntdev, many, 2));
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		printf("bench curve_dmabuf%u_%s %.0f\n", runs[i], at,
		       curve_dmabuf(gntdev, a, runs[i], at));
}

static int curve(unsigned int total)
{
	int gntalloc = open("/dev/xen/gntalloc", O_RDWR);
	struct ioctl_gntdev_map_grant_ref *one, *many;
	struct ioctl_gntalloc_alloc_gref *a;
	unsigned int i, p, held, filled, files;
	int fill_errno = 0;
	struct curve_map *maps;
	char at[8];
	int gntdev, *fds;

	if (gntalloc < 0 || !total)
		die("curve");
	one = warm_one_page(&gntdev);
	a = grant(gntalloc, 4096);
	many = calloc(1, sizeof(*many) + 512 * sizeof(many->refs[0]));
	maps = calloc(total, sizeof(*maps));
	files = (total + CURVE_MAPS_PER_FILE - 1) / CURVE_MAPS_PER_FILE;
	fds = calloc(files, sizeof(*fds));
	if (!many || !maps || !fds)
		die("calloc");
	many->count = 512;
	for (i = 0; i < many->count; i++)
		many->refs[i] = one->refs[0];

	printf("bench curve_total %u\n", total);
	printf("bench curve_page_kb %lu\n", PAGE >> 10);
	curve_measure("0", 0, gntdev, one, many, a);

	for (i = 0; i < files; i++) {
		fds[i] = open("/dev/xen/gntdev", O_RDWR);
		if (fds[i] < 0)
			die("open gntdev");
	}
	for (held = 0; held < total; held++) {
		one->index = 0;
		if (ioctl(fds[held / CURVE_MAPS_PER_FILE],
			  IOCTL_GNTDEV_MAP_GRANT_REF, one)) {
			fill_errno = errno;
			break;
		}
		maps[held].fd = fds[held / CURVE_MAPS_PER_FILE];
		maps[held].index = one->index;
	}
	filled = held;
	printf("bench curve_filled %u\n", filled);
	printf("bench curve_fill_errno %d\n", fill_errno);
	printf("bench curve_scratch_kb_full %ld\n", scratch_kb());

	/* Fisher-Yates with a fixed seed: the same order on every kernel. */
	srandom(1);
	for (i = held; i > 1; i--) {
		unsigned int j = random() % i;
		struct curve_map tmp = maps[i - 1];

		maps[i - 1] = maps[j];
		maps[j] = tmp;
	}
	for (p = 0; p < sizeof(curve_points) / sizeof(curve_points[0]); p++) {
		unsigned int keep = (unsigned long long)filled *
				    curve_points[p] / 100;

		while (held > keep) {
			held--;
			unmap(maps[held].fd, maps[held].index, 1);
		}
		/* Empty again, after all that, is "0after". */
		snprintf(at, sizeof(at), "%u", curve_points[p]);
		curve_measure(curve_points[p] ? at : "0after", held, gntdev,
			      one, many, a);
	}
	return 0;
}

/* Pages with KPF_OFFLINE in /proc/kpageflags, or -1. */
static long offline_pages(void)
{
	uint64_t flags[4096];
	long n = 0;
	ssize_t got;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd < 0)
		return -1;
	while ((got = read(fd, flags, sizeof(flags))) > 0) {
		for (size_t i = 0; i < got / sizeof(flags[0]); i++)
			n += (flags[i] >> 23) & 1;	/* KPF_OFFLINE */
	}
	close(fd);
	return got < 0 ? -1 : n;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "first-map"))
		return first_map(strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "alloc-free"))
		return alloc_free(strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "profile"))
		return profile(strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "dmabuf"))
		return dmabuf(strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "largest-export"))
		return largest_export(strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "curve"))
		return curve(strtoul(argv[2], NULL, 0));
	if (argc == 2 && !strcmp(argv[1], "offline-pages")) {
		printf("bench offline_pages %ld\nbench page_kb %lu\n",
		       offline_pages(), PAGE >> 10);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "free-ram")) {
		long noise, kb = unpop_settled_free_ram_kb(&noise);

		printf("bench free_ram_kb %ld\nbench free_ram_noise_kb %ld\n", kb, noise);
		return kb < 0;
	}
	fprintf(stderr, "usage: %s first-map N | alloc-free ROUNDS | profile ROUNDS | dmabuf N | largest-export MAX | curve TOTAL | free-ram | offline-pages\n",
		argv[0]);
	return 2;
}
