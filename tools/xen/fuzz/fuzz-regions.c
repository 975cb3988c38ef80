// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for drivers/xen/extended-regions.c, the kernel's own
 * file built for the host as tools/xen does.  Every input is checked
 * against invariants and against a plain reference written here in
 * 128-bit arithmetic, not only for crashes:
 *
 *  - xen_ext_region_from_reg() takes an entry if and only if it is not
 *    empty and does not wrap, and then exactly;
 *  - xen_ext_regions_normalize() leaves ranges sorted, disjoint and not
 *    touching, whose union is exactly the union of the valid input
 *    (nothing lost, nothing added), for entries from "reg" and for raw
 *    ranges (inverted ones dropped);
 *  - xen_ext_regions_holes() gives exactly the gaps, and on input that is
 *    not normalised only gaps that lie between their neighbours;
 *  - xen_ext_region_clamp() gives exactly the largest granule-aligned
 *    part inside both the region and the limit, or nothing, and nothing
 *    for a granule that is not a power of two.
 *
 * Input: one byte of granule (bits 0-5 the shift, bit 6 spoils it), the
 * limit's start and end (8 bytes each), then up to 256 entries of base
 * and size (8 bytes each), little-endian.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/limits.h>
#include <xen/extended-regions.h>

#define MAX_ENTRIES	256

static void fail(const char *what, unsigned int i)
{
	fprintf(stderr, "invariant broken: %s (entry %u)\n", what, i);
	abort();
}

static u64 get_u64(const uint8_t *p)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *ra = a, *rb = b;

	if (ra->start != rb->start)
		return ra->start < rb->start ? -1 : 1;
	return ra->end < rb->end ? -1 : ra->end > rb->end;
}

/* The reference: sort, then merge what overlaps or touches. */
static unsigned int ref_normalize(const struct range *in, unsigned int nr,
				  struct range *out)
{
	unsigned int i, n = 0, k = 0;

	for (i = 0; i < nr; i++)
		if (in[i].start <= in[i].end)
			out[n++] = in[i];
	qsort(out, n, sizeof(*out), cmp_range);
	for (i = 0; i < n; i++) {
		if (k && (__uint128_t)out[i].start <= (__uint128_t)out[k - 1].end + 1) {
			if (out[i].end > out[k - 1].end)
				out[k - 1].end = out[i].end;
		} else {
			out[k++] = out[i];
		}
	}
	return k;
}

static void check_normalized(const struct range *in, unsigned int nr_in,
			     struct range *work)
{
	struct range ref[MAX_ENTRIES];
	unsigned int nr, nr_ref, i, nr_holes;
	struct range holes[MAX_ENTRIES];

	memcpy(work, in, nr_in * sizeof(*in));
	nr = xen_ext_regions_normalize(work, nr_in);
	nr_ref = ref_normalize(in, nr_in, ref);
	if (nr != nr_ref)
		fail("normalize: count differs from the reference", nr);
	for (i = 0; i < nr; i++) {
		if (work[i].start > work[i].end)
			fail("normalize: inverted range", i);
		if (i && (__uint128_t)work[i - 1].end + 1 >= work[i].start)
			fail("normalize: not sorted, overlapping or touching", i);
		if (work[i].start != ref[i].start || work[i].end != ref[i].end)
			fail("normalize: not the union of the input", i);
	}

	nr_holes = xen_ext_regions_holes(work, nr, holes);
	if (nr_holes != (nr ? nr - 1 : 0))
		fail("holes: not one between each pair", nr_holes);
	for (i = 0; i < nr_holes; i++)
		if (holes[i].start != work[i].end + 1 ||
		    holes[i].end != work[i + 1].start - 1)
			fail("holes: not exactly the gap", i);
}

/* Holes of a list that was never normalised: only real gaps. */
static void check_raw_holes(const struct range *in, unsigned int nr)
{
	struct range holes[MAX_ENTRIES];
	unsigned int i, j = 0, n;

	n = xen_ext_regions_holes(in, nr, holes);
	if (n > (nr ? nr - 1 : 0))
		fail("raw holes: too many", n);
	for (i = 1; i < nr && j < n; i++) {
		if ((__uint128_t)in[i].start <= (__uint128_t)in[i - 1].end + 1)
			continue;
		if (holes[j].start != in[i - 1].end + 1 ||
		    holes[j].end != in[i].start - 1)
			fail("raw holes: not the gap between neighbours", i);
		j++;
	}
	if (j != n)
		fail("raw holes: a hole where neighbours touch", j);
}

static void check_clamp(const struct range *r, const struct range *limit,
			u64 granule, unsigned int i)
{
	bool pow2 = granule && !(granule & (granule - 1));
	struct range got = { 1, 0 };
	__uint128_t s, e1, first, end1;
	bool ok, want = false;

	ok = xen_ext_region_clamp(r, limit, granule, &got);
	if (pow2) {
		s = r->start > limit->start ? r->start : limit->start;
		e1 = (__uint128_t)(r->end < limit->end ? r->end : limit->end) + 1;
		first = (s + granule - 1) / granule * granule;
		end1 = e1 / granule * granule;
		want = s < e1 && first < end1;
	}
	if (ok != want)
		fail(want ? "clamp: usable part lost" : "clamp: nothing usable accepted", i);
	if (!ok)
		return;
	if (got.start != (u64)first || (__uint128_t)got.end + 1 != end1)
		fail("clamp: not the largest aligned part", i);
	if (got.start < r->start || got.end > r->end ||
	    got.start < limit->start || got.end > limit->end)
		fail("clamp: outside the region or the limit", i);
	if (got.start % granule || ((__uint128_t)got.end + 1) % granule)
		fail("clamp: not granule-aligned", i);
}

/* LLVMFuzzerTestOneInput, named so by the Makefile (-D). */
int fuzz_one_input(const uint8_t *data, size_t size)
{
	static struct range valid[MAX_ENTRIES], raw[MAX_ENTRIES], work[MAX_ENTRIES];
	unsigned int nr_entries, nr_valid = 0, i;
	struct range limit, got;
	u64 granule;

	if (size < 17)
		return 0;
	granule = 1ULL << (data[0] & 63);
	if (data[0] & 64)
		granule = data[0] & 128 ? 0 : granule | 3;
	limit.start = get_u64(data + 1);
	limit.end = get_u64(data + 9);
	data += 17;
	size -= 17;
	nr_entries = size / 16 < MAX_ENTRIES ? size / 16 : MAX_ENTRIES;

	for (i = 0; i < nr_entries; i++) {
		u64 base = get_u64(data + 16 * i), len = get_u64(data + 16 * i + 8);
		bool want = len && (__uint128_t)base + len - 1 <= U64_MAX;

		got.start = 1;
		got.end = 0;
		if (xen_ext_region_from_reg(base, len, &got) != want)
			fail("from_reg: accepts what it should not, or refuses", i);
		if (want) {
			if (got.start != base || got.end != base + (len - 1))
				fail("from_reg: not the entry's range", i);
			valid[nr_valid++] = got;
		}
		/* The same bytes as a raw range, inverted or not. */
		raw[i].start = base;
		raw[i].end = len;
	}

	check_normalized(valid, nr_valid, work);
	check_raw_holes(raw, nr_entries);
	check_normalized(raw, nr_entries, work);
	nr_valid = xen_ext_regions_normalize(valid, nr_valid);
	for (i = 0; i < nr_valid; i++)
		check_clamp(&valid[i], &limit, granule, i);
	for (i = 0; i < nr_entries; i++)
		if (raw[i].start <= raw[i].end)
			check_clamp(&raw[i], &limit, granule, i);
	return 0;
}
