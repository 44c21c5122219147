// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of memblock, the buddy allocator and the sparse vmemmap, each
 * case on a freshly booted simulated machine (sim.c). Expectations come
 * from the boot layout or from small reference models, never from the
 * code under test.
 */
#include <stdlib.h>
#include "hosttest.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

struct blk {
	unsigned long pfn;
	unsigned int order;
};

static int blk_cmp(const void *a, const void *b)
{
	const struct blk *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

bool check_buddy(struct ktest *t)
{
	static struct blk *v;
	static size_t cap;
	size_t n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		unsigned long pages = 0;

		for (int o = 0; o < NR_ORDERS; o++) {
			const struct list_head *head = &zones[z].free_area[o];
			unsigned long cnt = 0;

			for (const struct list_head *l = head->next; l != head; l = l->next) {
				struct page *p = container_of(l, struct page, lru);
				unsigned long pfn = page_to_pfn(p);
				struct mem_section *ms = __pfn_to_section(pfn);

				if (!pfn_valid(pfn) || !PageBuddy(p) || PageReserved(p) ||
				    p->order != o || (pfn & ((1UL << o) - 1)) ||
				    page_zone(p) != (enum zone_type)z ||
				    !(ms->online_map & (1ULL << ((pfn % PAGES_PER_SECTION) /
								 SUBBLOCK_PAGES))) ||
				    ++cnt > zones[z].nr_free_area[o]) {
					ktest_fail(t, __FILE__, __LINE__,
						   "zone %d order %d: bad free block at pfn 0x%lx (flags 0x%lx order %u)",
						   z, o, pfn, p->flags, p->order);
					return false;
				}
				if (n == cap) {
					cap = cap ? 2 * cap : 4096;
					v = realloc(v, cap * sizeof(*v));
				}
				v[n++] = (struct blk){ pfn, o };
				pages += 1UL << o;
			}
			if (cnt != zones[z].nr_free_area[o]) {
				ktest_fail(t, __FILE__, __LINE__, "zone %d order %d: %lu listed, count %lu",
					   z, o, cnt, zones[z].nr_free_area[o]);
				return false;
			}
		}
		if (pages != zones[z].free_pages) {
			ktest_fail(t, __FILE__, __LINE__, "zone %d: %lu pages listed, free_pages %lu",
				   z, pages, zones[z].free_pages);
			return false;
		}
	}
	qsort(v, n, sizeof(*v), blk_cmp);
	for (size_t i = 1; i < n; i++)
		if (v[i - 1].pfn + (1UL << v[i - 1].order) > v[i].pfn) {
			ktest_fail(t, __FILE__, __LINE__, "free blocks at pfn 0x%lx and 0x%lx overlap",
				   v[i - 1].pfn, v[i].pfn);
			return false;
		}
	return true;
}

/* A pfn bitmap for "handed out" sets. */
struct pfnset {
	u64 *bits;
	unsigned long npfn;
};

static void pfnset_init(struct pfnset *s, unsigned long npfn)
{
	s->npfn = npfn;
	s->bits = calloc(DIV_ROUND_UP(npfn, 64), 8);
}

static bool pfnset_test(const struct pfnset *s, unsigned long pfn)
{
	return pfn < s->npfn && (s->bits[pfn / 64] >> (pfn % 64)) & 1;
}

/* Set [pfn, pfn + n); false if any was set already or out of range. */
static bool pfnset_claim(struct pfnset *s, unsigned long pfn, unsigned long n)
{
	for (unsigned long i = pfn; i < pfn + n; i++)
		if (i >= s->npfn || pfnset_test(s, i))
			return false;
	for (unsigned long i = pfn; i < pfn + n; i++)
		s->bits[i / 64] |= 1ULL << (i % 64);
	return true;
}

static void pfnset_release(struct pfnset *s, unsigned long pfn, unsigned long n)
{
	for (unsigned long i = pfn; i < pfn + n; i++)
		s->bits[i / 64] &= ~(1ULL << (i % 64));
}

static bool in_ranges(const struct sim_range *r, int n, phys_addr_t pa)
{
	for (int i = 0; i < n; i++)
		if (pa >= r[i].base && pa - r[i].base < r[i].size)
			return true;
	return false;
}

static bool overlaps_ranges(const struct sim_range *r, int n, phys_addr_t base, phys_addr_t size)
{
	for (int i = 0; i < n; i++)
		if (base < r[i].base + r[i].size && r[i].base < base + size)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* memblock                                                            */
/* ------------------------------------------------------------------ */


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

static void mb_random_vs_model(struct ktest *t)
{
	static struct mb_model m;
	struct sim_rng rng;
	unsigned long allocs = 0, failed_allocs = 0;

	sim_rng_init(&rng, "mb_random_vs_model");
	sim_boot_simple(39, SZ_1G);
	memblock_reset();
	memset(&m, 0, sizeof(m));
	for (int step = 0; step < 3000; step++) {
		/* A big add may insert cnt + 1 gaps before merging: stay below 128. */
		bool crowded = memblock.memory.cnt > 60 || memblock.reserved.cnt > 60;
		int len = crowded ? 2048 + sim_rand_below(&rng, MBW_UNITS - 2048) :
			1 + sim_rand_below(&rng, sim_chance(&rng, 1, 2) ? 64 : 1024);
		int s = sim_rand_below(&rng, MBW_UNITS - len + 1);
		phys_addr_t base = MBW_BASE + (phys_addr_t)s * SZ_4K, size = (phys_addr_t)len * SZ_4K;
		static const unsigned int merging[] = { 0, 3, 4 };	/* big add, reserve, free */
		unsigned int op = crowded ? merging[sim_rand_below(&rng, 3)] : sim_rand_below(&rng, 10);
		int ret = 0;

		switch (op) {
		case 0: case 1:
			ret = memblock_add(base, size);
			for (int i = s; i < s + len; i++)
				m.mem[i] = 1;
			break;
		case 2:
			ret = memblock_remove(base, size);
			for (int i = s; i < s + len; i++)
				m.mem[i] = m.nomap[i] = 0;
			break;
		case 3:
			ret = memblock_reserve(base, size);
			for (int i = s; i < s + len; i++)
				m.rsv[i] = 1;
			break;
		case 4: case 5:
			ret = memblock_free(base, size);
			for (int i = s; i < s + len; i++)
				m.rsv[i] = 0;
			break;
		case 6:
			ret = memblock_mark_nomap(base, size);
			for (int i = s; i < s + len; i++)
				m.nomap[i] = m.mem[i];
			break;
		default: {
			int asz = 1 + sim_rand_below(&rng, 64), align = 1 << sim_rand_below(&rng, 7);
			int rs = 0, re = MBW_UNITS;
			long want;
			phys_addr_t got;

			if (sim_chance(&rng, 1, 3)) {
				rs = sim_rand_below(&rng, MBW_UNITS);
				re = rs + sim_rand_below(&rng, MBW_UNITS - rs + 1);
			}
			want = model_alloc(&m, asz, align, rs, re);
			got = memblock_phys_alloc_range((phys_addr_t)asz * SZ_4K,
							(phys_addr_t)align * SZ_4K,
							MBW_BASE + (phys_addr_t)rs * SZ_4K,
							MBW_BASE + (phys_addr_t)re * SZ_4K);
			KEXPECT_EQ(t, got, want < 0 ? 0 : MBW_BASE + (phys_addr_t)want * SZ_4K);
			if (want >= 0) {
				for (int i = want; i < want + asz; i++)
					m.rsv[i] = 1;
				allocs++;
			} else {
				failed_allocs++;
			}
			break;
		}
		}
		KEXPECT_EQ(t, ret, 0);
		if (!model_regions_match(t, &m, step) || t->failed)
			return;
	}
	printk("    # mb_random_vs_model: 3000 steps, %lu allocations, %lu failed as predicted\n",
	       allocs, failed_allocs);
	/* Both outcomes must be reached, or the model proves little. */
	KEXPECT_GT(t, allocs, 50);
	KEXPECT_GT(t, failed_allocs, 5);
}

KTEST_SUITE(host_memblock, false,
	KTEST_CASE(mb_add_merge),
	KTEST_CASE(mb_remove_split),
	KTEST_CASE(mb_nomap),
	KTEST_CASE(mb_alloc_topdown),
	KTEST_CASE(mb_table_full),
	KTEST_CASE(mb_random_vs_model));

/* ------------------------------------------------------------------ */
/* buddy                                                               */
/* ------------------------------------------------------------------ */

#define BUDDY_RAM	(256 * SZ_1M)
#define HOT_BASE	GB(4)

static void save_areas(unsigned long a[MAX_NR_ZONES][NR_ORDERS])
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o < NR_ORDERS; o++)
			a[z][o] = zones[z].nr_free_area[o];
}

