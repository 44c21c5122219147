// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel page tables: create, remove, walk. One walk for every level and
 * every paging mode (Sv39/48/57 differ only in kl.levels). Nothing here is
 * boot-only: memory hotplug calls all of it at runtime (Linux's "riscv: mm:
 * Change attribute from __init to __meminit for page functions"), so no
 * function carries __init and errors are returned, never panicked on.
 *
 * Portable C: the host build (tests/host) runs this same file against a
 * simulated physical memory.
 */
#include <string.h>
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>

pgd_t *swapper_pg_dir;

/* Tables unlinked during a removal, freed only after the TLB flush. */
static phys_addr_t deferred_free;
/* Nesting of unmap batches: inside one, removals leave the flush to its end. */
int unmap_batch;

static pte_t *pt_virt(pte_t e)
{
	return pt_ops->virt(pte_pfn(e) << PAGE_SHIFT);
}

static phys_addr_t pt_alloc(void)
{
	phys_addr_t pa = pt_ops->alloc();

	if (pa)
		nr_pt_pages++;
	return pa;
}

static bool table_empty(const pte_t *t)
{
	for (int i = 0; i < PTRS_PER_PT; i++)
		if (!pte_none(t[i]))
			return false;
	return true;
}

/*
 * The largest leaf (1 GiB, 2 MiB, 4 KiB) with va and pa both aligned to it
 * and no larger than what is left to map.
 */
unsigned long best_map_size(phys_addr_t pa, unsigned long va, unsigned long size)
{
	for (int level = PUD_LEVEL; level > PTE_LEVEL; level--) {
		unsigned long sz = PT_LEVEL_SIZE(level);

		if (IS_ALIGNED(pa | va, sz) && size >= sz)
			return sz;
	}
	return PAGE_SIZE;
}

static int size_to_level(unsigned long sz)
{
	return sz == PUD_SIZE ? PUD_LEVEL : sz == PMD_SIZE ? PMD_LEVEL : PTE_LEVEL;
}

/*
 * Walk from @table (at @level) to the entry of @va at @target, allocating
 * missing tables. -EEXIST if a leaf sits above @target, or if @level is
 * already below it.
 */
static int walk_alloc(pte_t *table, int level, unsigned long va, int target, pte_t **out)
{
	if (level < target)
		return -EEXIST;
	for (; level > target; level--) {
		pte_t *e = &table[PT_INDEX(va, level)];

		if (pte_none(*e)) {
			phys_addr_t pa = pt_alloc();

			if (!pa)
				return -ENOMEM;
			*e = pfn_pte(pa >> PAGE_SHIFT, PAGE_TABLE);
		} else if (pte_leaf(*e)) {
			return -EEXIST;
		}
		table = pt_virt(*e);
	}
	*out = &table[PT_INDEX(va, target)];
	return 0;
}

int set_leaf_from(pte_t *table, int tlevel, unsigned long va, phys_addr_t pa, int level,
		  pgprot_t prot)
{
	pte_t *e;
	int ret = walk_alloc(table, tlevel, va, level, &e);

	if (ret)
		return ret;
	if (!pte_none(*e))
		return -EEXIST;
	*e = pfn_pte(pa >> PAGE_SHIFT, prot);
	return 0;
}

int set_leaf(pgd_t *pgd, unsigned long va, phys_addr_t pa, int level, pgprot_t prot)
{
	return set_leaf_from(pgd, kl.levels - 1, va, pa, level, prot);
}

/*
 * Map [va, va + size) to [pa, ...) with the largest leaves that fit. On
 * failure nothing of this call stays mapped and no table it allocated stays
 * allocated: the caller sees the tables exactly as before. Only this hart
 * is fenced: the caller syncs the other harts once its operation is done.
 */
int create_pgd_mapping(pgd_t *pgd, unsigned long va, phys_addr_t pa,
		       unsigned long size, pgprot_t prot)
{
	unsigned long done = 0;

	if (!IS_ALIGNED(va | pa | size, PAGE_SIZE) || !size)
		return -EINVAL;
	while (done < size) {
		unsigned long sz = best_map_size(pa + done, va + done, size - done);
		int ret = set_leaf(pgd, va + done, pa + done, size_to_level(sz), prot);

		if (ret) {
			/* -ENOMEM may leave empty tables on this chunk's path. */
			unsigned long undo = done + (ret == -ENOMEM ? sz : 0);

			if (undo)
				remove_pgd_mapping(pgd, va, undo);
			return ret;
		}
		done += sz;
	}
	local_flush_tlb_kernel_range(va, va + size);
	return 0;
}

/* Replace the leaf *e (at @level) with a table of next-level leaves. */
static int split_leaf(pte_t *e, int level)
{
	phys_addr_t tpa = pt_alloc();
	unsigned long pfn = pte_pfn(*e), step = PT_LEVEL_SIZE(level - 1) >> PAGE_SHIFT;
	pgprot_t prot = pte_pgprot(*e);
	pte_t *t;

	if (!tpa)
		return -ENOMEM;
	t = pt_ops->virt(tpa);
	for (int i = 0; i < PTRS_PER_PT; i++)
		t[i] = pfn_pte(pfn + i * step, prot);
	*e = pfn_pte(tpa >> PAGE_SHIFT, PAGE_TABLE);
	return 0;
}

static void defer_free_table(pte_t *e)
{
	phys_addr_t pa = pte_pfn(*e) << PAGE_SHIFT;

	*e = (pte_t){ 0 };
	*(phys_addr_t *)pt_ops->virt(pa) = deferred_free;
	deferred_free = pa;
}

/*
 * Clear [start, last] (inclusive, so the top of the VA space works). The
 * caller has split at both ends (split_at()), so every leaf met here lies
 * wholly inside the range.
 */
static void remove_range(pte_t *table, int level, unsigned long start,
			 unsigned long last)
{
	unsigned long sz = PT_LEVEL_SIZE(level), va = start;

	for (;;) {
		unsigned long end = min(ALIGN_DOWN(va, sz) + (sz - 1), last);
		pte_t *e = &table[PT_INDEX(va, level)];

		if (pte_leaf(*e)) {
			*e = (pte_t){ 0 };
		} else if (pte_present(*e)) {
			pte_t *child = pt_virt(*e);

			remove_range(child, level - 1, va, end);
			if (table_empty(child))
				defer_free_table(e);
		}
		if (end == last)
			return;
		va = end + 1;
	}
}

/*
 * The splits of one removal, so that a failure can undo them: a removal
 * that returns -ENOMEM leaves the tables exactly as they were, not merely
 * translating the same.
 */
struct split_log {
	int n;
	struct {
		pte_t *e;
		pte_t leaf;
	} v[2 * (PT_LEVELS_MAX - 1)];
};

/*
 * Split the leaves around @va until it is a leaf boundary. Translations do
 * not change; every split is logged in @log.
 */
static int split_at(pgd_t *pgd, unsigned long va, struct split_log *log)
{
	pte_t *table = pgd;

	for (int level = kl.levels - 1; level > PTE_LEVEL; level--) {
		pte_t *e = &table[PT_INDEX(va, level)];
		int ret;

		if (!pte_present(*e) || IS_ALIGNED(va, PT_LEVEL_SIZE(level)))
			return 0;
		if (pte_leaf(*e)) {
			pte_t leaf = *e;

			ret = split_leaf(e, level);
			if (ret)
				return ret;
			log->v[log->n].e = e;
			log->v[log->n++].leaf = leaf;
		}
		table = pt_virt(*e);
	}
	return 0;
}

/*
 * Put the split leaves back, innermost first (an inner table hangs off an
 * outer one); the tables go after the flush, like any other.
 */
static void unsplit(struct split_log *log)
{
	while (log->n--) {
		pte_t *e = log->v[log->n].e;

		defer_free_table(e);
		*e = log->v[log->n].leaf;
	}
}

static void free_deferred_tables(void)
{
	while (deferred_free) {
		phys_addr_t pa = deferred_free;

		deferred_free = *(phys_addr_t *)pt_ops->virt(pa);
		*(phys_addr_t *)pt_ops->virt(pa) = 0;
		pt_ops->free(pa);
		nr_pt_pages--;
	}
}

/* Cut at both ends first: -ENOMEM then changes nothing at all. */
static int split_ends(pgd_t *pgd, unsigned long va, unsigned long size)
{
	struct split_log log = { 0 };
	int ret = split_at(pgd, va, &log);

	if (!ret && va + size)
		ret = split_at(pgd, va + size, &log);
	if (ret)
		unsplit(&log);
	return ret;
}

/*
 * Unmap [va, va + size): clear leaves, split a huge leaf only where the
 * range cuts it, and free every table that becomes empty. If a split
 * fails (-ENOMEM), the tables are left exactly as they were. Tables are freed
 * after every hart's TLB has forgotten them, since a hart's page-walk cache
 * may still hold the old path (SFENCE.VMA is required even for entries that
 * were made invalid).
 */
int remove_pgd_mapping(pgd_t *pgd, unsigned long va, unsigned long size)
{
	int ret;

	if (!size)
		return 0;
	ret = split_ends(pgd, va, size);
	if (!ret)
		remove_range(pgd, kl.levels - 1, va, va + (size - 1));
	if (!unmap_batch) {
		flush_tlb_kernel_range(va, va + size);
		free_deferred_tables();
	}
	return ret;
}

/*
 * An operation that unmaps several ranges (remove_memory(): the linear map,
 * then each section's memmap) pays one flush: removals inside the batch
 * defer theirs, and the tables they emptied, to arch_unmap_batch_end().
 * Whatever else the caller frees must also wait for the end.
 */
void arch_unmap_batch_begin(void)
{
	unmap_batch++;
}

void arch_unmap_batch_end(unsigned long start, unsigned long end)
{
	if (--unmap_batch)
		return;
	flush_tlb_kernel_range(start, end);
	free_deferred_tables();
}

/* Give every leaf in [start, last] (cut at both ends) the bits of @prot. */
static void protect_range(pte_t *table, int level, unsigned long start,
			  unsigned long last, pgprot_t prot)
{
	unsigned long sz = PT_LEVEL_SIZE(level), va = start;

	for (;;) {
		unsigned long end = min(ALIGN_DOWN(va, sz) + (sz - 1), last);
		pte_t *e = &table[PT_INDEX(va, level)];

		if (pte_leaf(*e))
			*e = pfn_pte(pte_pfn(*e), prot);
		else if (pte_present(*e))
			protect_range(pt_virt(*e), level - 1, va, end, prot);
		if (end == last)
			return;
		va = end + 1;
	}
}

/*
 * Change the permissions of what is mapped in [va, va + size), splitting
 * huge leaves only where the range cuts them (Linux's set_memory_*).
 * Holes stay holes. -ENOMEM if a split failed: then nothing changed.
 */
int change_pgd_prot(pgd_t *pgd, unsigned long va, unsigned long size, pgprot_t prot)
{
	int ret;

	if (!size || !IS_ALIGNED(va | size, PAGE_SIZE))
		return -EINVAL;
	ret = split_ends(pgd, va, size);
	if (!ret)
		protect_range(pgd, kl.levels - 1, va, va + (size - 1), prot);
	flush_tlb_kernel_range(va, va + size);	/* a downgrade: every hart */
	if (!unmap_batch)
		free_deferred_tables();
	return ret;
}

phys_addr_t walk_pgd(pgd_t *pgd, unsigned long va, int *level, pgprot_t *prot)
{
	int l;
	pte_t *table = walk_table(pgd, va, &l);
	pte_t e = table[PT_INDEX(va, l)];

	if (!pte_leaf(e))
		return WALK_NONE;
	if (level)
		*level = l;
	if (prot)
		*prot = pte_pgprot(e);
	return (pte_pfn(e) << PAGE_SHIFT) + (va & (PT_LEVEL_SIZE(l) - 1));
}

static unsigned long count_range(pte_t *table, int level, unsigned long start,
				 unsigned long last)
{
	unsigned long sz = PT_LEVEL_SIZE(level), va = start, n = 0;

	for (;;) {
		unsigned long end = min(ALIGN_DOWN(va, sz) + (sz - 1), last);
		pte_t e = table[PT_INDEX(va, level)];

		if (pte_present(e) && !pte_leaf(e) && level > 0)
			n += 1 + count_range(pt_virt(e), level - 1, va, end);
		if (end == last)
			return n;
		va = end + 1;
	}
}

unsigned long count_pt_pages(pgd_t *pgd, unsigned long start, unsigned long end)
{
	return count_range(pgd, kl.levels - 1, start, end - 1);
}
