// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of memory hotplug (mm/memory_hotplug.c and what it drives):
 * every error path changes nothing, fault injection at every allocation of
 * add_memory() and at the splits of remove_memory(), sub-block
 * online/offline, and 1000 add/online/offline/remove cycles that must leave
 * every counter where it started. The random sequences against a model are
 * hotplug_random_test.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hosttest.h"

#define RAM_BASE	0x80000000UL
#define RAM_SIZE	SZ_1G

/* Everything, including the statistics, must be untouched. */
struct full_snap {
	struct mm_snap mm;
	struct vmemmap_stats st;
	unsigned long calls;
};

static void full_snap_take(struct full_snap *s)
{
	mm_snap_take(&s->mm);
	s->st = vmemmap_stats;
	s->calls = nr_alloc_calls;
}

#define EXPECT_UNTOUCHED(t, s) do {						\
	EXPECT_SNAP_EQ(t, (s).mm);						\
	KEXPECT_TRUE(t, !memcmp(&vmemmap_stats, &(s).st, sizeof((s).st)));	\
	KEXPECT_EQ(t, nr_alloc_calls, (s).calls);				\
} while (0)

/* ------------------------------------------------------------------ */
/* error paths                                                         */
/* ------------------------------------------------------------------ */

static void hp_add_errors(struct ktest *t)
{
	static const struct sim_range ram = { 0x4000000UL, RAM_SIZE };	/* 64 MiB: mid-section */
	const struct sim_mem m = { .ram = &ram, .nr_ram = 1 };
	phys_addr_t b = GB(8);
	struct full_snap s;

	sim_boot(48, &m);
	full_snap_take(&s);
	sim_log_mute++;
	KEXPECT_EQ(t, add_memory(0, b + SZ_4K, SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b + SECTION_SIZE / 2, SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b, SECTION_SIZE / 2, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b, SECTION_SIZE + SZ_4K, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b, 0, MHP_MEMMAP_ON_MEMORY), -EINVAL);
	/* Boot RAM: the section holding its start, its end, and across. */
	KEXPECT_EQ(t, add_memory(0, 0, SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, ALIGN_DOWN(ram.base + ram.size - 1, SECTION_SIZE),
				 SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, 0, GB(4), 0), -EINVAL);
	/* Beyond the linear map, and wrapping around. */
	KEXPECT_EQ(t, add_memory(0, linear_map_limit() - SECTION_SIZE, 2 * SECTION_SIZE, 0),
		   -EINVAL);
	KEXPECT_EQ(t, add_memory(0, linear_map_limit(), SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, ALIGN_DOWN(~0UL, SECTION_SIZE), 2 * SECTION_SIZE, 0), -EINVAL);
	/* MMIO. */
	KEXPECT_EQ(t, add_memory(0, SIM_MMIO_BASE - SECTION_SIZE, 2 * SECTION_SIZE, 0), -EINVAL);
	KEXPECT_TRUE(t, strstr(sim_last_log(), "sim-mmio") != NULL);
	sim_log_mute--;
	EXPECT_UNTOUCHED(t, s);

	/* The last section below the limit is fine. */
	KEXPECT_EQ(t, add_memory(0, linear_map_limit() - SECTION_SIZE, SECTION_SIZE,
				 MHP_MEMMAP_ON_MEMORY), 0);
	KEXPECT_EQ(t, remove_memory(linear_map_limit() - SECTION_SIZE, SECTION_SIZE), 0);

	/* Overlap with an earlier add, in every way. */
	KASSERT_EQ(t, add_memory(0, b, GB(1), 0), 0);
	full_snap_take(&s);
	sim_log_mute++;
	KEXPECT_EQ(t, add_memory(0, b, GB(1), 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b + GB(1) / 2, GB(1), MHP_MEMMAP_ON_MEMORY), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b - SECTION_SIZE, 2 * SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b + GB(1) - SECTION_SIZE, SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, b - GB(1), GB(3), 0), -EINVAL);
	sim_log_mute--;
	EXPECT_UNTOUCHED(t, s);
	KEXPECT_EQ(t, remove_memory(b, GB(1)), 0);
}

