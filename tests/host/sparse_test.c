// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the sparse memory model and the vmemmap, each case on a
 * freshly booted simulated machine (sim.c). Expectations come from the boot
 * layout or from small reference models, never from the code under test.
 */
#include <stdlib.h>
#include "hosttest.h"

static bool in_ranges(const struct sim_range *r, int n, phys_addr_t pa)
{
	for (int i = 0; i < n; i++)
		if (pa >= r[i].base && pa - r[i].base < r[i].size)
			return true;
	return false;
}

static bool overlaps_ranges(const struct sim_range *r, int n, phys_addr_t base, phys_addr_t size)
{
	for (int i = 0; i < n; i++)
		if (base < r[i].base + r[i].size && r[i].base < base + size)
			return true;
	return false;
}

static const struct sim_range a_ram[] = { { 0x80000000UL, SZ_1G } };

static const struct sim_range b_ram[] = {
	{ GB(64), 256 * SZ_1M },				/* far up: its own vmemmap table */
	{ 0x4000000UL, 300 * SZ_1M },				/* starts and ends mid-section */
	{ 0x80000000UL, SZ_1G + 5 * SZ_1M },
	{ GB(8) + 386 * SZ_1M, 130 * SZ_1M },
};
static const struct sim_range b_rsv[] = {
	{ 0x4000000UL + 100 * SZ_1M + 123 * SZ_4K, 5 * SZ_4K },	/* /memreserve/ */
	{ 0x70000000UL, SZ_4K },				/* outside RAM */
	{ GB(8) + 515 * SZ_1M, 4 * SZ_1M },			/* sticks out of RAM */
	{ 0x80000000UL + SZ_1G, 5 * SZ_1M },			/* a whole tail */
};
static const struct sim_range b_nomap[] = {
	{ 0x80000000UL + 512 * SZ_1M + 3 * SZ_4K, 16 * SZ_1M },
	{ GB(64) + 127 * SZ_1M, 2 * SZ_1M },			/* across a section */
};

static const struct sim_mem layouts[] = {
	{ .ram = a_ram, .nr_ram = 1 },
	{ .ram = b_ram, .nr_ram = ARRAY_SIZE(b_ram), .reserved = b_rsv,
	  .nr_reserved = ARRAY_SIZE(b_rsv), .nomap = b_nomap, .nr_nomap = ARRAY_SIZE(b_nomap) },
};

/* RAM minus no-map, merged: what the linear map must cover. */
static int usable_ranges(const struct sim_mem *m, struct sim_range *out)
{
	int n = 0;

	for (unsigned long pa = 0; ; ) {
		phys_addr_t next = ~0ULL;
		bool in = in_ranges(m->ram, m->nr_ram, pa) && !in_ranges(m->nomap, m->nr_nomap, pa);

		/* Next boundary of any range after pa. */
		for (int i = 0; i < m->nr_ram; i++) {
			if (m->ram[i].base > pa)
				next = min(next, m->ram[i].base);
			if (m->ram[i].base + m->ram[i].size > pa)
				next = min(next, m->ram[i].base + m->ram[i].size);
		}
		for (int i = 0; i < m->nr_nomap; i++) {
			if (m->nomap[i].base > pa)
				next = min(next, m->nomap[i].base);
			if (m->nomap[i].base + m->nomap[i].size > pa)
				next = min(next, m->nomap[i].base + m->nomap[i].size);
		}
		if (in) {
			if (n && out[n - 1].base + out[n - 1].size == pa)
				out[n - 1].size += next - pa;
			else
				out[n++] = (struct sim_range){ pa, next - pa };
		}
		if (next == ~0ULL)
			break;
		pa = next;
	}
	return n;
}

struct lm_check {
	struct ktest *t;
	const struct sim_range *u;
	int nu, idx;
	phys_addr_t done;	/* within u[idx] */
	bool bad;
};

