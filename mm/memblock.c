// SPDX-License-Identifier: GPL-2.0
/*
 * memblock: the boot-time memory map. Two sorted, non-overlapping region
 * lists: "memory" (what the DT says is RAM) and "reserved" (kernel, DTB,
 * firmware, early allocations). Adjacent regions with equal flags merge.
 * Allocation is top-down below current_limit, aligned, never touching a
 * reserved or no-map range.
 */
#include <string.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>

struct memblock memblock = {
	.memory.name = "memory",
	.reserved.name = "reserved",
	.current_limit = MEMBLOCK_ALLOC_ANYWHERE,
};

void memblock_reset(void)
{
	memblock.memory.cnt = 0;
	memblock.reserved.cnt = 0;
	memblock.current_limit = MEMBLOCK_ALLOC_ANYWHERE;
}

static void remove_region(struct memblock_type *t, unsigned long i)
{
	memmove(&t->regions[i], &t->regions[i + 1],
		(t->cnt - i - 1) * sizeof(t->regions[0]));
	t->cnt--;
}

static int insert_region(struct memblock_type *t, unsigned long i,
			 phys_addr_t base, phys_addr_t size, u32 flags)
{
	if (t->cnt == MEMBLOCK_MAX_REGIONS)
		return -ENOSPC;
	memmove(&t->regions[i + 1], &t->regions[i],
		(t->cnt - i) * sizeof(t->regions[0]));
	t->regions[i] = (struct memblock_region){ base, size, flags };
	t->cnt++;
	return 0;
}

static void merge_regions(struct memblock_type *t)
{
	unsigned long i = 0;

	while (i + 1 < t->cnt) {
		struct memblock_region *a = &t->regions[i], *b = a + 1;

		if (a->base + a->size == b->base && a->flags == b->flags) {
			a->size += b->size;
			remove_region(t, i + 1);
		} else {
			i++;
		}
	}
}

/*
 * Cut regions at @base and @base + @size so that the range is covered by
 * whole regions [*start, *end). Fails only when the table is full.
 */
static int isolate_range(struct memblock_type *t, phys_addr_t base, phys_addr_t size,
			 unsigned long *start, unsigned long *end)
{
	phys_addr_t limit = base + size;

	*start = *end = 0;
	for (unsigned long i = 0; i < t->cnt; i++) {
		struct memblock_region *r = &t->regions[i];
		phys_addr_t rend = r->base + r->size;

		if (rend <= base)
			continue;
		if (r->base >= limit)
			break;
		if (r->base < base) {		/* split the head off */
			if (insert_region(t, i, r->base, base - r->base, r->flags))
				return -ENOSPC;
			t->regions[i + 1].base = base;
			t->regions[i + 1].size = rend - base;
			continue;
		}
		if (rend > limit) {		/* split the tail off */
			if (insert_region(t, i, r->base, limit - r->base, r->flags))
				return -ENOSPC;
			t->regions[i + 1].base = limit;
			t->regions[i + 1].size = rend - limit;
		}
		if (!*end)
			*start = i;
		*end = i + 1;
	}
	return 0;
}

/* Add [base, base+size) to @t, merging with what overlaps or touches it. */
static int add_range(struct memblock_type *t, phys_addr_t base, phys_addr_t size,
		     u32 flags)
{
	phys_addr_t end = base + size;
	unsigned long i;

	if (!size)
		return 0;
	if (end < base)
		return -EINVAL;
	/* Fill the gaps between existing regions; overlaps keep their flags. */
	for (i = 0; i < t->cnt && base < end; i++) {
		struct memblock_region *r = &t->regions[i];
		phys_addr_t rend = r->base + r->size;

		if (rend <= base)
			continue;
		if (r->base > base) {
			phys_addr_t gap_end = min(r->base, end);

			if (insert_region(t, i, base, gap_end - base, flags))
				return -ENOSPC;
			i++;
		}
		base = max(base, rend);
	}
	if (base < end && insert_region(t, t->cnt, base, end - base, flags))
		return -ENOSPC;
	merge_regions(t);
	return 0;
}

static int remove_range(struct memblock_type *t, phys_addr_t base, phys_addr_t size)
{
	unsigned long s, e;
	int ret = isolate_range(t, base, size, &s, &e);

	if (ret)
		return ret;
	while (e > s)
		remove_region(t, --e);
	return 0;
}

int memblock_add(phys_addr_t base, phys_addr_t size)
{
	return add_range(&memblock.memory, base, size, 0);
}

