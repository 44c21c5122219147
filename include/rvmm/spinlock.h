/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_SPINLOCK_H
#define RVMM_SPINLOCK_H

/* Test-and-set locks: the allocator and printk need them, not SMP bring-up. */
#include <rvmm/types.h>

static inline void spin_lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(*l))
			;
}

static inline void spin_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#endif