static void lm_leaf(void *arg, unsigned long va, phys_addr_t pa, int level, unsigned long prot)
{
	struct lm_check *c = arg;
	const struct sim_range *r;
	phys_addr_t want;
	int lv = PTE_LEVEL;

	if (c->bad)
		return;
	if (c->idx >= c->nu)
		goto bad;
	r = &c->u[c->idx];
	want = r->base + c->done;
	if (!((want) & (PUD_SIZE - 1)) && r->size - c->done >= PUD_SIZE)
		lv = PUD_LEVEL;
	else if (!((want) & (PMD_SIZE - 1)) && r->size - c->done >= PMD_SIZE)
		lv = PMD_LEVEL;
	if (va != lm_va(want) || pa != want || level != lv || prot != PAGE_KERNEL.prot)
		goto bad;
	c->done += PT_LEVEL_SIZE(level);
	if (c->done == r->size) {
		c->idx++;
		c->done = 0;
	}
	return;
bad:
	c->bad = true;
	ktest_fail(c->t, __FILE__, __LINE__,
		   "linear map leaf va 0x%lx pa 0x%llx level %d prot 0x%lx unexpected", va,
		   (unsigned long long)pa, level, prot);
}

static void verify_boot(struct ktest *t, const struct sim_mem *m)
{
	struct sim_range u[32];
	int nu = usable_ranges(m, u);
	unsigned long present = 0, want_free = 0, usable_pages = 0;
	struct lm_check c = { .t = t, .u = u, .nu = nu };
	phys_addr_t top = 0;

	/* Memblock kept every reservation of the layout. */
	KEXPECT_TRUE(t, memblock_is_reserved(sim_kernel_pa));
	for (int i = 0; i < m->nr_reserved; i++)
		for (phys_addr_t a = m->reserved[i].base; a < m->reserved[i].base + m->reserved[i].size;
		     a += SZ_4K)
			KEXPECT_TRUE(t, memblock_is_reserved(a));

	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		phys_addr_t s = (phys_addr_t)nr << SECTION_SIZE_BITS;
		bool want = overlaps_ranges(m->ram, m->nr_ram, s, SECTION_SIZE);
		unsigned long va = vmemmap_va(s);
		int level = -1;

		KEXPECT_EQ(t, pfn_valid(PHYS_PFN(s)), want);
		KEXPECT_EQ(t, pfn_valid(PHYS_PFN(s + SECTION_SIZE) - 1), want);
		if (!want) {
			KEXPECT_EQ(t, mem_section[nr].flags, 0);
			continue;
		}
		present++;
		top = s + SECTION_SIZE;
		KEXPECT_EQ(t, mem_section[nr].flags, SECTION_PRESENT | SECTION_ONLINE | SECTION_EARLY);
		KEXPECT_NE(t, walk_pgd(swapper_pg_dir, va, &level, NULL), WALK_NONE);
		KEXPECT_EQ(t, level, PMD_LEVEL);
		KEXPECT_EQ(t, sim_check_mirror(va, va + SECTION_SIZE / 64), 0);
		/* Every page: free in the buddy exactly when usable and not reserved. */
		for (unsigned long pfn = PHYS_PFN(s); pfn < PHYS_PFN(s + SECTION_SIZE); pfn++) {
			phys_addr_t pa = PFN_PHYS(pfn);
			bool usable = in_ranges(u, nu, pa);
			bool free = usable && !memblock_is_reserved(pa);

			usable_pages += usable;
			want_free += free;
			if (page_is_buddy_free(pfn) != free ||
			    !!PageReserved(pfn_to_page(pfn)) == free) {
				ktest_fail(t, __FILE__, __LINE__,
					   "pfn 0x%lx: buddy %d reserved %d, want free %d", pfn,
					   page_is_buddy_free(pfn), !!PageReserved(pfn_to_page(pfn)), free);
				return;
			}
		}
	}
	KEXPECT_EQ(t, nr_present_sections(), present);
	KEXPECT_EQ(t, nr_free_pages(), want_free);
	KEXPECT_EQ(t, zones[ZONE_NORMAL].managed_pages, want_free);
	KEXPECT_EQ(t, zones[ZONE_NORMAL].present_pages, usable_pages);
	KEXPECT_EQ(t, vmemmap_stats.pmd_leaves, present);
	KEXPECT_EQ(t, vmemmap_stats.pte_leaves, 0);
	KEXPECT_EQ(t, nr_memmap_pages, present * SUBBLOCK_PAGES);
	KEXPECT_EQ(t, count_tables_at(vmemmap_va(0), vmemmap_va(top), PTE_LEVEL), 0);
	/* The vmemmap beyond the last section is not mapped, on the host either. */
	KEXPECT_TRUE(t, !sim_host_readable((void *)vmemmap_va(top)));
	/* The linear map: exactly the greedy leaves of each usable range. */
	sim_for_each_leaf(lm_va(0), lm_va(top), lm_leaf, &c);
	KEXPECT_EQ(t, c.idx, nu);
	EXPECT_PT_CONSISTENT(t);
	KEXPECT_TRUE(t, check_buddy(t));
}

