// SPDX-License-Identifier: GPL-2.0
/* Interrupt controllers by phandle (<rvmm/irqdomain.h>). */
#include <rvmm/driver.h>
#include <rvmm/irqdomain.h>

static struct irq_domain *domains;

void irq_domain_add(struct irq_domain *d)
{
	d->next = domains;
	domains = d;
}

void irq_domain_remove(struct irq_domain *d)
{
	for (struct irq_domain **p = &domains; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			return;
		}
	}
}

int irq_find_host(u32 phandle, struct irq_domain **d)
{
	for (*d = domains; *d; *d = (*d)->next)
		if ((*d)->phandle == phandle)
			return 0;
	return platform_phandle_pending(phandle) ? -EPROBE_DEFER : -ENODEV;
}
