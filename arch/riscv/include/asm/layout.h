/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_LAYOUT_H
#define ASM_LAYOUT_H

/*
 * The kernel's virtual layout. The paging mode is chosen at boot, so the
 * areas below depend on VA_BITS (39, 48 or 57); only the kernel image and
 * the fixmap are at fixed addresses, valid in every mode.
 *
 * With T = -(1 << (VA_BITS - 1)), the start of the upper half, and
 * H = 1 << (VA_BITS - 1), its size:
 *
 *   T            +---------------------------+ VMEMMAP_START
 *                | vmemmap: struct page[]    |  LINEAR_SIZE / 64
 *                +---------------------------+
 *                |   (unused)                |
 *   T + H/4      +---------------------------+ PAGE_OFFSET
 *                | linear map of physical    |  LINEAR_SIZE = H / 2
 *                | memory: va = pa + P_O     |  (PA 0 .. LINEAR_SIZE)
 *   T + 3H/4     +---------------------------+ IOREMAP_START
 *                | ioremap: MMIO (PLIC, PCI) |
 *                |   ...                     |
 *   -2G - 16M    +---------------------------+ FIXMAP_START
 *                | fixmap: FDT (4M), syscon  |
 *                | (2M), test scratch (8M)   |
 *   -2G          +---------------------------+ KERNEL_VA
 *                | kernel image, W^X         |
 *                |   ...                     |
 *   -2M          +---------------------------+ STACKS_START
 *                | stacks: 64 slots of 32K,  |
 *                | each [guard 16K|stack 16K]|
 *   -0           +---------------------------+
 *
 *   mode   T                    PAGE_OFFSET          LINEAR_SIZE
 *   Sv39   0xffffffc000000000   0xffffffd000000000   128 GiB
 *   Sv48   0xffff800000000000   0xffffa00000000000    64 TiB
 *   Sv57   0xff00000000000000   0xff40000000000000    32 PiB
 *
 * The linear map is indexed by physical address from 0 (not from the RAM
 * base), so hot-added memory anywhere below LINEAR_SIZE has a fixed place
 * and __va()/__pa() are one addition. Physical memory is further capped at
 * MAX_PHYSMEM_BITS so that the section table stays a small static array.
 *
 * Stacks (Linux's VMAP_STACK idea): slot n holds the stack of logical hart
 * n, slot NR_CPUS + n its overflow stack. The lower half of every slot is
 * never mapped, so running off a stack faults. The area is the top 2 MiB,
 * so trap entry recognises it with one register and immediates only:
 * (sp >> STACKS_SHIFT) == -1 is "in the area", bit STACK_SHIFT of sp
 * clear is "in a guard".
 */
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define PMD_SHIFT		21
#define PMD_SIZE		(1UL << PMD_SHIFT)
#define PUD_SHIFT		30
#define PUD_SIZE		(1UL << PUD_SHIFT)

#define KERNEL_VA		0xffffffff80000000UL
#define FIXMAP_START		(KERNEL_VA - 0x1000000UL)
#define FIXMAP_FDT		FIXMAP_START			/* 4 MiB */
#define FIXMAP_FDT_SIZE		0x400000UL
#define FIXMAP_IO		(FIXMAP_START + 0x400000UL)	/* 2 MiB */
#define FIXMAP_SCRATCH		(FIXMAP_START + 0x800000UL)	/* 8 MiB */
#define FIXMAP_SCRATCH_SIZE	0x800000UL

#ifdef __ASSEMBLY__
#define _UL(x)			x
#else
#define _UL(x)			x##UL
#endif

#define STACKS_SHIFT		21
#define STACKS_START		(-(1UL << STACKS_SHIFT))	/* 2 MiB, to -0 */
#define STACK_SHIFT		14
#define STACK_SIZE		(_UL(1) << STACK_SHIFT)		/* 16 KiB */
#define STACK_SLOT_SHIFT	(STACK_SHIFT + 1)		/* guard + stack */
#define STACK_SLOTS		(_UL(1) << (STACKS_SHIFT - STACK_SLOT_SHIFT))
/* Top of the stack in slot @n; the guard is the STACK_SIZE below it. */
#define STACK_SLOT_TOP(n)	(STACKS_START + ((unsigned long)(n) + 1) * (2 * STACK_SIZE))
#define KERNEL_IMAGE_MAX	(1UL << 30)

