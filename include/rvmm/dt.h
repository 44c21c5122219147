/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_DT_H
#define RVMM_DT_H

/*
 * Everything the kernel needs from the flattened device tree, parsed once at
 * boot into plain data. Only boot/dt*.c calls libfdt; mm/ never does.
 */
#include <rvmm/types.h>

#define DT_MAX_MEM	32
#define DT_MAX_RSV	32
#define DT_MAX_CPUS	32
#define DT_MAX_PCI_RANGES 4
#define DT_MAX_IRQ_MAP	64

struct dt_range {
	u64 base;
	u64 size;
};

struct dt_reserved {
	u64 base;
	u64 size;
	u64 align;		/* dynamic regions only */
	bool nomap;		/* "no-map": stays out of the linear map */
	bool dynamic;		/* "size" without "reg": base chosen by memblock */
	bool memreserve;	/* from the /memreserve/ header block */
	char name[32];
};

enum satp_mode_dt {
	DT_MMU_NONE = 0,
	DT_MMU_SV39 = 39,
	DT_MMU_SV48 = 48,
	DT_MMU_SV57 = 57,
};

struct dt_cpu {
	u32 hartid;
	bool enabled;		/* status absent or "okay" */
	int mmu;		/* enum satp_mode_dt, from "mmu-type" */
	u32 plic_s_context;	/* PLIC context for this hart's S-mode, or ~0 */
	u32 cboz_block_size;	/* "riscv,cboz-block-size", 0 if absent */
	char isa[512];		/* "riscv,isa" or rebuilt from riscv,isa-extensions */
};

enum dt_pci_space {
	DT_PCI_IO = 1,
	DT_PCI_MEM32 = 2,
	DT_PCI_MEM64 = 3,
};

struct dt_pci_range {
	int space;		/* enum dt_pci_space */
	bool prefetch;
	u64 pci_addr;
	u64 cpu_addr;
	u64 size;
};

struct dt_pci_irq_map {
	u32 devfn_mask_pci_hi;	/* child unit address hi cell (bus/dev/fn) */
	u32 pin;		/* 1..4 = INTA..INTD */
	u32 irq;		/* parent (PLIC) interrupt */
};

struct dt_info {
	struct dt_range mem[DT_MAX_MEM];
	int nr_mem;
	struct dt_reserved rsv[DT_MAX_RSV];	/* /reserved-memory + /memreserve/ */
	int nr_rsv;
	struct dt_cpu cpus[DT_MAX_CPUS];
	int nr_cpus;
	u64 timebase_freq;
	char bootargs[512];
	char stdout_path[64];

	u64 test_syscon;		/* "sifive,test1" base, or 0 */

	struct {			/* "riscv,plic0" / "sifive,plic-1.0.0" */
		u64 base, size;
		u32 ndev;
		u32 phandle;
	} plic;

	struct {			/* "pci-host-ecam-generic" */
		u64 ecam_base, ecam_size;
		u32 bus_start, bus_end;
		struct dt_pci_range ranges[DT_MAX_PCI_RANGES];
		int nr_ranges;
		u32 irq_map_mask[4];	/* interrupt-map-mask: 3 addr cells + pin */
		struct dt_pci_irq_map irq_map[DT_MAX_IRQ_MAP];
		int nr_irq_map;
	} pci;
	bool has_pci;
};

/*
 * Validate @fdt (at most @bufsize bytes readable) and fill @info. On error
 * returns a negative errno and writes a message naming the node and property
 * into @err; @info is then unspecified. Never reads outside @bufsize.
 */
int dt_parse(const void *fdt, size_t bufsize, struct dt_info *info,
	     char *err, size_t errlen);

/* Why hart @c cannot run the kernel in mode Sv@va_bits, or NULL if it can. */
const char *dt_cpu_unusable(const struct dt_cpu *c, int va_bits);

/* Early helpers, safe with the MMU off (no absolute addresses). */
int dt_early_check(const void *fdt, size_t bufsize);
/* Smallest "mmu-type" among enabled cpus, or DT_MMU_NONE when unknown. */
int dt_early_mmu_limit(const void *fdt);
/* Copy /chosen/bootargs into @buf (empty string if absent). */
void dt_early_bootargs(const void *fdt, char *buf, size_t len);
/* Base of the "sifive,test1"/"sifive,test0" syscon, or 0. */
u64 dt_early_test_syscon(const void *fdt);
/*
 * Early-safe. The largest satp mode (39, 48 or 57) to try: @mmu_limit
 * (dt_early_mmu_limit(), DT_MMU_NONE for no cap) lowered by "no5lvl" and
 * "no4lvl" in @bootargs.
 */
int dt_paging_limit(int mmu_limit, const char *bootargs);

/* @isa ("rv64imac_zicboz_...") names the multi-letter extension @ext. */
bool dt_isa_has(const char *isa, const char *ext);
/*
 * The cbo.zero block size the kernel would use on @cpu: its ISA names
 * Zicboz and "riscv,cboz-block-size" is a power of 2 up to 64 bytes
 * (clear_pages() issues four blocks per step). 0 otherwise.
 */
u32 dt_cpu_cboz_block(const struct dt_cpu *cpu);

#endif
