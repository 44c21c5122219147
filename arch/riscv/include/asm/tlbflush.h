/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_TLBFLUSH_H
#define ASM_TLBFLUSH_H

#include <rvmm/types.h>

/*
 * TLB maintenance. A sync is a whole local flush plus a remote fence to
 * every other online hart; nr_kernel_syncs counts them, because each costs
 * an SBI call per hart and an operation should pay for one.
 *
 * flush_tlb_kernel_range: after an unmap or permission downgrade.
 * arch_sync_kernel_mappings: after new kernel mappings appear, before any
 * other hart may use them (host: mirror into the sim).
 * local_flush_tlb_kernel_range: new mappings this hart is about to touch
 * itself; the operation that made them syncs once when it is done.
 */
extern unsigned long nr_kernel_syncs;
void flush_tlb_kernel_range(unsigned long start, unsigned long end);
void arch_sync_kernel_mappings(unsigned long start, unsigned long end);
void local_flush_tlb_kernel_range(unsigned long start, unsigned long end);

/*
 * Several removals, one flush: inside an unmap batch remove_pgd_mapping()
 * leaves the flush, and the tables it emptied, to arch_unmap_batch_end()
 * (arch/riscv/mm/pgtable.c). Whatever else the caller frees must also
 * wait for the end (arch_unmap_batch_active() tells).
 */
void arch_unmap_batch_begin(void);
void arch_unmap_batch_end(unsigned long start, unsigned long end);
extern int unmap_batch;		/* nesting depth; read on every block freed */

static inline bool arch_unmap_batch_active(void)
{
	return unmap_batch;
}

#endif