/*
 * One sync of kernel mappings per hot-add and one flush per hot-remove, and
 * each covers the whole memmap: the sim mirrors the vmemmap only on a sync,
 * flush or local fence, so a range left out would show in the mirror check.
 * The memmap blocks a remove defers come back after its flush, all of them.
 */
static void hp_one_sync_per_op(struct ktest *t)
{
	static const struct sim_range ram = { SZ_1G * 2UL, SZ_1G };
	const struct sim_mem m = { .ram = &ram, .nr_ram = 1 };
	static const unsigned int flags[] = { MHP_NONE, MHP_MEMMAP_ON_MEMORY };
	phys_addr_t b = GB(8);

	sim_boot(48, &m);
	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		unsigned long syncs = nr_kernel_syncs;
		struct mm_snap s;

		mm_snap_take(&s);
		KASSERT_EQ(t, add_memory(0, b, GB(1), flags[i]), 0);
		KEXPECT_EQ(t, nr_kernel_syncs - syncs, 1);
		KEXPECT_EQ(t, sim_check_mirror_stride(vmemmap_va(b), vmemmap_va(b + GB(1)),
						      16 * SZ_4K), 0);
		syncs = nr_kernel_syncs;
		KEXPECT_EQ(t, remove_memory(b, GB(1)), 0);
		KEXPECT_EQ(t, nr_kernel_syncs - syncs, 1);
		KEXPECT_EQ(t, sim_check_mirror_stride(vmemmap_va(b), vmemmap_va(b + GB(1)),
						      16 * SZ_4K), 0);
		EXPECT_SNAP_EQ(t, s);
	}
}

