// SPDX-License-Identifier: GPL-2.0
/*
 * Memory hotplug self-tests, on RAM that mem= (or rvmm.hotplug_test=) kept
 * out at boot. Every failing call must leave free pages, page-table pages
 * and the section table exactly as before; every hart must see new memory
 * and fault on removed memory.
 */
#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include <asm/csr.h>
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <rvmm/boot.h>
#include <rvmm/fault-inject.h>
#include <rvmm/ktest.h>
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/mm.h>
#include <rvmm/of_fdt.h>
#include <rvmm/plic.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

static bool hp_range(struct ktest *t, phys_addr_t *base, phys_addr_t *size)
{
	*base = hotplug_test_ram(0, SECTION_SIZE, size);
	if (!*base)
		ktest_skip(t, "no hot-pluggable RAM (boot with mem= below RAM size)");
	return *base;
}

struct mm_snapshot {
	unsigned long free, pt, sections, normal_free;
};

static struct mm_snapshot snap(void)
{
	return (struct mm_snapshot){ nr_free_pages(), nr_pt_pages, nr_present_sections(),
				     zone_free_pages(ZONE_NORMAL) };
}

#define EXPECT_UNCHANGED(t, s0) do {					\
	struct mm_snapshot __s = snap();				\
	KEXPECT_EQ(t, __s.free, (s0).free);				\
	KEXPECT_EQ(t, __s.pt, (s0).pt);					\
	KEXPECT_EQ(t, __s.sections, (s0).sections);			\
} while (0)

/*
 * Memory that is not zero. On a board, RAM holds whatever was there; QEMU
 * hands out zeroes, which would hide a memmap the kernel forgot to
 * initialise. So before the other cases, the first SECTION_SIZE / 64
 * bytes of every section of the hot-pluggable RAM (where its memmap goes
 * with MHP_MEMMAP_ON_MEMORY, and where onlining starts handing out pages)
 * are mapped at their linear-map place for a moment and filled with
 * garbage. The suite's leak check proves the mapping went away.
 */
#define HP_GARBAGE_BYTES	(SECTION_SIZE / 64)

static u64 hp_garbage_word(phys_addr_t pa)
{
	return (pa * 0x9e3779b97f4a7c15ull) | 1;	/* never zero, never canonical */
}

static int hp_scribble_head(phys_addr_t pa)
{
	int ret = arch_add_memory(0, pa, HP_GARBAGE_BYTES);
	u64 *p = (u64 *)lm_va(pa);

	if (ret)
		return ret;
	for (unsigned long i = 0; i < HP_GARBAGE_BYTES / 8; i++)
		p[i] = hp_garbage_word(pa + i * 8);
	ret = p[HP_GARBAGE_BYTES / 8 - 1] == hp_garbage_word(pa + HP_GARBAGE_BYTES - 8) ?
		      0 : -EIO;
	return arch_remove_memory(pa, HP_GARBAGE_BYTES) ?: ret;
}

static void hp_garbage_first(struct ktest *t)
{
	phys_addr_t base, size;

	if (!hp_range(t, &base, &size))
		return;
	for (phys_addr_t pa = base; pa < base + size; pa += SECTION_SIZE)
		KASSERT_EQ(t, hp_scribble_head(pa), 0);
	KEXPECT_EQ(t, probe_read(lm_va(base), &(unsigned long){ 0 }), -EFAULT);
}

/*
 * A freshly added struct page is zero but for PG_vmemmap on the memmap's
 * own pages: nothing else writes it before onlining.
 */
static bool hp_memmap_clean(struct ktest *t, phys_addr_t start, phys_addr_t size)
{
	for (unsigned long pfn = PHYS_PFN(start); pfn < PHYS_PFN(start + size); pfn++) {
		const struct page *p = pfn_to_page(pfn);

		if ((p->flags & ~BIT(PG_vmemmap)) || p->refcount || p->order || p->private ||
		    p->compound_head || p->pgmap || p->lru.next || p->lru.prev) {
			ktest_fail(t, __FILE__, __LINE__, "pfn 0x%lx: memmap not initialised",
				   pfn);
			return false;
		}
	}
	return true;
}

