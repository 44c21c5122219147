// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmarks: the KTAP suite "bench", run only on request
 * (rvmm.bench, or rvmm.tests=bench), counted in retired instructions: exact
 * under QEMU -icount shift=0. Measured on the hotplug core directly, and
 * through the first virtio-mem device (its driver's own request path; the
 * driver measures the serve path itself, drivers/virtio/virtio_mem.c).
 * Each figure is a
 * line "bench: <name> <value> <unit>"; a case fails when the operation it
 * measures does.
 */
#include <asm/csr.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <rvmm/boot.h>
#include <rvmm/ktest.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/memremap.h>
#include <rvmm/migrate.h>
#include <rvmm/mm.h>
#include <rvmm/page_store.h>
#include <rvmm/printk.h>
#include "../../drivers/virtio/virtio_mem.h"

/* PTE-level tables under the vmemmap of [base, base + size). */
static unsigned long vmemmap_pte_tables(phys_addr_t base, phys_addr_t size)
{
	unsigned long n = 0, s = (unsigned long)pfn_to_page(PHYS_PFN(base));
	unsigned long e = (unsigned long)pfn_to_page(PHYS_PFN(base + size));

	for (unsigned long va = s; va < e; va += PMD_SIZE) {
		int level = -1;

		if (walk_pgd(swapper_pg_dir, va, &level, NULL) != WALK_NONE &&
		    level == PTE_LEVEL)
			n++;
	}
	return n;
}

static phys_addr_t bench_ram(struct ktest *t, phys_addr_t align)
{
	phys_addr_t base = hotplug_test_ram(SZ_1G, align, NULL);

	if (!base)
		ktest_skip(t, "no 1 GiB of hot-pluggable RAM (boot with mem=)");
	return base;
}

/* hot-add and hot-remove of 1 GiB on the core, memmap on the memory. */
static void bench_hotplug_core(struct ktest *t)
{
	phys_addr_t base = bench_ram(t, SECTION_SIZE);
	unsigned long t0, mem0, syncs, add, rm;
	int fails = 0;

	if (!base)
		return;
	/* Memmap from boot RAM: what the vmemmap page tables cost. */
	KASSERT_EQ(t, add_memory(0, base, SZ_1G, MHP_NONE), 0);
	bench_report("vmemmap_pt_pages_per_gib", vmemmap_pte_tables(base, SZ_1G), "pages");
	KASSERT_EQ(t, remove_memory(base, SZ_1G), 0);
	mem0 = vmemmap_stats.from_memory;
	syncs = nr_kernel_syncs;
	printk_quiet = 1;
	t0 = rdinstret();
	fails += !!add_memory(0, base, SZ_1G, MHP_MEMMAP_ON_MEMORY);
	syncs = nr_kernel_syncs - syncs;
	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		fails += !!online_memory_block(b);
	add = rdinstret() - t0;
	t0 = rdinstret();
	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		fails += !!offline_memory_block(b);
	fails += !!remove_memory(base, SZ_1G);
	rm = rdinstret() - t0;
	printk_quiet = 0;
	KASSERT_EQ(t, fails, 0);
	bench_report("vmemmap_bytes_per_gib", (vmemmap_stats.from_memory - mem0) * PAGE_SIZE,
		     "bytes");
	bench_report("tlb_syncs_per_gib_add", syncs, "syncs");
	bench_report("hotadd_1g_core", add, "instructions");
	bench_report("hotremove_1g_core", rm, "instructions");
}

/* vmemmap pages per compound ZONE_DEVICE page (DAX optimisation). */
static void bench_dax_vmemmap(struct ktest *t)
{
	static struct dev_pagemap pg;
	phys_addr_t b = bench_ram(t, SZ_1G);

	if (!b)
		return;
	for (unsigned int shift = 9; shift <= 18; shift += 9) {
		pg = (struct dev_pagemap){ .start = b, .size = SZ_1G, .vmemmap_shift = shift };
		KASSERT_EQ(t, memremap_pages(&pg), 0);
		bench_report(shift == 9 ? "dax_vmemmap_pages_per_2m" : "dax_vmemmap_pages_per_1g",
			     pg.nr_vmemmap_pages / (SZ_1G >> (shift + PAGE_SHIFT)), "pages");
		memunmap_pages(&pg);
	}
}

/* ---- migration ---- */

#define BENCH_MIGRATE_PAGES	1000

/*
 * migrate_page: 1,000 page-store pages in hot-added memory, their range
 * isolated as offlining does, moved by migrate_pages_range() (sources are
 * held, destinations come from elsewhere); the average per page, the walk,
 * allocation and freeing included.
 */