static void sparse_boot_layouts(struct ktest *t)
{
	for (unsigned int l = 0; l < ARRAY_SIZE(layouts); l++)
		for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
			sim_boot(sim_modes[m], &layouts[l]);
			verify_boot(t, &layouts[l]);
			if (t->failed) {
				printk("    # layout %u, Sv%d\n", l, sim_modes[m]);
				return;
			}
		}
}

/* Random layouts: 1-4 nodes, holes, sizes in pages, reservations, no-map. */
static void sparse_random_layouts(struct ktest *t)
{
	struct sim_rng rng;

	sim_rng_init(&rng, "sparse_random_layouts");
	for (int it = 0; it < 6 && !t->failed; it++) {
		struct sim_range ram[4], rsv[4], nomap[2];
		struct sim_mem m = { .ram = ram };
		phys_addr_t pa = GB(1) + SZ_4K * sim_rand_below(&rng, GB(1) / SZ_4K);
		int nr = 1 + sim_rand_below(&rng, 4);

		for (int i = 0; i < nr; i++) {
			ram[i].base = ALIGN(pa, SZ_4K);
			ram[i].size = SZ_4K * (1024 + sim_rand_below(&rng, SZ_1G / SZ_4K));
			if (!i)
				ram[i].size = max(ram[i].size, 64 * SZ_1M);
			pa = ram[i].base + ram[i].size +
				(sim_chance(&rng, 1, 4) ? 0 : SZ_4K * sim_rand_below(&rng, GB(3) / SZ_4K));
		}
		m.nr_ram = nr;
		m.reserved = rsv;
		m.nr_reserved = sim_rand_below(&rng, 5);
		for (int i = 0; i < m.nr_reserved; i++) {
			const struct sim_range *r = &ram[sim_rand_below(&rng, nr)];

			rsv[i].base = r->base + SZ_4K * sim_rand_below(&rng, r->size / SZ_4K);
			rsv[i].size = SZ_4K * (1 + sim_rand_below(&rng, 4096));
		}
		m.nomap = nomap;
		m.nr_nomap = sim_rand_below(&rng, 3);
		for (int i = 0; i < m.nr_nomap; i++) {
			const struct sim_range *r = &ram[nr - 1];

			nomap[i].base = r->base + ALIGN_DOWN(r->size / 2, SZ_4K) + i * SZ_4K * 3000;
			nomap[i].size = SZ_4K * (1 + sim_rand_below(&rng, 2048));
		}
		/* The kernel sits at RAM start + 2 MiB: keep that clear of no-map. */
		sim_boot(sim_modes[it % 3], &m);
		verify_boot(t, &m);
		if (t->failed)
			printk("    # random layout %d (Sv%d): %d RAM ranges from 0x%llx\n", it,
			       sim_modes[it % 3], nr, (unsigned long long)ram[0].base);
	}
}

/*
 * Pages that get a pattern: every one would cost the host a page of RAM
 * and a fault each (the simulated memory is sparse), so one in 16, and a
 * different subset in every run.
 */
static bool pattern_page(unsigned long pfn)
{
	return (pfn ^ sim_seed) % 16 == 0;
}

