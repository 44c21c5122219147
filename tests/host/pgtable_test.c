// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of arch/riscv/mm/pgtable.c in Sv39, Sv48 and Sv57: leaf sizes
 * and their choice by alignment, protection bits, splitting on partial
 * removal, table freeing, -EEXIST and -ENOMEM leaving the tables exactly
 * as before. The randomised create/remove sequence checked against a
 * reference model is pgtable_random_test.c's.
 *
 * The tables are inspected with sim.c's own walker, not walk_pgd() alone,
 * so that a bug shared by the walk and the code under test still shows.
 */
#include <stdio.h>
#include "pgtable_test.h"

static bool leaf_eq(const struct leaf *a, const struct leaf *b)
{
	return a->va == b->va && a->pa == b->pa && a->level == b->level && a->prot == b->prot;
}

static bool same_leaves(const struct leaves *a, const struct leaves *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!leaf_eq(&a->v[i], &b->v[i]))
			return false;
	return true;
}

/* The greedy choice, restated: the largest leaf both addresses allow. */
static int ref_level(unsigned long va, phys_addr_t pa, unsigned long left)
{
	if (!((va | pa) & (PUD_SIZE - 1)) && left >= PUD_SIZE)
		return PUD_LEVEL;
	if (!((va | pa) & (PMD_SIZE - 1)) && left >= PMD_SIZE)
		return PMD_LEVEL;
	return PTE_LEVEL;
}

static void ref_leaves(struct leaves *l, unsigned long va, phys_addr_t pa,
		       unsigned long size, pgprot_t prot)
{
	l->n = 0;
	for (unsigned long done = 0; done < size;) {
		int lv = ref_level(va + done, pa + done, size - done);

		leaf_cb(l, va + done, pa + done, lv, prot.prot);
		done += PT_LEVEL_SIZE(lv);
	}
}

/* ---- cases ---- */

static void pgt_best_map_size(struct ktest *t)
{
	boot_mode(39);
	KEXPECT_EQ(t, best_map_size(PUD_SIZE, PUD_SIZE, PUD_SIZE), PUD_SIZE);
	KEXPECT_EQ(t, best_map_size(PUD_SIZE, PUD_SIZE, PUD_SIZE - PAGE_SIZE), PMD_SIZE);
	KEXPECT_EQ(t, best_map_size(PUD_SIZE + PMD_SIZE, PUD_SIZE, PUD_SIZE), PMD_SIZE);
	KEXPECT_EQ(t, best_map_size(PUD_SIZE, PUD_SIZE + PMD_SIZE, 4 * PUD_SIZE), PMD_SIZE);
	KEXPECT_EQ(t, best_map_size(PMD_SIZE, PMD_SIZE + PAGE_SIZE, PMD_SIZE), PAGE_SIZE);
	KEXPECT_EQ(t, best_map_size(PMD_SIZE, PMD_SIZE, PMD_SIZE - PAGE_SIZE), PAGE_SIZE);
	KEXPECT_EQ(t, best_map_size(0, 0, PAGE_SIZE), PAGE_SIZE);
	KEXPECT_EQ(t, best_map_size(0, 0, ~0UL & PAGE_MASK), PUD_SIZE);
	KEXPECT_EQ(t, create_pgd_mapping(swapper_pg_dir, win_lo() + 1, 0, PAGE_SIZE,
					 PAGE_KERNEL), -EINVAL);
	KEXPECT_EQ(t, create_pgd_mapping(swapper_pg_dir, win_lo(), 0x800, PAGE_SIZE,
					 PAGE_KERNEL), -EINVAL);
	KEXPECT_EQ(t, create_pgd_mapping(swapper_pg_dir, win_lo(), 0, 0, PAGE_KERNEL), -EINVAL);
}

