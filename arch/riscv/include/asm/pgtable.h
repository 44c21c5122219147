/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_PGTABLE_H
#define ASM_PGTABLE_H

/*
 * RISC-V page-table entries (privileged spec, Sv39/Sv48/Sv57):
 *
 *   63  62-61 60-54   53 ............ 10  9-8  7 6 5 4 3 2 1 0
 *   N   PBMT  rsvd    PPN                 RSW  D A G U X W R V
 *
 * An entry with V=1 and R=W=X=0 points to the next-level table; any of R/X
 * set makes it a leaf at that level (4 KiB, 2 MiB, 1 GiB, 512 GiB).
 *
 * Level convention, used everywhere in rvmm:
 *   level 0 = PTE (4 KiB leaves)   level 1 = PMD (2 MiB)   level 2 = PUD (1 GiB)
 *   level 3 = P4D (512 GiB)        level 4 = root of Sv57
 * The root ("pgd") is level kl.levels - 1; levels above it are folded.
 */
#include <asm/page.h>
#include <asm/pgalloc.h>

#define _PAGE_V		(1UL << 0)
#define _PAGE_R		(1UL << 1)
#define _PAGE_W		(1UL << 2)
#define _PAGE_X		(1UL << 3)
#define _PAGE_U		(1UL << 4)
#define _PAGE_G		(1UL << 5)
#define _PAGE_A		(1UL << 6)
#define _PAGE_D		(1UL << 7)
#define _PAGE_LEAF	(_PAGE_R | _PAGE_W | _PAGE_X)
#define _PAGE_PFN_SHIFT	10
#define _PAGE_PFN_MASK	(((1UL << 44) - 1) << _PAGE_PFN_SHIFT)

typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long prot; } pgprot_t;
/* Every level has the same entry format; pgd_t names the root table. */
typedef pte_t pgd_t;

/*
 * A and D are set eagerly: hardware may trap instead of updating them.
 * G: kernel mappings are global. U is never set: rvmm has no user space.
 */
#define _PAGE_KERNEL_BASE (_PAGE_V | _PAGE_A | _PAGE_D | _PAGE_G)
#define PAGE_KERNEL	((pgprot_t){ _PAGE_KERNEL_BASE | _PAGE_R | _PAGE_W })
#define PAGE_KERNEL_RO	((pgprot_t){ _PAGE_KERNEL_BASE | _PAGE_R })
#define PAGE_KERNEL_RX	((pgprot_t){ _PAGE_KERNEL_BASE | _PAGE_R | _PAGE_X })
#define PAGE_TABLE	((pgprot_t){ _PAGE_V })

#define PTRS_PER_PT	512
#define PT_LEVEL_SHIFT(l) (PAGE_SHIFT + 9 * (l))
#define PT_LEVEL_SIZE(l)  (1UL << PT_LEVEL_SHIFT(l))
#define PT_INDEX(va, l)	  (((va) >> PT_LEVEL_SHIFT(l)) & (PTRS_PER_PT - 1))

#define PTE_LEVEL	0
#define PMD_LEVEL	1
#define PUD_LEVEL	2
#define P4D_LEVEL	3
#define PT_LEVELS_MAX	5	/* Sv57 */

static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	return (pte_t){ (pfn << _PAGE_PFN_SHIFT) | prot.prot };
}

static inline unsigned long pte_pfn(pte_t pte)
{
	return (pte.pte & _PAGE_PFN_MASK) >> _PAGE_PFN_SHIFT;
}

static inline bool pte_present(pte_t pte) { return pte.pte & _PAGE_V; }
static inline bool pte_none(pte_t pte) { return pte.pte == 0; }
static inline bool pte_leaf(pte_t pte)
{
	return pte_present(pte) && (pte.pte & _PAGE_LEAF);
}
static inline pgprot_t pte_pgprot(pte_t pte)
{
	return (pgprot_t){ pte.pte & ~_PAGE_PFN_MASK };
}

/* Linux names for the per-level indices (folded levels share the code). */
#define pte_index(va)	PT_INDEX(va, PTE_LEVEL)
#define pmd_index(va)	PT_INDEX(va, PMD_LEVEL)
#define pud_index(va)	PT_INDEX(va, PUD_LEVEL)
#define p4d_index(va)	PT_INDEX(va, P4D_LEVEL)
#define pgd_index(va)	PT_INDEX(va, kl.levels - 1)

extern pgd_t *swapper_pg_dir;	/* the kernel's root table (virtual) */

unsigned long best_map_size(phys_addr_t pa, unsigned long va, unsigned long size);
int create_pgd_mapping(pgd_t *pgd, unsigned long va, phys_addr_t pa,
		       unsigned long size, pgprot_t prot);
int remove_pgd_mapping(pgd_t *pgd, unsigned long va, unsigned long size);
int change_pgd_prot(pgd_t *pgd, unsigned long va, unsigned long size, pgprot_t prot);
/* Set one leaf of size PT_LEVEL_SIZE(level); -EEXIST if anything is there. */
int set_leaf(pgd_t *pgd, unsigned long va, phys_addr_t pa, int level, pgprot_t prot);
/* The same from @table at @tlevel, where walk_table() stopped. */
int set_leaf_from(pte_t *table, int tlevel, unsigned long va, phys_addr_t pa, int level,
		  pgprot_t prot);

/*
 * Translate @va. Returns the physical address and fills *level with the
 * leaf's level and *prot with its bits; returns ~0 if unmapped.
 */
#define WALK_NONE	(~(phys_addr_t)0)
phys_addr_t walk_pgd(pgd_t *pgd, unsigned long va, int *level, pgprot_t *prot);
/*
 * The table holding @va's entry where the walk ends (a leaf, or an entry
 * that is not present), *level its level. Inline: each vmemmap leaf query
 * is one of these, and hot-remove makes one per section.
 */
static inline pte_t *walk_table(pgd_t *pgd, unsigned long va, int *level)
{
	pte_t *table = pgd;
	int l = kl.levels - 1;

	for (; l > PTE_LEVEL; l--) {
		pte_t e = table[PT_INDEX(va, l)];

		if (!pte_present(e) || pte_leaf(e))
			break;
		table = pt_ops->virt(pte_pfn(e) << PAGE_SHIFT);
	}
	*level = l;
	return table;
}

/* Count the table pages reachable from @pgd below the root. */
unsigned long count_pt_pages(pgd_t *pgd, unsigned long start, unsigned long end);

#endif
