// SPDX-License-Identifier: GPL-2.0
/*
 * The page store: an in-kernel owner of movable pages (a key -> page cache,
 * like a tmpfs file). Data pages come from __GFP_MOVABLE, hence from
 * hot-added ZONE_MOVABLE memory first, and are registered with
 * movable_operations so that offlining that memory migrates them. The slot
 * tables are ordinary GFP_KERNEL pages (unmovable, like Linux's xarray).
 *
 * Locking follows mm/migrate.c: ps->lock covers the slots and every write
 * of a data page; a page isolated for migration is neither written nor
 * freed until migration ends (writers wait for it, briefly).
 */
#include <string.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/migrate.h>
#include <rvmm/page_store.h>
#include <rvmm/printk.h>
#include <rvmm/spinlock.h>

struct page_store page_store;

static const struct movable_operations ps_mops;

#define CSUM_MUL	0x100000001b3ULL	/* FNV-1a's prime, on 64-bit words */
#define PATTERN_MUL	0x9e3779b97f4a7c15ULL

/* splitmix64's finaliser: every bit of the key and checksum reaches every bit. */
static u64 mix64(u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

u64 ps_page_csum(const void *data)
{
	const u64 *w = data;
	u64 c = 0xcbf29ce484222325ULL;

	for (unsigned long i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		c = (c ^ w[i]) * CSUM_MUL;
	return c;
}

void ps_pattern(void *data, u64 seed, unsigned long key)
{
	u64 *w = data, x = (seed ^ ((u64)key << 20)) * PATTERN_MUL;

	for (unsigned long i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		w[i] = x + i * PATTERN_MUL;
}

static struct ps_slot *slot_of(struct page_store *ps, unsigned long key)
{
	if (key >= ps->nr_slots)
		return NULL;
	return &ps->dir[key / PS_SLOTS_PER_LEAF][key % PS_SLOTS_PER_LEAF];
}

static unsigned int order_for(unsigned long bytes)
{
	unsigned int o = 0;

	while ((PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

int page_store_init(struct page_store *ps, unsigned long nr_slots)
{
	unsigned long leaves = DIV_ROUND_UP(nr_slots, PS_SLOTS_PER_LEAF);
	unsigned int order = order_for(leaves * sizeof(void *));
	struct page *d;

	memset(ps, 0, sizeof(*ps));
	if (!nr_slots || order > MAX_ORDER)
		return -EINVAL;
	d = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	if (!d)
		return -ENOMEM;
	ps->dir = page_address(d);
	ps->dir_order = order;
	ps->nr_slots = nr_slots;
	for (unsigned long i = 0; i < leaves; i++) {
		struct page *l = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);

		if (!l) {
			page_store_destroy(ps);
			return -ENOMEM;
		}
		ps->dir[i] = page_address(l);
	}
	return 0;
}

void page_store_destroy(struct page_store *ps)
{
	unsigned long leaves = DIV_ROUND_UP(ps->nr_slots, PS_SLOTS_PER_LEAF);

	if (!ps->dir)
		return;
	for (unsigned long k = 0; k < ps->nr_slots; k++)
		if (ps->dir[k / PS_SLOTS_PER_LEAF])
			ps_drop(ps, k);
	for (unsigned long i = 0; i < leaves && ps->dir[i]; i++)
		free_page(virt_to_page(ps->dir[i]));
	free_pages(virt_to_page(ps->dir), ps->dir_order);
	memset(ps, 0, sizeof(*ps));
}

/*
 * Take @key's slot for a change: under ps->lock, with its page (if any)
 * not isolated. Migration holds a page only for one copy: wait it out.
 */
static struct ps_slot *lock_slot(struct page_store *ps, unsigned long key)
{
	struct ps_slot *s = slot_of(ps, key);

	if (!s)
		return NULL;
	for (;;) {
		spin_lock(&ps->lock);
		if (!s->page || !test_page_flag(s->page, PG_isolated))
			return s;
		spin_unlock(&ps->lock);
	}
}

/* Install a filled page at @key; the old page (if any) is freed. */
static int install(struct page_store *ps, unsigned long key, struct page *p)
{
	struct ps_slot *s = lock_slot(ps, key);
	struct page *old;
	u64 csum = ps_page_csum(page_address(p));

	if (!s) {
		free_page(p);
		return -EINVAL;
	}
	old = s->page;
	__SetPageMovable(p, &ps_mops, ps, key);
	s->page = p;
	s->csum = csum;
	if (!old)
		ps->nr_pages++;
	spin_unlock(&ps->lock);
	if (old)
		free_page(old);
	return 0;
}

/* A new movable page for @key: a copy of @data, or (NULL) @seed's pattern. */
static int put(struct page_store *ps, unsigned long key, const void *data, u64 seed)
{
	struct page *p;

	if (key >= ps->nr_slots)
		return -EINVAL;
	p = alloc_page(__GFP_MOVABLE);
	if (!p)
		return -ENOMEM;
	if (data)
		memcpy(page_address(p), data, PAGE_SIZE);
	else
		ps_pattern(page_address(p), seed, key);
	return install(ps, key, p);
}

int ps_put(struct page_store *ps, unsigned long key, const void *data)
{
	return put(ps, key, data, 0);
}

int ps_fill(struct page_store *ps, unsigned long key, u64 seed)
{
	return put(ps, key, NULL, seed);
}

/* Readers may read an isolated page: its contents do not change. */
static int read_slot(struct page_store *ps, unsigned long key, void *buf)
{
	struct ps_slot *s = slot_of(ps, key);
	int ret = 0;

	if (!s)
		return -EINVAL;
	spin_lock(&ps->lock);
	if (!s->page)
		ret = -ENOENT;
	else if (ps_page_csum(page_address(s->page)) != s->csum)
		ret = -EIO;
	else if (buf)
		memcpy(buf, page_address(s->page), PAGE_SIZE);
	spin_unlock(&ps->lock);
	return ret;
}

int ps_get(struct page_store *ps, unsigned long key, void *buf)
{
	return read_slot(ps, key, buf);
}

int ps_verify(struct page_store *ps, unsigned long key)
{
	return read_slot(ps, key, NULL);
}

int ps_drop(struct page_store *ps, unsigned long key)
{
	struct ps_slot *s = lock_slot(ps, key);
	struct page *old;

	if (!s)
		return -EINVAL;
	old = s->page;
	s->page = NULL;
	if (old)
		ps->nr_pages--;
	spin_unlock(&ps->lock);
	if (!old)
		return -ENOENT;
	free_page(old);
	return 0;
}

struct page *ps_page(struct page_store *ps, unsigned long key)
{
	struct ps_slot *s = slot_of(ps, key);

	return s ? READ_ONCE(s->page) : NULL;
}

/*
 * One pass over every key: pages whose contents no longer match their
 * checksum (the first in *bad_key), and one checksum of all keys and
 * contents, recomputed from the pages.
 */
unsigned long ps_scan(struct page_store *ps, u64 *sum, unsigned long *bad_key)
{
	unsigned long bad = 0;
	u64 total = 0;

	for (unsigned long k = 0; k < ps->nr_slots; k++) {
		struct ps_slot *s = slot_of(ps, k);
		u64 c;

		spin_lock(&ps->lock);
		if (s->page) {
			c = ps_page_csum(page_address(s->page));
			total += mix64(c ^ k);
			if (c != s->csum && !bad++ && bad_key)
				*bad_key = k;
		}
		spin_unlock(&ps->lock);
	}
	if (sum)
		*sum = total;
	return bad;
}

unsigned long ps_verify_all(struct page_store *ps, unsigned long *bad_key)
{
	return ps_scan(ps, NULL, bad_key);
}

u64 ps_checksum(struct page_store *ps)
{
	u64 sum;

	ps_scan(ps, &sum, NULL);
	return sum;
}

/* ---- rvmm.store=<size>: filled at boot, checked after memory changes ---- */

static unsigned long checked_seq;

int page_store_fill(struct page_store *ps, unsigned long nr_pages, u64 seed)
{
	int ret = page_store_init(ps, nr_pages);

	for (unsigned long k = 0; !ret && k < nr_pages; k++)
		ret = ps_fill(ps, k, seed);
	if (ret)
		pr_err("page store: filling %lu pages failed at %lu (%d)\n", nr_pages,
		       ps->nr_pages, ret);
	checked_seq = mem_hotplug_seq;
	page_store_report(ps, "filled");
	return ret;
}

/* Where the data lives, and whether every page still matches. */
void page_store_report(struct page_store *ps, const char *what)
{
	unsigned long bad_key = 0, bad, movable = 0;
	u64 sum;

	if (!ps->nr_slots)
		return;
	bad = ps_scan(ps, &sum, &bad_key);
	for (unsigned long k = 0; k < ps->nr_slots; k++) {
		struct page *p = ps_page(ps, k);

		movable += p && page_zone(p) == ZONE_MOVABLE;
	}
	printk("rvmm: page store: %s: %lu pages, %lu in ZONE_MOVABLE, %lu bad, checksum 0x%016llx\n",
	       what, ps->nr_pages, movable, bad, (unsigned long long)sum);
	if (bad)
		pr_err("page store: %lu pages do not match their checksum, first key %lu\n",
		       bad, bad_key);
}

/* Serving: verify again after memory went offline or online. */
void page_store_check(struct page_store *ps)
{
	if (ps->nr_slots && READ_ONCE(mem_hotplug_seq) != checked_seq) {
		checked_seq = READ_ONCE(mem_hotplug_seq);
		page_store_report(ps, "verified");
	}
}

/* ---- movable_operations ---- */

/* The page is still @key's (it may have been dropped or replaced). */
static bool ps_isolate(struct page *page)
{
	struct page_store *ps = READ_ONCE(page->mapping);
	struct ps_slot *s;
	bool ok;

	if (!ps)
		return false;
	spin_lock(&ps->lock);
	s = slot_of(ps, page->private);
	ok = s && s->page == page && !test_page_flag(page, PG_isolated);
	if (ok)
		set_page_flag(page, PG_isolated);
	spin_unlock(&ps->lock);
	return ok;
}

static int ps_migrate(struct page *dst, struct page *src)
{
	struct page_store *ps = src->mapping;
	struct ps_slot *s;

	spin_lock(&ps->lock);
	s = slot_of(ps, src->private);
	migrate_copy_page(page_address(dst), page_address(src));
	__SetPageMovable(dst, &ps_mops, ps, src->private);
	s->page = dst;
	spin_unlock(&ps->lock);
	return 0;
}

static void ps_putback(struct page *page)
{
	struct page_store *ps = page->mapping;

	spin_lock(&ps->lock);
	clear_page_flag(page, PG_isolated);
	spin_unlock(&ps->lock);
}

static const struct movable_operations ps_mops = {
	.isolate = ps_isolate,
	.migrate = ps_migrate,
	.putback = ps_putback,
};
