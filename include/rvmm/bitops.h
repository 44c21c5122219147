/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_BITOPS_H
#define RVMM_BITOPS_H

/* Bitmaps of unsigned longs, with Linux's names and argument order. */
#include <rvmm/types.h>

#define BITS_PER_LONG	64
#define BIT_WORD(nr)	((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)	(1UL << ((nr) % BITS_PER_LONG))

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[BIT_WORD(nr)] & BIT_MASK(nr);
}

/* Non-atomic: the caller serialises writers of the bitmap. */
static inline void __assign_bit(unsigned long nr, unsigned long *addr, bool value)
{
	if (value)
		addr[BIT_WORD(nr)] |= BIT_MASK(nr);
	else
		addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

#endif
