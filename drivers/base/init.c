// SPDX-License-Identifier: GPL-2.0
/*
 * drivers_init(): the registered platform drivers (module_platform_driver(),
 * the "rvmm_drivers" section) against the boot device tree, once the
 * memory model is up. Kept apart from platform.c, which the host tests
 * build with drivers of their own.
 */
#include <rvmm/driver.h>

extern const struct platform_driver *const __start_rvmm_drivers[];
extern const struct platform_driver *const __stop_rvmm_drivers[];

#define MAX_PLATFORM_DEVICES 32

void drivers_init(const void *fdt)
{
	static struct platform_device devs[MAX_PLATFORM_DEVICES];
	static struct platform_bus bus;

	bus = (struct platform_bus){
		.fdt = fdt,
		.drivers = __start_rvmm_drivers,
		.nr_drivers = (int)(__stop_rvmm_drivers - __start_rvmm_drivers),
		.devs = devs,
		.max_devs = MAX_PLATFORM_DEVICES,
	};
	platform_bus_probe(&bus);
}
