/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MM_TYPES_H
#define RVMM_MM_TYPES_H

/* struct page and its flags (Linux's mm_types.h and page-flags.h). */
#include <rvmm/list.h>
#include <rvmm/types.h>

/* ---- struct page: exactly 64 bytes, so the vmemmap divides evenly ---- */

enum pageflags {
	PG_reserved,	/* never in the buddy: kernel, memblock, memmap */
	PG_buddy,	/* head of a free buddy block; order in page->order */
	PG_table,	/* a page-table page (any kind, see pt_free_page) */
	PG_offline,	/* hot-added but not (or no longer) online */
	PG_head,	/* head of a compound page (ZONE_DEVICE) */
	PG_poisoned,	/* freed and filled with PAGE_POISON (debug builds) */
	PG_vmemmap,	/* this page backs the memmap itself (altmap) */
	PG_movable,	/* allocated, owner registered page->mops (migrate.c) */
	PG_isolated,	/* movable page taken by migration, see mm/migrate.c */
	PG_isolated_free, /* free block held by an isolated range; order in ->order */
};

struct dev_pagemap;
struct movable_operations;

struct page {
	unsigned long flags;
	int refcount;
	u8 order;		/* buddy order, or compound order at the head */
	u8 zone;		/* unused: see page_zone() */
	u16 nid;
	struct list_head lru;	/* buddy free list */
	unsigned long private;	/* owner's: the page store keeps its key here */
	unsigned long compound_head;	/* tail: head address | 1 */
	union {
		struct dev_pagemap *pgmap;	/* ZONE_DEVICE */
		void *mapping;			/* movable: the owner object */
	};
	const struct movable_operations *mops;	/* movable: owner's ops, or NULL */
};
_Static_assert(sizeof(struct page) == 64, "struct page must be 64 bytes");

static inline bool test_page_flag(const struct page *p, int f)
{
	return p->flags & (1UL << f);
}
static inline void set_page_flag(struct page *p, int f) { p->flags |= 1UL << f; }
static inline void clear_page_flag(struct page *p, int f) { p->flags &= ~(1UL << f); }
#define PageReserved(p)	test_page_flag(p, PG_reserved)
#define PageBuddy(p)	test_page_flag(p, PG_buddy)
#define PageTable(p)	test_page_flag(p, PG_table)
#define PageOffline(p)	test_page_flag(p, PG_offline)

#endif
