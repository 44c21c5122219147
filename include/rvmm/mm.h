/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MM_H
#define RVMM_MM_H

/*
 * The memory model: struct page, zones, the sparse section table, the
 * buddy allocator and memory hotplug. Names follow Linux where the concept
 * is the same.
 */
#include <rvmm/types.h>
#include <rvmm/list.h>
#include <asm/pgtable.h>

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

enum zone_type {
	ZONE_NORMAL,
	ZONE_MOVABLE,
	ZONE_DEVICE,
	MAX_NR_ZONES,
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

/* ---- sparse memory model: 128 MiB sections ---- */

#define SECTION_SIZE_BITS	27
#define PFN_SECTION_SHIFT	(SECTION_SIZE_BITS - PAGE_SHIFT)
#define PAGES_PER_SECTION	(1UL << PFN_SECTION_SHIFT)
#define SECTION_SIZE		(1UL << SECTION_SIZE_BITS)
#define NR_MEM_SECTIONS		(1UL << (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS))
#define MAX_PFN			(NR_MEM_SECTIONS * PAGES_PER_SECTION)
#define pfn_to_section_nr(pfn)	((pfn) >> PFN_SECTION_SHIFT)
#define section_nr_to_pfn(nr)	((unsigned long)(nr) << PFN_SECTION_SHIFT)

#define SECTION_PRESENT		(1U << 0)	/* memmap exists */
#define SECTION_ONLINE		(1U << 1)	/* pages belong to a zone */
#define SECTION_EARLY		(1U << 2)	/* boot memory, not removable */
#define SECTION_MEMMAP_ON_MEM	(1U << 3)	/* memmap carved from itself */
#define SECTION_DEVICE		(1U << 4)	/* ZONE_DEVICE (memremap_pages) */

/* One bit per 2 MiB sub-block: the unit of online/offline (virtio-mem). */
#define SUBBLOCK_PAGES		(PMD_SIZE >> PAGE_SHIFT)
#define SUBBLOCKS_PER_SECTION	(PAGES_PER_SECTION / SUBBLOCK_PAGES)

struct mem_section {
	u32 flags;
	u16 nid;
	u16 zone;		/* zone of the online sub-blocks */
	u64 online_map;		/* sub-blocks whose pages are in the buddy */
	u64 isolate_map;	/* sub-blocks isolated (start_isolate_page_range) */
	u32 nr_vmemmap;		/* leading pages backing the memmap (altmap) */
	u32 state;		/* enum memory_block_state */
};
_Static_assert(SUBBLOCKS_PER_SECTION == 64, "online_map is one u64");
extern struct mem_section mem_section[NR_MEM_SECTIONS];

static inline struct mem_section *__pfn_to_section(unsigned long pfn)
{
	return &mem_section[pfn_to_section_nr(pfn)];
}

static inline bool pfn_valid(unsigned long pfn)
{
	return pfn_to_section_nr(pfn) < NR_MEM_SECTIONS &&
	       (__pfn_to_section(pfn)->flags & SECTION_PRESENT);
}

/* The virtually contiguous memmap: arithmetic only. */
#define vmemmap			((struct page *)kl.vmemmap_start)
#define pfn_to_page(pfn)	(vmemmap + (pfn))
#define page_to_pfn(page)	((unsigned long)((page) - vmemmap))
#define PFN_PHYS(pfn)		((phys_addr_t)(pfn) << PAGE_SHIFT)
#define PHYS_PFN(pa)		((unsigned long)((pa) >> PAGE_SHIFT))
#define page_to_phys(p)		PFN_PHYS(page_to_pfn(p))
#define virt_to_page(v)		pfn_to_page(PHYS_PFN(__pa(v)))
#define page_address(p)		__va(page_to_phys(p))

/* All online pages of a section belong to one zone, recorded there. */
static inline enum zone_type page_zone(const struct page *page)
{
	return (enum zone_type)__pfn_to_section(page_to_pfn(page))->zone;
}

/* ---- memblock: the boot-time allocator ---- */

#define MEMBLOCK_MAX_REGIONS	128
#define MEMBLOCK_NOMAP		(1U << 0)
#define MEMBLOCK_ALLOC_ANYWHERE	(~(phys_addr_t)0)

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	u32 flags;
};

struct memblock_type {
	unsigned long cnt;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
	const char *name;
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
	phys_addr_t current_limit;
};
extern struct memblock memblock;

void memblock_reset(void);
int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_remove(phys_addr_t base, phys_addr_t size);
int memblock_reserve(phys_addr_t base, phys_addr_t size);
int memblock_free(phys_addr_t base, phys_addr_t size);
int memblock_mark_nomap(phys_addr_t base, phys_addr_t size);
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end);
phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align);
bool memblock_is_memory(phys_addr_t addr);
bool memblock_overlaps_memory(phys_addr_t base, phys_addr_t size);
bool memblock_overlaps_reserved(phys_addr_t base, phys_addr_t size);
bool memblock_is_reserved(phys_addr_t addr);
phys_addr_t memblock_phys_mem_size(void);
phys_addr_t memblock_reserved_size(void);
phys_addr_t memblock_end_of_DRAM(void);
void memblock_dump(void);

#define for_each_mem_region(r) \
	for (r = memblock.memory.regions; r < memblock.memory.regions + memblock.memory.cnt; r++)

/* ---- zones and the buddy allocator ---- */

