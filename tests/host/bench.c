// SPDX-License-Identifier: GPL-2.0
/*
 * Host benchmarks of the mm core (make host-bench): no sanitizers, -O2.
 *
 *   host_memmap_init_vs_memset: the time to bring 1 GiB of hot-added
 *     memory to life on a 4 GiB machine (add_memory: linear map, memmap
 *     allocation, its zeroing, vmemmap tables; then online_memory_block
 *     for every block), divided by the time to memset the same number of
 *     memmap bytes (N pages * 64). Best of 5 of each, CLOCK_MONOTONIC.
 *     The simulated machine adds its own cost (the host mmap() calls that
 *     mirror the vmemmap): nothing is subtracted.
 *   host_vmemmap_pt_pages_per_gib: count_pt_pages() over the vmemmap of a
 *     hot-added GiB (every table reachable there, shared ones included).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <rvmm/printk.h>
#include "sim.h"

#define BENCH_VA_BITS	48
#define BENCH_RAM	(4 * SZ_1G)
#define HOT_BASE	(8 * SZ_1G)
#define REPS		5

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void die(const char *what, int ret)
{
	fprintf(stderr, "hostbench: %s failed (%d)\n", what, ret);
	exit(1);
}

int main(void)
{
	const struct sim_range ram = { 0x80000000UL, BENCH_RAM };
	const struct sim_mem mem = { .ram = &ram, .nr_ram = 1 };
	unsigned long npages = SZ_1G / PAGE_SIZE, bytes = npages * sizeof(struct page);
	unsigned long s, e, pt, pte_tables, pt_before;
	u64 best_init = ~0ull, best_memset = ~0ull;
	long faults = 0;
	void *blk[SZ_1G / SECTION_SIZE];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sim_boot(BENCH_VA_BITS, &mem);
	printk_quiet = 1;
	s = (unsigned long)pfn_to_page(PHYS_PFN(HOT_BASE));
	e = (unsigned long)pfn_to_page(PHYS_PFN(HOT_BASE + SZ_1G));

	/*
	 * Interleaved, so that both see the same machine; round 0 warms up
	 * (the host faults the simulated pages in once). The baseline is a
	 * memset of the very same bytes: the blocks backing the GiB's memmap,
	 * while its pages are offline (zero is their state anyway).
	 */
	for (int rep = 0; rep <= REPS; rep++) {
		long f0 = minflt();
		u64 t0 = now_ns(), t;

		ret = add_memory(0, HOT_BASE, SZ_1G, MHP_NONE);
		if (ret)
			die("add_memory", ret);
		for (phys_addr_t b = HOT_BASE; b < HOT_BASE + SZ_1G; b += SECTION_SIZE)
			if ((ret = online_memory_block(b)))
				die("online_memory_block", ret);
		t = now_ns() - t0;
		faults = minflt() - f0;
		if (rep && t < best_init)
			best_init = t;
		for (phys_addr_t b = HOT_BASE; b < HOT_BASE + SZ_1G; b += SECTION_SIZE)
			if ((ret = offline_memory_block(b)))
				die("offline_memory_block", ret);

		/* Zero the memmap's blocks through the mapping the kernel zeroed them by. */
		for (unsigned long va = s, i = 0; va < e; va += PMD_SIZE, i++)
			blk[i] = __va(walk_pgd(swapper_pg_dir, va, NULL, NULL));
		t0 = now_ns();
		for (unsigned long i = 0; i < bytes / PMD_SIZE; i++)
			memset(blk[i], 0, PMD_SIZE);
		__asm__ __volatile__("" : : "r"(blk) : "memory");
		t = now_ns() - t0;
		if (rep && t < best_memset)
			best_memset = t;
		if ((ret = remove_memory(HOT_BASE, SZ_1G)))
			die("remove_memory", ret);
	}

	/* The vmemmap tables of a hot-added GiB. */
	pt_before = nr_pt_pages;
	if ((ret = add_memory(0, HOT_BASE, SZ_1G, MHP_NONE)))
		die("add_memory", ret);
	pt = count_pt_pages(swapper_pg_dir, s, e);
	pte_tables = 0;
	for (unsigned long va = s; va < e; va += PMD_SIZE) {
		int level = -1;

		if (walk_pgd(swapper_pg_dir, va, &level, NULL) != WALK_NONE && level == PTE_LEVEL)
			pte_tables++;
	}
	printf("# Sv%d, %lu MiB of RAM, 1 GiB hot-added at 0x%lx: %lu pages, %lu KiB of memmap\n",
	       BENCH_VA_BITS, BENCH_RAM >> 20, HOT_BASE, npages, bytes >> 10);
	printf("# add_memory + online_memory_block: %llu us; memset of %lu KiB: %llu us (best of %d)\n",
	       (unsigned long long)best_init / 1000, bytes >> 10,
	       (unsigned long long)best_memset / 1000, REPS);
	/*
	 * The part of the ratio above 1 is mostly the host's page faults on
	 * the freshly mirrored vmemmap (one per struct page head that online
	 * touches); a hardware MMU takes none. Say how many there were.
	 */
	printf("# host page faults during add + online: %ld (simulation cost, not the kernel's)\n",
	       faults);
	printf("# vmemmap tables: %lu reachable over the GiB's memmap (shared ones included), "
	       "%lu of them PTE-level, %lu new for this GiB\n", pt, pte_tables, nr_pt_pages - pt_before);
	remove_memory(HOT_BASE, SZ_1G);
	printf("bench: host_memmap_init_vs_memset %.2f ratio\n", (double)best_init / best_memset);
	printf("bench: host_vmemmap_pt_pages_per_gib %lu pages\n", pt);
	return 0;
}