static bool same_areas(unsigned long a[MAX_NR_ZONES][NR_ORDERS])
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o < NR_ORDERS; o++)
			if (a[z][o] != zones[z].nr_free_area[o])
				return false;
	return true;
}

static bool add_online(struct ktest *t, phys_addr_t base, phys_addr_t size, unsigned int flags)
{
	KASSERT_EQ_OR(t, add_memory(0, base, size, flags), 0, false);
	for (phys_addr_t b = base; b < base + size; b += SECTION_SIZE)
		KASSERT_EQ_OR(t, online_memory_block(b), 0, false);
	return true;
}

static void offline_remove(struct ktest *t, phys_addr_t base, phys_addr_t size)
{
	for (phys_addr_t b = base; b < base + size; b += SECTION_SIZE)
		KEXPECT_EQ(t, offline_memory_block(b), 0);
	KEXPECT_EQ(t, remove_memory(base, size), 0);
}

static void buddy_all_orders(struct ktest *t)
{
	unsigned long areas[MAX_NR_ZONES][NR_ORDERS], free0;

	sim_boot_simple(39, BUDDY_RAM);
	save_areas(areas);
	free0 = nr_free_pages();
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 0);
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		struct page *p = alloc_pages(GFP_KERNEL, o);
		unsigned long pfn;

		KASSERT_TRUE(t, p);
		pfn = page_to_pfn(p);
		KEXPECT_EQ(t, pfn & ((1UL << o) - 1), 0);
		KEXPECT_TRUE(t, !PageBuddy(p) && !PageReserved(p));
		KEXPECT_EQ(t, p->refcount, 1);
		KEXPECT_EQ(t, page_zone(p), ZONE_NORMAL);
		KEXPECT_EQ(t, nr_free_pages(), free0 - (1UL << o));
		for (unsigned long i = 0; i < (1UL << o); i++)
			KEXPECT_TRUE(t, !memblock_is_reserved(PFN_PHYS(pfn + i)));
		memset(page_address(p), 0x5a, PAGE_SIZE << o);
		KEXPECT_TRUE(t, check_buddy(t));
		free_pages(p, o);
		KEXPECT_EQ(t, nr_free_pages(), free0);
	}
	KEXPECT_TRUE(t, alloc_pages(GFP_KERNEL, MAX_ORDER + 1) == NULL);
	KEXPECT_TRUE(t, same_areas(areas));
	KEXPECT_TRUE(t, check_buddy(t));
}

/* Everything out in random orders, back in a random order: same free lists. */
static void buddy_exhaust_coalesce(struct ktest *t)
{
	unsigned long areas[MAX_NR_ZONES][NR_ORDERS], free0, got = 0;
	struct blk *v = malloc(sizeof(*v) * (BUDDY_RAM / PAGE_SIZE));
	struct pfnset set;
	struct sim_rng rng;
	size_t n = 0;

	sim_rng_init(&rng, "buddy_exhaust_coalesce");
	sim_boot_simple(48, BUDDY_RAM);
	pfnset_init(&set, PHYS_PFN(0x80000000UL + BUDDY_RAM));
	save_areas(areas);
	free0 = nr_free_pages();
	for (;;) {
		unsigned int o = sim_chance(&rng, 1, 2) ? 0 : sim_rand_below(&rng, NR_ORDERS);
		struct page *p = alloc_pages(GFP_KERNEL, o);
		unsigned long pfn;

		if (!p) {
			if (!o)
				break;
			continue;
		}
		pfn = page_to_pfn(p);
		if (!pfnset_claim(&set, pfn, 1UL << o) ||
		    memblock_is_reserved(PFN_PHYS(pfn)) || (pfn & ((1UL << o) - 1))) {
			ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx order %u handed out twice or reserved",
				   pfn, o);
			break;
		}
		v[n++] = (struct blk){ pfn, o };
		got += 1UL << o;
	}
	KEXPECT_EQ(t, got, free0);
	KEXPECT_EQ(t, nr_free_pages(), 0);
	KEXPECT_TRUE(t, check_buddy(t));
	for (size_t i = n; i > 1; i--) {
		size_t j = sim_rand_below(&rng, i);
		struct blk tmp = v[i - 1];

		v[i - 1] = v[j];
		v[j] = tmp;
	}
	for (size_t i = 0; i < n; i++)
		free_pages(pfn_to_page(v[i].pfn), v[i].order);
	KEXPECT_EQ(t, nr_free_pages(), free0);
	KEXPECT_TRUE(t, same_areas(areas));
	KEXPECT_TRUE(t, check_buddy(t));
	printk("    # buddy_exhaust_coalesce: %zu blocks, %lu pages\n", n, got);
	free(v);
	free(set.bits);
}