/* A 4 KiB, 2 MiB and 1 GiB leaf in every mode, each with each protection. */
static void pgt_leaf_sizes(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		boot_mode(sim_modes[m]);
		for (int level = PTE_LEVEL; level <= PUD_LEVEL; level++) {
			for (unsigned int p = 0; p < ARRAY_SIZE(prots); p++) {
				unsigned long sz = PT_LEVEL_SIZE(level);
				unsigned long va = win_lo() + SZ_1G * (1 + p) + 7 * sz;
				phys_addr_t pa = 0x1234 * PUD_SIZE + 3 * sz;
				unsigned long pt0 = nr_pt_pages, free0 = nr_free_pages();
				int missing = sim_missing_tables(va, level), lv = -1;
				pgprot_t prot = { 0 };

				KASSERT_GE(t, missing, 0);
				KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, pa, sz,
								 prots[p]), 0);
				KEXPECT_EQ(t, nr_pt_pages - pt0, missing);
				KEXPECT_EQ(t, free0 - nr_free_pages(), missing);
				KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + sz - 8, &lv, &prot),
					   pa + sz - 8);
				KEXPECT_EQ(t, lv, level);
				KEXPECT_EQ(t, prot.prot, prots[p].prot);
				KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + sz, NULL, NULL), WALK_NONE);
				KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va - 1, NULL, NULL), WALK_NONE);
				EXPECT_PT_CONSISTENT(t);
				KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, sz), 0);
				KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va, NULL, NULL), WALK_NONE);
				KEXPECT_EQ(t, nr_pt_pages, pt0);
				KEXPECT_EQ(t, nr_free_pages(), free0);
				EXPECT_PT_CONSISTENT(t);
				if (t->failed)
					return;
			}
		}
	}
}

static void check_shape(struct ktest *t, unsigned long va, phys_addr_t pa, unsigned long size,
			pgprot_t prot)
{
	static struct leaves want, got;
	unsigned long pt0 = nr_pt_pages, tables0 = count_all_tables();
	int ret = create_pgd_mapping(swapper_pg_dir, va, pa, size, prot);

	KEXPECT_EQ(t, ret, 0);
	if (ret)
		return;
	ref_leaves(&want, va, pa, size, prot);
	get_leaves(&got, va, va + size);
	if (!same_leaves(&want, &got)) {
		ktest_fail(t, __FILE__, __LINE__,
			   "Sv%d va 0x%lx pa 0x%llx size 0x%lx: %zu leaves, want %zu",
			   kl.va_bits, va, (unsigned long long)pa, size, got.n, want.n);
		for (size_t i = 0; i < min(got.n, want.n); i++)
			if (!leaf_eq(&got.v[i], &want.v[i])) {
				printk("    # first difference: leaf %zu at 0x%lx level %d, want 0x%lx level %d\n",
				       i, got.v[i].va, got.v[i].level, want.v[i].va,
				       want.v[i].level);
				break;
			}
	}
	/* Nothing outside the range. */
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va - PAGE_SIZE, NULL, NULL), WALK_NONE);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + size, NULL, NULL), WALK_NONE);
	KEXPECT_EQ(t, nr_pt_pages - pt0, count_all_tables() - tables0);
	KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, size), 0);
	KEXPECT_EQ(t, nr_pt_pages, pt0);
	KEXPECT_EQ(t, count_all_tables(), tables0);
}