/* Allocate every movable page, write and read patterns, free them. */
static void use_movable_memory(struct ktest *t, phys_addr_t base, phys_addr_t size)
{
	unsigned long cap = size / PAGE_SIZE, n = 0;
	struct blk *v = malloc(sizeof(*v) * cap);
	struct page *p;

	while (zone_free_pages(ZONE_MOVABLE)) {
		unsigned int o = zone_can(ZONE_MOVABLE, 9) ? 9 : 0;

		p = alloc_pages(GFP_MOVABLE, o);
		if (!p || page_zone(p) != ZONE_MOVABLE || page_to_phys(p) < base ||
		    page_to_phys(p) >= base + size || test_page_flag(p, PG_vmemmap)) {
			ktest_fail(t, __FILE__, __LINE__, "movable allocation outside the hot-added range");
			break;
		}
		v[n++] = (struct blk){ page_to_pfn(p), o };
		for (unsigned long i = 0; i < (1UL << o); i++) {
			u64 *w = page_address(p + i);

			if (!pattern_page(page_to_pfn(p) + i))
				continue;
			u64 pat = (page_to_pfn(p) + i) * 0x9e3779b97f4a7c15ull;

			if ((page_to_pfn(p) + i) % 97 == 0)
				for (unsigned long k = 0; k < PAGE_SIZE / 8; k++)
					w[k] = pat + k;
			w[0] = pat;
			w[PAGE_SIZE / 8 - 1] = ~pat;
		}
	}
	for (unsigned long j = 0; j < n && !t->failed; j++)
		for (unsigned long i = 0; i < (1UL << v[j].order); i++) {
			unsigned long pfn = v[j].pfn + i;
			u64 *w = page_address(pfn_to_page(pfn)), pat = pfn * 0x9e3779b97f4a7c15ull;
			bool ok;

			if (!pattern_page(pfn))
				continue;
			ok = w[0] == pat && w[PAGE_SIZE / 8 - 1] == ~pat;
			if (pfn % 97 == 0)
				for (unsigned long k = 1; k < PAGE_SIZE / 8 - 1; k++)
					ok &= w[k] == pat + k;
			if (!ok) {
				ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx: pattern lost", pfn);
				break;
			}
		}
	for (unsigned long j = 0; j < n; j++)
		free_pages(pfn_to_page(v[j].pfn), v[j].order);
	free(v);
}

/*
 * Every struct page of [base, base + size) is mapped (or not) in the
 * simulated tables, and the host agrees (every @stride bytes of memmap).
 */
static void check_memmap_stride(struct ktest *t, phys_addr_t base, phys_addr_t size,
				bool mapped, unsigned long stride)
{
	unsigned long s = vmemmap_va(base), e = vmemmap_va(base + size);

	KEXPECT_EQ(t, sim_check_mirror_stride(s, e, stride), 0);
	for (unsigned long va = s; va < e; va += PAGE_SIZE)
		if ((walk_pgd(swapper_pg_dir, va, NULL, NULL) != WALK_NONE) != mapped) {
			ktest_fail(t, __FILE__, __LINE__, "struct page at 0x%lx: mapped %d, want %d",
				   va, !mapped, mapped);
			return;
		}
}

static void check_memmap_mapped(struct ktest *t, phys_addr_t base, phys_addr_t size, bool mapped)
{
	check_memmap_stride(t, base, size, mapped, PAGE_SIZE);
}

struct vm_case {
	const char *name;
	unsigned int flags;
	bool basepages;
};

static const struct vm_case vm_cases[] = {
	{ "memmap from boot RAM, 2M leaves", MHP_NONE, false },
	{ "memmap from boot RAM, 4K fallback", MHP_NONE, true },
	{ "memmap on memory (altmap), 2M leaves", MHP_MEMMAP_ON_MEMORY, false },
	{ "memmap on memory (altmap), 4K fallback", MHP_MEMMAP_ON_MEMORY, true },
};

/*
 * 1 GiB hot-added at a 1 GiB-aligned address in every mode and every
 * memmap configuration: where the memmap comes from, which leaves map it,
 * what it costs, that the memory works, and that removal returns it all.
 */
