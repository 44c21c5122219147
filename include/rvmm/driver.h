/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_DRIVER_H
#define RVMM_DRIVER_H

/*
 * The driver model (drivers/base/). Platform drivers match device-tree
 * nodes by "compatible" and parse their own node in probe(). A probe that
 * needs a device not probed yet (its interrupt parent, say) returns
 * -EPROBE_DEFER and is tried again after the others, until a round
 * changes nothing; what is still deferred then is reported.
 *
 * Drivers never call each other's init: the PCI host binds PCI drivers
 * (<rvmm/pci.h>), virtio-pci binds virtio drivers (<rvmm/virtio.h>), and
 * an interrupt controller is found by phandle (<rvmm/irqdomain.h>).
 */
#include <rvmm/mod_devicetable.h>
#include <rvmm/types.h>

/* Linux's value; picolibc's errno.h has no such code. */
#define EPROBE_DEFER	517

struct platform_driver;

enum platform_device_state {
	PDEV_PENDING,		/* not probed yet, or deferred */
	PDEV_BOUND,
	PDEV_FAILED,		/* probe said no (-ENODEV: not present) */
	PDEV_DEFERRED,		/* still deferred when the others were done */
};

struct platform_device {
	const void *fdt;
	int node;
	u32 phandle;				/* 0: none */
	const struct platform_driver *driver;
	const struct of_device_id *match;	/* the table entry that matched */
	enum platform_device_state state;
	int ret;				/* the last probe's answer */
};

struct platform_driver {
	const char *name;
	const struct of_device_id *of_match_table;	/* ends with an empty entry */
	int (*probe)(struct platform_device *pdev);
};

/* Registers @drv with drivers_init() (the "rvmm_drivers" section). */
#define module_platform_driver(drv)					\
	static const struct platform_driver *const __pdrv_##drv		\
		__section("rvmm_drivers") __used __aligned(8) = &(drv)

/*
 * A set of drivers bound against one tree: drivers_init() uses the
 * registered drivers, the self-tests their own.
 */
struct platform_bus {
	const void *fdt;
	const struct platform_driver *const *drivers;
	int nr_drivers;
	struct platform_device *devs;
	int max_devs;
	int nr_devs;			/* out: devices matched */
};

/* Match every enabled node of @bus->fdt, then probe with deferral. */
void platform_bus_probe(struct platform_bus *bus);
/*
 * Is the node with @phandle matched by a driver that has not probed yet?
 * Then what depends on it should return -EPROBE_DEFER.
 */
bool platform_phandle_pending(u32 phandle);

/* Bind the registered drivers to the boot device tree. */
void drivers_init(const void *fdt);

/*
 * Device service after boot (drivers/base/serve.c). serve_loop() idles
 * the boot hart and calls every @poll after each wakeup; a @period_us
 * other than 0 also wakes it that often (the timer is drivers/base's).
 * Asking again for the same @poll only shortens its period.
 */
int serve_poll_add(void (*poll)(void), unsigned long period_us);
__noreturn void serve_loop(void);

#endif
