// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated machine for the host build: physical memory, the kernel
 * layout, the arch hooks that arch/riscv/mm/{init,tlbflush}.c provide on
 * the real kernel, the console, and a boot sequence that mirrors
 * start_kernel() from setup_memblock() to paging_init(), then the same
 * mm_core_init().
 *
 * The vmemmap mirror: the kernel computes struct page addresses as
 * kl.vmemmap_start + pfn * 64 and dereferences them directly, so the
 * vmemmap must be real host memory. It is a PROT_NONE reservation; after
 * every change of kernel mappings (arch_sync_kernel_mappings() after a
 * map, flush_tlb_kernel_range() after an unmap) each 4 KiB page of the
 * affected range that lies in the reservation is re-mapped to follow the
 * simulated page table: onto the memfd at offset pa when mapped (read-only
 * when the leaf is), PROT_NONE when not. A struct page access that the
 * kernel's own tables would fault on therefore faults on the host too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/pgtable.h>
#include <asm/setup.h>
#include <rvmm/fault-inject.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include "sim.h"

int sim_log_mute;
unsigned long sim_log_lines;
unsigned long sim_vmemmap_base;
unsigned long sim_mirror_mmaps;
phys_addr_t sim_kernel_pa;
u64 sim_seed = 1;

extern unsigned long nr_alloc_calls;

static int memfd = -1;
static u8 *phys_base;
static int probe_pipe[2] = { -1, -1 };

/* ---- console ---- */

static char log_line[512], last_line[512];
static size_t log_len;
/* lib/printk.c hands over one whole message per call. */
void arch_console_write(const char *s, size_t len)
{
	/* Muting drops the kernel's own messages, never a test's verdict. */
	bool mute_this = sim_log_mute && len >= 6 && !strncmp(s, "rvmm: ", 6);

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n') {
			log_line[log_len] = 0;
			memcpy(last_line, log_line, log_len + 1);
			log_len = 0;
			sim_log_lines++;
		} else if (log_len < sizeof(log_line) - 1) {
			log_line[log_len++] = s[i];
		}
	}
	if (!mute_this)
		fwrite(s, 1, len, stdout);
}

const char *sim_last_log(void)
{
	return last_line;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "rvmm: PANIC: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(RVMM_SEED=0x%llx)\n", (unsigned long long)sim_seed);
	abort();
}

/* ---- PRNG: splitmix64 seeding, xorshift64* streams ---- */

static u64 splitmix(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_rng_init(struct sim_rng *r, const char *name)
{
	u64 h = 0xcbf29ce484222325ull ^ sim_seed;

	for (const char *p = name; *p; p++)
		h = (h ^ (u8)*p) * 0x100000001b3ull;
	r->s = splitmix(&h) | 1;
}

u64 sim_rand(struct sim_rng *r)
{
	u64 x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

u64 sim_rand_below(struct sim_rng *r, u64 n)
{
	return n ? sim_rand(r) % n : 0;
}

bool sim_chance(struct sim_rng *r, unsigned int num, unsigned int den)
{
	return sim_rand_below(r, den) < num;
}

/* ---- physical memory ---- */

void *host_phys_to_virt(phys_addr_t pa)
{
	if (pa >= SIM_PHYS_SIZE)
		panic("__va(0x%llx): beyond the simulated physical memory",
		      (unsigned long long)pa);
	return phys_base + pa;
}

phys_addr_t host_virt_to_phys(const void *p)
{
	uintptr_t v = (uintptr_t)p, b = (uintptr_t)phys_base;

	if (v < b || v - b >= SIM_PHYS_SIZE)
		panic("__pa(%p): not a linear-map address (vmemmap alias?)", p);
	return v - b;
}

/*
 * Where the vmemmap goes. Below 2^38 its Sv39 root indices (< 256) cannot
 * meet the linear map's (320..447), but under ASan that whole range is the
 * shadow gap; the next candidates are checked for every mode in
 * sim_layout_init().
 */
static const unsigned long vmemmap_candidates[] = {
	0x2000000000UL, 0x500000000000UL, 0x300000000000UL, 0x180000000000UL,
};

static void reserve_vmemmap(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vmemmap_candidates); i++) {
		void *want = (void *)vmemmap_candidates[i];
		void *p = mmap(want, SIM_VMEMMAP_SIZE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p == want) {
			sim_vmemmap_base = (unsigned long)p;
			return;
		}
		if (p != MAP_FAILED)
			munmap(p, SIM_VMEMMAP_SIZE);
	}
	panic("sim: no room for the %lu GiB vmemmap reservation", SIM_VMEMMAP_SIZE >> 30);
}

