/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MEMORY_HOTPLUG_H
#define RVMM_MEMORY_HOTPLUG_H

#include <rvmm/mmzone.h>

/* Memory hotplug (mm/memory_hotplug.c). */
#define MHP_NONE		0
#define MHP_MEMMAP_ON_MEMORY	(1U << 0)

enum memory_block_state {
	MEM_OFFLINE,
	MEM_ONLINE,
	MEM_GOING_OFFLINE,
};

/*
 * Add the sections of [start, start + size) with only [start, start +
 * plugged) in the linear map: a driver whose device plugs part of a memory
 * block (virtio-mem) maps the rest itself once it is plugged
 * (mhp_map_range()). remove_memory() takes the whole range.
 */
int add_memory_plugged(int nid, phys_addr_t start, phys_addr_t size, phys_addr_t plugged,
		       unsigned int flags);

static inline int add_memory(int nid, phys_addr_t start, phys_addr_t size, unsigned int flags)
{
	return add_memory_plugged(nid, start, size, size, flags);
}

int remove_memory(phys_addr_t start, phys_addr_t size);
int online_pages(unsigned long pfn, unsigned long nr_pages, enum zone_type zone);
int offline_pages(unsigned long pfn, unsigned long nr_pages);
int online_memory_block(phys_addr_t start);
int mhp_unmap_range(phys_addr_t start, phys_addr_t size);
int mhp_map_range(phys_addr_t start, phys_addr_t size);
int offline_memory_block(phys_addr_t start);
enum memory_block_state memory_block_state(phys_addr_t start);
void memory_block_dump(void);
/*
 * Pages at the start of @pfn's section that hold its own memmap
 * (MHP_MEMMAP_ON_MEMORY; 0 otherwise): they are never onlined. Inline: a
 * driver asks it for every piece of every block it onlines.
 */
static inline unsigned long memmap_on_memory_pages(unsigned long pfn)
{
	return __pfn_to_section(pfn)->nr_vmemmap;
}
bool mhp_range_allowed(phys_addr_t start, phys_addr_t size, char *why, size_t len);
extern enum zone_type default_online_zone;
void mem_hotplug_begin(void);
void mem_hotplug_done(void);
extern unsigned long mem_hotplug_seq;	/* bumped by every online/offline */
/* Physical ranges that are not RAM (MMIO): hot-add must not overlap them. */
int iomem_register(phys_addr_t base, phys_addr_t size, const char *name);
const char *iomem_overlaps(phys_addr_t base, phys_addr_t size);
bool iomem_contains(phys_addr_t base, phys_addr_t size);
/*
 * Memory a device has made inaccessible (virtio-mem's unplugged blocks):
 * the driver that knows registers the test, and the page-table audit asks
 * it through mhp_range_unplugged() (false when nobody registered).
 */
typedef bool (*mhp_unplugged_fn)(phys_addr_t pa, phys_addr_t size);
void mhp_register_unplugged_check(mhp_unplugged_fn fn);
bool mhp_range_unplugged(phys_addr_t pa, phys_addr_t size);

/* The arch's linear map of hotplugged memory (arch/riscv/mm/hotplug.c). */
int arch_add_memory(int nid, phys_addr_t start, phys_addr_t size);
int arch_remove_memory(phys_addr_t start, phys_addr_t size);
bool arch_linear_mapped(phys_addr_t pa);

#endif
