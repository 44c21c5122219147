// SPDX-License-Identifier: GPL-2.0
/*
 * PLIC driver for the boot hart's S-mode context. Sources start disabled
 * (priority 0, enable bit clear); a request turns one on at priority 1
 * with threshold 0, so any enabled source interrupts us. Secondary harts
 * keep SEIE off: every external interrupt lands here. Each PLIC with a
 * context for the boot hart is its own interrupt domain, found by phandle.
 */
#include <rvmm/driver.h>
#include <rvmm/io.h>
#include <rvmm/mm.h>
#include <rvmm/plic.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

#define PRIORITY(irq)		(4 * (irq))
#define ENABLE(ctx, irq)	(0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define THRESHOLD(ctx)		(0x200000 + 0x1000 * (ctx))
#define CLAIM(ctx)		(0x200004 + 0x1000 * (ctx))

/* QEMU virt has one per socket; we drive the boot hart's. */
#define PLIC_MAX_INSTANCES	2

struct plic_priv {
	u8 *base;
	u32 ndev, ctx;
	struct irq_domain domain;
	struct irq_action *actions[PLIC_MAX_IRQ];
};

static struct plic_priv plics[PLIC_MAX_INSTANCES];
static int nr_plics;

static void set_enable(struct plic_priv *p, u32 irq, bool on)
{
	volatile void *reg = p->base + ENABLE(p->ctx, irq);
	u32 v = readl(reg);

	v = on ? v | (1U << (irq % 32)) : v & ~(1U << (irq % 32));
	writel(v, reg);
}

static void plic_handle_one(struct plic_priv *p)
{
	u32 irq;

	/* Claiming masks the source until complete: run handlers in between. */
	while ((irq = readl(p->base + CLAIM(p->ctx)))) {
		/* No printk here: the interrupted code may hold the console lock. */
		for (struct irq_action *a = irq < PLIC_MAX_IRQ ? p->actions[irq] : NULL; a;
		     a = a->next)
			a->handler(a->data);
		writel(irq, p->base + CLAIM(p->ctx));
	}
}

void plic_handle_irqs(void)
{
	for (int i = 0; i < nr_plics; i++)
		plic_handle_one(&plics[i]);
}

static int plic_request(struct irq_domain *d, u32 irq, struct irq_action *act)
{
	struct plic_priv *p = d->host_data;
	bool on;

	if (!irq || irq > p->ndev || irq >= PLIC_MAX_IRQ || !act->handler)
		return -EINVAL;
	on = local_irq_save();
	act->next = p->actions[irq];
	p->actions[irq] = act;
	writel(1, p->base + PRIORITY(irq));
	set_enable(p, irq, true);
	local_irq_restore(on);
	return 0;
}

static void plic_free(struct irq_domain *d, u32 irq, struct irq_action *act)
{
	struct plic_priv *p = d->host_data;
	bool on;

	if (!irq || irq >= PLIC_MAX_IRQ)
		return;
	on = local_irq_save();
	for (struct irq_action **a = &p->actions[irq]; *a; a = &(*a)->next) {
		if (*a == act) {
			*a = act->next;
			break;
		}
	}
	if (!p->actions[irq]) {
		set_enable(p, irq, false);
		writel(0, p->base + PRIORITY(irq));
	}
	local_irq_restore(on);
}

static const struct irq_domain_ops plic_domain_ops = {
	.request = plic_request,
	.free = plic_free,
};

/* Every source off, threshold 0, anything left claimed completed. */
static void plic_reset(struct plic_priv *p)
{
	for (u32 irq = 1; irq <= p->ndev; irq++) {
		writel(0, p->base + PRIORITY(irq));
		set_enable(p, irq, false);
	}
	writel(0, p->base + THRESHOLD(p->ctx));
	for (int i = 0; i < 32; i++) {
		u32 irq = readl(p->base + CLAIM(p->ctx));

		if (!irq)
			break;
		writel(irq, p->base + CLAIM(p->ctx));
	}
}

/* Map up to our context's claim register, not all 64 MiB. */
static int plic_map(struct plic_priv *p, const struct plic_dt *dt)
{
	u64 len = min((u64)THRESHOLD(p->ctx + 1), dt->size);

	if (len < THRESHOLD(p->ctx) + 8) {
		pr_err("plic: %llu bytes of registers cannot hold context %u\n",
		       (unsigned long long)dt->size, p->ctx);
		return -EINVAL;
	}
	p->base = ioremap(dt->base, len);
	return p->base ? 0 : -ENOMEM;
}

static int plic_probe(struct platform_device *pdev)
{
	unsigned long hart = cpus[smp_processor_id()].hartid;
	struct plic_priv *p = &plics[nr_plics];
	struct plic_dt dt;
	char err[160];
	int ctx, ret;

	ret = plic_parse_node(pdev->fdt, pdev->node, &dt, err, sizeof(err));
	if (ret) {
		pr_err("plic: %s\n", err);
		return ret;
	}
	ctx = plic_s_context(&dt, hart);
	if (ctx < 0 || !dt.ndev)
		return -ENODEV;		/* not ours to drive (another socket's) */
	if (nr_plics == PLIC_MAX_INSTANCES) {
		pr_warn("plic: more than %d with a context for hart %lu\n", PLIC_MAX_INSTANCES,
			hart);
		return -ENOSPC;
	}
	p->ctx = ctx;
	p->ndev = min(dt.ndev, PLIC_MAX_IRQ - 1);
	ret = plic_map(p, &dt);
	if (ret)
		return ret;
	plic_reset(p);
	p->domain = (struct irq_domain){
		.phandle = dt.phandle, .ops = &plic_domain_ops, .host_data = p,
	};
	nr_plics++;
	irq_domain_add(&p->domain);
	set_external_irq_handler(plic_handle_irqs);
	csr_set(sie, SIE_SEIE);
	csr_set(sstatus, SR_SIE);
	pr_info("plic: %u sources, hart %lu S-mode context %u, interrupts on\n", p->ndev, hart,
		p->ctx);
	return 0;
}

static const struct platform_driver plic_driver = {
	.name = "plic",
	.of_match_table = plic_of_match,
	.probe = plic_probe,
};
module_platform_driver(plic_driver);
