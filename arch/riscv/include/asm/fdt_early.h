/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_FDT_EARLY_H
#define ASM_FDT_EARLY_H

/*
 * What setup_vm() reads from the device tree with the MMU off, before any
 * parser runs (arch/riscv/mm/fdt_early.c). All of it is early-safe (see
 * <rvmm/of_fdt.h>); every helper but dt_early_check() wants a blob that
 * passed dt_early_check().
 */
#include <rvmm/types.h>

/* 0, or -EINVAL: the blob fails the checks dt_parse() starts with. */
int dt_early_check(const void *fdt, size_t bufsize);
/* "mmu-type" of a cpu node -> 39, 48, 57, or DT_MMU_NONE (unknown too). */
int dt_mmu_type(const void *fdt, int node);
/* Smallest "mmu-type" among enabled cpus, or DT_MMU_NONE when unknown. */
int dt_early_mmu_limit(const void *fdt);
/* Copy /chosen/bootargs into @buf (empty string if absent). */
void dt_early_bootargs(const void *fdt, char *buf, size_t len);
/* Base of the "sifive,test1"/"sifive,test0" syscon, or 0. */
u64 dt_early_test_syscon(const void *fdt);
/*
 * The largest satp mode (39, 48 or 57) to try: @mmu_limit
 * (dt_early_mmu_limit(), DT_MMU_NONE for no cap) lowered by "no5lvl" and
 * "no4lvl" in @bootargs.
 */
int dt_paging_limit(int mmu_limit, const char *bootargs);

#endif
