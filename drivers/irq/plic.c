// SPDX-License-Identifier: GPL-2.0
/*
 * PLIC driver for the boot hart's S-mode context. Sources start disabled
 * (priority 0, enable bit clear); plic_request_irq() turns one on at
 * priority 1 with threshold 0, so any enabled source interrupts us.
 * Secondary harts keep SEIE off: every external interrupt lands here.
 */
#include <rvmm/driver.h>
#include <rvmm/io.h>
#include <rvmm/plic.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

#define PRIORITY(irq)		(4 * (irq))
#define ENABLE(ctx, irq)	(0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define THRESHOLD(ctx)		(0x200000 + 0x1000 * (ctx))
#define CLAIM(ctx)		(0x200004 + 0x1000 * (ctx))

static struct {
	int state;		/* 0: not probed, 1: ready, < 0: failed */
	u8 *base;
	u32 ndev, ctx;
} plic;

static struct irq_action *actions[PLIC_MAX_IRQ];
static unsigned long counts[PLIC_MAX_IRQ];

bool plic_ready(void)
{
	return plic.state == 1;
}

static void set_enable(u32 irq, bool on)
{
	volatile void *reg = plic.base + ENABLE(plic.ctx, irq);
	u32 v = readl(reg);

	v = on ? v | (1U << (irq % 32)) : v & ~(1U << (irq % 32));
	writel(v, reg);
}

void plic_handle_irqs(void)
{
	u32 irq;

	/* Claiming masks the source until complete: run handlers in between. */
	while ((irq = readl(plic.base + CLAIM(plic.ctx)))) {
		struct irq_action *a = irq < PLIC_MAX_IRQ ? actions[irq] : NULL;

		/* No printk here: the interrupted code may hold the console lock. */
		counts[a ? irq : 0]++;
		for (; a; a = a->next)
			a->handler(a->data);
		writel(irq, plic.base + CLAIM(plic.ctx));
	}
}

unsigned long plic_irq_count(u32 irq)
{
	return irq < PLIC_MAX_IRQ ? READ_ONCE(counts[irq]) : 0;
}

int plic_request_irq(u32 irq, struct irq_action *act)
{
	bool on;

	if (!plic_ready())
		return -ENODEV;
	if (!irq || irq > plic.ndev || irq >= PLIC_MAX_IRQ || !act->handler)
		return -EINVAL;
	on = local_irq_save();
	act->next = actions[irq];
	actions[irq] = act;
	writel(1, plic.base + PRIORITY(irq));
	set_enable(irq, true);
	local_irq_restore(on);
	return 0;
}

void plic_free_irq(u32 irq, struct irq_action *act)
{
	bool on;

	if (!plic_ready() || !irq || irq >= PLIC_MAX_IRQ)
		return;
	on = local_irq_save();
	for (struct irq_action **p = &actions[irq]; *p; p = &(*p)->next) {
		if (*p == act) {
			*p = act->next;
			break;
		}
	}
	if (!actions[irq]) {
		set_enable(irq, false);
		writel(0, plic.base + PRIORITY(irq));
	}
	local_irq_restore(on);
}

static int boot_hart_context(const struct dt_info *dt, u32 *ctx)
{
	unsigned long hart = cpus[smp_processor_id()].hartid;

	for (int i = 0; i < dt->nr_cpus; i++) {
		if (dt->cpus[i].hartid != hart)
			continue;
		if (dt->cpus[i].plic_s_context == ~0u)
			return -ENODEV;
		*ctx = dt->cpus[i].plic_s_context;
		return 0;
	}
	return -ENODEV;
}

int plic_init(const struct dt_info *dt)
{
	u64 len;

	if (plic.state)
		return plic.state > 0 ? 0 : plic.state;
	plic.state = -ENODEV;
	if (!dt->plic.base || !dt->plic.ndev || boot_hart_context(dt, &plic.ctx))
		return -ENODEV;
	plic.ndev = min(dt->plic.ndev, PLIC_MAX_IRQ - 1);
	/* Map up to our context's claim register, not all 64 MiB. */
	len = min((u64)THRESHOLD(plic.ctx + 1), dt->plic.size);
	if (len < THRESHOLD(plic.ctx) + 8) {
		pr_err("plic: %llu bytes of registers cannot hold context %u\n",
		       (unsigned long long)dt->plic.size, plic.ctx);
		return plic.state = -EINVAL;
	}
	plic.base = ioremap(dt->plic.base, len);
	if (!plic.base)
		return plic.state = -ENOMEM;
	for (u32 irq = 1; irq <= plic.ndev; irq++) {
		writel(0, plic.base + PRIORITY(irq));
		set_enable(irq, false);
	}
	writel(0, plic.base + THRESHOLD(plic.ctx));
	/* Complete anything left claimed (nothing is enabled now). */
	for (int i = 0; i < 32; i++) {
		u32 irq = readl(plic.base + CLAIM(plic.ctx));

		if (!irq)
			break;
		writel(irq, plic.base + CLAIM(plic.ctx));
	}
	plic.state = 1;
	set_external_irq_handler(plic_handle_irqs);
	csr_set(sie, SIE_SEIE);
	csr_set(sstatus, SR_SIE);
	pr_info("plic: %u sources, hart %lu S-mode context %u, interrupts on\n", plic.ndev,
		cpus[smp_processor_id()].hartid, plic.ctx);
	return 0;
}

RVMM_DRIVER(plic, plic_init, NULL);