static void hotadd_gib(struct ktest *t, int va_bits, const struct vm_case *c, phys_addr_t base)
{
	struct vmemmap_stats st0;
	struct mm_snap s0;
	unsigned long s, e, nsec = SZ_1G / SECTION_SIZE, pt_want;
	bool altmap = c->flags & MHP_MEMMAP_ON_MEMORY;

	sim_boot_simple(va_bits, SZ_1G);
	s = vmemmap_va(base);
	e = vmemmap_va(base + SZ_1G);
	mm_snap_take(&s0);
	st0 = vmemmap_stats;
	vmemmap_force_basepages = c->basepages;
	pt_want = sim_missing_tables(lm_va(base), PUD_LEVEL) +
		  sim_missing_tables(s, c->basepages ? PTE_LEVEL : PMD_LEVEL) +
		  (c->basepages ? nsec - 1 : 0);
	check_memmap_mapped(t, base, SZ_1G, false);
	KASSERT_EQ(t, add_memory(0, base, SZ_1G, c->flags), 0);
	vmemmap_force_basepages = false;

	KEXPECT_EQ(t, nr_present_sections(), s0.sections + nsec);
	KEXPECT_EQ(t, nr_pt_pages - s0.pt, pt_want);
	KEXPECT_EQ(t, count_tables_at(s, e, PTE_LEVEL), c->basepages ? nsec : 0);
	/* The kernel's own count: the path to one PMD table, plus the PTE tables. */
	KEXPECT_EQ(t, count_pt_pages(swapper_pg_dir, s, e),
		   kl.levels - 2 + (c->basepages ? nsec : 0));
	KEXPECT_EQ(t, vmemmap_stats.pmd_leaves - st0.pmd_leaves, c->basepages ? 0 : nsec);
	KEXPECT_EQ(t, vmemmap_stats.pte_leaves - st0.pte_leaves,
		   c->basepages ? nsec * SUBBLOCK_PAGES : 0);
	KEXPECT_EQ(t, vmemmap_stats.fallbacks - st0.fallbacks, c->basepages ? nsec : 0);
	if (altmap) {
		/* The altmap at every level, and not a byte of boot RAM for the memmap. */
		KEXPECT_EQ(t, vmemmap_stats.from_altmap - st0.from_altmap, nsec * SUBBLOCK_PAGES);
		KEXPECT_EQ(t, vmemmap_stats.from_memory, st0.from_memory);
		KEXPECT_EQ(t, vmemmap_stats.altmap_seen - st0.altmap_seen,
			   c->basepages ? nsec * SUBBLOCK_PAGES : nsec);
		KEXPECT_EQ(t, s0.zfree[ZONE_NORMAL] - zone_free_pages(ZONE_NORMAL),
			   nr_pt_pages - s0.pt);
		/* Near boot RAM the vmemmap tables exist: nothing at all. */
		if (!c->basepages && base == GB(4))
			KEXPECT_EQ(t, zone_free_pages(ZONE_NORMAL), s0.zfree[ZONE_NORMAL]);
		for (unsigned long i = 0; i < nsec; i++) {
			phys_addr_t sec = base + i * SECTION_SIZE;
			unsigned long va = vmemmap_va(sec);

			KEXPECT_EQ(t, __pfn_to_section(PHYS_PFN(sec))->nr_vmemmap, SUBBLOCK_PAGES);
			/* The section's memmap lives in its own first 2 MiB. */
			for (unsigned long o = 0; o < SZ_2M; o += c->basepages ? SZ_4K : SZ_2M) {
				phys_addr_t pa = walk_pgd(swapper_pg_dir, va + o, NULL, NULL);

				if (pa < sec || pa >= sec + SZ_2M) {
					ktest_fail(t, __FILE__, __LINE__,
						   "memmap of section 0x%llx at 0x%llx, not in its first 2 MiB",
						   (unsigned long long)sec, (unsigned long long)pa);
					break;
				}
			}
			KEXPECT_TRUE(t, test_page_flag(pfn_to_page(PHYS_PFN(sec)), PG_vmemmap));
			KEXPECT_TRUE(t, test_page_flag(pfn_to_page(PHYS_PFN(sec) + 511), PG_vmemmap));
			KEXPECT_TRUE(t, !test_page_flag(pfn_to_page(PHYS_PFN(sec) + 512), PG_vmemmap));
		}
	} else {
		KEXPECT_EQ(t, vmemmap_stats.from_altmap, st0.from_altmap);
		KEXPECT_EQ(t, vmemmap_stats.from_memory - st0.from_memory, nsec * SUBBLOCK_PAGES);
		KEXPECT_EQ(t, s0.zfree[ZONE_NORMAL] - zone_free_pages(ZONE_NORMAL),
			   nr_pt_pages - s0.pt + nsec * SUBBLOCK_PAGES);
	}
	EXPECT_PT_CONSISTENT(t);
	check_memmap_mapped(t, base, SZ_1G, true);

	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		KEXPECT_EQ(t, online_memory_block(b), 0);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE),
		   nsec * (PAGES_PER_SECTION - (altmap ? SUBBLOCK_PAGES : 0)));
	use_movable_memory(t, base, SZ_1G);
	KEXPECT_TRUE(t, check_buddy(t));
	offline_remove(t, base, SZ_1G);
	EXPECT_SNAP_EQ(t, s0);
	check_memmap_mapped(t, base, SZ_1G, false);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(base), NULL, NULL), WALK_NONE);
	if (t->failed)
		printk("    # Sv%d, %s, at 0x%llx\n", va_bits, c->name, (unsigned long long)base);
}

