/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_IRQDOMAIN_H
#define RVMM_IRQDOMAIN_H

/*
 * Interrupt controllers as the devices behind them find them: by the
 * phandle the device tree names (interrupt-parent, interrupt-map). A
 * controller's probe registers its domain; a device's probe looks it up
 * and defers while the controller's driver has yet to probe.
 */
#include <rvmm/types.h>

struct irq_action {
	void (*handler)(void *data);
	void *data;
	struct irq_action *next;
};

struct irq_domain;

struct irq_domain_ops {
	/* Add @act to @hwirq and enable it; @act must stay alive. */
	int (*request)(struct irq_domain *d, u32 hwirq, struct irq_action *act);
	void (*free)(struct irq_domain *d, u32 hwirq, struct irq_action *act);
};

struct irq_domain {
	u32 phandle;
	const struct irq_domain_ops *ops;
	void *host_data;		/* the controller's own state */
	struct irq_domain *next;
};

void irq_domain_add(struct irq_domain *d);
void irq_domain_remove(struct irq_domain *d);
/*
 * The domain of the controller with @phandle in *@d: 0; -EPROBE_DEFER while
 * that controller's driver has yet to probe; -ENODEV when none will (no
 * driver for it, or it refused).
 */
int irq_find_host(u32 phandle, struct irq_domain **d);

static inline int request_irq(struct irq_domain *d, u32 hwirq, struct irq_action *act)
{
	return d->ops->request(d, hwirq, act);
}

static inline void free_irq(struct irq_domain *d, u32 hwirq, struct irq_action *act)
{
	d->ops->free(d, hwirq, act);
}

#endif
