// SPDX-License-Identifier: GPL-2.0
/*
 * TLB maintenance. After an unmap every hart must forget the old
 * translation (and any cached walk through a freed table) before the
 * memory or the table is reused: local sfence.vma, then SBI RFENCE to the
 * other online harts.
 */
#include <asm/csr.h>
#include <asm/pgtable.h>
#include <asm/sbi.h>
#include <rvmm/smp.h>

unsigned long nr_remote_flushes;
unsigned long nr_kernel_syncs;

void flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	unsigned long base, mask = online_hart_mask(&base);
	unsigned long me = cpus[smp_processor_id()].hartid;

	/*
	 * Table pages may have been freed, and sfence.vma with an address
	 * only drops leaf entries for it, not cached walks through a table:
	 * flush everything, here and remotely. (start, end) stay in the
	 * interface for the sim and for a future Svinval range flush.
	 */
	(void)start;
	(void)end;
	nr_kernel_syncs++;
	local_flush_tlb_all();
	if (me >= base && me - base < 64)
		mask &= ~(1UL << (me - base));
	if (mask) {
		sbi_remote_sfence_vma(mask, base, 0, (unsigned long)-1);
		nr_remote_flushes++;
	}
}

/*
 * New kernel mappings: the privileged spec lets a hart cache an invalid
 * entry, so without Svvptc a fresh mapping is only guaranteed visible after
 * an sfence.vma on every hart that may use it.
 */
void arch_sync_kernel_mappings(unsigned long start, unsigned long end)
{
	flush_tlb_kernel_range(start, end);
}

/*
 * The privileged spec lets this hart hold a stale invalid entry too, so it
 * fences before touching what it just mapped; the other harts wait for the
 * operation's one arch_sync_kernel_mappings().
 */
void local_flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	(void)start;
	(void)end;
	local_flush_tlb_all();
}
