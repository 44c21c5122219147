/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_RISCV_PTRACE_H
#define _ASM_RISCV_PTRACE_H

/* The registers a trap saves; layout shared with arch/riscv/entry.S. */
struct pt_regs {
	unsigned long sepc;	/* slot of x0 */
	unsigned long ra, sp, gp, tp, t0, t1, t2, s0, s1;
	unsigned long a0, a1, a2, a3, a4, a5, a6, a7;
	unsigned long s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
	unsigned long t3, t4, t5, t6;
	unsigned long sstatus, scause, stval, _pad;
};

#endif
