/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MEMREMAP_H
#define RVMM_MEMREMAP_H

/*
 * ZONE_DEVICE: struct pages for memory the page allocator never manages
 * (persistent memory, DAX), optionally as compound pages of
 * 1 << vmemmap_shift base pages.
 *
 * DAX vmemmap optimisation (Linux's "riscv: Enable DAX VMEMMAP
 * optimization"): all tail struct pages of a compound page are identical,
 * so of the vmemmap pages that describe one compound page only the first
 * two are real (the head with the first tails, and one page of tails);
 * every further vmemmap page maps that second page again, read-only. A 2 MiB compound page needs 2
 * vmemmap pages instead of 8, a 1 GiB one 2 instead of 4096.
 */
#include <rvmm/mm.h>

#define VMEMMAP_RESERVE_NR	2

struct dev_pagemap {
	phys_addr_t start;
	phys_addr_t size;
	unsigned int vmemmap_shift;	/* compound order; 0 = base pages */
	struct vmem_altmap *altmap;	/* memmap from the device itself */
	int nid;
	unsigned long nr_vmemmap_pages;	/* unique vmemmap data pages used */
};

int memremap_pages(struct dev_pagemap *pgmap);
void memunmap_pages(struct dev_pagemap *pgmap);
bool vmemmap_can_optimize(const struct vmem_altmap *altmap,
			  const struct dev_pagemap *pgmap);

static inline struct page *compound_head(struct page *page)
{
	unsigned long h = READ_ONCE(page->compound_head);

	return (h & 1) ? (struct page *)(h - 1) : page;
}

#endif