static void hp_remove_errors(struct ktest *t)
{
	static const struct sim_range ram = { 0x4000000UL, RAM_SIZE };
	const struct sim_mem m = { .ram = &ram, .nr_ram = 1 };
	phys_addr_t b = GB(8);
	struct full_snap s;

	for (unsigned int mode = 0; mode < ARRAY_SIZE(sim_modes); mode++) {
		sim_boot(sim_modes[mode], &m);
		KASSERT_EQ(t, add_memory(0, b, 2 * SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
		KASSERT_EQ(t, online_memory_block(b + SECTION_SIZE), 0);
		full_snap_take(&s);
		sim_log_mute++;
		KEXPECT_EQ(t, remove_memory(b + 2 * SECTION_SIZE, SECTION_SIZE), -ENOENT);
		KEXPECT_EQ(t, remove_memory(b - SECTION_SIZE, 2 * SECTION_SIZE), -ENOENT);
		KEXPECT_EQ(t, remove_memory(b, 3 * SECTION_SIZE), -EBUSY);	/* 2nd online */
		KEXPECT_EQ(t, remove_memory(b + SECTION_SIZE, SECTION_SIZE), -EBUSY);
		KEXPECT_EQ(t, remove_memory(0, SECTION_SIZE), -EINVAL);		/* boot */
		KEXPECT_EQ(t, remove_memory(b, 0), -EINVAL);
		KEXPECT_EQ(t, remove_memory(b + SZ_4K, SECTION_SIZE), -EINVAL);
		KEXPECT_EQ(t, remove_memory(b, SECTION_SIZE + SZ_2M), -EINVAL);
		KEXPECT_EQ(t, remove_memory(1UL << MAX_PHYSMEM_BITS, SECTION_SIZE), -EINVAL);
		/* Wrapping around the top: must not touch the linear map at 0. */
		KEXPECT_NE(t, remove_memory(ALIGN_DOWN(~0UL, SECTION_SIZE), 2 * SECTION_SIZE), 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(ram.base), NULL, NULL), ram.base);
		/* Online and offline of what is not a hot-added block. */
		KEXPECT_EQ(t, online_memory_block(b + 2 * SECTION_SIZE), -EINVAL);
		KEXPECT_EQ(t, online_memory_block(0), -EINVAL);
		KEXPECT_EQ(t, online_memory_block(b + SZ_2M), -EINVAL);
		KEXPECT_EQ(t, online_memory_block(ALIGN_DOWN(~0UL, SECTION_SIZE)), -EINVAL);
		KEXPECT_EQ(t, offline_memory_block(b + 2 * SECTION_SIZE), -EINVAL);
		KEXPECT_EQ(t, offline_memory_block(0), -EINVAL);
		/* Twice. */
		KEXPECT_EQ(t, online_memory_block(b + SECTION_SIZE), -EINVAL);
		KEXPECT_EQ(t, offline_memory_block(b), -EINVAL);
		sim_log_mute--;
		EXPECT_UNTOUCHED(t, s);
		KEXPECT_EQ(t, memory_block_state(b), MEM_OFFLINE);
		KEXPECT_EQ(t, memory_block_state(b + SECTION_SIZE), MEM_ONLINE);
		KEXPECT_EQ(t, memory_block_state(ram.base), MEM_ONLINE);
		KEXPECT_EQ(t, offline_memory_block(b + SECTION_SIZE), 0);
		KEXPECT_EQ(t, remove_memory(b, 2 * SECTION_SIZE), 0);
		sim_log_mute++;
		KEXPECT_EQ(t, remove_memory(b, 2 * SECTION_SIZE), -ENOENT);
		sim_log_mute--;
		if (t->failed) {
			printk("    # Sv%d\n", sim_modes[mode]);
			return;
		}
	}
}

/* A page in use blocks offlining, names itself, and changes nothing. */
static void hp_offline_busy(struct ktest *t)
{
	struct sim_rng rng;

	sim_rng_init(&rng, "hp_offline_busy");
	for (int it = 0; it < 8 && !t->failed; it++) {
		unsigned int flags = it & 1 ? MHP_MEMMAP_ON_MEMORY : 0;
		phys_addr_t b = GB(4) + SECTION_SIZE * sim_rand_below(&rng, 16);
		struct page *pages[16];
		unsigned long lowest = ~0UL;
		struct full_snap s;
		int n = 1 + sim_rand_below(&rng, 16);

		sim_boot_simple(sim_modes[it % 3], RAM_SIZE);
		KASSERT_EQ(t, add_memory(0, b, SECTION_SIZE, flags), 0);
		KASSERT_EQ(t, online_memory_block(b), 0);
		/* Take pages from random places: allocate, keep some, free the rest. */
		for (int i = 0; i < n; i++) {
			unsigned long skip = sim_rand_below(&rng, 3000);
			struct page *tmp[64];
			int nt = 0;

			for (unsigned long k = 0; k < skip / 64 && nt < 64; k++)
				tmp[nt++] = alloc_pages(GFP_MOVABLE, 6);
			pages[i] = alloc_pages(GFP_MOVABLE, 0);
			KASSERT_TRUE(t, pages[i]);
			KEXPECT_EQ(t, page_zone(pages[i]), ZONE_MOVABLE);
			lowest = min(lowest, page_to_pfn(pages[i]));
			while (nt)
				free_pages(tmp[--nt], 6);
		}
		full_snap_take(&s);
		sim_log_mute++;
		KEXPECT_EQ(t, offline_memory_block(b), -EBUSY);
		sim_log_mute--;
		KEXPECT_TRUE(t, log_has_pfn(lowest));
		EXPECT_SNAP_EQ(t, s.mm);
		KEXPECT_EQ(t, memory_block_state(b), MEM_ONLINE);
		KEXPECT_TRUE(t, check_buddy(t));
		/* The rest of the block is still allocatable. */
		{
			struct page *p = alloc_pages(GFP_MOVABLE, 0);

			KEXPECT_TRUE(t, p && page_zone(p) == ZONE_MOVABLE);
			if (p)
				free_page(p);
		}
		for (int i = 0; i < n; i++)
			free_page(pages[i]);
		KEXPECT_EQ(t, offline_memory_block(b), 0);
		KEXPECT_EQ(t, remove_memory(b, SECTION_SIZE), 0);
		if (t->failed)
			printk("    # iteration %d: %d pages, lowest pfn 0x%lx; log: %s\n", it, n,
			       lowest, sim_last_log());
	}
}

/* virtio-mem's unit: 2 MiB sub-blocks, online and offline one by one. */
static void hp_subblocks(struct ktest *t)
{
	struct sim_rng rng;

	sim_rng_init(&rng, "hp_subblocks");
	for (int it = 0; it < 6 && !t->failed; it++) {
		bool altmap = it & 1;
		phys_addr_t b = GB(4);
		unsigned long spfn = PHYS_PFN(b), first = altmap ? 1 : 0;
		struct mem_section *ms;
		struct full_snap s;
		u64 want = 0;

		sim_boot_simple(sim_modes[it % 3], RAM_SIZE);
		KASSERT_EQ(t, add_memory(0, b, 2 * SECTION_SIZE, altmap ? MHP_MEMMAP_ON_MEMORY : 0), 0);
		ms = __pfn_to_section(spfn);
		full_snap_take(&s);
		sim_log_mute++;
		KEXPECT_EQ(t, online_pages(spfn + first * SUBBLOCK_PAGES + 1, SUBBLOCK_PAGES,
					   ZONE_MOVABLE), -EINVAL);
		KEXPECT_EQ(t, online_pages(spfn + first * SUBBLOCK_PAGES, SUBBLOCK_PAGES / 2,
					   ZONE_MOVABLE), -EINVAL);
		KEXPECT_EQ(t, online_pages(spfn + first * SUBBLOCK_PAGES, 0, ZONE_MOVABLE), -EINVAL);
		KEXPECT_EQ(t, online_pages(spfn + PAGES_PER_SECTION - SUBBLOCK_PAGES,
					   2 * SUBBLOCK_PAGES, ZONE_MOVABLE), -EINVAL);
		KEXPECT_EQ(t, online_pages(PHYS_PFN(RAM_BASE), SUBBLOCK_PAGES, ZONE_MOVABLE), -EINVAL);
		KEXPECT_EQ(t, online_pages(spfn + 2 * PAGES_PER_SECTION, SUBBLOCK_PAGES,
					   ZONE_MOVABLE), -EINVAL);
		if (altmap)	/* the memmap's own sub-block */
			KEXPECT_EQ(t, online_pages(spfn, SUBBLOCK_PAGES, ZONE_MOVABLE), -EINVAL);
		KEXPECT_EQ(t, offline_pages(spfn + first * SUBBLOCK_PAGES, SUBBLOCK_PAGES), -EINVAL);
		sim_log_mute--;
		EXPECT_UNTOUCHED(t, s);

		/* Random sub-blocks of the first section, one by one. */
		for (int k = 0; k < 200 && !t->failed; k++) {
			unsigned long sb = first + sim_rand_below(&rng, SUBBLOCKS_PER_SECTION - first);
			unsigned long pfn = spfn + sb * SUBBLOCK_PAGES;
			bool on = want & (1ULL << sb);
			int ret;

			sim_log_mute++;
			ret = on ? offline_pages(pfn, SUBBLOCK_PAGES) :
				online_pages(pfn, SUBBLOCK_PAGES, ZONE_MOVABLE);
			sim_log_mute--;
			KEXPECT_EQ(t, ret, 0);
			want ^= 1ULL << sb;
			KEXPECT_EQ(t, ms->online_map, want);
			KEXPECT_EQ(t, !!(ms->flags & SECTION_ONLINE), !!want);
			KEXPECT_EQ(t, memory_block_state(b), want ? MEM_ONLINE : MEM_OFFLINE);
			KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE),
				   __builtin_popcountll(want) * SUBBLOCK_PAGES);
			KEXPECT_EQ(t, zones[ZONE_MOVABLE].present_pages,
				   __builtin_popcountll(want) * SUBBLOCK_PAGES);
			/* Twice is an error. */
			sim_log_mute++;
			KEXPECT_EQ(t, on ? offline_pages(pfn, SUBBLOCK_PAGES) :
				   online_pages(pfn, SUBBLOCK_PAGES, ZONE_MOVABLE), -EINVAL);
			sim_log_mute--;
			if (k % 20 == 0)
				check_buddy(t);
		}
		/* One zone per section: NORMAL next to MOVABLE is refused. */
		if (~want & ~(first ? 1ULL : 0)) {
			unsigned long sb = __builtin_ctzll(~want & ~(first ? 1ULL : 0));

			if (want) {
				sim_log_mute++;
				KEXPECT_EQ(t, online_pages(spfn + sb * SUBBLOCK_PAGES, SUBBLOCK_PAGES,
							   ZONE_NORMAL), -EINVAL);
				sim_log_mute--;
			}
		}
		/* Online sub-blocks keep the section from being removed. */
		if (want) {
			sim_log_mute++;
			KEXPECT_EQ(t, remove_memory(b, 2 * SECTION_SIZE), -EBUSY);
			sim_log_mute--;
		}
		for (unsigned long sb = 0; sb < SUBBLOCKS_PER_SECTION; sb++)
			if (want & (1ULL << sb))
				KEXPECT_EQ(t, offline_pages(spfn + sb * SUBBLOCK_PAGES, SUBBLOCK_PAGES), 0);
		/* The second section: all of it in ZONE_NORMAL. */
		{
			unsigned long pfn = spfn + PAGES_PER_SECTION + first * SUBBLOCK_PAGES;
			unsigned long nr = PAGES_PER_SECTION - first * SUBBLOCK_PAGES;
			unsigned long nf = zone_free_pages(ZONE_NORMAL);

			KEXPECT_EQ(t, online_pages(pfn, nr, ZONE_NORMAL), 0);
			KEXPECT_EQ(t, zone_free_pages(ZONE_NORMAL) - nf, nr);
			KEXPECT_EQ(t, offline_pages(pfn, nr), 0);
		}
		KEXPECT_EQ(t, remove_memory(b, 2 * SECTION_SIZE), 0);
		KEXPECT_TRUE(t, check_buddy(t));
		if (t->failed)
			printk("    # iteration %d (Sv%d, altmap %d)\n", it, sim_modes[it % 3], altmap);
	}
}