/* GFP_KERNEL never gets ZONE_MOVABLE; GFP_MOVABLE prefers it. */
static void buddy_gfp_zones(struct ktest *t)
{
	struct mm_snap s0;
	struct blk *v = malloc(sizeof(*v) * 200000);
	size_t n = 0;
	struct page *p;

	sim_boot_simple(57, BUDDY_RAM);
	mm_snap_take(&s0);
	if (!add_online(t, HOT_BASE, 4 * SECTION_SIZE, MHP_NONE))
		goto out;
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 4 * PAGES_PER_SECTION);
	/* Movable first, until ZONE_MOVABLE is empty. */
	while (zone_free_pages(ZONE_MOVABLE)) {
		unsigned int o = zone_can(ZONE_MOVABLE, 9) ? 9 : 0;

		p = alloc_pages(GFP_MOVABLE, o);
		KASSERT_TRUE(t, p);
		KEXPECT_EQ(t, page_zone(p), ZONE_MOVABLE);
		KEXPECT_GE(t, page_to_phys(p), HOT_BASE);
		v[n++] = (struct blk){ page_to_pfn(p), o };
	}
	/* Then from ZONE_NORMAL. */
	p = alloc_pages(GFP_MOVABLE, 0);
	KASSERT_TRUE(t, p);
	KEXPECT_EQ(t, page_zone(p), ZONE_NORMAL);
	v[n++] = (struct blk){ page_to_pfn(p), 0 };
	free_pages(pfn_to_page(v[0].pfn), v[0].order);	/* one movable block back */
	while ((p = alloc_pages(GFP_KERNEL, 0))) {
		if (page_zone(p) != ZONE_NORMAL || page_to_phys(p) >= HOT_BASE) {
			ktest_fail(t, __FILE__, __LINE__, "GFP_KERNEL got pfn 0x%lx (zone %d)",
				   page_to_pfn(p), page_zone(p));
			break;
		}
		v[n++] = (struct blk){ page_to_pfn(p), 0 };
	}
	KEXPECT_EQ(t, zone_free_pages(ZONE_NORMAL), 0);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 1UL << v[0].order);
	p = alloc_pages(GFP_MOVABLE, 0);
	KEXPECT_TRUE(t, p && page_zone(p) == ZONE_MOVABLE);
	if (p)
		free_page(p);
	v[0] = v[--n];
	KEXPECT_TRUE(t, check_buddy(t));
	for (size_t i = 0; i < n; i++)
		free_pages(pfn_to_page(v[i].pfn), v[i].order);
	offline_remove(t, HOT_BASE, 4 * SECTION_SIZE);
	EXPECT_SNAP_EQ(t, s0);
out:
	free(v);
}

/* Random alloc/free against a model: no page twice, zones and counts exact. */
static void buddy_random_vs_model(struct ktest *t)
{
	enum { STEPS = 20000, HOT = SECTION_SIZE };
	struct live {
		unsigned long pfn;
		unsigned int order;
		int zone;
	} *live = malloc(sizeof(*live) * STEPS);
	struct pfnset set;
	struct sim_rng rng;
	struct mm_snap s0;
	unsigned long want[MAX_NR_ZONES], nlive = 0, fails = 0, fallbacks = 0;

	sim_rng_init(&rng, "buddy_random_vs_model");
	sim_boot_simple(39, BUDDY_RAM / 2);	/* small enough to run out */
	mm_snap_take(&s0);
	pfnset_init(&set, PHYS_PFN(HOT_BASE + HOT));
	if (!add_online(t, HOT_BASE, HOT, sim_chance(&rng, 1, 2) ? MHP_MEMMAP_ON_MEMORY : 0))
		goto out;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		want[z] = zone_free_pages(z);
	for (int step = 0; step < STEPS && !t->failed; step++) {
		if (nlive && (sim_chance(&rng, 45, 100) || nlive == STEPS)) {
			unsigned long i = sim_rand_below(&rng, nlive);
			struct page *p = pfn_to_page(live[i].pfn);
			u64 *w = page_address(p);

			if (*w != (live[i].pfn ^ 0x5eed5eed5eedULL)) {
				ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx overwritten while allocated",
					   live[i].pfn);
				break;
			}
			free_pages(p, live[i].order);
			pfnset_release(&set, live[i].pfn, 1UL << live[i].order);
			want[live[i].zone] += 1UL << live[i].order;
			live[i] = live[--nlive];
		} else {
			unsigned int o = sim_chance(&rng, 1, 2) ? 0 :
				sim_chance(&rng, 1, 2) ? sim_rand_below(&rng, 4) :
				sim_rand_below(&rng, NR_ORDERS);
			bool movable = sim_chance(&rng, 1, 2), zero = sim_chance(&rng, 1, 8);
			int expect = movable && zone_can(ZONE_MOVABLE, o) ? ZONE_MOVABLE :
				zone_can(ZONE_NORMAL, o) ? ZONE_NORMAL : -1;
			struct page *p = alloc_pages((movable ? GFP_MOVABLE : GFP_KERNEL) |
						     (zero ? __GFP_ZERO : 0), o);
			unsigned long pfn;

			if (!p) {
				KEXPECT_EQ(t, expect, -1);
				fails++;
				continue;
			}
			pfn = page_to_pfn(p);
			if (expect < 0 || page_zone(p) != (enum zone_type)expect) {
				ktest_fail(t, __FILE__, __LINE__, "step %d: order %u from zone %d, want %d",
					   step, o, page_zone(p), expect);
				break;
			}
			fallbacks += movable && expect == ZONE_NORMAL;
			if (!pfnset_claim(&set, pfn, 1UL << o) || (pfn & ((1UL << o) - 1)) ||
			    PageBuddy(p) || p->refcount != 1) {
				ktest_fail(t, __FILE__, __LINE__,
					   "step %d: pfn 0x%lx order %u: overlaps a live block or bad state",
					   step, pfn, o);
				break;
			}
			if (zero) {
				const u64 *q = page_address(p);

				for (unsigned long k = 0; k < (PAGE_SIZE << o) / 8; k += 61)
					if (q[k]) {
						ktest_fail(t, __FILE__, __LINE__, "__GFP_ZERO page not zero");
						break;
					}
			}
			for (unsigned long k = 0; k < (1UL << o); k++)
				memset(page_address(p + k), 0xc3, 64);
			*(u64 *)page_address(p) = pfn ^ 0x5eed5eed5eedULL;
			want[expect] -= 1UL << o;
			live[nlive++] = (struct live){ pfn, o, expect };
		}
		for (int z = 0; z < MAX_NR_ZONES; z++)
			KEXPECT_EQ(t, zone_free_pages(z), want[z]);
		if (step % 1000 == 0)
			check_buddy(t);
	}
	printk("    # buddy_random_vs_model: %d steps, %lu live at the end, %lu failed as predicted, %lu movable fell back\n",
	       STEPS, nlive, fails, fallbacks);
	while (nlive) {
		nlive--;
		free_pages(pfn_to_page(live[nlive].pfn), live[nlive].order);
	}
	KEXPECT_TRUE(t, check_buddy(t));
	offline_remove(t, HOT_BASE, HOT);
	EXPECT_SNAP_EQ(t, s0);
