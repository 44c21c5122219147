/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_PLIC_H
#define RVMM_PLIC_H

/*
 * The RISC-V PLIC, driven from the boot hart's S-mode context: interrupt
 * sources are enabled one by one with a handler; shared lines (PCI INTx)
 * chain several actions on one source.
 */
#include <asm/csr.h>
#include <rvmm/types.h>

struct dt_info;

#define PLIC_MAX_IRQ	1024

struct irq_action {
	void (*handler)(void *data);
	void *data;
	struct irq_action *next;
};

/* Idempotent; -ENODEV without a PLIC or an S-mode context for this hart. */
int plic_init(const struct dt_info *dt);
bool plic_ready(void);
/* Add @act to @irq (1..ndev) and enable the source; @act must stay alive. */
int plic_request_irq(u32 irq, struct irq_action *act);
void plic_free_irq(u32 irq, struct irq_action *act);
/* Claim and dispatch everything pending (the trap handler calls this). */
void plic_handle_irqs(void);
/* Interrupts dispatched on @irq so far; irq 0 counts spurious ones. */
unsigned long plic_irq_count(u32 irq);

/* S-mode interrupt enable on this hart, returning the previous state. */
static inline bool local_irq_save(void)
{
	unsigned long v;

	__asm__ __volatile__("csrrc %0, sstatus, %1" : "=r"(v) : "rK"(SR_SIE) : "memory");
	return v & SR_SIE;
}

static inline void local_irq_restore(bool on)
{
	if (on)
		csr_set(sstatus, SR_SIE);
}

#endif
