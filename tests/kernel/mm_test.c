// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the MMU and the memory model on the live kernel: leaf
 * sizes, splitting, table freeing, W^X, the linear map, the memmap and the
 * buddy. Every suite here is leak-checked: free pages and page-table pages
 * must be equal before and after each case.
 */
#include <string.h>
#include <libfdt.h>
#include <asm/csr.h>
#include <asm/page.h>
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/sections.h>
#include <rvmm/boot.h>
#include <rvmm/fault-inject.h>
#include <rvmm/ktest.h>
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/ptdump.h>
#include <rvmm/trap.h>
#include <rvmm/virtio.h>
#include "../../drivers/virtio/virtio_mem.h"


/* A window of kernel VA used by nothing else: far into the ioremap area. */
static unsigned long test_va(void)
{
	return ALIGN(kl.ioremap_start, PUD_SIZE) + 16 * PUD_SIZE;
}

static void mm_satp_mode_matches(struct ktest *t)
{
	unsigned long mode = csr_read(satp) >> SATP_MODE_SHIFT;

	KEXPECT_EQ(t, mode, SATP_MODE_SV39 + (kl.va_bits - 39) / 9);
	KEXPECT_EQ(t, kl.levels, (kl.va_bits - 12) / 9);
}

static void mm_best_map_size(struct ktest *t)
{
	KEXPECT_EQ(t, best_map_size(PUD_SIZE, PUD_SIZE, PUD_SIZE), PUD_SIZE);
	KEXPECT_EQ(t, best_map_size(PUD_SIZE, PUD_SIZE, PUD_SIZE - 1), PMD_SIZE);
	KEXPECT_EQ(t, best_map_size(PUD_SIZE + PMD_SIZE, PUD_SIZE, PUD_SIZE), PMD_SIZE);
	KEXPECT_EQ(t, best_map_size(PMD_SIZE, PMD_SIZE + PAGE_SIZE, PMD_SIZE), PAGE_SIZE);
	KEXPECT_EQ(t, best_map_size(0, 0, PAGE_SIZE), PAGE_SIZE);
}

/* A 2 MiB leaf over a real buddy block: aliases see the same bytes. */
static void mm_pmd_leaf_alias(struct ktest *t)
{
	struct page *p = alloc_pages(GFP_KERNEL, 9);
	unsigned long va = test_va(), v = 0;
	int level;

	KASSERT_TRUE(t, p);
	KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, page_to_phys(p), PMD_SIZE,
					 PAGE_KERNEL), 0);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + 0x1234, &level, NULL),
		   page_to_phys(p) + 0x1234);
	KEXPECT_EQ(t, level, PMD_LEVEL);
	*(volatile unsigned long *)(va + 0x1000) = 0xfeedface;
	KEXPECT_EQ(t, *(unsigned long *)((char *)page_address(p) + 0x1000), 0xfeedface);
	KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, PMD_SIZE), 0);
	KEXPECT_EQ(t, probe_read(va + 0x1000, &v), -EFAULT);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va, NULL, NULL), WALK_NONE);
	free_pages(p, 9);
}

/* A 1 GiB leaf, read-only, over the GiB that holds the kernel. */
static void mm_pud_leaf_ro(struct ktest *t)
{
	phys_addr_t pa = ALIGN_DOWN(kl.kernel_pa, PUD_SIZE);
	unsigned long va = test_va(), off = kl.kernel_pa - pa, v = 0;
	pgprot_t prot;
	int level;

	KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, pa, PUD_SIZE, PAGE_KERNEL_RO), 0);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + off, &level, &prot), kl.kernel_pa);
	KEXPECT_EQ(t, level, PUD_LEVEL);
	KEXPECT_EQ(t, prot.prot & (_PAGE_W | _PAGE_X | _PAGE_U), 0);
	KEXPECT_EQ(t, probe_read(va + off, &v), 0);
	KEXPECT_EQ(t, v, *(unsigned long *)_start);
	KEXPECT_EQ(t, probe_write(va + off + PAGE_SIZE * 64, 1), -EFAULT);
	KEXPECT_EQ(t, last_fixup_cause, EXC_STORE_PAGE_FAULT);
	KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, PUD_SIZE), 0);
}

