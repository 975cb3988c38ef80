// SPDX-License-Identifier: GPL-2.0
/*
 * xen-extregions: show which Xen extended regions Linux will use.
 *
 * Reads a flattened device tree (in dom0: /sys/firmware/fdt), takes the
 * "reg" entries 1..N of the Xen hypervisor node and prints, one item a
 * line, inclusive ends, lowercase hex:
 *
 *   region 0xSTART 0xEND   each region after normalisation
 *   hole 0xSTART 0xEND     each gap between two consecutive regions
 *   usable 0xSTART 0xEND   each region clipped to --range and --granule
 *
 * The region logic is the kernel's own drivers/xen/extended-regions.c.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <linux/limits.h>
#include <xen/extended-regions.h>

#define DEFAULT_GRANULE	(2ULL << 20)
/* libfdt's FDT_TAGALIGN() is internal to it. */
#define TAG_ALIGN(x)	(((x) + FDT_TAGSIZE - 1) & ~(u64)(FDT_TAGSIZE - 1))
#define MAX_DTB_SIZE	(64U << 20)

static const char *prog = "xen-extregions";

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--range 0xLO-0xHI] [--granule BYTES] DTB\n"
		"  --range    hotpluggable range, both ends inclusive (default: all of 64 bits)\n"
		"  --granule  allocation granule, a power of two (default: 0x200000)\n",
		prog);
}

static int parse_u64(const char *s, u64 *val)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*val = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int parse_range(const char *arg, struct range *r)
{
	size_t len = strlen(arg);
	char buf[64], *dash;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, arg, len + 1);
	dash = strchr(buf, '-');
	if (!dash)
		return -1;
	*dash = '\0';
	if (parse_u64(buf, &r->start) || parse_u64(dash + 1, &r->end))
		return -1;
	return r->start <= r->end ? 0 : -1;
}

/*
 * Walk the structure block once, tag by tag, and accept it only if every
 * tag lies inside it, every name and value ends inside it, every node is
 * closed and FDT_END comes last.  libfdt trusts the lengths it reads: a
 * crafted property length makes its offsets overflow, and a lookup such
 * as fdt_node_offset_by_compatible() then loops for ever (fuzz-dtb found
 * one).  Returns 0 for a sound block, -1 otherwise.
 */
static int check_structure(const void *fdt)
{
	const char *blk = (const char *)fdt + fdt_off_dt_struct(fdt);
	u64 size = fdt_size_dt_struct(fdt), off = 0, len;
	unsigned int depth = 0;

	if (fdt_version(fdt) < 16 ||
	    (u64)fdt_off_dt_struct(fdt) + size > fdt_totalsize(fdt))
		return -1;
	while (off + FDT_TAGSIZE <= size) {
		u32 tag = fdt32_ld((const fdt32_t *)(blk + off));

		off += FDT_TAGSIZE;
		switch (tag) {
		case FDT_BEGIN_NODE:
			len = strnlen(blk + off, size - off);
			if (len == size - off)
				return -1;
			off += TAG_ALIGN(len + 1);
			depth++;
			break;
		case FDT_END_NODE:
			if (!depth--)
				return -1;
			break;
		case FDT_PROP:
			if (size - off < 2 * FDT_TAGSIZE)
				return -1;
			len = fdt32_ld((const fdt32_t *)(blk + off));
			if (fdt32_ld((const fdt32_t *)(blk + off + FDT_TAGSIZE)) >=
			    fdt_size_dt_strings(fdt))
				return -1;
			off += 2 * FDT_TAGSIZE;
			if (len > size - off)
				return -1;
			off += TAG_ALIGN(len);
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return depth ? -1 : 0;
		default:
			return -1;
		}
	}
	return -1;
}

static void *read_dtb(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0, cap = 1 << 16, n;
	char *buf = NULL, *tmp;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	for (;;) {
		tmp = realloc(buf, cap);
		if (!tmp)
			goto fail;
		buf = tmp;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		if (cap >= MAX_DTB_SIZE) {
			fprintf(stderr, "%s: %s: larger than %u bytes\n", prog,
				path, MAX_DTB_SIZE);
			goto out;
		}
		cap *= 2;
	}
	if (ferror(f))
		goto fail;
	/*
	 * libfdt reads the structure block and the reserve map in place:
	 * a blob whose header puts them off their 4- and 8-byte alignment
	 * is malformed, not merely unusual.
	 */
	if (len < sizeof(struct fdt_header) || fdt_check_header(buf) ||
	    fdt_totalsize(buf) > len || fdt_off_dt_struct(buf) % 4 ||
	    fdt_off_mem_rsvmap(buf) % 8 || check_structure(buf)) {
		fprintf(stderr, "%s: %s: not a flattened device tree\n", prog,
			path);
		goto out;
	}
	fclose(f);
	return buf;
fail:
	fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
out:
	free(buf);
	fclose(f);
	return NULL;
}

