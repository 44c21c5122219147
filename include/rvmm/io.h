/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_IO_H
#define RVMM_IO_H

#include <rvmm/types.h>

/* Map device registers (uncached by the platform's PMAs). NULL on failure. */
void *ioremap(phys_addr_t pa, unsigned long size);

static inline u8 readb(const volatile void *a) { return *(const volatile u8 *)a; }
static inline u16 readw(const volatile void *a) { return *(const volatile u16 *)a; }
static inline u32 readl(const volatile void *a) { return *(const volatile u32 *)a; }
static inline void writeb(u8 v, volatile void *a) { *(volatile u8 *)a = v; }
static inline void writew(u16 v, volatile void *a) { *(volatile u16 *)a = v; }
static inline void writel(u32 v, volatile void *a) { *(volatile u32 *)a = v; }
static inline u64 readq(const volatile void *a) { return *(const volatile u64 *)a; }
static inline void writeq(u64 v, volatile void *a) { *(volatile u64 *)a = v; }

#endif