out:
	free(live);
	free(set.bits);
}

static void buddy_bad_free_refused(struct ktest *t)
{
	struct page *p;
	unsigned long free, lines;

	sim_boot_simple(39, BUDDY_RAM);
	p = alloc_page(GFP_KERNEL);
	KASSERT_TRUE(t, p);
	free_page(p);
	free = nr_free_pages();
	lines = sim_log_lines;
	sim_log_mute++;
	free_page(p);					/* double free */
	free_page(pfn_to_page(PHYS_PFN(sim_kernel_pa)));	/* reserved */
	sim_log_mute--;
	KEXPECT_EQ(t, nr_free_pages(), free);
	KEXPECT_EQ(t, sim_log_lines - lines, 2);	/* refused loudly, each */
	KEXPECT_TRUE(t, check_buddy(t));
}

/* take_free_range(): all or nothing, naming the first page in use. */
static void buddy_take_free_range(struct ktest *t)
{
	unsigned long areas[MAX_NR_ZONES][NR_ORDERS], free0, managed0, busy = 0;
	unsigned long x = PHYS_PFN(0x80000000UL + 64 * SZ_1M);	/* a free 4 MiB block */
	bool taken[4096] = { 0 };
	struct sim_rng rng;

	sim_rng_init(&rng, "buddy_take_free_range");
	sim_boot_simple(48, BUDDY_RAM);
	for (unsigned long i = 0; i < 4096; i++)
		KASSERT_TRUE(t, page_is_buddy_free(x + i));
	save_areas(areas);
	free0 = nr_free_pages();
	managed0 = zones[ZONE_NORMAL].managed_pages;

	KEXPECT_EQ(t, take_free_range(x + 3, 997, &busy), 0);
	KEXPECT_EQ(t, free0 - nr_free_pages(), 997);
	KEXPECT_EQ(t, managed0 - zones[ZONE_NORMAL].managed_pages, 997);
	KEXPECT_TRUE(t, page_is_buddy_free(x + 2));
	KEXPECT_TRUE(t, !page_is_buddy_free(x + 3));
	KEXPECT_TRUE(t, !page_is_buddy_free(x + 999));
	KEXPECT_TRUE(t, page_is_buddy_free(x + 1000));
	KEXPECT_TRUE(t, check_buddy(t));
	{
		unsigned long a[MAX_NR_ZONES][NR_ORDERS], f = nr_free_pages();

		save_areas(a);
		KEXPECT_EQ(t, take_free_range(x, 1024, &busy), -EBUSY);
		KEXPECT_EQ(t, busy, x + 3);
		KEXPECT_EQ(t, nr_free_pages(), f);
		KEXPECT_TRUE(t, same_areas(a));
		KEXPECT_TRUE(t, page_is_buddy_free(x));
	}
	free_pfn_range_core(x + 3, x + 1000);
	KEXPECT_TRUE(t, same_areas(areas));
	KEXPECT_EQ(t, nr_free_pages(), free0);

	/* Random ranges over 16 MiB with random pages already taken. */
	for (int i = 0; i < 400 && !t->failed; i++) {
		unsigned long s = sim_rand_below(&rng, 4096), n = 1 + sim_rand_below(&rng, 4096 - s);
		unsigned long first = ~0UL, f = nr_free_pages(), cnt = 0;
		unsigned long a[MAX_NR_ZONES][NR_ORDERS];
		int ret;

		if (sim_chance(&rng, 1, 3))
			n = 1 + sim_rand_below(&rng, min(n, 64UL));
		for (unsigned long k = s; k < s + n; k++)
			if (taken[k] && first == ~0UL)
				first = x + k;
		save_areas(a);
		busy = 0;
		ret = take_free_range(x + s, n, &busy);
		if (first != ~0UL) {
			KEXPECT_EQ(t, ret, -EBUSY);
			KEXPECT_EQ(t, busy, first);
			KEXPECT_EQ(t, nr_free_pages(), f);
			KEXPECT_TRUE(t, same_areas(a));
			continue;
		}
		KEXPECT_EQ(t, ret, 0);
		for (unsigned long k = s; k < s + n; k++)
			taken[k] = true;
		KEXPECT_EQ(t, f - nr_free_pages(), n);
		for (unsigned long k = 0; k < 4096; k++)
			cnt += taken[k];
		KEXPECT_EQ(t, free0 - nr_free_pages(), cnt);
		if (sim_chance(&rng, 1, 4)) {	/* give some back */
			unsigned long b = sim_rand_below(&rng, 4096), e = b + sim_rand_below(&rng, 128);

			for (unsigned long k = b; k < min(e, 4096UL); k++)
				if (taken[k]) {
					free_pfn_range_core(x + k, x + k + 1);
					taken[k] = false;
				}
		}
		if (i % 50 == 0)
			check_buddy(t);
	}
	for (unsigned long k = 0; k < 4096; k++)
		if (taken[k])
			free_pfn_range_core(x + k, x + k + 1);
	KEXPECT_TRUE(t, same_areas(areas));
	KEXPECT_EQ(t, nr_free_pages(), free0);
	KEXPECT_EQ(t, zones[ZONE_NORMAL].managed_pages, managed0);
	KEXPECT_TRUE(t, check_buddy(t));
}

KTEST_SUITE(host_buddy, false,
	KTEST_CASE(buddy_all_orders),
	KTEST_CASE(buddy_exhaust_coalesce),
	KTEST_CASE(buddy_gfp_zones),
	KTEST_CASE(buddy_random_vs_model),
	KTEST_CASE(buddy_bad_free_refused),
	KTEST_CASE(buddy_take_free_range));

/* ------------------------------------------------------------------ */
/* sparse and the vmemmap                                              */
/* ------------------------------------------------------------------ */

static const struct sim_range a_ram[] = { { 0x80000000UL, SZ_1G } };

static const struct sim_range b_ram[] = {
	{ GB(64), 256 * SZ_1M },				/* far up: its own vmemmap table */
	{ 0x4000000UL, 300 * SZ_1M },				/* starts and ends mid-section */
	{ 0x80000000UL, SZ_1G + 5 * SZ_1M },
	{ GB(8) + 386 * SZ_1M, 130 * SZ_1M },
};
static const struct sim_range b_rsv[] = {
	{ 0x4000000UL + 100 * SZ_1M + 123 * SZ_4K, 5 * SZ_4K },	/* /memreserve/ */
	{ 0x70000000UL, SZ_4K },				/* outside RAM */
	{ GB(8) + 515 * SZ_1M, 4 * SZ_1M },			/* sticks out of RAM */
	{ 0x80000000UL + SZ_1G, 5 * SZ_1M },			/* a whole tail */
};
static const struct sim_range b_nomap[] = {
	{ 0x80000000UL + 512 * SZ_1M + 3 * SZ_4K, 16 * SZ_1M },
	{ GB(64) + 127 * SZ_1M, 2 * SZ_1M },			/* across a section */
};

