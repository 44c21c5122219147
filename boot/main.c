// SPDX-License-Identifier: GPL-2.0
/*
 * start_kernel: from the device tree to a running memory model, then the
 * self-tests and (optionally) serving devices. Everything before
 * free_initmem() may be __init; rest_init() and below never are.
 */
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>
#include <asm/csr.h>
#include <asm/pgalloc.h>
#include <asm/sbi.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <rvmm/boot.h>
#include <rvmm/driver.h>
#include <rvmm/init.h>
#include <rvmm/ktest.h>
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/mm.h>
#include <rvmm/page_store.h>
#include <rvmm/printk.h>
#include <rvmm/ptdump.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

/* rvmm.store's data: fixed, so that a run's checksums repeat. */
#define STORE_SEED	0x5eedUL

static phys_addr_t __init parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10;
	}
	return v;
}

static void __init parse_bootargs(const char *args)
{
	static char buf[512] __initdata;
	char *tok, *save;

	strncpy(buf, args, sizeof(buf) - 1);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (!strncmp(tok, "mem=", 4))
			boot_params.mem_limit = parse_size(tok + 4);
		else if (!strncmp(tok, "rvmm.tests=", 11))
			strncpy(boot_params.tests, tok + 11, sizeof(boot_params.tests) - 1);
		else if (!strcmp(tok, "rvmm.serve"))
			boot_params.serve = true;
		else if (!strcmp(tok, "rvmm.ptdump"))
			boot_params.ptdump = true;
		else if (!strcmp(tok, "rvmm.bench"))
			boot_params.bench = true;
		else if (!strcmp(tok, "rvmm.verify=full"))
			verify_full = true;
		else if (!strcmp(tok, "rvmm.reboot"))
			boot_params.reboot = true;
		else if (!strncmp(tok, "rvmm.crash", 10) && !crash_parse(tok + 10))
			pr_warn("%s: unknown kind, ignored\n", tok);
		else if (!strncmp(tok, "rvmm.store=", 11))
			boot_params.store_size = parse_size(tok + 11);
		else if (!strcmp(tok, "rvmm.smp=entry"))
			boot_params.smp_entry = true;
		else if (!strcmp(tok, "rvmm.online=normal"))
			boot_params.online_normal = true;
		else if (!strncmp(tok, "rvmm.hotplug_test=", 18)) {
			char *comma = strchr(tok + 18, ',');

			boot_params.hotplug_base = strtoull(tok + 18, NULL, 0);
			boot_params.hotplug_size = comma ? parse_size(comma + 1) : 0;
		}
	}
}

/* memblock's tables are fixed-size: running out of room here is fatal. */
static void __init memblock_check(int ret, const char *what, phys_addr_t base,
				  phys_addr_t size)
{
	if (ret)
		panic("memblock: cannot %s [0x%llx-0x%llx] (%d)", what,
		      (unsigned long long)base, (unsigned long long)(base + size - 1), ret);
}

/* mem=<size>: keep the first <size> bytes of RAM; the rest is hot-pluggable. */
static void __init enforce_mem_limit(void)
{
	phys_addr_t left = boot_params.mem_limit, end = memblock_end_of_DRAM();
	struct memblock_region *r;

	if (!left)
		return;
	for_each_mem_region(r) {
		if (r->size >= left) {
			phys_addr_t cut = r->base + left;

			hidden_mem_base = cut;
			hidden_mem_size = end - cut;
			memblock_check(memblock_remove(cut, end - cut), "remove (mem=)",
				       cut, end - cut);
			pr_info("mem=%lluM: RAM above 0x%llx kept out (%llu MiB)\n",
				(unsigned long long)(boot_params.mem_limit >> 20),
				(unsigned long long)cut, (unsigned long long)(hidden_mem_size >> 20));
			return;
		}
		left -= r->size;
	}
}

/*
 * One DT memory range into memblock, as Linux's early_init_dt_add_memory_arch()
 * does: whole pages only (rounded inward), and nothing beyond what the
 * paging mode can map (clipped). Each change is a warning, not a stop.
 */
static void __init add_ram_range(phys_addr_t base, phys_addr_t size)
{
	phys_addr_t last = base + size - 1, start = ALIGN(base, PAGE_SIZE), end;

	if (last >= linear_map_limit()) {
		pr_warn("memory [0x%llx-0x%llx] beyond the Sv%d linear map (%llu GiB): %s\n",
			(unsigned long long)base, (unsigned long long)last, kl.va_bits,
			(unsigned long long)(linear_map_limit() >> 30),
			base >= linear_map_limit() ? "ignored" : "clipped");
		last = linear_map_limit() - 1;
	}
	end = ALIGN_DOWN(last + 1, PAGE_SIZE);
	if (start >= end || start < base) {
		if (base < linear_map_limit())
			pr_warn("memory [0x%llx-0x%llx] holds no whole page: ignored\n",
				(unsigned long long)base, (unsigned long long)last);
		return;
	}
	if (start != base || ((last + 1) & ~PAGE_MASK))
		pr_warn("memory [0x%llx-0x%llx] not page-aligned: using [0x%llx-0x%llx]\n",
			(unsigned long long)base, (unsigned long long)last,
			(unsigned long long)start, (unsigned long long)(end - 1));
	if (memblock_add(start, end - start))
		panic("memblock: too many memory regions");
}

