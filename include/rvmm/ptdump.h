/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_PTDUMP_H
#define RVMM_PTDUMP_H

/*
 * The kernel page-table audit (Linux's CONFIG_DEBUG_WX) and rvmm.ptdump
 * (Linux's kernel_page_tables): arch/riscv/mm/ptdump.c.
 */
#include <rvmm/types.h>

struct ptdump_violation {
	unsigned long va;
	phys_addr_t pa;
	unsigned long size;
	unsigned long prot;
	const char *why;
};

/* 0 if every kernel mapping passes; else 1 and the first violation in *v. */
int ptdump_audit(struct ptdump_violation *v);
/* The audit, panicking on a violation with its VA, PA and attributes. */
void ptdump_check(void);
/* Print the address space as merged ranges with attributes and area names. */
void ptdump_print(void);
/* Serve mode, after the kernel mappings changed: rvmm.ptdump, the audit. */
void ptdump_after_change(void);

/* Bumped by every hot-add and hot-remove of the linear map (hotplug.c). */
extern unsigned long kernel_mappings_gen;

#endif
