/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_VMEMMAP_H
#define ASM_VMEMMAP_H

/*
 * The leaf hooks generic mm/ calls for the vmemmap (arch/riscv/mm/hotplug.c):
 * all it knows of the kernel page table. A query walks once to the leaf
 * that maps an address, or to the empty entry where a leaf could go; a set
 * resumes from there, so each leaf costs one walk.
 */
#include <rvmm/types.h>

struct vmemmap_leaf {
	phys_addr_t pa;		/* start of the block the leaf maps */
	unsigned long size;	/* PMD_SIZE or PAGE_SIZE; 0: nothing maps the address */
	bool shared;		/* a read-only alias of a page another leaf owns (DAX tail) */
	unsigned long room;	/* nothing mapped: the largest leaf that fits there */
	/* The arch's: the address asked, the table where the walk stopped, its level. */
	unsigned long addr;
	void *table;
	int level;
};

/* Fill *leaf for @addr: 0 if a leaf maps it, -ENOENT if none does. */
int vmemmap_leaf(unsigned long addr, struct vmemmap_leaf *leaf);

/*
 * Map the block at @pa where vmemmap_leaf() found nothing (@hole, with
 * room for the leaf): a 2 MiB leaf, a 4 KiB one, or a read-only 4 KiB
 * alias of a page that stays another leaf's. -ENOMEM if a table could not
 * be had, -EEXIST if @hole has no room for the leaf.
 */
int vmemmap_set_pmd(const struct vmemmap_leaf *hole, phys_addr_t pa);
int vmemmap_set_pte(const struct vmemmap_leaf *hole, phys_addr_t pa);
int vmemmap_set_pte_ro(const struct vmemmap_leaf *hole, phys_addr_t pa);

#endif