/* Cutting a hole in a 2 MiB leaf splits it into 4 KiB leaves, nothing more. */
static void mm_partial_remove_splits(struct ktest *t)
{
	struct page *p = alloc_pages(GFP_KERNEL, 9);
	unsigned long va = test_va(), v;
	unsigned long pt0 = nr_pt_pages;
	int level;

	KASSERT_TRUE(t, p);
	KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, page_to_phys(p), PMD_SIZE,
					 PAGE_KERNEL), 0);
	KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	KEXPECT_EQ(t, probe_read(va + 5 * PAGE_SIZE, &v), -EFAULT);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + 4 * PAGE_SIZE, &level, NULL),
		   page_to_phys(p) + 4 * PAGE_SIZE);
	KEXPECT_EQ(t, level, PTE_LEVEL);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va + PMD_SIZE - PAGE_SIZE, &level, NULL),
		   page_to_phys(p) + PMD_SIZE - PAGE_SIZE);
	KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, PMD_SIZE), 0);
	KEXPECT_EQ(t, nr_pt_pages, pt0);
	free_pages(p, 9);
}

/*
 * A removal cutting a 1 GiB leaf at two 4 KiB boundaries needs three
 * tables (the GiB's, then one per cut 2 MiB). Failing any of them leaves
 * the 1 GiB leaf exactly as it was: no table kept, no page lost.
 */
static void mm_remove_fault_injection(struct ktest *t)
{
	phys_addr_t pa = ALIGN_DOWN(kl.kernel_pa, PUD_SIZE);
	unsigned long va = test_va(), cut = va + PMD_SIZE + 5 * PAGE_SIZE;
	unsigned long len = 2 * PMD_SIZE + 2 * PAGE_SIZE, v = 0;
	unsigned long free = nr_free_pages(), pt = nr_pt_pages;
	int ret = -ENOMEM, level = -1, n;

	KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, pa, PUD_SIZE, PAGE_KERNEL_RO), 0);
	for (n = 1; ret == -ENOMEM && n < 16; n++) {
		fail_alloc_nth = n;
		ret = remove_pgd_mapping(swapper_pg_dir, cut, len);
		fail_alloc_nth = 0;
		if (ret == -ENOMEM) {
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, cut, &level, NULL), pa + (cut - va));
			KEXPECT_EQ(t, level, PUD_LEVEL);
			KEXPECT_EQ(t, nr_pt_pages, pt);
			KEXPECT_EQ(t, nr_free_pages(), free);
			KEXPECT_EQ(t, probe_read(cut + len - 8, &v), 0);
		}
	}
	KEXPECT_EQ(t, ret, 0);
	KEXPECT_EQ(t, n, 5);	/* failed at 1, 2 and 3; done at 4 */
	KEXPECT_EQ(t, nr_pt_pages, pt + 3);
	KEXPECT_EQ(t, probe_read(cut, &v), -EFAULT);
	KEXPECT_EQ(t, probe_read(cut + len - 8, &v), -EFAULT);
	KEXPECT_EQ(t, probe_read(cut - 8, &v), 0);
	KEXPECT_EQ(t, probe_read(cut + len, &v), 0);
	KEXPECT_EQ(t, remove_pgd_mapping(swapper_pg_dir, va, PUD_SIZE), 0);
	KEXPECT_EQ(t, nr_pt_pages, pt);
}

