// SPDX-License-Identifier: GPL-2.0
/*
 * drivers_init(): the registered platform drivers (module_platform_driver(),
 * the "rvmm_drivers" section) against the boot device tree, once the
 * memory model is up. Kept apart from platform.c, which the host tests
 * build with drivers of their own.
 */
#include <string.h>
#include <rvmm/driver.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/of_fdt.h>
#include <rvmm/printk.h>

extern const struct platform_driver *const __start_rvmm_drivers[];
extern const struct platform_driver *const __stop_rvmm_drivers[];

#define MAX_PLATFORM_DEVICES 32

/* Not devices: RAM, what firmware keeps of it, the harts. */
static bool not_a_device(const void *fdt, int node)
{
	const char *name = fdt_get_name(fdt, node, NULL);

	return !name || !strcmp(name, "cpus") || !strcmp(name, "reserved-memory") ||
	       !strcmp(name, "chosen") || dt_prop_is(fdt, node, "device_type", "memory");
}

/* A bus whose children's addresses are the CPU's: "ranges" present and empty. */
static bool identity_ranges(const void *fdt, int node)
{
	int len;

	return fdt_getprop(fdt, node, "ranges", &len) && len == 0;
}

static void register_node_mmio(const struct dt_parser *p, int node)
{
	const char *name = fdt_get_name(p->fdt, node, NULL);
	struct dt_reg r;
	u64 base, size;
	int ac, sc;

	if (!fdt_getprop(p->fdt, node, "reg", NULL) ||
	    dt_parent_cells(p, node, 1, &ac, &sc) ||
	    dt_get_reg(p, node, "reg", ac, sc, true, &r))
		return;	/* no MMIO, or a reg its driver (if any) reports */
	for (int i = 0; i < r.n; i++) {
		dt_reg_entry(&r, i, &base, &size);
		if (size && iomem_register(base, size, name))
			pr_warn("dt: %s: more MMIO ranges than the table holds: not guarded\n",
				name);
	}
}

/*
 * Every device node's registers are MMIO, whether a driver binds it or
 * not, enabled or not (Linux's platform resources): hot-add must never
 * take them for RAM. Nodes behind a bus that translates addresses are
 * not reached (README: Known limits).
 */
static void register_device_mmio(const struct dt_parser *p, int parent)
{
	int node;

	fdt_for_each_subnode(node, p->fdt, parent) {
		if (not_a_device(p->fdt, node))
			continue;
		register_node_mmio(p, node);
		if (identity_ranges(p->fdt, node))
			register_device_mmio(p, node);
	}
}

void drivers_init(const void *fdt)
{
	const struct dt_parser p = { .fdt = fdt };

	static struct platform_device devs[MAX_PLATFORM_DEVICES];
	static struct platform_bus bus;

	bus = (struct platform_bus){
		.fdt = fdt,
		.drivers = __start_rvmm_drivers,
		.nr_drivers = (int)(__stop_rvmm_drivers - __start_rvmm_drivers),
		.devs = devs,
		.max_devs = MAX_PLATFORM_DEVICES,
	};
	register_device_mmio(&p, 0);
	platform_bus_probe(&bus);
}
