// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the arch's vmemmap leaf query (asm/vmemmap.h), the only
 * page-table knowledge generic mm/ uses: a 2 MiB leaf and a 4 KiB one,
 * a DAX tail that is shared and not the range's own, the room an empty
 * entry leaves, and a set that resumes where the query stopped.
 */
#include <rvmm/memremap.h>
#include "hosttest.h"
#include "../common/vmemmap_leaf_check.h"

#define HOT_BASE	GB(6)

static void vl_pmd_and_pte_leaves(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		unsigned long s = 0, e = 0;
		struct vmemmap_leaf leaf;
		struct mm_snap s0;

		sim_boot_simple(sim_modes[m], SZ_1G);
		mm_snap_take(&s0);
		for (int base = 0; base < 2 && !t->failed; base++) {
			s = vmemmap_va(HOT_BASE + base * SECTION_SIZE);
			e = s + PMD_SIZE;
			vmemmap_force_basepages = base;
			KASSERT_EQ(t, vmemmap_populate(s, e, 0, NULL), 0);
			arch_sync_kernel_mappings(s, e);
			check_leaf(t, s, base ? PAGE_SIZE : PMD_SIZE, false);
			check_leaf(t, s + 5 * PAGE_SIZE + 64, base ? PAGE_SIZE : PMD_SIZE, false);
		}
		vmemmap_force_basepages = false;
		/* Nothing mapped: no table below the PMD either, so a 2 MiB leaf fits. */
		KEXPECT_EQ(t, vmemmap_leaf(e, &leaf), -ENOENT);
		KEXPECT_EQ(t, leaf.size, 0);
		KEXPECT_GE(t, leaf.room, PMD_SIZE);
		vmemmap_free(vmemmap_va(HOT_BASE), e, NULL);
		KEXPECT_EQ(t, vmemmap_leaf(vmemmap_va(HOT_BASE), &leaf), -ENOENT);
		EXPECT_PT_CONSISTENT(t);
		EXPECT_SNAP_EQ(t, s0);
		if (t->failed)
			printk("    # Sv%d\n", sim_modes[m]);
	}
}

/* Real vmemmap pages of a compound page are owned; the tail alias is shared. */
static void vl_dax_shared_tail(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		struct dev_pagemap pg = { .start = HOT_BASE, .size = SECTION_SIZE,
					  .vmemmap_shift = 9 };
		unsigned long s;
		struct vmemmap_leaf real, tail;
		struct mm_snap s0;

		sim_boot_simple(sim_modes[m], SZ_1G);
		mm_snap_take(&s0);
		s = vmemmap_va(pg.start);
		KASSERT_EQ(t, memremap_pages(&pg), 0);
		check_leaf(t, s, PAGE_SIZE, false);
		check_leaf(t, s + PAGE_SIZE, PAGE_SIZE, false);
		for (unsigned long i = VMEMMAP_RESERVE_NR; i < 8; i++)
			check_leaf(t, s + i * PAGE_SIZE, PAGE_SIZE, true);
		/* Every tail aliases the compound page's second, owned page. */
		KASSERT_EQ(t, vmemmap_leaf(s + PAGE_SIZE, &real), 0);
		KASSERT_EQ(t, vmemmap_leaf(s + 7 * PAGE_SIZE, &tail), 0);
		KEXPECT_EQ(t, tail.pa, real.pa);
		memunmap_pages(&pg);
		KEXPECT_EQ(t, vmemmap_leaf(s + 7 * PAGE_SIZE, &tail), -ENOENT);
		EXPECT_PT_CONSISTENT(t);
		EXPECT_SNAP_EQ(t, s0);
		if (t->failed)
			printk("    # Sv%d\n", sim_modes[m]);
	}
}

/*
 * A set resumes from the query's hole: tables are allocated from there
 * down, and a hole with no room for the leaf is refused, changing nothing.
 */
