/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

/*
 * The host build's asm/page.h (tests/host/include comes before
 * arch/riscv/include): the simulated physical memory is a host buffer
 * (tests/host/sim.c), and pages are zeroed with memset. Everything else
 * of asm/ is the kernel's own.
 */
#include <string.h>
#include <asm/layout.h>

void *host_phys_to_virt(phys_addr_t pa);
phys_addr_t host_virt_to_phys(const void *p);
#define __va(pa)	host_phys_to_virt(pa)
#define __pa(v)		host_virt_to_phys(v)

static inline void clear_pages(void *addr, unsigned long size)
{
	memset(addr, 0, size);
}

#endif
