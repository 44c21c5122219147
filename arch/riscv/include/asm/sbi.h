/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_SBI_H
#define ASM_SBI_H

#include <rvmm/types.h>

#define SBI_EXT_BASE	0x10
#define SBI_EXT_TIME	0x54494D45
#define SBI_EXT_IPI	0x735049
#define SBI_EXT_RFENCE	0x52464E43
#define SBI_EXT_HSM	0x48534D
#define SBI_EXT_SRST	0x53525354
#define SBI_EXT_DBCN	0x4442434E

#define SBI_SRST_SHUTDOWN	0
#define SBI_SRST_COLD_REBOOT	1
#define SBI_SRST_REASON_NONE	0
#define SBI_SRST_REASON_FAILURE	1

#define SBI_HSM_STARTED		0
#define SBI_HSM_STOPPED		1
#define SBI_HSM_SUSPEND_RET_DEFAULT 0

struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0,
			unsigned long a1, unsigned long a2, unsigned long a3);
int sbi_err_to_errno(long err);

void sbi_init(void);
long sbi_probe_extension(unsigned long ext);
unsigned long sbi_spec_version(void);
void sbi_console_write(const char *s, size_t len);
bool sbi_has_dbcn(void);
bool sbi_has_srst(void);
bool sbi_has_hsm(void);
int sbi_system_reset(unsigned long type, bool failure);
int sbi_set_timer(u64 stime);
int sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque);
long sbi_hart_get_status(unsigned long hartid);
int sbi_hart_suspend_retentive(void);
int sbi_remote_sfence_vma(unsigned long hmask, unsigned long hbase,
			  unsigned long start, unsigned long size);
int sbi_send_ipi(unsigned long hmask, unsigned long hbase);

#endif
