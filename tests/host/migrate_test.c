// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of page migration and offlining memory in use: the page
 * store's data spread over hot-added sub-blocks, random offline/online of
 * those sub-blocks (migrating what lives there), fault injection at the
 * allocations migration makes, and pinned (unmovable) pages. After every
 * step a model says what each key holds, how many pages the store has and
 * how many pages are free; the kernel must agree exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hosttest.h"
#include <rvmm/migrate.h>
#include <rvmm/page_store.h>

#define HOT_BASE	GB(8)
#define NR_SB		16		/* sub-blocks of the hot-added section used */
#define MAX_KEYS	12000
#define MAX_PINS	64

static const struct sim_range small_ram = { 0x80000000UL, MB(64) };

struct model {
	u64 seed[MAX_KEYS];		/* 0: key empty */
	unsigned long nr_keys;
	bool online[NR_SB];
	struct page *pin[MAX_PINS];
	int nr_pins;
	unsigned long free0;		/* free pages with every sub-block offline */
};

static unsigned long sb_pfn(int sb)
{
	/* Sub-block 0 of the section holds its memmap (memmap on memory). */
	return PHYS_PFN(HOT_BASE) + (sb + 1) * SUBBLOCK_PAGES;
}

static int sb_of(unsigned long pfn)
{
	long d = (long)pfn - (long)sb_pfn(0);

	return d >= 0 && d < NR_SB * (long)SUBBLOCK_PAGES ? (int)(d / (long)SUBBLOCK_PAGES) : -1;
}

static unsigned long model_free(const struct model *m)
{
	unsigned long n = m->free0;

	for (int i = 0; i < NR_SB; i++)
		n += m->online[i] ? SUBBLOCK_PAGES : 0;
	return n - m->nr_keys - m->nr_pins;
}

static bool log_names_pfn(unsigned long pfn)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "pfn 0x%lx ", pfn);
	return strstr(sim_last_log(), hex) != NULL;
}

static int pfn_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Every key reads back its data; every page once, owned, in online memory. */
static bool check_store(struct ktest *t, struct model *m)
{
	static unsigned long pfns[MAX_KEYS];
	static u64 want[PAGE_SIZE / 8], got[PAGE_SIZE / 8];
	unsigned long n = 0;

	for (unsigned long k = 0; k < MAX_KEYS; k++) {
		struct page *p = ps_page(&page_store, k);
		int ret = ps_get(&page_store, k, got);

		if (!m->seed[k]) {
			if (ret != -ENOENT || p) {
				ktest_fail(t, __FILE__, __LINE__, "key %lu should be empty: %d", k, ret);
				return false;
			}
			continue;
		}
		ps_pattern(want, m->seed[k], k);
		if (ret || memcmp(want, got, PAGE_SIZE)) {
			ktest_fail(t, __FILE__, __LINE__, "key %lu: ps_get %d, data %s", k, ret,
				   ret ? "-" : "differs");
			return false;
		}
		if (!PageMovable(p) || p->mapping != &page_store || p->private != k ||
		    p->refcount != 1 || test_page_flag(p, PG_isolated) ||
		    (sb_of(page_to_pfn(p)) >= 0 && !m->online[sb_of(page_to_pfn(p))])) {
			ktest_fail(t, __FILE__, __LINE__, "key %lu: page pfn 0x%lx flags 0x%lx bad",
				   k, page_to_pfn(p), p->flags);
			return false;
		}
		pfns[n++] = page_to_pfn(p);
	}
	qsort(pfns, n, sizeof(pfns[0]), pfn_cmp);
	for (unsigned long i = 1; i < n; i++)
		if (pfns[i] == pfns[i - 1]) {
			ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx holds two keys", pfns[i]);
			return false;
		}
	KEXPECT_EQ(t, n, m->nr_keys);
	KEXPECT_EQ(t, page_store.nr_pages, m->nr_keys);
	KEXPECT_EQ(t, nr_free_pages(), model_free(m));
	return !t->failed && check_buddy(t);
}

