/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_PRINTK_H
#define RVMM_PRINTK_H

#include <stdarg.h>
#include <rvmm/types.h>

/* Formatting is picolibc's vsnprintf; this layer only routes the bytes. */
__printf(1, 2) int printk(const char *fmt, ...);
int vprintk(const char *fmt, va_list ap);
void console_write(const char *s, size_t len);
/* Where the bytes go: arch/riscv/console.c, or the host test harness. */
void arch_console_write(const char *s, size_t len);

/* Quiet mode drops pr_info (used by the leak tests' thousand iterations). */
extern int printk_quiet;

#define pr_info(fmt, ...)  do { if (!printk_quiet) printk("rvmm: " fmt, ##__VA_ARGS__); } while (0)
#define pr_warn(fmt, ...)  printk("rvmm: warning: " fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)   printk("rvmm: error: " fmt, ##__VA_ARGS__)

__noreturn __printf(1, 2) void panic(const char *fmt, ...);

#define BUG_ON(c) do { if (unlikely(c)) panic("BUG at %s:%d: %s", __FILE__, __LINE__, #c); } while (0)
#define WARN_ON(c) ({ bool __w = !!(c); if (unlikely(__w)) pr_warn("WARN at %s:%d: %s\n", __FILE__, __LINE__, #c); __w; })

#endif
