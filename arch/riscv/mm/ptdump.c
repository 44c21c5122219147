// SPDX-License-Identifier: GPL-2.0
/*
 * One walker over every kernel mapping, used twice:
 *
 * - the audit (Linux's CONFIG_DEBUG_WX, widened): no leaf is both writable
 *   and executable, none has the U bit, every leaf lies in an area of the
 *   layout and maps RAM the kernel owns, a known MMIO window or a device
 *   region it has plugged, the image's text and rodata are never writable
 *   (nor executable outside the image mapping), and nothing maps a block
 *   that a virtio-mem device has unplugged;
 * - rvmm.ptdump (Linux's kernel_page_tables): leaves merged into ranges of
 *   one level, attributes and area, printed as
 *     rvmm: ptdump: <va first>-<va end> <pa first> <size> <level> <rwxugad> <area>
 */
#include <stdio.h>
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/sections.h>
#include <rvmm/boot.h>
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/ptdump.h>

#ifdef CONFIG_PAGE_POISONING	/* DEBUG=1 */
#define IS_ENABLED_DEBUG	true
#else
#define IS_ENABLED_DEBUG	false
#endif

struct pt_leaf {
	unsigned long va;
	phys_addr_t pa;
	unsigned long size;
	unsigned long prot;
	int level;
};

typedef int (*leaf_fn)(const struct pt_leaf *l, void *arg);

static unsigned long sign_extend(unsigned long va)
{
	int sh = 64 - kl.va_bits;

	return (unsigned long)((long)(va << sh) >> sh);
}

