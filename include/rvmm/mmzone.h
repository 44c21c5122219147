/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MMZONE_H
#define RVMM_MMZONE_H

/*
 * Zones, the sparse section table and the virtually contiguous memmap
 * (Linux's mmzone.h with the SPARSEMEM_VMEMMAP memory model).
 */
#include <asm/page.h>
#include <rvmm/mm_types.h>

enum zone_type {
	ZONE_NORMAL,
	ZONE_MOVABLE,
	ZONE_DEVICE,
	MAX_NR_ZONES,
};

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

/* ---- zones: the buddy allocator's free lists ---- */

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

#endif
