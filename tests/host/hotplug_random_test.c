// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of memory hotplug against a model: random sequences of add,
 * remove, online, offline, allocation and free over 32 memory blocks, the
 * model tracking each block's state and memmap and the page tables its
 * mappings need; every step is checked against it.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hosttest.h"

#define RAM_SIZE	SZ_1G

#define NSLOT		32
#define SLOT_BASE	GB(8)
#define SLOT(i)		(SLOT_BASE + (phys_addr_t)(i) * SECTION_SIZE)

enum { ABSENT, OFFLINE, ONLINE };

struct used {
	unsigned long pfn;
	unsigned int order;
};

struct hp_model {
	int state[NSLOT];
	bool altmap[NSLOT], basepages[NSLOT];
	struct used *used;	/* movable pages handed out */
	size_t nused;
	/* linear-map leaves of hot-added memory: va, level */
	struct { unsigned long va; int level; } *lm;
	size_t nlm, caplm;
	u64 *boot_keys;		/* tables that boot mappings need */
	size_t nboot;
};

static void lm_push(struct hp_model *m, unsigned long va, int level)
{
	if (m->nlm == m->caplm) {
		m->caplm = m->caplm ? 2 * m->caplm : 1024;
		m->lm = realloc(m->lm, m->caplm * sizeof(*m->lm));
	}
	m->lm[m->nlm].va = va;
	m->lm[m->nlm++].level = level;
}

/* The kernel's greedy choice over [lm_va(start), +size). */
static void lm_add(struct hp_model *m, phys_addr_t start, phys_addr_t size)
{
	for (phys_addr_t pa = start; pa < start + size;) {
		int l = !(pa & (PUD_SIZE - 1)) && start + size - pa >= PUD_SIZE ? PUD_LEVEL : PMD_LEVEL;

		lm_push(m, lm_va(pa), l);
		pa += PT_LEVEL_SIZE(l);
	}
}

/* Remove [a, b): leaves inside go, leaves cut by an edge split first. */
static void lm_remove(struct hp_model *m, unsigned long a, unsigned long b)
{
	for (size_t i = 0; i < m->nlm;) {
		unsigned long va = m->lm[i].va, sz = PT_LEVEL_SIZE(m->lm[i].level);
		int l = m->lm[i].level;

		if (va + sz <= a || va >= b) {
			i++;
			continue;
		}
		m->lm[i] = m->lm[--m->nlm];
		if (va >= a && va + sz <= b)
			continue;
		for (unsigned long c = 0; c < PTRS_PER_PT; c++)
			lm_push(m, va + c * PT_LEVEL_SIZE(l - 1), l - 1);
	}
}

static u64 tkey(int level, unsigned long va)
{
	unsigned long vmask = (1UL << kl.va_bits) - 1;

	return ((u64)level << 56) | ((va & vmask) >> PT_LEVEL_SHIFT(level + 1));
}

struct keyvec {
	u64 *v;
	size_t n, cap;
};

static void key_push(struct keyvec *k, u64 key)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 4096;
		k->v = realloc(k->v, k->cap * sizeof(*k->v));
	}
	k->v[k->n++] = key;
}

/* Tables on the path of a @level leaf at @va: levels level .. root-1. */
static void leaf_keys(struct keyvec *k, unsigned long va, int level)
{
	for (int l = level; l < kl.levels - 1; l++)
		key_push(k, tkey(l, va));
}

static int u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static size_t sort_unique(u64 *v, size_t n)
{
	size_t j = 0;

	if (n)
		qsort(v, n, sizeof(*v), u64_cmp);
	for (size_t i = 0; i < n; i++)
		if (!j || v[j - 1] != v[i])
			v[j++] = v[i];
	return j;
}

static void boot_leaf(void *arg, unsigned long va, phys_addr_t pa, int level, unsigned long prot)
{
	(void)pa;
	(void)prot;
	leaf_keys(arg, va, level);
}

