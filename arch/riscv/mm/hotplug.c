// SPDX-License-Identifier: GPL-2.0
/*
 * The linear map, of boot RAM and of hot-added memory, and the
 * architecture's half of memory hotplug and the vmemmap: only the leaves
 * are written here; what backs them is decided in mm/. Portable C (the
 * host build runs it against the simulated page tables).
 */
#include <asm/pgtable.h>
#include <asm/vmemmap.h>
#include <rvmm/init.h>
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/printk.h>
#include <rvmm/ptdump.h>

unsigned long kernel_mappings_gen;

/*
 * Boot RAM's linear map, with the largest leaves that fit (paging_init();
 * the host simulator runs the same).
 */
void __init map_linear(void)
{
	struct memblock_region *r;

	for_each_mem_region(r) {
		phys_addr_t base = r->base, size = r->size;
		int ret;

		if (r->flags & MEMBLOCK_NOMAP)
			continue;	/* "no-map": firmware's, stays unmapped */
		if (base + size > linear_map_limit())
			panic("RAM 0x%llx-0x%llx beyond the Sv%d linear map (%llu GiB)",
			      (unsigned long long)base, (unsigned long long)(base + size),
			      kl.va_bits, (unsigned long long)(linear_map_limit() >> 30));
		ret = create_pgd_mapping(swapper_pg_dir, lm_va(base), base, size,
					 PAGE_KERNEL);
		if (ret)
			panic("paging_init: linear map of 0x%llx failed (%d)",
			      (unsigned long long)base, ret);
	}
}

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

/*
 * One walk: to the leaf mapping @addr, or to the empty entry where the
 * walk ended, which vmemmap_set_*() resume from. A read-only leaf is a
 * DAX tail alias: its page belongs to the writable leaf before it.
 */
int vmemmap_leaf(unsigned long addr, struct vmemmap_leaf *leaf)
{
	int level;
	pte_t *table = walk_table(swapper_pg_dir, addr, &level);
	pte_t e = table[PT_INDEX(addr, level)];

	leaf->addr = addr;
	leaf->table = table;
	leaf->level = level;
	if (!pte_leaf(e)) {
		leaf->pa = 0;
		leaf->size = 0;
		leaf->shared = false;
		leaf->room = pte_none(e) ? PT_LEVEL_SIZE(level) : 0;
		return -ENOENT;
	}
	leaf->pa = pte_pfn(e) << PAGE_SHIFT;
	leaf->size = PT_LEVEL_SIZE(level);
	leaf->shared = !(e.pte & _PAGE_W);
	leaf->room = 0;
	return 0;
}

static int vmemmap_set(const struct vmemmap_leaf *hole, phys_addr_t pa, int level,
		       pgprot_t prot)
{
	return set_leaf_from(hole->table, hole->level, hole->addr, pa, level, prot);
}

int vmemmap_set_pmd(const struct vmemmap_leaf *hole, phys_addr_t pa)
{
	return vmemmap_set(hole, pa, PMD_LEVEL, PAGE_KERNEL);
}

int vmemmap_set_pte(const struct vmemmap_leaf *hole, phys_addr_t pa)
{
	return vmemmap_set(hole, pa, PTE_LEVEL, PAGE_KERNEL);
}

/* A read-only alias of a shared tail page (DAX vmemmap optimisation). */
int vmemmap_set_pte_ro(const struct vmemmap_leaf *hole, phys_addr_t pa)
{
	return vmemmap_set(hole, pa, PTE_LEVEL, PAGE_KERNEL_RO);
}

/* Is @pa in the linear map? (mhp_map_range() maps back only the holes.) */
bool arch_linear_mapped(phys_addr_t pa)
{
	return walk_pgd(swapper_pg_dir, lm_va(pa), NULL, NULL) != WALK_NONE;
}