/* create_pgd_mapping() picks the largest leaf that va, pa and size allow. */
static void pgt_alignment_picks_leaf(struct ktest *t)
{
	static const struct { unsigned long va, pa, size; } shapes[] = {
		{ 0, 0, SZ_1G },
		{ 0, 0, SZ_1G + SZ_2M + SZ_4K },
		{ SZ_4K, SZ_4K, 4 * SZ_2M },
		{ 0, SZ_2M, 2 * SZ_1G },		/* pa only 2M-aligned */
		{ SZ_2M, 0, 2 * SZ_1G },		/* va only 2M-aligned */
		{ SZ_2M, SZ_2M, 2 * SZ_1G },		/* 511 x 2M, 1G, 2M */
		{ SZ_4K, 0, 3 * SZ_2M },		/* different offsets: 4K only */
		{ SZ_1G - SZ_4K, SZ_1G - SZ_4K, SZ_1G + 2 * SZ_4K },
		{ SZ_1G - SZ_2M, 3 * SZ_1G - SZ_2M, SZ_1G + SZ_2M },
		{ 0, 0, SZ_2M - SZ_4K },
		{ 0, 0, SZ_1G - SZ_4K },
	};
	struct sim_rng rng;

	sim_rng_init(&rng, "pgt_alignment_picks_leaf");
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		boot_mode(sim_modes[m]);
		for (unsigned int i = 0; i < ARRAY_SIZE(shapes); i++)
			check_shape(t, win_lo() + shapes[i].va, 5 * SZ_1G + shapes[i].pa,
				    shapes[i].size, prots[i % 3]);
		for (int i = 0; i < 100 && !t->failed; i++) {
			static const unsigned long al[] = { SZ_4K, SZ_2M, SZ_1G };
			unsigned long va = win_lo() + SZ_1G * sim_rand_below(&rng, 3) +
				al[sim_rand_below(&rng, 3)] * sim_rand_below(&rng, 4) +
				(sim_chance(&rng, 1, 3) ? SZ_4K * sim_rand_below(&rng, 3) : 0);
			phys_addr_t pa = sim_chance(&rng, 2, 3) ?
				7 * SZ_1G + (va & (SZ_1G - 1)) :
				(7 * SZ_1G + al[sim_rand_below(&rng, 3)] * sim_rand_below(&rng, 600));
			unsigned long size = al[sim_rand_below(&rng, 3)] * (1 + sim_rand_below(&rng, 2)) +
				(sim_chance(&rng, 1, 2) ? SZ_4K * sim_rand_below(&rng, 5) : 0) -
				(sim_chance(&rng, 1, 4) ? SZ_4K : 0);

			check_shape(t, va, pa, size ? size : SZ_4K, prots[i % 3]);
		}
		if (t->failed)
			return;
	}
}

/* W^X: the protection is the caller's, on every leaf and after splits. */
static void pgt_prot_preserved(struct ktest *t)
{
	static struct leaves got;

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		unsigned long va, pt0;

		boot_mode(sim_modes[m]);
		va = win_lo();
		pt0 = nr_pt_pages;
		for (unsigned int p = 0; p < ARRAY_SIZE(prots); p++)
			KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va + p * SZ_1G,
							 9 * SZ_1G + p * SZ_1G,
							 SZ_1G, prots[p]), 0);
		/* Split every leaf size by cutting single pages out. */
		for (unsigned int p = 0; p < ARRAY_SIZE(prots); p++)
			KASSERT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va + p * SZ_1G + 3 * SZ_2M +
							 5 * SZ_4K, SZ_4K), 0);
		get_leaves(&got, va, va + 3 * SZ_1G);
		KEXPECT_EQ(t, got.n, 3 * (511 + 511));
		for (size_t i = 0; i < got.n; i++) {
			unsigned int p = (got.v[i].va - va) / SZ_1G;

			if (got.v[i].prot != prots[p].prot ||
			    (got.v[i].prot & (_PAGE_W | _PAGE_X)) == (_PAGE_W | _PAGE_X) ||
			    got.v[i].pa != 9 * SZ_1G + (got.v[i].va - va)) {
				ktest_fail(t, __FILE__, __LINE__, "leaf 0x%lx: prot 0x%lx pa 0x%llx",
					   got.v[i].va, got.v[i].prot,
					   (unsigned long long)got.v[i].pa);
				break;
			}
		}
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, 3 * SZ_1G), 0);
		KEXPECT_EQ(t, nr_pt_pages, pt0);
		EXPECT_PT_CONSISTENT(t);
	}
}

