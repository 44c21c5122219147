// SPDX-License-Identifier: GPL-2.0
/*
 * Paging bring-up: probe the mode, build the early table (MMU off), then
 * the final kernel table with a W^X kernel image and a linear map of all
 * RAM. setup_vm() (MMU off) builds its table from a static pool of its
 * own, addressed physically; from paging_init() on, page-table pages come
 * through pt_ops (asm/pgalloc.h), switched at named phases.
 */
#include <string.h>
#include <libfdt.h>
#include <asm/csr.h>
#include <asm/fdt_early.h>
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/sbi.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <asm/tlbflush.h>
#include <rvmm/dt.h>
#include <rvmm/init.h>
#include <rvmm/memblock.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/spinlock.h>


/* ---- early phase: MMU off, nothing absolute ---- */

#define EARLY_PT_PAGES	16
static pte_t early_pt[EARLY_PT_PAGES][PTRS_PER_PT] __aligned(PAGE_SIZE);
static int early_pt_used;

static pte_t *__init early_alloc(void)
{
	if (early_pt_used == EARLY_PT_PAGES)
		return NULL;
	return early_pt[early_pt_used++];
}

/* Map one 2 MiB leaf; tables are addressed by their physical address. */
static int __init early_map_2m(pte_t *root, int levels, unsigned long va,
			       phys_addr_t pa)
{
	pte_t *t = root;

	for (int l = levels - 1; l > PMD_LEVEL; l--) {
		pte_t *e = &t[PT_INDEX(va, l)];

		if (pte_none(*e)) {
			pte_t *n = early_alloc();

			if (!n)
				return -ENOMEM;
			*e = pfn_pte((unsigned long)n >> PAGE_SHIFT, PAGE_TABLE);
		}
		t = (pte_t *)(pte_pfn(*e) << PAGE_SHIFT);
	}
	t[PT_INDEX(va, PMD_LEVEL)] = pfn_pte(pa >> PAGE_SHIFT, (pgprot_t){
		_PAGE_KERNEL_BASE | _PAGE_R | _PAGE_W | _PAGE_X });
	return 0;
}

static void __init early_puts(const char *s)
{
	while (*s)
		sbi_ecall(0x01, 0, *s++, 0, 0, 0);
}

/*
 * MMU off, nothing parsed: the end of run of machine_shutdown() in its
 * simplest form (SRST with reason "system failure", else halt here).
 */
static __noreturn void __init early_panic(const char *msg)
{
	early_puts(msg);
	sbi_ecall(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, SBI_SRST_REASON_FAILURE, 0, 0);
	early_puts("rvmm: halted\n");
	csr_clear(sstatus, SR_SIE);
	for (;;)
		__asm__ __volatile__("wfi");
}

/* The paging-mode cap from a DTB that passed dt_early_check(). */
static int __init early_mode_limit(phys_addr_t dtb)
{
	static char args[256] __initdata;

	dt_early_bootargs((const void *)dtb, args, sizeof(args));
	return dt_paging_limit(dt_early_mmu_limit((const void *)dtb), args);
}

/*
 * Build the early table for @va_bits: the image at KERNEL_VA, the same
 * pages identity-mapped (we are executing there when satp is written), the
 * DTB in the fixmap, and the test syscon so that any panic from here on
 * can report failure to QEMU. 2 MiB leaves, RWX: this table lives only until
 * paging_init() replaces it with the W^X one.
 */
static int __init build_early_table(int va_bits, phys_addr_t kpa, unsigned long ksize,
				    phys_addr_t dtb, phys_addr_t syscon)
{
	int levels = (va_bits - 12) / 9, ret = 0;
	pte_t *root;

	early_pt_used = 0;
	memset(early_pt, 0, sizeof(early_pt));
	root = early_alloc();
	for (unsigned long off = 0; off < ksize && !ret; off += PMD_SIZE) {
		ret = early_map_2m(root, levels, KERNEL_VA + off, kpa + off);
		if (!ret)
			ret = early_map_2m(root, levels, kpa + off, kpa + off);
	}
	for (unsigned long off = 0; off < FIXMAP_FDT_SIZE && !ret; off += PMD_SIZE)
		ret = early_map_2m(root, levels, FIXMAP_FDT + off,
				   ALIGN_DOWN(dtb, PMD_SIZE) + off);
	if (syscon && !ret)
		ret = early_map_2m(root, levels, FIXMAP_IO, ALIGN_DOWN(syscon, PMD_SIZE));
	return ret;
}

/*
 * Called from head.S with the MMU off. Tries Sv57, Sv48, Sv39 in turn (as
 * limited by the DT's mmu-type and no5lvl/no4lvl): writing an unsupported
 * mode to satp has no effect, so reading it back tells. Returns the offset
 * to add to a physical image address to get its virtual one.
 */
