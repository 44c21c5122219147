/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_BOOT_H
#define RVMM_BOOT_H

#include <rvmm/dt.h>

/* Boot arguments (/chosen/bootargs), parsed once by start_kernel(). */
struct boot_params {
	phys_addr_t mem_limit;		/* mem=<size>: 0 = all RAM */
	char tests[128];		/* rvmm.tests=<suite>[,...] */
	bool serve;			/* rvmm.serve */
	bool bench;			/* rvmm.bench: print benchmark figures */
	phys_addr_t hotplug_base;	/* rvmm.hotplug_test=<base>,<size> */
	phys_addr_t hotplug_size;
	bool online_normal;		/* rvmm.online=normal */
	bool reboot;			/* rvmm.reboot: reboot if power-off is refused */
	bool ptdump;			/* rvmm.ptdump: print the kernel's mappings */
	int crash;			/* rvmm.crash[=<kind>]: CRASH_* */
	int crash_cpu;			/* rvmm.crash=stack@N: logical hart */
	phys_addr_t store_size;		/* rvmm.store=<size>: page store filled */
	bool smp_entry;			/* rvmm.smp=entry: harts start at the entry */
};

enum { CRASH_NONE, CRASH_NULL, CRASH_WILD, CRASH_STACK };
extern struct boot_params boot_params;
/*
 * rvmm.verify=full: check hot-plugged memory word by word and every
 * virtio-mem request with STATE (tests, debugging). Off, serving costs
 * what the benchmarks measure. Other checks may key on it too.
 */
extern bool verify_full;
extern struct dt_info boot_dt;
extern const void *initial_boot_params;	/* the device tree, mapped for good */
extern unsigned long boot_instret;	/* rdinstret at kernel entry */

/* Memory that mem= kept out at boot: what hotplug tests may add. */
extern phys_addr_t hidden_mem_base, hidden_mem_size;

phys_addr_t hotplug_test_ram(phys_addr_t size, phys_addr_t align, phys_addr_t *got);
void bench_report(const char *name, unsigned long value, const char *unit);
bool crash_parse(const char *arg);	/* lib/crash.c */
void crash_on_purpose(void);

#endif
