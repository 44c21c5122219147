// SPDX-License-Identifier: GPL-2.0
/*
 * printk on top of picolibc's vsnprintf. Portable: the bytes leave through
 * arch_console_write() (the SBI console in the kernel, stdout on the host).
 */
#include <stdio.h>
#include <string.h>
#include <rvmm/fault-inject.h>
#include <rvmm/printk.h>
#include <rvmm/spinlock.h>

int printk_quiet;
static volatile int console_lock;

#ifdef CONFIG_SELFTESTS
/* Tests: a buffer that receives what would have been printed. */
static char *capture_buf;
static size_t capture_len, capture_size;

/* (NULL, 0), or a zero size, ends the capture. */
void printk_capture(char *buf, size_t size)
{
	capture_buf = size ? buf : NULL;
	capture_size = size;
	capture_len = 0;
	if (capture_buf)
		buf[0] = 0;
}

/* Captured output is the test's, not the log's. */
static bool console_captured(const char *s, size_t len)
{
	size_t n;

	if (!capture_buf)
		return false;
	n = min(len, capture_size - 1 - capture_len);
	memcpy(capture_buf + capture_len, s, n);
	capture_len += n;
	capture_buf[capture_len] = 0;
	return true;
}
#else
static bool console_captured(const char *s, size_t len)
{
	(void)s;
	(void)len;
	return false;
}
#endif

void console_write(const char *s, size_t len)
{
	if (!console_captured(s, len))
		arch_console_write(s, len);
}

/* One message, one console_write(): lines from several harts never mix. */
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