/*
 * A static reservation, widened to whole pages. "no-map" is refused, as
 * Linux does, where the range is already reserved (the kernel, the DTB,
 * an earlier region): unmapping the kernel's own pages would fault. The
 * range stays reserved, so nothing else is placed there either.
 */
static void __init reserve_static(const struct dt_reserved *r)
{
	phys_addr_t base = ALIGN_DOWN(r->base, PAGE_SIZE);
	phys_addr_t size = ALIGN(r->base + r->size, PAGE_SIZE) - base;
	bool nomap = r->nomap;

	if (base != r->base || size != r->size)
		pr_warn("reserved-memory %s: [0x%llx-0x%llx] not page-aligned: reserving [0x%llx-0x%llx]\n",
			r->name, (unsigned long long)r->base,
			(unsigned long long)(r->base + r->size - 1), (unsigned long long)base,
			(unsigned long long)(base + size - 1));
	if (nomap && memblock_overlaps_memory(base, size) &&
	    memblock_overlaps_reserved(base, size)) {
		pr_warn("reserved-memory %s: no-map [0x%llx-0x%llx] overlaps the kernel, the DTB or an earlier reservation: no-map refused\n",
			r->name, (unsigned long long)r->base,
			(unsigned long long)(r->base + r->size - 1));
		nomap = false;
	}
	memblock_check(memblock_reserve(base, size), "reserve", base, size);
	if (nomap)
		memblock_check(memblock_mark_nomap(base, size), "mark no-map", base, size);
}

static void __init setup_memblock(const void *fdt, phys_addr_t dtb_pa)
{
	const struct dt_info *dt = &boot_dt;
	phys_addr_t kbase = __pa_symbol(_start), ksize = (unsigned long)(_end - _start);
	phys_addr_t dtb_base = ALIGN_DOWN(dtb_pa, PAGE_SIZE);
	phys_addr_t dtb_size = ALIGN(fdt_totalsize(fdt) + (dtb_pa & ~PAGE_MASK), PAGE_SIZE);

	for (int i = 0; i < dt->nr_mem; i++)
		add_ram_range(dt->mem[i].base, dt->mem[i].size);
	if (!memblock.memory.cnt)
		panic("no usable RAM: the device tree's memory ranges hold no whole page below the Sv%d linear-map limit",
		      kl.va_bits);
	enforce_mem_limit();
	memblock_check(memblock_reserve(kbase, ksize), "reserve the kernel", kbase, ksize);
	memblock_check(memblock_reserve(dtb_base, dtb_size), "reserve the DTB",
		       dtb_base, dtb_size);
	for (int i = 0; i < dt->nr_rsv; i++) {
		const struct dt_reserved *r = &dt->rsv[i];

		if (r->dynamic) {
			phys_addr_t pa = memblock_phys_alloc(r->size, r->align ? r->align : PAGE_SIZE);

			pr_info("reserved-memory %s: 0x%llx bytes at 0x%llx (dynamic)\n",
				r->name, (unsigned long long)r->size, (unsigned long long)pa);
			if (!pa)
				panic("reserved-memory %s: cannot place 0x%llx bytes", r->name,
				      (unsigned long long)r->size);
			continue;
		}
		reserve_static(r);
	}
}

static void __init register_iomem(void)
{
	const struct dt_info *dt = &boot_dt;

	/* Devices register theirs when they probe. */
	if (dt->test_syscon)
		iomem_register(dt->test_syscon, PAGE_SIZE, "test-syscon");
}

/*
 * The self-tests run on every boot and take 4 MiB (MAX_ORDER) blocks:
 * with less free RAM than this the boot stops here, saying why, rather
 * than in a string of failed allocations.
 */
#define MIN_FREE_AFTER_BOOT	(8UL << 20)

static void __init check_free_ram(void)
{
	unsigned long free = nr_free_pages() * PAGE_SIZE;

	if (free < MIN_FREE_AFTER_BOOT)
		panic("mm: only %lu KiB of RAM free after boot (%llu KiB in the memory map): rvmm needs %lu MiB",
		      free >> 10, (unsigned long long)(memblock_phys_mem_size() >> 10),
		      (unsigned long)(MIN_FREE_AFTER_BOOT >> 20));
}

