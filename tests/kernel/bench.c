// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmarks: the KTAP suite "bench", run only on request
 * (rvmm.bench, or rvmm.tests=bench), counted in retired instructions: exact
 * under QEMU -icount shift=0. Measured on the hotplug core directly; the
 * virtio-mem driver measures the same through the device. Each figure is a
 * line "bench: <name> <value> <unit>"; a case fails when the operation it
 * measures does.
 */
#include <asm/csr.h>
#include <rvmm/boot.h>
#include <rvmm/ktest.h>
#include <rvmm/memremap.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>

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

KTEST_SUITE_ON_REQUEST(bench, true,
	KTEST_CASE(bench_hotplug_core),
	KTEST_CASE(bench_dax_vmemmap));