/* Mapping over an existing leaf fails and changes nothing. */
static void mm_overlap_eexist(struct ktest *t)
{
	struct page *p = alloc_pages(GFP_KERNEL, 0);
	unsigned long va = test_va(), pt;

	KASSERT_TRUE(t, p);
	KASSERT_EQ(t, create_pgd_mapping(swapper_pg_dir, va + PAGE_SIZE, page_to_phys(p),
					 PAGE_SIZE, PAGE_KERNEL), 0);
	pt = nr_pt_pages;
	KEXPECT_EQ(t, create_pgd_mapping(swapper_pg_dir, va, page_to_phys(p) & ~(PMD_SIZE - 1),
					 PMD_SIZE, PAGE_KERNEL), -EEXIST);
	KEXPECT_EQ(t, nr_pt_pages, pt);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va, NULL, NULL), WALK_NONE);
	remove_pgd_mapping(swapper_pg_dir, va + PAGE_SIZE, PAGE_SIZE);
	free_pages(p, 0);
}

/* An allocation failure at every step of a mapping leaves nothing behind. */
static void mm_create_fault_injection(struct ktest *t)
{
	struct page *p = alloc_pages(GFP_KERNEL, 9);
	unsigned long va = test_va() + 3 * PUD_SIZE + PAGE_SIZE;
	int ret = -ENOMEM, n;

	KASSERT_TRUE(t, p);
	for (n = 1; ret == -ENOMEM && n < 64; n++) {
		unsigned long free = nr_free_pages(), pt = nr_pt_pages;

		fail_alloc_nth = n;
		ret = create_pgd_mapping(swapper_pg_dir, va, page_to_phys(p) + PAGE_SIZE,
					 PMD_SIZE, PAGE_KERNEL);
		fail_alloc_nth = 0;
		if (ret == -ENOMEM) {
			KEXPECT_EQ(t, nr_free_pages(), free);
			KEXPECT_EQ(t, nr_pt_pages, pt);
			KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va, NULL, NULL), WALK_NONE);
		}
	}
	KEXPECT_EQ(t, ret, 0);
	KEXPECT_GE(t, n, 3);	/* at least two tables were needed */
	remove_pgd_mapping(swapper_pg_dir, va, PMD_SIZE);
	free_pages(p, 9);
}

static void mm_wx_text_not_writable(struct ktest *t)
{
	KEXPECT_EQ(t, probe_write((unsigned long)mm_wx_text_not_writable, 0), -EFAULT);
	KEXPECT_EQ(t, last_fixup_cause, EXC_STORE_PAGE_FAULT);
	KEXPECT_EQ(t, probe_write((unsigned long)_srodata, 0), -EFAULT);
}

static u32 data_ret_insn = 0x00008067;	/* jalr x0, 0(ra) */

static void mm_wx_data_not_executable(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	u32 *code;

	KASSERT_TRUE(t, p);
	code = page_address(p);
	*code = 0x00008067;
	__asm__ __volatile__("fence.i" ::: "memory");
	probe_exec_arm(true);
	KEXPECT_EQ(t, probe_exec((unsigned long)code), -EFAULT);
	KEXPECT_EQ(t, last_fixup_cause, EXC_INST_PAGE_FAULT);
	KEXPECT_EQ(t, probe_exec((unsigned long)&data_ret_insn), -EFAULT);
	probe_exec_arm(false);
	free_page(p);
}

static void mm_text_is_executable(struct ktest *t)
{
	int level;
	pgprot_t prot;

	KEXPECT_NE(t, walk_pgd(swapper_pg_dir, (unsigned long)mm_text_is_executable,
			       &level, &prot), WALK_NONE);
	KEXPECT_EQ(t, prot.prot & (_PAGE_X | _PAGE_W), _PAGE_X);
}

/* The linear map's alias of @sym (a kernel-image address). */
static unsigned long image_alias(const void *sym)
{
	return lm_va(__pa_symbol(sym));
}

/* A write of the word already there: harmless should the probe succeed. */
static int probe_rewrite(unsigned long va)
{
	unsigned long v;

	if (probe_read(va, &v))
		return -EFAULT;
	return probe_write(va, v);
}

