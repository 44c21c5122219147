/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_SMP_H
#define RVMM_SMP_H

#include <rvmm/spinlock.h>
#include <rvmm/types.h>

#define NR_CPUS 32


/* Per-hart data, indexed by logical cpu number. */
struct cpu_info {
	unsigned long hartid;
	bool online;
	unsigned long stack_top;	/* in the stacks area (asm/layout.h) */
};
extern struct cpu_info cpus[NR_CPUS];
extern int nr_cpus_online;

int smp_processor_id(void);
struct dt_info;
void smp_init(const struct dt_info *dt);
/* Run @fn(arg) on every other online hart and wait for all of them. */
void smp_call_all(void (*fn)(void *arg), void *arg);
unsigned long online_hart_mask(unsigned long *base);
/* Stop every other hart for good (end of run); waits for them up to 1 s. */
void smp_park_others(void);
/* This hart stops for good and counts itself as parked. */
__noreturn void smp_park_this_hart(void);

/* arch/riscv/stack.c: a guarded stack in the stacks area; its top, or 0. */
unsigned long alloc_hart_stack(int cpu);
/* entry.S: run @fn on the stack ending at @sp; never returns. */
__noreturn void call_on_stack(void (*fn)(void), unsigned long sp);

#endif
