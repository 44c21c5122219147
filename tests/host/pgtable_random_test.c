// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of arch/riscv/mm/pgtable.c against a reference model: a
 * randomised sequence of create, remove and change of protection in a
 * window of the linear-map area, in Sv39, Sv48 and Sv57, every step checked
 * against the model (in full every PGT_FULL_CHECK_EVERY steps).
 */
#include <stdio.h>
#include "pgtable_test.h"

#define PGT_RANDOM_STEPS	3000
#define PGT_FULL_CHECK_EVERY	25

struct ival {
	unsigned long va, end;	/* [va, end) */
	phys_addr_t pa;
	unsigned long prot;
};

struct model {
	struct ival *v;
	size_t n, cap;
};

static void model_insert(struct model *m, unsigned long va, unsigned long end, phys_addr_t pa,
			 unsigned long prot)
{
	size_t i = 0;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
	}
	while (i < m->n && m->v[i].va < va)
		i++;
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
	m->v[i] = (struct ival){ va, end, pa, prot };
	m->n++;
}

static bool model_overlaps(const struct model *m, unsigned long va, unsigned long end)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].va < end && va < m->v[i].end)
			return true;
	return false;
}

static void model_remove(struct model *m, unsigned long va, unsigned long end)
{
	for (size_t i = 0; i < m->n; i++) {
		struct ival *v = &m->v[i];

		if (v->end <= va || v->va >= end)
			continue;
		if (v->va < va && v->end > end) {	/* a hole in the middle */
			struct ival tail = { end, v->end, v->pa + (end - v->va), v->prot };

			v->end = va;
			model_insert(m, tail.va, tail.end, tail.pa, tail.prot);
			return;
		}
		if (v->va < va) {
			v->end = va;
		} else if (v->end > end) {
			v->pa += end - v->va;
			v->va = end;
		} else {
			memmove(v, v + 1, (m->n - i - 1) * sizeof(*v));
			m->n--;
			i--;
		}
	}
}

static phys_addr_t model_lookup(const struct model *m, unsigned long va, unsigned long *prot)
{
	for (size_t i = 0; i < m->n; i++)
		if (va >= m->v[i].va && va < m->v[i].end) {
			*prot = m->v[i].prot;
			return m->v[i].pa + (va - m->v[i].va);
		}
	return WALK_NONE;
}

/* Leaves merged into maximal runs, comparable with the merged model. */
static size_t runs_of(const struct leaves *l, struct ival *out)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		unsigned long sz = PT_LEVEL_SIZE(l->v[i].level);

		if (n && out[n - 1].end == l->v[i].va &&
		    out[n - 1].pa + (out[n - 1].end - out[n - 1].va) == l->v[i].pa &&
		    out[n - 1].prot == l->v[i].prot)
			out[n - 1].end += sz;
		else
			out[n++] = (struct ival){ l->v[i].va, l->v[i].va + sz, l->v[i].pa,
						  l->v[i].prot };
	}
	return n;
}

static size_t model_runs(const struct model *m, struct ival *out)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct ival *v = &m->v[i];

		if (n && out[n - 1].end == v->va &&
		    out[n - 1].pa + (out[n - 1].end - out[n - 1].va) == v->pa &&
		    out[n - 1].prot == v->prot)
			out[n - 1].end = v->end;
		else
			out[n++] = *v;
	}
	return n;
}

static bool full_compare(struct ktest *t, const struct model *m, unsigned long lo,
			 unsigned long hi, int step)
{
	static struct leaves got;
	struct ival *a, *b;
	size_t na, nb;
	bool ok;

	get_leaves(&got, lo, hi);
	a = malloc((got.n + 1) * sizeof(*a));
	b = malloc((m->n + 1) * sizeof(*b));
	na = runs_of(&got, a);
	nb = model_runs(m, b);
	ok = na == nb && (!na || !memcmp(a, b, na * sizeof(*a)));
	if (!ok) {
		ktest_fail(t, __FILE__, __LINE__, "Sv%d step %d: %zu runs mapped, model has %zu",
			   kl.va_bits, step, na, nb);
		for (size_t i = 0; i < max(na, nb); i++)
			if (i >= na || i >= nb || memcmp(&a[i], &b[i], sizeof(*a))) {
				printk("    # first difference at run %zu: 0x%lx-0x%lx vs 0x%lx-0x%lx\n",
				       i, i < na ? a[i].va : 0, i < na ? a[i].end : 0,
				       i < nb ? b[i].va : 0, i < nb ? b[i].end : 0);
				break;
			}
	}
	free(a);
	free(b);
	return ok;
}

static bool check_va(struct ktest *t, const struct model *m, unsigned long va, int step)
{
	unsigned long mprot = 0;
	phys_addr_t want = model_lookup(m, va, &mprot);
	pgprot_t prot = { 0 };
	phys_addr_t got = walk_pgd(swapper_pg_dir, va, NULL, &prot);

	if (got != want || (got != WALK_NONE && prot.prot != mprot)) {
		ktest_fail(t, __FILE__, __LINE__,
			   "Sv%d step %d: va 0x%lx -> 0x%llx prot 0x%lx, model 0x%llx prot 0x%lx",
			   kl.va_bits, step, va, (unsigned long long)got, prot.prot,
			   (unsigned long long)want, mprot);
		return false;
	}
	return true;
}

