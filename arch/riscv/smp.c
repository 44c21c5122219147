// SPDX-License-Identifier: GPL-2.0
/*
 * Secondary harts, once started (smpboot.c): they wait in wfi and run
 * functions sent by smp_call_all() (software interrupt as the doorbell,
 * polled, no handler); at the end of a run they park for good.
 */
#include <asm/csr.h>
#include <asm/sbi.h>
#include <rvmm/boot.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

static void (*volatile call_fn)(void *);
static void *volatile call_arg;
static volatile unsigned long call_seq;
static volatile int call_done;
static volatile int smp_stopping;	/* the run ends: park, see smp_park_others() */
static int nr_parked;

void secondary_start_kernel(void)
{
	int cpu = smp_processor_id();
	unsigned long seen = call_seq;

	csr_write(sie, SIE_SSIE);	/* wakes wfi; sstatus.SIE stays 0 */
	local_flush_tlb_all();
	__atomic_store_n(&cpus[cpu].online, true, __ATOMIC_RELEASE);
	for (;;) {
		while (READ_ONCE(call_seq) == seen)
			__asm__ __volatile__("wfi");
		csr_clear(sip, SIE_SSIE);
		seen = READ_ONCE(call_seq);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		call_fn(call_arg);
		__atomic_fetch_add(&call_done, 1, __ATOMIC_RELEASE);
	}
}

void smp_call_all(void (*fn)(void *arg), void *arg)
{
	unsigned long base, mask = online_hart_mask(&base);
	int others = nr_cpus_online - 1;

	if (!others)
		return;
	mask &= ~(1UL << cpus[smp_processor_id()].hartid);
	call_fn = fn;
	call_arg = arg;
	call_done = 0;
	__atomic_fetch_add(&call_seq, 1, __ATOMIC_RELEASE);
	sbi_send_ipi(mask, base);
	while (__atomic_load_n(&call_done, __ATOMIC_ACQUIRE) != others)
		if (READ_ONCE(smp_stopping))
			smp_park_this_hart();	/* a hart we wait for ends the run */
}

__noreturn void smp_park_this_hart(void)
{
	__atomic_fetch_add(&nr_parked, 1, __ATOMIC_RELEASE);
	machine_halt_this_hart();
}

static void park_fn(void *arg)
{
	(void)arg;
	smp_park_this_hart();
}

/*
 * Idle harts take park_fn() as a call; a hart waiting in smp_call_all()
 * sees smp_stopping. Waits up to a second and says if any hart did not
 * stop (one spinning with interrupts off, say), as Linux's smp_send_stop().
 */
void smp_park_others(void)
{
	unsigned long base, mask = online_hart_mask(&base);
	u64 t0, hz = boot_dt.timebase_freq ?: 10000000UL;
	int others = nr_cpus_online - 1, parked;

	if (!others)
		return;
	mask &= ~(1UL << cpus[smp_processor_id()].hartid);
	WRITE_ONCE(smp_stopping, 1);
	call_fn = park_fn;
	__atomic_fetch_add(&call_seq, 1, __ATOMIC_RELEASE);
	sbi_send_ipi(mask, base);
	t0 = rdtime();
	while ((parked = __atomic_load_n(&nr_parked, __ATOMIC_ACQUIRE)) < others)
		if (rdtime() - t0 > hz) {
			pr_err("smp: %d of %d other harts did not stop\n", others - parked, others);
			return;
		}
}
