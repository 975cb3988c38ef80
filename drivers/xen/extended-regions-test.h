/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for the Xen extended region helpers.
 *
 * Included at the end of extended-regions.c, in the style of
 * mm/damon/core-test.h, so the helpers need no exports.
 */

#ifndef _XEN_EXTENDED_REGIONS_TEST_H
#define _XEN_EXTENDED_REGIONS_TEST_H

#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#define SZ_2M_ULL	((u64)SZ_2M)

/* Fill @r from a Xen-style [start, end) pair, as the hypervisor logs it. */
static struct range xer_xen(u64 start, u64 end_excl)
{
	return (struct range){ .start = start, .end = end_excl - 1 };
}

static void xer_expect_range(struct kunit *test, const struct range *r,
			     u64 start, u64 end)
{
	KUNIT_EXPECT_EQ(test, r->start, start);
	KUNIT_EXPECT_EQ(test, r->end, end);
}

static void xer_from_reg_basic(struct kunit *test)
{
	struct range r;

	KUNIT_ASSERT_TRUE(test, xen_ext_region_from_reg(0x40400000,
							0x1fc00000, &r));
	xer_expect_range(test, &r, 0x40400000, 0x5fffffff);
}

static void xer_from_reg_zero_size(struct kunit *test)
{
	struct range r = { .start = 1, .end = 2 };

	KUNIT_EXPECT_FALSE(test, xen_ext_region_from_reg(0x80000000, 0, &r));
	xer_expect_range(test, &r, 1, 2);
}

static void xer_from_reg_wraps(struct kunit *test)
{
	struct range r = { .start = 1, .end = 2 };

	KUNIT_EXPECT_FALSE(test, xen_ext_region_from_reg(U64_MAX - 0xfff,
							 0x2000, &r));
	KUNIT_EXPECT_FALSE(test, xen_ext_region_from_reg(2, U64_MAX, &r));
	xer_expect_range(test, &r, 1, 2);
}

static void xer_from_reg_ends_at_top(struct kunit *test)
{
	struct range r;

	KUNIT_ASSERT_TRUE(test, xen_ext_region_from_reg(U64_MAX - 0xfff,
							0x1000, &r));
	xer_expect_range(test, &r, U64_MAX - 0xfff, U64_MAX);
	KUNIT_ASSERT_TRUE(test, xen_ext_region_from_reg(0, U64_MAX, &r));
	xer_expect_range(test, &r, 0, U64_MAX - 1);
}

static void xer_normalize_empty(struct kunit *test)
{
	struct range r[1] = { { .start = 5, .end = 6 } };

	KUNIT_EXPECT_EQ(test, xen_ext_regions_normalize(r, 0), 0U);
	xer_expect_range(test, &r[0], 5, 6);
}

static void xer_normalize_one(struct kunit *test)
{
	struct range r[] = { xer_xen(0x80000000, 0xc0000000) };

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 1), 1U);
	xer_expect_range(test, &r[0], 0x80000000, 0xbfffffff);
}

/* The two regions Xen 4.17 gives dom0 with -m 2048 and dom0_mem=512M. */
static void xer_normalize_qemu_layout(struct kunit *test)
{
	struct range r[] = {
		xer_xen(0x40400000, 0x60000000),
		xer_xen(0x80000000, 0xc0000000),
	};
	struct range holes[1];

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 2), 2U);
	xer_expect_range(test, &r[0], 0x40400000, 0x5fffffff);
	xer_expect_range(test, &r[1], 0x80000000, 0xbfffffff);
	KUNIT_ASSERT_EQ(test, xen_ext_regions_holes(r, 2, holes), 1U);
	xer_expect_range(test, &holes[0], 0x60000000, 0x7fffffff);
}

static void xer_normalize_unsorted(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x300000, .end = 0x3fffff },
		{ .start = 0x100000, .end = 0x1fffff },
		{ .start = 0x500000, .end = 0x5fffff },
	};

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 3), 3U);
	xer_expect_range(test, &r[0], 0x100000, 0x1fffff);
	xer_expect_range(test, &r[1], 0x300000, 0x3fffff);
	xer_expect_range(test, &r[2], 0x500000, 0x5fffff);
}

