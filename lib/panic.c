// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <rvmm/printk.h>
#include <rvmm/trap.h>

__noreturn void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("rvmm: PANIC: %s\n", buf);
	machine_shutdown(true, 2);
}