/* rvmm.online=normal: kernel allocations may land there and pin it. */
static void hp_online_normal(struct ktest *t)
{
	phys_addr_t b = GB(4);
	struct page *p, *pin = NULL;
	unsigned long n = 0;
	struct mm_snap s0;

	sim_boot_simple(39, 64 * SZ_1M);
	mm_snap_take(&s0);
	default_online_zone = ZONE_NORMAL;
	KASSERT_EQ(t, add_memory(0, b, SECTION_SIZE, MHP_NONE), 0);
	KASSERT_EQ(t, online_memory_block(b), 0);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 0);
	/* Exhaust boot RAM: the next GFP_KERNEL page comes from the new block. */
	{
		struct page **v = malloc(sizeof(*v) * (PAGES_PER_SECTION + 16384));

		while ((p = alloc_page(GFP_KERNEL))) {
			if (page_to_phys(p) >= b && !pin)
				pin = p;
			else
				v[n++] = p;
		}
		KEXPECT_TRUE(t, pin != NULL);
		while (n)
			free_page(v[--n]);
		free(v);
	}
	sim_log_mute++;
	KEXPECT_EQ(t, offline_memory_block(b), -EBUSY);
	sim_log_mute--;
	if (pin) {
		KEXPECT_TRUE(t, log_has_pfn(page_to_pfn(pin)));
		free_page(pin);
	}
	KEXPECT_EQ(t, offline_memory_block(b), 0);
	KEXPECT_EQ(t, remove_memory(b, SECTION_SIZE), 0);
	default_online_zone = ZONE_MOVABLE;
	EXPECT_SNAP_EQ(t, s0);
}

