/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_DT_H
#define RVMM_DT_H

/*
 * What mm and SMP need from the flattened device tree (memory, reserved
 * memory, /chosen, cpus), parsed once at boot into plain data. mm/ never
 * calls libfdt; drivers parse their own nodes (drivers/base/platform.c),
 * setup_vm() reads what it needs itself (<asm/fdt_early.h>).
 */
#include <rvmm/types.h>

#define DT_MAX_MEM	32
#define DT_MAX_RSV	32
#define DT_MAX_CPUS	32

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
	u32 cboz_block_size;	/* "riscv,cboz-block-size", 0 if absent */
	char isa[512];		/* "riscv,isa" or rebuilt from riscv,isa-extensions */
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

/* @isa ("rv64imac_zicboz_...") names the multi-letter extension @ext. */
bool dt_isa_has(const char *isa, const char *ext);
/*
 * The cbo.zero block size the kernel would use on @cpu: its ISA names
 * Zicboz and "riscv,cboz-block-size" is a power of 2 up to 64 bytes
 * (clear_pages() issues four blocks per step). 0 otherwise.
 */
u32 dt_cpu_cboz_block(const struct dt_cpu *cpu);

#endif