/*
 * The kernel's reading of #address-cells and #size-cells, not libfdt's:
 * of_n_addr_cells() and of_n_size_cells() look at the parents and, where
 * none says, take 1 for both (OF_ROOT_NODE_*_CELLS_DEFAULT), where libfdt
 * takes the specification's 2 for addresses.  The tool must read "reg"
 * the way Linux will.  Returns the count, or -1 if a value is unusable.
 */
static int linux_cells(const void *fdt, int node, const char *name)
{
	const fdt32_t *val;
	int len;

	for (node = fdt_parent_offset(fdt, node); node >= 0;
	     node = fdt_parent_offset(fdt, node)) {
		val = fdt_getprop(fdt, node, name, &len);
		if (val)
			return len == sizeof(*val) ? (int)fdt32_to_cpu(*val) : -1;
	}
	return 1;
}

static u64 read_cells(const fdt32_t *cell, int n)
{
	u64 v = 0;

	while (n--)
		v = (v << 32) | fdt32_to_cpu(*cell++);
	return v;
}

/* Read entries 1..N of the hypervisor node's "reg"; -1 on error. */
static int read_regions(const void *fdt, const char *path,
			struct range **regionsp)
{
	const fdt32_t *reg;
	struct range *regions;
	int node, na, ns, len, stride, nr_entries, nr = 0, i;

	node = fdt_node_offset_by_compatible(fdt, -1, "xen,xen");
	if (node < 0)
		node = fdt_path_offset(fdt, "/hypervisor");
	if (node < 0) {
		fprintf(stderr, "%s: %s: no Xen hypervisor node\n", prog, path);
		return -1;
	}
	na = linux_cells(fdt, node, "#address-cells");
	ns = linux_cells(fdt, node, "#size-cells");
	if (na < 1 || na > 2 || ns < 1 || ns > 2) {
		fprintf(stderr, "%s: %s: unsupported #address-cells %d / #size-cells %d\n",
			prog, path, na, ns);
		return -1;
	}

	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg) {
		fprintf(stderr, "%s: %s: hypervisor node has no \"reg\"\n",
			prog, path);
		return -1;
	}
	stride = (na + ns) * (int)sizeof(*reg);
	if (len % stride) {
		fprintf(stderr, "%s: %s: \"reg\" is %d bytes, not a whole number of entries\n",
			prog, path, len);
		return -1;
	}
	nr_entries = len / stride;

	regions = calloc(nr_entries ? nr_entries : 1, sizeof(*regions));
	if (!regions) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -1;
	}
	for (i = XEN_EXT_REGION_FIRST_INDEX; i < nr_entries; i++) {
		const fdt32_t *entry = reg + i * (na + ns);
		u64 base = read_cells(entry, na);
		u64 size = read_cells(entry + na, ns);

		if (!xen_ext_region_from_reg(base, size, &regions[nr])) {
			fprintf(stderr, "%s: ignoring entry %d: base 0x%llx size 0x%llx is %s\n",
				prog, i, (unsigned long long)base,
				(unsigned long long)size,
				size ? "past 2^64" : "empty");
			continue;
		}
		nr++;
	}
	*regionsp = regions;
	return (int)xen_ext_regions_normalize(regions, nr);
}

static void print_range(const char *what, const struct range *r)
{
	printf("%s 0x%llx 0x%llx\n", what, (unsigned long long)r->start,
	       (unsigned long long)r->end);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "granule", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct range limit = { .start = 0, .end = U64_MAX }, usable;
	struct range *regions = NULL, *holes;
	u64 granule = DEFAULT_GRANULE;
	unsigned int i, nr_holes;
	void *fdt;
	int c, nr;

	while ((c = getopt_long(argc, argv, "r:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_range(optarg, &limit)) {
				fprintf(stderr, "%s: bad --range '%s'\n", prog,
					optarg);
				return 2;
			}
			break;
		case 'g':
			if (parse_u64(optarg, &granule) || !granule ||
			    (granule & (granule - 1))) {
				fprintf(stderr, "%s: bad --granule '%s': not a power of two\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		print_usage(stderr);
		return 2;
	}

	fdt = read_dtb(argv[optind]);
	if (!fdt)
		return 1;
	nr = read_regions(fdt, argv[optind], &regions);
	free(fdt);
	if (nr < 0)
		return 1;

	holes = calloc(nr ? nr : 1, sizeof(*holes));
	if (!holes) {
		fprintf(stderr, "%s: out of memory\n", prog);
		free(regions);
		return 1;
	}
	nr_holes = xen_ext_regions_holes(regions, nr, holes);

	for (i = 0; i < (unsigned int)nr; i++)
		print_range("region", &regions[i]);
	for (i = 0; i < nr_holes; i++)
		print_range("hole", &holes[i]);
	for (i = 0; i < (unsigned int)nr; i++)
		if (xen_ext_region_clamp(&regions[i], &limit, granule, &usable))
			print_range("usable", &usable);

	free(holes);
	free(regions);
	return fflush(stdout) ? 1 : 0;
}