static void mm_alias_text_rodata_not_writable(struct ktest *t)
{
	unsigned long text = image_alias(mm_alias_text_rodata_not_writable);

	KEXPECT_EQ(t, probe_rewrite(text & ~7UL), -EFAULT);
	KEXPECT_EQ(t, last_fixup_cause, EXC_STORE_PAGE_FAULT);
	KEXPECT_EQ(t, probe_rewrite(image_alias(_srodata)), -EFAULT);
	KEXPECT_EQ(t, probe_rewrite(image_alias(_erodata) - 8), -EFAULT);
	/* Data right after rodata is ordinary RW memory in the alias too. */
	KEXPECT_EQ(t, probe_rewrite(image_alias(_sdata)), 0);
}

static void __attribute__((noinline, aligned(4))) alias_ret(void)
{
	__asm__ __volatile__("");
}

static void mm_alias_text_not_executable(struct ktest *t)
{
	pgprot_t prot;

	probe_exec_arm(true);
	KEXPECT_EQ(t, probe_exec(image_alias(alias_ret)), -EFAULT);
	KEXPECT_EQ(t, last_fixup_cause, EXC_INST_PAGE_FAULT);
	probe_exec_arm(false);
	KEXPECT_NE(t, walk_pgd(swapper_pg_dir, image_alias(alias_ret), NULL, &prot), WALK_NONE);
	KEXPECT_EQ(t, prot.prot & (_PAGE_W | _PAGE_X | _PAGE_U), 0);
}

/* Freed init memory is buddy memory: its alias is writable again. */
static void mm_alias_init_rw(struct ktest *t)
{
	pgprot_t prot;

	if ((unsigned long)__init_end == (unsigned long)__init_begin) {
		ktest_skip(t, "no init text");
		return;
	}
	KASSERT_NE(t, walk_pgd(swapper_pg_dir, image_alias(__init_begin), NULL, &prot),
		   WALK_NONE);
	KEXPECT_EQ(t, prot.prot & (_PAGE_R | _PAGE_W | _PAGE_X), _PAGE_R | _PAGE_W);
	KEXPECT_EQ(t, probe_rewrite(image_alias(__init_begin)), 0);
	KEXPECT_EQ(t, probe_rewrite(image_alias(__init_begin) - 8), -EFAULT);
}

/* Hot-add and hot-remove refuse the image's pages: the alias stays as it is. */
static void mm_alias_hotplug_refused(struct ktest *t)
{
	phys_addr_t pa = ALIGN_DOWN(kl.kernel_pa, SECTION_SIZE);
	pgprot_t prot;

	KEXPECT_EQ(t, arch_remove_memory(kl.kernel_pa, PAGE_SIZE), -EPERM);
	KEXPECT_EQ(t, arch_add_memory(0, pa, SECTION_SIZE), -EPERM);
	KEXPECT_NE(t, add_memory(0, pa, SECTION_SIZE, 0), 0);
	KEXPECT_NE(t, walk_pgd(swapper_pg_dir, image_alias(_start), NULL, &prot), WALK_NONE);
	KEXPECT_EQ(t, prot.prot & (_PAGE_W | _PAGE_X), 0);
}

/* Map one page at a spare VA, run the audit, unmap: what did it say? */
static const char *audit_of(unsigned long va, phys_addr_t pa, pgprot_t prot)
{
	struct ptdump_violation v = { 0 };

	if (create_pgd_mapping(swapper_pg_dir, va, pa, PAGE_SIZE, prot))
		return "mapping failed";
	if (!ptdump_audit(&v))
		v.why = NULL;
	remove_pgd_mapping(swapper_pg_dir, va, PAGE_SIZE);
	return v.va == va && v.pa == pa ? v.why : v.why ? "another leaf" : NULL;
}