/* ------------------------------------------------------------------ */
/* fault injection                                                     */
/* ------------------------------------------------------------------ */

struct fi_case {
	int va_bits;
	phys_addr_t base, size;
	unsigned int flags;
	bool basepages;
};

static void fi_add(struct ktest *t, const struct fi_case *c, unsigned long *tried,
		   unsigned long *failed)
{
	struct full_snap s;
	unsigned long total, c0;

	sim_boot_simple(c->va_bits, RAM_SIZE);
	/* How many allocations an undisturbed add makes. */
	c0 = nr_alloc_calls;
	vmemmap_force_basepages = c->basepages;
	KASSERT_EQ(t, add_memory(0, c->base, c->size, c->flags), 0);
	vmemmap_force_basepages = false;
	total = nr_alloc_calls - c0;
	KASSERT_EQ(t, remove_memory(c->base, c->size), 0);
	mm_snap_take(&s.mm);
	for (unsigned long n = 1; n <= total + 1; n++) {
		int ret;

		vmemmap_force_basepages = c->basepages;
		fail_alloc_nth = n;
		sim_log_mute++;
		ret = add_memory(0, c->base, c->size, c->flags);
		sim_log_mute--;
		fail_alloc_nth = 0;
		vmemmap_force_basepages = false;
		(*tried)++;
		if (ret) {
			(*failed)++;
			KEXPECT_EQ(t, ret, -ENOMEM);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(c->base), NULL, NULL), WALK_NONE);
			KEXPECT_TRUE(t, !pfn_valid(PHYS_PFN(c->base)));
			KEXPECT_EQ(t, sim_check_mirror_stride(vmemmap_va(c->base),
							      vmemmap_va(c->base + c->size),
							      17 * PAGE_SIZE), 0);
		} else {
			KEXPECT_EQ(t, online_memory_block(c->base), 0);
			KEXPECT_EQ(t, offline_memory_block(c->base), 0);
			KEXPECT_EQ(t, remove_memory(c->base, c->size), 0);
		}
		EXPECT_SNAP_EQ(t, s.mm);
		if (t->failed) {
			printk("    # Sv%d add 0x%llx+0x%llx flags %u basepages %d: allocation %lu of %lu\n",
			       c->va_bits, (unsigned long long)c->base, (unsigned long long)c->size,
			       c->flags, c->basepages, n, total);
			return;
		}
	}
}

