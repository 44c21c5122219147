// SPDX-License-Identifier: GPL-2.0
/* printk on top of picolibc's vsnprintf and the SBI console. */
#include <stdio.h>
#include <asm/sbi.h>
#include <asm/layout.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>

int printk_quiet;
static volatile int console_lock;

/* The buffers live in the kernel image: translate through its offset. */
phys_addr_t console_virt_to_phys(const void *p)
{
	return (unsigned long)p - kl.kernel_va_pa_offset;
}

void console_write(const char *s, size_t len)
{
	sbi_console_write(s, len);
}

int vprintk(const char *fmt, va_list ap)
{
	static char buf[512];
	int n;

	spin_lock(&console_lock);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0)
		console_write(buf, n);
	spin_unlock(&console_lock);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
