// SPDX-License-Identifier: GPL-2.0
/*
 * Migration self-tests, on RAM that mem= kept out at boot: one page moves
 * and keeps its data; a block whose every page is in use is offlined by
 * moving them all; an unmovable page stops offlining and leaves everything
 * as it was; offlining with migration while other harts allocate, free and
 * use the page store. The harness checks free pages around every case.
 */
#include <string.h>
#include <rvmm/boot.h>
#include <rvmm/ktest.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/migrate.h>
#include <rvmm/mm.h>
#include <rvmm/page_store.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>

static struct page_store store;
static struct list_head hogged = LIST_HEAD_INIT(hogged);

/*
 * Other movable memory (virtio-mem's) is taken for the duration of a case,
 * so that the test block is the only ZONE_MOVABLE memory with free pages.
 */
static void hog_movable(void)
{
	for (int o = MAX_ORDER; o >= 0; o--) {
		while (zones[ZONE_MOVABLE].nr_free_area[o]) {
			struct page *p = alloc_pages(GFP_MOVABLE, o);

			p->private = o;
			list_add(&p->lru, &hogged);
		}
	}
}

static void unhog_movable(void)
{
	while (!list_empty(&hogged)) {
		struct page *p = list_first_entry(&hogged, struct page, lru);

		list_del(&p->lru);
		free_pages(p, p->private);
	}
}

/* One hot-added, online section with its memmap on itself; 0 to skip. */
static phys_addr_t mig_setup(struct ktest *t, unsigned long nr_keys)
{
	phys_addr_t base = hotplug_test_ram(SECTION_SIZE, SECTION_SIZE, NULL);

	if (!base) {
		ktest_skip(t, "no hot-pluggable RAM (boot with mem= below RAM size)");
		return 0;
	}
	hog_movable();
	if (add_memory(0, base, SECTION_SIZE, MHP_MEMMAP_ON_MEMORY) ||
	    online_memory_block(base) || page_store_init(&store, nr_keys)) {
		ktest_fail(t, __FILE__, __LINE__, "setup of 0x%llx failed", (unsigned long long)base);
		unhog_movable();
		return 0;
	}
	return base;
}

static void mig_teardown(struct ktest *t, phys_addr_t base)
{
	page_store_destroy(&store);
	if (memory_block_state(base) == MEM_ONLINE)
		KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, remove_memory(base, SECTION_SIZE), 0);
	unhog_movable();
}

static bool in_block(struct page *p, phys_addr_t base)
{
	return page_to_phys(p) >= base && page_to_phys(p) < base + SECTION_SIZE;
}

static void mig_one_page(struct ktest *t)
{
	static u64 want[PAGE_SIZE / 8], got[PAGE_SIZE / 8];
	phys_addr_t base = mig_setup(t, 16);
	struct page *src, *dst;
	unsigned long free;

	if (!base)
		return;
	KEXPECT_EQ(t, ps_fill(&store, 5, 0xfeed), 0);
	src = ps_page(&store, 5);
	KEXPECT_TRUE(t, in_block(src, base));
	free = nr_free_pages();
	KEXPECT_EQ(t, migrate_page(src), 0);
	dst = ps_page(&store, 5);
	KEXPECT_TRUE(t, dst != src);
	KEXPECT_TRUE(t, page_is_buddy_free(page_to_pfn(src)));
	KEXPECT_EQ(t, nr_free_pages(), free);
	ps_pattern(want, 0xfeed, 5);
	KEXPECT_EQ(t, ps_get(&store, 5, got), 0);
	KEXPECT_TRUE(t, !memcmp(want, got, PAGE_SIZE));
	mig_teardown(t, base);
}

/* Fill the block until every page of it is in use; returns the keys. */
static unsigned long fill_block(phys_addr_t base)
{
	unsigned long k = 0;

	while (k < store.nr_slots && zone_free_pages(ZONE_MOVABLE) &&
	       !ps_fill(&store, k, 0x5eed))
		k++;
	(void)base;
	return k;
}

static void mig_block_all_busy(struct ktest *t)
{
	phys_addr_t base = mig_setup(t, PAGES_PER_SECTION);
	unsigned long keys, in = 0, bad = 0;
	u64 sum;

	if (!base)
		return;
	/* The data must fit in boot RAM (mem=128M does not leave 126 MiB). */
	if (zone_free_pages(ZONE_NORMAL) < 2 * PAGES_PER_SECTION) {
		mig_teardown(t, base);
		ktest_skip(t, "boot RAM cannot take a whole block of data");
		return;
	}
	keys = fill_block(base);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 0);
	for (unsigned long k = 0; k < keys; k++)
		in += in_block(ps_page(&store, k), base);
	KEXPECT_EQ(t, in, PAGES_PER_SECTION - SUBBLOCK_PAGES);	/* all but the memmap */
	sum = ps_checksum(&store);
	KEXPECT_EQ(t, offline_memory_block(base), 0);
	KEXPECT_EQ(t, memory_block_state(base), MEM_OFFLINE);
	for (unsigned long k = 0; k < keys; k++)
		KEXPECT_TRUE(t, !in_block(ps_page(&store, k), base));
	KEXPECT_EQ(t, ps_verify_all(&store, &bad), 0);
	KEXPECT_EQ(t, ps_checksum(&store), sum);
	KEXPECT_EQ(t, store.nr_pages, keys);
	mig_teardown(t, base);
}

