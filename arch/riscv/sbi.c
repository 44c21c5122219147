// SPDX-License-Identifier: GPL-2.0
/*
 * Supervisor Binary Interface calls (SBI spec v2.0), used only where the
 * firmware offers them: boards ship OpenSBI 1.0-1.2 (SBI 0.3/1.0, no DBCN,
 * often no reset device), so every extension is probed once at boot.
 */
#include <asm/sbi.h>
#include <asm/setup.h>
#include <rvmm/printk.h>

static bool has_dbcn, has_srst, has_time, has_hsm, has_rfence, has_ipi;

struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0,
			unsigned long a1, unsigned long a2, unsigned long a3)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r3 __asm__("a3") = a3;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = ext;

	__asm__ __volatile__("ecall"
			     : "+r"(r0), "+r"(r1)
			     : "r"(r2), "r"(r3), "r"(r6), "r"(r7)
			     : "memory");
	return (struct sbiret){ .error = (long)r0, .value = (long)r1 };
}

/* SBI error codes (spec table 1) to negative errno. */
int sbi_err_to_errno(long err)
{
	switch (err) {
	case 0:  return 0;
	case -1: return -EIO;		/* SBI_ERR_FAILED */
	case -2: return -EOPNOTSUPP;	/* SBI_ERR_NOT_SUPPORTED */
	case -3: return -EINVAL;	/* SBI_ERR_INVALID_PARAM */
	case -4: return -EPERM;		/* SBI_ERR_DENIED */
	case -5: return -EFAULT;	/* SBI_ERR_INVALID_ADDRESS */
	case -6: return -EALREADY;	/* SBI_ERR_ALREADY_AVAILABLE */
	case -7: return -EALREADY;	/* SBI_ERR_ALREADY_STARTED */
	case -8: return -EALREADY;	/* SBI_ERR_ALREADY_STOPPED */
	case -9: return -EIO;		/* SBI_ERR_NO_SHMEM */
	default: return -EIO;
	}
}

long sbi_probe_extension(unsigned long ext)
{
	struct sbiret r = sbi_ecall(SBI_EXT_BASE, 3, ext, 0, 0, 0);

	return r.error ? 0 : r.value;
}

unsigned long sbi_spec_version(void)
{
	return sbi_ecall(SBI_EXT_BASE, 0, 0, 0, 0, 0).value;
}

void sbi_init(void)
{
	has_dbcn = sbi_probe_extension(SBI_EXT_DBCN);
	has_srst = sbi_probe_extension(SBI_EXT_SRST);
	has_time = sbi_probe_extension(SBI_EXT_TIME);
	has_hsm = sbi_probe_extension(SBI_EXT_HSM);
	has_rfence = sbi_probe_extension(SBI_EXT_RFENCE);
	has_ipi = sbi_probe_extension(SBI_EXT_IPI);
}

bool sbi_has_dbcn(void)
{
	return has_dbcn;
}

/*
 * DBCN takes a physical address. Before sbi_init() (and with the MMU off)
 * has_dbcn is false and the legacy putchar is used, which needs no address.
 */
void sbi_console_write(const char *s, size_t len)
{
	if (has_dbcn) {
		phys_addr_t pa = console_virt_to_phys(s);

		while (len) {
			struct sbiret r = sbi_ecall(SBI_EXT_DBCN, 0, len, pa, 0, 0);

			if (r.error || r.value <= 0)
				break;
			len -= r.value;
			pa += r.value;
		}
		if (!len)
			return;
		s += (pa - console_virt_to_phys(s));	/* legacy for the rest */
	}
	for (size_t i = 0; i < len; i++)
		sbi_ecall(0x01, 0, (unsigned char)s[i], 0, 0, 0);
}

bool sbi_has_srst(void)
{
	return has_srst;
}

bool sbi_has_hsm(void)
{
	return has_hsm;
}

/*
 * Returns only if the firmware refused. No probe first: this also runs
 * with the MMU off before sbi_init(), and an absent extension just answers
 * SBI_ERR_NOT_SUPPORTED. (The legacy shutdown call is never used: it
 * carries no failure reason, and without a reset device OpenSBI parks
 * every hart in M-mode without a word.)
 */
int sbi_system_reset(unsigned long type, bool failure)
{
	unsigned long reason = failure ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE;

	return sbi_err_to_errno(sbi_ecall(SBI_EXT_SRST, 0, type, reason, 0, 0).error);
}

int sbi_set_timer(u64 stime)
{
	if (!has_time)
		return sbi_err_to_errno(sbi_ecall(0x00, 0, stime, 0, 0, 0).error);
	return sbi_err_to_errno(sbi_ecall(SBI_EXT_TIME, 0, stime, 0, 0, 0).error);
}

int sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque)
{
	if (!has_hsm)
		return -EOPNOTSUPP;
	return sbi_err_to_errno(sbi_ecall(SBI_EXT_HSM, 0, hartid, start_pa, opaque, 0).error);
}

long sbi_hart_get_status(unsigned long hartid)
{
	struct sbiret r;

	if (!has_hsm)
		return -EOPNOTSUPP;
	r = sbi_ecall(SBI_EXT_HSM, 2, hartid, 0, 0, 0);
	return r.error ? sbi_err_to_errno(r.error) : r.value;
}

/*
 * Default retentive suspend: like wfi, but through the firmware, which may
 * gate clocks. Returns once an enabled interrupt is pending.
 */
int sbi_hart_suspend_retentive(void)
{
	if (!has_hsm)
		return -EOPNOTSUPP;
	return sbi_err_to_errno(sbi_ecall(SBI_EXT_HSM, 3, SBI_HSM_SUSPEND_RET_DEFAULT,
					  0, 0, 0).error);
}

int sbi_remote_sfence_vma(unsigned long hmask, unsigned long hbase,
			  unsigned long start, unsigned long size)
{
	if (!has_rfence)
		return -EOPNOTSUPP;
	return sbi_err_to_errno(sbi_ecall(SBI_EXT_RFENCE, 1, hmask, hbase, start, size).error);
}

int sbi_send_ipi(unsigned long hmask, unsigned long hbase)
{
	if (!has_ipi)
		return -EOPNOTSUPP;
	return sbi_err_to_errno(sbi_ecall(SBI_EXT_IPI, 0, hmask, hbase, 0, 0).error);
}
