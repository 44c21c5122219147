// SPDX-License-Identifier: GPL-2.0
/*
 * Secondary hart bring-up: each gets a guarded stack and the kernel page
 * table, and starts through SBI HSM at secondary_entry (head.S), or leaves
 * the entry spin-wait when a loader already sent it to the image's entry.
 * Apart from smp.c, so that parking harts at the end of a run (panic)
 * reaches nothing that allocates.
 */
#include <asm/csr.h>
#include <asm/sbi.h>
#include <asm/setup.h>
#include <asm/smp.h>
#include <rvmm/boot.h>
#include <rvmm/dt.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>

struct hart_boot {
	unsigned long satp, sp, va_pa_offset, cpu;
};
static struct hart_boot hart_boot[NR_CPUS];

/* Harts the DT lists but the kernel must not start are named, not tried. */
static bool hart_usable(const struct dt_cpu *c)
{
	const char *why;

	if (c->hartid == cpus[0].hartid)
		return false;
	why = dt_cpu_unusable(c, kl.va_bits);
	if (why)
		pr_info("smp: hart %u skipped: %s\n", c->hartid, why);
	return !why;
}

/*
 * Offer hart_boot[@cpu] to @hartid in the entry spin-wait (head.S). True
 * once the hart claimed it; an offer still unclaimed after a second is
 * withdrawn, and a hart that comes later parks.
 */
static bool spinwait_release(unsigned long hartid, int cpu, u64 freq)
{
	unsigned long *slot = &spinwait_boot[hartid];
	u64 t0 = rdtime();

	if (hartid >= SPINWAIT_MAX_HARTS)
		return false;
	__atomic_store_n(slot, __pa_symbol(&hart_boot[cpu]), __ATOMIC_RELEASE);
	while (__atomic_load_n(slot, __ATOMIC_ACQUIRE))
		if (rdtime() - t0 > freq)
			return !__atomic_exchange_n(slot, SPINWAIT_PARK, __ATOMIC_ACQ_REL);
	return true;
}

/* Harts that no offer reaches park when they come to the entry. */
static void spinwait_close(void)
{
	for (int h = 0; h < SPINWAIT_MAX_HARTS; h++)
		__atomic_store_n(&spinwait_boot[h], SPINWAIT_PARK, __ATOMIC_RELEASE);
}

/*
 * Through SBI HSM; a hart that is already running (a loader released it
 * to the image's entry) or an SBI without HSM leaves the spin-wait.
 * rvmm.smp=entry sends the harts to the entry first, as such a loader does.
 */
static int start_hart(unsigned long hartid, int cpu, u64 freq)
{
	extern char secondary_entry[], _start[];
	int ret;

	if (boot_params.smp_entry)
		ret = sbi_hart_start(hartid, __pa_symbol(_start), 0) ?: -EALREADY;
	else
		ret = sbi_hart_start(hartid, __pa_symbol(secondary_entry),
				     __pa_symbol(&hart_boot[cpu]));
	if (ret != -EALREADY && ret != -EOPNOTSUPP)
		return ret;
	if (!spinwait_release(hartid, cpu, freq))
		return ret;
	pr_info("smp: hart %lu joined from the entry spin-wait\n", hartid);
	return 0;
}

void smp_init(const struct dt_info *dt)
{
	int cpu = 1;

	for (int i = 0; i < dt->nr_cpus && cpu < NR_CPUS; i++) {
		const struct dt_cpu *c = &dt->cpus[i];
		unsigned long t0, stack;
		int ret;

		if (!hart_usable(c))
			continue;
		stack = alloc_hart_stack(cpu);
		if (!stack)
			panic("smp: no memory for the stack of hart %u", c->hartid);
		cpus[cpu].hartid = c->hartid;
		cpus[cpu].stack_top = stack;
		hart_boot[cpu] = (struct hart_boot){
			.satp = satp_value(),
			.sp = stack,
			.va_pa_offset = kl.kernel_va_pa_offset,
			.cpu = cpu,
		};
		ret = start_hart(c->hartid, cpu, dt->timebase_freq);
		if (ret) {
			pr_warn("smp: hart %u did not start (%d)\n", c->hartid, ret);
			continue;	/* its stack stays mapped for the next hart */
		}
		t0 = rdtime();
		while (!__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE))
			/* 10 s: generous, a loaded host is slow */
			if (rdtime() - t0 > 10 * dt->timebase_freq)
				panic("smp: hart %u started but never came online", c->hartid);
		nr_cpus_online++;
		cpu++;
	}
	spinwait_close();
	pr_info("smp: %d hart%s online\n", nr_cpus_online, nr_cpus_online > 1 ? "s" : "");
}
