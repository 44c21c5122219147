// SPDX-License-Identifier: GPL-2.0
/*
 * The buddy allocator: per-zone free lists of orders 0..MAX_ORDER.
 *
 * Locking rule against hotplug: pages enter the buddy only through
 * __free_pages_core() (boot or online_pages) after their memmap is
 * populated, and leave it through take_free_range() or take_isolated_range()
 * (offline_pages) before the memmap is freed; both run under zone_lock and
 * under the hotplug lock. Isolated ranges (below) and migration follow the
 * rules written down in mm/migrate.c.
 * Merging looks only at buddies within the same 4 MiB-aligned block, which
 * never crosses a 128 MiB section, so the memmap it reads always exists.
 */
#include <string.h>
#include <asm/page.h>
#include <rvmm/fault-inject.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/spinlock.h>

struct zone zones[MAX_NR_ZONES] = {
	[ZONE_NORMAL] = { .name = "Normal" },
	[ZONE_MOVABLE] = { .name = "Movable" },
	[ZONE_DEVICE] = { .name = "Device" },
};
static volatile int zone_lock;

#define PAGE_POISON 0xaa
#define pageblock_order	(PMD_SHIFT - PAGE_SHIFT)

#ifdef CONFIG_SELFTESTS
unsigned long fail_alloc_nth;
unsigned long nr_alloc_calls;

bool should_fail_alloc(void)
{
	nr_alloc_calls++;
	return fail_alloc_nth && --fail_alloc_nth == 0;
}
#endif

void free_area_init(void)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o < NR_ORDERS; o++)
			INIT_LIST_HEAD(&zones[z].free_area[o]);
}

static void add_to_free_list(struct zone *z, struct page *p, unsigned int order)
{
	p->order = order;
	set_page_flag(p, PG_buddy);
	list_add(&p->lru, &z->free_area[order]);
	z->nr_free_area[order]++;
}

static void del_from_free_list(struct zone *z, struct page *p, unsigned int order)
{
	list_del(&p->lru);
	clear_page_flag(p, PG_buddy);
	z->nr_free_area[order]--;
}

/*
 * A block and its buddy share a 4 MiB-aligned range, hence a section, hence
 * a zone: the zone needs no check here, and none is stored per page (the
 * section knows it, so onlining does not touch every struct page).
 */
static bool is_free_buddy(struct page *p, unsigned int order)
{
	return PageBuddy(p) && p->order == order;
}

static void __free_one_page(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);
	struct zone *z = &zones[page_zone(page)];

	z->free_pages += 1UL << order;
	while (order < MAX_ORDER) {
		unsigned long bpfn = pfn ^ (1UL << order);
		struct page *buddy = pfn_to_page(bpfn);

		if (!is_free_buddy(buddy, order))
			break;
		del_from_free_list(z, buddy, order);
		pfn &= ~(1UL << order);
		order++;
	}
	add_to_free_list(z, pfn_to_page(pfn), order);
}

static void poison_pages(struct page *page, unsigned int order)
{
#ifdef CONFIG_PAGE_POISONING
	memset(page_address(page), PAGE_POISON, PAGE_SIZE << order);
	/* Every page: the block may merge or split before it is reused. */
	for (unsigned long i = 0; i < (1UL << order); i++)
		set_page_flag(page + i, PG_poisoned);
#else
	(void)page;
	(void)order;
#endif
}

static void check_poison(struct page *page, unsigned int order)
{
#ifdef CONFIG_PAGE_POISONING
	/* Only pages freed by free_pages() were poisoned: check those. */
	for (unsigned long n = 0; n < (1UL << order); n++) {
		const u8 *p = page_address(page + n);

		if (!test_page_flag(page + n, PG_poisoned))
			continue;
		clear_page_flag(page + n, PG_poisoned);
		for (unsigned long i = 0; i < PAGE_SIZE; i++)
			if (p[i] != PAGE_POISON)
				panic("page poison overwritten: pfn 0x%lx byte %lu = 0x%x (use after free)",
				      page_to_pfn(page + n), i, p[i]);
	}
#else
	(void)page;
	(void)order;
#endif
}

