// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of add_memory_plugged() (mm/memory_hotplug.c): a memory block
 * added with only its plugged extent in the linear map, the rest mapped
 * later by mhp_map_range(), and removed whole; extents it cannot take are
 * refused with a message and nothing changed.
 */
#include <string.h>
#include "hosttest.h"

#define RAM_SIZE	SZ_1G
#define BASE		(4 * SZ_1G)

static bool mapped(phys_addr_t pa)
{
	return walk_pgd(swapper_pg_dir, lm_va(pa), NULL, NULL) != WALK_NONE;
}

/* Zero, past the range, not 2 MiB, or short of the last section: refused. */
static void amp_bad_extent(struct ktest *t)
{
	static const struct {
		phys_addr_t size, plugged;
	} bad[] = {
		{ SECTION_SIZE, 0 },
		{ SECTION_SIZE, SECTION_SIZE + SZ_2M },
		{ SECTION_SIZE, SZ_2M + SZ_4K },
		{ SECTION_SIZE, SZ_1M },
		{ 2 * SECTION_SIZE, SECTION_SIZE },	/* the second memmap unplugged */
		{ 3 * SECTION_SIZE, SECTION_SIZE + SZ_2M },
	};

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes); m++) {
		struct mm_snap s0;

		sim_boot_simple(sim_modes[m], RAM_SIZE);
		mm_snap_take(&s0);
		for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
			unsigned long lines = sim_log_lines;

			sim_log_mute++;
			KEXPECT_EQ(t, add_memory_plugged(0, BASE, bad[i].size, bad[i].plugged,
							 MHP_MEMMAP_ON_MEMORY), -EINVAL);
			sim_log_mute--;
			KEXPECT_GT(t, sim_log_lines, lines);
			KEXPECT_TRUE(t, strstr(sim_last_log(), "plugged extent") != NULL);
			KEXPECT_TRUE(t, !mapped(BASE) && !pfn_valid(PHYS_PFN(BASE)));
			EXPECT_SNAP_EQ(t, s0);
		}
	}
}

/*
 * Two sections, the second plugged up to 6 sub-blocks: only those and the
 * first section are mapped; the memmaps are in place; a sub-block mapped
 * later onlines; the whole range goes and the state is as before.
 */
static void amp_maps_only_plugged(struct ktest *t)
{
	const phys_addr_t size = 2 * SECTION_SIZE, plugged = SECTION_SIZE + 6 * SZ_2M;

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		phys_addr_t hole = BASE + plugged;
		struct mm_snap s0;

		sim_boot_simple(sim_modes[m], RAM_SIZE);
		mm_snap_take(&s0);
		KASSERT_EQ(t, add_memory_plugged(0, BASE, size, plugged, MHP_MEMMAP_ON_MEMORY), 0);
		for (phys_addr_t pa = BASE; pa < BASE + size; pa += SZ_2M)
			if (mapped(pa) != (pa < BASE + plugged))
				ktest_fail(t, __FILE__, __LINE__, "sub-block 0x%llx: mapped %d",
					   (unsigned long long)pa, mapped(pa));
		KEXPECT_TRUE(t, pfn_valid(PHYS_PFN(BASE + SECTION_SIZE)));
		KEXPECT_EQ(t, memmap_on_memory_pages(PHYS_PFN(BASE + SECTION_SIZE)),
			   SUBBLOCK_PAGES);
		KEXPECT_EQ(t, mhp_map_range(hole, SZ_2M), 0);
		KEXPECT_TRUE(t, mapped(hole) && !mapped(hole + SZ_2M));
		KEXPECT_EQ(t, online_pages(PHYS_PFN(hole), SUBBLOCK_PAGES, ZONE_MOVABLE), 0);
		KEXPECT_EQ(t, offline_pages(PHYS_PFN(hole), SUBBLOCK_PAGES), 0);
		KEXPECT_EQ(t, remove_memory(BASE, size), 0);
		KEXPECT_TRUE(t, !mapped(BASE) && !mapped(hole));
		EXPECT_SNAP_EQ(t, s0);
	}
}

KTEST_SUITE(host_add_memory_plugged, false,
	KTEST_CASE(amp_bad_extent),
	KTEST_CASE(amp_maps_only_plugged));
