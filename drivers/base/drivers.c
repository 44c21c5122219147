// SPDX-License-Identifier: GPL-2.0
/*
 * Device-tree drivers: each registers a probe in the "rvmm_drivers"
 * section; drivers_init() runs them in link order after the memory model
 * is up. serve_loop() idles the boot hart and services device events.
 */
#include <asm/csr.h>
#include <rvmm/boot.h>
#include <rvmm/driver.h>
#include <rvmm/printk.h>

extern const struct rvmm_driver __start_rvmm_drivers[];
extern const struct rvmm_driver __stop_rvmm_drivers[];

void drivers_init(void)
{
	for (const struct rvmm_driver *d = __start_rvmm_drivers; d < __stop_rvmm_drivers; d++) {
		int ret = d->probe(&boot_dt);

		if (ret && ret != -ENODEV)
			pr_err("%s: probe failed (%d)\n", d->name, ret);
	}
}

void serve_loop(void)
{
	pr_info("serving devices; quit QEMU to stop\n");
	for (;;) {
		for (const struct rvmm_driver *d = __start_rvmm_drivers;
		     d < __stop_rvmm_drivers; d++)
			if (d->poll)
				d->poll();
		__asm__ __volatile__("wfi");
	}
}