/* The audit finds nothing on the live tables, and each kind of violation. */
/* A page neither RAM, present in the memmap, nor known MMIO, or ~0. */
static phys_addr_t unowned_pa(void)
{
	for (phys_addr_t pa = 0; pa < linear_map_limit(); pa += SZ_1G / 2)
		if (!memblock_is_memory(pa) && !pfn_valid(PHYS_PFN(pa)) &&
		    !iomem_overlaps(pa, PAGE_SIZE))
			return pa;
	return ~(phys_addr_t)0;
}

static void mm_audit_finds_violations(struct ktest *t)
{
	struct ptdump_violation v;
	phys_addr_t ram, none = unowned_pa();
	const char *why;
	struct page *p;

	KASSERT_TRUE(t, none != ~(phys_addr_t)0);
	p = alloc_page(GFP_KERNEL);
	KASSERT_TRUE(t, p);
	ram = page_to_phys(p);
	KEXPECT_EQ(t, ptdump_audit(&v), 0);
	KEXPECT_TRUE(t, audit_of(test_va(), ram, PAGE_KERNEL) == NULL);
	why = audit_of(test_va(), ram, (pgprot_t){ PAGE_KERNEL.prot | _PAGE_X });
	KEXPECT_TRUE(t, why && strstr(why, "writable and executable"));
	why = audit_of(test_va(), ram, (pgprot_t){ PAGE_KERNEL_RO.prot | _PAGE_U });
	KEXPECT_TRUE(t, why && strstr(why, "U bit"));
	why = audit_of(test_va(), none, PAGE_KERNEL_RO);
	KEXPECT_TRUE(t, why && strstr(why, "neither owned RAM"));
	why = audit_of(test_va(), __pa_symbol(_srodata), PAGE_KERNEL);
	KEXPECT_TRUE(t, why && strstr(why, "alias of kernel text/rodata"));
	why = audit_of(test_va(), __pa_symbol(_start), PAGE_KERNEL_RX);
	KEXPECT_TRUE(t, why && strstr(why, "alias of kernel text/rodata"));
	free_page(p);
}

/* An unplugged block of a virtio-mem device in a hot-added section, or 0. */
static phys_addr_t unplugged_block_in_added_section(void)
{
	struct virtio_mem_info vi;

	for (unsigned int d = 0; virtio_mem_get_info(d, &vi); d++)
		for (unsigned long b = 0; b < vi.nr_blocks; b++) {
			phys_addr_t pa = vi.cfg.addr + b * vi.cfg.block_size;

			if (!virtio_mem_block_plugged(d, b) && pfn_valid(PHYS_PFN(pa)))
				return pa;
		}
	return 0;
}

/* Mapping (not touching) a block the device has unplugged is a violation. */
static void mm_audit_finds_unplugged_mapping(struct ktest *t)
{
	phys_addr_t pa = unplugged_block_in_added_section();
	const char *why;

	if (!pa) {
		ktest_skip(t, "no unplugged virtio-mem block in a hot-added section");
		return;
	}
	why = audit_of(test_va(), pa, PAGE_KERNEL_RO);
	KEXPECT_TRUE(t, why && strstr(why, "unplugged at a virtio-mem device"));
}

/* Init text is gone after boot: what hotplug runs cannot live there. */
static void mm_init_text_freed(struct ktest *t)
{
	unsigned long v;

	if ((unsigned long)__init_end == (unsigned long)__init_begin) {
		ktest_skip(t, "no init text");
		return;
	}
	KEXPECT_EQ(t, probe_read((unsigned long)__init_begin, &v), -EFAULT);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, (unsigned long)__init_begin, NULL, NULL),
		   WALK_NONE);
}

/*
 * The largest leaf inside @r around @pa that does not hold a page of the
 * kernel image: the image's alias is split below the leaves it shares
 * (a 1 GiB leaf holding it becomes 2 MiB leaves, the 2 MiB ones holding it
 * 4 KiB pages), which shows when firmware leaves RAM from a 1 GiB boundary.
 */
