// SPDX-License-Identifier: GPL-2.0
/*
 * The virtually contiguous memmap (SPARSEMEM_VMEMMAP).
 *
 * Contract with the architecture: generic code decides what backs each
 * 2 MiB or 4 KiB piece of the vmemmap and where the memory comes from;
 * the arch answers what maps an address (vmemmap_leaf(): one walk) and
 * writes the leaf there (vmemmap_set_pmd/pte), both in <asm/vmemmap.h>,
 * and owns the range hooks vmemmap_populate()/vmemmap_free(), which call
 * back only into the helpers below. Policy:
 *   - a 2 MiB block maps one PMD leaf: 32768 struct pages = one section;
 *   - the block comes from the altmap when the caller passed one (memmap on
 *     the hot-added memory itself), else from the node's memory;
 *   - if no 2 MiB block can be had, that PMD range falls back to 4 KiB
 *     pages, from the same source: the altmap is forwarded at every level
 *     (Linux's riscv vmemmap_populate() passed NULL instead, fixed by "riscv:
 *     mm: Properly forward vmemmap_populate() altmap parameter");
 *   - on -ENOMEM everything this call mapped is unmapped and returned.
 */
#include <string.h>
#include <asm/tlbflush.h>
#include <asm/vmemmap.h>
#include <rvmm/fault-inject.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>

struct vmemmap_stats vmemmap_stats;
#ifdef CONFIG_SELFTESTS
bool vmemmap_force_basepages;
#endif

static void *vmemmap_alloc_block(unsigned long size, int node)
{
	phys_addr_t pa;

	(void)node;	/* one node today */
	if (mm_buddy_ready) {
		unsigned int order = __builtin_ctzl(size >> PAGE_SHIFT);

		pa = alloc_phys_pages(GFP_KERNEL | __GFP_NOWARN, order);
	} else {
		pa = memblock_phys_alloc(size, size);
		if (pa)
			nr_memmap_pages += size >> PAGE_SHIFT;
	}
	if (!pa)
		return NULL;
	clear_pages(__va(pa), size);
	vmemmap_stats.from_memory += size >> PAGE_SHIFT;
	return __va(pa);
}

static unsigned long altmap_next_pfn(const struct vmem_altmap *a)
{
	return a->base_pfn + a->reserve + a->alloc + a->align;
}

static unsigned long altmap_nr_free(const struct vmem_altmap *a)
{
	return a->free - (a->alloc + a->align);
}

/*
 * Carve @size bytes from the altmap, aligned to the largest power of two
 * dividing the block's page count, so that a 2 MiB block is 2 MiB-aligned
 * and can be a PMD leaf. Pages skipped for alignment are counted in align.
 */
void *altmap_alloc_block_buf(unsigned long size, struct vmem_altmap *altmap)
{
	unsigned long nr_pfns = size >> PAGE_SHIFT;
	unsigned long pfn = altmap_next_pfn(altmap);
	unsigned long nr_align = 1UL << __builtin_ctzl(nr_pfns);
	void *p;

	nr_align = ALIGN(pfn, nr_align) - pfn;
	if (nr_pfns + nr_align > altmap_nr_free(altmap))
		return NULL;
	altmap->alloc += nr_pfns;
	altmap->align += nr_align;
	pfn += nr_align;
	p = __va(PFN_PHYS(pfn));
	clear_pages(p, size);
	vmemmap_stats.from_altmap += nr_pfns;
	return p;
}

void *vmemmap_alloc_block_buf(unsigned long size, int node, struct vmem_altmap *altmap)
{
	if (altmap) {
		vmemmap_stats.altmap_seen++;
		return altmap_alloc_block_buf(size, altmap);
	}
	return vmemmap_alloc_block(size, node);
}

static bool in_altmap(const struct vmem_altmap *a, unsigned long pfn)
{
	return a && pfn >= a->base_pfn && pfn < a->base_pfn + a->reserve + a->free;
}

/* Return a block whose vmemmap mapping is already gone and flushed. */
static void __vmemmap_free_block(phys_addr_t pa, unsigned long size,
				 struct vmem_altmap *altmap)
{
	unsigned long pfn = PHYS_PFN(pa), nr = size >> PAGE_SHIFT;
	struct page *p = pfn_to_page(pfn);

