// SPDX-License-Identifier: GPL-2.0
/*
 * Device-tree drivers: each registers a probe in the "rvmm_drivers"
 * section; drivers_init() runs them in link order after the memory model
 * is up. serve_loop() idles the boot hart and services device events.
 */
#include <asm/csr.h>
#include <rvmm/boot.h>
#include <rvmm/driver.h>
#include <rvmm/page_store.h>
#include <rvmm/printk.h>
#include <rvmm/ptdump.h>

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

/*
 * Poll with interrupts masked, then wfi: an interrupt that arrives after
 * the last poll stays pending and ends the wfi (wfi wakes on pending
 * enabled interrupts whatever sstatus.SIE says), instead of being taken
 * just before it and slept through. Unmasking then runs its handler.
 */
void serve_loop(void)
{
	unsigned long gen = kernel_mappings_gen;

	pr_info("serving devices; quit QEMU to stop\n");
	for (;;) {
		csr_clear(sstatus, SR_SIE);
		for (const struct rvmm_driver *d = __start_rvmm_drivers;
		     d < __stop_rvmm_drivers; d++)
			if (d->poll)
				d->poll();
		if (gen != kernel_mappings_gen) {
			gen = kernel_mappings_gen;
			ptdump_after_change();
		}
		page_store_check(&page_store);	/* rvmm.store: after every change */
		csr_clear(sstatus, SR_SIE);
		__asm__ __volatile__("wfi");
		csr_set(sstatus, SR_SIE);
	}
}