/*
 * Hand pages the allocator has never seen (boot, online) to the buddy of
 * their section's zone.
 */
void __free_pages_core(struct page *page, unsigned int order)
{
	spin_lock(&zone_lock);
	page->refcount = 0;
	zones[page_zone(page)].managed_pages += 1UL << order;
	__free_one_page(page, order);
	spin_unlock(&zone_lock);
}

static struct page *take_from_zone(struct zone *z, unsigned int order)
{
	for (unsigned int o = order; o < NR_ORDERS; o++) {
		struct page *p;

		if (list_empty(&z->free_area[o]))
			continue;
		p = list_first_entry(&z->free_area[o], struct page, lru);
		del_from_free_list(z, p, o);
		while (o > order) {	/* split: return the upper halves */
			o--;
			add_to_free_list(z, p + (1UL << o), o);
		}
		z->free_pages -= 1UL << order;
		return p;
	}
	return NULL;
}

/*
 * GFP_KERNEL is served from ZONE_NORMAL only, so nothing unmovable (page
 * tables, memmaps, rings) ever lands in hot-added ZONE_MOVABLE memory and
 * a movable block can always be offlined once its users free it.
 */
struct page *alloc_pages(unsigned int gfp, unsigned int order)
{
	static const int movable[] = { ZONE_MOVABLE, ZONE_NORMAL };
	static const int normal[] = { ZONE_NORMAL };
	const int *zl = (gfp & GFP_MOVABLE) ? movable : normal;
	int nz = (gfp & GFP_MOVABLE) ? 2 : 1;
	struct page *p = NULL;

	if (order > MAX_ORDER || should_fail_alloc())
		return NULL;
	spin_lock(&zone_lock);
	for (int i = 0; i < nz && !p; i++)
		if (zones[zl[i]].free_pages >> order)	/* skip a full zone fast */
			p = take_from_zone(&zones[zl[i]], order);
	spin_unlock(&zone_lock);
	if (!p)
		return NULL;
	check_poison(p, order);
	p->refcount = 1;
	p->order = order;
	if (gfp & __GFP_ZERO)
		clear_pages(page_address(p), PAGE_SIZE << order);
	return p;
}

/* Held apart from the free lists: in an isolated range (see below). */
static void hold_isolated(struct page *page, unsigned int order)
{
	page->order = order;
	set_page_flag(page, PG_isolated_free);
}

static bool pfn_isolated(const struct mem_section *ms, unsigned long pfn)
{
	return ms->isolate_map & (1ULL << ((pfn % PAGES_PER_SECTION) / pageblock_nr_pages));
}

/* A freed block goes to the buddy, or is held if its sub-block is isolated. */
static void free_one_page_checked(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);
	const struct mem_section *ms = __pfn_to_section(pfn);

	if (likely(!ms->isolate_map)) {
		__free_one_page(page, order);
	} else if (order > pageblock_order) {	/* spans two sub-blocks */
		free_one_page_checked(page, order - 1);
		free_one_page_checked(page + (1UL << (order - 1)), order - 1);
	} else if (pfn_isolated(ms, pfn)) {
		hold_isolated(page, order);
	} else {
		__free_one_page(page, order);
	}
}

#define PAGE_FREE_REFUSED	((1UL << PG_buddy) | (1UL << PG_reserved) |	\
				 (1UL << PG_isolated) | (1UL << PG_isolated_free))

static const char *free_refused_why(const struct page *page)
{
	if (PageBuddy(page) || test_page_flag(page, PG_isolated_free))
		return "already free (double free)";
	if (PageReserved(page))
		return "reserved";
	return "being migrated";
}

static unsigned int ilog2_floor(unsigned int n)
{
	return 31 - __builtin_clz(n);
}

/* The order-0 pages of a block taken whole (bulk allocation). */
static void prep_bulk_block(struct page *p, unsigned int order, struct page **out)
{
	check_poison(p, order);
	for (unsigned long i = 0; i < (1UL << order); i++) {
		p[i].refcount = 1;
		p[i].order = 0;
		out[i] = &p[i];
	}
}