/* With the memmap from boot RAM and on the (garbage) memory itself. */
static void hp_memmap_starts_clean(struct ktest *t)
{
	static const unsigned int flags[] = { MHP_NONE, MHP_MEMMAP_ON_MEMORY };
	phys_addr_t base, size;

	if (!hp_range(t, &base, &size))
		return;
	size = min(size, 2 * SECTION_SIZE);
	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		KASSERT_EQ(t, add_memory(0, base, size, flags[i]), 0);
		KEXPECT_TRUE(t, hp_memmap_clean(t, base, size));
		KEXPECT_EQ(t, remove_memory(base, size), 0);
	}
}

static void hp_add_online_offline_remove(struct ktest *t)
{
	phys_addr_t base, size;
	struct mm_snapshot s0 = snap();
	unsigned long v;
	int level;

	if (!hp_range(t, &base, &size))
		return;
	KASSERT_EQ(t, add_memory(0, base, SECTION_SIZE, MHP_NONE), 0);
	KEXPECT_EQ(t, memory_block_state(base), MEM_OFFLINE);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, lm_va(base), &level, NULL), base);
	KEXPECT_TRUE(t, pfn_valid(PHYS_PFN(base)));
	KEXPECT_EQ(t, online_memory_block(base), 0);
	KEXPECT_EQ(t, memory_block_state(base), MEM_ONLINE);
	KEXPECT_EQ(t, nr_free_pages(), s0.free + PAGES_PER_SECTION - (nr_pt_pages - s0.pt) -
		   (SECTION_SIZE / PAGE_SIZE * sizeof(struct page) / PAGE_SIZE));
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
	KEXPECT_EQ(t, probe_read(lm_va(base), &v), -EFAULT);
	KEXPECT_TRUE(t, !pfn_valid(PHYS_PFN(base)));
	EXPECT_UNCHANGED(t, s0);
}

/* Memmap on memory: the memmap costs no boot RAM at all. */
static void hp_memmap_on_memory(struct ktest *t)
{
	phys_addr_t base, size;
	struct mm_snapshot s0 = snap();
	unsigned long alt0 = vmemmap_stats.from_altmap, mem0 = vmemmap_stats.from_memory;
	unsigned long mov0;

	if (!hp_range(t, &base, &size))
		return;
	size = min(size, 4 * SECTION_SIZE);
	mov0 = zone_free_pages(ZONE_MOVABLE);	/* virtio-mem may own some */
	KASSERT_EQ(t, add_memory(0, base, size, MHP_MEMMAP_ON_MEMORY), 0);
	KEXPECT_EQ(t, vmemmap_stats.from_altmap - alt0, size / SECTION_SIZE * SUBBLOCK_PAGES);
	KEXPECT_EQ(t, vmemmap_stats.from_memory, mem0);
	/* Only page tables may come from boot RAM (and at most a few). */
	KEXPECT_EQ(t, s0.normal_free - zone_free_pages(ZONE_NORMAL), nr_pt_pages - s0.pt);
	for (phys_addr_t b = base; b < base + size; b += SECTION_SIZE)
		KEXPECT_EQ(t, online_memory_block(b), 0);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE) - mov0,
		   size / PAGE_SIZE - size / SECTION_SIZE * SUBBLOCK_PAGES);
	for (phys_addr_t b = base; b < base + size; b += SECTION_SIZE)
		KEXPECT_EQ(t, offline_memory_block(b), 0);
	KEXPECT_EQ(t, remove_memory(base, size), 0);
	EXPECT_UNCHANGED(t, s0);
}

/* The first PLIC's registers, as its driver registered them (0: none). */
static phys_addr_t plic_base(void)
{
	const void *fdt = initial_boot_params;
	struct plic_dt plic;

	for (int n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL))
		if (of_match_node(plic_of_match, fdt, n))
			return plic_parse_node(fdt, n, &plic, NULL, 0) ? 0 : plic.base;
	return 0;
}

