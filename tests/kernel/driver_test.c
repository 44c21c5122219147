// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests for the driver model (drivers/base/platform.c and the irq
 * domains): a tree built at run time, bound with drivers of the test's
 * own, checks matching ("compatible" lists, status) and deferral (a
 * device before its interrupt controller binds; one whose controller
 * never probes is reported and the rest goes on). The host tests run
 * this same suite (tests/host/driver_host_test.c).
 */
#include <rvmm/driver.h>
#include <rvmm/fault-inject.h>
#include <rvmm/irqdomain.h>
#include <rvmm/ktest.h>
#include "../common/dt_builders.h"

#define INTC_A 0x10 /* probes, but after a device that needs it */
#define INTC_OFF 0x20 /* disabled: never probes */
#define MAX_DEVS 8

static u8 drv_dtb[DTB_BUF_SIZE] __aligned(8);
static struct platform_device devs[MAX_DEVS];
static struct irq_domain domains[MAX_DEVS];
static char console[512];

/* Per device (index into devs): probes, the first lookup's answer, the binding order. */
static struct {
	int probes, first_lookup, bound_as;
} rec[MAX_DEVS];
static int nr_bound;

static int intc_request(struct irq_domain *d, u32 hwirq, struct irq_action *act)
{
	(void)d, (void)hwirq, (void)act;
	return 0;
}

static void intc_free(struct irq_domain *d, u32 hwirq, struct irq_action *act)
{
	(void)d, (void)hwirq, (void)act;
}

static const struct irq_domain_ops intc_ops = { .request = intc_request, .free = intc_free };

static int test_intc_probe(struct platform_device *pdev)
{
	struct irq_domain *d = &domains[pdev - devs];

	*d = (struct irq_domain){ .phandle = pdev->phandle, .ops = &intc_ops };
	irq_domain_add(d);
	rec[pdev - devs].bound_as = nr_bound++;
	return 0;
}

/* Like a device that needs its interrupt: no controller yet means later. */
static int test_dev_probe(struct platform_device *pdev)
{
	const fdt32_t *ip = fdt_getprop(pdev->fdt, pdev->node, "interrupt-parent", NULL);
	struct irq_domain *d;
	int i = pdev - devs, ret = ip ? irq_find_host(fdt32_ld(ip), &d) : 0;

	if (!rec[i].probes++)
		rec[i].first_lookup = ret;
	if (ret)
		return -EPROBE_DEFER;
	rec[i].bound_as = nr_bound++;
	return 0;
}

static const struct of_device_id test_intc_ids[] = { { .compatible = "rvmm-test,intc" }, {} };
static const struct of_device_id test_dev_ids[] = { { .compatible = "rvmm-test,dev" }, {} };
static const struct platform_driver test_intc = {
	.name = "test-intc",
	.of_match_table = test_intc_ids,
	.probe = test_intc_probe,
};
static const struct platform_driver test_dev = {
	.name = "test-dev",
	.of_match_table = test_dev_ids,
	.probe = test_dev_probe,
};
/* The device's driver first: link order must not matter either. */
static const struct platform_driver *const test_drivers[] = { &test_dev, &test_intc };

static int node(void *fdt, const char *name, const char *compat, size_t compat_len, u32 phandle,
		u32 parent, bool disabled)
{
	DTB_TRY(fdt_begin_node(fdt, name));
	DTB_TRY(fdt_property(fdt, "compatible", compat, compat_len));
	if (phandle)
		DTB_TRY(fdt_property_u32(fdt, "phandle", phandle));
	if (parent)
		DTB_TRY(fdt_property_u32(fdt, "interrupt-parent", parent));
	if (disabled)
		DTB_TRY(fdt_property_string(fdt, "status", "disabled"));
	return fdt_end_node(fdt);
}

#define NODE(fdt, name, lit, ...) node(fdt, name, lit, sizeof(lit), __VA_ARGS__)

static int build_tree(void *buf, int size)
{
	DTB_TRY(dtb_begin(buf, size, NULL, 0, 2, 2));
	DTB_TRY(NODE(buf, "dev-early", "rvmm-test,dev", 0, INTC_A, false));
	DTB_TRY(NODE(buf, "intc-a", "rvmm-test,intc", INTC_A, 0, false));
	DTB_TRY(NODE(buf, "dev-second", "acme,unknown\0rvmm-test,dev", 0, INTC_A, false));
	DTB_TRY(NODE(buf, "dev-off", "rvmm-test,dev", 0, 0, true));
	DTB_TRY(NODE(buf, "intc-off", "rvmm-test,intc", INTC_OFF, 0, true));
	DTB_TRY(NODE(buf, "dev-orphan", "rvmm-test,dev", 0, INTC_OFF, false));
	DTB_TRY(NODE(buf, "other", "acme,unknown", 0, 0, false));
	return dtb_end(buf);
}

