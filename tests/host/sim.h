/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_HOST_SIM_H
#define RVMM_HOST_SIM_H

/*
 * The simulated machine of the host build (tests/host/sim.c).
 *
 * Physical memory is one sparse memfd of SIM_PHYS_SIZE bytes mapped once
 * into the host: __va(pa) is that mapping + pa, for every pa below
 * 1 << MAX_PHYSMEM_BITS, i.e. everything the kernel can ever address.
 *
 * The vmemmap is a host-addressable PROT_NONE reservation whose pages are
 * mapped onto the memfd exactly when the simulated page table maps them
 * (arch_sync_kernel_mappings / flush_tlb_kernel_range mirror it), so a
 * struct page the kernel has not mapped is a real SIGSEGV. Everything
 * else (linear map, test windows) exists only in the simulated tables.
 */
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <asm/vmemmap.h>
#include <rvmm/fault-inject.h>
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/mm.h>
#include <rvmm/types.h>

#define SIM_PHYS_BITS	MAX_PHYSMEM_BITS
#define SIM_PHYS_SIZE	(1UL << SIM_PHYS_BITS)
#define SIM_VMEMMAP_SIZE (SIM_PHYS_SIZE / PAGE_SIZE * sizeof(struct page))

extern unsigned long sim_vmemmap_base;	/* = kl.vmemmap_start */

struct sim_range {
	phys_addr_t base, size;
};

/* A boot layout: what the device tree would say. */
struct sim_mem {
	const struct sim_range *ram;	/* /memory nodes, any order */
	int nr_ram;
	const struct sim_range *reserved;	/* /memreserve/, reserved-memory */
	int nr_reserved;
	const struct sim_range *nomap;	/* reserved-memory with no-map */
	int nr_nomap;
	phys_addr_t kernel_pa;		/* 0: first RAM base (2 MiB-aligned) + 2 MiB */
};

#define SIM_KERNEL_SIZE	SZ_2M

/* Reset every piece of mm state and boot @m in Sv@va_bits. */
void sim_boot(int va_bits, const struct sim_mem *m);
/* Only up to the linear map: memblock rules, no memmap yet (sparse_init next). */
void sim_boot_memblock(int va_bits, const struct sim_mem *m);
/*
 * Boot the RAM and reservations of the device tree at @path, with
 * "mem=@mem_limit" (0: all RAM), in the largest paging mode the tree
 * allows. @hidden receives what mem= kept out (size 0: nothing). Returns 0,
 * or a negative errno after printing why ("# sim: ...").
 */
int sim_boot_dtb(const char *path, phys_addr_t mem_limit, struct sim_range *hidden);
/*
 * Memory that is not zero: fill [pa, pa + size) (page-aligned) with
 * garbage. sim_boot() does it to the top of every RAM range, 1/64 of all
 * RAM plus 4 MiB (where memblock's top-down allocations land: the boot
 * memmap and page tables); tests/host/garbage.c does it to the first 1/64
 * of every section of a fresh add_memory() range. The bounds keep host
 * RAM and time in proportion: all of it would fault in gigabytes per boot.
 */
void sim_scribble(phys_addr_t pa, phys_addr_t size);
/*
 * Called (when set) after every add_memory()/add_memory_plugged() that
 * succeeded, before its caller goes on: tests/host/garbage.c.
 */
extern void (*sim_after_add_memory)(phys_addr_t start, phys_addr_t size, phys_addr_t plugged);
/* 1 GiB of RAM at 2 GiB, like QEMU virt with -m 1G. */
void sim_boot_simple(int va_bits, phys_addr_t ram_size);
extern phys_addr_t sim_kernel_pa;

/* The host side of the mirror: can the host read / write @va? */
bool sim_host_readable(const void *va);
bool sim_host_writable(const void *va);
/*
 * Check that the host mapping of [start, end) of the vmemmap agrees with
 * the simulated page table page by page (aliasing included). Returns the
 * first va that disagrees, or 0.
 */
unsigned long sim_check_mirror(unsigned long start, unsigned long end);
/* The same, one page every @stride bytes. */
unsigned long sim_check_mirror_stride(unsigned long start, unsigned long end,
				      unsigned long stride);
extern unsigned long sim_mirror_mmaps;	/* host mmap calls made by the mirror */

/* Deterministic per-case PRNG streams derived from RVMM_SEED. */
extern u64 sim_seed;
struct sim_rng {
	u64 s;
};
void sim_rng_init(struct sim_rng *r, const char *name);
u64 sim_rand(struct sim_rng *r);
/* Uniform in [0, n); n = 0 gives 0. */
u64 sim_rand_below(struct sim_rng *r, u64 n);
/* True with probability num/den. */
bool sim_chance(struct sim_rng *r, unsigned int num, unsigned int den);

/*
 * Console: sim_log_mute drops the kernel's messages ("rvmm: ...", errors
 * included) from stdout but still records them: the last line is kept.
 */
extern int sim_log_mute;
const char *sim_last_log(void);
extern unsigned long sim_log_lines;

/* A registered MMIO range (iomem registrations cannot be undone). */
#define SIM_MMIO_BASE	(SIM_PHYS_SIZE - 4 * SZ_1G)
#define SIM_MMIO_SIZE	SZ_1G

/* Page-table inspection helpers, independent of the code under test. */
/* Tables below the root on every level, over [start, end). */
void sim_count_tables(unsigned long start, unsigned long end, unsigned long n[5]);
/* Every leaf in [start, end): cb(va, pa, level, prot) in address order. */
typedef void (*sim_leaf_cb)(void *arg, unsigned long va, phys_addr_t pa, int level,
			    unsigned long prot);
void sim_for_each_leaf(unsigned long start, unsigned long end, sim_leaf_cb cb, void *arg);
/* Tables that creating a @level leaf at @va would have to allocate. */
int sim_missing_tables(unsigned long va, int level);

#endif
