// SPDX-License-Identifier: GPL-2.0
/*
 * ZONE_DEVICE pages with the DAX vmemmap optimisation (see memremap.h).
 * The range gets a linear map and a memmap like hot-added memory, but its
 * pages never reach the buddy: they belong to the device's driver.
 */
#include <string.h>
#include <asm/page.h>
#include <asm/tlbflush.h>
#include <asm/vmemmap.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/memremap.h>
#include <rvmm/printk.h>

/*
 * Linux's __vmemmap_can_optimize(): worth it only for compound pages whose
 * memmap spans more than the two pages kept, with a power-of-two struct
 * page, and not when the memmap comes from an altmap (the device's own
 * memory is already paying for it).
 */
bool vmemmap_can_optimize(const struct vmem_altmap *altmap,
			  const struct dev_pagemap *pgmap)
{
	unsigned long nr_vmemmap;

	if (!pgmap || !is_power_of_2(sizeof(struct page)))
		return false;
	nr_vmemmap = ((1UL << pgmap->vmemmap_shift) * sizeof(struct page)) >> PAGE_SHIFT;
	return !altmap && nr_vmemmap > VMEMMAP_RESERVE_NR;
}

/*
 * Fill real vmemmap page @i of the compound page at @head through its
 * linear-map address @p: the vmemmap address is not usable before the
 * range is synced, and this way one sync serves the whole range.
 */
static void init_compound_memmap(struct page *p, unsigned long i, struct page *head,
				 struct dev_pagemap *pgmap)
{
	const unsigned long per_page = PAGE_SIZE / sizeof(struct page);

	for (unsigned long j = 0; j < per_page; j++, p++) {
		p->pgmap = pgmap;
		if (i || j) {
			p->compound_head = (unsigned long)head | 1;
			continue;
		}
		set_page_flag(p, PG_head);
		p->order = pgmap->vmemmap_shift;
		p->refcount = 1;
	}
}

/* One compound page: two real vmemmap pages, the rest alias the second. */
static int populate_compound(unsigned long head_pfn, struct dev_pagemap *pgmap)
{
	unsigned long nr = 1UL << pgmap->vmemmap_shift;
	unsigned long va = (unsigned long)pfn_to_page(head_pfn);
	unsigned long nr_vm = nr * sizeof(struct page) / PAGE_SIZE;
	phys_addr_t reuse = 0;

	for (unsigned long i = 0; i < nr_vm; i++) {
		struct vmemmap_leaf hole;
		int ret;

		if (!vmemmap_leaf(va + i * PAGE_SIZE, &hole))
			return -EEXIST;
		if (i < VMEMMAP_RESERVE_NR) {
			void *p = vmemmap_alloc_block_buf(PAGE_SIZE, pgmap->nid, NULL);

			if (!p)
				return -ENOMEM;
			ret = vmemmap_set_pte(&hole, __pa(p));
			if (ret) {
				free_phys_pages(__pa(p), 0);
				return ret;
			}
			pgmap->nr_vmemmap_pages++;
			reuse = __pa(p);
			/* Filled before any alias of it exists. */
			init_compound_memmap(p, i, pfn_to_page(head_pfn), pgmap);
			continue;
		}
		ret = vmemmap_set_pte_ro(&hole, reuse);
		if (ret)
			return ret;
	}
	return 0;	/* the caller syncs the range once */
}

static int populate_plain(unsigned long pfn, unsigned long nr, struct dev_pagemap *pgmap)
{
	unsigned long va = (unsigned long)pfn_to_page(pfn);
	int ret = vmemmap_populate(va, va + nr * sizeof(struct page), pgmap->nid,
				   pgmap->altmap);

	if (ret)
		return ret;
	for (unsigned long i = 0; i < nr; i++)
		pfn_to_page(pfn + i)->pgmap = pgmap;
	return 0;
}

static void set_sections(struct dev_pagemap *pgmap, bool present)
{
	for (phys_addr_t a = pgmap->start; a < pgmap->start + pgmap->size; a += SECTION_SIZE) {
		struct mem_section *ms = __pfn_to_section(PHYS_PFN(a));

		if (!present) {
			memset(ms, 0, sizeof(*ms));
			continue;
		}
		ms->flags = SECTION_PRESENT | SECTION_DEVICE;
		ms->zone = ZONE_DEVICE;
		ms->nid = pgmap->nid;
	}
}

static void unmap_memmap(struct dev_pagemap *pgmap)
{
	unsigned long s = (unsigned long)pfn_to_page(PHYS_PFN(pgmap->start));
	unsigned long e = (unsigned long)pfn_to_page(PHYS_PFN(pgmap->start + pgmap->size));

	vmemmap_free(s, e, pgmap->altmap);
}

int memremap_pages(struct dev_pagemap *pgmap)
{
	unsigned long spfn = PHYS_PFN(pgmap->start), nr = PHYS_PFN(pgmap->size);
	unsigned long step = 1UL << pgmap->vmemmap_shift;
	char why[96];
	int ret;

	if (pgmap->vmemmap_shift > PUD_SHIFT - PAGE_SHIFT ||
	    !IS_ALIGNED(spfn | nr, step)) {
		pr_err("memremap_pages: compound order %u does not fit the range\n",
		       pgmap->vmemmap_shift);
		return -EINVAL;
	}
	mem_hotplug_begin();
	if (!mhp_range_allowed(pgmap->start, pgmap->size, why, sizeof(why))) {
		pr_err("memremap_pages: [0x%llx-0x%llx]: %s\n",
		       (unsigned long long)pgmap->start,
		       (unsigned long long)(pgmap->start + pgmap->size - 1), why);
		ret = -EINVAL;
		goto out;
	}
	ret = arch_add_memory(pgmap->nid, pgmap->start, pgmap->size);
	if (ret)
		goto out;
	pgmap->nr_vmemmap_pages = 0;
	if (vmemmap_can_optimize(pgmap->altmap, pgmap)) {
		for (unsigned long pfn = spfn; pfn < spfn + nr && !ret; pfn += step)
			ret = populate_compound(pfn, pgmap);
		if (ret)
			unmap_memmap(pgmap);
	} else {
		ret = populate_plain(spfn, nr, pgmap);	/* undoes itself on failure */
	}
	if (ret) {
		pr_err("memremap_pages: memmap failed (%d), rolled back\n", ret);
		arch_remove_memory(pgmap->start, pgmap->size);
		goto out;
	}
	/* One sync for the linear map and the memmap (see add_memory()). */
	arch_sync_kernel_mappings((unsigned long)pfn_to_page(spfn),
				  (unsigned long)pfn_to_page(spfn + nr));
	set_sections(pgmap, true);
out:
	mem_hotplug_done();
	return ret;
}

void memunmap_pages(struct dev_pagemap *pgmap)
{
	mem_hotplug_begin();
	set_sections(pgmap, false);
	arch_unmap_batch_begin();
	unmap_memmap(pgmap);
	arch_remove_memory(pgmap->start, pgmap->size);
	arch_unmap_batch_end((unsigned long)pfn_to_page(PHYS_PFN(pgmap->start)),
			     (unsigned long)pfn_to_page(PHYS_PFN(pgmap->start + pgmap->size)));
	vmemmap_free_deferred();
	mem_hotplug_done();
}