/* A partial removal splits only where the range cuts a leaf. */
static void pgt_partial_remove_splits(struct ktest *t)
{
	static struct leaves got, want;
	struct sim_rng rng;

	sim_rng_init(&rng, "pgt_partial_remove_splits");
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		unsigned long va, pt0, free0, hole;
		phys_addr_t pa = 20 * SZ_1G;

		boot_mode(sim_modes[m]);
		va = win_lo() + SZ_1G;
		hole = va + 3 * SZ_2M + 5 * SZ_4K;
		pt0 = nr_pt_pages;
		free0 = nr_free_pages();
		KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, pa, 2 * SZ_1G, PAGE_KERNEL), 0);
		KEXPECT_EQ(t, count_tables_at(va, va + 2 * SZ_1G, PMD_LEVEL), 0);

		/* One page out of the first GiB: one PMD and one PTE table. */
		{
			unsigned long pt1 = nr_pt_pages;

			KASSERT_EQ(t, remove_pgd_mapping(swapper_pg_dir, hole, SZ_4K), 0);
			KEXPECT_EQ(t, nr_pt_pages - pt1, 2);
			KEXPECT_EQ(t, count_tables_at(va, va + SZ_1G, PMD_LEVEL), 1);
			KEXPECT_EQ(t, count_tables_at(va, va + SZ_1G, PTE_LEVEL), 1);
		}
		want.n = 0;
		for (unsigned long o = 0; o < SZ_1G; o += SZ_2M) {
			if (o != 3 * SZ_2M) {
				leaf_cb(&want, va + o, pa + o, PMD_LEVEL, PAGE_KERNEL.prot);
				continue;
			}
			for (unsigned long p = o; p < o + SZ_2M; p += SZ_4K)
				if (va + p != hole)
					leaf_cb(&want, va + p, pa + p, PTE_LEVEL, PAGE_KERNEL.prot);
		}
		leaf_cb(&want, va + SZ_1G, pa + SZ_1G, PUD_LEVEL, PAGE_KERNEL.prot);
		get_leaves(&got, va, va + 2 * SZ_1G);
		KEXPECT_TRUE(t, same_leaves(&got, &want));

		/* A range across the 1G boundary cuts both sides. */
		KASSERT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va + SZ_1G - SZ_2M - SZ_4K,
						 2 * SZ_4K + 3 * SZ_2M), 0);
		{
			int lv = -1;

			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + SZ_1G - SZ_2M - 2 * SZ_4K,
					       &lv, NULL), pa + SZ_1G - SZ_2M - 2 * SZ_4K);
			KEXPECT_EQ(t, lv, PTE_LEVEL);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + SZ_1G - SZ_2M - SZ_4K, NULL,
					       NULL), WALK_NONE);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + SZ_1G + 2 * SZ_2M + SZ_4K -
					       SZ_4K, NULL, NULL), WALK_NONE);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + SZ_1G + 2 * SZ_2M + SZ_4K,
					       &lv, NULL), pa + SZ_1G + 2 * SZ_2M + SZ_4K);
			KEXPECT_EQ(t, lv, PTE_LEVEL);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + SZ_1G + 3 * SZ_2M, &lv, NULL),
				   pa + SZ_1G + 3 * SZ_2M);
			KEXPECT_EQ(t, lv, PMD_LEVEL);
		}
		EXPECT_PT_CONSISTENT(t);

		/* The rest in random pieces: every emptied table goes. */
		for (int i = 0; i < 12; i++) {
			unsigned long off = sim_rand_below(&rng, 2 * SZ_1G / SZ_4K) * SZ_4K;
			unsigned long len = SZ_4K * (1 + sim_rand_below(&rng, 1 << 17));

			len = min(len, 2 * SZ_1G - off);

			KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va + off, len), 0);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + off, NULL, NULL), WALK_NONE);
			EXPECT_PT_CONSISTENT(t);
		}
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, 2 * SZ_1G), 0);
		get_leaves(&got, va, va + 2 * SZ_1G);
		KEXPECT_EQ(t, got.n, 0);
		KEXPECT_EQ(t, nr_pt_pages, pt0);
		KEXPECT_EQ(t, nr_free_pages(), free0);
		EXPECT_PT_CONSISTENT(t);
		if (t->failed)
			return;
	}
}

/* Protection bits of the leaf at @va, or ~0 if unmapped. */
static unsigned long prot_at(unsigned long va, phys_addr_t want_pa)
{
	pgprot_t prot;

	if (walk_pgd(swapper_pg_dir, va, NULL, &prot) != want_pa)
		return ~0UL;
	return prot.prot;
}

/*
 * change_pgd_prot() splits only the leaves the range cuts, keeps every
 * translation, leaves holes alone, and needs no table it did not split.
 */