/* Free pages of @z that a bulk allocation may take. */
static unsigned long bulk_room(const struct zone *z)
{
	if (z != &zones[ZONE_NORMAL])
		return z->free_pages;
	return z->free_pages > NORMAL_RESERVE_PAGES ? z->free_pages - NORMAL_RESERVE_PAGES : 0;
}

/*
 * Up to @nr order-0 pages into @out under one lock, taking whole blocks:
 * cheaper per page than alloc_pages() for migration's destinations. Every
 * page counts as one allocation for fault injection. ZONE_NORMAL keeps
 * NORMAL_RESERVE_PAGES back, for the page tables and rings the kernel needs
 * to finish what it is doing. Returns how many.
 */
unsigned int alloc_pages_bulk(unsigned int gfp, unsigned int nr, struct page **out)
{
	unsigned int got = 0, want = 0;
	int zl[2] = { (gfp & __GFP_MOVABLE) ? ZONE_MOVABLE : ZONE_NORMAL, ZONE_NORMAL };
	int nz = (gfp & __GFP_MOVABLE) ? 2 : 1;

	while (want < nr && !should_fail_alloc())
		want++;
	spin_lock(&zone_lock);
	for (int i = 0; i < nz && got < want; i++) {
		struct zone *z = &zones[zl[i]];
		unsigned long room = bulk_room(z), taken = 0;
		unsigned int o = min(ilog2_floor(want - got), MAX_ORDER);

		while (got < want && taken < room) {
			struct page *p;

			while ((1UL << o) > min((unsigned long)(want - got), room - taken))
				o--;
			p = take_from_zone(z, o);
			if (!p) {
				if (!o)
					break;
				o--;
				continue;
			}
			prep_bulk_block(p, o, out + got);
			got += 1U << o;
			taken += 1UL << o;
		}
	}
	spin_unlock(&zone_lock);
	return got;
}

/* What free_pages() does before taking the lock; false if refused. */
static bool prep_free(struct page *page, unsigned int order)
{
	if (page->flags & PAGE_FREE_REFUSED) {
		/* Double free, not ours, or isolated: refuse, loudly, corrupt nothing. */
		pr_warn("free_pages: pfn 0x%lx is %s; ignored\n", page_to_pfn(page),
			free_refused_why(page));
		return false;
	}
	page->refcount = 0;
	if (page->mops) {	/* a movable page: its owner lets go */
		page->mops = NULL;
		page->mapping = NULL;
		clear_page_flag(page, PG_movable);
	}
	poison_pages(page, order);
	return true;
}

void free_pages(struct page *page, unsigned int order)
{
	if (!prep_free(page, order))
		return;
	spin_lock(&zone_lock);
	free_one_page_checked(page, order);
	spin_unlock(&zone_lock);
}

/* @n order-0 pages under one lock (migration's sources). */
void free_pages_bulk(struct page **pages, unsigned int n)
{
	unsigned int i, ok = 0;

	for (i = 0; i < n; i++)
		if (prep_free(pages[i], 0))
			pages[ok++] = pages[i];
	spin_lock(&zone_lock);
	for (i = 0; i < ok; i++)
		free_one_page_checked(pages[i], 0);
	spin_unlock(&zone_lock);
}

phys_addr_t alloc_phys_pages(unsigned int gfp, unsigned int order)
{
	struct page *p = alloc_pages(gfp, order);

	return p ? page_to_phys(p) : 0;
}

void free_phys_pages(phys_addr_t pa, unsigned int order)
{
	free_pages(pfn_to_page(PHYS_PFN(pa)), order);
}

unsigned long zone_free_pages(enum zone_type z)
{
	return zones[z].free_pages;
}

unsigned long nr_free_pages(void)
{
	return zones[ZONE_NORMAL].free_pages + zones[ZONE_MOVABLE].free_pages;
}

