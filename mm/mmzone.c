// SPDX-License-Identifier: GPL-2.0
/*
 * The memory model's state, apart from the code that fills it: the page
 * allocator reads the section table, and arch page-table code calls the
 * page allocator, so defining the table in mm/sparse.c (which calls the
 * arch's vmemmap_populate()) would close a loop between mm/ and arch/.
 */
#include <rvmm/mm.h>

struct mem_section mem_section[NR_MEM_SECTIONS];
unsigned long nr_memmap_pages;	/* boot RAM pages backing the memmap */
bool mm_buddy_ready;		/* boot memory is in the buddy (mm_core_init()) */