static void pgt_change_prot(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		unsigned long va, lo, hi, pt0;
		phys_addr_t pa = 20 * SZ_1G;

		boot_mode(sim_modes[m]);
		va = win_lo() + SZ_1G;
		lo = va + 3 * SZ_2M + 5 * SZ_4K;
		hi = lo + SZ_2M;
		KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, pa, 2 * SZ_1G, PAGE_KERNEL), 0);
		pt0 = nr_pt_pages;
		KASSERT_EQ(t, change_pgd_prot(swapper_pg_dir, lo, hi - lo, PAGE_KERNEL_RO), 0);
		/* One PMD table under the first GiB, a PTE table at each cut. */
		KEXPECT_EQ(t, nr_pt_pages - pt0, 3);
		KEXPECT_EQ(t, prot_at(lo - SZ_4K, pa + (lo - SZ_4K - va)), PAGE_KERNEL.prot);
		KEXPECT_EQ(t, prot_at(lo, pa + (lo - va)), PAGE_KERNEL_RO.prot);
		KEXPECT_EQ(t, prot_at(hi - SZ_4K, pa + (hi - SZ_4K - va)), PAGE_KERNEL_RO.prot);
		KEXPECT_EQ(t, prot_at(hi, pa + (hi - va)), PAGE_KERNEL.prot);
		KEXPECT_EQ(t, prot_at(va + SZ_1G, pa + SZ_1G), PAGE_KERNEL.prot);
		/* Back to RW, and over a hole: nothing is mapped there anew. */
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va + SZ_1G, SZ_2M), 0);
		KEXPECT_EQ(t, change_pgd_prot(swapper_pg_dir, va, 2 * SZ_1G, PAGE_KERNEL), 0);
		KEXPECT_EQ(t, prot_at(lo, pa + (lo - va)), PAGE_KERNEL.prot);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + SZ_1G, NULL, NULL), WALK_NONE);
		KEXPECT_EQ(t, change_pgd_prot(swapper_pg_dir, lo + 1, SZ_4K, PAGE_KERNEL), -EINVAL);
		EXPECT_PT_CONSISTENT(t);
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, 2 * SZ_1G), 0);
		if (t->failed)
			return;
	}
}

/* -EEXIST on any overlap, with the tables exactly as before. */
static void pgt_overlap_eexist(struct ktest *t)
{
	static struct leaves before, after;

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		unsigned long w, pt0, free0;

		boot_mode(sim_modes[m]);
		w = win_lo();
		/* existing mapping, then the overlapping one that must fail */
		const struct { unsigned long va, size, nva, nsize; } c[] = {
			/* a 2M leaf over a 4K leaf */
			{ w + SZ_2M + SZ_4K, SZ_4K, w + SZ_2M, SZ_2M },
			/* a 1G leaf over a PMD table */
			{ w + SZ_1G + 5 * SZ_2M, SZ_2M, w + SZ_1G, SZ_1G },
			/* a 4K leaf inside a 1G leaf */
			{ w + 2 * SZ_1G, SZ_1G, w + 2 * SZ_1G + 77 * SZ_4K, SZ_4K },
			/* many new leaves and tables first, then the clash */
			{ w + 4 * SZ_1G + 3 * SZ_2M, SZ_4K, w + 3 * SZ_1G - 5 * SZ_4K,
			  SZ_1G + 4 * SZ_2M + 5 * SZ_4K },
			/* clash on the very last page */
			{ w + 6 * SZ_1G - SZ_4K, SZ_4K, w + 5 * SZ_1G - SZ_2M - SZ_4K,
			  SZ_1G + SZ_2M + SZ_4K },
		};

		pt0 = nr_pt_pages;
		free0 = nr_free_pages();
		for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
			unsigned long pt1, free1, tables1;

			KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, c[i].va, 40 * SZ_1G + c[i].va % SZ_1G,
							 c[i].size, PAGE_KERNEL_RO), 0);
			pt1 = nr_pt_pages;
			free1 = nr_free_pages();
			tables1 = count_all_tables();
			get_leaves(&before, w, w + WIN_SIZE);
			KEXPECT_EQ(t, create_pgd_mapping(swapper_pg_dir, c[i].nva,
							 50 * SZ_1G + c[i].nva % SZ_1G, c[i].nsize,
							 PAGE_KERNEL), -EEXIST);
			get_leaves(&after, w, w + WIN_SIZE);
			KEXPECT_TRUE(t, same_leaves(&before, &after));
			KEXPECT_EQ(t, nr_pt_pages, pt1);
			KEXPECT_EQ(t, count_all_tables(), tables1);
			KEXPECT_EQ(t, nr_free_pages(), free1);
			EXPECT_PT_CONSISTENT(t);
			if (t->failed) {
				printk("    # Sv%d, case %u\n", kl.va_bits, i);
				return;
			}
		}
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, w, WIN_SIZE), 0);
		EXPECT_PT_CONSISTENT(t);
		if (t->failed) {
			printk("    # Sv%d\n", kl.va_bits);
			return;
		}
		KEXPECT_EQ(t, nr_pt_pages, pt0);
		KEXPECT_EQ(t, nr_free_pages(), free0);
		if (t->failed) {
			printk("    # Sv%d\n", kl.va_bits);
			return;
		}
	}
}