static const struct sim_mem layouts[] = {
	{ .ram = a_ram, .nr_ram = 1 },
	{ .ram = b_ram, .nr_ram = ARRAY_SIZE(b_ram), .reserved = b_rsv,
	  .nr_reserved = ARRAY_SIZE(b_rsv), .nomap = b_nomap, .nr_nomap = ARRAY_SIZE(b_nomap) },
};

/* RAM minus no-map, merged: what the linear map must cover. */
static int usable_ranges(const struct sim_mem *m, struct sim_range *out)
{
	int n = 0;

	for (unsigned long pa = 0; ; ) {
		phys_addr_t next = ~0ULL;
		bool in = in_ranges(m->ram, m->nr_ram, pa) && !in_ranges(m->nomap, m->nr_nomap, pa);

		/* Next boundary of any range after pa. */
		for (int i = 0; i < m->nr_ram; i++) {
			if (m->ram[i].base > pa)
				next = min(next, m->ram[i].base);
			if (m->ram[i].base + m->ram[i].size > pa)
				next = min(next, m->ram[i].base + m->ram[i].size);
		}
		for (int i = 0; i < m->nr_nomap; i++) {
			if (m->nomap[i].base > pa)
				next = min(next, m->nomap[i].base);
			if (m->nomap[i].base + m->nomap[i].size > pa)
				next = min(next, m->nomap[i].base + m->nomap[i].size);
		}
		if (in) {
			if (n && out[n - 1].base + out[n - 1].size == pa)
				out[n - 1].size += next - pa;
			else
				out[n++] = (struct sim_range){ pa, next - pa };
		}
		if (next == ~0ULL)
			break;
		pa = next;
	}
	return n;
}

struct lm_check {
	struct ktest *t;
	const struct sim_range *u;
	int nu, idx;
	phys_addr_t done;	/* within u[idx] */
	bool bad;
};

static void lm_leaf(void *arg, unsigned long va, phys_addr_t pa, int level, unsigned long prot)
{
	struct lm_check *c = arg;
	const struct sim_range *r;
	phys_addr_t want;
	int lv = PTE_LEVEL;

	if (c->bad)
		return;
	if (c->idx >= c->nu)
		goto bad;
	r = &c->u[c->idx];
	want = r->base + c->done;
	if (!((want) & (PUD_SIZE - 1)) && r->size - c->done >= PUD_SIZE)
		lv = PUD_LEVEL;
	else if (!((want) & (PMD_SIZE - 1)) && r->size - c->done >= PMD_SIZE)
		lv = PMD_LEVEL;
	if (va != lm_va(want) || pa != want || level != lv || prot != PAGE_KERNEL.prot)
		goto bad;
	c->done += PT_LEVEL_SIZE(level);
	if (c->done == r->size) {
		c->idx++;
		c->done = 0;
	}
	return;
bad:
	c->bad = true;
	ktest_fail(c->t, __FILE__, __LINE__,
		   "linear map leaf va 0x%lx pa 0x%llx level %d prot 0x%lx unexpected", va,
		   (unsigned long long)pa, level, prot);
}

static void verify_boot(struct ktest *t, const struct sim_mem *m)
{
	struct sim_range u[32];
	int nu = usable_ranges(m, u);
	unsigned long present = 0, want_free = 0, usable_pages = 0;
	struct lm_check c = { .t = t, .u = u, .nu = nu };
	phys_addr_t top = 0;

	/* Memblock kept every reservation of the layout. */
	KEXPECT_TRUE(t, memblock_is_reserved(sim_kernel_pa));
	for (int i = 0; i < m->nr_reserved; i++)
		for (phys_addr_t a = m->reserved[i].base; a < m->reserved[i].base + m->reserved[i].size;
		     a += SZ_4K)
			KEXPECT_TRUE(t, memblock_is_reserved(a));

	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		phys_addr_t s = (phys_addr_t)nr << SECTION_SIZE_BITS;
		bool want = overlaps_ranges(m->ram, m->nr_ram, s, SECTION_SIZE);
		unsigned long va = vmemmap_va(s);
		int level = -1;

		KEXPECT_EQ(t, pfn_valid(PHYS_PFN(s)), want);
		KEXPECT_EQ(t, pfn_valid(PHYS_PFN(s + SECTION_SIZE) - 1), want);
		if (!want) {
			KEXPECT_EQ(t, mem_section[nr].flags, 0);
			continue;
		}
		present++;
		top = s + SECTION_SIZE;
		KEXPECT_EQ(t, mem_section[nr].flags, SECTION_PRESENT | SECTION_ONLINE | SECTION_EARLY);
		KEXPECT_NE(t, walk_pgd(swapper_pg_dir, va, &level, NULL), WALK_NONE);
		KEXPECT_EQ(t, level, PMD_LEVEL);
		KEXPECT_EQ(t, sim_check_mirror(va, va + SECTION_SIZE / 64), 0);
		/* Every page: free in the buddy exactly when usable and not reserved. */
		for (unsigned long pfn = PHYS_PFN(s); pfn < PHYS_PFN(s + SECTION_SIZE); pfn++) {
			phys_addr_t pa = PFN_PHYS(pfn);
			bool usable = in_ranges(u, nu, pa);
			bool free = usable && !memblock_is_reserved(pa);

			usable_pages += usable;
			want_free += free;
			if (page_is_buddy_free(pfn) != free ||
			    !!PageReserved(pfn_to_page(pfn)) == free) {
				ktest_fail(t, __FILE__, __LINE__,
					   "pfn 0x%lx: buddy %d reserved %d, want free %d", pfn,
					   page_is_buddy_free(pfn), !!PageReserved(pfn_to_page(pfn)), free);
				return;
			}
		}
	}
	KEXPECT_EQ(t, nr_present_sections(), present);
	KEXPECT_EQ(t, nr_free_pages(), want_free);
	KEXPECT_EQ(t, zones[ZONE_NORMAL].managed_pages, want_free);
	KEXPECT_EQ(t, zones[ZONE_NORMAL].present_pages, usable_pages);
	KEXPECT_EQ(t, vmemmap_stats.pmd_leaves, present);
	KEXPECT_EQ(t, vmemmap_stats.pte_leaves, 0);
	KEXPECT_EQ(t, nr_memmap_pages, present * SUBBLOCK_PAGES);
	KEXPECT_EQ(t, count_tables_at(vmemmap_va(0), vmemmap_va(top), PTE_LEVEL), 0);
	/* The vmemmap beyond the last section is not mapped, on the host either. */
	KEXPECT_TRUE(t, !sim_host_readable((void *)vmemmap_va(top)));
	/* The linear map: exactly the greedy leaves of each usable range. */
	sim_for_each_leaf(lm_va(0), lm_va(top), lm_leaf, &c);
	KEXPECT_EQ(t, c.idx, nu);
	EXPECT_PT_CONSISTENT(t);
	KEXPECT_TRUE(t, check_buddy(t));
}