static void sparse_hotadd_vmemmap(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++)
		for (unsigned int c = 0; c < ARRAY_SIZE(vm_cases) && !t->failed; c++)
			hotadd_gib(t, sim_modes[m], &vm_cases[c], GB(4));
}

/*
 * Hot-added memory far from boot RAM needs vmemmap tables of its own;
 * removing it frees them through pt_free_page() like any table (Linux's
 * "riscv: mm: avoid calling the pmd dtor when vmemmap_free()").
 */
static void sparse_vmemmap_tables_freed(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++)
		for (unsigned int c = 0; c < ARRAY_SIZE(vm_cases) && !t->failed; c++)
			hotadd_gib(t, sim_modes[m], &vm_cases[c], GB(96));
}

/*
 * A memmap range that already has a 4 KiB page mapped (first page or
 * another one) falls back to 4 KiB pages and keeps that page;
 * vmemmap_free() then takes everything back.
 */
static void sparse_populate_partial(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		for (unsigned long first = 0; first < 2; first++) {
			phys_addr_t base = GB(6);
			unsigned long s, e, pre;
			struct mm_snap s0;
			struct vmemmap_stats st0;
			phys_addr_t kept;

			sim_boot_simple(sim_modes[m], SZ_1G);
			s = vmemmap_va(base);
			e = vmemmap_va(base + SECTION_SIZE);
			pre = s + (first ? 0 : 5 * PAGE_SIZE);
			mm_snap_take(&s0);
			KASSERT_EQ(t, vmemmap_populate_basepages(pre, pre + PAGE_SIZE, 0, NULL), 0);
			arch_sync_kernel_mappings(pre, pre + PAGE_SIZE);
			kept = walk_pgd(swapper_pg_dir, pre, NULL, NULL);
			*(volatile u64 *)pre = 0x1234;
			st0 = vmemmap_stats;
			KASSERT_EQ(t, vmemmap_populate(s, e, 0, NULL), 0);
			KEXPECT_EQ(t, vmemmap_stats.pmd_leaves, st0.pmd_leaves);
			KEXPECT_EQ(t, vmemmap_stats.fallbacks - st0.fallbacks, 1);
			KEXPECT_EQ(t, vmemmap_stats.pte_leaves - st0.pte_leaves, SUBBLOCK_PAGES - 1);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, pre, NULL, NULL), kept);
			KEXPECT_EQ(t, *(volatile u64 *)pre, 0x1234);
			/* The query saw the PTE table: no 2 MiB block was even tried. */
			KEXPECT_EQ(t, vmemmap_stats.from_memory - st0.from_memory,
				   SUBBLOCK_PAGES - 1);
			check_memmap_mapped(t, base, SECTION_SIZE, true);
			EXPECT_PT_CONSISTENT(t);
			vmemmap_free(s, e, NULL);
			check_memmap_mapped(t, base, SECTION_SIZE, false);
			EXPECT_SNAP_EQ(t, s0);
		}
	}
}