static void hp_bad_input(struct ktest *t)
{
	phys_addr_t base, size, ram = memblock.memory.regions[0].base;
	struct mm_snapshot s0 = snap();

	if (!hp_range(t, &base, &size))
		return;
	KEXPECT_EQ(t, add_memory(0, base + PAGE_SIZE, SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, base, SECTION_SIZE / 2, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, base, 0, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, ALIGN_DOWN(ram, SECTION_SIZE), SECTION_SIZE, 0), -EINVAL);
	KEXPECT_EQ(t, add_memory(0, ALIGN(linear_map_limit(), SECTION_SIZE), SECTION_SIZE, 0),
		   -EINVAL);
	/* The PLIC's registers (every machine has them; 0 is RAM-free only on virt) */
	KEXPECT_EQ(t, add_memory(0, ALIGN_DOWN(plic_base(), SECTION_SIZE), SECTION_SIZE, 0),
		   -EINVAL);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), -ENOENT);
	KEXPECT_EQ(t, remove_memory(ALIGN_DOWN(ram, SECTION_SIZE), SECTION_SIZE), -EINVAL);
	KEXPECT_EQ(t, online_memory_block(base), -EINVAL);
	EXPECT_UNCHANGED(t, s0);

	KASSERT_EQ(t, add_memory(0, base, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
	s0 = snap();
	KEXPECT_EQ(t, add_memory(0, base, SECTION_SIZE, 0), -EINVAL);	/* twice */
	KEXPECT_EQ(t, offline_memory_block(base), -EINVAL);		/* not online */
	KEXPECT_EQ(t, online_pages(PHYS_PFN(base), SUBBLOCK_PAGES, ZONE_MOVABLE), -EINVAL);
	EXPECT_UNCHANGED(t, s0);
	KEXPECT_EQ(t, online_memory_block(base), 0);
	s0 = snap();
	KEXPECT_EQ(t, online_memory_block(base), -EINVAL);		/* twice */
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), -EBUSY);	/* online */
	EXPECT_UNCHANGED(t, s0);
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
}

/* add_memory() of the section of each device under @parent; how many tried. */
static int refuse_device_sections(struct ktest *t, const void *fdt, int parent)
{
	bool cells22 = fdt_address_cells(fdt, parent) == 2 && fdt_size_cells(fdt, parent) == 2;
	int node, len, tried = 0;

	fdt_for_each_subnode(node, fdt, parent) {
		const fdt32_t *reg;
		phys_addr_t sec;

		if (fdt_getprop(fdt, node, "ranges", &len) && !len)
			tried += refuse_device_sections(t, fdt, node);
		reg = fdt_getprop(fdt, node, "reg", &len);
		if (!cells22 || !reg || len < 16 ||
		    dt_prop_is(fdt, node, "device_type", "memory"))
			continue;
		sec = ALIGN_DOWN(dt_read_cells(reg, 2), SECTION_SIZE);
		if (memblock_overlaps_memory(sec, SECTION_SIZE) ||
		    sec + SECTION_SIZE > linear_map_limit())
			continue;
		printk_quiet++;
		KEXPECT_EQ(t, add_memory(0, sec, SECTION_SIZE, 0), -EINVAL);
		printk_quiet--;
		tried++;
	}
	return tried;
}

/*
 * The section of every device the tree names at the root or on an
 * identity-mapped bus (CLINT, UART, virtio-mmio, flash, ... whether a
 * driver binds it or not): add_memory() refuses it and changes nothing.
 */
static void hp_device_mmio_refused(struct ktest *t)
{
	struct mm_snapshot s0 = snap();

	KEXPECT_GT(t, refuse_device_sections(t, initial_boot_params, 0), 0);
	EXPECT_UNCHANGED(t, s0);
}

/*
 * add_memory_plugged(): a section with only its first 4 sub-blocks in the
 * linear map; the rest faults until mhp_map_range() maps it. Extents it
 * cannot take (none, not whole sub-blocks, past the range) change nothing.
 */