static void sparse_boot_layouts(struct ktest *t)
{
	for (unsigned int l = 0; l < ARRAY_SIZE(layouts); l++)
		for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
			sim_boot(sim_modes[m], &layouts[l]);
			verify_boot(t, &layouts[l]);
			if (t->failed) {
				printk("    # layout %u, Sv%d\n", l, sim_modes[m]);
				return;
			}
		}
}

/* Random layouts: 1-4 nodes, holes, sizes in pages, reservations, no-map. */
static void sparse_random_layouts(struct ktest *t)
{
	struct sim_rng rng;

	sim_rng_init(&rng, "sparse_random_layouts");
	for (int it = 0; it < 6 && !t->failed; it++) {
		struct sim_range ram[4], rsv[4], nomap[2];
		struct sim_mem m = { .ram = ram };
		phys_addr_t pa = GB(1) + SZ_4K * sim_rand_below(&rng, GB(1) / SZ_4K);
		int nr = 1 + sim_rand_below(&rng, 4);

		for (int i = 0; i < nr; i++) {
			ram[i].base = ALIGN(pa, SZ_4K);
			ram[i].size = SZ_4K * (1024 + sim_rand_below(&rng, SZ_1G / SZ_4K));
			if (!i)
				ram[i].size = max(ram[i].size, 64 * SZ_1M);
			pa = ram[i].base + ram[i].size +
				(sim_chance(&rng, 1, 4) ? 0 : SZ_4K * sim_rand_below(&rng, GB(3) / SZ_4K));
		}
		m.nr_ram = nr;
		m.reserved = rsv;
		m.nr_reserved = sim_rand_below(&rng, 5);
		for (int i = 0; i < m.nr_reserved; i++) {
			const struct sim_range *r = &ram[sim_rand_below(&rng, nr)];

			rsv[i].base = r->base + SZ_4K * sim_rand_below(&rng, r->size / SZ_4K);
			rsv[i].size = SZ_4K * (1 + sim_rand_below(&rng, 4096));
		}
		m.nomap = nomap;
		m.nr_nomap = sim_rand_below(&rng, 3);
		for (int i = 0; i < m.nr_nomap; i++) {
			const struct sim_range *r = &ram[nr - 1];

			nomap[i].base = r->base + ALIGN_DOWN(r->size / 2, SZ_4K) + i * SZ_4K * 3000;
			nomap[i].size = SZ_4K * (1 + sim_rand_below(&rng, 2048));
		}
		/* The kernel sits at RAM start + 2 MiB: keep that clear of no-map. */
		sim_boot(sim_modes[it % 3], &m);
		verify_boot(t, &m);
		if (t->failed)
			printk("    # random layout %d (Sv%d): %d RAM ranges from 0x%llx\n", it,
			       sim_modes[it % 3], nr, (unsigned long long)ram[0].base);
	}
}

/*
 * Pages that get a pattern: every one would cost the host a page of RAM
 * and a fault each (the simulated memory is sparse), so one in 16, and a
 * different subset in every run.
 */
static bool pattern_page(unsigned long pfn)
{
	return (pfn ^ sim_seed) % 16 == 0;
}

/* Allocate every movable page, write and read patterns, free them. */
static void use_movable_memory(struct ktest *t, phys_addr_t base, phys_addr_t size)
{
	unsigned long cap = size / PAGE_SIZE, n = 0;
	struct blk *v = malloc(sizeof(*v) * cap);
	struct page *p;

	while (zone_free_pages(ZONE_MOVABLE)) {
		unsigned int o = zone_can(ZONE_MOVABLE, 9) ? 9 : 0;

		p = alloc_pages(GFP_MOVABLE, o);
		if (!p || page_zone(p) != ZONE_MOVABLE || page_to_phys(p) < base ||
		    page_to_phys(p) >= base + size || test_page_flag(p, PG_vmemmap)) {
			ktest_fail(t, __FILE__, __LINE__, "movable allocation outside the hot-added range");
			break;
		}
		v[n++] = (struct blk){ page_to_pfn(p), o };
		for (unsigned long i = 0; i < (1UL << o); i++) {
			u64 *w = page_address(p + i);

			if (!pattern_page(page_to_pfn(p) + i))
				continue;
			u64 pat = (page_to_pfn(p) + i) * 0x9e3779b97f4a7c15ull;

			if ((page_to_pfn(p) + i) % 97 == 0)
				for (unsigned long k = 0; k < PAGE_SIZE / 8; k++)
					w[k] = pat + k;
			w[0] = pat;
			w[PAGE_SIZE / 8 - 1] = ~pat;
		}
	}
	for (unsigned long j = 0; j < n && !t->failed; j++)
		for (unsigned long i = 0; i < (1UL << v[j].order); i++) {
			unsigned long pfn = v[j].pfn + i;
			u64 *w = page_address(pfn_to_page(pfn)), pat = pfn * 0x9e3779b97f4a7c15ull;
			bool ok;

			if (!pattern_page(pfn))
				continue;
			ok = w[0] == pat && w[PAGE_SIZE / 8 - 1] == ~pat;
			if (pfn % 97 == 0)
				for (unsigned long k = 1; k < PAGE_SIZE / 8 - 1; k++)
					ok &= w[k] == pat + k;
			if (!ok) {
				ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx: pattern lost", pfn);
				break;
			}
		}
	for (unsigned long j = 0; j < n; j++)
		free_pages(pfn_to_page(v[j].pfn), v[j].order);
	free(v);
}

/*
 * Every struct page of [base, base + size) is mapped (or not) in the
 * simulated tables, and the host agrees (every @stride bytes of memmap).
 */
static void check_memmap_stride(struct ktest *t, phys_addr_t base, phys_addr_t size,
				bool mapped, unsigned long stride)
{
	unsigned long s = vmemmap_va(base), e = vmemmap_va(base + size);

	KEXPECT_EQ(t, sim_check_mirror_stride(s, e, stride), 0);
	for (unsigned long va = s; va < e; va += PAGE_SIZE)
		if ((walk_pgd(swapper_pg_dir, va, NULL, NULL) != WALK_NONE) != mapped) {
			ktest_fail(t, __FILE__, __LINE__, "struct page at 0x%lx: mapped %d, want %d",
				   va, !mapped, mapped);
			return;
		}
}

static void check_memmap_mapped(struct ktest *t, phys_addr_t base, phys_addr_t size, bool mapped)
{
	check_memmap_stride(t, base, size, mapped, PAGE_SIZE);
}