static int expected_level(phys_addr_t pa, const struct memblock_region *r)
{
	for (int l = PUD_LEVEL; l > PTE_LEVEL; l--) {
		phys_addr_t b = ALIGN_DOWN(pa, PT_LEVEL_SIZE(l));

		if (b >= r->base && b + PT_LEVEL_SIZE(l) <= r->base + r->size &&
		    !overlaps_kernel_image(b, PT_LEVEL_SIZE(l)))
			return l;
	}
	return PTE_LEVEL;
}

/*
 * The linear map covers every usable region with the largest leaves that
 * fit (regions are mapped separately, so a leaf never spans two), is RW
 * and never executable; no-map regions are absent.
 */
/* The device tree's window maps the blob's pages and nothing else. */
static void mm_dtb_mapped_alone(struct ktest *t)
{
	unsigned long blob = (unsigned long)initial_boot_params;
	unsigned long first = ALIGN_DOWN(blob, PAGE_SIZE);
	unsigned long end = ALIGN(blob + fdt_totalsize(initial_boot_params), PAGE_SIZE);
	unsigned long mapped = 0, stray = 0;

	for (unsigned long va = FIXMAP_FDT; va < FIXMAP_FDT + FIXMAP_FDT_SIZE; va += PAGE_SIZE) {
		int level = -1;
		bool want = va >= first && va < end;
		bool is = walk_pgd(swapper_pg_dir, va, &level, NULL) != WALK_NONE;

		mapped += want && is;
		stray += is && !want;
	}
	KEXPECT_EQ(t, mapped, (end - first) / PAGE_SIZE);
	KEXPECT_EQ(t, stray, 0);
}

static void mm_linear_map_leaves(struct ktest *t)
{
	struct memblock_region *r;

	for_each_mem_region(r) {
		for (phys_addr_t pa = r->base; pa < r->base + r->size; pa += PMD_SIZE / 2) {
			pgprot_t prot;
			int level;
			phys_addr_t got = walk_pgd(swapper_pg_dir, lm_va(pa), &level, &prot);

			if (r->flags & MEMBLOCK_NOMAP) {
				unsigned long v;

				KEXPECT_EQ(t, got, WALK_NONE);
				KEXPECT_EQ(t, probe_read(lm_va(pa), &v), -EFAULT);
				continue;
			}
			KEXPECT_EQ(t, got, pa);
			/* The image's alias is split where its permissions change. */
			if (!overlaps_kernel_image(pa, PAGE_SIZE))
				KEXPECT_EQ(t, level, expected_level(pa, r));
			KEXPECT_EQ(t, prot.prot & (_PAGE_X | _PAGE_U), 0);
			if (t->failed)
				return;
		}
	}
}

static void mm_page_arithmetic(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	void *va;

	KASSERT_TRUE(t, p);
	va = page_address(p);
	KEXPECT_TRUE(t, virt_to_page(va) == p);
	KEXPECT_TRUE(t, pfn_to_page(page_to_pfn(p)) == p);
	KEXPECT_EQ(t, (unsigned long)p - kl.vmemmap_start, page_to_pfn(p) * 64);
	KEXPECT_TRUE(t, pfn_valid(page_to_pfn(p)));
	KEXPECT_EQ(t, __pa(va), page_to_phys(p));
	free_page(p);
}

/* Boot memmap: one PMD leaf per section, no PTE tables. */
static void mm_vmemmap_pmd_leaves(struct ktest *t)
{
	struct memblock_region *r;

	for_each_mem_region(r) {
		for (phys_addr_t pa = ALIGN_DOWN(r->base, SECTION_SIZE); pa < r->base + r->size;
		     pa += SECTION_SIZE) {
			int level = -1;
			unsigned long va = (unsigned long)pfn_to_page(PHYS_PFN(pa));

			KEXPECT_NE(t, walk_pgd(swapper_pg_dir, va, &level, NULL), WALK_NONE);
			KEXPECT_EQ(t, level, PMD_LEVEL);
			KEXPECT_TRUE(t, pfn_valid(PHYS_PFN(pa)));
		}
	}
	KEXPECT_GE(t, vmemmap_stats.pmd_leaves, nr_present_sections());
}

