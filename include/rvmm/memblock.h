/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MEMBLOCK_H
#define RVMM_MEMBLOCK_H

#include <rvmm/types.h>

/* memblock: the boot-time allocator (mm/memblock.c). */
#define MEMBLOCK_MAX_REGIONS	128
#define MEMBLOCK_NOMAP		(1U << 0)
#define MEMBLOCK_ALLOC_ANYWHERE	(~(phys_addr_t)0)

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	u32 flags;
};

struct memblock_type {
	unsigned long cnt;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
	const char *name;
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
	phys_addr_t current_limit;
};
extern struct memblock memblock;

void memblock_reset(void);
int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_remove(phys_addr_t base, phys_addr_t size);
int memblock_reserve(phys_addr_t base, phys_addr_t size);
int memblock_free(phys_addr_t base, phys_addr_t size);
int memblock_mark_nomap(phys_addr_t base, phys_addr_t size);
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end);
phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align);
bool memblock_is_memory(phys_addr_t addr);
bool memblock_overlaps_memory(phys_addr_t base, phys_addr_t size);
bool memblock_overlaps_reserved(phys_addr_t base, phys_addr_t size);
bool memblock_is_reserved(phys_addr_t addr);
phys_addr_t memblock_phys_mem_size(void);
phys_addr_t memblock_reserved_size(void);
phys_addr_t memblock_end_of_DRAM(void);
void memblock_dump(void);
/* Everything not reserved to the buddy, at the end of boot (mm/page_alloc.c). */
void memblock_free_all(void);

#define for_each_mem_region(r) \
	for (r = memblock.memory.regions; r < memblock.memory.regions + memblock.memory.cnt; r++)

#endif
