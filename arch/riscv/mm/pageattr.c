// SPDX-License-Identifier: GPL-2.0
/*
 * The linear map's alias of the kernel image. The linear map covers all
 * RAM read-write, the image's own pages included, so without this a write
 * through lm_va(__pa_symbol(text)) would rewrite code behind W^X's back.
 * As Linux does on riscv, the alias of text and rodata is read-only and
 * never executable; .init's alias becomes ordinary RW memory when init
 * memory is freed. Hotplug refuses the image's pages (overlaps_kernel_image),
 * so nothing maps them again with other permissions.
 */
#include <asm/pgalloc.h>
#include <asm/pgtable.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <rvmm/init.h>
#include <rvmm/printk.h>

/* Page-table pages the split around the alias cost (bench kernel_alias_pt_pages). */
unsigned long kernel_alias_pt_pages;

static unsigned long alias_of(const char *sym)
{
	return lm_va(__pa_symbol(sym));
}

void __init protect_kernel_alias(void)
{
	unsigned long before = nr_pt_pages;
	int ret;

	kl.kernel_size = ALIGN((unsigned long)(_end - _start), PMD_SIZE);
	ret = change_pgd_prot(swapper_pg_dir, alias_of(_start),
			      (unsigned long)(_erodata - _start), PAGE_KERNEL_RO);
	if (ret)
		panic("paging_init: cannot make the image's alias read-only (%d)", ret);
	kernel_alias_pt_pages = nr_pt_pages - before;
}

/* .init is about to become free RAM: its alias must be writable like any. */
int kernel_alias_init_rw(void)
{
	return change_pgd_prot(swapper_pg_dir, alias_of(__init_begin),
			       (unsigned long)(__init_end - __init_begin), PAGE_KERNEL);
}