/* Visit every leaf under @table in address order; stop at a non-zero @fn. */
static int walk_leaves(pte_t *table, int level, unsigned long base, leaf_fn fn, void *arg)
{
	for (int i = 0; i < PTRS_PER_PT; i++) {
		pte_t e = table[i];
		unsigned long va = base + ((unsigned long)i << PT_LEVEL_SHIFT(level));
		int ret = 0;

		if (!pte_present(e))
			continue;
		if (pte_leaf(e)) {
			struct pt_leaf l = { sign_extend(va), pte_pfn(e) << PAGE_SHIFT,
					     PT_LEVEL_SIZE(level), pte_pgprot(e).prot, level };

			ret = fn(&l, arg);
		} else if (level > PTE_LEVEL) {
			ret = walk_leaves(pt_ops->virt(pte_pfn(e) << PAGE_SHIFT), level - 1, va,
					  fn, arg);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_kernel(leaf_fn fn, void *arg)
{
	return walk_leaves(swapper_pg_dir, kl.levels - 1, 0, fn, arg);
}

static bool in(unsigned long va, unsigned long start, unsigned long end)
{
	return va >= start && va < end;
}

/* The layout area @va belongs to, or NULL. */
static const char *area_of(unsigned long va)
{
	if (in(va, kl.vmemmap_start, kl.vmemmap_start + kl.vmemmap_size))
		return "vmemmap";
	if (in(va, kl.page_offset, kl.page_offset + kl.linear_size))
		return "linear map";
	if (in(va, kl.ioremap_start, FIXMAP_START))
		return "I/O";
	if (in(va, FIXMAP_START, KERNEL_VA))
		return "fixmap";
	if (in(va, (unsigned long)_start, (unsigned long)_etext))
		return "kernel text";
	if (in(va, (unsigned long)_srodata, (unsigned long)_erodata))
		return "kernel rodata";
	if (in(va, (unsigned long)_sdata, ALIGN((unsigned long)_end, PAGE_SIZE)))
		return "kernel data";
	if (va >= STACKS_START)
		return "stacks";
	return NULL;
}

/* ---- the audit ---- */

/* Usable (not no-map) boot RAM holds [pa, pa + size) entirely. */
static bool in_boot_ram(phys_addr_t pa, phys_addr_t size)
{
	struct memblock_region *r;

	while (size) {
		phys_addr_t n = 0;

		for_each_mem_region(r)
			if (!(r->flags & MEMBLOCK_NOMAP) && pa >= r->base &&
			    pa < r->base + r->size)
				n = min(size, r->base + r->size - pa);
		if (!n)
			return false;
		pa += n;
		size -= n;
	}
	return true;
}

/* Hot-added RAM or a ZONE_DEVICE region: every section is present. */
static bool in_added_sections(phys_addr_t pa, phys_addr_t size)
{
	for (phys_addr_t a = ALIGN_DOWN(pa, SECTION_SIZE); a < pa + size; a += SECTION_SIZE)
		if (PHYS_PFN(a) >= MAX_PFN ||
		    !(__pfn_to_section(PHYS_PFN(a))->flags & SECTION_PRESENT))
			return false;
	return true;
}

static bool pa_owned(const struct pt_leaf *l)
{
	/* The firmware's blob: it may lie outside the memory nodes. */
	if (in(l->va, FIXMAP_FDT, FIXMAP_FDT + FIXMAP_FDT_SIZE))
		return true;
	return iomem_contains(l->pa, l->size) || in_boot_ram(l->pa, l->size) ||
	       in_added_sections(l->pa, l->size);
}

static bool overlaps(phys_addr_t a, phys_addr_t an, phys_addr_t b, phys_addr_t bn)
{
	return a < b + bn && b < a + an;
}

/* The leaf maps text or rodata (freed .init aside) writably, or executably elsewhere. */
static bool bad_image_alias(const struct pt_leaf *l)
{
	phys_addr_t ro = __pa_symbol(_start), init = __pa_symbol(__init_begin);
	phys_addr_t init_end = __pa_symbol(__init_end), ro_end = __pa_symbol(_erodata);

	if (!overlaps(l->pa, l->size, ro, init - ro) &&
	    !overlaps(l->pa, l->size, init_end, ro_end - init_end))
		return false;
	if (l->prot & _PAGE_W)
		return true;
	return (l->prot & _PAGE_X) && !in(l->va, (unsigned long)_start, (unsigned long)_etext);
}

static const char *leaf_problem(const struct pt_leaf *l)
{
	if ((l->prot & (_PAGE_W | _PAGE_X)) == (_PAGE_W | _PAGE_X))
		return "writable and executable";
	if (l->prot & _PAGE_U)
		return "user-accessible (U bit)";
	if (!area_of(l->va) || !area_of(l->va + l->size - 1))
		return "outside the areas of the layout";
	if (!pa_owned(l))
		return "maps memory that is neither owned RAM, known MMIO nor a plugged device";
	if (bad_image_alias(l))
		return "writable or executable alias of kernel text/rodata";
	if (mhp_range_unplugged(l->pa, l->size))
		return "maps memory unplugged at a virtio-mem device";
	return NULL;
}

static int audit_leaf(const struct pt_leaf *l, void *arg)
{
	struct ptdump_violation *v = arg;
	const char *why = leaf_problem(l);

	if (!why)
		return 0;
	*v = (struct ptdump_violation){ l->va, l->pa, l->size, l->prot, why };
	return 1;
}

int ptdump_audit(struct ptdump_violation *v)
{
	return walk_kernel(audit_leaf, v);
}

static void format_prot(char *s, unsigned long prot)
{
	static const char bits[] = "rwxugad";

	for (int i = 0; i < 7; i++)
		s[i] = prot & (_PAGE_R << i) ? bits[i] : '-';
	s[7] = 0;
}

void ptdump_check(void)
{
	struct ptdump_violation v;
	char attrs[8];

	if (!ptdump_audit(&v))
		return;
	format_prot(attrs, v.prot);
	panic("page-table audit: va 0x%016lx pa 0x%llx size 0x%lx %s: %s", v.va,
	      (unsigned long long)v.pa, v.size, attrs, v.why);
}

/* ---- rvmm.ptdump ---- */

struct dump_state {
	struct pt_leaf cur;	/* the range being merged; size 0 = none */
	const char *area;
	unsigned long ranges;
};

static const char *const level_names[] = { "pte", "pmd", "pud", "p4d", "pgd" };

static void print_size(char *s, size_t n, unsigned long size)
{
	if (!(size & ((1UL << 30) - 1)))
		snprintf(s, n, "%luG", size >> 30);
	else if (!(size & ((1UL << 20) - 1)))
		snprintf(s, n, "%luM", size >> 20);
	else
		snprintf(s, n, "%luK", size >> 10);
}

static void flush_range(struct dump_state *d)
{
	char attrs[8], size[24];

	if (!d->cur.size)
		return;
	format_prot(attrs, d->cur.prot);
	print_size(size, sizeof(size), d->cur.size);
	printk("rvmm: ptdump: 0x%016lx-0x%016lx 0x%010llx %7s %s %s %s\n", d->cur.va,
	       d->cur.va + d->cur.size, (unsigned long long)d->cur.pa, size,
	       level_names[d->cur.level], attrs, d->area ? d->area : "?");
	d->ranges++;
	d->cur.size = 0;
}

static int dump_leaf(const struct pt_leaf *l, void *arg)
{
	struct dump_state *d = arg;
	const char *area = area_of(l->va);

	if (d->cur.size && l->va == d->cur.va + d->cur.size && l->pa == d->cur.pa + d->cur.size &&
	    l->prot == d->cur.prot && l->level == d->cur.level && area == d->area) {
		d->cur.size += l->size;
		return 0;
	}
	flush_range(d);
	d->cur = *l;
	d->area = area;
	return 0;
}

void ptdump_print(void)
{
	struct dump_state d = { 0 };

	printk("rvmm: ptdump: kernel page tables, Sv%d (va first-end, pa, size, leaf, attributes, area)\n",
	       kl.va_bits);
	walk_kernel(dump_leaf, &d);
	flush_range(&d);
	printk("rvmm: ptdump: %lu ranges\n", d.ranges);
}

/*
 * Serve mode, after hot-add or hot-remove: the dump if asked for, and the
 * audit with it, with rvmm.verify=full or in a debug build (the e2e
 * scenario boots rvmm.ptdump, its 128 MiB-block device rvmm.verify=full).
 */
void ptdump_after_change(void)
{
	bool audit = IS_ENABLED_DEBUG || boot_params.ptdump || verify_full;

	if (boot_params.ptdump)
		ptdump_print();
	if (audit)
		ptdump_check();
}

/* The self-test harness audits after every case (lib/ktest.c). */
void ktest_audit(void)
{
	ptdump_check();
}
