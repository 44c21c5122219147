// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of memblock, each case on a freshly booted simulated machine
 * (sim.c). Expectations come from the boot layout or from small reference
 * models, never from the code under test.
 */
#include <stdlib.h>
#include "hosttest.h"

static bool regions_are(struct ktest *t, int line, const struct memblock_type *ty,
			const struct memblock_region *want, unsigned long n)
{
	bool ok = ty->cnt == n;

	for (unsigned long i = 0; ok && i < n; i++)
		ok = ty->regions[i].base == want[i].base && ty->regions[i].size == want[i].size &&
		     ty->regions[i].flags == want[i].flags;
	if (!ok) {
		ktest_fail(t, __FILE__, line, "memblock %s: %lu regions, want %lu", ty->name,
			   ty->cnt, n);
		for (unsigned long i = 0; i < ty->cnt; i++)
			printk("    #   [0x%llx+0x%llx flags %u]\n",
			       (unsigned long long)ty->regions[i].base,
			       (unsigned long long)ty->regions[i].size, ty->regions[i].flags);
	}
	return ok;
}

#define EXPECT_REGIONS(t, ty, ...) do {						\
	const struct memblock_region __w[] = { __VA_ARGS__ };			\
	regions_are(t, __LINE__, ty, __w, ARRAY_SIZE(__w));			\
} while (0)
#define EXPECT_NO_REGIONS(t, ty) regions_are(t, __LINE__, ty, NULL, 0)

