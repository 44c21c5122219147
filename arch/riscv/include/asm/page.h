/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <asm/layout.h>

/* The linear map: __va()/__pa() are one addition (see asm/layout.h). */
#define __va(pa)	((void *)(lm_va(pa)))
#define __pa(v)		((phys_addr_t)((unsigned long)(v) - kl.page_offset))
/* Physical address of a kernel-image symbol. */
#define __pa_symbol(v)	((phys_addr_t)((unsigned long)(v) - kl.kernel_va_pa_offset))

/*
 * Zero whole pages (@addr and @size page-aligned). With Zicboz, cbo.zero
 * clears a cache block per instruction (Linux's riscv clear_page does the
 * same); the memmap is the bulk of what hotplug writes, so this is most of
 * hot-add's cost.
 */
extern unsigned int cboz_block_size;	/* 0: no Zicboz */

/*
 * Without Zicboz (the VisionFive 2's U74): 64 doubleword stores per
 * 512-byte step, 66 instructions, near the floor of one store per 8 bytes.
 * picolibc's memset is built for -mstrict-align targets and costs about
 * twice that. [@p, @end) is whole pages.
 */
static inline void clear_pages_stores(unsigned long p, unsigned long end)
{
	__asm__ __volatile__("1:\n"
			     ".set off, 0\n"
			     ".rept 64\n"
			     "sd zero, off(%0)\n"
			     ".set off, off + 8\n"
			     ".endr\n"
			     "addi %0, %0, 512\n"
			     "bltu %0, %1, 1b\n"
			     : "+r"(p) : "r"(end) : "memory");
}

static inline void clear_pages(void *addr, unsigned long size)
{
	unsigned long p = (unsigned long)addr, end = p + size;
	unsigned int bs = cboz_block_size;

	if (!bs) {
		if (size)
			clear_pages_stores(p, end);
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
