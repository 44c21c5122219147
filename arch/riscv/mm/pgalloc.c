// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table pages in every boot phase (see asm/pgalloc.h): the boot
 * pool, memblock, then the buddy. All of pt_ops lives here, so the rest
 * of the page-table code only calls pt_ops and generic mm never calls
 * back into it. Portable: the host build starts at the memblock phase.
 */
#include <asm/page.h>
#include <asm/pgalloc.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>

const struct pt_ops *pt_ops;
unsigned long nr_pt_pages;

/* ---- boot: a pool in .bss, reached through the image mapping ---- */

#define BOOT_PT_PAGES	64
static u8 boot_pt[BOOT_PT_PAGES][PAGE_SIZE] __aligned(PAGE_SIZE);
static int boot_pt_used;

static phys_addr_t boot_pt_alloc(void)
{
	if (boot_pt_used == BOOT_PT_PAGES)
		panic("paging_init: boot page-table pool (%d pages) exhausted",
		      BOOT_PT_PAGES);
	return (unsigned long)boot_pt[boot_pt_used++] - kl.kernel_va_pa_offset;
}

static void boot_pt_free(phys_addr_t pa)
{
	(void)pa;	/* boot tables are never emptied during boot */
}

static void *boot_pt_virt(phys_addr_t pa)
{
	return (void *)(pa + kl.kernel_va_pa_offset);
}

/* Tables of the boot pool stay where they are if ever emptied. */
static bool in_boot_pool(phys_addr_t pa)
{
	return (unsigned long)boot_pt_virt(pa) - (unsigned long)boot_pt < sizeof(boot_pt);
}

static const struct pt_ops boot_pt_ops = {
	.name = "boot", .alloc = boot_pt_alloc, .free = boot_pt_free,
	.virt = boot_pt_virt,
};

/* ---- memblock and buddy: tables reached through the linear map ---- */

static void *linear_pt_virt(phys_addr_t pa)
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
	if (!in_boot_pool(pa))
		memblock_free(pa, PAGE_SIZE);
}

phys_addr_t pt_alloc_page(void)
{
	struct page *p = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);

	if (!p)
		return 0;
	set_page_flag(p, PG_table);
	return page_to_phys(p);
}

/*
 * The one way a page-table page is freed. vmemmap tables come from
 * pt_alloc_page() like all others, so there is no constructor/destructor
 * pair whose halves could be mismatched (fixed in Linux by "riscv: mm:
 * avoid calling the pmd dtor when vmemmap_free()": Linux ran the PMD
 * destructor on vmemmap tables that never saw the constructor and hit
 * BUG_ON). Tables from the boot phases are reserved pages instead.
 */
void pt_free_page(phys_addr_t pa)
{
	struct page *p = pfn_to_page(PHYS_PFN(pa));

	if (in_boot_pool(pa))
		return;
	if (PageTable(p)) {
		clear_page_flag(p, PG_table);
		free_pages(p, 0);
	} else if (PageReserved(p)) {	/* a memblock-phase table */
		free_reserved_page(p);
	} else {
		panic("pt_free_page: pfn 0x%lx is not a page-table page", PHYS_PFN(pa));
	}
}

static const struct pt_ops memblock_pt_ops = {
	.name = "memblock", .alloc = memblock_pt_alloc, .free = memblock_pt_free,
	.virt = linear_pt_virt,
};

static const struct pt_ops buddy_pt_ops = {
	.name = "buddy", .alloc = pt_alloc_page, .free = pt_free_page,
	.virt = linear_pt_virt,
};

void pt_ops_use_boot(void)
{
	pt_ops = &boot_pt_ops;
}

void pt_ops_use_memblock(void)
{
	pt_ops = &memblock_pt_ops;
}

void pt_ops_use_buddy(void)
{
	pt_ops = &buddy_pt_ops;
}

/* For the self-test harness's leak check around every case. */
unsigned long ktest_pt_pages(void)
{
	return nr_pt_pages;
}