struct vm_case {
	const char *name;
	unsigned int flags;
	bool basepages;
};

static const struct vm_case vm_cases[] = {
	{ "memmap from boot RAM, 2M leaves", MHP_NONE, false },
	{ "memmap from boot RAM, 4K fallback", MHP_NONE, true },
	{ "memmap on memory (altmap), 2M leaves", MHP_MEMMAP_ON_MEMORY, false },
	{ "memmap on memory (altmap), 4K fallback", MHP_MEMMAP_ON_MEMORY, true },
};

/*
 * 1 GiB hot-added at a 1 GiB-aligned address in every mode and every
 * memmap configuration: where the memmap comes from, which leaves map it,
 * what it costs, that the memory works, and that removal returns it all.
 */
static void hotadd_gib(struct ktest *t, int va_bits, const struct vm_case *c, phys_addr_t base)
{
	struct vmemmap_stats st0;
	struct mm_snap s0;
	unsigned long s, e, nsec = SZ_1G / SECTION_SIZE, pt_want;
	bool altmap = c->flags & MHP_MEMMAP_ON_MEMORY;

	sim_boot_simple(va_bits, SZ_1G);
	s = vmemmap_va(base);
	e = vmemmap_va(base + SZ_1G);
	mm_snap_take(&s0);
	st0 = vmemmap_stats;
	vmemmap_force_basepages = c->basepages;
	pt_want = sim_missing_tables(lm_va(base), PUD_LEVEL) +
		  sim_missing_tables(s, c->basepages ? PTE_LEVEL : PMD_LEVEL) +
		  (c->basepages ? nsec - 1 : 0);
	check_memmap_mapped(t, base, SZ_1G, false);
	KASSERT_EQ(t, add_memory(0, base, SZ_1G, c->flags), 0);
	vmemmap_force_basepages = false;

	KEXPECT_EQ(t, nr_present_sections(), s0.sections + nsec);
	KEXPECT_EQ(t, nr_pt_pages - s0.pt, pt_want);
	KEXPECT_EQ(t, count_tables_at(s, e, PTE_LEVEL), c->basepages ? nsec : 0);
	/* The kernel's own count: the path to one PMD table, plus the PTE tables. */
	KEXPECT_EQ(t, count_pt_pages(swapper_pg_dir, s, e),
		   kl.levels - 2 + (c->basepages ? nsec : 0));
	KEXPECT_EQ(t, vmemmap_stats.pmd_leaves - st0.pmd_leaves, c->basepages ? 0 : nsec);
	KEXPECT_EQ(t, vmemmap_stats.pte_leaves - st0.pte_leaves,
		   c->basepages ? nsec * SUBBLOCK_PAGES : 0);
	KEXPECT_EQ(t, vmemmap_stats.fallbacks - st0.fallbacks, c->basepages ? nsec : 0);
	if (altmap) {
		/* The altmap at every level, and not a byte of boot RAM for the memmap. */
		KEXPECT_EQ(t, vmemmap_stats.from_altmap - st0.from_altmap, nsec * SUBBLOCK_PAGES);
		KEXPECT_EQ(t, vmemmap_stats.from_memory, st0.from_memory);
		KEXPECT_EQ(t, vmemmap_stats.altmap_seen - st0.altmap_seen,
			   c->basepages ? nsec * SUBBLOCK_PAGES : nsec);
		KEXPECT_EQ(t, s0.zfree[ZONE_NORMAL] - zone_free_pages(ZONE_NORMAL),
			   nr_pt_pages - s0.pt);
		/* Near boot RAM the vmemmap tables exist: nothing at all. */
		if (!c->basepages && base == GB(4))
			KEXPECT_EQ(t, zone_free_pages(ZONE_NORMAL), s0.zfree[ZONE_NORMAL]);
		for (unsigned long i = 0; i < nsec; i++) {
			phys_addr_t sec = base + i * SECTION_SIZE;
			unsigned long va = vmemmap_va(sec);

			KEXPECT_EQ(t, __pfn_to_section(PHYS_PFN(sec))->nr_vmemmap, SUBBLOCK_PAGES);
			/* The section's memmap lives in its own first 2 MiB. */
			for (unsigned long o = 0; o < SZ_2M; o += c->basepages ? SZ_4K : SZ_2M) {
				phys_addr_t pa = walk_pgd(swapper_pg_dir, va + o, NULL, NULL);

				if (pa < sec || pa >= sec + SZ_2M) {
					ktest_fail(t, __FILE__, __LINE__,
						   "memmap of section 0x%llx at 0x%llx, not in its first 2 MiB",
						   (unsigned long long)sec, (unsigned long long)pa);
					break;
				}
			}
			KEXPECT_TRUE(t, test_page_flag(pfn_to_page(PHYS_PFN(sec)), PG_vmemmap));
			KEXPECT_TRUE(t, test_page_flag(pfn_to_page(PHYS_PFN(sec) + 511), PG_vmemmap));
			KEXPECT_TRUE(t, !test_page_flag(pfn_to_page(PHYS_PFN(sec) + 512), PG_vmemmap));
		}
	} else {
		KEXPECT_EQ(t, vmemmap_stats.from_altmap, st0.from_altmap);
		KEXPECT_EQ(t, vmemmap_stats.from_memory - st0.from_memory, nsec * SUBBLOCK_PAGES);
		KEXPECT_EQ(t, s0.zfree[ZONE_NORMAL] - zone_free_pages(ZONE_NORMAL),
			   nr_pt_pages - s0.pt + nsec * SUBBLOCK_PAGES);
	}
	EXPECT_PT_CONSISTENT(t);
	check_memmap_mapped(t, base, SZ_1G, true);

	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		KEXPECT_EQ(t, online_memory_block(b), 0);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE),
		   nsec * (PAGES_PER_SECTION - (altmap ? SUBBLOCK_PAGES : 0)));
	use_movable_memory(t, base, SZ_1G);
	KEXPECT_TRUE(t, check_buddy(t));
	offline_remove(t, base, SZ_1G);
	EXPECT_SNAP_EQ(t, s0);
	check_memmap_mapped(t, base, SZ_1G, false);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(base), NULL, NULL), WALK_NONE);
	if (t->failed)
		printk("    # Sv%d, %s, at 0x%llx\n", va_bits, c->name, (unsigned long long)base);
}

static void sparse_hotadd_vmemmap(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++)
		for (unsigned int c = 0; c < ARRAY_SIZE(vm_cases) && !t->failed; c++)
			hotadd_gib(t, sim_modes[m], &vm_cases[c], GB(4));
}

/*
 * Seed 001: hot-added memory far from boot RAM needs vmemmap tables of its
 * own; removing it frees them through pt_free_page() like any table.
 */