#define MAX_PHYSMEM_BITS	40
#define IOREMAP_END		FIXMAP_START

#define LAYOUT_T(vb)		(-(1UL << ((vb) - 1)))
#define LAYOUT_H(vb)		(1UL << ((vb) - 1))
#define LAYOUT_PAGE_OFFSET(vb)	(LAYOUT_T(vb) + LAYOUT_H(vb) / 4)
#define LAYOUT_LINEAR_SIZE(vb)	(LAYOUT_H(vb) / 2)
#define LAYOUT_VMEMMAP(vb)	LAYOUT_T(vb)
#define LAYOUT_VMEMMAP_SIZE(vb)	(LAYOUT_LINEAR_SIZE(vb) / 64)

#ifndef __ASSEMBLY__
/* Compile-time proof that no two areas overlap, in every mode. */
#define LAYOUT_CHECK(vb)							\
	_Static_assert(LAYOUT_VMEMMAP(vb) + LAYOUT_VMEMMAP_SIZE(vb) <=		\
		       LAYOUT_PAGE_OFFSET(vb), "vmemmap overlaps linear map");	\
	_Static_assert(LAYOUT_PAGE_OFFSET(vb) + LAYOUT_LINEAR_SIZE(vb) <=	\
		       FIXMAP_START, "linear map overlaps fixmap");		\
	_Static_assert(FIXMAP_SCRATCH + FIXMAP_SCRATCH_SIZE <= KERNEL_VA,	\
		       "fixmap overlaps kernel");				\
	_Static_assert(LAYOUT_T(vb) % (1UL << 30) == 0, "T not 1G aligned")
LAYOUT_CHECK(39);
LAYOUT_CHECK(48);
LAYOUT_CHECK(57);
_Static_assert(KERNEL_VA + KERNEL_IMAGE_MAX <= STACKS_START, "kernel overlaps stacks");
_Static_assert(STACK_SLOT_TOP(STACK_SLOTS - 1) == 0, "stack slots do not fill the area");

#include <rvmm/types.h>

/* Set once by the paging-mode probe (arch/riscv/mm/init.c). */
struct kernel_layout {
	int va_bits;		/* 39, 48, 57 */
	int levels;		/* 3, 4, 5 */
	unsigned long page_offset;
	unsigned long linear_size;
	unsigned long vmemmap_start;
	unsigned long vmemmap_size;
	unsigned long ioremap_start;
	phys_addr_t kernel_pa;	/* load address of the image */
	phys_addr_t kernel_size;	/* whole image, 2 MiB-aligned (0 on the host) */
	phys_addr_t syscon_pa;	/* test syscon, mapped at FIXMAP_IO, or 0 */
	unsigned long kernel_va_pa_offset;
};
extern struct kernel_layout kl;

void layout_init(int va_bits);

/* Where the test syscon at @pa is mapped: FIXMAP_IO covers its 2 MiB. */
static inline unsigned long fixmap_io_va(phys_addr_t pa)
{
	return FIXMAP_IO + (pa & (PMD_SIZE - 1));
}

/* Where the linear map puts @pa, in the kernel's VA space. */
static inline unsigned long lm_va(phys_addr_t pa)
{
	return kl.page_offset + pa;
}

/* Hotplug never maps, unmaps or remaps the image's physical pages. */
static inline bool overlaps_kernel_image(phys_addr_t pa, phys_addr_t size)
{
	return kl.kernel_size && pa < kl.kernel_pa + kl.kernel_size &&
	       kl.kernel_pa < pa + size;
}

static inline phys_addr_t linear_map_limit(void)
{
	phys_addr_t lim = 1UL << MAX_PHYSMEM_BITS;

	return kl.linear_size < lim ? kl.linear_size : lim;
}
#endif
#endif