/*
 * A section above boot RAM that has no memmap yet: not present, and no
 * vmemmap mapping (a virtio-mem device may have plugged memory there).
 */
static phys_addr_t free_section_above_ram(void)
{
	phys_addr_t pa = ALIGN(memblock_end_of_DRAM(), SECTION_SIZE);

	for (int i = 0; i < 256; i++, pa += SECTION_SIZE) {
		unsigned long va = (unsigned long)pfn_to_page(PHYS_PFN(pa));

		if (!pfn_valid(PHYS_PFN(pa)) &&
		    walk_pgd(swapper_pg_dir, va, NULL, NULL) == WALK_NONE)
			return pa;
	}
	return 0;
}

/* A memmap placed on another node than its memory is reported. */
static void mm_vmemmap_verify_offnode(struct ktest *t)
{
	static char log[256];
	phys_addr_t pa = free_section_above_ram();
	unsigned long va = (unsigned long)pfn_to_page(PHYS_PFN(pa));

	KASSERT_NE(t, pa, 0);
	printk_capture(log, sizeof(log));
	KEXPECT_EQ(t, vmemmap_populate(va, va + PMD_SIZE, 0, NULL), 0);
	printk_capture(NULL, 0);
	KEXPECT_TRUE(t, strstr(log, "offnode") == NULL);
	KEXPECT_NE(t, walk_pgd(swapper_pg_dir, va, NULL, NULL), WALK_NONE);
	vmemmap_free(va, va + PMD_SIZE, NULL);
	KEXPECT_EQ(t, walk_pgd(swapper_pg_dir, va, NULL, NULL), WALK_NONE);
	printk_capture(log, sizeof(log));
	KEXPECT_EQ(t, vmemmap_populate(va, va + PMD_SIZE, 1, NULL), 0);	/* node 1 */
	printk_capture(NULL, 0);
	KEXPECT_TRUE(t, strstr(log, "potential offnode page_structs (node 0, want 1)") != NULL);
	vmemmap_free(va, va + PMD_SIZE, NULL);
}

static void mm_buddy_orders(struct ktest *t)
{
	unsigned long free = nr_free_pages();

	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		struct page *p = alloc_pages(GFP_KERNEL, o);

		KASSERT_TRUE(t, p);
		KEXPECT_EQ(t, page_to_pfn(p) & ((1UL << o) - 1), 0);
		KEXPECT_EQ(t, nr_free_pages(), free - (1UL << o));
		memset(page_address(p), 0x5a, PAGE_SIZE << o);
		free_pages(p, o);
		KEXPECT_EQ(t, nr_free_pages(), free);
	}
	KEXPECT_TRUE(t, alloc_pages(GFP_KERNEL, MAX_ORDER + 1) == NULL);
}

/* Splitting and merging: 512 order-0 pages come back as order-9 blocks. */
static void mm_buddy_coalesce(struct ktest *t)
{
	static struct page *pages[512];
	unsigned long before[NR_ORDERS];

	for (int o = 0; o < NR_ORDERS; o++)
		before[o] = zones[ZONE_NORMAL].nr_free_area[o];
	for (int i = 0; i < 512; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KASSERT_TRUE(t, pages[i]);
	}
	for (int i = 0; i < 512; i += 2)
		free_page(pages[i]);
	for (int i = 1; i < 512; i += 2)
		free_page(pages[i]);
	for (int o = 0; o < NR_ORDERS; o++)
		KEXPECT_EQ(t, zones[ZONE_NORMAL].nr_free_area[o], before[o]);
}

