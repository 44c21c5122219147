// SPDX-License-Identifier: GPL-2.0
/*
 * Memory that is not zero, at every add: the host test binary is linked
 * with --wrap=add_memory, so every caller (the suites, virtio-mem's
 * Sub-Block Mode) reaches the kernel's add_memory() through here, and a
 * range that nothing uses yet gets garbage first. Each section's first
 * SECTION_SIZE / 64 bytes are scribbled: that is where its memmap goes
 * with MHP_MEMMAP_ON_MEMORY, and where onlining starts handing out pages.
 * (The whole range would fault in a gigabyte per add.)
 */
#include <rvmm/mm.h>
#include "sim.h"

int __real_add_memory(int nid, phys_addr_t start, phys_addr_t size, unsigned int flags);
int __wrap_add_memory(int nid, phys_addr_t start, phys_addr_t size, unsigned int flags);

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

int __wrap_add_memory(int nid, phys_addr_t start, phys_addr_t size, unsigned int flags)
{
	if (range_is_fresh(start, size))
		for (phys_addr_t pa = start; pa < start + size; pa += SECTION_SIZE)
			sim_scribble(pa, SECTION_SIZE / 64);
	return __real_add_memory(nid, start, size, flags);
}
