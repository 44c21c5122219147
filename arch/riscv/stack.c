// SPDX-License-Identifier: GPL-2.0
/*
 * Hart stacks in the stacks area of the layout (asm/layout.h), each with an
 * unmapped guard below it, and a small overflow stack per hart that trap
 * entry (entry.S) switches to when the stack pointer is in a guard. The
 * boot hart moves onto its own once the page allocator exists.
 */
#include <asm/pgtable.h>
#include <rvmm/mm.h>
#include <rvmm/smp.h>

_Static_assert(NR_CPUS <= STACK_SLOTS / 2, "a stack and an overflow stack per hart");
_Static_assert(((long)STACKS_START >> STACKS_SHIFT) == -1L,
	       "entry.S tests the area with sp >> STACKS_SHIFT");

/* Overflow stacks are slots STACK_SLOTS / 2 + cpu: entry.S computes that from tp. */
#define OVERFLOW_SLOT(cpu)	(STACK_SLOTS / 2 + (cpu))

/* Map a stack into @slot (once; a hart that failed to start leaves its own). */
static unsigned long map_stack(int slot)
{
	unsigned long top = STACK_SLOT_TOP(slot);
	struct page *p;

	if (walk_pgd(swapper_pg_dir, top - PAGE_SIZE, NULL, NULL) != WALK_NONE)
		return top;
	p = alloc_pages(GFP_KERNEL, STACK_SHIFT - PAGE_SHIFT);
	if (!p)
		return 0;
	if (create_pgd_mapping(swapper_pg_dir, top - STACK_SIZE, page_to_phys(p), STACK_SIZE,
			       PAGE_KERNEL)) {
		free_pages(p, STACK_SHIFT - PAGE_SHIFT);
		return 0;
	}
	return top;
}

/* The stack and the overflow stack of logical hart @cpu: the stack's top, or 0. */
unsigned long alloc_hart_stack(int cpu)
{
	if (!map_stack(OVERFLOW_SLOT(cpu)))
		return 0;
	return map_stack(cpu);
}
