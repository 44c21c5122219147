// SPDX-License-Identifier: GPL-2.0
/*
 * The sparse memory model: physical memory in 128 MiB sections, each with
 * its own 2 MiB of memmap in the vmemmap. A section is present when its
 * memmap exists; online_map has one bit per 2 MiB sub-block whose pages
 * belong to a zone.
 */
#include <string.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>

static unsigned long section_memmap_va(unsigned long pfn)
{
	return (unsigned long)pfn_to_page(ALIGN_DOWN(pfn, PAGES_PER_SECTION));
}

#define SECTION_MEMMAP_SIZE (PAGES_PER_SECTION * sizeof(struct page))

unsigned long nr_present_sections(void)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < NR_MEM_SECTIONS; i++)
		n += !!(mem_section[i].flags & SECTION_PRESENT);
	return n;
}

/* Add a section's memmap; the caller holds the hotplug lock. */
int sparse_add_section(int nid, unsigned long start_pfn, unsigned long nr_pages,
		       struct vmem_altmap *altmap)
{
	struct mem_section *ms = __pfn_to_section(start_pfn);
	unsigned long va = section_memmap_va(start_pfn);
	int ret;

	if (nr_pages != PAGES_PER_SECTION || !IS_ALIGNED(start_pfn, PAGES_PER_SECTION))
		return -EINVAL;
	if (ms->flags & SECTION_PRESENT)
		return -EEXIST;
	ret = vmemmap_populate(va, va + SECTION_MEMMAP_SIZE, nid, altmap);
	if (ret)
		return ret;
	ms->flags = SECTION_PRESENT | (altmap ? SECTION_MEMMAP_ON_MEM : 0);
	ms->nid = nid;
	ms->online_map = 0;
	ms->nr_vmemmap = altmap ? altmap->alloc + altmap->align : 0;
	return 0;
}

void sparse_remove_section(unsigned long start_pfn, unsigned long nr_pages,
			   struct vmem_altmap *altmap)
{
	struct mem_section *ms = __pfn_to_section(start_pfn);
	unsigned long va = section_memmap_va(start_pfn);

	(void)nr_pages;
	vmemmap_free(va, va + SECTION_MEMMAP_SIZE, altmap);
	memset(ms, 0, sizeof(*ms));
}

/* Mark the pages of [base, end) that have a memmap; holes go a section at a time. */
static void mark_reserved(phys_addr_t base, phys_addr_t end)
{
	unsigned long pfn = PHYS_PFN(base), epfn = PHYS_PFN(ALIGN(end, PAGE_SIZE));

	while (pfn < epfn) {
		unsigned long next = min(ALIGN(pfn + 1, PAGES_PER_SECTION), epfn);

		if (pfn_valid(pfn))
			for (unsigned long p = pfn; p < next; p++)
				set_page_flag(pfn_to_page(p), PG_reserved);
		pfn = next;
	}
}

/*
 * Boot: a memmap for every section that holds RAM, from memblock, zeroed
 * (zone Normal, node 0, no flags: a free page's struct needs nothing
 * more). Then everything that must never reach the buddy is marked
 * reserved: memblock reservations (kernel, DTB, firmware, the memmap
 * itself), no-map RAM, and the parts of sections that are not RAM.
 */
void sparse_init(void)
{
	struct memblock_region *r;
	phys_addr_t prev_end;

	for_each_mem_region(r) {
		unsigned long spfn = ALIGN_DOWN(PHYS_PFN(r->base), PAGES_PER_SECTION);

		for (unsigned long pfn = spfn; pfn < PHYS_PFN(r->base + r->size);
		     pfn += PAGES_PER_SECTION) {
			struct mem_section *ms = __pfn_to_section(pfn);
			unsigned long va = section_memmap_va(pfn);

			if (ms->flags & SECTION_PRESENT)
				continue;
			if (vmemmap_populate(va, va + SECTION_MEMMAP_SIZE, 0, NULL))
				panic("sparse_init: no memory for the memmap of section %lu",
				      pfn_to_section_nr(pfn));
			ms->flags = SECTION_PRESENT | SECTION_ONLINE | SECTION_EARLY;
			ms->online_map = ~0ULL;
		}
	}
	prev_end = 0;
	for_each_mem_region(r) {
		if (r->flags & MEMBLOCK_NOMAP)
			mark_reserved(r->base, r->base + r->size);
		/* Holes between regions inside a present section. */
		if (prev_end)
			mark_reserved(prev_end, r->base);
		prev_end = r->base + r->size;
	}
	if (prev_end)	/* tail of the last section */
		mark_reserved(prev_end, ALIGN(prev_end, SECTION_SIZE));
	mark_reserved(ALIGN_DOWN(memblock.memory.regions[0].base, SECTION_SIZE),
		      memblock.memory.regions[0].base);
	for (unsigned long i = 0; i < memblock.reserved.cnt; i++) {
		struct memblock_region *rs = &memblock.reserved.regions[i];

		mark_reserved(rs->base, rs->base + rs->size);
	}
	for_each_mem_region(r)
		if (!(r->flags & MEMBLOCK_NOMAP))
			zones[ZONE_NORMAL].present_pages +=
				PHYS_PFN(r->base + r->size) - PHYS_PFN(r->base);
}