/*
 * -ENOMEM at every allocation of a mapping: nothing mapped, no table and
 * no page gone. Then the same for removals that must split: the
 * translation never changes, and a retry completes.
 */
static void pgt_enomem_every_step(struct ktest *t)
{
	static struct leaves before, after;
	const struct { unsigned long off, size; phys_addr_t pa; } shapes[] = {
		{ SZ_4K, SZ_2M, 11 * SZ_1G + SZ_4K },
		{ SZ_1G - 3 * SZ_4K, SZ_1G + 2 * SZ_2M + 6 * SZ_4K, 12 * SZ_1G - 3 * SZ_4K },
		{ 0, 3 * SZ_1G, 13 * SZ_1G },
		{ SZ_1G * 3 + SZ_2M * 500, SZ_1G * 2 + 13 * SZ_4K, 30 * SZ_1G + SZ_2M * 500 },
	};

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		boot_mode(sim_modes[m]);
		for (unsigned int s = 0; s < ARRAY_SIZE(shapes); s++) {
			unsigned long va = win_lo() + shapes[s].off, size = shapes[s].size;
			unsigned long pt0 = nr_pt_pages, free0 = nr_free_pages(), pt1, free1;
			int ret = -ENOMEM, n;

			for (n = 1; ret == -ENOMEM && n < 100; n++) {
				fail_alloc_nth = n;
				ret = create_pgd_mapping(swapper_pg_dir, va, shapes[s].pa, size,
							 PAGE_KERNEL);
				fail_alloc_nth = 0;
				if (ret == -ENOMEM) {
					get_leaves(&after, win_lo(), win_lo() + WIN_SIZE);
					KEXPECT_EQ(t, after.n, 0);
					KEXPECT_EQ(t, nr_pt_pages, pt0);
					KEXPECT_EQ(t, nr_free_pages(), free0);
					EXPECT_PT_CONSISTENT(t);
				}
			}
			KEXPECT_EQ(t, ret, 0);
			/* Each chunk's missing tables were allocated one by one. */
			KEXPECT_EQ(t, (unsigned long)(n - 2), nr_pt_pages - pt0);

			/*
			 * Removing a page from the middle: splits that may
			 * fail, at either end. A failure leaves the very same
			 * leaves and tables (the splits already made are undone).
			 */
			get_leaves(&before, va, va + size);
			pt1 = nr_pt_pages;
			free1 = nr_free_pages();
			ret = -ENOMEM;
			for (n = 1; ret == -ENOMEM && n < 100; n++) {
				unsigned long cut = va + size / 2 + SZ_4K;

				fail_alloc_nth = n;
				ret = remove_pgd_mapping(swapper_pg_dir, ALIGN_DOWN(cut, SZ_4K), SZ_4K);
				fail_alloc_nth = 0;
				if (ret == -ENOMEM) {
					get_leaves(&after, va, va + size);
					KEXPECT_EQ(t, after.n, before.n);
					for (size_t i = 0; i < before.n && i < after.n; i++) {
						KEXPECT_EQ(t, after.v[i].va, before.v[i].va);
						KEXPECT_EQ(t, after.v[i].pa, before.v[i].pa);
						KEXPECT_EQ(t, after.v[i].level, before.v[i].level);
					}
					KEXPECT_EQ(t, nr_pt_pages, pt1);
					KEXPECT_EQ(t, nr_free_pages(), free1);
					EXPECT_PT_CONSISTENT(t);
				}
			}
			KEXPECT_EQ(t, ret, 0);
			KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, size), 0);
			KEXPECT_EQ(t, nr_pt_pages, pt0);
			KEXPECT_EQ(t, nr_free_pages(), free0);
			if (t->failed)
				return;
		}
	}
}