static void sim_init(void)
{
	if (phys_base)
		return;
	memfd = memfd_create("rvmm-phys", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, SIM_PHYS_SIZE))
		panic("sim: memfd of %lu GiB: %s", SIM_PHYS_SIZE >> 30, strerror(errno));
	phys_base = mmap(NULL, SIM_PHYS_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, memfd, 0);
	if (phys_base == MAP_FAILED)
		panic("sim: mapping physical memory: %s", strerror(errno));
	reserve_vmemmap();
	if (pipe(probe_pipe))
		panic("sim: pipe: %s", strerror(errno));
	/* Registered once: the MMIO table has no way to unregister. */
	iomem_register(SIM_MMIO_BASE, SIM_MMIO_SIZE, "sim-mmio");
}

/* ---- memory that is not zero ---- */

/*
 * On a board, RAM holds whatever was there; the memfd hands out zeroes.
 * Garbage is a page of random words (a new page per call), copied over
 * the range: pointers in it are non-canonical, counts huge, flags set.
 */
void sim_scribble(phys_addr_t pa, phys_addr_t size)
{
	static struct sim_rng rng;
	static u64 garbage[PAGE_SIZE / 8];

	if (!rng.s)
		sim_rng_init(&rng, "sim_scribble");
	for (unsigned int i = 0; i < ARRAY_SIZE(garbage); i++)
		garbage[i] = sim_rand(&rng) | 1;
	if (!IS_ALIGNED(pa | size, PAGE_SIZE) || pa + size > SIM_PHYS_SIZE || pa + size < pa)
		panic("sim: scribbling 0x%llx+0x%llx", (unsigned long long)pa,
		      (unsigned long long)size);
	for (phys_addr_t off = 0; off < size; off += PAGE_SIZE)
		memcpy(phys_base + pa + off, garbage, PAGE_SIZE);
}

/* ---- host probes ---- */

bool sim_host_readable(const void *va)
{
	char c;

	if (syscall(SYS_write, probe_pipe[1], va, 1) != 1)
		return false;
	if (syscall(SYS_read, probe_pipe[0], &c, 1) != 1)
		panic("sim: probe pipe");
	return true;
}

bool sim_host_writable(const void *va)
{
	char c;

	/* Copy the byte into the pipe, then read it back onto itself. */
	if (syscall(SYS_write, probe_pipe[1], va, 1) != 1)
		return false;
	if (syscall(SYS_read, probe_pipe[0], (void *)va, 1) == 1)
		return true;
	if (syscall(SYS_read, probe_pipe[0], &c, 1) != 1)
		panic("sim: probe pipe");
	return false;
}

/* ---- the layout: the kernel's layout_init(), vmemmap moved ---- */

static void check_disjoint(unsigned long a, unsigned long asz, unsigned long b,
			   unsigned long bsz)
{
	int l = kl.levels - 1;
	unsigned long a0 = PT_INDEX(a, l), a1 = PT_INDEX(a + asz - 1, l);
	unsigned long b0 = PT_INDEX(b, l), b1 = PT_INDEX(b + bsz - 1, l);

	/* Neither range may wrap around the root table, nor meet the other. */
	if (a1 < a0 || b1 < b0 || !(a1 < b0 || b1 < a0))
		panic("sim: Sv%d: vmemmap root entries %lu-%lu meet the linear map's %lu-%lu",
		      kl.va_bits, a0, a1, b0, b1);
}

static void sim_layout_init(int va_bits)
{
	if (va_bits != 39 && va_bits != 48 && va_bits != 57)
		panic("sim: no Sv%d", va_bits);
	layout_init(va_bits);
	kl.vmemmap_start = sim_vmemmap_base;
	kl.vmemmap_size = SIM_VMEMMAP_SIZE;
	check_disjoint(kl.vmemmap_start, kl.vmemmap_size, kl.page_offset, linear_map_limit());
}

/* ---- the vmemmap mirror ---- */