int memblock_remove(phys_addr_t base, phys_addr_t size)
{
	return remove_range(&memblock.memory, base, size);
}

int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
	return add_range(&memblock.reserved, base, size, 0);
}

int memblock_free(phys_addr_t base, phys_addr_t size)
{
	return remove_range(&memblock.reserved, base, size);
}

int memblock_mark_nomap(phys_addr_t base, phys_addr_t size)
{
	unsigned long s, e;
	int ret = isolate_range(&memblock.memory, base, size, &s, &e);

	if (ret)
		return ret;
	for (unsigned long i = s; i < e; i++)
		memblock.memory.regions[i].flags |= MEMBLOCK_NOMAP;
	merge_regions(&memblock.memory);
	return 0;
}

static bool overlaps(const struct memblock_type *t, phys_addr_t base, phys_addr_t size)
{
	for (unsigned long i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];

		if (base < r->base + r->size && r->base < base + size)
			return true;
	}
	return false;
}

/*
 * Top-down: the highest aligned block inside a usable memory region, below
 * @end, above @start, that overlaps no reservation. Returns 0 on failure,
 * so a block is never placed at physical address 0, even where that is RAM.
 */
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end)
{
	start = max(start, (phys_addr_t)1);
	end = min(end, memblock.current_limit);
	for (unsigned long i = memblock.memory.cnt; i-- > 0;) {
		struct memblock_region *m = &memblock.memory.regions[i];
		phys_addr_t lo = max(m->base, start), hi = min(m->base + m->size, end);
		phys_addr_t cand;

		if (m->flags & MEMBLOCK_NOMAP || hi <= lo || hi - lo < size)
			continue;
		cand = ALIGN_DOWN(hi - size, align);
		while (cand >= lo && cand + size <= hi) {
			bool clash = false;
			phys_addr_t next = 0;

			/* Move below the highest reservation in the way. */
			for (unsigned long j = 0; j < memblock.reserved.cnt; j++) {
				struct memblock_region *r = &memblock.reserved.regions[j];

				if (cand < r->base + r->size && r->base < cand + size) {
					next = max(next, r->base);
					clash = true;
				}
			}
			if (!clash) {
				if (memblock_reserve(cand, size))
					return 0;
				return cand;
			}
			if (next < size + lo)
				break;
			cand = ALIGN_DOWN(next - size, align);
		}
	}
	return 0;
}

phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
	return memblock_phys_alloc_range(size, align, 0, MEMBLOCK_ALLOC_ANYWHERE);
}

bool memblock_is_memory(phys_addr_t addr)
{
	return overlaps(&memblock.memory, addr, 1);
}

bool memblock_overlaps_memory(phys_addr_t base, phys_addr_t size)
{
	return overlaps(&memblock.memory, base, size);
}

bool memblock_overlaps_reserved(phys_addr_t base, phys_addr_t size)
{
	return overlaps(&memblock.reserved, base, size);
}

bool memblock_is_reserved(phys_addr_t addr)
{
	return overlaps(&memblock.reserved, addr, 1);
}

static phys_addr_t total(const struct memblock_type *t)
{
	phys_addr_t sum = 0;

	for (unsigned long i = 0; i < t->cnt; i++)
		sum += t->regions[i].size;
	return sum;
}

phys_addr_t memblock_phys_mem_size(void)
{
	return total(&memblock.memory);
}

phys_addr_t memblock_reserved_size(void)
{
	return total(&memblock.reserved);
}

phys_addr_t memblock_end_of_DRAM(void)
{
	unsigned long n = memblock.memory.cnt;

	return n ? memblock.memory.regions[n - 1].base + memblock.memory.regions[n - 1].size : 0;
}

void memblock_dump(void)
{
	const struct memblock_type *types[] = { &memblock.memory, &memblock.reserved };

	for (unsigned int t = 0; t < 2; t++) {
		pr_info("memblock %s: %lu regions, %llu KiB\n", types[t]->name,
			types[t]->cnt, (unsigned long long)(total(types[t]) >> 10));
		for (unsigned long i = 0; i < types[t]->cnt; i++) {
			const struct memblock_region *r = &types[t]->regions[i];

			pr_info("  [0x%010llx-0x%010llx] %8llu KiB%s\n",
				(unsigned long long)r->base,
				(unsigned long long)(r->base + r->size - 1),
				(unsigned long long)(r->size >> 10),
				r->flags & MEMBLOCK_NOMAP ? " no-map" : "");
		}
	}
}
