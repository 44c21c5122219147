/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_TRAP_H
#define RVMM_TRAP_H

#include <asm/ptrace.h>
#include <rvmm/types.h>

/* Access @addr; 0 on success, -EFAULT if it faulted (fixed up). */
int probe_read(unsigned long addr, unsigned long *val);
int probe_write(unsigned long addr, unsigned long val);
int probe_read_byte(unsigned long addr);
/* Call code at @addr (which must be a bare "ret"); -EFAULT if not executable. */
int probe_exec(unsigned long addr);
void probe_exec_arm(bool on);
/* 0, or -EFAULT if cbo.zero traps (M-mode did not enable Zicboz for us). */
int probe_cbo_zero(unsigned long addr);

/* Faults seen by fixups, for tests: cause and address of the last one. */
extern unsigned long last_fixup_cause, last_fixup_addr;

typedef void (*irq_handler_t)(void);
void set_external_irq_handler(irq_handler_t h);
void set_timer_handler(irq_handler_t h);
void set_soft_irq_handler(irq_handler_t h);
void trap_init(void);
const char *ksym_lookup(unsigned long addr, unsigned long *off);

/*
 * End of run (arch/riscv/reboot.c): QEMU's sifive,test syscon carries the
 * exit code; else SRST shutdown (reboot with rvmm.reboot); else halt.
 */
__noreturn void machine_shutdown(bool failure, int code);
__noreturn void machine_halt_this_hart(void);
void machine_set_syscon(void);

#endif