static void xer_normalize_overlap(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x180000, .end = 0x2fffff },
		{ .start = 0x100000, .end = 0x1fffff },
	};

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 2), 1U);
	xer_expect_range(test, &r[0], 0x100000, 0x2fffff);
}

static void xer_normalize_contained(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x100000, .end = 0x8fffff },
		{ .start = 0x200000, .end = 0x2fffff },
	};

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 2), 1U);
	xer_expect_range(test, &r[0], 0x100000, 0x8fffff);
}

static void xer_normalize_touching(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x200000, .end = 0x2fffff },
		{ .start = 0x100000, .end = 0x1fffff },
	};

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 2), 1U);
	xer_expect_range(test, &r[0], 0x100000, 0x2fffff);
}

/* One byte apart is a real (one byte) hole, not a touch. */
static void xer_normalize_one_byte_gap(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x100000, .end = 0x1ffffe },
		{ .start = 0x200000, .end = 0x2fffff },
	};
	struct range holes[1];

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 2), 2U);
	KUNIT_ASSERT_EQ(test, xen_ext_regions_holes(r, 2, holes), 1U);
	xer_expect_range(test, &holes[0], 0x1fffff, 0x1fffff);
}

static void xer_normalize_duplicates(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x100000, .end = 0x1fffff },
		{ .start = 0x100000, .end = 0x1fffff },
		{ .start = 0x100000, .end = 0x1fffff },
	};

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 3), 1U);
	xer_expect_range(test, &r[0], 0x100000, 0x1fffff);
}

static void xer_normalize_chain(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x400000, .end = 0x4fffff },	/* touches the 2nd */
		{ .start = 0x100000, .end = 0x2fffff },
		{ .start = 0x280000, .end = 0x3fffff },	/* overlaps the 2nd */
		{ .start = 0x900000, .end = 0x9fffff },
	};

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 4), 2U);
	xer_expect_range(test, &r[0], 0x100000, 0x4fffff);
	xer_expect_range(test, &r[1], 0x900000, 0x9fffff);
}

static void xer_normalize_drops_inverted(struct kunit *test)
{
	struct range r[] = {
		{ .start = 0x300000, .end = 0x100000 },
		{ .start = 0x500000, .end = 0x5fffff },
	};

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 2), 1U);
	xer_expect_range(test, &r[0], 0x500000, 0x5fffff);
}

static void xer_normalize_top_of_space(struct kunit *test)
{
	struct range r[] = {
		{ .start = U64_MAX - 0xfff, .end = U64_MAX },
		{ .start = U64_MAX - 0x1fff, .end = U64_MAX - 0x1000 },
		{ .start = 0, .end = 0xfff },
	};
	struct range holes[2];

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 3), 2U);
	xer_expect_range(test, &r[0], 0, 0xfff);
	xer_expect_range(test, &r[1], U64_MAX - 0x1fff, U64_MAX);
	KUNIT_ASSERT_EQ(test, xen_ext_regions_holes(r, 2, holes), 1U);
	xer_expect_range(test, &holes[0], 0x1000, U64_MAX - 0x2000);
}

static void xer_normalize_256_disjoint(struct kunit *test)
{
	struct range *r, *holes;
	unsigned int i;

	r = kunit_kcalloc(test, 256, sizeof(*r), GFP_KERNEL);
	holes = kunit_kcalloc(test, 255, sizeof(*holes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, holes);

	/* Regions of 2 MiB every 4 MiB, given in descending order. */
	for (i = 0; i < 256; i++) {
		r[i].start = (u64)(255 - i) * 2 * SZ_2M_ULL;
		r[i].end = r[i].start + SZ_2M_ULL - 1;
	}

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 256), 256U);
	for (i = 0; i < 256; i++)
		xer_expect_range(test, &r[i], (u64)i * 2 * SZ_2M_ULL,
				 (u64)i * 2 * SZ_2M_ULL + SZ_2M_ULL - 1);

	KUNIT_ASSERT_EQ(test, xen_ext_regions_holes(r, 256, holes), 255U);
	for (i = 0; i < 255; i++)
		xer_expect_range(test, &holes[i], r[i].end + 1,
				 r[i + 1].start - 1);
}

