/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_HOST_HOSTTEST_H
#define RVMM_HOST_HOSTTEST_H

/* Helpers shared by the host suites (the tests/host/..._test.c files). */
#include <stdio.h>
#include <string.h>
#include <rvmm/fault-inject.h>
#include <rvmm/ktest.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include "sim.h"


#define MB(x)	((phys_addr_t)(x) << 20)
#define GB(x)	((phys_addr_t)(x) << 30)

static const int sim_modes[] = { 39, 48, 57 };

/* Every table below the root, wherever it is. */
static inline unsigned long count_all_tables(void)
{
	unsigned long n[5], sum = 0;

	sim_count_tables(0, 1UL << kl.va_bits, n);
	for (int i = 0; i < 5; i++)
		sum += n[i];
	return sum;
}

/* Tables of level @level (0 = PTE tables) under [start, end). */
static inline unsigned long count_tables_at(unsigned long start, unsigned long end, int level)
{
	unsigned long n[5];

	sim_count_tables(start, end, n);
	return n[level];
}

static inline unsigned long vmemmap_va(phys_addr_t pa)
{
	return (unsigned long)pfn_to_page(PHYS_PFN(pa));
}

/*
 * Everything a failed operation must leave as it was. The section table is
 * compared whole (flags, zone, online map, state, memmap size).
 */
struct mm_snap {
	unsigned long free, zfree[MAX_NR_ZONES], managed[MAX_NR_ZONES];
	unsigned long present[MAX_NR_ZONES], pt, tables, sections;
	u64 sect_hash;
};

static inline u64 section_hash(void)
{
	u64 h = 0xcbf29ce484222325ull;
	const u8 *p = (const u8 *)mem_section;

	for (size_t i = 0; i < sizeof(mem_section); i += 8) {
		u64 w;

		memcpy(&w, p + i, 8);
		if (w)
			h = (h ^ w ^ i) * 0x100000001b3ull;
	}
	return h;
}

static inline void mm_snap_take(struct mm_snap *s)
{
	s->free = nr_free_pages();
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		s->zfree[z] = zones[z].free_pages;
		s->managed[z] = zones[z].managed_pages;
		s->present[z] = zones[z].present_pages;
	}
	s->pt = nr_pt_pages;
	s->tables = count_all_tables();
	s->sections = nr_present_sections();
	s->sect_hash = section_hash();
}

#define EXPECT_SNAP_EQ(t, a) do {						\
	struct mm_snap __n;							\
	mm_snap_take(&__n);							\
	KEXPECT_EQ(t, __n.free, (a).free);					\
	for (int __z = 0; __z < MAX_NR_ZONES; __z++) {				\
		KEXPECT_EQ(t, __n.zfree[__z], (a).zfree[__z]);			\
		KEXPECT_EQ(t, __n.managed[__z], (a).managed[__z]);		\
		KEXPECT_EQ(t, __n.present[__z], (a).present[__z]);		\
	}									\
	KEXPECT_EQ(t, __n.pt, (a).pt);						\
	KEXPECT_EQ(t, __n.tables, (a).tables);					\
	KEXPECT_EQ(t, __n.sections, (a).sections);				\
	KEXPECT_EQ(t, __n.sect_hash, (a).sect_hash);				\
} while (0)

/* KASSERT_EQ for functions that return a value. */
#define KASSERT_EQ_OR(t, a, b, ret) __KCMP(t, a, ==, b, return ret)

#define SZ_1M		0x100000UL

/* The last kernel message names @pfn (as "0x<pfn> "). */
static inline bool log_has_pfn(unsigned long pfn)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "0x%lx ", pfn);
	return strstr(sim_last_log(), hex) != NULL;
}

/*
 * nr_pt_pages must always be the number of tables actually reachable, as
 * sim.c's walker counts them and as count_pt_pages() does.
 */
#define EXPECT_PT_CONSISTENT(t) do {						\
	KEXPECT_EQ(t, nr_pt_pages, count_all_tables());			\
	KEXPECT_EQ(t, nr_pt_pages, count_pt_pages(swapper_pg_dir, 0, 1UL << kl.va_bits)); \
} while (0)

/* Would alloc_pages(order) find a block in @z? (ask before the call) */
static inline bool zone_can(enum zone_type z, unsigned int order)
{
	for (unsigned int o = order; o < NR_ORDERS; o++)
		if (zones[z].nr_free_area[o])
			return true;
	return false;
}

/* A block of pages handed out: its first pfn and order. */
struct blk {
	unsigned long pfn;
	unsigned int order;
};

/* Offline every memory block of [base, base + size), then remove it. */
static inline void offline_remove(struct ktest *t, phys_addr_t base, phys_addr_t size)
{
	for (phys_addr_t b = base; b < base + size; b += SECTION_SIZE)
		KEXPECT_EQ(t, offline_memory_block(b), 0);
	KEXPECT_EQ(t, remove_memory(base, size), 0);
}

/*
 * The buddy's free lists, checked from scratch: each listed block is a
 * buddy head of its order, aligned, valid, in the right zone, disjoint from
 * every other; counts match. Returns false (after reporting) on the first
 * inconsistency.
 */
bool check_buddy(struct ktest *t);

#endif
