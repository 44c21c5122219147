/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_HOST_PGTABLE_TEST_H
#define RVMM_HOST_PGTABLE_TEST_H
/*
 * What the page-table suites (pgtable_test.c, pgtable_random_test.c) share:
 * the protections, the unused window they map in, and the leaves as sim.c's
 * own walker sees them.
 */
#include <stdlib.h>
#include "hosttest.h"

#define WIN_SIZE		(8 * SZ_1G)

static const pgprot_t prots[] = { PAGE_KERNEL, PAGE_KERNEL_RO, PAGE_KERNEL_RX };

/*
 * A window of the linear-map area that no RAM uses, straddling a boundary
 * where the root (Sv48) or the P4D table (Sv57) changes entry, so that
 * several upper tables are involved.
 */
static inline unsigned long win_lo(void)
{
	return lm_va(kl.va_bits == 39 ? 60 * SZ_1G : 508 * SZ_1G);
}

static inline void boot_mode(int va_bits)
{
	sim_boot_simple(va_bits, SZ_1G);
}

/* ---- leaves as the independent walker sees them ---- */

struct leaf {
	unsigned long va;
	phys_addr_t pa;
	int level;
	unsigned long prot;
};

struct leaves {
	struct leaf *v;
	size_t n, cap;
};

static inline void leaf_cb(void *arg, unsigned long va, phys_addr_t pa, int level, unsigned long prot)
{
	struct leaves *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct leaf){ va, pa, level, prot };
}

static inline void get_leaves(struct leaves *l, unsigned long start, unsigned long end)
{
	l->n = 0;
	sim_for_each_leaf(start, end, leaf_cb, l);
}

#endif