/* How many tables the model's mappings need, boot mappings included. */
static unsigned long model_tables(struct hp_model *m)
{
	struct keyvec k = { 0 };
	size_t n;

	for (size_t i = 0; i < m->nboot; i++)
		key_push(&k, m->boot_keys[i]);
	for (size_t i = 0; i < m->nlm; i++)
		leaf_keys(&k, m->lm[i].va, m->lm[i].level);
	for (int i = 0; i < NSLOT; i++)
		if (m->state[i] != ABSENT)
			leaf_keys(&k, vmemmap_va(SLOT(i)), m->basepages[i] ? PTE_LEVEL : PMD_LEVEL);
	n = sort_unique(k.v, k.n);
	free(k.v);
	return n;
}

struct lm_cmp {
	struct hp_model *m;
	size_t n;
	bool bad;
};

static int lm_leaf_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void lm_check_leaf(void *arg, unsigned long va, phys_addr_t pa, int level,
			  unsigned long prot)
{
	struct lm_cmp *c = arg;

	(void)prot;
	if (c->n >= c->m->nlm || c->m->lm[c->n].va != va || c->m->lm[c->n].level != level ||
	    lm_va(pa) != va)
		c->bad = true;
	c->n++;
}

/* The linear map of the slots, leaf by leaf, as the model says. */
static bool lm_matches(struct hp_model *m)
{
	struct lm_cmp c = { .m = m };

	if (m->nlm)
		qsort(m->lm, m->nlm, sizeof(*m->lm), lm_leaf_cmp);
	sim_for_each_leaf(lm_va(SLOT(0)), lm_va(SLOT(NSLOT)), lm_check_leaf, &c);
	return !c.bad && c.n == m->nlm;
}

static bool slots_all(const struct hp_model *m, int s, int n, int state)
{
	for (int i = s; i < s + n; i++)
		if (m->state[i] != state)
			return false;
	return true;
}

/* A random run of up to 8 slots in state @st (unchanged if there is none). */
static void pick_run(const struct hp_model *m, struct sim_rng *rng, int st, int *s, int *n)
{
	int cand[NSLOT], nc = 0, len = 1;

	for (int i = 0; i < NSLOT; i++)
		if (m->state[i] == st)
			cand[nc++] = i;
	if (!nc)
		return;
	*s = cand[sim_rand_below(rng, nc)];
	while (*s + len < NSLOT && len < 8 && m->state[*s + len] == st)
		len++;
	*n = 1 + sim_rand_below(rng, len);
}

static unsigned long slot_free_pages(const struct hp_model *m, int i)
{
	return PAGES_PER_SECTION - (m->altmap[i] ? SUBBLOCK_PAGES : 0);
}

/* One random run: the model, its random stream and what it has seen. */
struct hp_run {
	struct ktest *t;
	struct hp_model m;
	struct sim_rng rng;
	struct mm_snap s0;	/* the boot state, which teardown must restore */
	char name[32];
	int step;
	unsigned long adds, add_enomem, removes, onlines, offlines, offline_ebusy, frees;
};

/* Boot, and the model of what boot mapped; false if they disagree. */
static bool hp_run_init(struct hp_run *r, struct ktest *t, int va_bits)
{
	struct keyvec bk = { 0 };

	r->t = t;
	snprintf(r->name, sizeof(r->name), "hp_random_sv%d", va_bits);
	sim_rng_init(&r->rng, r->name);
	sim_boot_simple(va_bits, RAM_SIZE);
	mm_snap_take(&r->s0);
	sim_for_each_leaf(0, 1UL << kl.va_bits, boot_leaf, &bk);
	r->m.nboot = sort_unique(bk.v, bk.n);
	r->m.boot_keys = bk.v;
	r->m.used = malloc(sizeof(*r->m.used) * 100000);
	KASSERT_EQ_OR(t, model_tables(&r->m), nr_pt_pages, false);
	return true;
}

/*
 * The slots [s, s + n) an operation works on: random, whole GiBs, or a run
 * of blocks in the state the operation wants.
 */
