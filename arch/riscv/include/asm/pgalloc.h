/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_PGALLOC_H
#define ASM_PGALLOC_H

/*
 * Where page-table pages come from (arch/riscv/mm/pgalloc.c). Switched at
 * named boot phases so that the same create_pgd_mapping() works before
 * and after the page allocator exists (Linux's pt_ops):
 *
 *   boot      paging_init(): a static pool in .bss, via the image mapping
 *   memblock  once the linear map is live: memblock, via __va()
 *   buddy     once the page allocator exists: ZONE_NORMAL pages
 *
 * alloc returns a zeroed page or 0 on failure; virt gives a table's
 * address in the current phase.
 */
#include <rvmm/types.h>

struct pt_ops {
	const char *name;
	phys_addr_t (*alloc)(void);
	void (*free)(phys_addr_t pa);
	void *(*virt)(phys_addr_t pa);
};
extern const struct pt_ops *pt_ops;
extern unsigned long nr_pt_pages;	/* live page-table pages */

void pt_ops_use_boot(void);
void pt_ops_use_memblock(void);
void pt_ops_use_buddy(void);

/* The buddy phase: every kind of table (linear map, vmemmap, ioremap). */
phys_addr_t pt_alloc_page(void);
void pt_free_page(phys_addr_t pa);

#endif
