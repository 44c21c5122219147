// SPDX-License-Identifier: GPL-2.0
/* The kernel's console: SBI DBCN (or the legacy putchar). */
#include <asm/layout.h>
#include <asm/sbi.h>
#include <asm/setup.h>
#include <rvmm/printk.h>

/* DBCN wants physical addresses; printk's buffer lives in the image. */
phys_addr_t console_virt_to_phys(const void *p)
{
	return (unsigned long)p - kl.kernel_va_pa_offset;
}

void arch_console_write(const char *s, size_t len)
{
	sbi_console_write(s, len);
}