static void xer_normalize_256_touching(struct kunit *test)
{
	struct range *r;
	unsigned int i;

	r = kunit_kcalloc(test, 256, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r);

	/* 256 back-to-back 2 MiB regions in a shuffled order. */
	for (i = 0; i < 256; i++) {
		unsigned int slot = (i * 97) % 256;

		r[i].start = 0x40000000ULL + (u64)slot * SZ_2M_ULL;
		r[i].end = r[i].start + SZ_2M_ULL - 1;
	}

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 256), 1U);
	xer_expect_range(test, &r[0], 0x40000000ULL,
			 0x40000000ULL + 256 * SZ_2M_ULL - 1);
}

/* Invariants on pseudo-random input: sorted, disjoint, covering. */
static void xer_normalize_random(struct kunit *test)
{
	struct range in[16], out[16];
	struct rnd_state rnd;
	unsigned int round, i, j, n;

	prandom_seed_state(&rnd, 2021);
	for (round = 0; round < 500; round++) {
		unsigned int nr = 1 + prandom_u32_state(&rnd) % 16;

		for (i = 0; i < nr; i++) {
			u64 base = (prandom_u32_state(&rnd) % 64) * 0x1000ULL;
			u64 size = (prandom_u32_state(&rnd) % 8) * 0x1000ULL;

			if (!xen_ext_region_from_reg(base, size, &in[i]))
				in[i] = (struct range){ .start = 1, .end = 0 };
			out[i] = in[i];
		}
		n = xen_ext_regions_normalize(out, nr);
		KUNIT_ASSERT_LE(test, n, nr);

		for (j = 1; j < n; j++)
			KUNIT_ASSERT_GT(test, out[j].start, out[j - 1].end + 1);
		for (i = 0; i < nr; i++) {
			bool covered = in[i].start > in[i].end;

			for (j = 0; j < n && !covered; j++)
				covered = in[i].start >= out[j].start &&
					  in[i].end <= out[j].end;
			KUNIT_ASSERT_TRUE(test, covered);
		}
		for (j = 0; j < n; j++) {
			bool starts = false, ends = false;

			for (i = 0; i < nr; i++) {
				starts |= in[i].start == out[j].start &&
					  in[i].start <= in[i].end;
				ends |= in[i].end == out[j].end &&
					in[i].start <= in[i].end;
			}
			KUNIT_ASSERT_TRUE(test, starts && ends);
		}
	}
}

/*
 * The extended regions quoted in seed 000 (Xen's log, ends exclusive) and
 * the seven holes that lie inside a 48-bit VA hotpluggable range.
 */
static void xer_seed_000(struct kunit *test)
{
	static const u64 xen_log[][2] = {
		{ 0x0, 0x8000000 },		{ 0xc000000, 0x30000000 },
		{ 0x40000000, 0x47e00000 },	{ 0xd0000000, 0xe6000000 },
		{ 0xe7800000, 0xec000000 },	{ 0xf1200000, 0xfd000000 },
		{ 0x100000000, 0x500000000 },	{ 0x580000000, 0x600000000 },
		{ 0x680000000, 0x700000000 },	{ 0x780000000, 0x10000000000 },
	};
	static const u64 want_holes[][2] = {
		{ 0x47e00000, 0xcfffffff },	{ 0xe6000000, 0xe77fffff },
		{ 0xec000000, 0xf11fffff },	{ 0xfd000000, 0xffffffff },
		{ 0x500000000, 0x57fffffff },	{ 0x600000000, 0x67fffffff },
		{ 0x700000000, 0x77fffffff },
	};
	const struct range limit = { .start = 0x40000000,
				     .end = 0x80003fffffffULL };
	struct range r[10], holes[9], u;
	unsigned int i, n, inside = 0;

	/* Feed them in reverse, as an untidy device tree might. */
	for (i = 0; i < 10; i++) {
		u64 start = xen_log[9 - i][0], end = xen_log[9 - i][1];

		KUNIT_ASSERT_TRUE(test, xen_ext_region_from_reg(start,
								end - start,
								&r[i]));
	}

	KUNIT_ASSERT_EQ(test, xen_ext_regions_normalize(r, 10), 10U);
	for (i = 0; i < 10; i++)
		xer_expect_range(test, &r[i], xen_log[i][0], xen_log[i][1] - 1);

	n = xen_ext_regions_holes(r, 10, holes);
	KUNIT_ASSERT_EQ(test, n, 9U);
	for (i = 0; i < n; i++) {
		if (holes[i].start < limit.start || holes[i].end > limit.end)
			continue;
		KUNIT_ASSERT_LT(test, inside, 7U);
		xer_expect_range(test, &holes[i], want_holes[inside][0],
				 want_holes[inside][1]);
		inside++;
	}
	KUNIT_EXPECT_EQ(test, inside, 7U);

	/* The two lowest regions lie wholly below the hotpluggable range. */
	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&r[0], &limit,
						      SZ_2M_ULL, &u));
	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&r[1], &limit,
						      SZ_2M_ULL, &u));
	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&r[2], &limit,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 0x40000000, 0x47dfffff);
	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&r[9], &limit,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 0x780000000ULL, 0xffffffffffULL);
}

