// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the boot foundation: SBI probes, logging and traps (the
 * memblock allocator's are memblock_test.c's).
 */
#include <string.h>
#include <asm/csr.h>
#include <asm/sbi.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <rvmm/boot.h>
#include <rvmm/fault-inject.h>
#include <rvmm/ktest.h>
#include <rvmm/mm.h>
#include <rvmm/plic.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

/*
 * Nothing beyond SBI 0.2 is assumed (boards ship OpenSBI 1.0-1.2: SBI
 * 0.3/1.0, no DBCN, often no reset device): what the firmware offers is
 * what the kernel uses.
 */
static void sbi_base_and_extensions(struct ktest *t)
{
	KEXPECT_GE(t, sbi_spec_version(), 2UL);		/* 0.2: the base extension */
	/* The kernel cannot run without these (SBI 0.2 has them all). */
	KEXPECT_NE(t, sbi_probe_extension(SBI_EXT_TIME), 0);
	KEXPECT_NE(t, sbi_probe_extension(SBI_EXT_IPI), 0);
	KEXPECT_NE(t, sbi_probe_extension(SBI_EXT_RFENCE), 0);
	KEXPECT_EQ(t, sbi_has_dbcn(), sbi_probe_extension(SBI_EXT_DBCN) != 0);
	KEXPECT_EQ(t, sbi_has_srst(), sbi_probe_extension(SBI_EXT_SRST) != 0);
	KEXPECT_EQ(t, sbi_has_hsm(), sbi_probe_extension(SBI_EXT_HSM) != 0);
	KEXPECT_EQ(t, sbi_probe_extension(0x0badcafe), 0);
}

static void sbi_hsm_status(struct ktest *t)
{
	if (!sbi_has_hsm()) {
		ktest_skip(t, "firmware has no HSM");
		return;
	}
	KEXPECT_EQ(t, sbi_hart_get_status(cpus[smp_processor_id()].hartid), SBI_HSM_STARTED);
	for (int c = 1; c < nr_cpus_online; c++)
		KEXPECT_EQ(t, sbi_hart_get_status(cpus[c].hartid), SBI_HSM_STARTED);
	KEXPECT_EQ(t, sbi_hart_get_status(4096), -EINVAL);
	/* Starting a hart that is already running is refused. */
	KEXPECT_EQ(t, sbi_hart_start(cpus[0].hartid, 0, 0), -EALREADY);
}

static void sbi_error_mapping(struct ktest *t)
{
	KEXPECT_EQ(t, sbi_err_to_errno(0), 0);
	KEXPECT_EQ(t, sbi_err_to_errno(-2), -EOPNOTSUPP);
	KEXPECT_EQ(t, sbi_err_to_errno(-3), -EINVAL);
	KEXPECT_EQ(t, sbi_err_to_errno(-4), -EPERM);
	KEXPECT_EQ(t, sbi_err_to_errno(-1234), -EIO);
}

/* The console's own extension, when there is one; else the legacy putchar. */
static void sbi_dbcn_write(struct ktest *t)
{
	static const char msg[] = "    # sbi_dbcn_write: through DBCN\n";
	struct sbiret r;

	if (!sbi_has_dbcn()) {
		ktest_skip(t, "no DBCN: the console uses the legacy putchar");
		return;
	}
	r = sbi_ecall(SBI_EXT_DBCN, 0, sizeof(msg) - 1, console_virt_to_phys(msg), 0, 0);
	KEXPECT_EQ(t, r.error, 0);
	KEXPECT_EQ(t, r.value, sizeof(msg) - 1);
}

/*
 * A reset the firmware cannot do must come back as an error (the end of
 * run then halts, never falls into the firmware): a reserved reset type
 * is refused whether or not SRST is there.
 */
static void sbi_srst_refusals(struct ktest *t)
{
	int ret = sbi_system_reset(0x1000, true);

	KEXPECT_EQ(t, ret, sbi_has_srst() ? -EINVAL : -EOPNOTSUPP);
}

