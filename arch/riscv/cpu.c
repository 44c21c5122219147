// SPDX-License-Identifier: GPL-2.0
/*
 * The table of logical harts and which are online. TLB maintenance reads
 * it on every flush; defined apart from the SMP bring-up (smp.c), which
 * maps stacks and so flushes, so that a flush reaches nothing that calls
 * it back.
 */
#include <rvmm/smp.h>

struct cpu_info cpus[NR_CPUS];
int nr_cpus_online = 1;

int smp_processor_id(void)
{
	unsigned long tp;

	__asm__ __volatile__("mv %0, tp" : "=r"(tp));
	return (int)tp;
}

unsigned long online_hart_mask(unsigned long *base)
{
	unsigned long mask = 0;

	*base = 0;
	for (int i = 0; i < NR_CPUS; i++)
		if (cpus[i].online && cpus[i].hartid < 64)
			mask |= 1UL << cpus[i].hartid;
	return mask;
}