static void hp_add_plugged_extent(struct ktest *t)
{
	const phys_addr_t plugged = 4 * SZ_2M;
	phys_addr_t base, size;
	struct mm_snapshot s0 = snap();
	unsigned long v;

	if (!hp_range(t, &base, &size))
		return;
	KEXPECT_EQ(t, add_memory_plugged(0, base, SECTION_SIZE, 0, MHP_MEMMAP_ON_MEMORY), -EINVAL);
	KEXPECT_EQ(t, add_memory_plugged(0, base, SECTION_SIZE, SZ_2M / 2, MHP_MEMMAP_ON_MEMORY),
		   -EINVAL);
	KEXPECT_EQ(t, add_memory_plugged(0, base, SECTION_SIZE, SECTION_SIZE + SZ_2M,
					 MHP_MEMMAP_ON_MEMORY), -EINVAL);
	EXPECT_UNCHANGED(t, s0);
	KASSERT_EQ(t, add_memory_plugged(0, base, SECTION_SIZE, plugged, MHP_MEMMAP_ON_MEMORY), 0);
	KEXPECT_EQ(t, probe_read(lm_va(base + plugged - 8), &v), 0);
	KEXPECT_EQ(t, probe_read(lm_va(base + plugged), &v), -EFAULT);
	KEXPECT_EQ(t, probe_read(lm_va(base + SECTION_SIZE - 8), &v), -EFAULT);
	KEXPECT_EQ(t, mhp_map_range(base + plugged, SZ_2M), 0);
	KEXPECT_EQ(t, probe_read(lm_va(base + plugged), &v), 0);
	KEXPECT_EQ(t, online_pages(PHYS_PFN(base + plugged), SUBBLOCK_PAGES, ZONE_MOVABLE), 0);
	KEXPECT_EQ(t, offline_pages(PHYS_PFN(base + plugged), SUBBLOCK_PAGES), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
	KEXPECT_EQ(t, probe_read(lm_va(base), &v), -EFAULT);
	EXPECT_UNCHANGED(t, s0);
}

/* A page in use blocks offlining, names itself, and changes nothing. */
static void hp_offline_busy(struct ktest *t)
{
	phys_addr_t base, size;
	struct page *p;
	unsigned long free;

	if (!hp_range(t, &base, &size))
		return;
	KASSERT_EQ(t, add_memory(0, base, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
	KASSERT_EQ(t, online_memory_block(base), 0);
	p = alloc_pages(GFP_MOVABLE, 0);
	KASSERT_TRUE(t, p);
	KEXPECT_EQ(t, page_zone(p), ZONE_MOVABLE);
	KEXPECT_GE(t, page_to_phys(p), base);
	KEXPECT_LT(t, page_to_phys(p), base + SECTION_SIZE);
	free = nr_free_pages();
	KEXPECT_EQ(t, offline_memory_block(base), -EBUSY);
	KEXPECT_EQ(t, nr_free_pages(), free);
	KEXPECT_EQ(t, memory_block_state(base), MEM_ONLINE);
	free_page(p);
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
}

/* A clean hot-add and remove: allocations made, page-table pages added. */
static unsigned long clean_add(struct ktest *t, phys_addr_t base, phys_addr_t size, int flags,
			       unsigned long *tables)
{
	unsigned long c0 = nr_alloc_calls, pt0 = nr_pt_pages, calls;

	KEXPECT_EQ(t, add_memory(0, base, size, flags), 0);
	calls = nr_alloc_calls - c0;
	*tables = nr_pt_pages - pt0;
	KEXPECT_EQ(t, remove_memory(base, size), 0);
	return calls;
}

/*
 * The Nth allocation of a hot-add fails, for every N it makes: a failed
 * page-table page fails the add with nothing leaked; a failed 2 MiB memmap
 * block is absorbed (4 KiB pages instead) and the add holds and removes
 * cleanly. How many of each there are depends on the layout (hidden RAM
 * that shares page-table pages with boot RAM needs no new tables), so a
 * clean add counts them first.
 */
static void hp_fault_injection(struct ktest *t)
{
	phys_addr_t base, size;

	if (!hp_range(t, &base, &size))
		return;
	size = min(size, 2 * SECTION_SIZE);
	for (int flags = 0; flags < 2 && !t->failed; flags++) {
		int mhp = flags ? MHP_MEMMAP_ON_MEMORY : 0;
		unsigned long tables, failed = 0, calls = clean_add(t, base, size, mhp, &tables);

		/* Tables, and without the altmap one memmap block per section. */
		KEXPECT_EQ(t, calls, tables + (flags ? 0 : size / SECTION_SIZE));
		printk_quiet = 1;
		for (unsigned long n = 1; n <= calls && !t->failed; n++) {
			struct mm_snapshot s0 = snap();
			int ret;

			fail_alloc_nth = n;
			ret = add_memory(0, base, size, mhp);
			KEXPECT_EQ(t, fail_alloc_nth, 0);	/* the Nth did come */
			fail_alloc_nth = 0;
			if (ret) {
				KEXPECT_EQ(t, ret, -ENOMEM);
				KEXPECT_TRUE(t, !pfn_valid(PHYS_PFN(base)));
				failed++;
			} else {
				KEXPECT_EQ(t, remove_memory(base, size), 0);
			}
			EXPECT_UNCHANGED(t, s0);
		}
		printk_quiet = 0;
		KEXPECT_EQ(t, failed, tables);
	}
}

/* Pattern-test every page of an online block through the page allocator. */
static void hp_memory_usable(struct ktest *t)
{
	phys_addr_t base, size;
	unsigned long n = 0, bad = 0;
	struct page *head = NULL;

	if (!hp_range(t, &base, &size))
		return;
	KASSERT_EQ(t, add_memory(0, base, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
	KASSERT_EQ(t, online_memory_block(base), 0);
	for (;;) {
		struct page *p = alloc_pages(GFP_MOVABLE, MAX_ORDER);
		u64 *w;

		if (!p || page_zone(p) != ZONE_MOVABLE) {
			if (p)
				free_pages(p, MAX_ORDER);
			break;
		}
		w = page_address(p);
		for (unsigned long i = 0; i < (PAGE_SIZE << MAX_ORDER) / 8; i += 512)
			w[i] = page_to_phys(p) + i;
		for (unsigned long i = 0; i < (PAGE_SIZE << MAX_ORDER) / 8; i += 512)
			bad += w[i] != page_to_phys(p) + i;
		*(struct page **)w = head;	/* chain through the block itself */
		head = p;
		/* Other movable memory (virtio-mem) may serve some requests. */
		if (page_to_phys(p) >= base && page_to_phys(p) < base + SECTION_SIZE)
			n++;
	}
	KEXPECT_EQ(t, bad, 0);
	KEXPECT_EQ(t, n, (SECTION_SIZE - PMD_SIZE) / (PAGE_SIZE << MAX_ORDER));
	while (head) {
		struct page *next = *(struct page **)page_address(head);

		free_pages(head, MAX_ORDER);
		head = next;
	}
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
}

static u64 xorshift(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 1000 add/online/offline/remove cycles: counters return exactly. */
static void hp_leak_1000_cycles(struct ktest *t)
{
	phys_addr_t base, size;
	struct mm_snapshot s0 = snap();
	u64 seed = 0x5eed1234 + kl.va_bits;
	unsigned long nsec;

	if (!hp_range(t, &base, &size))
		return;
	nsec = min(size / SECTION_SIZE, 4UL);
	printk_quiet = 1;
	for (int i = 0; i < 1000 && !t->failed; i++) {
		unsigned long n = 1 + xorshift(&seed) % nsec;
		unsigned long off = xorshift(&seed) % (size / SECTION_SIZE - n + 1);
		phys_addr_t b = base + off * SECTION_SIZE;
		unsigned int flags = (xorshift(&seed) & 1) ? MHP_MEMMAP_ON_MEMORY : 0;

		int ret = add_memory(0, b, n * SECTION_SIZE, flags);

		KEXPECT_EQ(t, ret, 0);
		if (ret)
			break;	/* and printk_quiet goes back below */
		for (unsigned long s = 0; s < n; s++)
			KEXPECT_EQ(t, online_memory_block(b + s * SECTION_SIZE), 0);
		for (unsigned long s = 0; s < n; s++)
			KEXPECT_EQ(t, offline_memory_block(b + s * SECTION_SIZE), 0);
		KEXPECT_EQ(t, remove_memory(b, n * SECTION_SIZE), 0);
	}
	printk_quiet = 0;
	EXPECT_UNCHANGED(t, s0);
}

/* ---- SMP: every hart sees new memory, every hart faults after removal ---- */

struct probe_req {
	unsigned long va;
	int result[NR_CPUS];
	unsigned long value[NR_CPUS];
};

static void probe_on_hart(void *arg)
{
	struct probe_req *r = arg;
	int cpu = smp_processor_id();

	r->result[cpu] = probe_read(r->va, &r->value[cpu]);
}

static void hp_smp_visibility(struct ktest *t)
{
	static struct probe_req req;
	phys_addr_t base, size;
	unsigned long va;

	if (!hp_range(t, &base, &size))
		return;
	if (nr_cpus_online < 2) {
		ktest_skip(t, "needs -smp 2 or more");
		return;
	}
	KASSERT_EQ(t, add_memory(0, base, SECTION_SIZE, 0), 0);
	va = lm_va(base + SECTION_SIZE / 2);
	*(volatile unsigned long *)va = 0xabcdef;
	/* Every hart translates before: prime their TLBs with the mapping. */
	memset(&req, 0, sizeof(req));
	req.va = va;
	smp_call_all(probe_on_hart, &req);
	for (int c = 1; c < nr_cpus_online; c++) {
		KEXPECT_EQ(t, req.result[c], 0);
		KEXPECT_EQ(t, req.value[c], 0xabcdef);
	}
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
	memset(&req, 0, sizeof(req));
	req.va = va;
	smp_call_all(probe_on_hart, &req);
	for (int c = 1; c < nr_cpus_online; c++)
		KEXPECT_EQ(t, req.result[c], -EFAULT);
}

/*
 * A hot-add fences only its own hart while it builds the linear map and
 * each section's memmap, then syncs every hart once; a hot-remove flushes
 * once for the linear map and every memmap, and only then frees tables and
 * memmap blocks (hp_smp_visibility checks that this is enough for the
 * other harts, the snapshot that nothing is kept).
 */
static void hp_one_sync_per_op(struct ktest *t)
{
	static const unsigned int flags[] = { MHP_MEMMAP_ON_MEMORY, MHP_NONE };
	struct mm_snapshot s0 = snap();
	phys_addr_t base, size;

	if (!hp_range(t, &base, &size))
		return;
	size = min(size, (phys_addr_t)SZ_1G);
	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		unsigned long syncs = nr_kernel_syncs;

		KASSERT_EQ(t, add_memory(0, base, size, flags[i]), 0);
		KEXPECT_EQ(t, nr_kernel_syncs - syncs, 1);
		syncs = nr_kernel_syncs;
		KEXPECT_EQ(t, remove_memory(base, size), 0);
		KEXPECT_EQ(t, nr_kernel_syncs - syncs, 1);
		EXPECT_UNCHANGED(t, s0);
	}
}

/* GFP_KERNEL never lands in movable memory, even when only it is free. */
static void hp_unmovable_stays_normal(struct ktest *t)
{
	phys_addr_t base, size;

	if (!hp_range(t, &base, &size))
		return;
	KASSERT_EQ(t, add_memory(0, base, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
	KASSERT_EQ(t, online_memory_block(base), 0);
	for (int i = 0; i < 512; i++) {
		struct page *p = alloc_page(GFP_KERNEL);

		KASSERT_TRUE(t, p);
		KEXPECT_TRUE(t, page_to_phys(p) < base || page_to_phys(p) >= base + SECTION_SIZE);
		free_page(p);
	}
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
}

/* Page-table pages a leaf at @level for @va needs that do not exist yet. */
static unsigned long tables_missing(unsigned long va, int level)
{
	pte_t *table = swapper_pg_dir;

	for (int l = kl.levels - 1; l > level; l--) {
		pte_t e = table[PT_INDEX(va, l)];

		if (!pte_present(e))
			return l - level;
		if (pte_leaf(e))
			return 0;
		table = __va(pte_pfn(e) << PAGE_SHIFT);
	}
	return 0;
}

/*
 * Freeing a vmemmap's tables goes through the one table path (Linux's
 * "riscv: mm: avoid calling the pmd dtor when vmemmap_free()").
 * The add needs a PTE table under the vmemmap and whatever tables above
 * it and above the linear map's 2 MiB leaves the layout lacks (none when
 * the hidden RAM shares its 1 GiB region with boot RAM); the remove must
 * give back exactly those.
 */
static void hp_vmemmap_free_tables(struct ktest *t)
{
	phys_addr_t base, size;
	unsigned long pt0 = nr_pt_pages, want;
	int saved = vmemmap_force_basepages, ret;

	if (!hp_range(t, &base, &size))
		return;
	want = tables_missing(lm_va(base), PMD_LEVEL) +
	       tables_missing((unsigned long)pfn_to_page(PHYS_PFN(base)), PTE_LEVEL);
	KEXPECT_GE(t, want, 1);	/* at least the vmemmap's PTE table */
	vmemmap_force_basepages = true;	/* PTE tables under the vmemmap */
	ret = add_memory(0, base, SECTION_SIZE, 0);
	vmemmap_force_basepages = saved;
	KASSERT_EQ(t, ret, 0);
	KEXPECT_EQ(t, nr_pt_pages - pt0, want);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
	KEXPECT_EQ(t, nr_pt_pages, pt0);
}

/* The altmap reaches the 4 KiB fallback too (Linux's "riscv: mm: Properly forward
 * vmemmap_populate() altmap parameter"). */
static void hp_altmap_forwarded(struct ktest *t)
{
	phys_addr_t base, size;
	unsigned long alt0 = vmemmap_stats.from_altmap, mem0 = vmemmap_stats.from_memory;
	int ret;

	if (!hp_range(t, &base, &size))
		return;
	vmemmap_force_basepages = true;
	ret = add_memory(0, base, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY);
	vmemmap_force_basepages = false;
	KASSERT_EQ(t, ret, 0);
	KEXPECT_EQ(t, vmemmap_stats.from_altmap - alt0, SUBBLOCK_PAGES);
	KEXPECT_EQ(t, vmemmap_stats.from_memory, mem0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
}

/* The dump names each block's state, as the state queries do. */
static void hp_block_dump_states(struct ktest *t)
{
	static char log[8192], want[96];
	phys_addr_t base, size;

	if (!hp_range(t, &base, &size))
		return;
	KASSERT_EQ(t, add_memory(0, base, 2 * SECTION_SIZE, MHP_MEMMAP_ON_MEMORY), 0);
	KEXPECT_EQ(t, online_memory_block(base), 0);
	KEXPECT_EQ(t, memory_block_state(base), MEM_ONLINE);
	KEXPECT_EQ(t, memory_block_state(base + SECTION_SIZE), MEM_OFFLINE);
	printk_capture(log, sizeof(log));
	memory_block_dump();
	printk_capture(NULL, 0);
	snprintf(want, sizeof(want), "memory%lu: phys 0x%010llx state online zone ",
		 (unsigned long)(base >> SECTION_SIZE_BITS), (unsigned long long)base);
	KEXPECT_TRUE(t, strstr(log, want) != NULL);
	snprintf(want, sizeof(want), "memory%lu: phys 0x%010llx state offline zone - removable",
		 (unsigned long)((base + SECTION_SIZE) >> SECTION_SIZE_BITS),
		 (unsigned long long)(base + SECTION_SIZE));
	KEXPECT_TRUE(t, strstr(log, want) != NULL);
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, 2 * SECTION_SIZE), 0);
}

KTEST_SUITE(hotplug, true,
	KTEST_CASE(hp_garbage_first),
	KTEST_CASE(hp_memmap_starts_clean),
	KTEST_CASE(hp_add_online_offline_remove),
	KTEST_CASE(hp_memmap_on_memory),
	KTEST_CASE(hp_bad_input),
	KTEST_CASE(hp_device_mmio_refused),
	KTEST_CASE(hp_add_plugged_extent),
	KTEST_CASE(hp_offline_busy),
	KTEST_CASE(hp_fault_injection),
	KTEST_CASE(hp_memory_usable),
	KTEST_CASE(hp_smp_visibility),
	KTEST_CASE(hp_one_sync_per_op),
	KTEST_CASE(hp_unmovable_stays_normal),
	KTEST_CASE(hp_vmemmap_free_tables),
	KTEST_CASE(hp_altmap_forwarded),
	KTEST_CASE(hp_block_dump_states),
	KTEST_CASE(hp_leak_1000_cycles));