/*
 * Tables allocated from memblock at boot are freed like any other: the
 * linear map of a small RAM region removed, its PMD table goes back to the
 * buddy through pt_free_page()'s reserved-page path.
 */
static void pgt_boot_tables_freed(struct ktest *t)
{
	static const struct sim_range ram[] = {
		{ 0x80000000UL, SZ_1G }, { 0x200000000UL + SZ_1G / 2, 6 * SZ_2M },
	};
	const struct sim_mem mem = { .ram = ram, .nr_ram = 2 };

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		unsigned long va, pt0, free0, managed0, tables;

		sim_boot(sim_modes[m], &mem);
		va = lm_va(ram[1].base);
		pt0 = nr_pt_pages;
		free0 = nr_free_pages();
		managed0 = zones[ZONE_NORMAL].managed_pages;
		tables = count_all_tables();
		KEXPECT_EQ(t, count_tables_at(va, va + ram[1].size, PMD_LEVEL), 1);
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, ram[1].size), 0);
		KEXPECT_GE(t, pt0 - nr_pt_pages, 1);
		KEXPECT_EQ(t, pt0 - nr_pt_pages, tables - count_all_tables());
		KEXPECT_EQ(t, nr_free_pages() - free0, pt0 - nr_pt_pages);
		KEXPECT_EQ(t, zones[ZONE_NORMAL].managed_pages - managed0, pt0 - nr_pt_pages);
		KEXPECT_TRUE(t, check_buddy(t));
	}
}

/* The very top of the VA space: va + size wraps to 0, in every mode. */
static void pgt_top_of_va(struct ktest *t)
{
	static struct leaves got;

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		unsigned long va = -(SZ_1G + SZ_2M), pt0;
		phys_addr_t pa = 77 * SZ_1G - SZ_2M;
		int lv = -1;

		boot_mode(sim_modes[m]);
		pt0 = nr_pt_pages;
		KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, pa, SZ_1G + SZ_2M, PAGE_KERNEL_RX), 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, ~0UL, &lv, NULL), pa + SZ_1G + SZ_2M - 1);
		KEXPECT_EQ(t, lv, PUD_LEVEL);
		/* The last page: splits down to 4 KiB, up to the wrap. */
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, -SZ_4K, SZ_4K), 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, -SZ_4K, NULL, NULL), WALK_NONE);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, -2 * SZ_4K, &lv, NULL), pa + SZ_1G + SZ_2M - 2 * SZ_4K);
		KEXPECT_EQ(t, lv, PTE_LEVEL);
		get_leaves(&got, va, 0);
		KEXPECT_EQ(t, got.n, 1 + 511 + 511);
		EXPECT_PT_CONSISTENT(t);
		KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, SZ_1G + SZ_2M), 0);
		get_leaves(&got, va, 0);
		KEXPECT_EQ(t, got.n, 0);
		KEXPECT_EQ(t, nr_pt_pages, pt0);
		EXPECT_PT_CONSISTENT(t);
		if (t->failed) {
			printk("    # Sv%d\n", sim_modes[m]);
			return;
		}
	}
}

KTEST_SUITE(host_pgtable, false,
	KTEST_CASE(pgt_best_map_size),
	KTEST_CASE(pgt_leaf_sizes),
	KTEST_CASE(pgt_alignment_picks_leaf),
	KTEST_CASE(pgt_prot_preserved),
	KTEST_CASE(pgt_partial_remove_splits),
	KTEST_CASE(pgt_change_prot),
	KTEST_CASE(pgt_overlap_eexist),
	KTEST_CASE(pgt_enomem_every_step),
	KTEST_CASE(pgt_boot_tables_freed),
	KTEST_CASE(pgt_top_of_va));
