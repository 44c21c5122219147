// SPDX-License-Identifier: GPL-2.0
/*
 * Memory that is not zero, at every add: the host test binary is linked
 * with --wrap=add_memory_plugged, so every caller (the suites through
 * add_memory(), virtio-mem's Sub-Block Mode) reaches the kernel's
 * add_memory_plugged() through here, and a range that nothing uses yet
 * gets garbage first. Each section's first
 * SECTION_SIZE / 64 bytes are scribbled: that is where its memmap goes
 * with MHP_MEMMAP_ON_MEMORY, and where onlining starts handing out pages.
 * (The whole range would fault in a gigabyte per add.)
 */
#include <rvmm/mm.h>
#include "sim.h"

int __real_add_memory_plugged(int nid, phys_addr_t start, phys_addr_t size,
			     phys_addr_t plugged, unsigned int flags);
int __wrap_add_memory_plugged(int nid, phys_addr_t start, phys_addr_t size,
			     phys_addr_t plugged, unsigned int flags);

void (*sim_after_add_memory)(phys_addr_t start, phys_addr_t size, phys_addr_t plugged);

/* Section-aligned, inside simulated RAM and below the MMIO, no section present. */
static bool range_is_fresh(phys_addr_t start, phys_addr_t size)
{
	if (!size || !IS_ALIGNED(start | size, SECTION_SIZE) || start + size < start ||
	    start + size > SIM_MMIO_BASE)
		return false;
	for (phys_addr_t pa = start; pa < start + size; pa += SECTION_SIZE)
		if (pfn_valid(PHYS_PFN(pa)))
			return false;
	return true;
}

int __wrap_add_memory_plugged(int nid, phys_addr_t start, phys_addr_t size,
			     phys_addr_t plugged, unsigned int flags)
{
	int ret;

	if (range_is_fresh(start, size))
		for (phys_addr_t pa = start; pa < start + size; pa += SECTION_SIZE)
			sim_scribble(pa, SECTION_SIZE / 64);
	ret = __real_add_memory_plugged(nid, start, size, plugged, flags);
	if (!ret && sim_after_add_memory)
		sim_after_add_memory(start, size, plugged);
	return ret;
}