/* A small machine, one hot-added section with its memmap on itself. */
static void boot_store(struct ktest *t, int va_bits, struct model *m)
{
	const struct sim_mem sm = { .ram = &small_ram, .nr_ram = 1 };

	memset(m, 0, sizeof(*m));
	sim_boot(va_bits, &sm);
	KASSERT_EQ(t, page_store_init(&page_store, MAX_KEYS), 0);
	KASSERT_EQ(t, add_memory(0, HOT_BASE, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
	m->free0 = nr_free_pages();
}

static int set_online(struct model *m, int sb, bool on)
{
	int ret;

	mem_hotplug_begin();
	ret = on ? online_pages(sb_pfn(sb), SUBBLOCK_PAGES, ZONE_MOVABLE) :
		   offline_pages(sb_pfn(sb), SUBBLOCK_PAGES);
	mem_hotplug_done();
	if (!ret)
		m->online[sb] = on;
	return ret;
}

static void fill_keys(struct model *m, unsigned long from, unsigned long n, u64 seed)
{
	for (unsigned long k = from; k < from + n && k < MAX_KEYS; k++) {
		if (ps_fill(&page_store, k, seed + k))
			return;
		m->nr_keys += !m->seed[k];
		m->seed[k] = seed + k;
	}
}

static void drop_all(struct model *m)
{
	for (unsigned long k = 0; k < MAX_KEYS; k++)
		if (m->seed[k]) {
			ps_drop(&page_store, k);
			m->seed[k] = 0;
		}
	m->nr_keys = 0;
}

/* ------------------------------------------------------------------ */

/* One page: new place, same data, the old page free again. */
static void mig_one_page(struct ktest *t)
{
	static struct model m;
	struct page *src, *dst;
	unsigned long free;

	boot_store(t, 48, &m);
	KASSERT_EQ(t, set_online(&m, 0, true), 0);
	fill_keys(&m, 7, 1, 0x1234);
	src = ps_page(&page_store, 7);
	KASSERT_TRUE(t, src && page_zone(src) == ZONE_MOVABLE);
	free = nr_free_pages();
	KEXPECT_EQ(t, migrate_page(src), 0);
	dst = ps_page(&page_store, 7);
	KEXPECT_TRUE(t, dst && dst != src);
	KEXPECT_TRUE(t, page_is_buddy_free(page_to_pfn(src)));
	KEXPECT_EQ(t, nr_free_pages(), free);
	KEXPECT_TRUE(t, check_store(t, &m));
	/* Not movable: an anonymous page; a free page. */
	src = alloc_page(GFP_MOVABLE);
	KEXPECT_EQ(t, migrate_page(src), -EBUSY);
	free_page(src);
	/* Dropped: the slot is empty, the page free. */
	KEXPECT_EQ(t, ps_drop(&page_store, 7), 0);
	m.seed[7] = 0;
	m.nr_keys--;
	KEXPECT_TRUE(t, check_store(t, &m));
	page_store_destroy(&page_store);
}

/*
 * A sub-block full of store pages, with the allocation for the Nth page
 * failing, for every N: -ENOMEM naming a pfn, the sub-block still online,
 * every key intact, the free count the model's. N past the end succeeds.
 */
static void mig_fault_injection(struct ktest *t)
{
	static struct model m;
	int failures = 0;

	boot_store(t, 39, &m);
	KASSERT_EQ(t, set_online(&m, 3, true), 0);
	for (unsigned long n = 1; n <= SUBBLOCK_PAGES + 1 && !t->failed; n++) {
		unsigned long start;
		int ret;

		fill_keys(&m, 0, SUBBLOCK_PAGES, n << 32);
		start = nr_alloc_calls;
		KASSERT_TRUE(t, check_store(t, &m));
		KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 0);
		fail_alloc_nth = n;
		sim_log_mute++;
		ret = set_online(&m, 3, false);
		sim_log_mute--;
		if (ret) {
			KEXPECT_EQ(t, ret, -ENOMEM);
			KEXPECT_EQ(t, nr_alloc_calls - start, n);
			KEXPECT_TRUE(t, strstr(sim_last_log(), "no free memory elsewhere"));
			failures++;
		} else {
			KEXPECT_EQ(t, n, SUBBLOCK_PAGES + 1);
		}
		fail_alloc_nth = 0;
		KEXPECT_TRUE(t, check_store(t, &m));
		drop_all(&m);
		if (!ret)
			KASSERT_EQ(t, set_online(&m, 3, true), 0);
	}
	KEXPECT_EQ(t, failures, SUBBLOCK_PAGES);
	page_store_destroy(&page_store);
}

/* No room elsewhere: the boot RAM is full too. Nothing moves for good. */
static void mig_no_room(struct ktest *t)
{
	static struct model m;
	static struct page *fill[16384];
	unsigned long nf = 0;
	int ret;

	boot_store(t, 57, &m);
	KASSERT_EQ(t, set_online(&m, 0, true), 0);
	fill_keys(&m, 0, SUBBLOCK_PAGES, 77);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 0);
	while (nr_free_pages() > NORMAL_RESERVE_PAGES + 100 && nf < ARRAY_SIZE(fill))
		fill[nf++] = alloc_page(GFP_KERNEL);
	m.free0 -= nf;
	sim_log_mute++;
	ret = set_online(&m, 0, false);
	sim_log_mute--;
	KEXPECT_EQ(t, ret, -ENOMEM);
	KEXPECT_TRUE(t, strstr(sim_last_log(), "no free memory elsewhere"));
	KEXPECT_TRUE(t, check_store(t, &m));
	/* With room made, it goes. */
	for (unsigned long i = 0; i < SUBBLOCK_PAGES; i++)
		free_page(fill[--nf]);
	m.free0 += SUBBLOCK_PAGES;
	KEXPECT_EQ(t, set_online(&m, 0, false), 0);
	KEXPECT_TRUE(t, check_store(t, &m));
	while (nf)
		free_page(fill[--nf]);
	drop_all(&m);
	page_store_destroy(&page_store);
}

