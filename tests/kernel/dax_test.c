// SPDX-License-Identifier: GPL-2.0
/*
 * ZONE_DEVICE and the DAX vmemmap optimisation, on RAM kept out at boot
 * (mem=) standing in for a persistent-memory device.
 */
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <rvmm/boot.h>
#include <rvmm/fault-inject.h>
#include <rvmm/ktest.h>
#include <rvmm/memremap.h>
#include <rvmm/printk.h>
#include <rvmm/trap.h>

static bool dax_range(struct ktest *t, phys_addr_t want, phys_addr_t *base)
{
	*base = hotplug_test_ram(want, want, NULL);
	if (!*base)
		ktest_skip(t, "needs hot-pluggable RAM (boot with mem=)");
	return *base;
}

/* Every struct page resolves to its head; heads carry the order. */
static void check_compound(struct ktest *t, struct dev_pagemap *pg)
{
	unsigned long spfn = PHYS_PFN(pg->start), nr = PHYS_PFN(pg->size);
	unsigned long step = 1UL << pg->vmemmap_shift;

	for (unsigned long pfn = spfn; pfn < spfn + nr; pfn += 97) {
		struct page *head = pfn_to_page(ALIGN_DOWN(pfn, step));

		KEXPECT_TRUE(t, compound_head(pfn_to_page(pfn)) == head);
		KEXPECT_TRUE(t, pfn_to_page(pfn)->pgmap == pg);
		if (t->failed)
			return;
	}
	for (unsigned long pfn = spfn; pfn < spfn + nr; pfn += step) {
		KEXPECT_TRUE(t, test_page_flag(pfn_to_page(pfn), PG_head));
		KEXPECT_EQ(t, pfn_to_page(pfn)->order, pg->vmemmap_shift);
	}
}

static void dax_2m_compound(struct ktest *t)
{
	static struct dev_pagemap pg;
	unsigned long free0 = nr_free_pages();
	phys_addr_t base;

	if (!dax_range(t, SECTION_SIZE, &base))
		return;
	pg = (struct dev_pagemap){ .start = base, .size = SECTION_SIZE, .vmemmap_shift = 9 };
	KASSERT_EQ(t, memremap_pages(&pg), 0);
	KEXPECT_EQ(t, pg.nr_vmemmap_pages, SECTION_SIZE / PMD_SIZE * VMEMMAP_RESERVE_NR);
	check_compound(t, &pg);
	KEXPECT_EQ(t, page_zone(pfn_to_page(PHYS_PFN(base))), ZONE_DEVICE);
	/* Device pages never reach the page allocator. */
	KEXPECT_LE(t, nr_free_pages(), free0);
	memunmap_pages(&pg);
}

/* The shared tail page is mapped read-only past the first two. */
static void dax_shared_tails_read_only(struct ktest *t)
{
	static struct dev_pagemap pg;
	phys_addr_t base;
	struct page *tail;
	unsigned long v;

	if (!dax_range(t, SECTION_SIZE, &base))
		return;
	pg = (struct dev_pagemap){ .start = base, .size = SECTION_SIZE, .vmemmap_shift = 9 };
	KASSERT_EQ(t, memremap_pages(&pg), 0);
	tail = pfn_to_page(PHYS_PFN(base) + 300);	/* in vmemmap page 4 */
	KEXPECT_EQ(t, probe_read((unsigned long)tail, &v), 0);
	KEXPECT_EQ(t, probe_write((unsigned long)&tail->mops, 0), -EFAULT);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, (unsigned long)tail, NULL, NULL),
		   walk_pgd(swapper_pg_dir, (unsigned long)pfn_to_page(PHYS_PFN(base) + 64),
			    NULL, NULL) + 300 % 64 * sizeof(struct page));
	memunmap_pages(&pg);
}

static void dax_1g_compound(struct ktest *t)
{
	static struct dev_pagemap pg;
	phys_addr_t base;

	if (!dax_range(t, SZ_1G, &base))
		return;
	pg = (struct dev_pagemap){ .start = base, .size = SZ_1G, .vmemmap_shift = 18 };
	KASSERT_EQ(t, memremap_pages(&pg), 0);
	KEXPECT_EQ(t, pg.nr_vmemmap_pages, VMEMMAP_RESERVE_NR);
	check_compound(t, &pg);
	memunmap_pages(&pg);
}

/* Base pages or an altmap: no optimisation, a full memmap. */
static void dax_no_optimisation(struct ktest *t)
{
	static struct dev_pagemap pg;
	static struct vmem_altmap alt;
	phys_addr_t base;

	if (!dax_range(t, SECTION_SIZE, &base))
		return;
	pg = (struct dev_pagemap){ .start = base, .size = SECTION_SIZE };
	KEXPECT_TRUE(t, !vmemmap_can_optimize(NULL, &pg));
	KASSERT_EQ(t, memremap_pages(&pg), 0);
	KEXPECT_TRUE(t, pfn_to_page(PHYS_PFN(base) + 1000)->pgmap == &pg);
	memunmap_pages(&pg);
	alt = (struct vmem_altmap){ .base_pfn = PHYS_PFN(base), .free = SUBBLOCK_PAGES };
	pg = (struct dev_pagemap){ .start = base, .size = SECTION_SIZE, .vmemmap_shift = 9,
				   .altmap = &alt };
	KEXPECT_TRUE(t, !vmemmap_can_optimize(&alt, &pg));
	KASSERT_EQ(t, memremap_pages(&pg), 0);
	KEXPECT_EQ(t, alt.alloc, SUBBLOCK_PAGES);
	memunmap_pages(&pg);
	KEXPECT_EQ(t, alt.alloc, 0);
}

static void dax_fault_injection(struct ktest *t)
{
	static struct dev_pagemap pg;
	phys_addr_t base;
	int ret = -ENOMEM, n;

	if (!dax_range(t, SECTION_SIZE, &base))
		return;
	printk_quiet = 1;
	for (n = 1; ret && n < 400; n += 7) {
		unsigned long free = nr_free_pages(), pt = nr_pt_pages;

		pg = (struct dev_pagemap){ .start = base, .size = SECTION_SIZE,
					   .vmemmap_shift = 9 };
		fail_alloc_nth = n;
		ret = memremap_pages(&pg);
		fail_alloc_nth = 0;
		if (ret) {
			KEXPECT_EQ(t, nr_free_pages(), free);
			KEXPECT_EQ(t, nr_pt_pages, pt);
			KEXPECT_TRUE(t, !pfn_valid(PHYS_PFN(base)));
		}
	}
	printk_quiet = 0;
	KEXPECT_EQ(t, ret, 0);
	KEXPECT_GT(t, n, 8);	/* at least one injected failure */
	memunmap_pages(&pg);
}

KTEST_SUITE(dax, true,
	KTEST_CASE(dax_2m_compound),
	KTEST_CASE(dax_shared_tails_read_only),
	KTEST_CASE(dax_1g_compound),
	KTEST_CASE(dax_no_optimisation),
	KTEST_CASE(dax_fault_injection));
