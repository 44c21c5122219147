// SPDX-License-Identifier: GPL-2.0
/*
 * The end of a run, after the verdict line (or a panic):
 *
 *   1. QEMU virt: the sifive,test1 syscon makes QEMU exit with the verdict
 *      as its status (0 = all passed).
 *   2. SBI SRST shutdown, reason "system failure" when anything failed.
 *   3. If the firmware refused (no reset device: most boards' OpenSBI
 *      before 1.5, QEMU sifive_u): an SRST cold reboot when the user asked
 *      for one (rvmm.reboot), else "rvmm: halted" and every hart parked in
 *      wfi with interrupts off, so the verdict stays the last thing shown.
 *
 * SBI's legacy shutdown is never called: it cannot say "failure", so a
 * panic could read as success, and without a reset device OpenSBI parks
 * every hart in M-mode and nothing more is printed.
 */
#include <asm/csr.h>
#include <asm/pgtable.h>
#include <asm/sbi.h>
#include <rvmm/boot.h>
#include <rvmm/io.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

static volatile u32 *test_syscon;

/* setup_vm() found and mapped the syscon (FIXMAP_IO) before anything can panic. */
void machine_set_syscon(void)
{
	test_syscon = kl.syscon_pa ? (volatile u32 *)fixmap_io_va(kl.syscon_pa) : NULL;
}

static void syscon_exit(bool failure, int code)
{
	/* One second; QEMU virt's 10 MHz if the DT was not read yet. */
	unsigned long t0 = rdtime(), hz = boot_dt.timebase_freq ?: 10000000UL;

	/* 0x5555 = pass; 0x3333 | code << 16 = fail with exit code. */
	writel(failure ? (0x3333 | ((u32)code << 16)) : 0x5555, test_syscon);
	/*
	 * The write only queues QEMU's exit. Going on to SRST at once races
	 * with it: OpenSBI's reset writes "pass" to the same syscon and the
	 * verdict is lost. Give it a second.
	 */
	while (rdtime() - t0 < hz)
		;	/* spin: wfi might never wake, nothing is enabled */
}

/* This hart stops for good: nothing can wake it into doing anything. */
__noreturn void machine_halt_this_hart(void)
{
	csr_clear(sstatus, SR_SIE);
	csr_write(sie, 0);
	for (;;)
		__asm__ __volatile__("wfi");
}

/*
 * One hart ends the run: a second one getting here (two harts panic, or
 * the boot hart's verdict races a secondary's panic) parks instead.
 */
__noreturn void machine_shutdown(bool failure, int code)
{
	static int owner = -1;
	int cpu = smp_processor_id(), none = -1;
	int ret;

	if (!__atomic_compare_exchange_n(&owner, &none, cpu, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE) && none != cpu)
		smp_park_this_hart();
	if (test_syscon)
		syscon_exit(failure, code);
	ret = sbi_system_reset(SBI_SRST_SHUTDOWN, failure);
	if (boot_params.reboot) {
		pr_info("SRST shutdown refused (%d); rebooting\n", ret);
		ret = sbi_system_reset(SBI_SRST_COLD_REBOOT, failure);
	}
	smp_park_others();
	printk("rvmm: firmware cannot power off (SRST %d); verdict above\n", ret);
	printk("rvmm: halted\n");
	machine_halt_this_hart();
}