	if (in_altmap(altmap, pfn)) {
		altmap->alloc -= nr;	/* the memory goes away with its block */
		return;
	}
	if (!mm_buddy_ready) {		/* boot unwind: no struct page to read yet */
		memblock_free(pa, size);
		nr_memmap_pages -= nr;
		return;
	}
	if (PageReserved(p)) {		/* boot memmap, from memblock */
		for (unsigned long i = 0; i < nr; i++)
			free_reserved_page(p + i);
		return;
	}
	free_pages(p, __builtin_ctzl(nr));
}

/*
 * Warn when the memmap of @node's memory was placed on another node: it
 * works, but every struct page access then crosses the interconnect.
 */
void vmemmap_verify(phys_addr_t pa, int node, unsigned long start, unsigned long end)
{
	unsigned long pfn = PHYS_PFN(pa);
	int actual = pfn_valid(pfn) ? __pfn_to_section(pfn)->nid : node;

	if (actual != node)
		pr_warn("[0x%lx-0x%lx] potential offnode page_structs (node %d, want %d)\n",
			start, end - 1, actual, node);
}

int vmemmap_populate_basepages(unsigned long start, unsigned long end, int node,
			       struct vmem_altmap *altmap)
{
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
		struct vmemmap_leaf hole;
		void *p;
		int ret;

		if (!vmemmap_leaf(addr, &hole))
			continue;
		p = vmemmap_alloc_block_buf(PAGE_SIZE, node, altmap);
		if (!p)
			return -ENOMEM;
		ret = vmemmap_set_pte(&hole, __pa(p));
		if (ret) {
			__vmemmap_free_block(__pa(p), PAGE_SIZE, altmap);
			return ret;
		}
		vmemmap_stats.pte_leaves++;
		vmemmap_verify(__pa(p), node, addr, addr + PAGE_SIZE);
	}
	return 0;
}

int vmemmap_populate_hugepages(unsigned long start, unsigned long end, int node,
			       struct vmem_altmap *altmap)
{
	for (unsigned long addr = start, next; addr < end; addr = next) {
		struct vmemmap_leaf leaf;
		void *p = NULL;
		int ret;

		next = min(ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE, end);
		ret = vmemmap_leaf(addr, &leaf);
		if (!ret && leaf.size >= PMD_SIZE)
			continue;
		/* Room for a 2 MiB leaf: no PTE table under this PMD yet. */
		if (leaf.room >= PMD_SIZE && IS_ALIGNED(addr, PMD_SIZE) &&
		    next - addr == PMD_SIZE && !vmemmap_force_basepages)
			p = vmemmap_alloc_block_buf(PMD_SIZE, node, altmap);
		if (p) {
			ret = vmemmap_set_pmd(&leaf, __pa(p));
			if (!ret) {
				vmemmap_stats.pmd_leaves++;
				vmemmap_verify(__pa(p), node, addr, next);
				continue;
			}
			__vmemmap_free_block(__pa(p), PMD_SIZE, altmap);
			return ret;
		}
		/* No 2 MiB block (or a PTE table already there): 4 KiB pages. */
		vmemmap_stats.fallbacks++;
		ret = vmemmap_populate_basepages(addr, next, node, altmap);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Blocks unmapped inside an unmap batch wait for its flush, linked through
 * their own linear-map alias: { next, size }. Altmap blocks do not wait:
 * giving one back only counts, nothing can reuse it before the flush.
 */
static phys_addr_t deferred_blocks;

static void vmemmap_defer_block(phys_addr_t pa, unsigned long size)
{
	phys_addr_t *link = __va(pa);

	link[0] = deferred_blocks;
	link[1] = size;
	deferred_blocks = pa;
}

/* After arch_unmap_batch_end(): give back what vmemmap_free() deferred. */
void vmemmap_free_deferred(void)
{
	while (deferred_blocks) {
		phys_addr_t pa = deferred_blocks, *link = __va(pa);
		unsigned long size = link[1];

		deferred_blocks = link[0];
		link[0] = link[1] = 0;	/* a freed memmap block is clean */
		__vmemmap_free_block(pa, size, NULL);
	}
}

/*
 * The arch's vmemmap_free() hands back each block it unmapped: at once
 * after its flush, or, inside an unmap batch whose flush is still to come,
 * once the batch ends (vmemmap_free_deferred()).
 */
void vmemmap_free_block(phys_addr_t pa, unsigned long size, struct vmem_altmap *altmap)
{
	if (arch_unmap_batch_active() && !in_altmap(altmap, PHYS_PFN(pa)))
		vmemmap_defer_block(pa, size);
	else
		__vmemmap_free_block(pa, size, altmap);
}