/* The free buddy block containing @pfn, or NULL (then *order is undefined). */
static struct page *find_free_block(unsigned long pfn, unsigned int *order)
{
	for (unsigned int o = 0; o < NR_ORDERS; o++) {
		struct page *h = pfn_to_page(pfn & ~((1UL << o) - 1));

		if (PageBuddy(h) && h->order == o) {
			*order = o;
			return h;
		}
	}
	return NULL;
}

bool page_is_buddy_free(unsigned long pfn)
{
	unsigned int o;

	return pfn_valid(pfn) && find_free_block(pfn, &o);
}

/* The largest order of an aligned block at @pfn that ends by @end. */
static unsigned int block_order(unsigned long pfn, unsigned long end)
{
	unsigned int o = 0;

	while (o < MAX_ORDER && !(pfn & ((2UL << o) - 1)) && pfn + (2UL << o) <= end)
		o++;
	return o;
}

/* Give back [pfn, end) in aligned blocks (parts of a block cut by a range). */
static void free_range_locked(unsigned long pfn, unsigned long end)
{
	while (pfn < end) {
		unsigned int o = block_order(pfn, end);

		__free_one_page(pfn_to_page(pfn), o);
		pfn += 1UL << o;
	}
}

/* Every page of [start, end) free in the buddy? Else the first busy pfn. */
static bool range_free_locked(unsigned long start, unsigned long end, unsigned long *busy_pfn)
{
	unsigned int o;
	struct page *h;

	for (unsigned long pfn = start; pfn < end; pfn = page_to_pfn(h) + (1UL << o)) {
		h = find_free_block(pfn, &o);
		if (!h) {
			if (busy_pfn)
				*busy_pfn = pfn;
			return false;
		}
	}
	return true;
}

static unsigned long skip_busy(unsigned long pfn);

/* Pages of [start, start + nr) not free in the buddy (a policy hint). */
unsigned long range_used_pages(unsigned long start, unsigned long nr)
{
	unsigned long end = start + nr, used = 0;

	spin_lock(&zone_lock);
	for (unsigned long pfn = start; pfn < end;) {
		unsigned int o;
		struct page *h = pfn_to_page(pfn)->refcount ? NULL : find_free_block(pfn, &o);

		if (h) {
			pfn = page_to_pfn(h) + (1UL << o);
		} else {
			unsigned long next = min(skip_busy(pfn), end);

			used += next - pfn;
			pfn = next;
		}
	}
	spin_unlock(&zone_lock);
	return used;
}

bool range_is_buddy_free(unsigned long start, unsigned long nr, unsigned long *busy_pfn)
{
	bool ret;

	spin_lock(&zone_lock);
	ret = range_free_locked(start, start + nr, busy_pfn);
	spin_unlock(&zone_lock);
	return ret;
}

/*
 * Take every page of [start, start + nr) out of the buddy, for offlining.
 * All or nothing: if a page is in use, return -EBUSY with it in *busy_pfn
 * and change nothing. Blocks that stick out of the range are split and the
 * outside parts go back.
 */
int take_free_range(unsigned long start, unsigned long nr, unsigned long *busy_pfn)
{
	unsigned long end = start + nr, pfn;
	unsigned int o;
	struct page *h;

	spin_lock(&zone_lock);
	if (!range_free_locked(start, end, busy_pfn)) {
		spin_unlock(&zone_lock);
		return -EBUSY;
	}
	for (pfn = start; pfn < end;) {
		unsigned long hpfn, hend;
		int zone;

		h = find_free_block(pfn, &o);
		hpfn = page_to_pfn(h);
		hend = hpfn + (1UL << o);
		zone = page_zone(h);
		del_from_free_list(&zones[zone], h, o);
#ifdef CONFIG_PAGE_POISONING
		/* The contents go away: so does the promise that they are poison. */
		for (unsigned long p = max(start, hpfn); p < min(end, hend); p++)
			clear_page_flag(pfn_to_page(p), PG_poisoned);
#endif
		zones[zone].free_pages -= 1UL << o;
		free_range_locked(hpfn, max(start, hpfn));
		free_range_locked(min(end, hend), hend);
		zones[zone].managed_pages -= min(end, hend) - max(start, hpfn);
		pfn = hend;
	}
	spin_unlock(&zone_lock);
	return 0;
}

