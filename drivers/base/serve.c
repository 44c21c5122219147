// SPDX-License-Identifier: GPL-2.0
/*
 * After the self-tests with rvmm.serve: the boot hart idles in wfi and,
 * after every wakeup, runs the drivers' poll functions. Interrupts wake it;
 * a driver whose device cannot interrupt asks for a period, and the SBI
 * timer (owned here, one for all) wakes it at least that often.
 */
#include <asm/csr.h>
#include <asm/sbi.h>
#include <rvmm/boot.h>
#include <rvmm/driver.h>
#include <rvmm/page_store.h>
#include <rvmm/printk.h>
#include <rvmm/ptdump.h>
#include <rvmm/trap.h>

#define MAX_POLLS 8

static void (*polls[MAX_POLLS])(void);
static int nr_polls;
static unsigned long tick_us; /* the shortest period asked for, 0: no timer */

static void poll_tick(void)
{
	sbi_set_timer(rdtime() + boot_dt.timebase_freq * tick_us / 1000000);
}

/* The timer re-arms itself from its interrupt; the first tick arms it. */
static void poll_timer_start(unsigned long period_us)
{
	bool armed = tick_us;

	if (armed && tick_us <= period_us)
		return;
	tick_us = period_us;
	set_timer_handler(poll_tick);
	poll_tick();
	if (!armed)
		csr_set(sie, SIE_STIE);
}

int serve_poll_add(void (*poll)(void), unsigned long period_us)
{
	int i;

	for (i = 0; i < nr_polls && polls[i] != poll; i++)
		;
	if (i == nr_polls) {
		if (nr_polls == MAX_POLLS)
			return -ENOSPC;
		polls[nr_polls++] = poll;
	}
	if (period_us)
		poll_timer_start(period_us);
	return 0;
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
	if (tick_us) /* a self-test may have reprogrammed the timer */
		poll_tick();
	for (;;) {
		csr_clear(sstatus, SR_SIE);
		for (int i = 0; i < nr_polls; i++)
			polls[i]();
		if (gen != kernel_mappings_gen) {
			gen = kernel_mappings_gen;
			ptdump_after_change();
		}
		page_store_check(&page_store); /* rvmm.store: after every change */
		csr_clear(sstatus, SR_SIE);
		__asm__ __volatile__("wfi");
		csr_set(sstatus, SR_SIE);
	}
}
