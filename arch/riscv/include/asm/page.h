/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <string.h>
#include <rvmm/types.h>

/*
 * Zero whole pages. With Zicboz, cbo.zero clears a cache block per
 * instruction (Linux's riscv clear_page does the same); the memmap is the
 * bulk of what hotplug writes, so this is most of hot-add's cost.
 */
#ifdef RVMM_HOST
static inline void clear_pages(void *addr, unsigned long size)
{
	memset(addr, 0, size);
}
#else
extern unsigned int cboz_block_size;	/* 0: no Zicboz */

static inline void clear_pages(void *addr, unsigned long size)
{
	unsigned long p = (unsigned long)addr, end = p + size;
	unsigned int bs = cboz_block_size;

	if (!bs) {
		memset(addr, 0, size);
		return;
	}
	for (; p < end; p += 4 * bs) {
		/* cbo.zero (p): MISC-MEM, funct3 2, imm 4 (imm 0 would be cbo.inval) */
		__asm__ __volatile__(".insn i 0x0f, 2, x0, 4(%0)\n"
				     ".insn i 0x0f, 2, x0, 4(%1)\n"
				     ".insn i 0x0f, 2, x0, 4(%2)\n"
				     ".insn i 0x0f, 2, x0, 4(%3)\n"
				     :: "r"(p), "r"(p + bs), "r"(p + 2 * bs), "r"(p + 3 * bs)
				     : "memory");
	}
}
#endif
#endif
