// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the memblock allocator, on a scratch copy (the live one
 * describes this boot; memblock_live_map_sane checks that one).
 */
#include <asm/sections.h>
#include <asm/setup.h>
#include <rvmm/ktest.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>

static struct memblock saved;

static void mb_begin(void)
{
	saved = memblock;
	memblock_reset();
}

static void mb_end(void)
{
	memblock = saved;
}

static void memblock_add_merge(struct ktest *t)
{
	mb_begin();
	KEXPECT_EQ(t, memblock_add(0x80000000, 0x1000000), 0);
	KEXPECT_EQ(t, memblock_add(0x81000000, 0x1000000), 0);	/* adjacent: merges */
	KEXPECT_EQ(t, memblock.memory.cnt, 1);
	KEXPECT_EQ(t, memblock_add(0x80800000, 0x2000000), 0);	/* overlapping */
	KEXPECT_EQ(t, memblock.memory.cnt, 1);
	KEXPECT_EQ(t, memblock_phys_mem_size(), 0x2800000);
	KEXPECT_EQ(t, memblock_add(0x90000000, 0x1000), 0);	/* a hole between */
	KEXPECT_EQ(t, memblock.memory.cnt, 2);
	KEXPECT_TRUE(t, memblock_is_memory(0x90000fff));
	KEXPECT_TRUE(t, !memblock_is_memory(0x8f000000));
	mb_end();
}

static void memblock_reserve_and_remove(struct ktest *t)
{
	mb_begin();
	memblock_add(0x80000000, 0x10000000);
	KEXPECT_EQ(t, memblock_reserve(0x80100000, 0x100000), 0);
	KEXPECT_EQ(t, memblock_reserve(0x80180000, 0x100000), 0);	/* overlap */
	KEXPECT_EQ(t, memblock.reserved.cnt, 1);
	KEXPECT_EQ(t, memblock_reserved_size(), 0x180000);
	KEXPECT_EQ(t, memblock_remove(0x84000000, 0x1000000), 0);	/* punch a hole */
	KEXPECT_EQ(t, memblock.memory.cnt, 2);
	KEXPECT_EQ(t, memblock_phys_mem_size(), 0xf000000);
	KEXPECT_EQ(t, memblock_free(0x80100000, 0x80000), 0);
	KEXPECT_EQ(t, memblock_reserved_size(), 0x100000);
	mb_end();
}

static void memblock_alloc_topdown_aligned(struct ktest *t)
{
	phys_addr_t a, b;

	mb_begin();
	memblock_add(0x80000000, 0x400000);
	memblock_reserve(0x803ff000, 0x1000);	/* the top page is taken */
	a = memblock_phys_alloc(0x1000, 0x1000);
	KEXPECT_EQ(t, a, 0x803fe000);
	b = memblock_phys_alloc(0x200000, 0x200000);
	KEXPECT_EQ(t, b, 0x80000000);	/* the only aligned 2 MiB left */
	KEXPECT_EQ(t, memblock_phys_alloc(0x200000, 0x200000), 0);
	KEXPECT_TRUE(t, memblock_is_reserved(a) && memblock_is_reserved(b));
	mb_end();
}

static void memblock_alloc_respects_nomap_and_limits(struct ktest *t)
{
	phys_addr_t a;

	mb_begin();
	memblock_add(0x80000000, 0x400000);
	KEXPECT_EQ(t, memblock_mark_nomap(0x80200000, 0x200000), 0);
	KEXPECT_EQ(t, memblock.memory.cnt, 2);
	a = memblock_phys_alloc(0x1000, 0x1000);
	KEXPECT_LT(t, a, 0x80200000);
	a = memblock_phys_alloc_range(0x1000, 0x1000, 0x80100000, 0x80101000);
	KEXPECT_EQ(t, a, 0x80100000);
	KEXPECT_EQ(t, memblock_phys_alloc_range(0x1000, 0x1000, 0x80100000, 0x80101000), 0);
	memblock.current_limit = 0x80001000;
	KEXPECT_EQ(t, memblock_phys_alloc(0x1000, 0x1000), 0x80000000);
	mb_end();
}

static void memblock_table_full(struct ktest *t)
{
	int ret = 0;

	mb_begin();
	for (int i = 0; i <= MEMBLOCK_MAX_REGIONS && !ret; i++)
		ret = memblock_add(0x80000000 + i * 0x2000, 0x1000);
	KEXPECT_EQ(t, ret, -ENOSPC);
	KEXPECT_EQ(t, memblock.memory.cnt, MEMBLOCK_MAX_REGIONS);
	mb_end();
}

static void memblock_live_map_sane(struct ktest *t)
{
	KEXPECT_GE(t, memblock.memory.cnt, 1);
	KEXPECT_TRUE(t, memblock_is_reserved(kl.kernel_pa));
	KEXPECT_TRUE(t, memblock_is_reserved(kl.kernel_pa + (_end - _start) - 1));
	for (unsigned long i = 1; i < memblock.memory.cnt; i++)
		KEXPECT_GE(t, memblock.memory.regions[i].base,
			   memblock.memory.regions[i - 1].base + memblock.memory.regions[i - 1].size);
}

KTEST_SUITE(memblock, false,
	KTEST_CASE(memblock_add_merge),
	KTEST_CASE(memblock_reserve_and_remove),
	KTEST_CASE(memblock_alloc_topdown_aligned),
	KTEST_CASE(memblock_alloc_respects_nomap_and_limits),
	KTEST_CASE(memblock_table_full),
	KTEST_CASE(memblock_live_map_sane));