static void mm_report(void)
{
	unsigned long free = nr_free_pages();

	pr_info("mm: Sv%d, %d levels, linear map at 0x%lx (%lu GiB), vmemmap at 0x%lx\n",
		kl.va_bits, kl.levels, kl.page_offset, kl.linear_size >> 30, kl.vmemmap_start);
	pr_info("mm: total %llu MiB, free %lu MiB, reserved %llu KiB, memmap %lu KiB, page tables %lu (image alias %lu)\n",
		(unsigned long long)(memblock_phys_mem_size() >> 20), free >> 8,
		(unsigned long long)(memblock_reserved_size() >> 10),
		nr_memmap_pages << 2, nr_pt_pages, kernel_alias_pt_pages);
}

static __noreturn __attribute__((noinline)) void rest_init(void);

/*
 * Zicboz lets clear_pages() zero a cache block per instruction. The DT
 * must name it on the boot hart, and M-mode must have enabled it for us
 * (menvcfg.CBZE): a probe under an exception fixup tells.
 */
static void __init detect_zicboz(void)
{
	static u8 probe_buf[256] __aligned(256);

	for (int i = 0; i < boot_dt.nr_cpus; i++) {
		u32 bs = dt_cpu_cboz_block(&boot_dt.cpus[i]);

		if (boot_dt.cpus[i].hartid == cpus[0].hartid && bs &&
		    probe_cbo_zero((unsigned long)probe_buf) == 0)
			cboz_block_size = bs;
	}
	if (cboz_block_size)
		pr_info("clear_pages: Zicboz cbo.zero, %u-byte blocks\n", cboz_block_size);
	else
		pr_info("clear_pages: 8-byte stores\n");
}

void __init start_kernel(unsigned long hartid, phys_addr_t dtb_pa, unsigned long instret0)
{
	const void *fdt = (const void *)(FIXMAP_FDT + (dtb_pa & (PMD_SIZE - 1)));
	size_t room = FIXMAP_FDT_SIZE - (dtb_pa & (PMD_SIZE - 1));
	static char err[192] __initdata;
	int ret;

	boot_instret = instret0;
	cpus[0].hartid = hartid;
	cpus[0].online = true;
	trap_init();
	machine_set_syscon();
	sbi_init();
	printk("rvmm: booting on hart %lu, SBI %lu.%lu%s, Sv%d, image at 0x%llx\n", hartid,
	       (sbi_spec_version() >> 24) & 0x7f, sbi_spec_version() & 0xffffff,
	       sbi_has_dbcn() ? " (DBCN console)" : " (legacy console)", kl.va_bits,
	       (unsigned long long)kl.kernel_pa);
	ret = dt_parse(fdt, room, &boot_dt, err, sizeof(err));
	if (ret)
		panic("invalid device tree at 0x%llx: %s (%d)", (unsigned long long)dtb_pa,
		      err, ret);
	initial_boot_params = fdt;
	parse_bootargs(boot_dt.bootargs);
	detect_zicboz();
	if (boot_dt.bootargs[0])
		pr_info("bootargs: %s\n", boot_dt.bootargs);
	setup_memblock(fdt, dtb_pa);
	memblock_dump();
	paging_init(dtb_pa);
	mm_core_init();
	if (boot_params.bench)
		bench_report("boot_mm_init", rdinstret() - boot_instret, "instructions");
	if (boot_params.bench)
		bench_report("kernel_alias_pt_pages", kernel_alias_pt_pages, "pages");
	if (boot_params.online_normal)
		default_online_zone = ZONE_NORMAL;
	mm_report();
	check_free_ram();
	register_iomem();
	smp_init(&boot_dt);
	cpus[0].stack_top = alloc_hart_stack(0);
	if (!cpus[0].stack_top)
		panic("no memory for the boot hart's stack");
	call_on_stack(rest_init, cpus[0].stack_top);
}

static __noreturn __attribute__((noinline)) void rest_init(void)
{
	int passed, failed, skipped;

	free_initmem();
	if (boot_params.crash)	/* tests/negative.py checks what the panic says */
		crash_on_purpose();
	drivers_init(initial_boot_params);
	ptdump_check();		/* the end of boot: every mapping is in place */
	if (boot_params.ptdump)
		ptdump_print();
	ktest_run_all(boot_params.tests, boot_params.bench, &passed, &failed, &skipped);
	printk("rvmm: %d passed, %d failed%s\n", passed, failed, "");
	if (boot_params.store_size)	/* after the tests: they need the memory */
		page_store_fill(&page_store, boot_params.store_size / PAGE_SIZE, STORE_SEED);
	if (boot_params.serve && !failed)
		serve_loop();
	machine_shutdown(failed != 0, 1);
}
