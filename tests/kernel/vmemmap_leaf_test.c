// SPDX-License-Identifier: GPL-2.0
/*
 * The arch's vmemmap leaf query (asm/vmemmap.h) on the real page table:
 * the boot memmap's 2 MiB leaves, a 4 KiB leaf, nothing mapped, and the
 * DAX optimisation's shared tail (RAM kept out by mem= as the device).
 */
#include <asm/pgtable.h>
#include <asm/sections.h>
#include <asm/vmemmap.h>
#include <rvmm/boot.h>
#include <rvmm/fault-inject.h>
#include <rvmm/ktest.h>
#include <rvmm/memremap.h>
#include "../common/vmemmap_leaf_check.h"

static void vmemmap_leaf_boot_memmap(struct ktest *t)
{
	unsigned long va = (unsigned long)pfn_to_page(PHYS_PFN(__pa_symbol(_start)));
	struct vmemmap_leaf leaf;

	check_leaf(t, va, PMD_SIZE, false);
	/* The top of the physical space has no memory, so no memmap. */
	KEXPECT_EQ(t, vmemmap_leaf((unsigned long)pfn_to_page(MAX_PFN - 1), &leaf), -ENOENT);
	KEXPECT_EQ(t, leaf.size, 0);
	KEXPECT_GE(t, leaf.room, PMD_SIZE);
}

static bool device_range(struct ktest *t, phys_addr_t *base)
{
	*base = hotplug_test_ram(SECTION_SIZE, SECTION_SIZE, NULL);
	if (!*base)
		ktest_skip(t, "needs hot-pluggable RAM (boot with mem=)");
	return *base;
}

/* A memmap forced to 4 KiB pages shows 4 KiB leaves, all its own. */
static void vmemmap_leaf_4k(struct ktest *t)
{
	static struct dev_pagemap pg;
	phys_addr_t base;
	unsigned long va;

	if (!device_range(t, &base))
		return;
	pg = (struct dev_pagemap){ .start = base, .size = SECTION_SIZE };
	vmemmap_force_basepages = true;
	KASSERT_EQ(t, memremap_pages(&pg), 0);
	vmemmap_force_basepages = false;
	va = (unsigned long)pfn_to_page(PHYS_PFN(base));
	check_leaf(t, va, PAGE_SIZE, false);
	check_leaf(t, va + 300 * PAGE_SIZE, PAGE_SIZE, false);
	memunmap_pages(&pg);
}

/* DAX: the first two vmemmap pages are owned, the tails alias the second. */
static void vmemmap_leaf_dax_shared(struct ktest *t)
{
	static struct dev_pagemap pg;
	struct vmemmap_leaf real, tail;
	phys_addr_t base;
	unsigned long va;

	if (!device_range(t, &base))
		return;
	pg = (struct dev_pagemap){ .start = base, .size = SECTION_SIZE, .vmemmap_shift = 9 };
	KASSERT_EQ(t, memremap_pages(&pg), 0);
	va = (unsigned long)pfn_to_page(PHYS_PFN(base));
	check_leaf(t, va, PAGE_SIZE, false);
	check_leaf(t, va + PAGE_SIZE, PAGE_SIZE, false);
	check_leaf(t, va + 5 * PAGE_SIZE, PAGE_SIZE, true);
	KEXPECT_EQ(t, vmemmap_leaf(va + PAGE_SIZE, &real), 0);
	KEXPECT_EQ(t, vmemmap_leaf(va + 7 * PAGE_SIZE, &tail), 0);
	KEXPECT_EQ(t, tail.pa, real.pa);
	memunmap_pages(&pg);
	KEXPECT_EQ(t, vmemmap_leaf(va + 7 * PAGE_SIZE, &tail), -ENOENT);
}

KTEST_SUITE(vmemmap_leaf, true,
	KTEST_CASE(vmemmap_leaf_boot_memmap),
	KTEST_CASE(vmemmap_leaf_4k),
	KTEST_CASE(vmemmap_leaf_dax_shared));
