// SPDX-License-Identifier: GPL-2.0
/* Counters the self-test harness compares around every leak-checked case. */
#include <rvmm/mm.h>

unsigned long ktest_free_pages(void)
{
	return nr_free_pages();
}

unsigned long ktest_pt_pages(void)
{
	return nr_pt_pages;
}