static void mirror_run(unsigned long va, unsigned long len, phys_addr_t pa, int prot)
{
	void *p;

	if (!len)
		return;
	if (pa == WALK_NONE)
		p = mmap((void *)va, len, PROT_NONE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	else if (pa + len > SIM_PHYS_SIZE)
		panic("sim: vmemmap 0x%lx maps pa 0x%llx beyond physical memory", va,
		      (unsigned long long)pa);
	else
		p = mmap((void *)va, len, prot, MAP_FIXED | MAP_SHARED, memfd, pa);
	if (p != (void *)va)
		panic("sim: mirroring vmemmap 0x%lx+0x%lx: %s", va, len, strerror(errno));
	sim_mirror_mmaps++;
}

static int leaf_prot(pgprot_t prot)
{
	int p = PROT_NONE;

	if (prot.prot & _PAGE_R)
		p |= PROT_READ;
	if (prot.prot & _PAGE_W)
		p |= PROT_WRITE;
	return p;
}

static void mirror(unsigned long start, unsigned long end)
{
	unsigned long lo = start, hi = end, run_va = 0, run_len = 0;
	phys_addr_t run_pa = WALK_NONE;
	int run_prot = PROT_NONE;

	if (!sim_vmemmap_base)
		return;
	if (hi <= lo)			/* the range ends at the top of the VA space */
		hi = ~0UL;
	lo = max(ALIGN_DOWN(lo, PAGE_SIZE), sim_vmemmap_base);
	hi = min(hi, sim_vmemmap_base + SIM_VMEMMAP_SIZE);
	if (lo >= hi)
		return;
	hi = ALIGN(hi, PAGE_SIZE);
	for (unsigned long va = lo; va < hi;) {
		phys_addr_t pa = WALK_NONE;
		unsigned long step = PAGE_SIZE;
		int level = 0, prot = PROT_NONE;
		pgprot_t pp;

		if (swapper_pg_dir)
			pa = walk_pgd(swapper_pg_dir, va, &level, &pp);
		if (pa != WALK_NONE) {
			step = PT_LEVEL_SIZE(level) - (va & (PT_LEVEL_SIZE(level) - 1));
			prot = leaf_prot(pp);
		}
		step = min(step, hi - va);
		if (run_len && prot == run_prot &&
		    (pa == WALK_NONE ? run_pa == WALK_NONE :
		     run_pa != WALK_NONE && pa == run_pa + run_len)) {
			run_len += step;
		} else {
			mirror_run(run_va, run_len, run_pa, run_prot);
			run_va = va;
			run_pa = pa;
			run_len = step;
			run_prot = prot;
		}
		va += step;
	}
	mirror_run(run_va, run_len, run_pa, run_prot);
}

unsigned long nr_kernel_syncs;

void arch_sync_kernel_mappings(unsigned long start, unsigned long end)
{
	nr_kernel_syncs++;
	mirror(start, end);
}

void flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	nr_kernel_syncs++;
	mirror(start, end);
}

/* The host is one hart: what it sees is what the mirror shows. */
void local_flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	mirror(start, end);
}

unsigned long sim_check_mirror(unsigned long start, unsigned long end)
{
	return sim_check_mirror_stride(start, end, PAGE_SIZE);
}

unsigned long sim_check_mirror_stride(unsigned long start, unsigned long end,
				      unsigned long stride)
{
	start = max(ALIGN_DOWN(start, PAGE_SIZE), sim_vmemmap_base);
	end = min(end, sim_vmemmap_base + SIM_VMEMMAP_SIZE);
	for (unsigned long va = start; va < end; va += stride) {
		pgprot_t prot;
		phys_addr_t pa = walk_pgd(swapper_pg_dir, va, NULL, &prot);
		volatile u8 *v = (volatile u8 *)(va + 56), *p;
		u8 orig;

		if (pa == WALK_NONE) {
			if (sim_host_readable((void *)v))
				return va;
			continue;
		}
		if (prot.prot & _PAGE_W) {
			if (!sim_host_writable((void *)v))
				return va;
		} else if (!sim_host_readable((void *)v) || sim_host_writable((void *)v)) {
			return va;
		}
		/* Same page, not just same bytes: change it behind the alias. */
		p = (volatile u8 *)host_phys_to_virt(pa + 56);
		orig = *p;
		*p = orig ^ 0xa5;
		if (*v != (u8)(orig ^ 0xa5)) {
			*p = orig;
			return va;
		}
		*p = orig;
	}
	return 0;
}

/* ---- page-table inspection, written independently of pgtable.c ---- */

static pte_t *sim_table(pte_t e)
{
	return host_phys_to_virt(pte_pfn(e) << PAGE_SHIFT);
}

static void inspect(pte_t *table, int level, unsigned long va, unsigned long last,
		    unsigned long *n, sim_leaf_cb cb, void *arg)
{
	unsigned long sz = PT_LEVEL_SIZE(level);

	for (;;) {
		unsigned long base = ALIGN_DOWN(va, sz), end = min(base + (sz - 1), last);
		pte_t e = table[PT_INDEX(va, level)];

		if (pte_leaf(e)) {
			if (cb)
				cb(arg, base, pte_pfn(e) << PAGE_SHIFT, level,
				   e.pte & ~_PAGE_PFN_MASK);
		} else if (pte_present(e)) {
			if (!level)
				panic("sim: non-leaf PTE at 0x%lx", va);
			if (n)
				n[level - 1]++;
			inspect(sim_table(e), level - 1, va, end, n, cb, arg);
		} else if (!pte_none(e)) {
			panic("sim: invalid entry 0x%lx at 0x%lx level %d", e.pte, va, level);
		}
		if (end == last)
			return;
		va = end + 1;
	}
}