static void mb_add_merge(struct ktest *t)
{
	sim_boot_simple(39, SZ_1G);
	memblock_reset();
	EXPECT_NO_REGIONS(t, &memblock.memory);
	KEXPECT_EQ(t, memblock_add(MB(256), MB(16)), 0);
	KEXPECT_EQ(t, memblock_add(MB(768), MB(16)), 0);
	KEXPECT_EQ(t, memblock_add(MB(512), MB(16)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { MB(256), MB(16), 0 }, { MB(512), MB(16), 0 },
		       { MB(768), MB(16), 0 });
	/* Touching both neighbours: one region. */
	KEXPECT_EQ(t, memblock_add(MB(272), MB(240)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { MB(256), MB(272), 0 }, { MB(768), MB(16), 0 });
	/* Overlapping both, sticking out on the right. */
	KEXPECT_EQ(t, memblock_add(MB(520), MB(300)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { MB(256), MB(564), 0 });
	/* Inside, empty, wrapping. */
	KEXPECT_EQ(t, memblock_add(MB(300), MB(1)), 0);
	KEXPECT_EQ(t, memblock_add(MB(900), 0), 0);
	KEXPECT_EQ(t, memblock_add(~0ULL - SZ_4K + 1, 2 * SZ_4K), -EINVAL);
	EXPECT_REGIONS(t, &memblock.memory, { MB(256), MB(564), 0 });
	KEXPECT_EQ(t, memblock_phys_mem_size(), MB(564));
	KEXPECT_EQ(t, memblock_end_of_DRAM(), MB(820));
	KEXPECT_TRUE(t, memblock_is_memory(MB(256)));
	KEXPECT_TRUE(t, memblock_is_memory(MB(820) - 1));
	KEXPECT_TRUE(t, !memblock_is_memory(MB(820)));
	KEXPECT_TRUE(t, !memblock_is_memory(MB(256) - 1));
	KEXPECT_TRUE(t, memblock_overlaps_memory(MB(200), MB(57)));
	KEXPECT_TRUE(t, !memblock_overlaps_memory(MB(200), MB(56)));

	/* reserve: same rules, its own list */
	KEXPECT_EQ(t, memblock_reserve(MB(300), MB(1)), 0);
	KEXPECT_EQ(t, memblock_reserve(MB(302), MB(1)), 0);
	KEXPECT_EQ(t, memblock_reserve(MB(301), MB(1)), 0);
	KEXPECT_EQ(t, memblock_reserve(MB(1000), MB(1)), 0);	/* outside memory: allowed */
	EXPECT_REGIONS(t, &memblock.reserved, { MB(300), MB(3), 0 }, { MB(1000), MB(1), 0 });
	KEXPECT_EQ(t, memblock_reserved_size(), MB(4));
	KEXPECT_TRUE(t, memblock_is_reserved(MB(302) + 4095));
	KEXPECT_TRUE(t, !memblock_is_reserved(MB(303)));
	KEXPECT_EQ(t, memblock_free(MB(301), SZ_4K), 0);
	EXPECT_REGIONS(t, &memblock.reserved, { MB(300), MB(1), 0 },
		       { MB(301) + SZ_4K, MB(2) - SZ_4K, 0 }, { MB(1000), MB(1), 0 });
}

static void mb_remove_split(struct ktest *t)
{
	sim_boot_simple(39, SZ_1G);
	memblock_reset();
	KEXPECT_EQ(t, memblock_add(GB(1), GB(1)), 0);
	KEXPECT_EQ(t, memblock_remove(GB(1) + MB(256), MB(256)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { GB(1), MB(256), 0 }, { GB(1) + MB(512), MB(512), 0 });
	/* Across the gap: trims both sides. */
	KEXPECT_EQ(t, memblock_remove(GB(1) + MB(128), MB(512)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { GB(1), MB(128), 0 },
		       { GB(1) + MB(640), MB(384), 0 });
	/* Nothing there, and a range covering everything. */
	KEXPECT_EQ(t, memblock_remove(GB(5), GB(1)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { GB(1), MB(128), 0 },
		       { GB(1) + MB(640), MB(384), 0 });
	KEXPECT_EQ(t, memblock_remove(0, GB(4)), 0);
	EXPECT_NO_REGIONS(t, &memblock.memory);
	KEXPECT_EQ(t, memblock_end_of_DRAM(), 0);
}

static void mb_nomap(struct ktest *t)
{
	sim_boot_simple(39, SZ_1G);
	memblock_reset();
	KEXPECT_EQ(t, memblock_add(GB(1), GB(1)), 0);
	KEXPECT_EQ(t, memblock_mark_nomap(GB(1) + MB(512), MB(16)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { GB(1), MB(512), 0 },
		       { GB(1) + MB(512), MB(16), MEMBLOCK_NOMAP },
		       { GB(1) + MB(528), MB(496), 0 });
	/* Adjacent no-map merges with no-map only. */
	KEXPECT_EQ(t, memblock_mark_nomap(GB(1) + MB(528), MB(16)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { GB(1), MB(512), 0 },
		       { GB(1) + MB(512), MB(32), MEMBLOCK_NOMAP },
		       { GB(1) + MB(544), MB(480), 0 });
	/* Adding over no-map keeps it no-map; marking outside memory is a no-op. */
	KEXPECT_EQ(t, memblock_add(GB(1) + MB(500), MB(100)), 0);
	KEXPECT_EQ(t, memblock_mark_nomap(GB(3), MB(1)), 0);
	EXPECT_REGIONS(t, &memblock.memory, { GB(1), MB(512), 0 },
		       { GB(1) + MB(512), MB(32), MEMBLOCK_NOMAP },
		       { GB(1) + MB(544), MB(480), 0 });
	/* Still memory, never allocated from. */
	KEXPECT_TRUE(t, memblock_is_memory(GB(1) + MB(520)));
	KEXPECT_EQ(t, memblock_phys_alloc_range(MB(1), MB(1), GB(1) + MB(500), GB(1) + MB(540)),
		   GB(1) + MB(511));
	KEXPECT_EQ(t, memblock_phys_alloc_range(MB(2), MB(1), GB(1) + MB(511), GB(1) + MB(545)), 0);
}

static void mb_alloc_topdown(struct ktest *t)
{
	phys_addr_t last = ~0ULL, pa;
	unsigned long n = 0;

	sim_boot_simple(39, SZ_1G);
	memblock_reset();
	memblock_add(GB(1), MB(64));
	memblock_add(GB(4), MB(32));
	memblock_reserve(GB(4) + MB(30), MB(2));
	KEXPECT_EQ(t, memblock_phys_alloc(MB(1), MB(1)), GB(4) + MB(29));
	KEXPECT_EQ(t, memblock_phys_alloc(MB(2), MB(2)), GB(4) + MB(26));
	KEXPECT_EQ(t, memblock_phys_alloc(SZ_4K, GB(1)), GB(4));
	KEXPECT_EQ(t, memblock_phys_alloc(SZ_4K, GB(1)), GB(1));
	KEXPECT_EQ(t, memblock_phys_alloc(SZ_4K, GB(1)), 0);
	/* Too big for any region: fails, reserves nothing. */
	{
		phys_addr_t rsv = memblock_reserved_size();

		KEXPECT_EQ(t, memblock_phys_alloc(MB(65), SZ_4K), 0);
		KEXPECT_EQ(t, memblock_reserved_size(), rsv);
	}
	/* Top-down within a gap, then exactly the gap. */
	KEXPECT_EQ(t, memblock_phys_alloc(MB(1), SZ_4K), GB(4) + MB(28));
	KEXPECT_EQ(t, memblock_phys_alloc(MB(26) - SZ_4K, SZ_4K), GB(4) + SZ_4K);
	/* Range limits and current_limit. */
	KEXPECT_EQ(t, memblock_phys_alloc_range(MB(1), SZ_4K, GB(1) + MB(8), GB(1) + MB(16)),
		   GB(1) + MB(15));
	memblock.current_limit = GB(1) + MB(32);
	KEXPECT_EQ(t, memblock_phys_alloc(SZ_4K, SZ_4K), GB(1) + MB(32) - SZ_4K);
	memblock.current_limit = MEMBLOCK_ALLOC_ANYWHERE;
	/* No-map at the top of the first region. */
	memblock_mark_nomap(GB(1) + MB(48), MB(16));
	/* Page by page until full: strictly top-down, never reserved or no-map. */
	while ((pa = memblock_phys_alloc(SZ_4K, SZ_4K))) {
		KEXPECT_TRUE(t, pa < last);
		KEXPECT_TRUE(t, pa < GB(1) + MB(48) || pa >= GB(4));
		last = pa;
		n++;
		if (t->failed)
			return;
	}
	KEXPECT_EQ(t, memblock_reserved_size(), MB(48) + MB(32));
	KEXPECT_GT(t, n, 1000);
}

static void mb_table_full(struct ktest *t)
{
	sim_boot_simple(39, SZ_1G);
	memblock_reset();
	for (int i = 0; i < MEMBLOCK_MAX_REGIONS; i++)
		KASSERT_EQ(t, memblock_add(GB(1) + MB(2) * i, MB(1)), 0);
	KEXPECT_EQ(t, memblock.memory.cnt, MEMBLOCK_MAX_REGIONS);
	KEXPECT_EQ(t, memblock_add(GB(2), MB(1)), -ENOSPC);
	KEXPECT_EQ(t, memblock.memory.cnt, MEMBLOCK_MAX_REGIONS);
	KEXPECT_EQ(t, memblock_end_of_DRAM(), GB(1) + MB(2) * (MEMBLOCK_MAX_REGIONS - 1) + MB(1));
	/* A split needs a slot: refused, nothing changed. */
	KEXPECT_EQ(t, memblock_remove(GB(1) + MB(8) + SZ_4K, SZ_4K), -ENOSPC);
	KEXPECT_EQ(t, memblock.memory.cnt, MEMBLOCK_MAX_REGIONS);
	KEXPECT_EQ(t, memblock_phys_mem_size(), MB(MEMBLOCK_MAX_REGIONS));
	/* Removing whole regions needs none. */
	KEXPECT_EQ(t, memblock_remove(GB(1) + MB(8), MB(1)), 0);
	KEXPECT_EQ(t, memblock.memory.cnt, MEMBLOCK_MAX_REGIONS - 1);
	KEXPECT_EQ(t, memblock_add(GB(2), MB(1)), 0);
	KEXPECT_EQ(t, memblock.memory.cnt, MEMBLOCK_MAX_REGIONS);
}

/* Page-granular model over a 32 MiB window. */
#define MBW_BASE	GB(1)
#define MBW_UNITS	8192

struct mb_model {
	u8 mem[MBW_UNITS], nomap[MBW_UNITS], rsv[MBW_UNITS];
};

static bool model_regions_match(struct ktest *t, const struct mb_model *m, int step)
{
	struct memblock_region want[MBW_UNITS / 2 + 1];
	unsigned long n = 0;

	for (int i = 0; i < MBW_UNITS; i++) {
		u32 f = m->nomap[i] ? MEMBLOCK_NOMAP : 0;

		if (!m->mem[i])
			continue;
		if (n && want[n - 1].base + want[n - 1].size == MBW_BASE + (phys_addr_t)i * SZ_4K &&
		    want[n - 1].flags == f)
			want[n - 1].size += SZ_4K;
		else
			want[n++] = (struct memblock_region){ MBW_BASE + (phys_addr_t)i * SZ_4K, SZ_4K, f };
	}
	if (!regions_are(t, __LINE__, &memblock.memory, want, n))
		goto bad;
	n = 0;
	for (int i = 0; i < MBW_UNITS; i++) {
		if (!m->rsv[i])
			continue;
		if (n && want[n - 1].base + want[n - 1].size == MBW_BASE + (phys_addr_t)i * SZ_4K)
			want[n - 1].size += SZ_4K;
		else
			want[n++] = (struct memblock_region){ MBW_BASE + (phys_addr_t)i * SZ_4K, SZ_4K, 0 };
	}
	if (!regions_are(t, __LINE__, &memblock.reserved, want, n))
		goto bad;
	return true;
bad:
	printk("    # memblock model mismatch after step %d\n", step);
	return false;
}

/* Brute force: the highest aligned fit in [s, e) units. */
static long model_alloc(const struct mb_model *m, int size, int align, int s, int e)
{
	for (long a = ALIGN_DOWN(e - size, align); a >= s; a -= align) {
		bool ok = true;

		for (int i = a; ok && i < a + size; i++)
			ok = m->mem[i] && !m->nomap[i] && !m->rsv[i];
		if (ok)
			return a;
	}
	return -1;
}

/* One random run: the model and what the allocations did. */
struct mb_run {
	struct ktest *t;
	struct sim_rng rng;
	struct mb_model *m;
	unsigned long allocs, failed_allocs;
};

/* Add, remove, reserve, free or mark no-map units [s, s + len), in the model too. */
static int mb_step_region(struct mb_model *m, unsigned int op, int s, int len)
{
	phys_addr_t base = MBW_BASE + (phys_addr_t)s * SZ_4K, size = (phys_addr_t)len * SZ_4K;
	int ret = 0;

	switch (op) {
	case 0: case 1:
		ret = memblock_add(base, size);
		for (int i = s; i < s + len; i++)
			m->mem[i] = 1;
		break;
	case 2:
		ret = memblock_remove(base, size);
		for (int i = s; i < s + len; i++)
			m->mem[i] = m->nomap[i] = 0;
		break;
	case 3:
		ret = memblock_reserve(base, size);
		for (int i = s; i < s + len; i++)
			m->rsv[i] = 1;
		break;
	case 4: case 5:
		ret = memblock_free(base, size);
		for (int i = s; i < s + len; i++)
			m->rsv[i] = 0;
		break;
	case 6:
		ret = memblock_mark_nomap(base, size);
		for (int i = s; i < s + len; i++)
			m->nomap[i] = m->mem[i];
		break;
	}
	return ret;
}

/* An allocation of random size, alignment and range: where the model says, or none. */
static void mb_step_alloc(struct mb_run *r)
{
	int asz = 1 + sim_rand_below(&r->rng, 64), align = 1 << sim_rand_below(&r->rng, 7);
	int rs = 0, re = MBW_UNITS;
	long want;
	phys_addr_t got;

	if (sim_chance(&r->rng, 1, 3)) {
		rs = sim_rand_below(&r->rng, MBW_UNITS);
		re = rs + sim_rand_below(&r->rng, MBW_UNITS - rs + 1);
	}
	want = model_alloc(r->m, asz, align, rs, re);
	got = memblock_phys_alloc_range((phys_addr_t)asz * SZ_4K, (phys_addr_t)align * SZ_4K,
					MBW_BASE + (phys_addr_t)rs * SZ_4K,
					MBW_BASE + (phys_addr_t)re * SZ_4K);
	KEXPECT_EQ(r->t, got, want < 0 ? 0 : MBW_BASE + (phys_addr_t)want * SZ_4K);
	if (want >= 0) {
		for (int i = want; i < want + asz; i++)
			r->m->rsv[i] = 1;
		r->allocs++;
	} else {
		r->failed_allocs++;
	}
}

/* One random operation, then the regions against the model; false on a failure. */
static bool mb_step(struct mb_run *r, int step)
{
	/* A big add may insert cnt + 1 gaps before merging: stay below 128. */
	bool crowded = memblock.memory.cnt > 60 || memblock.reserved.cnt > 60;
	int len = crowded ? 2048 + sim_rand_below(&r->rng, MBW_UNITS - 2048) :
		1 + sim_rand_below(&r->rng, sim_chance(&r->rng, 1, 2) ? 64 : 1024);
	int s = sim_rand_below(&r->rng, MBW_UNITS - len + 1);
	static const unsigned int merging[] = { 0, 3, 4 };	/* big add, reserve, free */
	unsigned int op = crowded ? merging[sim_rand_below(&r->rng, 3)] :
				    sim_rand_below(&r->rng, 10);
	int ret = 0;

	if (op < 7)
		ret = mb_step_region(r->m, op, s, len);
	else
		mb_step_alloc(r);
	KEXPECT_EQ(r->t, ret, 0);
	return model_regions_match(r->t, r->m, step) && !r->t->failed;
}

static void mb_random_vs_model(struct ktest *t)
{
	static struct mb_model m;
	struct mb_run r = { .t = t, .m = &m };

	sim_rng_init(&r.rng, "mb_random_vs_model");
	sim_boot_simple(39, SZ_1G);
	memblock_reset();
	memset(&m, 0, sizeof(m));
	for (int step = 0; step < 3000; step++)
		if (!mb_step(&r, step))
			return;
	printk("    # mb_random_vs_model: 3000 steps, %lu allocations, %lu failed as predicted\n",
	       r.allocs, r.failed_allocs);
	/* Both outcomes must be reached, or the model proves little. */
	KEXPECT_GT(t, r.allocs, 50);
	KEXPECT_GT(t, r.failed_allocs, 5);
}

KTEST_SUITE(host_memblock, false,
	KTEST_CASE(mb_add_merge),
	KTEST_CASE(mb_remove_split),
	KTEST_CASE(mb_nomap),
	KTEST_CASE(mb_alloc_topdown),
	KTEST_CASE(mb_table_full),
	KTEST_CASE(mb_random_vs_model));
