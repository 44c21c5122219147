// SPDX-License-Identifier: GPL-2.0
/*
 * vmemmap_populate() and vmemmap_free(): the hooks generic mm calls for a
 * range of the memmap (as in Linux's arch/riscv/mm/init.c). The policy of
 * what backs each piece stays in mm/sparse-vmemmap.c; this file only
 * knows how the range is mapped, one query per leaf. Portable C.
 */
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <asm/vmemmap.h>
#include <rvmm/mm.h>

/*
 * All-or-nothing: callers populate only ranges that had no memmap (a
 * section's memmap is exactly one aligned 2 MiB range), so undoing the
 * whole range undoes exactly this call. Like create_pgd_mapping(), it
 * fences this hart only; the hotplug operation syncs once at its end.
 */
int vmemmap_populate(unsigned long start, unsigned long end, int node,
		     struct vmem_altmap *altmap)
{
	int ret = vmemmap_populate_hugepages(start, end, node, altmap);

	if (ret) {
		vmemmap_free(start, end, altmap);
		return ret;
	}
	local_flush_tlb_kernel_range(start, end);
	return 0;
}

/*
 * A batch of blocks noted by vmemmap_free(): page-aligned addresses, bit 0
 * set for a 2 MiB block. Room for a whole PTE table beyond the half-full
 * mark, so that a batch never ends inside a PMD range.
 */
#define VMEMMAP_FREE_BATCH	(2 * PTRS_PER_PT)
#define VMEMMAP_BLOCK_PMD	1UL

/* Unmap [start, end) (one walk, one flush), then give back its blocks. */
static void vmemmap_unmap_blocks(unsigned long start, unsigned long end,
				 const phys_addr_t *blocks, unsigned long nr,
				 struct vmem_altmap *altmap)
{
	if (start == end)
		return;
	remove_pgd_mapping(swapper_pg_dir, start, end - start);
	for (unsigned long i = 0; i < nr; i++) {
		phys_addr_t pa = blocks[i] & PAGE_MASK;
		unsigned long size = blocks[i] & VMEMMAP_BLOCK_PMD ? PMD_SIZE : PAGE_SIZE;

		vmemmap_free_block(pa, size, altmap);
	}
}

/*
 * Note the blocks of the leaves in [addr, next), at most one PMD range,
 * that are this range's own (a shared DAX tail is not); returns the new
 * count. One query per leaf; an empty PMD range costs one query.
 */
static unsigned long note_blocks(unsigned long addr, unsigned long next,
				 phys_addr_t *blocks, unsigned long nr)
{
	struct vmemmap_leaf leaf;

	for (; addr < next; addr += PAGE_SIZE) {
		if (vmemmap_leaf(addr, &leaf)) {
			if (leaf.room >= PMD_SIZE)
				return nr;
			continue;
		}
		if (leaf.size == PMD_SIZE) {
			blocks[nr++] = leaf.pa | VMEMMAP_BLOCK_PMD;
			return nr;
		}
		if (!leaf.shared)
			blocks[nr++] = leaf.pa;
	}
	return nr;
}

/*
 * Unmap [start, end) of the vmemmap: note the block of each leaf it owns
 * (a shared DAX tail is not its own), unmap a batch of PMD ranges at once
 * (empty tables are freed by remove_pgd_mapping through pt_free_page, the
 * same path as every table), and only after the flush return the blocks
 * to the altmap or the page allocator.
 */
void vmemmap_free(unsigned long start, unsigned long end, struct vmem_altmap *altmap)
{
	static phys_addr_t blocks[VMEMMAP_FREE_BATCH];	/* under the hotplug lock */
	unsigned long nr = 0, batch = start;

	for (unsigned long addr = start, next; addr < end; addr = next) {
		next = min(ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE, end);
		if (nr > VMEMMAP_FREE_BATCH - PTRS_PER_PT) {
			vmemmap_unmap_blocks(batch, addr, blocks, nr, altmap);
			nr = 0;
			batch = addr;
		}
		nr = note_blocks(addr, next, blocks, nr);
	}
	vmemmap_unmap_blocks(batch, end, blocks, nr, altmap);
}
