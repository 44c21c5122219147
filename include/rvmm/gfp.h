/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_GFP_H
#define RVMM_GFP_H

/* Allocating and freeing pages (mm/page_alloc.c), as Linux's gfp.h. */
#include <rvmm/mmzone.h>

/*
 * gfp: which zones may serve the request. __GFP_MOVABLE says the caller
 * accepts its pages being moved (it registers movable_operations, see
 * mm/migrate.c, or frees them soon): only such pages come from
 * ZONE_MOVABLE, and they fall back to ZONE_NORMAL when it is full.
 */
#define GFP_KERNEL	0x0U		/* unmovable: ZONE_NORMAL only */
#define __GFP_MOVABLE	0x1U		/* ZONE_MOVABLE first, then NORMAL */
#define GFP_MOVABLE	__GFP_MOVABLE	/* GFP_HIGHUSER_MOVABLE's intent */
#define __GFP_ZERO	0x2U
#define __GFP_NOWARN	0x4U

struct page *alloc_pages(unsigned int gfp, unsigned int order);
void free_pages(struct page *page, unsigned int order);
unsigned int alloc_pages_bulk(unsigned int gfp, unsigned int nr, struct page **out);
#define NORMAL_RESERVE_PAGES	1024	/* 4 MiB of ZONE_NORMAL bulk never takes */
void free_pages_bulk(struct page **pages, unsigned int n);
static inline struct page *alloc_page(unsigned int gfp) { return alloc_pages(gfp, 0); }
static inline void free_page(struct page *p) { free_pages(p, 0); }
phys_addr_t alloc_phys_pages(unsigned int gfp, unsigned int order);
void free_phys_pages(phys_addr_t pa, unsigned int order);
unsigned long nr_free_pages(void);
unsigned long zone_free_pages(enum zone_type z);

#endif
