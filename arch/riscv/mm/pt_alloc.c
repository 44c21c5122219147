// SPDX-License-Identifier: GPL-2.0
/*
 * The memblock and buddy phases of pt_ops (see arch/riscv/mm/init.c for
 * the two boot phases before them): page-table pages reached through the
 * linear map. Portable, so the host build uses exactly these.
 */
#include <asm/page.h>
#include <asm/pgtable.h>
#include <rvmm/mm.h>

static pte_t *linear_pt_virt(phys_addr_t pa)
{
	return __va(pa);
}

static phys_addr_t memblock_pt_alloc(void)
{
	phys_addr_t pa = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE);

	if (pa)
		clear_pages(__va(pa), PAGE_SIZE);
	return pa;
}

/*
 * A table emptied while memblock still rules (a failed boot mapping being
 * unwound) goes back to memblock: its struct page may not exist yet, so
 * pt_free_page(), which reads it, cannot be used before the buddy phase.
 */
static void memblock_pt_free(phys_addr_t pa)
{
	if (!arch_pt_page_is_static(pa))
		memblock_free(pa, PAGE_SIZE);
}

static const struct pt_ops memblock_pt_ops = {
	.name = "memblock", .alloc = memblock_pt_alloc, .free = memblock_pt_free,
	.virt = linear_pt_virt,
};

static const struct pt_ops buddy_pt_ops = {
	.name = "buddy", .alloc = pt_alloc_page, .free = pt_free_page,
	.virt = linear_pt_virt,
};

void pt_ops_use_memblock(void)
{
	pt_ops = &memblock_pt_ops;
}

void pt_ops_use_buddy(void)
{
	pt_ops = &buddy_pt_ops;
}