static void hp_add_fault_injection(struct ktest *t)
{
	/* Far from boot RAM (own vmemmap tables) and unaligned to 1G (PMD tables). */
	static const struct fi_case cases[] = {
		{ 39, GB(100) + SECTION_SIZE, 3 * SECTION_SIZE, MHP_NONE, false },
		{ 39, GB(100) + SECTION_SIZE, 3 * SECTION_SIZE, MHP_MEMMAP_ON_MEMORY, false },
		{ 48, GB(4), GB(1), MHP_NONE, false },
		{ 48, GB(700) - SECTION_SIZE, 2 * SECTION_SIZE, MHP_NONE, true },
		{ 57, GB(600) + 3 * SECTION_SIZE, 2 * SECTION_SIZE, MHP_MEMMAP_ON_MEMORY, true },
		{ 57, GB(100), GB(2), MHP_MEMMAP_ON_MEMORY, false },
	};
	unsigned long tried = 0, failed = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(cases) && !t->failed; i++)
		fi_add(t, &cases[i], &tried, &failed);
	printk("    # hp_add_fault_injection: %lu injections, %lu failed cleanly, the rest fell back to 4K memmap pages\n",
	       tried, failed);
	KEXPECT_GT(t, failed, 100);
}

/*
 * Removing part of what one add mapped with a 1 GiB leaf splits it. If
 * that fails, remove_memory() must fail and leave the memory as it was:
 * present, offline, mapped.
 */
static void hp_remove_fault_injection(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		phys_addr_t b = GB(8);
		int ret = -ENOMEM;
		unsigned long n;

		sim_boot_simple(sim_modes[m], RAM_SIZE);
		KASSERT_EQ(t, add_memory(0, b, GB(1), MHP_NONE), 0);
		for (n = 1; ret && n < 10; n++) {
			phys_addr_t cut = b + GB(1) / 2;
			struct mm_snap s;

			mm_snap_take(&s);
			fail_alloc_nth = n;
			sim_log_mute++;
			ret = remove_memory(cut, SECTION_SIZE);
			sim_log_mute--;
			fail_alloc_nth = 0;
			if (!ret)
				break;
			KEXPECT_EQ(t, ret, -ENOMEM);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(cut), NULL, NULL), cut);
			KEXPECT_TRUE(t, pfn_valid(PHYS_PFN(cut)));
			KEXPECT_EQ(t, memory_block_state(cut), MEM_OFFLINE);
			KEXPECT_EQ(t, s.sections, nr_present_sections());
			KEXPECT_EQ(t, s.sect_hash, section_hash());
			KEXPECT_EQ(t, s.free + s.pt, nr_free_pages() + nr_pt_pages);
			EXPECT_PT_CONSISTENT(t);
			/* Still usable. */
			KEXPECT_EQ(t, online_memory_block(cut), 0);
			KEXPECT_EQ(t, offline_memory_block(cut), 0);
		}
		KEXPECT_EQ(t, ret, 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(b + GB(1) / 2), NULL, NULL), WALK_NONE);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(b + GB(1) / 2 - SZ_4K), NULL, NULL),
			   b + GB(1) / 2 - SZ_4K);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(b + GB(1) / 2 + SECTION_SIZE), NULL,
				       NULL), b + GB(1) / 2 + SECTION_SIZE);
		KEXPECT_EQ(t, remove_memory(b, GB(1) / 2), 0);
		KEXPECT_EQ(t, remove_memory(b + GB(1) / 2 + SECTION_SIZE, GB(1) / 2 - SECTION_SIZE), 0);
		KEXPECT_EQ(t, count_tables_at(lm_va(b), lm_va(b + GB(1)), PTE_LEVEL) +
			   count_tables_at(lm_va(b), lm_va(b + GB(1)), PMD_LEVEL), 0);
		EXPECT_PT_CONSISTENT(t);
		if (t->failed)
			printk("    # Sv%d, allocation %lu\n", sim_modes[m], n);
	}
}