/* HSM's default retentive suspend (SBI 0.3) returns on a pending interrupt. */
static void sbi_hsm_suspend(struct ktest *t)
{
	unsigned long sstatus = csr_read(sstatus), sie = csr_read(sie), t0;

	if (!sbi_has_hsm() || sbi_spec_version() < 3) {
		ktest_skip(t, "firmware has no HSM suspend (SBI < 0.3)");
		return;
	}
	csr_clear(sstatus, SR_SIE);	/* pending, not taken */
	csr_write(sie, SIE_STIE);
	t0 = rdtime();
	KEXPECT_EQ(t, sbi_set_timer(t0 + boot_dt.timebase_freq / 1000), 0);
	KEXPECT_EQ(t, sbi_hart_suspend_retentive(), 0);
	KEXPECT_TRUE(t, csr_read(sip) & SIE_STIE);
	KEXPECT_GE(t, rdtime() - t0, boot_dt.timebase_freq / 1000);
	sbi_set_timer(~0ULL);
	csr_write(sie, sie);
	if (sstatus & SR_SIE)
		csr_set(sstatus, SR_SIE);
}

static void sbi_timer_fires(struct ktest *t)
{
	bool on = local_irq_save();	/* a polled device's timer handler would take it */
	unsigned long t0 = rdtime();

	/* Past deadline: STIP must become pending (we poll, interrupts off). */
	KEXPECT_EQ(t, sbi_set_timer(t0), 0);
	while (!(csr_read(sip) & SIE_STIE) && rdtime() - t0 < 10000000)
		;
	KEXPECT_TRUE(t, csr_read(sip) & SIE_STIE);
	sbi_set_timer(~0ULL);
	KEXPECT_TRUE(t, !(csr_read(sip) & SIE_STIE));
	local_irq_restore(on);
}

static void log_format(struct ktest *t)
{
	static char buf[256];

	printk_capture(buf, sizeof(buf));
	pr_info("x=%d hex=0x%lx s=%s\n", -5, 0xabcUL, "ok");
	bench_report("demo", 42, "units");
	printk_capture(NULL, 0);
	KEXPECT_TRUE(t, strstr(buf, "rvmm: x=-5 hex=0xabc s=ok\n") != NULL);
	KEXPECT_TRUE(t, strstr(buf, "bench: demo 42 units\n") != NULL);
	printk_quiet = 1;
	printk_capture(buf, sizeof(buf));
	pr_info("hidden\n");
	pr_err("shown\n");
	printk_capture(NULL, 0);
	printk_quiet = 0;
	KEXPECT_TRUE(t, strstr(buf, "hidden") == NULL);
	KEXPECT_TRUE(t, strstr(buf, "rvmm: error: shown") != NULL);
}

static void log_ksym_lookup(struct ktest *t)
{
	unsigned long off = ~0UL;
	const char *name = ksym_lookup((unsigned long)log_ksym_lookup + 8, &off);

	KASSERT_TRUE(t, name != NULL);
	KEXPECT_EQ(t, strcmp(name, "log_ksym_lookup"), 0);
	KEXPECT_EQ(t, off, 8);
}

static void trap_expected_faults(struct ktest *t)
{
	unsigned long v = 0;

	KEXPECT_EQ(t, probe_read(0, &v), -EFAULT);
	KEXPECT_EQ(t, last_fixup_cause, EXC_LOAD_PAGE_FAULT);
	KEXPECT_EQ(t, last_fixup_addr, 0);
	KEXPECT_EQ(t, probe_write(8, 1), -EFAULT);
	KEXPECT_EQ(t, last_fixup_cause, EXC_STORE_PAGE_FAULT);
	KEXPECT_EQ(t, probe_read((unsigned long)&v, &v), 0);
}

KTEST_SUITE(base, false,
	KTEST_CASE(sbi_base_and_extensions),
	KTEST_CASE(sbi_hsm_status),
	KTEST_CASE(sbi_error_mapping),
	KTEST_CASE(sbi_dbcn_write),
	KTEST_CASE(sbi_srst_refusals),
	KTEST_CASE(sbi_hsm_suspend),
	KTEST_CASE(sbi_timer_fires),
	KTEST_CASE(log_format),
	KTEST_CASE(log_ksym_lookup),
	KTEST_CASE(trap_expected_faults));