#define MAX_ORDER		10	/* orders 0..10: 4 KiB .. 4 MiB */
#define NR_ORDERS		(MAX_ORDER + 1)

struct zone {
	const char *name;
	struct list_head free_area[NR_ORDERS];
	unsigned long nr_free_area[NR_ORDERS];
	unsigned long free_pages;
	unsigned long managed_pages;
	unsigned long present_pages;
};
extern struct zone zones[MAX_NR_ZONES];

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

void __free_pages_core(struct page *page, unsigned int order);
void free_pfn_range_core(unsigned long pfn, unsigned long epfn);
void free_reserved_page(struct page *p);
void free_area_init(void);
void memblock_free_all(void);
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
int vmemmap_populate(unsigned long start, unsigned long end, int node,
		     struct vmem_altmap *altmap);
int vmemmap_populate_basepages(unsigned long start, unsigned long end, int node,
			       struct vmem_altmap *altmap);
int vmemmap_populate_hugepages(unsigned long start, unsigned long end, int node,
			       struct vmem_altmap *altmap);
void vmemmap_free(unsigned long start, unsigned long end, struct vmem_altmap *altmap);
void vmemmap_free_deferred(void);
void vmemmap_verify(phys_addr_t pa, int node, unsigned long start, unsigned long end);
/* Tests: counters of where vmemmap blocks came from. */
struct vmemmap_stats {
	unsigned long pmd_leaves, pte_leaves, from_altmap, from_memory;
	unsigned long altmap_seen;	/* calls that received the caller's altmap */
	unsigned long fallbacks;	/* PMD ranges that fell back to 4 KiB */
};
extern struct vmemmap_stats vmemmap_stats;

/* arch hooks for the vmemmap (arch/riscv/mm/hotplug.c) */
int vmemmap_set_pmd(unsigned long addr, phys_addr_t pa);
int vmemmap_set_pte(unsigned long addr, phys_addr_t pa);
int vmemmap_set_pte_ro(unsigned long addr, phys_addr_t pa);
int vmemmap_leaf_level(unsigned long addr);

/* ---- page-table page allocation across boot phases ---- */
phys_addr_t pt_alloc_page(void);
void pt_free_page(phys_addr_t pa);
void pt_ops_use_memblock(void);
void pt_ops_use_buddy(void);

/* ---- sparse sections ---- */
int sparse_add_section(int nid, unsigned long start_pfn, unsigned long nr_pages,
		       struct vmem_altmap *altmap);
void sparse_remove_section(unsigned long start_pfn, unsigned long nr_pages,
			   struct vmem_altmap *altmap);
void sparse_init(void);
void init_page_range(unsigned long start_pfn, unsigned long nr, int nid,
		     enum zone_type zone, unsigned long flags);
unsigned long nr_present_sections(void);

/* ---- memory hotplug (mm/memory_hotplug.c) ---- */
#define MHP_NONE		0
#define MHP_MEMMAP_ON_MEMORY	(1U << 0)

enum memory_block_state {
	MEM_OFFLINE,
	MEM_ONLINE,
	MEM_GOING_OFFLINE,
};

/*
 * Add the sections of [start, start + size) with only [start, start +
 * plugged) in the linear map: a driver whose device plugs part of a memory
 * block (virtio-mem) maps the rest itself once it is plugged
 * (mhp_map_range()). remove_memory() takes the whole range.
 */
int add_memory_plugged(int nid, phys_addr_t start, phys_addr_t size, phys_addr_t plugged,
		       unsigned int flags);

static inline int add_memory(int nid, phys_addr_t start, phys_addr_t size, unsigned int flags)
{
	return add_memory_plugged(nid, start, size, size, flags);
}

int remove_memory(phys_addr_t start, phys_addr_t size);
int online_pages(unsigned long pfn, unsigned long nr_pages, enum zone_type zone);
int offline_pages(unsigned long pfn, unsigned long nr_pages);
int online_memory_block(phys_addr_t start);
int mhp_unmap_range(phys_addr_t start, phys_addr_t size);
int mhp_map_range(phys_addr_t start, phys_addr_t size);
int offline_memory_block(phys_addr_t start);
enum memory_block_state memory_block_state(phys_addr_t start);
void memory_block_dump(void);
/*
 * Pages at the start of @pfn's section that hold its own memmap
 * (MHP_MEMMAP_ON_MEMORY; 0 otherwise): they are never onlined. Inline: a
 * driver asks it for every piece of every block it onlines.
 */
static inline unsigned long memmap_on_memory_pages(unsigned long pfn)
{
	return __pfn_to_section(pfn)->nr_vmemmap;
}
int arch_add_memory(int nid, phys_addr_t start, phys_addr_t size);
int arch_remove_memory(phys_addr_t start, phys_addr_t size);
bool mhp_range_allowed(phys_addr_t start, phys_addr_t size, char *why, size_t len);
extern enum zone_type default_online_zone;
void mem_hotplug_begin(void);
void mem_hotplug_done(void);
extern unsigned long mem_hotplug_seq;	/* bumped by every online/offline */
/* Physical ranges that are not RAM (MMIO): hot-add must not overlap them. */
int iomem_register(phys_addr_t base, phys_addr_t size, const char *name);
const char *iomem_overlaps(phys_addr_t base, phys_addr_t size);
bool iomem_contains(phys_addr_t base, phys_addr_t size);

/* Counters for the boot log and leak tests. */
extern unsigned long nr_memmap_pages;	/* boot RAM pages backing the memmap */

#endif