unsigned long __init setup_vm(unsigned long hartid, phys_addr_t dtb)
{
	static const int modes[] = { 57, 48, 39 };
	phys_addr_t kpa = (phys_addr_t)_start;
	unsigned long ksize = ALIGN((unsigned long)(_end - _start), PMD_SIZE);
	phys_addr_t syscon = 0;
	int limit;

	(void)hartid;
	if (!IS_ALIGNED(kpa, PMD_SIZE)) {
		early_panic("rvmm: PANIC: kernel not loaded at a 2 MiB-aligned address\n");
	}
	/* A broken DTB: no cap, no syscon; start_kernel reports it. */
	limit = 57;
	if (!dt_early_check((const void *)dtb, FIXMAP_FDT_SIZE / 2)) {
		limit = early_mode_limit(dtb);
		syscon = dt_early_test_syscon((const void *)dtb);
	}
	for (unsigned int i = 0; i < 3; i++) {
		int vb = modes[i];
		unsigned long satp;

		if (vb > limit || build_early_table(vb, kpa, ksize, dtb, syscon))
			continue;
		satp = (SATP_MODE_SV39 + (2 - i)) << SATP_MODE_SHIFT |
		       ((unsigned long)early_pt[0] >> PAGE_SHIFT);
		local_flush_tlb_all();
		csr_write(satp, satp);
		if (csr_read(satp) >> SATP_MODE_SHIFT == satp >> SATP_MODE_SHIFT) {
			local_flush_tlb_all();
			layout_init(vb);
			kl.kernel_pa = kpa;
			kl.syscon_pa = syscon;
			kl.kernel_va_pa_offset = KERNEL_VA - kpa;
			return kl.kernel_va_pa_offset;
		}
	}
	early_panic("rvmm: PANIC: no supported paging mode (Sv57/Sv48/Sv39)\n");
}

/* ---- the final kernel table ---- */

/* satp for swapper_pg_dir: the boot hart in paging_init(), then every other. */
unsigned long satp_value(void)
{
	return (SATP_MODE_SV39 + (kl.levels - 3)) << SATP_MODE_SHIFT |
	       (__pa_symbol(swapper_pg_dir) >> PAGE_SHIFT);
}

static void __init map_kernel_range(char *start, char *end, pgprot_t prot)
{
	unsigned long va = (unsigned long)start;
	int ret = create_pgd_mapping(swapper_pg_dir, va, __pa_symbol(start),
				     (unsigned long)(end - start), prot);

	if (ret)
		panic("paging_init: mapping kernel 0x%lx failed (%d)", va, ret);
}

/* Kernel image W^X: text R-X, rodata R--, data and bss RW-. */
static void __init map_kernel(void)
{
	map_kernel_range(_start, _etext, PAGE_KERNEL_RX);
	map_kernel_range(_srodata, _erodata, PAGE_KERNEL_RO);
	map_kernel_range(_sdata, (char *)ALIGN((unsigned long)_end, PAGE_SIZE),
			 PAGE_KERNEL);
}

/*
 * The blob's own pages, at the address the early window gave it (dt_parse()
 * checked its size against that window). The early window's other 2 MiB
 * blocks may reach past RAM's end: they are not carried over.
 */
static void __init map_dtb(phys_addr_t dtb)
{
	const void *fdt = (const void *)(FIXMAP_FDT + (dtb & (PMD_SIZE - 1)));
	phys_addr_t pa = ALIGN_DOWN(dtb, PAGE_SIZE);
	phys_addr_t end = ALIGN(dtb + fdt_totalsize(fdt), PAGE_SIZE);

	if (create_pgd_mapping(swapper_pg_dir, FIXMAP_FDT + (pa & (PMD_SIZE - 1)), pa,
			       end - pa, PAGE_KERNEL_RO))
		panic("paging_init: cannot map the DTB");
}

void __init paging_init(phys_addr_t dtb)
{
	pt_ops_use_boot();
	swapper_pg_dir = pt_ops->virt(pt_ops->alloc());
	map_kernel();
	map_dtb(dtb);
	if (kl.syscon_pa &&
	    create_pgd_mapping(swapper_pg_dir, ALIGN_DOWN(fixmap_io_va(kl.syscon_pa), PAGE_SIZE),
			       ALIGN_DOWN(kl.syscon_pa, PAGE_SIZE), PAGE_SIZE, PAGE_KERNEL))
		panic("paging_init: cannot map the test syscon");
	map_linear();
	protect_kernel_alias();
	csr_write(satp, satp_value());
	local_flush_tlb_all();
	pt_ops_use_memblock();
}

/*
 * After boot: unmap .init.text and hand its pages to the buddy. Anything
 * still running there afterwards faults, which is how a test proves the
 * hotplug path is not boot-only.
 */
void free_initmem(void)
{
	unsigned long start = (unsigned long)__init_begin, end = (unsigned long)__init_end;

	if (end == start)
		return;
	if (kernel_alias_init_rw())
		panic("free_initmem: cannot make the alias of .init writable");
	remove_pgd_mapping(swapper_pg_dir, start, end - start);
	for (unsigned long va = start; va < end; va += PAGE_SIZE) {
		free_reserved_page(pfn_to_page(PHYS_PFN(__pa_symbol(va))));
	}
	pr_info("freed %lu KiB of init memory\n", (end - start) >> 10);
}

/* ---- ioremap: a bump allocator over the ioremap area ---- */

static unsigned long ioremap_next;
static volatile int ioremap_lock;

void *ioremap(phys_addr_t pa, unsigned long size)
{
	phys_addr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	unsigned long len = ALIGN(pa + size, PAGE_SIZE) - base, va;
	unsigned long align = len >= PMD_SIZE ? PMD_SIZE : PAGE_SIZE;
	void *ret = NULL;

	if (!size || pa + size < pa)
		return NULL;
	spin_lock(&ioremap_lock);
	if (!ioremap_next)
		ioremap_next = kl.ioremap_start;
	va = ALIGN(ioremap_next, align);
	if (va < IOREMAP_END && len <= IOREMAP_END - va &&
	    !create_pgd_mapping(swapper_pg_dir, va, base, len, PAGE_KERNEL)) {
		arch_sync_kernel_mappings(va, va + len);	/* any hart may use it */
		ioremap_next = va + len;
		ret = (void *)(va + (pa - base));
	}
	spin_unlock(&ioremap_lock);
	return ret;
}
