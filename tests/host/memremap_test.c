// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of ZONE_DEVICE (mm/memremap.c): the DAX vmemmap optimisation
 * (two real vmemmap pages per compound page, the rest read-only aliases,
 * which the host mirror maps read-only too), plain and altmap memmaps,
 * fault injection, and the hotplug calls that must refuse device memory.
 */
#include <stdio.h>
#include <rvmm/fault-inject.h>
#include <rvmm/memremap.h>
#include "hosttest.h"

#define DEV_BASE	((phys_addr_t)8 << 30)

/* Every struct page of the range: head, tails, pgmap, as the layout says. */
static void check_device_memmap(struct ktest *t, struct dev_pagemap *pg)
{
	unsigned long spfn = PHYS_PFN(pg->start), nr = PHYS_PFN(pg->size);
	unsigned long step = 1UL << pg->vmemmap_shift;
	bool compound = vmemmap_can_optimize(pg->altmap, pg);

	for (unsigned long pfn = spfn; pfn < spfn + nr; pfn += step) {
		struct page *head = pfn_to_page(pfn);

		if (compound) {
			if (!test_page_flag(head, PG_head) || head->order != pg->vmemmap_shift ||
			    head->pgmap != pg || head->refcount != 1) {
				ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx: bad compound head", pfn);
				return;
			}
		}
		/* All tails in the real pages, then a sample of the aliases. */
		for (unsigned long i = 1; i < step; i += i < 2 * PAGE_SIZE / 64 ? 1 : 61) {
			struct page *p = head + i;

			if (compound_head(p) != (compound ? head : p) || p->pgmap != pg) {
				ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx: head %p, want %p",
					   pfn + i, (void *)compound_head(p), (void *)head);
				return;
			}
		}
		if (page_zone(head) != ZONE_DEVICE) {
			ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx: zone %d", pfn, page_zone(head));
			return;
		}
	}
}

/* Hotplug must not treat device memory as its own. */
static void check_refused(struct ktest *t, struct dev_pagemap *pg)
{
	struct mm_snap s;

	mm_snap_take(&s);
	sim_log_mute++;
	KEXPECT_EQ(t, online_memory_block(pg->start), -EINVAL);
	KEXPECT_EQ(t, offline_memory_block(pg->start), -EINVAL);
	KEXPECT_EQ(t, online_pages(PHYS_PFN(pg->start) + SUBBLOCK_PAGES, SUBBLOCK_PAGES,
				   ZONE_MOVABLE), -EINVAL);
	KEXPECT_NE(t, remove_memory(pg->start, SECTION_SIZE), 0);
	KEXPECT_EQ(t, add_memory(0, pg->start, SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, memremap_pages(pg), -EINVAL);
	sim_log_mute--;
	EXPECT_SNAP_EQ(t, s);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 0);
}

static void mr_compound_dedup(struct ktest *t)
{
	static const unsigned int shifts[] = { 9, 18, 10 };

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(shifts) && !t->failed; i++) {
			struct dev_pagemap pg = { .start = DEV_BASE, .size = SZ_1G,
						  .vmemmap_shift = shifts[i] };
			unsigned long s, e, ncomp = PHYS_PFN(pg.size) >> shifts[i];
			struct mm_snap s0;

			sim_boot_simple(sim_modes[m], SZ_1G);
			s = vmemmap_va(pg.start);
			e = vmemmap_va(pg.start + pg.size);
			mm_snap_take(&s0);
			KASSERT_TRUE(t, vmemmap_can_optimize(NULL, &pg));
			KASSERT_EQ(t, memremap_pages(&pg), 0);
			KEXPECT_EQ(t, pg.nr_vmemmap_pages, VMEMMAP_RESERVE_NR * ncomp);
			/* Boot RAM paid for the unique pages and the tables, nothing else. */
			KEXPECT_EQ(t, s0.zfree[ZONE_NORMAL] - zone_free_pages(ZONE_NORMAL),
				   pg.nr_vmemmap_pages + nr_pt_pages - s0.pt);
			KEXPECT_EQ(t, nr_present_sections(), s0.sections + pg.size / SECTION_SIZE);
			KEXPECT_TRUE(t, pfn_valid(PHYS_PFN(pg.start)));
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(pg.start), NULL, NULL), pg.start);
			/* The host mirror agrees, read-only aliases included. */
			KEXPECT_EQ(t, sim_check_mirror_stride(s, e, 3 * PAGE_SIZE), 0);
			KEXPECT_TRUE(t, !sim_host_writable((void *)(s + 2 * PAGE_SIZE)));
			KEXPECT_TRUE(t, sim_host_writable((void *)(s + PAGE_SIZE)));
			check_device_memmap(t, &pg);
			EXPECT_PT_CONSISTENT(t);
			check_refused(t, &pg);
			memunmap_pages(&pg);
			EXPECT_SNAP_EQ(t, s0);
			KEXPECT_EQ(t, sim_check_mirror_stride(s, e, 5 * PAGE_SIZE), 0);
			KEXPECT_TRUE(t, !sim_host_readable((void *)s));
			if (t->failed)
				printk("    # Sv%d, shift %u\n", sim_modes[m], shifts[i]);
		}
	}
}