static void vl_set_from_hole(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		unsigned long s;
		struct vmemmap_leaf hole, pte_hole;
		struct mm_snap s0;
		phys_addr_t pa;
		unsigned long pt0;
		int missing;

		sim_boot_simple(sim_modes[m], SZ_1G);
		mm_snap_take(&s0);
		s = vmemmap_va(HOT_BASE);
		pa = alloc_phys_pages(GFP_KERNEL, 0);
		KASSERT_NE(t, pa, 0);
		KASSERT_EQ(t, vmemmap_leaf(s + PAGE_SIZE, &hole), -ENOENT);
		missing = sim_missing_tables(s, PTE_LEVEL);
		pt0 = nr_pt_pages;
		KEXPECT_EQ(t, vmemmap_set_pte(&hole, pa), 0);
		KEXPECT_EQ(t, nr_pt_pages - pt0, (unsigned long)missing);
		check_leaf(t, s + PAGE_SIZE, PAGE_SIZE, false);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, s + PAGE_SIZE, NULL, NULL), pa);
		/* Under that PTE table a 2 MiB leaf has no room. */
		KASSERT_EQ(t, vmemmap_leaf(s, &pte_hole), -ENOENT);
		KEXPECT_EQ(t, pte_hole.room, PAGE_SIZE);
		pt0 = nr_pt_pages;
		KEXPECT_EQ(t, vmemmap_set_pmd(&pte_hole, pa), -EEXIST);
		KEXPECT_EQ(t, nr_pt_pages, pt0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, s, NULL, NULL), WALK_NONE);
		vmemmap_free(s, s + PMD_SIZE, NULL);
		KEXPECT_EQ(t, vmemmap_leaf(s + PAGE_SIZE, &hole), -ENOENT);
		EXPECT_PT_CONSISTENT(t);
		EXPECT_SNAP_EQ(t, s0);
		if (t->failed)
			printk("    # Sv%d\n", sim_modes[m]);
	}
}

/* pt_ops with its virt counted: every table a walk steps into is one call. */
static const struct pt_ops *real_ops;
static struct pt_ops counting_ops;
static unsigned long nr_tables_walked;

static void *counting_virt(phys_addr_t pa)
{
	nr_tables_walked++;
	return real_ops->virt(pa);
}

static void count_walks(bool on)
{
	if (on) {
		real_ops = pt_ops;
		counting_ops = *pt_ops;
		counting_ops.virt = counting_virt;
		pt_ops = &counting_ops;
		nr_tables_walked = 0;
	} else {
		pt_ops = real_ops;
	}
}

/*
 * One walk per leaf: with the tables above it in place, a 2 MiB leaf
 * steps into the levels - 2 tables between the root and its PMD once (the
 * query), not twice; each further 4 KiB leaf under a PTE table into
 * levels - 1.
 */
static void vl_one_walk_per_leaf(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		unsigned long s, walked;
		struct mm_snap s0;

		sim_boot_simple(sim_modes[m], SZ_1G);
		mm_snap_take(&s0);
		s = vmemmap_va(HOT_BASE);
		KASSERT_EQ(t, vmemmap_populate(s, s + PMD_SIZE, 0, NULL), 0);
		count_walks(true);
		KEXPECT_EQ(t, vmemmap_populate_hugepages(s + PMD_SIZE, s + 2 * PMD_SIZE, 0, NULL), 0);
		walked = nr_tables_walked;
		count_walks(false);
		KEXPECT_EQ(t, walked, (unsigned long)kl.levels - 2);
		KASSERT_EQ(t, vmemmap_populate_basepages(s + 2 * PMD_SIZE, s + 2 * PMD_SIZE + PAGE_SIZE,
							 0, NULL), 0);
		count_walks(true);
		KEXPECT_EQ(t, vmemmap_populate_basepages(s + 2 * PMD_SIZE + PAGE_SIZE,
							 s + 2 * PMD_SIZE + 5 * PAGE_SIZE, 0, NULL), 0);
		walked = nr_tables_walked;
		count_walks(false);
		KEXPECT_EQ(t, walked, 4 * ((unsigned long)kl.levels - 1));
		arch_sync_kernel_mappings(s, s + 3 * PMD_SIZE);
		vmemmap_free(s, s + 3 * PMD_SIZE, NULL);
		EXPECT_PT_CONSISTENT(t);
		EXPECT_SNAP_EQ(t, s0);
		if (t->failed)
			printk("    # Sv%d\n", sim_modes[m]);
	}
}

KTEST_SUITE(host_vmemmap_leaf, false,
	KTEST_CASE(vl_pmd_and_pte_leaves),
	KTEST_CASE(vl_dax_shared_tail),
	KTEST_CASE(vl_set_from_hole),
	KTEST_CASE(vl_one_walk_per_leaf));
