// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmarks (boot argument rvmm.bench), counted in retired
 * instructions: exact under QEMU -icount shift=0. Measured on the hotplug
 * core directly; the virtio-mem driver measures the same through the
 * device. Each prints "bench: <name> <value> <unit>".
 */
#include <asm/csr.h>
#include <rvmm/boot.h>
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

void bench_hotplug_core(void)
{
	phys_addr_t base = hotplug_test_ram(SZ_1G, SECTION_SIZE, NULL);
	unsigned long t0, mem0, syncs, add, rm;

	if (!base) {
		pr_info("bench: no 1 GiB of hot-pluggable RAM (boot with mem=): core figures skipped\n");
		return;
	}
	printk_quiet = 1;
	/* Memmap from boot RAM: what the vmemmap page tables cost. */
	if (!add_memory(0, base, SZ_1G, MHP_NONE)) {
		bench_report("vmemmap_pt_pages_per_gib", vmemmap_pte_tables(base, SZ_1G), "pages");
		remove_memory(base, SZ_1G);
	}
	mem0 = vmemmap_stats.from_memory;
	syncs = nr_kernel_syncs;
	t0 = rdinstret();
	if (add_memory(0, base, SZ_1G, MHP_MEMMAP_ON_MEMORY))
		goto out;
	syncs = nr_kernel_syncs - syncs;
	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		online_memory_block(b);
	add = rdinstret() - t0;
	bench_report("vmemmap_bytes_per_gib", (vmemmap_stats.from_memory - mem0) * PAGE_SIZE,
		     "bytes");
	t0 = rdinstret();
	for (phys_addr_t b = base; b < base + SZ_1G; b += SECTION_SIZE)
		offline_memory_block(b);
	remove_memory(base, SZ_1G);
	rm = rdinstret() - t0;
	bench_report("tlb_syncs_per_gib_add", syncs, "syncs");
	bench_report("hotadd_1g_core", add, "instructions");
	bench_report("hotremove_1g_core", rm, "instructions");
out:
	printk_quiet = 0;
}