static void mr_plain_and_altmap(struct ktest *t)
{
	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		for (int alt = 0; alt < 2 && !t->failed; alt++) {
			struct vmem_altmap a = {
				.base_pfn = PHYS_PFN(DEV_BASE),
				.end_pfn = PHYS_PFN(DEV_BASE + SZ_1G),
				.free = 8 * SUBBLOCK_PAGES,
			};
			struct dev_pagemap pg = { .start = DEV_BASE, .size = SZ_1G,
						  .vmemmap_shift = alt ? 9 : 0,
						  .altmap = alt ? &a : NULL };
			struct vmemmap_stats st0;
			struct mm_snap s0;

			sim_boot_simple(sim_modes[m], SZ_1G);
			mm_snap_take(&s0);
			st0 = vmemmap_stats;
			/* An altmap rules the optimisation out: the device pays. */
			KEXPECT_TRUE(t, !vmemmap_can_optimize(pg.altmap, &pg));
			KASSERT_EQ(t, memremap_pages(&pg), 0);
			KEXPECT_EQ(t, vmemmap_stats.pmd_leaves - st0.pmd_leaves, 8);
			KEXPECT_EQ(t, vmemmap_stats.from_altmap - st0.from_altmap, alt ? 8 * 512 : 0);
			KEXPECT_EQ(t, vmemmap_stats.from_memory - st0.from_memory, alt ? 0 : 8 * 512);
			if (alt)
				KEXPECT_EQ(t, a.alloc, 8 * SUBBLOCK_PAGES);
			check_device_memmap(t, &pg);
			KEXPECT_EQ(t, sim_check_mirror_stride(vmemmap_va(pg.start),
							      vmemmap_va(pg.start + pg.size),
							      7 * PAGE_SIZE), 0);
			check_refused(t, &pg);
			memunmap_pages(&pg);
			EXPECT_SNAP_EQ(t, s0);
			if (alt)
				KEXPECT_EQ(t, a.alloc, 0);
			if (t->failed)
				printk("    # Sv%d, altmap %d\n", sim_modes[m], alt);
		}
	}
}

static void mr_bad_input(struct ktest *t)
{
	struct dev_pagemap pg = { .start = DEV_BASE, .size = SZ_1G, .vmemmap_shift = 19 };
	struct mm_snap s0;

	sim_boot_simple(48, SZ_1G);
	mm_snap_take(&s0);
	sim_log_mute++;
	KEXPECT_EQ(t, memremap_pages(&pg), -EINVAL);	/* 2 GiB pages in 1 GiB */
	pg.vmemmap_shift = 9;
	pg.start = DEV_BASE + SZ_1M;
	KEXPECT_EQ(t, memremap_pages(&pg), -EINVAL);
	pg.start = 0x80000000UL;			/* boot RAM */
	KEXPECT_EQ(t, memremap_pages(&pg), -EINVAL);
	pg.start = DEV_BASE + SZ_4K;			/* not a section */
	pg.vmemmap_shift = 0;
	KEXPECT_EQ(t, memremap_pages(&pg), -EINVAL);
	sim_log_mute--;
	EXPECT_SNAP_EQ(t, s0);
}

/* -ENOMEM at any allocation: nothing left behind. */
static void mr_fault_injection(struct ktest *t)
{
	static const unsigned int shifts[] = { 9, 0, 18 };
	unsigned long tried = 0, failed = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(shifts) && !t->failed; i++) {
		struct dev_pagemap pg = { .start = DEV_BASE + SZ_1G, .size = SZ_1G,
					  .vmemmap_shift = shifts[i] };
		unsigned long total, c0;
		struct mm_snap s0;

		sim_boot_simple(sim_modes[i], SZ_1G);
		mm_snap_take(&s0);
		c0 = nr_alloc_calls;
		KASSERT_EQ(t, memremap_pages(&pg), 0);
		total = nr_alloc_calls - c0;
		memunmap_pages(&pg);
		EXPECT_SNAP_EQ(t, s0);
		for (unsigned long n = 1; n <= total + 1 && !t->failed; n += n < 300 ? 1 : 5) {
			int ret;

			fail_alloc_nth = n;
			sim_log_mute++;
			ret = memremap_pages(&pg);
			sim_log_mute--;
			fail_alloc_nth = 0;
			tried++;
			if (ret) {
				failed++;
				KEXPECT_EQ(t, ret, -ENOMEM);
				KEXPECT_TRUE(t, !pfn_valid(PHYS_PFN(pg.start)));
			} else {
				check_device_memmap(t, &pg);
				memunmap_pages(&pg);
			}
			EXPECT_SNAP_EQ(t, s0);
			KEXPECT_EQ(t, sim_check_mirror_stride(vmemmap_va(pg.start),
							      vmemmap_va(pg.start + pg.size),
							      31 * PAGE_SIZE), 0);
			if (t->failed)
				printk("    # shift %u: allocation %lu of %lu\n", shifts[i], n, total);
		}
	}
	printk("    # mr_fault_injection: %lu injections, %lu failed cleanly\n", tried, failed);
}

KTEST_SUITE(host_memremap, false,
	KTEST_CASE(mr_compound_dedup),
	KTEST_CASE(mr_plain_and_altmap),
	KTEST_CASE(mr_bad_input),
	KTEST_CASE(mr_fault_injection));
