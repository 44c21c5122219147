// SPDX-License-Identifier: GPL-2.0
/*
 * Platform devices: every enabled device-tree node whose "compatible"
 * names an entry of a driver's match table becomes a device, in tree
 * order; then probe rounds run until one binds nothing new. A probe that
 * returns -EPROBE_DEFER stays pending for the next round, so a device can
 * come before the interrupt controller it needs, in the tree or in link
 * order. What is still deferred after the last round is reported and left
 * alone: the kernel goes on without it.
 */
#include <libfdt.h>
#include <rvmm/driver.h>
#include <rvmm/of_fdt.h>
#include <rvmm/printk.h>

/* The bus being probed, for platform_phandle_pending(). */
static struct platform_bus *probing;

static const char *pdev_name(const struct platform_device *pdev)
{
	const char *name = fdt_get_name(pdev->fdt, pdev->node, NULL);

	return name ? name : "?";
}

/* The first driver (in @bus order) that matches @node becomes its driver. */
static void bus_add_node(struct platform_bus *bus, int node)
{
	for (int i = 0; i < bus->nr_drivers; i++) {
		const struct platform_driver *drv = bus->drivers[i];
		const struct of_device_id *id = of_match_node(drv->of_match_table, bus->fdt, node);
		struct platform_device *pdev;

		if (!id)
			continue;
		if (bus->nr_devs == bus->max_devs) {
			pr_warn("%s: more than %d devices, %s not probed\n", drv->name,
				bus->max_devs, fdt_get_name(bus->fdt, node, NULL));
			return;
		}
		pdev = &bus->devs[bus->nr_devs++];
		*pdev = (struct platform_device){
			.fdt = bus->fdt,
			.node = node,
			.driver = drv,
			.match = id,
			.phandle = fdt_get_phandle(bus->fdt, node),
			.state = PDEV_PENDING,
		};
		return;
	}
}

static void bus_match(struct platform_bus *bus)
{
	int node;

	bus->nr_devs = 0;
	for (node = fdt_next_node(bus->fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(bus->fdt, node, NULL))
		if (dt_node_enabled(bus->fdt, node))
			bus_add_node(bus, node);
}

/* One probe; true when it settled the device (bound or refused). */
static bool probe_one(struct platform_device *pdev)
{
	pdev->ret = pdev->driver->probe(pdev);
	if (pdev->ret == -EPROBE_DEFER)
		return false;
	pdev->state = pdev->ret ? PDEV_FAILED : PDEV_BOUND;
	if (pdev->ret && pdev->ret != -ENODEV)
		pr_err("%s %s: probe failed (%d)\n", pdev->driver->name, pdev_name(pdev),
		       pdev->ret);
	return true;
}

/* One round over the pending devices: did any settle? */
static bool probe_round(struct platform_bus *bus)
{
	bool progress = false;

	for (int i = 0; i < bus->nr_devs; i++)
		if (bus->devs[i].state == PDEV_PENDING && probe_one(&bus->devs[i]))
			progress = true;
	return progress;
}

/* Still pending once nothing moves: what it waits for will never come. */
static void report_deferred(struct platform_bus *bus)
{
	for (int i = 0; i < bus->nr_devs; i++) {
		struct platform_device *pdev = &bus->devs[i];

		if (pdev->state != PDEV_PENDING)
			continue;
		pdev->state = PDEV_DEFERRED;
		pr_err("%s %s: probe deferred, and what it waits for never probed: not used\n",
		       pdev->driver->name, pdev_name(pdev));
	}
}

void platform_bus_probe(struct platform_bus *bus)
{
	struct platform_bus *outer = probing;

	probing = bus;
	bus_match(bus);
	while (probe_round(bus))
		;
	report_deferred(bus);
	probing = outer;
}

bool platform_phandle_pending(u32 phandle)
{
	if (!probing || !phandle)
		return false;
	for (int i = 0; i < probing->nr_devs; i++)
		if (probing->devs[i].phandle == phandle)
			return probing->devs[i].state == PDEV_PENDING;
	return false;
}