static unsigned long rand_size(struct sim_rng *r)
{
	unsigned long s;

	switch (sim_rand_below(r, 10)) {
	case 0: case 1: case 2:
		s = SZ_4K * (1 + sim_rand_below(r, 16));
		break;
	case 3: case 4:
		s = SZ_2M * (1 + sim_rand_below(r, 4));
		break;
	case 5:
		s = SZ_1G * (1 + sim_rand_below(r, 2));
		break;
	case 6:
		s = SZ_4K * (1 + sim_rand_below(r, 3 * SZ_1G / SZ_4K));
		break;
	default:
		s = SZ_4K * (1 + sim_rand_below(r, 64 * SZ_2M / SZ_4K));
		break;
	}
	/* Just off a boundary. */
	if (s >= SZ_2M && sim_chance(r, 1, 3))
		s += sim_chance(r, 1, 2) ? SZ_4K * (1 + sim_rand_below(r, 3)) :
			-SZ_4K * (1 + sim_rand_below(r, 3));
	return s;
}

static unsigned long rand_offset(struct sim_rng *r)
{
	unsigned long o;

	switch (sim_rand_below(r, 10)) {
	case 0: case 1: case 2:
		o = SZ_1G * sim_rand_below(r, WIN_SIZE / SZ_1G);
		break;
	case 3: case 4: case 5:
		o = SZ_2M * sim_rand_below(r, WIN_SIZE / SZ_2M);
		break;
	default:
		o = SZ_4K * sim_rand_below(r, WIN_SIZE / SZ_4K);
		break;
	}
	if (sim_chance(r, 1, 4))
		o += sim_chance(r, 1, 2) ? SZ_4K * sim_rand_below(r, 4) : -SZ_4K * sim_rand_below(r, 4);
	return o % WIN_SIZE;
}

/* One random run: the model, its random stream, the window and what it has seen. */
struct pgt_run {
	struct ktest *t;
	struct model m;
	struct sim_rng rng;
	unsigned long lo, hi;		/* the window */
	unsigned long pt0, free0;	/* at boot, which teardown must restore */
	char name[32];
	int step;
	unsigned long mapped, eexist, enomem, removals, removal_enomem, leaves;
};

static void pgt_run_init(struct pgt_run *r, struct ktest *t, int va_bits)
{
	r->t = t;
	snprintf(r->name, sizeof(r->name), "pgt_random_sv%d", va_bits);
	sim_rng_init(&r->rng, r->name);
	boot_mode(va_bits);
	r->lo = win_lo();
	r->hi = r->lo + WIN_SIZE;
	r->pt0 = nr_pt_pages;
	r->free0 = nr_free_pages();
}

/*
 * The range of one step: random in the window, or for a removal now and
 * then exactly a mapped interval, or a slice of one.
 */
static void pgt_pick_range(struct pgt_run *r, bool create, unsigned long *va,
			   unsigned long *size)
{
	if (!create && sim_chance(&r->rng, 1, 3)) {
		const struct ival *v = &r->m.v[sim_rand_below(&r->rng, r->m.n)];

		*va = v->va;
		*size = v->end - v->va;
		if (sim_chance(&r->rng, 1, 2)) {
			unsigned long a = SZ_4K * sim_rand_below(&r->rng, *size / SZ_4K);

			*va += a;
			*size = SZ_4K * (1 + sim_rand_below(&r->rng, (*size - a) / SZ_4K));
		}
	} else {
		*va = r->lo + rand_offset(&r->rng);
		*size = rand_size(&r->rng);
		*size = min(*size, r->hi - *va);
	}
}

/* A step that failed must leave every table and free page as it was. */
static void pgt_expect_nothing_done(struct ktest *t, unsigned long pt1, unsigned long free1)
{
	KEXPECT_EQ(t, nr_pt_pages, pt1);
	KEXPECT_EQ(t, nr_free_pages(), free1);
}

/* create_pgd_mapping(): maps, or -EEXIST over a mapping, or an injected -ENOMEM. */
static void pgt_step_create(struct pgt_run *r, unsigned long va, unsigned long size,
			    unsigned int inject)
{
	struct ktest *t = r->t;
	unsigned long pt1 = nr_pt_pages, free1 = nr_free_pages();
	phys_addr_t pa = sim_chance(&r->rng, 7, 10) ?
		SZ_1G * (1 + sim_rand_below(&r->rng, 900)) + (va & (SZ_1G - 1)) :
		SZ_4K * sim_rand_below(&r->rng, (SIM_PHYS_SIZE - 4 * SZ_1G) / SZ_4K);
	pgprot_t prot = prots[sim_rand_below(&r->rng, 3)];
	bool clash = model_overlaps(&r->m, va, va + size);
	int ret;

	fail_alloc_nth = inject;
	ret = create_pgd_mapping(swapper_pg_dir, va, pa, size, prot);
	fail_alloc_nth = 0;
	if (ret == -ENOMEM && inject) {
		r->enomem++;
		pgt_expect_nothing_done(t, pt1, free1);
	} else if (clash) {
		r->eexist++;
		KEXPECT_EQ(t, ret, -EEXIST);
		pgt_expect_nothing_done(t, pt1, free1);
	} else {
		r->mapped++;
		KEXPECT_EQ(t, ret, 0);
		if (!ret)
			model_insert(&r->m, va, va + size, pa, prot.prot);
	}
}

