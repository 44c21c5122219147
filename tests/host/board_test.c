// SPDX-License-Identifier: GPL-2.0
/*
 * The mm core on the JH7110 boards' memory map, from their own device
 * trees (tools/boardtrees.sh: VisionFive 2 v1.2a/v1.3b, Milk-V Mars,
 * Star64, each with 4 and 8 GiB at 0x40000000; RVMM_BOARDS names the
 * directory). Each tree boots with mem=1G; the RAM mem= kept out is then
 * hot-added, a GiB at a time (memmap from boot RAM and on the memory
 * itself in turn), onlined, used, offlined and removed, twice; every
 * counter must end where it started. The memory was garbage before each
 * boot and add (sim.c, garbage.c), so a memmap the kernel did not
 * initialise shows here.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hosttest.h"

#define BOARD_RAM_BASE	0x40000000UL
#define BOARD_MEM_LIMIT	SZ_1G
#define BOARD_CYCLES	2

static const char *const board_trees[] = {
	"jh7110-starfive-visionfive-2-v1.2a", "jh7110-starfive-visionfive-2-v1.3b",
	"jh7110-milkv-mars", "jh7110-pine64-star64",
};

/*
 * A freshly added struct page is all zero but for PG_vmemmap on the
 * memmap's own pages: the kernel never writes the others before onlining.
 */
static bool memmap_is_clean(struct ktest *t, phys_addr_t start, phys_addr_t size)
{
	for (unsigned long pfn = PHYS_PFN(start); pfn < PHYS_PFN(start + size); pfn++) {
		const struct page *p = pfn_to_page(pfn);

		if ((p->flags & ~BIT(PG_vmemmap)) || p->refcount || p->order || p->private ||
		    p->compound_head || p->pgmap || p->lru.next || p->lru.prev) {
			ktest_fail(t, __FILE__, __LINE__,
				   "struct page of pfn 0x%lx not initialised (flags 0x%lx)", pfn,
				   p->flags);
			return false;
		}
	}
	return true;
}

/* Add, online, use, offline and remove one GiB of the hidden RAM. */
static void board_cycle(struct ktest *t, phys_addr_t b, unsigned int flags)
{
	const int n = SZ_1G / SECTION_SIZE;
	struct page *p;

	KASSERT_EQ(t, add_memory(0, b, SZ_1G, flags), 0);
	KEXPECT_TRUE(t, memmap_is_clean(t, b, SZ_1G));
	for (int i = 0; i < n; i++)
		KASSERT_EQ(t, online_memory_block(b + i * SECTION_SIZE), 0);
	KEXPECT_TRUE(t, check_buddy(t));
	p = alloc_pages(GFP_MOVABLE, 4);
	KASSERT_TRUE(t, p && page_zone(p) == ZONE_MOVABLE);
	memset(page_address(p), 0x77, PAGE_SIZE << 4);
	free_pages(p, 4);
	for (int i = 0; i < n; i++)
		KASSERT_EQ(t, offline_memory_block(b + i * SECTION_SIZE), 0);
	KASSERT_EQ(t, remove_memory(b, SZ_1G), 0);
}

static void board_one(struct ktest *t, const char *dir, const char *board, int gib)
{
	struct sim_range hidden;
	struct mm_snap s0;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s-%dg.dtb", dir, board, gib);
	KASSERT_EQ(t, sim_boot_dtb(path, BOARD_MEM_LIMIT, &hidden), 0);
	KEXPECT_EQ(t, kl.va_bits, 39);
	KEXPECT_EQ(t, memblock.memory.cnt, 1);
	KEXPECT_EQ(t, memblock.memory.regions[0].base, BOARD_RAM_BASE);
	KEXPECT_EQ(t, memblock.memory.regions[0].size, BOARD_MEM_LIMIT);
	KEXPECT_EQ(t, sim_kernel_pa, BOARD_RAM_BASE + SZ_2M);
	KEXPECT_EQ(t, hidden.base, BOARD_RAM_BASE + BOARD_MEM_LIMIT);
	KASSERT_EQ(t, hidden.size, GB(gib) - BOARD_MEM_LIMIT);
	KEXPECT_TRUE(t, check_buddy(t));
	mm_snap_take(&s0);
	printk_quiet++;
	for (int c = 0; c < BOARD_CYCLES && !t->failed; c++)
		for (phys_addr_t b = hidden.base; b < hidden.base + hidden.size && !t->failed;
		     b += SZ_1G)
			board_cycle(t, b, (b >> 30) % 2 ? MHP_MEMMAP_ON_MEMORY : MHP_NONE);
	printk_quiet--;
	EXPECT_SNAP_EQ(t, s0);
	if (t->failed)
		printk("    # %s\n", path);
}

static void board_hotplug(struct ktest *t, int gib)
{
	const char *dir = getenv("RVMM_BOARDS");

	if (!dir || !*dir) {
		ktest_skip(t, "RVMM_BOARDS not set (make host-test sets it)");
		return;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(board_trees) && !t->failed; i++)
		board_one(t, dir, board_trees[i], gib);
}

static void board_hotplug_4g(struct ktest *t) { board_hotplug(t, 4); }
static void board_hotplug_8g(struct ktest *t) { board_hotplug(t, 8); }

KTEST_SUITE(host_board, false,
	KTEST_CASE(board_hotplug_4g),
	KTEST_CASE(board_hotplug_8g));