/*
 * virtio-mem's unplugged sub-blocks leave the linear map (mhp_unmap_range)
 * and come back (mhp_map_range); removal copes with the holes, and still
 * fails cleanly when a split it needs cannot be had.
 */
static void hp_unmap_range(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		phys_addr_t b = GB(8), sb = b + 7 * SECTION_SIZE;	/* last section of the GiB */
		struct mm_snap s0, s1;
		int lv = -1, ret;

		sim_boot_simple(sim_modes[m], RAM_SIZE);
		mm_snap_take(&s0);
		KASSERT_EQ(t, add_memory(0, b, GB(2), MHP_NONE), 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb), &lv, NULL), sb);
		KEXPECT_EQ(t, lv, PUD_LEVEL);
		sim_log_mute++;
		KEXPECT_EQ(t, mhp_unmap_range(sb + SZ_4K, SZ_2M), -EINVAL);
		KEXPECT_EQ(t, mhp_unmap_range(sb, SZ_1M), -EINVAL);
		KEXPECT_EQ(t, mhp_unmap_range(RAM_BASE, SZ_2M), -EINVAL);
		KEXPECT_EQ(t, mhp_unmap_range(sb + SECTION_SIZE - SZ_2M, 2 * SZ_2M), -EINVAL);
		sim_log_mute--;
		/* -ENOMEM on the split: nothing unmapped. */
		fail_alloc_nth = 1;
		sim_log_mute++;
		ret = mhp_unmap_range(sb, SZ_2M);
		sim_log_mute--;
		fail_alloc_nth = 0;
		KEXPECT_EQ(t, ret, -ENOMEM);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb), NULL, NULL), sb);
		EXPECT_PT_CONSISTENT(t);
		/* Unmapped, twice (idempotent), the neighbours stay. */
		KEXPECT_EQ(t, mhp_unmap_range(sb, SZ_2M), 0);
		KEXPECT_EQ(t, mhp_unmap_range(sb, SZ_2M), 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb), NULL, NULL), WALK_NONE);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb) - 1, &lv, NULL), sb - 1);
		KEXPECT_EQ(t, lv, PMD_LEVEL);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb + SZ_2M), NULL, NULL), sb + SZ_2M);
		/* Not while online. */
		KEXPECT_EQ(t, online_pages(PHYS_PFN(sb + SZ_2M), SUBBLOCK_PAGES, ZONE_MOVABLE), 0);
		sim_log_mute++;
		KEXPECT_EQ(t, mhp_unmap_range(sb + SZ_2M, SZ_2M), -EBUSY);
		KEXPECT_EQ(t, mhp_map_range(sb + SZ_2M, SZ_2M), -EBUSY);
		sim_log_mute--;
		KEXPECT_EQ(t, offline_pages(PHYS_PFN(sb + SZ_2M), SUBBLOCK_PAGES), 0);
		/* Back, twice. */
		KEXPECT_EQ(t, mhp_map_range(sb, SZ_2M), 0);
		KEXPECT_EQ(t, mhp_map_range(sb, SZ_2M), 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb), &lv, NULL), sb);
		KEXPECT_EQ(t, lv, PMD_LEVEL);
		EXPECT_PT_CONSISTENT(t);

		/*
		 * Removing [sb, sb + 256M) with its first sub-block unplugged:
		 * the range also cuts the second GiB's 1 GiB leaf. If that split
		 * fails, nothing may be removed.
		 */
		KEXPECT_EQ(t, mhp_unmap_range(sb, SZ_2M), 0);
		mm_snap_take(&s1);
		fail_alloc_nth = 1;
		sim_log_mute++;
		ret = remove_memory(sb, 2 * SECTION_SIZE);
		sim_log_mute--;
		fail_alloc_nth = 0;
		KEXPECT_EQ(t, ret, -ENOMEM);
		KEXPECT_TRUE(t, pfn_valid(PHYS_PFN(sb)));
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb + SZ_2M), NULL, NULL), sb + SZ_2M);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(b + GB(1)), NULL, NULL), b + GB(1));
		KEXPECT_EQ(t, s1.sect_hash, section_hash());
		EXPECT_PT_CONSISTENT(t);
		/* Without the failure: gone, holes and all. */
		KEXPECT_EQ(t, remove_memory(sb, 2 * SECTION_SIZE), 0);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(sb + SZ_2M), NULL, NULL), WALK_NONE);
		KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(b + GB(1)), NULL, NULL), WALK_NONE);
		KEXPECT_EQ(t, remove_memory(b, 7 * SECTION_SIZE), 0);
		KEXPECT_EQ(t, remove_memory(b + GB(1) + SECTION_SIZE, GB(1) - SECTION_SIZE), 0);
		EXPECT_SNAP_EQ(t, s0);
		if (t->failed)
			printk("    # Sv%d\n", sim_modes[m]);
	}
}

