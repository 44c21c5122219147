/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_FAULT_INJECT_H
#define RVMM_FAULT_INJECT_H

/*
 * The self-tests' hooks on product paths, in one place. A kernel built
 * with SELFTESTS=n (no CONFIG_SELFTESTS) has none of them: each hook below
 * becomes a constant the compiler folds away, and no variable exists that
 * a test could set.
 */
#include <rvmm/types.h>

#ifdef CONFIG_SELFTESTS
/* Fail the Nth page allocation from now (0 = off); count every attempt. */
extern unsigned long fail_alloc_nth;
extern unsigned long nr_alloc_calls;
bool should_fail_alloc(void);
/* Refuse every 2 MiB vmemmap block: the 4 KiB fallback path. */
extern bool vmemmap_force_basepages;
/* Divert console output into @buf (NULL restores the console). */
void printk_capture(char *buf, size_t size);
#else
static inline bool should_fail_alloc(void)
{
	return false;
}
#define vmemmap_force_basepages false
#endif

#endif