static void mig_unmovable_blocks(struct ktest *t)
{
	phys_addr_t base = mig_setup(t, 4096);
	unsigned long free, zfree, keys, moved;
	struct page *pin;
	u64 sum;

	if (!base)
		return;
	keys = 0;
	while (keys < 2000 && !ps_fill(&store, keys, 0xab))
		keys++;
	KEXPECT_EQ(t, keys, 2000);
	pin = alloc_page(GFP_MOVABLE);	/* no movable_operations: it stays */
	KEXPECT_TRUE(t, pin && in_block(pin, base));
	free = nr_free_pages();
	zfree = zone_free_pages(ZONE_MOVABLE);
	sum = ps_checksum(&store);
	moved = nr_migrated_pages;
	printk_quiet++;
	KEXPECT_EQ(t, offline_memory_block(base), -EBUSY);
	printk_quiet--;
	KEXPECT_EQ(t, memory_block_state(base), MEM_ONLINE);
	KEXPECT_EQ(t, nr_free_pages(), free);
	/* Pages moved out of the block stay where they went: free moved too. */
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), zfree + (nr_migrated_pages - moved));
	KEXPECT_EQ(t, ps_checksum(&store), sum);
	KEXPECT_EQ(t, ps_verify_all(&store, NULL), 0);
	/* The block is usable again: the isolation is gone. */
	KEXPECT_TRUE(t, !page_range_isolated(PHYS_PFN(base) + SUBBLOCK_PAGES));
	if (pin)
		free_page(pin);
	mig_teardown(t, base);
}

/* ---- SMP: other harts allocate, free and use the store meanwhile ---- */

struct smp_ctx {
	phys_addr_t base;
	int worker;		/* the cpu that offlines */
	volatile int stop;
	int ret;
	unsigned long ops[NR_CPUS], errors[NR_CPUS];
	unsigned long first_key[NR_CPUS];
};

static void churn(struct smp_ctx *c, int cpu)
{
	unsigned long k0 = c->first_key[cpu], i = 0;

	while (!READ_ONCE(c->stop)) {
		/* The zone migration takes its destinations from. */
		struct page *p = alloc_pages(GFP_KERNEL, i % 3);
		unsigned long k = k0 + i % 64;

		if (ps_fill(&store, k, cpu) || ps_verify(&store, k))
			c->errors[cpu]++;
		if (p)
			free_pages(p, i % 3);
		i++;
	}
	c->ops[cpu] = i;
}

static void mig_smp_hart(void *arg)
{
	struct smp_ctx *c = arg;
	int cpu = smp_processor_id();

	if (cpu != c->worker) {
		churn(c, cpu);
		return;
	}
	/*
	 * A churning hart may hold a just-allocated page in the block while
	 * QEMU does not run it at all: retry, as a caller of offline would.
	 */
	for (int i = 0; i < 5; i++) {
		c->ret = offline_memory_block(c->base);
		if (c->ret != -EBUSY)
			break;
	}
	WRITE_ONCE(c->stop, 1);
}

static void mig_smp_concurrent(struct ktest *t)
{
	static struct smp_ctx ctx;
	phys_addr_t base;
	unsigned long keys = 0;

	if (nr_cpus_online < 3) {
		ktest_skip(t, "needs -smp 3 or more");
		return;
	}
	base = mig_setup(t, 16384);
	if (!base)
		return;
	while (keys < 8192 && !ps_fill(&store, keys, 0x77))
		keys++;
	KEXPECT_EQ(t, keys, 8192);
	memset(&ctx, 0, sizeof(ctx));
	ctx.base = base;
	ctx.worker = 1;
	for (int c = 0; c < NR_CPUS; c++)
		ctx.first_key[c] = 8192 + 64 * c;
	smp_call_all(mig_smp_hart, &ctx);
	KEXPECT_EQ(t, ctx.ret, 0);
	KEXPECT_EQ(t, memory_block_state(base), MEM_OFFLINE);
	for (int c = 2; c < nr_cpus_online; c++) {
		KEXPECT_GT(t, ctx.ops[c], 0);
		KEXPECT_EQ(t, ctx.errors[c], 0);
		printk("    # mig_smp_concurrent: hart %d: %lu alloc/free/fill/verify rounds meanwhile\n",
		       c, ctx.ops[c]);
	}
	for (unsigned long k = 0; k < keys; k++)
		KEXPECT_TRUE(t, !in_block(ps_page(&store, k), base));
	KEXPECT_EQ(t, ps_verify_all(&store, NULL), 0);
	mig_teardown(t, base);
}

KTEST_SUITE(migrate, true,
	KTEST_CASE(mig_one_page),
	KTEST_CASE(mig_block_all_busy),
	KTEST_CASE(mig_unmovable_blocks),
	KTEST_CASE(mig_smp_concurrent));
