// SPDX-License-Identifier: GPL-2.0
/*
 * From memblock's map to a running page allocator: the one sequence that
 * start_kernel() and the host simulator both call (Linux's mm_core_init()).
 */
#include <asm/pgalloc.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>

void mm_core_init(void)
{
	sparse_init();
	free_area_init();
	memblock_free_all();
	mm_buddy_ready = true;
	pt_ops_use_buddy();	/* tables now come from the buddy too */
}