void sim_count_tables(unsigned long start, unsigned long end, unsigned long n[5])
{
	memset(n, 0, 5 * sizeof(n[0]));
	inspect(swapper_pg_dir, kl.levels - 1, start, end - 1, n, NULL, NULL);
}

void sim_for_each_leaf(unsigned long start, unsigned long end, sim_leaf_cb cb, void *arg)
{
	inspect(swapper_pg_dir, kl.levels - 1, start, end - 1, NULL, cb, arg);
}

int sim_missing_tables(unsigned long va, int level)
{
	pte_t *t = swapper_pg_dir;

	for (int l = kl.levels - 1; l > level; l--) {
		pte_t e = t[PT_INDEX(va, l)];

		if (pte_none(e))
			return l - level;
		if (pte_leaf(e))
			return -1;
		t = sim_table(e);
	}
	return 0;
}

/* ---- boot ---- */

static void reset_mm_state(void)
{
	memset(mem_section, 0, sizeof(mem_section));
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const char *name = zones[z].name;

		memset(&zones[z], 0, sizeof(zones[z]));
		zones[z].name = name;
	}
	free_area_init();
	memblock_reset();
	nr_pt_pages = 0;
	nr_memmap_pages = 0;
	memset(&vmemmap_stats, 0, sizeof(vmemmap_stats));
	vmemmap_force_basepages = false;
	mm_buddy_ready = false;
	fail_alloc_nth = 0;
	nr_alloc_calls = 0;
	default_online_zone = ZONE_MOVABLE;
	swapper_pg_dir = NULL;
	pt_ops = NULL;
}

static void reset_host_state(void)
{
	void *p = mmap((void *)sim_vmemmap_base, SIM_VMEMMAP_SIZE, PROT_NONE,
		       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p != (void *)sim_vmemmap_base)
		panic("sim: resetting the vmemmap: %s", strerror(errno));
	if (fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, SIM_PHYS_SIZE))
		panic("sim: zeroing physical memory: %s", strerror(errno));
}

/*
 * Garbage where memblock's top-down allocations land: the top of every
 * RAM range, as much as the boot memmap (1/64 of all RAM) plus 4 MiB for
 * page tables and the rest.
 */
static void scribble_boot_ram(const struct sim_mem *m)
{
	phys_addr_t total = 0;

	for (int i = 0; i < m->nr_ram; i++)
		total += m->ram[i].size;
	for (int i = 0; i < m->nr_ram; i++) {
		phys_addr_t top = min(m->ram[i].size, ALIGN(total / 64, PAGE_SIZE) + (4UL << 20));

		sim_scribble(m->ram[i].base + m->ram[i].size - top, top);
	}
}

void sim_boot_memblock(int va_bits, const struct sim_mem *m)
{
	phys_addr_t root;

	sim_init();
	reset_host_state();
	reset_mm_state();
	sim_layout_init(va_bits);

	/* setup_memblock() */
	if (!m->nr_ram)
		panic("sim: no RAM");
	for (int i = 0; i < m->nr_ram; i++)
		if (memblock_add(m->ram[i].base, m->ram[i].size))
			panic("sim: memblock_add");
	scribble_boot_ram(m);
	sim_kernel_pa = m->kernel_pa ? m->kernel_pa :
		ALIGN(memblock.memory.regions[0].base, SZ_2M) + SZ_2M;
	kl.kernel_pa = sim_kernel_pa;
	kl.kernel_va_pa_offset = KERNEL_VA - sim_kernel_pa;
	memblock_reserve(sim_kernel_pa, SIM_KERNEL_SIZE);
	for (int i = 0; i < m->nr_reserved; i++)
		memblock_reserve(m->reserved[i].base, m->reserved[i].size);
	for (int i = 0; i < m->nr_nomap; i++) {
		memblock_reserve(m->nomap[i].base, m->nomap[i].size);
		memblock_mark_nomap(m->nomap[i].base, m->nomap[i].size);
	}

	/* paging_init(): the root and the linear map, from memblock */
	pt_ops_use_memblock();
	root = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!root)
		panic("sim: no memory for swapper_pg_dir");
	memset(__va(root), 0, PAGE_SIZE);
	swapper_pg_dir = __va(root);
	map_linear();
}

void sim_boot(int va_bits, const struct sim_mem *m)
{
	sim_boot_memblock(va_bits, m);
	mm_core_init();
}

void sim_boot_simple(int va_bits, phys_addr_t ram_size)
{
	const struct sim_range ram = { 0x80000000UL, ram_size };
	const struct sim_mem m = { .ram = &ram, .nr_ram = 1 };

	sim_boot(va_bits, &m);
}