static void bench_migrate_page(struct ktest *t)
{
	phys_addr_t base = bench_ram(t, SECTION_SIZE);
	unsigned long pfn = PHYS_PFN(base) + SUBBLOCK_PAGES, nr = PAGES_PER_SECTION - SUBBLOCK_PAGES;
	unsigned long t0, busy = 0, k = 0, moved = nr_migrated_pages, insns = 0;

	if (!base)
		return;
	KASSERT_EQ(t, add_memory(0, base, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
	KEXPECT_EQ(t, online_memory_block(base), 0);
	KEXPECT_EQ(t, page_store_init(&page_store, BENCH_MIGRATE_PAGES), 0);
	while (k < BENCH_MIGRATE_PAGES && !ps_fill(&page_store, k, 1))
		k++;
	KEXPECT_EQ(t, k, BENCH_MIGRATE_PAGES);
	if (!t->failed && !start_isolate_page_range(pfn, nr)) {
		t0 = rdinstret();
		KEXPECT_EQ(t, migrate_pages_range(pfn, nr, &busy), 0);
		insns = rdinstret() - t0;
		undo_isolate_page_range(pfn, nr);
	}
	KEXPECT_EQ(t, nr_migrated_pages - moved, BENCH_MIGRATE_PAGES);
	KEXPECT_EQ(t, ps_verify_all(&page_store, NULL), 0);
	if (!t->failed)
		bench_report("migrate_page", insns / BENCH_MIGRATE_PAGES, "instructions");
	page_store_destroy(&page_store);
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
}

/* The hotplug core alone: offline + remove 1 GiB, 512 MiB of it in use. */
static void bench_hotremove_half_used_core(struct ktest *t)
{
	phys_addr_t base = bench_ram(t, SECTION_SIZE);
	unsigned long keys = SZ_1G / 2 / PAGE_SIZE, k = 0, t0, insns, bad = 0;
	u64 sum, after;
	int fails = 0;

	if (!base)
		return;
	KASSERT_EQ(t, add_memory(0, base, SZ_1G, MHP_MEMMAP_ON_MEMORY), 0);
	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		fails += !!online_memory_block(b);
	fails += !!page_store_init(&page_store, keys);
	while (!fails && k < keys && !ps_fill(&page_store, k, 2))
		k++;
	ps_scan(&page_store, &sum, NULL);
	printk_quiet = 1;
	t0 = rdinstret();
	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		fails += !!offline_memory_block(b);
	fails += !!remove_memory(base, SZ_1G);
	insns = rdinstret() - t0;
	printk_quiet = 0;
	KEXPECT_EQ(t, fails, 0);
	KEXPECT_EQ(t, k, keys);
	KEXPECT_EQ(t, ps_scan(&page_store, &after, &bad), 0);
	KEXPECT_EQ(t, after, sum);
	page_store_destroy(&page_store);
	if (!t->failed)
		bench_report("hotremove_1g_half_used_core", insns, "instructions");
}

/* ---- through virtio-mem device 0, from nothing plugged, as at probe ---- */

static bool vmem_change(struct ktest *t, bool plug, u64 bytes, unsigned long *insns)
{
	u64 done = virtio_mem_change(0, plug, bytes, insns);

	KEXPECT_EQ(t, done, bytes);
	return done == bytes;
}

/* Device 0 emptied, with room for 1 GiB; false (skipped or failed) if not. */
static bool vmem_bench_setup(struct ktest *t)
{
	struct virtio_mem_info info;
	unsigned long insns;

	if (!virtio_mem_get_info(0, &info)) {
		ktest_skip(t, "no virtio-mem device");
		return false;
	}
	if (info.cfg.requested_size < SZ_1G || info.usable < SZ_1G) {
		ktest_skip(t, "virtio-mem requested-size < 1 GiB");
		return false;
	}
	return vmem_change(t, false, info.plugged, &insns);
}

/* Back to the requested size, as the driver left it at probe. */
static void vmem_bench_teardown(struct ktest *t)
{
	KEXPECT_EQ(t, virtio_mem_reconcile(0), 0);
}

/* hotadd_1g, hotremove_1g: 1 GiB plugged and onlined, then unplugged. */
static void bench_virtio_mem_hotplug(struct ktest *t)
{
	unsigned long add, rm;

	if (!vmem_bench_setup(t))
		return;
	if (vmem_change(t, true, SZ_1G, &add) && vmem_change(t, false, SZ_1G, &rm)) {
		bench_report("hotadd_1g", add, "instructions");
		bench_report("hotremove_1g", rm, "instructions");
	}
	vmem_bench_teardown(t);
}

/*
 * hotremove_1g_half_used: plug 1 GiB, fill the page store with 512 MiB
 * (it lands in that memory: ZONE_MOVABLE first), then the unplug of the
 * whole GiB, data moved included; every page must verify afterwards.
 */
static void bench_virtio_mem_half_used(struct ktest *t)
{
	unsigned long keys = SZ_1G / 2 / PAGE_SIZE, k = 0, insns, bad = 0;
	u64 sum = 0, after = 0;

	if (!vmem_bench_setup(t))
		return;
	if (vmem_change(t, true, SZ_1G, &insns) && !page_store_init(&page_store, keys)) {
		while (k < keys && !ps_fill(&page_store, k, 0xbe4c))
			k++;
		KEXPECT_EQ(t, k, keys);
		KEXPECT_EQ(t, ps_scan(&page_store, &sum, NULL), 0);
		if (!t->failed && vmem_change(t, false, SZ_1G, &insns)) {
			KEXPECT_EQ(t, ps_scan(&page_store, &after, &bad), 0);
			KEXPECT_EQ(t, after, sum);
			if (!t->failed)
				bench_report("hotremove_1g_half_used", insns, "instructions");
		}
		page_store_destroy(&page_store);
	}
	vmem_bench_teardown(t);
}

KTEST_SUITE_ON_REQUEST(bench, true,
	KTEST_CASE(bench_hotplug_core),
	KTEST_CASE(bench_migrate_page),
	KTEST_CASE(bench_hotremove_half_used_core),
	KTEST_CASE(bench_dax_vmemmap),
	KTEST_CASE(bench_virtio_mem_hotplug),
	KTEST_CASE(bench_virtio_mem_half_used));