/* -ENOMEM at any allocation of vmemmap_populate(): nothing left behind. */
static void sparse_populate_enomem(struct ktest *t)
{
	unsigned long tried = 0, failed = 0;

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		for (int basepages = 0; basepages < 2; basepages++) {
			phys_addr_t base = GB(100);
			unsigned long s, e, total, c0;
			struct mm_snap s0;

			sim_boot_simple(sim_modes[m], SZ_1G);
			s = vmemmap_va(base);
			e = vmemmap_va(base + 2 * SECTION_SIZE);
			mm_snap_take(&s0);
			/* How many allocations an undisturbed run makes. */
			c0 = nr_alloc_calls;
			vmemmap_force_basepages = basepages;
			KASSERT_EQ(t, vmemmap_populate(s, e, 0, NULL), 0);
			vmemmap_force_basepages = false;
			total = nr_alloc_calls - c0;
			vmemmap_free(s, e, NULL);
			EXPECT_SNAP_EQ(t, s0);
			for (unsigned long n = 1; n <= total + 1; n += n < 64 ? 1 : 1 + n / 6) {
				int ret;

				vmemmap_force_basepages = basepages;
				fail_alloc_nth = n;
				ret = vmemmap_populate(s, e, 0, NULL);
				fail_alloc_nth = 0;
				vmemmap_force_basepages = false;
				tried++;
				if (ret) {
					failed++;
					KEXPECT_EQ(t, ret, -ENOMEM);
				} else {
					/* A 2 MiB block that failed falls back to 4 KiB pages. */
					check_memmap_stride(t, base, 2 * SECTION_SIZE, true, 13 * PAGE_SIZE);
					EXPECT_PT_CONSISTENT(t);
					vmemmap_free(s, e, NULL);
				}
				EXPECT_SNAP_EQ(t, s0);
				check_memmap_stride(t, base, 2 * SECTION_SIZE, false, 13 * PAGE_SIZE);
				if (t->failed) {
					printk("    # Sv%d basepages %d: failing allocation %lu of %lu\n",
					       sim_modes[m], basepages, n, total);
					return;
				}
			}
		}
	}
	printk("    # sparse_populate_enomem: %lu injections, %lu failed cleanly, the rest fell back\n",
	       tried, failed);
}

/*
 * Boot memory runs out in the middle of a section's memmap (a DT whose
 * reservations leave 2 MiB free): the 2 MiB block cannot be had, the 4 KiB
 * fallback runs dry, and the unwind must give every page and table back to
 * memblock. No struct page exists yet to read (it once went through
 * pt_free_page(), which read one: a fault, then the wrong panic).
 */
static void sparse_boot_memmap_enomem(struct ktest *t)
{
	static const struct sim_range ram = { 0x80000000UL, 64 * SZ_1M };
	static const struct sim_range rsv = { 0x80400000UL, 60 * SZ_1M };
	const struct sim_mem m = { .ram = &ram, .nr_ram = 1, .reserved = &rsv, .nr_reserved = 1 };
	unsigned long va, pt0;
	phys_addr_t rsv0;
	int level;

	sim_boot_memblock(48, &m);
	va = (unsigned long)pfn_to_page(PHYS_PFN(ram.base));
	rsv0 = memblock_reserved_size();
	pt0 = nr_pt_pages;
	KEXPECT_EQ(t, vmemmap_populate(va, va + SUBBLOCK_PAGES * PAGE_SIZE, 0, NULL), -ENOMEM);
	KEXPECT_GT(t, vmemmap_stats.pte_leaves, 0);	/* the fallback did map some */
	KEXPECT_EQ(t, memblock_reserved_size(), rsv0);
	KEXPECT_EQ(t, nr_pt_pages, pt0);
	KEXPECT_EQ(t, nr_memmap_pages, 0);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va, &level, NULL), WALK_NONE);
	KEXPECT_TRUE(t, !sim_host_readable((void *)va));
}

KTEST_SUITE(host_sparse, false,
	KTEST_CASE(sparse_boot_layouts),
	KTEST_CASE(sparse_random_layouts),
	KTEST_CASE(sparse_hotadd_vmemmap),
	KTEST_CASE(sparse_vmemmap_tables_freed),
	KTEST_CASE(sparse_populate_partial),
	KTEST_CASE(sparse_populate_enomem),
	KTEST_CASE(sparse_boot_memmap_enomem));
