/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_PLIC_H
#define RVMM_PLIC_H

/*
 * The RISC-V PLIC ("riscv,plic0", "sifive,plic-1.0.0"), driven from the
 * boot hart's S-mode context of each PLIC that has one. Every PLIC is an
 * interrupt domain (<rvmm/irqdomain.h>) named by its phandle; shared lines
 * (PCI INTx) chain several actions on one source.
 */
#include <asm/csr.h>
#include <rvmm/irqdomain.h>
#include <rvmm/mod_devicetable.h>
#include <rvmm/types.h>

#define PLIC_MAX_IRQ	1024
#define PLIC_MAX_HARTS	32

/* The context a hart's S-mode external interrupt (cause 9) comes from. */
struct plic_s_context {
	u32 hartid;
	u32 context;
};

/* What the driver takes from its node (drivers/irq/plic_dt.c). */
struct plic_dt {
	u64 base, size;
	u32 ndev;			/* "riscv,ndev" */
	u32 phandle;			/* 0: none */
	struct plic_s_context s_ctx[PLIC_MAX_HARTS];	/* first one per hart */
	int nr_s_ctx;
};

extern const struct of_device_id plic_of_match[];
/*
 * Parse PLIC node @node: "reg", "riscv,ndev", and from
 * "interrupts-extended" (one specifier per context: the phandle of a hart's
 * cpu-intc, then its cells) the S-mode context of each hart. A negative
 * errno and "dt: <node>: <what>" in @err for a node the driver cannot use.
 */
int plic_parse_node(const void *fdt, int node, struct plic_dt *plic, char *err, size_t errlen);
/* The S-mode context of hart @hartid, or -1. */
int plic_s_context(const struct plic_dt *plic, u32 hartid);

/* Claim and dispatch everything pending (the trap handler calls this). */
void plic_handle_irqs(void);

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