/* ------------------------------------------------------------------ */
/* 1000 cycles                                                         */
/* ------------------------------------------------------------------ */

static void hp_1000_cycles(struct ktest *t)
{
	struct sim_rng rng;
	struct mm_snap s0;
	unsigned long t0;

	sim_rng_init(&rng, "hp_1000_cycles");
	sim_boot_simple(sim_modes[sim_rand_below(&rng, 3)], RAM_SIZE);
	mm_snap_take(&s0);
	t0 = nr_pt_pages;
	printk_quiet++;
	for (int c = 0; c < 1000 && !t->failed; c++) {
		int n = sim_chance(&rng, 1, 10) ? 8 : 1 + sim_rand_below(&rng, 3);
		phys_addr_t b = GB(4) + SECTION_SIZE * sim_rand_below(&rng, 64);
		unsigned int flags = sim_chance(&rng, 1, 2) ? MHP_MEMMAP_ON_MEMORY : 0;
		struct page *p = NULL;

		if (n == 8)
			b = ALIGN_DOWN(b, GB(1));
		vmemmap_force_basepages = sim_chance(&rng, 1, 5);
		KASSERT_EQ(t, add_memory(0, b, (phys_addr_t)n * SECTION_SIZE, flags), 0);
		vmemmap_force_basepages = false;
		for (int i = 0; i < n; i++)
			KASSERT_EQ(t, online_memory_block(b + i * SECTION_SIZE), 0);
		p = alloc_pages(GFP_MOVABLE, sim_rand_below(&rng, NR_ORDERS));
		KASSERT_TRUE(t, p && page_zone(p) == ZONE_MOVABLE);
		memset(page_address(p), 0x77, PAGE_SIZE);
		free_pages(p, p->order);
		for (int i = 0; i < n; i++)
			KASSERT_EQ(t, offline_memory_block(b + i * SECTION_SIZE), 0);
		KASSERT_EQ(t, remove_memory(b, (phys_addr_t)n * SECTION_SIZE), 0);
		if (c % 100 == 0) {
			EXPECT_SNAP_EQ(t, s0);
			if (t->failed)
				printk("    # after cycle %d\n", c);
		}
	}
	printk_quiet--;
	EXPECT_SNAP_EQ(t, s0);
	KEXPECT_EQ(t, nr_pt_pages, t0);
	KEXPECT_TRUE(t, check_buddy(t));
}

KTEST_SUITE(host_hotplug, false,
	KTEST_CASE(hp_add_errors),
	KTEST_CASE(hp_one_sync_per_op),
	KTEST_CASE(hp_remove_errors),
	KTEST_CASE(hp_offline_busy),
	KTEST_CASE(hp_subblocks),
	KTEST_CASE(hp_online_normal),
	KTEST_CASE(hp_add_fault_injection),
	KTEST_CASE(hp_remove_fault_injection),
	KTEST_CASE(hp_unmap_range),
	KTEST_CASE(hp_1000_cycles));