/*
 * Hot-added memory onlined into ZONE_NORMAL (rvmm.online=normal) takes
 * unmovable allocations: offlining it is refused, naming the page, and
 * nothing changes (the store's pages moved meanwhile stay valid). Once
 * that page is freed, the sub-block goes, its store pages moved.
 */
static void mig_online_normal(struct ktest *t)
{
	static struct model m;
	static struct page *fill[16384];
	unsigned long nf = 0, free, pfn;
	struct page *pin = NULL;
	int ret;

	boot_store(t, 48, &m);
	mem_hotplug_begin();
	KASSERT_EQ(t, online_pages(sb_pfn(2), SUBBLOCK_PAGES, ZONE_NORMAL), 0);
	mem_hotplug_done();
	m.online[2] = true;
	/* Unmovable pages until one lands in the sub-block; keep that one. */
	while (!pin && nf < ARRAY_SIZE(fill)) {
		struct page *p = alloc_page(GFP_KERNEL);

		KASSERT_TRUE(t, p);
		if (sb_of(page_to_pfn(p)) == 2)
			pin = p;
		else
			fill[nf++] = p;
	}
	KASSERT_TRUE(t, pin);
	while (nf)
		free_page(fill[--nf]);
	m.free0--;
	fill_keys(&m, 0, 300, 99);	/* movable: some land beside the pin */
	free = nr_free_pages();
	pfn = page_to_pfn(pin);
	sim_log_mute++;
	ret = set_online(&m, 2, false);
	sim_log_mute--;
	KEXPECT_EQ(t, ret, -EBUSY);
	KEXPECT_TRUE(t, strstr(sim_last_log(), "is in use and cannot be moved"));
	KEXPECT_TRUE(t, log_names_pfn(pfn));
	KEXPECT_EQ(t, nr_free_pages(), free);
	KEXPECT_TRUE(t, check_store(t, &m));
	free_page(pin);
	m.free0++;
	KEXPECT_EQ(t, set_online(&m, 2, false), 0);
	KEXPECT_TRUE(t, check_store(t, &m));
	drop_all(&m);
	page_store_destroy(&page_store);
}

/* Random steps against the model; returns the number of offlines that moved pages. */
static void mig_step_drop(struct ktest *t, struct sim_rng *r, struct model *m)
{
	unsigned long k0 = sim_rand_below(r, MAX_KEYS), n = sim_rand_below(r, 800);

	for (unsigned long k = k0; k < k0 + n && k < MAX_KEYS; k++)
		if (m->seed[k]) {
			KEXPECT_EQ(t, ps_drop(&page_store, k), 0);
			m->seed[k] = 0;
			m->nr_keys--;
		}
}

/* Store pages and pinned pages in sub-block @sb; @busy, the lowest pinned pfn. */
static void mig_count_sb(const struct model *m, int sb, unsigned long *used,
			 unsigned long *pins, unsigned long *busy)
{
	for (unsigned long k = 0; k < MAX_KEYS; k++)
		*used += m->seed[k] && sb_of(page_to_pfn(ps_page(&page_store, k))) == sb;
	for (int i = 0; i < m->nr_pins; i++)
		if (sb_of(page_to_pfn(m->pin[i])) == sb) {
			*busy = *busy ? min(*busy, page_to_pfn(m->pin[i])) : page_to_pfn(m->pin[i]);
			(*pins)++;
		}
}

/*
 * Offline an online sub-block, maybe with an allocation failing: it must
 * fail when the data has no room or an allocation failed, refuse naming the
 * lowest pin when one is there, and succeed otherwise.
 */
