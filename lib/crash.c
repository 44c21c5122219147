// SPDX-License-Identifier: GPL-2.0
/*
 * rvmm.crash[=<kind>]: fault on purpose, so that tests/run.py can check
 * what each kind of panic report says.
 *
 *   rvmm.crash, =null   store to address 0x10 (NULL pointer dereference)
 *   =wild               store to an unmapped kernel address
 *   =stack              recurse until the boot hart's stack overflows
 *   =stack@N            the same on logical hart N (a secondary hart)
 */
#include <stdlib.h>
#include <string.h>
#include <asm/layout.h>
#include <rvmm/boot.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>

/* False if @arg (what follows "rvmm.crash") names no kind. */
bool crash_parse(const char *arg)
{
	struct boot_params *bp = &boot_params;

	if (!*arg || !strcmp(arg, "=null"))
		bp->crash = CRASH_NULL;
	else if (!strcmp(arg, "=wild"))
		bp->crash = CRASH_WILD;
	else if (!strncmp(arg, "=stack", 6) && (!arg[6] || arg[6] == '@'))
		bp->crash = CRASH_STACK, bp->crash_cpu = arg[6] ? atoi(arg + 7) : 0;
	else
		return false;
	return true;
}

/* Each frame holds 512 bytes; the add after the call keeps it no tail call. */
static int __attribute__((noinline)) crash_recurse(unsigned long depth)
{
	volatile char pad[512];

	pad[0] = (char)depth;
	return depth ? crash_recurse(depth - 1) + pad[0] : 0;
}

static void crash_stack_on(void *arg)
{
	(void)arg;
	if (smp_processor_id() == boot_params.crash_cpu)
		crash_recurse(~0UL);
}

static void __attribute__((noinline)) crash_store(unsigned long addr)
{
	*(volatile unsigned long *)READ_ONCE(addr) = 0;
}

void crash_on_purpose(void)
{
	switch (boot_params.crash) {
	case CRASH_NULL:
		crash_store(0x10);
		break;
	case CRASH_WILD:
		crash_store(FIXMAP_START - PAGE_SIZE);	/* top of ioremap: unused */
		break;
	case CRASH_STACK:
		if (boot_params.crash_cpu >= nr_cpus_online)
			panic("rvmm.crash=stack@%d: no such hart online", boot_params.crash_cpu);
		if (boot_params.crash_cpu)
			smp_call_all(crash_stack_on, NULL);
		else
			crash_stack_on(NULL);
		break;
	}
	panic("rvmm.crash: survived the crash");
}