static void sparse_vmemmap_tables_freed(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++)
		for (unsigned int c = 0; c < ARRAY_SIZE(vm_cases) && !t->failed; c++)
			hotadd_gib(t, sim_modes[m], &vm_cases[c], GB(96));
}

/*
 * A memmap range that already has a 4 KiB page mapped (first page or
 * another one) falls back to 4 KiB pages and keeps that page;
 * vmemmap_free() then takes everything back.
 */
static void sparse_populate_partial(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		for (unsigned long first = 0; first < 2; first++) {
			phys_addr_t base = GB(6);
			unsigned long s, e, pre;
			struct mm_snap s0;
			struct vmemmap_stats st0;
			phys_addr_t kept;

			sim_boot_simple(sim_modes[m], SZ_1G);
			s = vmemmap_va(base);
			e = vmemmap_va(base + SECTION_SIZE);
			pre = s + (first ? 0 : 5 * PAGE_SIZE);
			mm_snap_take(&s0);
			KASSERT_EQ(t, vmemmap_populate_basepages(pre, pre + PAGE_SIZE, 0, NULL), 0);
			arch_sync_kernel_mappings(pre, pre + PAGE_SIZE);
			kept = walk_pgd(swapper_pg_dir, pre, NULL, NULL);
			*(volatile u64 *)pre = 0x1234;
			st0 = vmemmap_stats;
			KASSERT_EQ(t, vmemmap_populate(s, e, 0, NULL), 0);
			KEXPECT_EQ(t, vmemmap_stats.pmd_leaves, st0.pmd_leaves);
			KEXPECT_EQ(t, vmemmap_stats.fallbacks - st0.fallbacks, 1);
			KEXPECT_EQ(t, vmemmap_stats.pte_leaves - st0.pte_leaves, SUBBLOCK_PAGES - 1);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, pre, NULL, NULL), kept);
			KEXPECT_EQ(t, *(volatile u64 *)pre, 0x1234);
			/* A 2 MiB block was tried and given back, unless the first page was there. */
			KEXPECT_EQ(t, vmemmap_stats.from_memory - st0.from_memory,
				   SUBBLOCK_PAGES - 1 + (first ? 0 : SUBBLOCK_PAGES));
			check_memmap_mapped(t, base, SECTION_SIZE, true);
			EXPECT_PT_CONSISTENT(t);
			vmemmap_free(s, e, NULL);
			check_memmap_mapped(t, base, SECTION_SIZE, false);
			EXPECT_SNAP_EQ(t, s0);
		}
	}
}

/* -ENOMEM at any allocation of vmemmap_populate(): nothing left behind. */
static void sparse_populate_enomem(struct ktest *t)
{
	unsigned long tried = 0, failed = 0;

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		for (int basepages = 0; basepages < 2; basepages++) {
			phys_addr_t base = GB(100);
			unsigned long s, e, total, c0;
			struct mm_snap s0;

			sim_boot_simple(sim_modes[m], SZ_1G);
			s = vmemmap_va(base);
			e = vmemmap_va(base + 2 * SECTION_SIZE);
			mm_snap_take(&s0);
			/* How many allocations an undisturbed run makes. */
			c0 = nr_alloc_calls;
			vmemmap_force_basepages = basepages;
			KASSERT_EQ(t, vmemmap_populate(s, e, 0, NULL), 0);
			vmemmap_force_basepages = false;
			total = nr_alloc_calls - c0;
			vmemmap_free(s, e, NULL);
			EXPECT_SNAP_EQ(t, s0);
			for (unsigned long n = 1; n <= total + 1; n += n < 64 ? 1 : 1 + n / 6) {
				int ret;

				vmemmap_force_basepages = basepages;
				fail_alloc_nth = n;
				ret = vmemmap_populate(s, e, 0, NULL);
				fail_alloc_nth = 0;
				vmemmap_force_basepages = false;
				tried++;
				if (ret) {
					failed++;
					KEXPECT_EQ(t, ret, -ENOMEM);
				} else {
					/* A 2 MiB block that failed falls back to 4 KiB pages. */
					check_memmap_stride(t, base, 2 * SECTION_SIZE, true, 13 * PAGE_SIZE);
					EXPECT_PT_CONSISTENT(t);
					vmemmap_free(s, e, NULL);
				}
				EXPECT_SNAP_EQ(t, s0);
				check_memmap_stride(t, base, 2 * SECTION_SIZE, false, 13 * PAGE_SIZE);
				if (t->failed) {
					printk("    # Sv%d basepages %d: failing allocation %lu of %lu\n",
					       sim_modes[m], basepages, n, total);
					return;
				}
			}
		}
	}
	printk("    # sparse_populate_enomem: %lu injections, %lu failed cleanly, the rest fell back\n",
	       tried, failed);
}

/*
 * Boot memory runs out in the middle of a section's memmap (a DT whose
 * reservations leave 2 MiB free): the 2 MiB block cannot be had, the 4 KiB
 * fallback runs dry, and the unwind must give every page and table back to
 * memblock. No struct page exists yet to read (it once went through
 * pt_free_page(), which read one: a fault, then the wrong panic).
 */
static void sparse_boot_memmap_enomem(struct ktest *t)
{
	static const struct sim_range ram = { 0x80000000UL, 64 * SZ_1M };
	static const struct sim_range rsv = { 0x80400000UL, 60 * SZ_1M };
	const struct sim_mem m = { .ram = &ram, .nr_ram = 1, .reserved = &rsv, .nr_reserved = 1 };
	unsigned long va, pt0;
	phys_addr_t rsv0;
	int level;

	sim_boot_memblock(48, &m);
	va = (unsigned long)pfn_to_page(PHYS_PFN(ram.base));
	rsv0 = memblock_reserved_size();
	pt0 = nr_pt_pages;
	KEXPECT_EQ(t, vmemmap_populate(va, va + SUBBLOCK_PAGES * PAGE_SIZE, 0, NULL), -ENOMEM);
	KEXPECT_GT(t, vmemmap_stats.pte_leaves, 0);	/* the fallback did map some */
	KEXPECT_EQ(t, memblock_reserved_size(), rsv0);
	KEXPECT_EQ(t, nr_pt_pages, pt0);
	KEXPECT_EQ(t, nr_memmap_pages, 0);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va, &level, NULL), WALK_NONE);
	KEXPECT_TRUE(t, !sim_host_readable((void *)va));
}

KTEST_SUITE(host_sparse, false,
	KTEST_CASE(sparse_boot_layouts),
	KTEST_CASE(sparse_random_layouts),
	KTEST_CASE(sparse_hotadd_vmemmap),
	KTEST_CASE(sparse_vmemmap_tables_freed),
	KTEST_CASE(sparse_populate_partial),
	KTEST_CASE(sparse_populate_enomem),
	KTEST_CASE(sparse_boot_memmap_enomem));