static void pgt_step_remove(struct pgt_run *r, unsigned long va, unsigned long size,
			    unsigned int inject)
{
	struct ktest *t = r->t;
	unsigned long pt1 = nr_pt_pages, free1 = nr_free_pages();
	int ret;

	fail_alloc_nth = inject;
	ret = remove_pgd_mapping(swapper_pg_dir, va, size);
	fail_alloc_nth = 0;
	r->removals++;
	if (ret == -ENOMEM && inject) {
		/*
		 * Nothing done: the model stays, the checks compare against
		 * it, and not a table was kept or lost.
		 */
		r->removal_enomem++;
		pgt_expect_nothing_done(t, pt1, free1);
	} else {
		KEXPECT_EQ(t, ret, 0);
		model_remove(&r->m, va, va + size);
	}
}

/* After every step: the edges, some random pages, the counters. */
static void pgt_check(struct pgt_run *r, unsigned long va, unsigned long end)
{
	struct ktest *t = r->t;
	const struct model *m = &r->m;

	check_va(t, m, va, r->step);
	check_va(t, m, end - SZ_4K, r->step);
	if (va > r->lo)
		check_va(t, m, va - SZ_4K, r->step);
	if (end < r->hi)
		check_va(t, m, end, r->step);
	for (int i = 0; i < 16; i++)
		check_va(t, m, r->lo + SZ_4K * sim_rand_below(&r->rng, WIN_SIZE / SZ_4K), r->step);
	if (m->n) {
		const struct ival *v = &m->v[sim_rand_below(&r->rng, m->n)];

		check_va(t, m, v->va, r->step);
		check_va(t, m, v->end - 8, r->step);
	}
	if (r->step % PGT_FULL_CHECK_EVERY == 0) {
		full_compare(t, m, r->lo, r->hi, r->step);
		EXPECT_PT_CONSISTENT(t);
		KEXPECT_EQ(t, r->free0 - nr_free_pages(), nr_pt_pages - r->pt0);
	}
}

/* The window compared in full, then emptied: back to boot's tables and pages. */
static void pgt_teardown(struct pgt_run *r)
{
	struct ktest *t = r->t;
	static struct leaves l;

	full_compare(t, &r->m, r->lo, r->hi, PGT_RANDOM_STEPS);
	get_leaves(&l, r->lo, r->hi);
	r->leaves = l.n;
	KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, r->lo, WIN_SIZE), 0);
	get_leaves(&l, r->lo, r->hi);
	KEXPECT_EQ(t, l.n, 0);
	KEXPECT_EQ(t, nr_pt_pages, r->pt0);
	KEXPECT_EQ(t, nr_free_pages(), r->free0);
	EXPECT_PT_CONSISTENT(t);
}

static void random_vs_model(struct ktest *t, int va_bits)
{
	struct pgt_run r = { 0 };

	pgt_run_init(&r, t, va_bits);
	for (r.step = 0; r.step < PGT_RANDOM_STEPS; r.step++) {
		bool create = sim_chance(&r.rng, 3, 5) || !r.m.n;
		unsigned int inject = sim_chance(&r.rng, 1, 8) ? 1 + sim_rand_below(&r.rng, 4) : 0;
		unsigned long va, size;

		pgt_pick_range(&r, create, &va, &size);
		if (create)
			pgt_step_create(&r, va, size, inject);
		else
			pgt_step_remove(&r, va, size, inject);
		pgt_check(&r, va, va + size);
		if (t->failed) {
			printk("    # %s failed at step %d (op %s va 0x%lx size 0x%lx)\n", r.name,
			       r.step, create ? "create" : "remove", va, size);
			break;
		}
	}
	if (!t->failed)
		pgt_teardown(&r);
	printk("    # %s: %d steps: %lu mapped, %lu -EEXIST, %lu -ENOMEM, %lu removals (%lu -ENOMEM), %lu leaves at the end\n",
	       r.name, PGT_RANDOM_STEPS, r.mapped, r.eexist, r.enomem, r.removals,
	       r.removal_enomem, r.leaves);
	free(r.m.v);
}

static void pgt_random_sv39(struct ktest *t) { random_vs_model(t, 39); }
static void pgt_random_sv48(struct ktest *t) { random_vs_model(t, 48); }
static void pgt_random_sv57(struct ktest *t) { random_vs_model(t, 57); }

KTEST_SUITE(host_pgtable_random, false,
	KTEST_CASE(pgt_random_sv39),
	KTEST_CASE(pgt_random_sv48),
	KTEST_CASE(pgt_random_sv57));