static void mig_step_offline(struct ktest *t, struct sim_rng *r, struct model *m, int sb,
			     unsigned long *stats)
{
	unsigned long used = 0, pins = 0, moved = nr_migrated_pages, busy = 0, room;
	bool inject = sim_chance(r, 1, 4);
	int ret;

	if (!m->online[sb])
		return;
	mig_count_sb(m, sb, &used, &pins, &busy);
	/* Room: free outside the sub-block, less what ZONE_NORMAL keeps back. */
	room = zone_free_pages(ZONE_MOVABLE) - (SUBBLOCK_PAGES - used - pins) +
	       (zone_free_pages(ZONE_NORMAL) > NORMAL_RESERVE_PAGES ?
		zone_free_pages(ZONE_NORMAL) - NORMAL_RESERVE_PAGES : 0);
	if (inject)
		fail_alloc_nth = 1 + sim_rand_below(r, used + 2);
	sim_log_mute++;
	ret = set_online(m, sb, false);
	sim_log_mute--;
	inject = inject && !fail_alloc_nth;	/* it did fail an allocation */
	fail_alloc_nth = 0;
	if (inject || used > room) {
		KEXPECT_NE(t, ret, 0);
	} else if (pins) {
		KEXPECT_EQ(t, ret, -EBUSY);
		KEXPECT_TRUE(t, strstr(sim_last_log(), "cannot be moved"));
		KEXPECT_TRUE(t, log_names_pfn(busy));
	} else {
		KEXPECT_EQ(t, ret, 0);
	}
	stats[0] += !ret && used;
	stats[1] += ret != 0;
	stats[2] += nr_migrated_pages - moved;
}

/* Pin a movable page (up to MAX_PINS), or unpin a random one. */
static void mig_step_pin(struct sim_rng *r, struct model *m, bool pin)
{
	if (pin && m->nr_pins < MAX_PINS) {
		struct page *p = alloc_page(GFP_MOVABLE);

		if (p)
			m->pin[m->nr_pins++] = p;
	} else if (!pin && m->nr_pins) {
		int i = sim_rand_below(r, m->nr_pins);

		free_page(m->pin[i]);
		m->pin[i] = m->pin[--m->nr_pins];
	}
}

/* One random operation: store, drop, online, offline, pin or unpin. */
static void mig_random_step(struct ktest *t, struct sim_rng *r, struct model *m,
			    unsigned long *stats)
{
	unsigned int op = sim_rand_below(r, 100);
	int sb = sim_rand_below(r, NR_SB);

	if (op < 30) {
		fill_keys(m, sim_rand_below(r, MAX_KEYS), 1 + sim_rand_below(r, 600),
			  sim_rand(r) | 1);
	} else if (op < 40) {
		mig_step_drop(t, r, m);
	} else if (op < 55) {
		if (!m->online[sb])
			KEXPECT_EQ(t, set_online(m, sb, true), 0);
	} else if (op < 85) {
		mig_step_offline(t, r, m, sb, stats);
	} else {
		mig_step_pin(r, m, op < 93);
	}
}

static void mig_random_one(struct ktest *t, int va_bits, int steps)
{
	static struct model m;
	struct sim_rng r;
	unsigned long stats[3] = { 0 };
	char name[32];

	snprintf(name, sizeof(name), "mig_random_sv%d", va_bits);
	sim_rng_init(&r, name);
	boot_store(t, va_bits, &m);
	for (int sb = 0; sb < NR_SB; sb += 2)
		KASSERT_EQ(t, set_online(&m, sb, true), 0);
	for (int s = 0; s < steps && !t->failed; s++) {
		mig_random_step(t, &r, &m, stats);
		if (!check_store(t, &m))
			printk("    # %s: step %d\n", name, s);
	}
	printk("    # %s: %d steps: %lu offlines moved data (%lu pages moved), %lu refused\n",
	       name, steps, stats[0], stats[2], stats[1]);
	KEXPECT_GT(t, stats[0], 3);
	KEXPECT_GT(t, stats[1], 3);
	drop_all(&m);
	while (m.nr_pins)
		free_page(m.pin[--m.nr_pins]);
	page_store_destroy(&page_store);
}

static void mig_random_sv39(struct ktest *t) { mig_random_one(t, 39, 300); }
static void mig_random_sv48(struct ktest *t) { mig_random_one(t, 48, 300); }
static void mig_random_sv57(struct ktest *t) { mig_random_one(t, 57, 300); }

KTEST_SUITE(host_migrate, false,
	KTEST_CASE(mig_one_page),
	KTEST_CASE(mig_fault_injection),
	KTEST_CASE(mig_no_room),
	KTEST_CASE(mig_online_normal),
	KTEST_CASE(mig_random_sv39),
	KTEST_CASE(mig_random_sv48),
	KTEST_CASE(mig_random_sv57));
