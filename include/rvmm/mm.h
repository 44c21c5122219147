/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MM_H
#define RVMM_MM_H

/*
 * The memory model's core: the buddy allocator's internals, the vmemmap
 * and the sparse sections. Like Linux's mm.h it brings struct page
 * (mm_types.h), zones and sections (mmzone.h) and the allocator (gfp.h);
 * memblock.h and memory_hotplug.h are included where used.
 */
#include <rvmm/gfp.h>
#include <rvmm/mm_types.h>
#include <rvmm/mmzone.h>

/* ---- the buddy allocator's core (mm/page_alloc.c) ---- */

void __free_pages_core(struct page *page, unsigned int order);
void free_pfn_range_core(unsigned long pfn, unsigned long epfn);
void free_reserved_page(struct page *p);
void free_area_init(void);
/* All of [start, start + nr) free in the buddy? Else *busy_pfn (may be NULL). */
bool range_is_buddy_free(unsigned long start, unsigned long nr, unsigned long *busy_pfn);
unsigned long range_used_pages(unsigned long start, unsigned long nr);
int take_free_range(unsigned long start_pfn, unsigned long nr, unsigned long *busy_pfn);
bool page_is_buddy_free(unsigned long pfn);

/*
 * Pageblock isolation (Linux's MIGRATE_ISOLATE), per 2 MiB sub-block: the
 * free pages of an isolated range leave the free lists, and pages freed
 * inside it stay out (PG_isolated_free), so nothing in it is handed out.
 */
#define pageblock_nr_pages	SUBBLOCK_PAGES
int start_isolate_page_range(unsigned long start_pfn, unsigned long nr);
void undo_isolate_page_range(unsigned long start_pfn, unsigned long nr);
bool page_range_isolated(unsigned long pfn);
/* Up to @max movable pages of the isolated [*pfn, end); *pfn moves on. */
unsigned int isolated_range_collect(unsigned long *pfn, unsigned long end,
				    struct page **pages, unsigned int max);
/* Every page of the isolated range free? Else the first busy pfn. */
bool isolated_range_empty(unsigned long start_pfn, unsigned long nr, unsigned long *busy_pfn);
/* Take an isolated, empty range out of the buddy; ends its isolation. */
void take_isolated_range(unsigned long start_pfn, unsigned long nr);
extern bool mm_buddy_ready;		/* set once boot memory is in the buddy */

/* ---- vmemmap ---- */

/*
 * An alternative source for memmap blocks: the first pages of the memory
 * being added (memmap on memory) or of a device (ZONE_DEVICE). Fields as in
 * Linux's struct vmem_altmap.
 */
struct vmem_altmap {
	unsigned long base_pfn;	/* first pfn of the range */
	unsigned long end_pfn;	/* one past the range */
	unsigned long reserve;	/* pages at the start not usable for memmap */
	unsigned long free;	/* pages available for memmap */
	unsigned long align;	/* pages skipped to align allocations */
	unsigned long alloc;	/* pages handed out */
};

static inline unsigned long vmem_altmap_offset(const struct vmem_altmap *a)
{
	return a ? a->reserve + a->free : 0;
}

void *vmemmap_alloc_block_buf(unsigned long size, int node, struct vmem_altmap *altmap);
void *altmap_alloc_block_buf(unsigned long size, struct vmem_altmap *altmap);
/* The arch's (arch/riscv/mm/vmemmap.c); the rest is mm/sparse-vmemmap.c's. */
int vmemmap_populate(unsigned long start, unsigned long end, int node,
		     struct vmem_altmap *altmap);
void vmemmap_free(unsigned long start, unsigned long end, struct vmem_altmap *altmap);
int vmemmap_populate_basepages(unsigned long start, unsigned long end, int node,
			       struct vmem_altmap *altmap);
int vmemmap_populate_hugepages(unsigned long start, unsigned long end, int node,
			       struct vmem_altmap *altmap);
void vmemmap_free_block(phys_addr_t pa, unsigned long size, struct vmem_altmap *altmap);
void vmemmap_free_deferred(void);
void vmemmap_verify(phys_addr_t pa, int node, unsigned long start, unsigned long end);
/* Tests: counters of where vmemmap blocks came from. */
struct vmemmap_stats {
	unsigned long pmd_leaves, pte_leaves, from_altmap, from_memory;
	unsigned long altmap_seen;	/* calls that received the caller's altmap */
	unsigned long fallbacks;	/* PMD ranges that fell back to 4 KiB */
};
extern struct vmemmap_stats vmemmap_stats;

/* ---- sparse sections ---- */
int sparse_add_section(int nid, unsigned long start_pfn, unsigned long nr_pages,
		       struct vmem_altmap *altmap);
void sparse_remove_section(unsigned long start_pfn, unsigned long nr_pages,
			   struct vmem_altmap *altmap);
void sparse_init(void);
void init_page_range(unsigned long start_pfn, unsigned long nr, int nid,
		     enum zone_type zone, unsigned long flags);
unsigned long nr_present_sections(void);

/* Counters for the boot log and leak tests. */
extern unsigned long nr_memmap_pages;	/* boot RAM pages backing the memmap */

/* The memory model from memblock's map: sparse, buddy, then pt_ops' buddy phase. */
void mm_core_init(void);

#endif