/* The device of node @name, or NULL. */
static struct platform_device *dev_of(const struct platform_bus *bus, const char *name)
{
	for (int i = 0; i < bus->nr_devs; i++)
		if (!strcmp(fdt_get_name(drv_dtb, devs[i].node, NULL), name))
			return &devs[i];
	return NULL;
}

static void bind_test_tree(struct ktest *t, struct platform_bus *bus)
{
	int ret = build_tree(drv_dtb, sizeof(drv_dtb));

	memset(rec, 0, sizeof(rec));
	nr_bound = 0;
	if (ret) {
		ktest_fail(t, __FILE__, __LINE__, "builder: %s", fdt_strerror(ret));
		return;
	}
	*bus = (struct platform_bus){
		.fdt = drv_dtb,
		.drivers = test_drivers,
		.nr_drivers = ARRAY_SIZE(test_drivers),
		.devs = devs,
		.max_devs = MAX_DEVS,
	};
	printk_capture(console, sizeof(console));
	platform_bus_probe(bus);
	printk_capture(NULL, 0);
	for (int i = 0; i < bus->nr_devs; i++)
		if (devs[i].driver == &test_intc && devs[i].state == PDEV_BOUND)
			irq_domain_remove(&domains[i]);
}

/* Enabled nodes with a matching string, the second one too; disabled and unknown ones not. */
static void drv_match_tables(struct ktest *t)
{
	struct platform_bus bus;
	struct platform_device *d;

	bind_test_tree(t, &bus);
	KEXPECT_EQ(t, bus.nr_devs, 4);
	d = dev_of(&bus, "dev-second");
	KASSERT_TRUE(t, d != NULL);
	KEXPECT_TRUE(t, d->driver == &test_dev && d->match == &test_dev_ids[0]);
	KEXPECT_EQ(t, d->state, PDEV_BOUND);
	KEXPECT_TRUE(t, dev_of(&bus, "dev-off") == NULL);
	KEXPECT_TRUE(t, dev_of(&bus, "intc-off") == NULL);
	KEXPECT_TRUE(t, dev_of(&bus, "other") == NULL);
	d = dev_of(&bus, "intc-a");
	KASSERT_TRUE(t, d != NULL);
	KEXPECT_TRUE(t, d->driver == &test_intc);
	KEXPECT_EQ(t, d->phandle, INTC_A);
}

/* A device before its controller defers once, then binds after it. */
static void drv_defer_parent_later(struct ktest *t)
{
	struct platform_bus bus;
	struct platform_device *dev, *intc;

	bind_test_tree(t, &bus);
	dev = dev_of(&bus, "dev-early");
	intc = dev_of(&bus, "intc-a");
	KASSERT_TRUE(t, dev && intc);
	KEXPECT_EQ(t, dev->state, PDEV_BOUND);
	KEXPECT_EQ(t, intc->state, PDEV_BOUND);
	KEXPECT_EQ(t, rec[dev - devs].first_lookup, -EPROBE_DEFER);
	KEXPECT_EQ(t, rec[dev - devs].probes, 2);
	KEXPECT_LT(t, rec[intc - devs].bound_as, rec[dev - devs].bound_as);
}

/* A controller that never probes: its device is reported, everything else binds. */
static void drv_defer_never(struct ktest *t)
{
	struct platform_bus bus;
	struct platform_device *d;

	bind_test_tree(t, &bus);
	d = dev_of(&bus, "dev-orphan");
	KASSERT_TRUE(t, d != NULL);
	KEXPECT_EQ(t, d->state, PDEV_DEFERRED);
	KEXPECT_EQ(t, rec[d - devs].first_lookup, -ENODEV);
	if (!strstr(console, "test-dev dev-orphan: probe deferred"))
		ktest_fail(t, __FILE__, __LINE__, "no report in \"%s\"", console);
	KEXPECT_EQ(t, nr_bound, 3);
	/* Outside a probe nothing is pending: a lookup no longer defers. */
	KEXPECT_EQ(t, platform_phandle_pending(INTC_A), false);
}

KTEST_SUITE(drivers, false, KTEST_CASE(drv_match_tables), KTEST_CASE(drv_defer_parent_later),
	    KTEST_CASE(drv_defer_never));