/* ---- pageblock isolation (Linux's MIGRATE_ISOLATE) ---- */

/*
 * An isolated range owns no buddy block: its free pages are held apart
 * (PG_isolated_free heads, order in ->order, not in free_pages), and pages
 * freed inside it join them instead of the free lists. Nothing in it can be
 * allocated, so a page in it is either allocated or held, and an allocated
 * page can only become held. Buddies never merge with held blocks (no
 * PG_buddy), so a free block never straddles an isolated sub-block.
 * Ranges are whole sub-blocks of one section (offline_pages checks).
 */
static u64 isolate_mask(unsigned long start, unsigned long nr)
{
	unsigned long first = (start % PAGES_PER_SECTION) / pageblock_nr_pages;
	unsigned long n = nr / pageblock_nr_pages;

	return (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << first;
}

/* Hold [pfn, end) in the largest aligned blocks. */
static void hold_range_locked(unsigned long pfn, unsigned long end)
{
	while (pfn < end) {
		unsigned int o = block_order(pfn, end);

		hold_isolated(pfn_to_page(pfn), o);
		pfn += 1UL << o;
	}
}

/* The next pfn after @pfn's page when it is no free block: skip a head's block. */
static unsigned long skip_busy(unsigned long pfn)
{
	struct page *p = pfn_to_page(pfn);

	return pfn + (p->refcount > 0 && !(pfn & ((1UL << p->order) - 1)) ? 1UL << p->order : 1);
}

int start_isolate_page_range(unsigned long start, unsigned long nr)
{
	unsigned long end = start + nr, pfn;
	struct mem_section *ms = __pfn_to_section(start);
	u64 mask = isolate_mask(start, nr);

	spin_lock(&zone_lock);
	if (ms->isolate_map & mask) {
		spin_unlock(&zone_lock);
		return -EBUSY;
	}
	ms->isolate_map |= mask;
	for (pfn = start; pfn < end;) {
		unsigned long hpfn, hend;
		unsigned int o;
		struct page *h;

		/* An allocated head is no free block: skip it without a search. */
		h = pfn_to_page(pfn)->refcount ? NULL : find_free_block(pfn, &o);
		if (!h) {
			pfn = skip_busy(pfn);
			continue;
		}
		hpfn = page_to_pfn(h);
		hend = hpfn + (1UL << o);
		del_from_free_list(&zones[page_zone(h)], h, o);
		zones[page_zone(h)].free_pages -= 1UL << o;
		free_range_locked(hpfn, max(start, hpfn));
		free_range_locked(min(end, hend), hend);
		hold_range_locked(max(start, hpfn), min(end, hend));
		pfn = hend;
	}
	spin_unlock(&zone_lock);
	return 0;
}

/* The held block at @pfn, or NULL (then it is allocated). Under zone_lock. */
static struct page *held_block(unsigned long pfn)
{
	struct page *p = pfn_to_page(pfn);

	return test_page_flag(p, PG_isolated_free) ? p : NULL;
}

/* Everything held goes back to the free lists, merging as it goes. */
void undo_isolate_page_range(unsigned long start, unsigned long nr)
{
	unsigned long end = start + nr, pfn;

	spin_lock(&zone_lock);
	__pfn_to_section(start)->isolate_map &= ~isolate_mask(start, nr);
	for (pfn = start; pfn < end;) {
		struct page *h = held_block(pfn);
		unsigned int o;

		if (!h) {
			pfn = skip_busy(pfn);
			continue;
		}
		o = h->order;
		clear_page_flag(h, PG_isolated_free);
		__free_one_page(h, o);	/* counts it free again */
		pfn += 1UL << o;
	}
	spin_unlock(&zone_lock);
}

bool page_range_isolated(unsigned long pfn)
{
	return pfn_valid(pfn) && pfn_isolated(__pfn_to_section(pfn), pfn);
}

/*
 * Up to @max movable pages of the isolated range [*pfn, end), in order,
 * into @pages; *pfn moves past what was looked at. Held blocks and pages
 * without an owner are skipped (isolated_range_empty() reports those).
 */
unsigned int isolated_range_collect(unsigned long *pfn, unsigned long end,
				    struct page **pages, unsigned int max)
{
	unsigned long p = *pfn;
	unsigned int n = 0;

	spin_lock(&zone_lock);
	while (p < end && n < max) {
		struct page *h = held_block(p);

		if (h)
			p += 1UL << h->order;
		else if (READ_ONCE(pfn_to_page(p)->mops))
			pages[n++] = pfn_to_page(p++);
		else
			p = skip_busy(p);
	}
	spin_unlock(&zone_lock);
	*pfn = p;
	return n;
}

static bool held_range_locked(unsigned long start, unsigned long end, unsigned long *busy_pfn)
{
	for (unsigned long pfn = start; pfn < end;) {
		struct page *h = held_block(pfn);

		if (!h) {
			if (busy_pfn)
				*busy_pfn = pfn;
			return false;
		}
		pfn += 1UL << h->order;
	}
	return true;
}

bool isolated_range_empty(unsigned long start, unsigned long nr, unsigned long *busy_pfn)
{
	bool ret;

	spin_lock(&zone_lock);
	ret = held_range_locked(start, start + nr, busy_pfn);
	spin_unlock(&zone_lock);
	return ret;
}

void take_isolated_range(unsigned long start, unsigned long nr)
{
	unsigned long end = start + nr;

	spin_lock(&zone_lock);
	for (unsigned long pfn = start; pfn < end;) {
		struct page *h = held_block(pfn);
		unsigned long n = 1UL << h->order;

		clear_page_flag(h, PG_isolated_free);
#ifdef CONFIG_PAGE_POISONING
		for (unsigned long i = 0; i < n; i++)
			clear_page_flag(h + i, PG_poisoned);
#endif
		pfn += n;
	}
	zones[page_zone(pfn_to_page(start))].managed_pages -= nr;
	__pfn_to_section(start)->isolate_map &= ~isolate_mask(start, nr);
	spin_unlock(&zone_lock);
}

/* A page memblock reserved at boot (image, memmap, early tables) goes free. */
void free_reserved_page(struct page *p)
{
	clear_page_flag(p, PG_reserved);
	__free_pages_core(p, 0);
}

/* ---- boot: memblock's free memory to the buddy ---- */

/* Hand [pfn, epfn) to the buddy of @zone in the largest aligned blocks. */
void free_pfn_range_core(unsigned long pfn, unsigned long epfn)
{
	while (pfn < epfn) {
		unsigned int o = block_order(pfn, epfn);

		__free_pages_core(pfn_to_page(pfn), o);
		pfn += 1UL << o;
	}
}

static void free_boot_range(phys_addr_t start, phys_addr_t end)
{
	free_pfn_range_core(PHYS_PFN(ALIGN(start, PAGE_SIZE)), PHYS_PFN(end));
}

/*
 * Everything memblock knows as memory and not reserved goes to the buddy.
 * The memmap was zeroed when populated (zone Normal, node 0, no flags), and
 * sparse_init() marked the reserved pages: only block heads are touched.
 */
void memblock_free_all(void)
{
	struct memblock_region *m;

	for_each_mem_region(m) {
		phys_addr_t cur = m->base, end = m->base + m->size;

		if (m->flags & MEMBLOCK_NOMAP)
			continue;
		for (unsigned long i = 0; i < memblock.reserved.cnt; i++) {
			struct memblock_region *r = &memblock.reserved.regions[i];

			if (r->base + r->size <= cur || r->base >= end)
				continue;
			if (r->base > cur)
				free_boot_range(cur, r->base);
			cur = min(end, r->base + r->size);
		}
		if (cur < end)
			free_boot_range(cur, end);
	}
}

/* For the self-test harness's leak check around every case. */
unsigned long ktest_free_pages(void)
{
	return nr_free_pages();
}