static void hp_pick_slots(struct hp_run *r, unsigned int op, int *s, int *n)
{
	*s = sim_rand_below(&r->rng, NSLOT);
	*n = 1 + sim_rand_below(&r->rng, min(8, NSLOT - *s));
	if (sim_chance(&r->rng, 1, 4)) {	/* whole GiBs now and then: 1G leaves */
		*s = 8 * sim_rand_below(&r->rng, NSLOT / 8);
		*n = 8;
	} else if (sim_chance(&r->rng, 1, 2)) {
		int st = op < 25 ? ABSENT : op < 60 ? OFFLINE : ONLINE;

		pick_run(&r->m, &r->rng, st, s, n);
	}
}

/* add_memory() succeeded: the slots are offline, memmap as the kernel chose. */
static void hp_model_added(struct hp_run *r, int s, int n, unsigned int flags, bool bp)
{
	struct hp_model *m = &r->m;

	for (int i = s; i < s + n; i++) {
		int lvl = -1;

		m->state[i] = OFFLINE;
		m->altmap[i] = flags;
		/* A failed 2 MiB block also falls back to 4 KiB. */
		m->basepages[i] = walk_pgd(swapper_pg_dir, vmemmap_va(SLOT(i)), &lvl, NULL) !=
					  WALK_NONE &&
				  lvl == PTE_LEVEL;
		if (bp && !m->basepages[i])
			ktest_fail(r->t, __FILE__, __LINE__, "forced 4K memmap is not");
	}
	lm_add(m, SLOT(s), (phys_addr_t)n * SECTION_SIZE);
}

/* add_memory(), maybe with a 4 KiB memmap forced, maybe an allocation failing. */
static void hp_step_add(struct hp_run *r, int s, int n)
{
	struct ktest *t = r->t;
	unsigned int flags = sim_chance(&r->rng, 1, 2) ? MHP_MEMMAP_ON_MEMORY : 0;
	bool bp = sim_chance(&r->rng, 1, 4);
	unsigned long inject = sim_chance(&r->rng, 1, 6) ? 1 + sim_rand_below(&r->rng, 12) : 0;
	int want = slots_all(&r->m, s, n, ABSENT) ? 0 : -EINVAL, ret;

	vmemmap_force_basepages = bp;
	fail_alloc_nth = inject;
	ret = add_memory(0, SLOT(s), (phys_addr_t)n * SECTION_SIZE, flags);
	fail_alloc_nth = 0;
	vmemmap_force_basepages = false;
	if (inject && want == 0 && ret == -ENOMEM) {
		r->add_enomem++;
		return;
	}
	KEXPECT_EQ(t, ret, want);
	if (!ret) {
		r->adds++;
		hp_model_added(r, s, n, flags, bp);
	}
}

static void hp_step_remove(struct hp_run *r, int s, int n)
{
	struct ktest *t = r->t;
	int want = 0, ret;

	for (int i = s; i < s + n && !want; i++)
		want = r->m.state[i] == ABSENT ? -ENOENT : r->m.state[i] == ONLINE ? -EBUSY : 0;
	ret = remove_memory(SLOT(s), (phys_addr_t)n * SECTION_SIZE);
	KEXPECT_EQ(t, ret, want);
	if (!ret) {
		r->removes++;
		for (int i = s; i < s + n; i++)
			r->m.state[i] = ABSENT;
		lm_remove(&r->m, lm_va(SLOT(s)), lm_va(SLOT(s + n)));
	}
}

static void hp_step_online(struct hp_run *r, int s)
{
	struct ktest *t = r->t;
	int want = r->m.state[s] == OFFLINE ? 0 : -EINVAL;

	KEXPECT_EQ(t, online_memory_block(SLOT(s)), want);
	if (!want) {
		r->onlines++;
		r->m.state[s] = ONLINE;
	}
}

