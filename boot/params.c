// SPDX-License-Identifier: GPL-2.0
/*
 * What the boot learned, read everywhere afterwards: the boot arguments,
 * the parsed device tree, the RAM mem= kept out. start_kernel() fills them;
 * they are defined apart from it so that code reading them (arch, drivers,
 * the page-table audit) does not depend on the boot sequence, which calls
 * all of that code.
 */
#include <rvmm/boot.h>
#include <rvmm/mmzone.h>
#include <rvmm/printk.h>

struct boot_params boot_params;
bool verify_full;
struct dt_info boot_dt;
const void *initial_boot_params;
unsigned long boot_instret;
phys_addr_t hidden_mem_base, hidden_mem_size;

/*
 * RAM the self-tests may hot-add: rvmm.hotplug_test=<base>,<size>, else
 * what mem= kept out of the boot map. Finds an @align-aligned range of
 * @size in it (0 = all of it, section-aligned); returns its base, or 0.
 */
phys_addr_t hotplug_test_ram(phys_addr_t size, phys_addr_t align, phys_addr_t *got)
{
	phys_addr_t b = boot_params.hotplug_size ? boot_params.hotplug_base : hidden_mem_base;
	phys_addr_t s = boot_params.hotplug_size ? boot_params.hotplug_size : hidden_mem_size;
	phys_addr_t e = ALIGN_DOWN(b + s, SECTION_SIZE), a = ALIGN(b, max(align, SECTION_SIZE));

	if (!size)
		size = e > a ? e - a : 0;
	if (!s || !size || a + size > e)
		return 0;
	if (got)
		*got = size;
	return a;
}

void bench_report(const char *name, unsigned long value, const char *unit)
{
	printk("bench: %s %lu %s\n", name, value, unit);
}

