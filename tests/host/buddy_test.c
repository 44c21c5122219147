// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the buddy allocator, each case on a freshly booted simulated
 * machine (sim.c). Expectations come from the boot layout or from small
 * reference models, never from the code under test.
 */
#include <stdlib.h>
#include "hosttest.h"

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

enum { BUDDY_STEPS = 20000, BUDDY_HOT = SECTION_SIZE };

/* One random run: the blocks handed out and the free pages each zone must have. */
struct buddy_run {
	struct ktest *t;
	struct sim_rng rng;
	struct live {
		unsigned long pfn;
		unsigned int order;
		int zone;
	} *live;
	unsigned long nlive, fails, fallbacks;
	unsigned long want[MAX_NR_ZONES];
	struct pfnset set;	/* every pfn of a live block */
	int step;
};

/* Free a random live block, its mark checked first; false if it was overwritten. */
static bool buddy_step_free(struct buddy_run *r)
{
	unsigned long i = sim_rand_below(&r->rng, r->nlive);
	struct page *p = pfn_to_page(r->live[i].pfn);
	u64 *w = page_address(p);

	if (*w != (r->live[i].pfn ^ 0x5eed5eed5eedULL)) {
		ktest_fail(r->t, __FILE__, __LINE__, "pfn 0x%lx overwritten while allocated",
			   r->live[i].pfn);
		return false;
	}
	free_pages(p, r->live[i].order);
	pfnset_release(&r->set, r->live[i].pfn, 1UL << r->live[i].order);
	r->want[r->live[i].zone] += 1UL << r->live[i].order;
	r->live[i] = r->live[--r->nlive];
	return true;
}

/* A fresh block: from the zone predicted, aligned, overlapping no live one. */
static bool buddy_block_ok(struct buddy_run *r, struct page *p, unsigned int o, int expect)
{
	unsigned long pfn = page_to_pfn(p);

	if (expect < 0 || page_zone(p) != (enum zone_type)expect) {
		ktest_fail(r->t, __FILE__, __LINE__, "step %d: order %u from zone %d, want %d",
			   r->step, o, page_zone(p), expect);
		return false;
	}
	if (!pfnset_claim(&r->set, pfn, 1UL << o) || (pfn & ((1UL << o) - 1)) ||
	    PageBuddy(p) || p->refcount != 1) {
		ktest_fail(r->t, __FILE__, __LINE__,
			   "step %d: pfn 0x%lx order %u: overlaps a live block or bad state",
			   r->step, pfn, o);
		return false;
	}
	return true;
}

static void buddy_expect_zeroed(struct ktest *t, struct page *p, unsigned int o)
{
	const u64 *q = page_address(p);

	for (unsigned long k = 0; k < (PAGE_SIZE << o) / 8; k += 61)
		if (q[k]) {
			ktest_fail(t, __FILE__, __LINE__, "__GFP_ZERO page not zero");
			break;
		}
}

/*
 * Allocate a block of random order, zone and flags, and mark it. Returns 1
 * when it came as the model predicted, 0 when it failed as predicted, -1
 * when a check failed.
 */
static int buddy_step_alloc(struct buddy_run *r)
{
	unsigned int o = sim_chance(&r->rng, 1, 2) ? 0 :
		sim_chance(&r->rng, 1, 2) ? sim_rand_below(&r->rng, 4) :
		sim_rand_below(&r->rng, NR_ORDERS);
	bool movable = sim_chance(&r->rng, 1, 2), zero = sim_chance(&r->rng, 1, 8);
	int expect = movable && zone_can(ZONE_MOVABLE, o) ? ZONE_MOVABLE :
		zone_can(ZONE_NORMAL, o) ? ZONE_NORMAL : -1;
	struct page *p = alloc_pages((movable ? GFP_MOVABLE : GFP_KERNEL) |
				     (zero ? __GFP_ZERO : 0), o);

	if (!p) {
		KEXPECT_EQ(r->t, expect, -1);
		r->fails++;
		return 0;
	}
	if (!buddy_block_ok(r, p, o, expect))
		return -1;
	r->fallbacks += movable && expect == ZONE_NORMAL;
	if (zero)
		buddy_expect_zeroed(r->t, p, o);
	for (unsigned long k = 0; k < (1UL << o); k++)
		memset(page_address(p + k), 0xc3, 64);
	*(u64 *)page_address(p) = page_to_pfn(p) ^ 0x5eed5eed5eedULL;
	r->want[expect] -= 1UL << o;
	r->live[r->nlive++] = (struct live){ page_to_pfn(p), o, expect };
	return 1;
}

/* After every step: each zone's free pages as the model says; the lists now and then. */
static void buddy_check(struct buddy_run *r)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		KEXPECT_EQ(r->t, zone_free_pages(z), r->want[z]);
	if (r->step % 1000 == 0)
		check_buddy(r->t);
}

static void buddy_run_steps(struct buddy_run *r)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		r->want[z] = zone_free_pages(z);
	for (r->step = 0; r->step < BUDDY_STEPS && !r->t->failed; r->step++) {
		int done;

		if (r->nlive && (sim_chance(&r->rng, 45, 100) || r->nlive == BUDDY_STEPS))
			done = buddy_step_free(r) ? 1 : -1;
		else
			done = buddy_step_alloc(r);
		if (done < 0)
			break;
		if (done)
			buddy_check(r);
	}
	printk("    # buddy_random_vs_model: %d steps, %lu live at the end, %lu failed as predicted, %lu movable fell back\n",
	       BUDDY_STEPS, r->nlive, r->fails, r->fallbacks);
}

/* Everything freed and the hot-added memory removed: back to boot's state. */
static void buddy_teardown(struct buddy_run *r, const struct mm_snap *s0)
{
	struct ktest *t = r->t;

	while (r->nlive) {
		r->nlive--;
		free_pages(pfn_to_page(r->live[r->nlive].pfn), r->live[r->nlive].order);
	}
	KEXPECT_TRUE(t, check_buddy(t));
	offline_remove(t, HOT_BASE, BUDDY_HOT);
	EXPECT_SNAP_EQ(t, *s0);
}

/* Random alloc/free against a model: no page twice, zones and counts exact. */
static void buddy_random_vs_model(struct ktest *t)
{
	struct buddy_run r = { .t = t };
	struct mm_snap s0;

	r.live = malloc(sizeof(*r.live) * BUDDY_STEPS);
	sim_rng_init(&r.rng, "buddy_random_vs_model");
	sim_boot_simple(39, BUDDY_RAM / 2);	/* small enough to run out */
	mm_snap_take(&s0);
	pfnset_init(&r.set, PHYS_PFN(HOT_BASE + BUDDY_HOT));
	if (add_online(t, HOT_BASE, BUDDY_HOT,
		       sim_chance(&r.rng, 1, 2) ? MHP_MEMMAP_ON_MEMORY : 0)) {
		buddy_run_steps(&r);
		buddy_teardown(&r, &s0);
	}
	free(r.live);
	free(r.set.bits);
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