static void xer_holes_none_for_one(struct kunit *test)
{
	struct range r[] = { { .start = 0x1000, .end = 0x1fff } };
	struct range holes[1] = { { .start = 7, .end = 7 } };

	KUNIT_EXPECT_EQ(test, xen_ext_regions_holes(r, 1, holes), 0U);
	KUNIT_EXPECT_EQ(test, xen_ext_regions_holes(r, 0, holes), 0U);
	xer_expect_range(test, &holes[0], 7, 7);
}

static void xer_holes_skip_touching(struct kunit *test)
{
	/* Not normalised: the first pair touches, the second overlaps. */
	struct range r[] = {
		{ .start = 0x1000, .end = 0x1fff },
		{ .start = 0x2000, .end = 0x2fff },
		{ .start = 0x2800, .end = 0x3fff },
		{ .start = 0x8000, .end = 0x8fff },
	};
	struct range holes[3];

	KUNIT_ASSERT_EQ(test, xen_ext_regions_holes(r, 4, holes), 1U);
	xer_expect_range(test, &holes[0], 0x4000, 0x7fff);
}

static const struct range xer_everything = { .start = 0, .end = U64_MAX };

static void xer_clamp_inside(struct kunit *test)
{
	struct range r = xer_xen(0x80000000, 0xc0000000), u;

	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&r, &xer_everything,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 0x80000000, 0xbfffffff);
}

static void xer_clamp_outside(struct kunit *test)
{
	const struct range limit = { .start = 0x40000000,
				     .end = 0xffffffffffffULL };
	struct range below = xer_xen(0x0, 0x8000000);
	struct range above = xer_xen(0x1000000000000ULL, 0x2000000000000ULL);
	struct range u = { .start = 3, .end = 4 };

	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&below, &limit,
						      SZ_2M_ULL, &u));
	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&above, &limit,
						      SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 3, 4);
}

static void xer_clamp_straddles_limit(struct kunit *test)
{
	const struct range limit = { .start = 0x40000000, .end = 0x7fffffff };
	struct range low = xer_xen(0x30000000, 0x50000000);
	struct range high = xer_xen(0x70000000, 0x90000000);
	struct range u;

	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&low, &limit,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 0x40000000, 0x4fffffff);
	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&high, &limit,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 0x70000000, 0x7fffffff);
}

static void xer_clamp_rounds_to_granule(struct kunit *test)
{
	struct range r = { .start = 0x40001000, .end = 0x405fefff }, u;

	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&r, &xer_everything,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 0x40200000, 0x403fffff);
	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&r, &xer_everything,
						     0x1000, &u));
	xer_expect_range(test, &u, 0x40001000, 0x405fefff);
}

static void xer_clamp_too_small(struct kunit *test)
{
	/* 4 MiB - 8 KiB, not aligned: no whole 2 MiB granule inside. */
	struct range r = { .start = 0x40001000, .end = 0x403fefff }, u;
	/* 1 MiB, aligned: smaller than a granule. */
	struct range tiny = xer_xen(0x80000000, 0x80100000);

	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&r, &xer_everything,
						      SZ_2M_ULL, &u));
	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&tiny, &xer_everything,
						      SZ_2M_ULL, &u));
}

