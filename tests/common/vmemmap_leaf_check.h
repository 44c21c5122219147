/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_TESTS_VMEMMAP_LEAF_CHECK_H
#define RVMM_TESTS_VMEMMAP_LEAF_CHECK_H

/*
 * The vmemmap leaf query against an independent walk, shared by the kernel
 * self-test (tests/kernel/vmemmap_leaf_test.c) and the host test
 * (tests/host/vmemmap_leaf_test.c).
 */
#include <asm/pgtable.h>
#include <asm/vmemmap.h>
#include <rvmm/ktest.h>

/* The leaf at @va: pa, size and (via W) ownership agree with walk_pgd(). */
static inline void check_leaf(struct ktest *t, unsigned long va, unsigned long size,
			      bool shared)
{
	struct vmemmap_leaf leaf;
	pgprot_t prot;
	int level;
	phys_addr_t pa = walk_pgd(swapper_pg_dir, va, &level, &prot);

	KASSERT_EQ(t, vmemmap_leaf(va, &leaf), 0);
	KEXPECT_EQ(t, leaf.size, size);
	KEXPECT_EQ(t, PT_LEVEL_SIZE(level), size);
	KEXPECT_EQ(t, leaf.pa, ALIGN_DOWN(pa, size));
	KEXPECT_EQ(t, leaf.shared, shared);
	KEXPECT_EQ(t, leaf.shared, !(prot.prot & _PAGE_W));
	KEXPECT_EQ(t, leaf.room, 0);
}

#endif
