// SPDX-License-Identifier: GPL-2.0
/*
 * The architecture's half of memory hotplug and the vmemmap: only the
 * leaves are written here; what backs them is decided in mm/. Portable C
 * (the host build runs it against the simulated page tables).
 */
#include <asm/pgtable.h>
#include <rvmm/mm.h>
#include <rvmm/ptdump.h>

unsigned long kernel_mappings_gen;

/*
 * The linear map of hot-added memory, with the largest leaves that fit.
 * Neither this nor arch_remove_memory() touches the kernel image's pages
 * (-EPERM): their alias stays read-only.
 */
int arch_add_memory(int nid, phys_addr_t start, phys_addr_t size)
{
	(void)nid;
	if (overlaps_kernel_image(start, size))
		return -EPERM;
	kernel_mappings_gen++;
	return create_pgd_mapping(swapper_pg_dir, lm_va(start), start, size, PAGE_KERNEL);
}

/*
 * Unmap, flush every hart, free the tables that became empty. -ENOMEM if
 * a huge leaf could not be split; then nothing was unmapped.
 */
int arch_remove_memory(phys_addr_t start, phys_addr_t size)
{
	if (overlaps_kernel_image(start, size))
		return -EPERM;
	kernel_mappings_gen++;
	return remove_pgd_mapping(swapper_pg_dir, lm_va(start), size);
}

int vmemmap_set_pmd(unsigned long addr, phys_addr_t pa)
{
	return set_leaf(swapper_pg_dir, addr, pa, PMD_LEVEL, PAGE_KERNEL);
}

int vmemmap_set_pte(unsigned long addr, phys_addr_t pa)
{
	return set_leaf(swapper_pg_dir, addr, pa, PTE_LEVEL, PAGE_KERNEL);
}

/* A read-only alias of a shared tail page (DAX vmemmap optimisation). */
int vmemmap_set_pte_ro(unsigned long addr, phys_addr_t pa)
{
	return set_leaf(swapper_pg_dir, addr, pa, PTE_LEVEL, PAGE_KERNEL_RO);
}

/* Level of the leaf mapping @addr (PMD_LEVEL, PTE_LEVEL), or -1. */
int vmemmap_leaf_level(unsigned long addr)
{
	int level;

	return walk_pgd(swapper_pg_dir, addr, &level, NULL) != WALK_NONE ? level : -1;
}