static void xer_clamp_bad_granule(struct kunit *test)
{
	struct range r = xer_xen(0x80000000, 0xc0000000), u;

	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&r, &xer_everything,
						      0, &u));
	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&r, &xer_everything,
						      3 * SZ_2M_ULL, &u));
}

static void xer_clamp_top_of_space(struct kunit *test)
{
	struct range r = { .start = U64_MAX - SZ_2M_ULL * 4 + 1,
			   .end = U64_MAX }, u;
	struct range last = { .start = U64_MAX - 0xfff, .end = U64_MAX };

	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&r, &xer_everything,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, U64_MAX - SZ_2M_ULL * 4 + 1, U64_MAX);
	/* Rounding the start up would pass 2^64: nothing usable. */
	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&last, &xer_everything,
						      SZ_2M_ULL, &u));
}

static void xer_clamp_bottom_of_space(struct kunit *test)
{
	struct range r = { .start = 0, .end = 0x1ffffe }, u;

	/* Rounding end + 1 down gives zero: nothing usable. */
	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&r, &xer_everything,
						      SZ_2M_ULL, &u));
	r.end = 0x1fffff;
	KUNIT_ASSERT_TRUE(test, xen_ext_region_clamp(&r, &xer_everything,
						     SZ_2M_ULL, &u));
	xer_expect_range(test, &u, 0, 0x1fffff);
}

static void xer_clamp_empty_limit(struct kunit *test)
{
	const struct range inverted = { .start = 0x80000000, .end = 0x40000000 };
	struct range r = xer_xen(0x40000000, 0x90000000), u;

	KUNIT_EXPECT_FALSE(test, xen_ext_region_clamp(&r, &inverted,
						      SZ_2M_ULL, &u));
}

static struct kunit_case xen_extended_regions_test_cases[] = {
	KUNIT_CASE(xer_from_reg_basic),
	KUNIT_CASE(xer_from_reg_zero_size),
	KUNIT_CASE(xer_from_reg_wraps),
	KUNIT_CASE(xer_from_reg_ends_at_top),
	KUNIT_CASE(xer_normalize_empty),
	KUNIT_CASE(xer_normalize_one),
	KUNIT_CASE(xer_normalize_qemu_layout),
	KUNIT_CASE(xer_normalize_unsorted),
	KUNIT_CASE(xer_normalize_overlap),
	KUNIT_CASE(xer_normalize_contained),
	KUNIT_CASE(xer_normalize_touching),
	KUNIT_CASE(xer_normalize_one_byte_gap),
	KUNIT_CASE(xer_normalize_duplicates),
	KUNIT_CASE(xer_normalize_chain),
	KUNIT_CASE(xer_normalize_drops_inverted),
	KUNIT_CASE(xer_normalize_top_of_space),
	KUNIT_CASE(xer_normalize_256_disjoint),
	KUNIT_CASE(xer_normalize_256_touching),
	KUNIT_CASE(xer_normalize_random),
	KUNIT_CASE(xer_seed_000),
	KUNIT_CASE(xer_holes_none_for_one),
	KUNIT_CASE(xer_holes_skip_touching),
	KUNIT_CASE(xer_clamp_inside),
	KUNIT_CASE(xer_clamp_outside),
	KUNIT_CASE(xer_clamp_straddles_limit),
	KUNIT_CASE(xer_clamp_rounds_to_granule),
	KUNIT_CASE(xer_clamp_too_small),
	KUNIT_CASE(xer_clamp_bad_granule),
	KUNIT_CASE(xer_clamp_top_of_space),
	KUNIT_CASE(xer_clamp_bottom_of_space),
	KUNIT_CASE(xer_clamp_empty_limit),
	{}
};

static struct kunit_suite xen_extended_regions_test_suite = {
	.name = "xen_extended_regions",
	.test_cases = xen_extended_regions_test_cases,
};

kunit_test_suite(xen_extended_regions_test_suite);

#endif /* _XEN_EXTENDED_REGIONS_TEST_H */