/* A block holding a used page refuses, naming the lowest such pfn. */
static void hp_step_offline(struct hp_run *r, int s)
{
	struct ktest *t = r->t;
	struct hp_model *m = &r->m;
	unsigned long lowest = ~0UL;
	int want, ret;

	for (size_t i = 0; i < m->nused; i++)
		if (m->used[i].pfn >= PHYS_PFN(SLOT(s)) && m->used[i].pfn < PHYS_PFN(SLOT(s + 1)))
			lowest = min(lowest, m->used[i].pfn);
	want = m->state[s] != ONLINE ? -EINVAL : lowest != ~0UL ? -EBUSY : 0;
	ret = offline_memory_block(SLOT(s));
	KEXPECT_EQ(t, ret, want);
	if (ret == -EBUSY) {
		r->offline_ebusy++;
		KEXPECT_TRUE(t, log_has_pfn(lowest));
	}
	if (!ret) {
		r->offlines++;
		m->state[s] = OFFLINE;
	}
}

/*
 * A movable page must come from an online block, past its memmap; it is
 * filled with a pattern hp_step_free() checks.
 */
static void hp_step_alloc(struct hp_run *r)
{
	struct ktest *t = r->t;
	struct hp_model *m = &r->m;
	unsigned int o = sim_rand_below(&r->rng, 4);
	bool avail = zone_can(ZONE_MOVABLE, o);
	struct page *p = alloc_pages(GFP_MOVABLE, o);
	unsigned long pfn;
	int sl;

	if (!p || page_zone(p) != ZONE_MOVABLE) {
		KEXPECT_TRUE(t, !avail);
		if (p)
			free_pages(p, o);
		return;
	}
	pfn = page_to_pfn(p);
	sl = (PFN_PHYS(pfn) - SLOT_BASE) / SECTION_SIZE;
	KEXPECT_TRUE(t, avail);
	if (PFN_PHYS(pfn) < SLOT_BASE || sl >= NSLOT || m->state[sl] != ONLINE ||
	    PFN_PHYS(pfn) - SLOT(sl) < (m->altmap[sl] ? SZ_2M : 0)) {
		ktest_fail(t, __FILE__, __LINE__, "step %d: movable pfn 0x%lx not in an online block",
			   r->step, pfn);
		return;
	}
	for (unsigned long k = 0; k < (1UL << o); k++)
		*(u64 *)page_address(p + k) = (pfn + k) ^ 0xfeedULL;
	m->used[m->nused++] = (struct used){ pfn, o };
}

static void hp_step_free(struct hp_run *r)
{
	struct hp_model *m = &r->m;
	size_t i = sim_rand_below(&r->rng, m->nused);
	struct page *p = pfn_to_page(m->used[i].pfn);

	for (unsigned long k = 0; k < (1UL << m->used[i].order); k++)
		if (*(u64 *)page_address(p + k) != ((m->used[i].pfn + k) ^ 0xfeedULL))
			ktest_fail(r->t, __FILE__, __LINE__, "pfn 0x%lx: pattern lost",
				   m->used[i].pfn + k);
	free_pages(p, m->used[i].order);
	m->used[i] = m->used[--m->nused];
	r->frees++;
}

/* One operation, @op in [0, 100) choosing which, on the model and the kernel. */
static void hp_step(struct hp_run *r, unsigned int op, int s, int n)
{
	sim_log_mute++;
	if (op < 25)
		hp_step_add(r, s, n);
	else if (op < 45)
		hp_step_remove(r, s, n);
	else if (op < 60)
		hp_step_online(r, s);
	else if (op < 74)
		hp_step_offline(r, s);
	else if (op < 90)
		hp_step_alloc(r);
	else if (r->m.nused)
		hp_step_free(r);
	sim_log_mute--;
}

/* Each slot's section as the model says: valid, state, flags. */
static void hp_check_slot(struct hp_run *r, int i)
{
	struct ktest *t = r->t;
	const struct hp_model *m = &r->m;
	struct mem_section *ms = __pfn_to_section(PHYS_PFN(SLOT(i)));

	KEXPECT_EQ(t, pfn_valid(PHYS_PFN(SLOT(i))), m->state[i] != ABSENT);
	if (m->state[i] == ABSENT) {
		KEXPECT_EQ(t, ms->flags, 0);
		return;
	}
	KEXPECT_EQ(t, memory_block_state(SLOT(i)),
		   m->state[i] == ONLINE ? MEM_ONLINE : MEM_OFFLINE);
	KEXPECT_EQ(t, ms->flags, SECTION_PRESENT | (m->altmap[i] ? SECTION_MEMMAP_ON_MEM : 0) |
				 (m->state[i] == ONLINE ? SECTION_ONLINE : 0));
}

