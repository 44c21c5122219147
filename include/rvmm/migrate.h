/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MIGRATE_H
#define RVMM_MIGRATE_H

/*
 * Movable pages and their migration (mm/migrate.c, where the locking rules
 * are). The owner of a page allocated with __GFP_MOVABLE registers its
 * operations with __SetPageMovable(); from then on the memory hotplug code
 * may move the page elsewhere, asking the owner through these callbacks.
 */
#include <rvmm/mm.h>

struct movable_operations {
	/*
	 * Stop using @page for a moment. True if the page is still the
	 * owner's and may be moved: until migrate() or putback() the owner
	 * neither frees it nor writes it. False if it is busy or going away.
	 */
	bool (*isolate)(struct page *page);
	/*
	 * Copy @src to @dst (migrate_copy_page()), register @dst
	 * (__SetPageMovable()) and switch every reference from @src to @dst,
	 * all under the owner's own lock. 0, or -EAGAIN to give up (then
	 * the caller frees @dst and calls putback()).
	 */
	int (*migrate)(struct page *dst, struct page *src);
	/* Migration of an isolated page was abandoned: use it again. */
	void (*putback)(struct page *page);
};

/* Register / forget the owner of an allocated __GFP_MOVABLE order-0 page. */
static inline void __SetPageMovable(struct page *page, const struct movable_operations *mops,
				    void *owner, unsigned long priv)
{
	page->mapping = owner;
	page->private = priv;
	page->mops = mops;
	set_page_flag(page, PG_movable);
}

static inline void __ClearPageMovable(struct page *page)
{
	page->mops = NULL;
	page->mapping = NULL;
	clear_page_flag(page, PG_movable);
}
static inline bool PageMovable(const struct page *p)
{
	return test_page_flag(p, PG_movable);
}

/* 4 KiB copy with 8-byte loads and stores, 64 bytes per step. */
void migrate_copy_page(void *dst, const void *src);

/*
 * Move one movable page: isolate, allocate a destination (__GFP_MOVABLE,
 * never inside an isolated range), migrate, free the source. 0; -EAGAIN
 * (busy or freed meanwhile: retry); -EBUSY (not movable); -ENOMEM.
 */
int migrate_page(struct page *src);

/*
 * Move every allocated page out of the isolated range [pfn, pfn + nr),
 * retrying busy pages up to MIGRATE_MAX_PASSES passes over the range.
 * 0 when the range is empty, else the error with the blocking pfn in
 * *busy_pfn.
 */
#define MIGRATE_MAX_PASSES	10
#define MIGRATE_BATCH		32	/* pages per bulk allocation */
int migrate_pages_range(unsigned long pfn, unsigned long nr, unsigned long *busy_pfn);

/* Pages moved since boot (tests and the memory view). */
extern unsigned long nr_migrated_pages;

#endif