static void mm_buddy_double_free_refused(struct ktest *t)
{
	static char warning[160];
	struct page *p = alloc_page(GFP_KERNEL);
	unsigned long free;

	KASSERT_TRUE(t, p);
	free_page(p);
	free = nr_free_pages();
	printk_capture(warning, sizeof(warning));
	free_page(p);		/* refused with a warning, not corrupting */
	printk_capture(NULL, 0);
	KEXPECT_EQ(t, nr_free_pages(), free);
	KEXPECT_TRUE(t, strstr(warning, "double free") != NULL);
}

static void mm_unmovable_never_movable(struct ktest *t)
{
	for (int i = 0; i < 256; i++) {
		struct page *p = alloc_page(GFP_KERNEL);

		KASSERT_TRUE(t, p);
		KEXPECT_EQ(t, page_zone(p), ZONE_NORMAL);
		free_page(p);
	}
}

/* @len bytes at @p all equal @c. */
static bool bytes_are(const u8 *p, unsigned long len, u8 c)
{
	for (unsigned long i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

/*
 * Both ways of zeroing (cbo.zero where the DT offers Zicboz, the store
 * loop elsewhere) clear exactly the pages asked for, nothing around them.
 */
static void mm_clear_pages_exact(struct ktest *t)
{
	struct page *pg = alloc_pages(GFP_KERNEL, 2);
	u8 *p;

	KASSERT_TRUE(t, pg != NULL);
	p = page_address(pg);
	for (int way = 0; way < 2; way++) {
		memset(p, 0xa5, 4 * PAGE_SIZE);
		if (way)
			clear_pages_stores((unsigned long)p + PAGE_SIZE,
					   (unsigned long)p + 3 * PAGE_SIZE);
		else
			clear_pages(p + PAGE_SIZE, 2 * PAGE_SIZE);
		KEXPECT_TRUE(t, bytes_are(p, PAGE_SIZE, 0xa5));
		KEXPECT_TRUE(t, bytes_are(p + PAGE_SIZE, 2 * PAGE_SIZE, 0));
		KEXPECT_TRUE(t, bytes_are(p + 3 * PAGE_SIZE, PAGE_SIZE, 0xa5));
	}
	free_pages(pg, 2);
}

KTEST_SUITE(mm, true,
	KTEST_CASE(mm_satp_mode_matches),
	KTEST_CASE(mm_best_map_size),
	KTEST_CASE(mm_clear_pages_exact),
	KTEST_CASE(mm_pmd_leaf_alias),
	KTEST_CASE(mm_pud_leaf_ro),
	KTEST_CASE(mm_partial_remove_splits),
	KTEST_CASE(mm_overlap_eexist),
	KTEST_CASE(mm_create_fault_injection),
	KTEST_CASE(mm_remove_fault_injection),
	KTEST_CASE(mm_wx_text_not_writable),
	KTEST_CASE(mm_wx_data_not_executable),
	KTEST_CASE(mm_text_is_executable),
	KTEST_CASE(mm_init_text_freed),
	KTEST_CASE(mm_alias_text_rodata_not_writable),
	KTEST_CASE(mm_alias_text_not_executable),
	KTEST_CASE(mm_alias_init_rw),
	KTEST_CASE(mm_alias_hotplug_refused),
	KTEST_CASE(mm_audit_finds_violations),
	KTEST_CASE(mm_audit_finds_unplugged_mapping),
	KTEST_CASE(mm_dtb_mapped_alone),
	KTEST_CASE(mm_linear_map_leaves),
	KTEST_CASE(mm_page_arithmetic),
	KTEST_CASE(mm_vmemmap_pmd_leaves),
	KTEST_CASE(mm_vmemmap_verify_offnode),
	KTEST_CASE(mm_buddy_orders),
	KTEST_CASE(mm_buddy_coalesce),
	KTEST_CASE(mm_buddy_double_free_refused),
	KTEST_CASE(mm_unmovable_never_movable));