/* Invariants after every step: sections, free pages per zone, tables. */
static void hp_check(struct hp_run *r)
{
	struct ktest *t = r->t;
	struct hp_model *m = &r->m;
	unsigned long movable = 0, present = 0, normal_memmap = 0;

	for (int i = 0; i < NSLOT; i++) {
		present += m->state[i] != ABSENT;
		if (m->state[i] == ONLINE)
			movable += slot_free_pages(m, i);
		if (m->state[i] != ABSENT && !m->altmap[i])
			normal_memmap += SUBBLOCK_PAGES;
		hp_check_slot(r, i);
	}
	for (size_t i = 0; i < m->nused; i++)
		movable -= 1UL << m->used[i].order;
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), movable);
	KEXPECT_EQ(t, nr_present_sections(), r->s0.sections + present);
	KEXPECT_EQ(t, zone_free_pages(ZONE_NORMAL),
		   r->s0.zfree[ZONE_NORMAL] - (nr_pt_pages - r->s0.pt) - normal_memmap);
	KEXPECT_EQ(t, nr_pt_pages, model_tables(m));
	EXPECT_PT_CONSISTENT(t);
	if (r->step % 25 == 0) {
		KEXPECT_TRUE(t, lm_matches(m));
		check_buddy(t);
	}
}

/* Tear everything down: back to the boot state exactly. */
static void hp_teardown(struct hp_run *r)
{
	struct ktest *t = r->t;
	struct hp_model *m = &r->m;

	while (m->nused) {
		m->nused--;
		free_pages(pfn_to_page(m->used[m->nused].pfn), m->used[m->nused].order);
	}
	for (int i = 0; i < NSLOT; i++) {
		if (m->state[i] == ONLINE)
			KEXPECT_EQ(t, offline_memory_block(SLOT(i)), 0);
		if (m->state[i] != ABSENT)
			KEXPECT_EQ(t, remove_memory(SLOT(i), SECTION_SIZE), 0);
	}
	EXPECT_SNAP_EQ(t, r->s0);
}

static void hp_random_one(struct ktest *t, int va_bits, int steps)
{
	struct hp_run r = { 0 };

	if (!hp_run_init(&r, t, va_bits))
		return;
	for (r.step = 0; r.step < steps && !t->failed; r.step++) {
		unsigned int op = sim_rand_below(&r.rng, 100);
		int s, n;

		hp_pick_slots(&r, op, &s, &n);
		hp_step(&r, op, s, n);
		hp_check(&r);
		if (t->failed)
			printk("    # %s: step %d, op %u, slots %d+%d\n", r.name, r.step, op, s, n);
	}
	hp_teardown(&r);
	printk("    # %s: %d steps: %lu adds (%lu -ENOMEM), %lu removes, %lu onlines, %lu offlines (%lu -EBUSY), %lu frees\n",
	       r.name, steps, r.adds, r.add_enomem, r.removes, r.onlines, r.offlines,
	       r.offline_ebusy, r.frees);
	free(r.m.used);
	free(r.m.lm);
	free(r.m.boot_keys);
}

static void hp_random_sv39(struct ktest *t) { hp_random_one(t, 39, 2000); }
static void hp_random_sv48(struct ktest *t) { hp_random_one(t, 48, 2000); }
static void hp_random_sv57(struct ktest *t) { hp_random_one(t, 57, 2000); }

KTEST_SUITE(host_hotplug_random, false,
	KTEST_CASE(hp_random_sv39),
	KTEST_CASE(hp_random_sv48),
	KTEST_CASE(hp_random_sv57));
