/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_PAGE_STORE_H
#define RVMM_PAGE_STORE_H

/*
 * The page store (mm/page_store.c): a RAM-backed key -> 4 KiB page cache,
 * like one tmpfs file whose page index is the key. Its data pages are
 * movable (__GFP_MOVABLE, movable_operations), so memory holding them can
 * be offlined by migrating them; every page carries a checksum taken when
 * it was written, checked on every read.
 */
#include <rvmm/mm.h>

struct ps_slot {
	struct page *page;	/* NULL: no data under this key */
	u64 csum;		/* of the page's contents when written */
};

#define PS_SLOTS_PER_LEAF	(PAGE_SIZE / sizeof(struct ps_slot))

struct page_store {
	volatile int lock;	/* slots and the pages' contents; see migrate.c */
	unsigned long nr_slots;	/* keys are 0 .. nr_slots - 1 */
	unsigned long nr_pages;	/* data pages held */
	struct ps_slot **dir;	/* leaf pages of slots (unmovable) */
	unsigned int dir_order;
};

/* The store that `make run`, the e2e test and the benchmarks fill. */
extern struct page_store page_store;

int page_store_init(struct page_store *ps, unsigned long nr_slots);
/* Free every data page and the tables; no migration may be running. */
void page_store_destroy(struct page_store *ps);
/* Store 4 KiB at @key (replacing what was there): 0, -EINVAL, -ENOMEM. */
int ps_put(struct page_store *ps, unsigned long key, const void *data);
/* Store the pattern ps_pattern(@seed, @key) at @key, like ps_put(). */
int ps_fill(struct page_store *ps, unsigned long key, u64 seed);
/* Copy @key's page out; -ENOENT if empty, -EIO if its checksum is wrong. */
int ps_get(struct page_store *ps, unsigned long key, void *buf);
/* Check @key's page in place: 0, -ENOENT, -EIO. */
int ps_verify(struct page_store *ps, unsigned long key);
int ps_drop(struct page_store *ps, unsigned long key);
struct page *ps_page(struct page_store *ps, unsigned long key);
/* Pages whose contents no longer match their checksum; first in *bad_key. */
unsigned long ps_verify_all(struct page_store *ps, unsigned long *bad_key);
/* One checksum of every key and its contents, recomputed from the pages. */
u64 ps_checksum(struct page_store *ps);
/* Both in one pass: the number of bad pages, *sum and *bad_key if wanted. */
unsigned long ps_scan(struct page_store *ps, u64 *sum, unsigned long *bad_key);

/*
 * rvmm.store=<size>: fill @ps with @nr_pages pages at boot, print where
 * they are and their checksum ("rvmm: page store: filled: ..."), and check
 * them again whenever memory went online or offline since
 * (page_store_check(), from the serve loop: "rvmm: page store: verified: ...").
 */
int page_store_fill(struct page_store *ps, unsigned long nr_pages, u64 seed);
void page_store_report(struct page_store *ps, const char *what);
void page_store_check(struct page_store *ps);

/* The checksum of 4 KiB, and the pattern ps_fill() writes. */
u64 ps_page_csum(const void *data);
void ps_pattern(void *data, u64 seed, unsigned long key);

#endif
