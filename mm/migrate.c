// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration: move a movable page's contents to another page and let
 * its owner switch over, so that memory in use can be offlined.
 *
 * Locking, the one place it is written down:
 *
 * - Locks nest hotplug_lock (mem_hotplug_begin) -> owner's lock -> zone_lock.
 *   An owner never takes hotplug_lock and never allocates under its own
 *   lock; migrate_page() allocates the destination outside every owner
 *   lock. One migration runs at a time (offline_pages() holds hotplug_lock).
 * - Pages are migrated from an isolated range (page_alloc.c): nothing in it
 *   is ever allocated, so a page there is either in use by its owner or
 *   held free, and a page can never be freed and handed out again while we
 *   look at it: "handed out twice" cannot happen.
 * - page->mops is read without a lock and may be stale (the owner may be
 *   freeing the page). isolate() therefore checks, under the owner's lock,
 *   that the page is still its own, and if so sets PG_isolated. The owner
 *   (and its movable_operations) outlives its pages.
 * - From isolate() to migrate() or putback() the owner neither frees nor
 *   writes the page (free_pages() refuses a PG_isolated page loudly); it
 *   may read it, since the contents do not change.
 * - migrate() copies and switches the owner's reference under the owner's
 *   lock, so the owner reads either the whole old page or the whole new
 *   one, never a half-copied one. Then the old page is freed, which in an
 *   isolated range holds it apart rather than returning it.
 * - The destination comes from __GFP_MOVABLE: ZONE_MOVABLE outside every
 *   isolated range, else ZONE_NORMAL.
 */
#include <rvmm/migrate.h>
#include <rvmm/printk.h>

unsigned long nr_migrated_pages;

/*
 * picolibc's memcpy under -mstrict-align copies bytes when it cannot prove
 * alignment; pages are aligned, so eight 8-byte loads then eight stores per
 * step (loads first: no store waits on a load just issued).
 */
#define COPY64(d, s) do {						\
	u64 a = (s)[0], b = (s)[1], c = (s)[2], e = (s)[3];		\
	u64 f = (s)[4], g = (s)[5], h = (s)[6], i = (s)[7];		\
	(d)[0] = a; (d)[1] = b; (d)[2] = c; (d)[3] = e;			\
	(d)[4] = f; (d)[5] = g; (d)[6] = h; (d)[7] = i;			\
} while (0)

void migrate_copy_page(void *dst, const void *src)
{
	u64 *d = dst;
	const u64 *s = src, *end = s + PAGE_SIZE / sizeof(u64);

	/* 512 bytes a turn: the loop's own three instructions are amortised. */
	for (; s < end; s += 64, d += 64) {
#pragma GCC unroll 8
		for (int k = 0; k < 64; k += 8)
			COPY64(d + k, s + k);
	}
}

/*
 * Move @src to @dst (allocated by the caller). 0: moved, @dst is the
 * owner's and @src is the caller's to free; otherwise @dst is untouched
 * and stays the caller's: -EBUSY (no owner), -EAGAIN (busy, freed
 * meanwhile, or the owner gave up).
 */
static int migrate_page_to(struct page *src, struct page *dst)
{
	const struct movable_operations *mops = READ_ONCE(src->mops);

	if (!mops)
		return -EBUSY;
	if (!mops->isolate(src))
		return -EAGAIN;
	if (mops->migrate(dst, src)) {
		mops->putback(src);
		return -EAGAIN;
	}
	/* The owner let go of @src in migrate(): nobody else can see it. */
	__ClearPageMovable(src);
	clear_page_flag(src, PG_isolated);
	nr_migrated_pages++;
	return 0;
}

int migrate_page(struct page *src)
{
	struct page *dst;
	int ret;

	if (!READ_ONCE(src->mops))
		return -EBUSY;
	dst = alloc_pages(__GFP_MOVABLE, 0);
	if (!dst)
		return -ENOMEM;
	ret = migrate_page_to(src, dst);
	free_pages(ret ? dst : src, 0);
	return ret;
}

/*
 * Give another hart time to finish with a momentarily busy page (one that
 * was just allocated and is not registered yet, or whose owner holds it):
 * twice as long each pass, about 4 M loop turns in all, because a hart of
 * an emulated machine may not run at all for a while.
 */
static void migrate_backoff(int pass)
{
	for (volatile unsigned long i = 0; i < (4000UL << pass); i++)
		;
}

/*
 * One pass over the range in batches: the destinations of a batch come
 * from one bulk allocation. -ENOMEM stops it (naming the first page left
 * without a destination); busy pages are left for the next pass.
 */
static int migrate_pass(unsigned long pfn, unsigned long end, unsigned long *busy_pfn)
{
	struct page *src[MIGRATE_BATCH], *dst[MIGRATE_BATCH];
	unsigned int n, got, i;

	while ((n = isolated_range_collect(&pfn, end, src, MIGRATE_BATCH))) {
		unsigned int nfree = 0;

		got = alloc_pages_bulk(__GFP_MOVABLE, n, dst);
		/* Moved: free the source; not moved: the destination. */
		for (i = 0; i < got; i++)
			dst[nfree++] = migrate_page_to(src[i], dst[i]) ? dst[i] : src[i];
		free_pages_bulk(dst, nfree);
		if (got < n) {
			*busy_pfn = page_to_pfn(src[got]);
			return -ENOMEM;
		}
	}
	return 0;
}

int migrate_pages_range(unsigned long pfn, unsigned long nr, unsigned long *busy_pfn)
{
	for (int pass = 0; pass < MIGRATE_MAX_PASSES; pass++) {
		int ret = migrate_pass(pfn, pfn + nr, busy_pfn);

		if (ret)
			return ret;
		if (isolated_range_empty(pfn, nr, busy_pfn))
			return 0;
		migrate_backoff(pass);
	}
	return -EBUSY;
}
