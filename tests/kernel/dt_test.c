// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests for boot/dt.c and the drivers' node parsers (PLIC, ECAM host
 * bridge): device trees built at run time (builders in
 * tests/common/dt_builders.h) and checked field by field, plus the error
 * paths, each of which must name the offending node and property.
 *
 * The host build runs this same suite: tests/host/dt_host_test.c includes
 * this file and adds a randomized robustness case under ASan.
 */
#include <asm/fdt_early.h>
#include <rvmm/driver.h>
#include <rvmm/dt.h>
#include <rvmm/irqdomain.h>
#include <rvmm/ktest.h>
#include <rvmm/of_fdt.h>
#include <rvmm/pci-ecam.h>
#include <rvmm/pci.h>
#include <rvmm/plic.h>
#include "../common/dt_builders.h"

/* Static, not on the 16 KiB kernel stack: struct dt_info alone is ~8 KiB. */
static u8 dtb[DTB_BUF_SIZE] __aligned(8);
static struct dt_info dti;
static char dterr[256];
static struct plic_dt plic;
static struct pci_host_dt pcih;

#define BUILD(t, call)                                                                       \
	do {                                                                                 \
		int __b = (call);                                                            \
		if (__b) {                                                                   \
			ktest_fail(t, __FILE__, __LINE__, "builder: %s", fdt_strerror(__b)); \
			return;                                                              \
		}                                                                            \
	} while (0)

#define PARSE_OK(t)                                                                        \
	do {                                                                               \
		int __p = dt_parse(dtb, sizeof(dtb), &dti, dterr, sizeof(dterr));          \
		if (__p) {                                                                 \
			ktest_fail(t, __FILE__, __LINE__, "dt_parse: %d: %s", __p, dterr); \
			return;                                                            \
		}                                                                          \
	} while (0)

/* @ret is the exact errno; @needle must appear in the message. */
#define PARSE_ERR(t, size, ret, needle)                                                         \
	do {                                                                                    \
		int __p = dt_parse(dtb, size, &dti, dterr, sizeof(dterr));                      \
		KEXPECT_EQ(t, __p, ret);                                                        \
		if (!strstr(dterr, needle))                                                     \
			ktest_fail(t, __FILE__, __LINE__, "message \"%s\" lacks \"%s\"", dterr, \
				   needle);                                                     \
	} while (0)

/* The @nth enabled node (from 0) that @table's driver would take, or -1. */
static int find_node(const struct of_device_id *table, int nth)
{
	for (int n = fdt_next_node(dtb, -1, NULL); n >= 0; n = fdt_next_node(dtb, n, NULL))
		if (dt_node_enabled(dtb, n) && of_match_node(table, dtb, n) && !nth--)
			return n;
	return -1;
}

/* The @nth PLIC node parsed into plic; false (the case failed) if it is not there. */
static bool parse_plic(struct ktest *t, int nth)
{
	int node = find_node(plic_of_match, nth), ret;

	if (node < 0) {
		ktest_fail(t, __FILE__, __LINE__, "no PLIC node %d", nth);
		return false;
	}
	ret = plic_parse_node(dtb, node, &plic, dterr, sizeof(dterr));
	if (ret)
		ktest_fail(t, __FILE__, __LINE__, "plic_parse_node: %d: %s", ret, dterr);
	return !ret;
}

static bool parse_pci_host(struct ktest *t)
{
	int node = find_node(pci_host_ecam_of_match, 0), ret;

	if (node < 0) {
		ktest_fail(t, __FILE__, __LINE__, "no ECAM host node");
		return false;
	}
	ret = pci_host_parse_node(dtb, node, &pcih, dterr, sizeof(dterr));
	if (ret)
		ktest_fail(t, __FILE__, __LINE__, "pci_host_parse_node: %d: %s", ret, dterr);
	return !ret;
}

static const struct dt_reserved *find_rsv(const char *name, u64 base)
{
	for (int i = 0; i < dti.nr_rsv; i++)
		if (!strcmp(dti.rsv[i].name, name) && dti.rsv[i].base == base)
			return &dti.rsv[i];
	return NULL;
}

static const struct dt_cpu *find_cpu(u32 hart)
{
	for (int i = 0; i < dti.nr_cpus; i++)
		if (dti.cpus[i].hartid == hart)
			return &dti.cpus[i];
	return NULL;
}

/* The QEMU-virt-shaped tree: every table the kernel consumes at once. */
static void dt_virt_tree(struct ktest *t)
{
	const struct dt_reserved *r;

	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	PARSE_OK(t);
	KEXPECT_EQ(t, dterr[0], '\0');
	KASSERT_EQ(t, dti.nr_mem, 1);
	KEXPECT_EQ(t, dti.mem[0].base, 0x80000000);
	KEXPECT_EQ(t, dti.mem[0].size, 0x40000000);
	KEXPECT_EQ(t, dti.nr_cpus, DTB_VIRT_HARTS);
	KEXPECT_EQ(t, dti.timebase_freq, DTB_TIMEBASE);
	KEXPECT_TRUE(t, !strcmp(dti.bootargs, DTB_BOOTARGS));
	KEXPECT_TRUE(t, !strcmp(dti.stdout_path, DTB_STDOUT));
	KEXPECT_EQ(t, dti.test_syscon, 0x100000);
	for (int i = 0; i < dti.nr_cpus; i++) {
		KEXPECT_EQ(t, dti.cpus[i].hartid, i);
		KEXPECT_TRUE(t, dti.cpus[i].enabled);
		KEXPECT_EQ(t, dti.cpus[i].mmu, DT_MMU_SV57);
	}
	KASSERT_TRUE(t, parse_plic(t, 0));
	KEXPECT_EQ(t, plic.base, 0xc000000);
	KEXPECT_EQ(t, plic.size, 0x600000);
	KEXPECT_EQ(t, plic.ndev, DTB_PLIC_NDEV);
	KEXPECT_EQ(t, plic.phandle, DTB_PLIC_PHANDLE);
	KEXPECT_EQ(t, plic.nr_s_ctx, DTB_VIRT_HARTS);
	for (int i = 0; i < dti.nr_cpus; i++)
		KEXPECT_EQ(t, plic_s_context(&plic, dti.cpus[i].hartid), 2 * i + 1);
	KEXPECT_EQ(t, find_node(plic_of_match, 1), -1);
	KEXPECT_TRUE(t, parse_pci_host(t));
	r = find_rsv("mmode_resv0@80000000", DTB_VIRT_OPENSBI);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_TRUE(t, r->nomap && !r->dynamic && !r->memreserve);
	r = find_rsv("memreserve", DTB_VIRT_MEMRESERVE);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_TRUE(t, r->memreserve && !r->nomap);
	KEXPECT_EQ(t, dti.nr_rsv, 2);
	KEXPECT_EQ(t, dt_early_check(dtb, sizeof(dtb)), 0);
	KEXPECT_EQ(t, dt_early_mmu_limit(dtb), DT_MMU_SV57);
}

static void dt_two_memory_nodes(struct ktest *t)
{
	static const u64 want[] = DTB_TWO_MEM_BANKS;

	BUILD(t, dtb_build_two_mem(dtb, sizeof(dtb)));
	PARSE_OK(t);
	/* Five banks in the tree, the zero-sized one is dropped. */
	KASSERT_EQ(t, dti.nr_mem, 4);
	for (int i = 0; i < 4; i++) {
		KEXPECT_EQ(t, dti.mem[i].base, want[2 * i]);
		KEXPECT_EQ(t, dti.mem[i].size, want[2 * i + 1]);
	}
}

static void dt_32bit_cells(struct ktest *t)
{
	const struct dt_reserved *r;

	BUILD(t, dtb_build_mem32(dtb, sizeof(dtb)));
	PARSE_OK(t);
	KASSERT_EQ(t, dti.nr_mem, 2);
	KEXPECT_EQ(t, dti.mem[0].base, 0x80000000);
	KEXPECT_EQ(t, dti.mem[0].size, 0x8000000);
	KEXPECT_EQ(t, dti.mem[1].base, 0xc0000000);
	KEXPECT_EQ(t, dti.mem[1].size, 0x1000000);
	KEXPECT_EQ(t, dti.test_syscon, 0x100000); /* sifive,test0 */
	KASSERT_EQ(t, dti.nr_rsv, 2);
	r = find_rsv("sbi@80000000", 0x80000000);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_EQ(t, r->size, 0x20000);
	KEXPECT_TRUE(t, r->nomap);
	r = find_rsv("pool", 0);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_TRUE(t, r->dynamic);
	KEXPECT_EQ(t, r->size, 0x100000);
	KEXPECT_EQ(t, r->align, SZ_4K);
	KEXPECT_EQ(t, find_node(plic_of_match, 0), -1);
	KEXPECT_EQ(t, find_node(pci_host_ecam_of_match, 0), -1);
}

static void dt_reserved_memory(struct ktest *t)
{
	const struct dt_reserved *r;

	BUILD(t, dtb_build_rsv(dtb, sizeof(dtb)));
	PARSE_OK(t);
	/* 1 + 2 static, 2 dynamic, 1 long-named; disabled one skipped; 2 memreserve. */
	KEXPECT_EQ(t, dti.nr_rsv, 8);

	r = find_rsv("mmode_resv0@80000000", 0x80000000);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_EQ(t, r->size, 0x80000);
	KEXPECT_TRUE(t, r->nomap && !r->dynamic && !r->memreserve);

	r = find_rsv("shared@88000000", 0x88000000);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_EQ(t, r->size, 0x100000);
	KEXPECT_TRUE(t, !r->nomap && !r->dynamic);
	r = find_rsv("shared@88000000", 0x89000000);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_EQ(t, r->size, 0x1000);

	r = find_rsv("dyn-pool", 0);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_TRUE(t, r->dynamic && r->nomap);
	KEXPECT_EQ(t, r->size, 0x400000);
	KEXPECT_EQ(t, r->align, 0x200000);

	r = find_rsv("dyn-default", 0);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_TRUE(t, r->dynamic && !r->nomap);
	KEXPECT_EQ(t, r->size, 0x10000);
	KEXPECT_EQ(t, r->align, SZ_4K);

	KEXPECT_TRUE(t, find_rsv("off@8c000000", 0x8c000000) == NULL);

	/* Names are cut to fit, never overflow. */
	for (int i = 0; i < dti.nr_rsv; i++) {
		KEXPECT_LT(t, strlen(dti.rsv[i].name), sizeof(dti.rsv[i].name));
		if (dti.rsv[i].base == 0x9c000000) {
			KEXPECT_EQ(t, strlen(dti.rsv[i].name), 31);
			KEXPECT_TRUE(t, !strncmp(dti.rsv[i].name, DTB_RSV_LONG_NAME, 31));
		}
	}
}

static void dt_memreserve(struct ktest *t)
{
	const struct dt_reserved *r;

	BUILD(t, dtb_build_rsv(dtb, sizeof(dtb)));
	PARSE_OK(t);
	r = find_rsv("memreserve", 0x84000000);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_EQ(t, r->size, 0x1000);
	KEXPECT_TRUE(t, r->memreserve && !r->nomap && !r->dynamic);
	r = find_rsv("memreserve", 0x86000000);
	KASSERT_TRUE(t, r != NULL);
	KEXPECT_EQ(t, r->size, 0x200000);
	KEXPECT_TRUE(t, r->memreserve);
}

static void dt_cpus(struct ktest *t)
{
	const struct dt_cpu *c;

	BUILD(t, dtb_build_cpus(dtb, sizeof(dtb)));
	PARSE_OK(t);
	KASSERT_EQ(t, dti.nr_cpus, 5);

	c = find_cpu(0);
	KASSERT_TRUE(t, c != NULL);
	KEXPECT_TRUE(t, c->enabled);
	KEXPECT_EQ(t, c->mmu, DT_MMU_SV57);
	KEXPECT_TRUE(t, !strcmp(c->isa, "rv64imafdc_zicsr"));

	c = find_cpu(1);
	KASSERT_TRUE(t, c != NULL);
	KEXPECT_TRUE(t, !c->enabled);
	KEXPECT_EQ(t, c->mmu, DT_MMU_SV39);

	c = find_cpu(2); /* no status: enabled; ISA rebuilt */
	KASSERT_TRUE(t, c != NULL);
	KEXPECT_TRUE(t, c->enabled);
	KEXPECT_EQ(t, c->mmu, DT_MMU_SV48);
	if (strcmp(c->isa, "rv64imac_zicsr_zifencei_sstc"))
		ktest_fail(t, __FILE__, __LINE__, "isa \"%s\"", c->isa);

	c = find_cpu(3); /* "ok", riscv,none, ISA cut at a '_' */
	KASSERT_TRUE(t, c != NULL);
	KEXPECT_TRUE(t, c->enabled);
	KEXPECT_EQ(t, c->mmu, DT_MMU_NONE);
	/* Cut to fit, and only between whole extensions. */
	KEXPECT_LT(t, strlen(c->isa), sizeof(c->isa));
	KEXPECT_GT(t, strlen(c->isa), sizeof(c->isa) - sizeof(DTB_ISA_EXTS));
	KEXPECT_TRUE(t, !strncmp(c->isa, DTB_LONG_ISA, strlen(c->isa)));
	KEXPECT_EQ(t, DTB_LONG_ISA[strlen(c->isa)], '_');

	c = find_cpu(7); /* "fail"; riscv,isa wins over the list */
	KASSERT_TRUE(t, c != NULL);
	KEXPECT_TRUE(t, !c->enabled);
	KEXPECT_EQ(t, c->mmu, DT_MMU_NONE);
	KEXPECT_TRUE(t, !strcmp(c->isa, "rv64gc"));
	KEXPECT_EQ(t, find_node(plic_of_match, 0), -1);	/* no S context for anyone */

	/* Disabled hart 1 (sv39) does not count; riscv,none is unknown. */
	KEXPECT_EQ(t, dt_early_mmu_limit(dtb), DT_MMU_SV48);
}

/* The harts smp_init() starts: an MMU mode the kernel runs and rv64imac. */
static void dt_cpus_usable(struct ktest *t)
{
	static const struct {
		struct dt_cpu cpu;
		int va_bits;
		const char *why;	/* a word of the reason, NULL = usable */
	} cases[] = {
		{ { .enabled = true, .mmu = DT_MMU_SV39, .isa = "rv64imafdc_zicsr" }, 39, NULL },
		{ { .enabled = true, .mmu = DT_MMU_SV57, .isa = "rv64gc" }, 48, NULL },
		{ { .enabled = false, .mmu = DT_MMU_SV39, .isa = "rv64imac" }, 39, "disabled" },
		/* The E51/S7 monitor core left "okay": M and U modes only. */
		{ { .enabled = true, .mmu = DT_MMU_NONE, .isa = "rv64imac" }, 39, "no MMU" },
		{ { .enabled = true, .mmu = DT_MMU_SV39, .isa = "rv64imac" }, 48, "paging mode" },
		{ { .enabled = true, .mmu = DT_MMU_SV39, .isa = "rv32imac" }, 39, "ISA" },
		{ { .enabled = true, .mmu = DT_MMU_SV39, .isa = "rv64imafd" }, 39, "ISA" },
		{ { .enabled = true, .mmu = DT_MMU_SV39, .isa = "rv64ima_zca" }, 39, "ISA" },
		{ { .enabled = true, .mmu = DT_MMU_SV39, .isa = "" }, 39, "ISA" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *why = dt_cpu_unusable(&cases[i].cpu, cases[i].va_bits);

		if (!cases[i].why ? why != NULL : !why || !strstr(why, cases[i].why))
			ktest_fail(t, __FILE__, __LINE__, "case %zu (%s, Sv%d): \"%s\"", i,
				   cases[i].cpu.isa, cases[i].va_bits, why ? why : "usable");
	}
	/* On the parsed tree: hart 3 is "ok" but riscv,none. */
	BUILD(t, dtb_build_cpus(dtb, sizeof(dtb)));
	PARSE_OK(t);
	KEXPECT_TRUE(t, dt_cpu_unusable(find_cpu(0), 48) == NULL);
	KEXPECT_TRUE(t, dt_cpu_unusable(find_cpu(2), 48) == NULL);
	KEXPECT_TRUE(t, dt_cpu_unusable(find_cpu(3), 39) != NULL);
}

static void dt_chosen(struct ktest *t)
{
	char small[8];

	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	PARSE_OK(t);
	KEXPECT_TRUE(t, !strcmp(dti.bootargs, DTB_BOOTARGS));
	dt_early_bootargs(dtb, dti.bootargs, sizeof(dti.bootargs));
	KEXPECT_TRUE(t, !strcmp(dti.bootargs, DTB_BOOTARGS));
	dt_early_bootargs(dtb, small, sizeof(small));
	KEXPECT_TRUE(t, !strncmp(small, DTB_BOOTARGS, 7) && !small[7]);

	/* /chosen without bootargs: empty, not an error. */
	BUILD(t, dtb_build_cpus(dtb, sizeof(dtb)));
	PARSE_OK(t);
	KEXPECT_EQ(t, dti.bootargs[0], '\0');
	KEXPECT_EQ(t, dti.stdout_path[0], '\0');
	dt_early_bootargs(dtb, small, sizeof(small));
	KEXPECT_EQ(t, small[0], '\0');

	/* Too long for dt_info: refused rather than silently cut. */
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_BOOTARGS));
	PARSE_ERR(t, sizeof(dtb), -E2BIG, "dt: /chosen: 'bootargs' length");
}

static void dt_disabled_memory(struct ktest *t)
{
	BUILD(t, dtb_build_mem_disabled(dtb, sizeof(dtb)));
	PARSE_OK(t);
	KASSERT_EQ(t, dti.nr_mem, 2);
	KEXPECT_EQ(t, dti.mem[0].base, 0x80000000);
	KEXPECT_EQ(t, dti.mem[1].base, 0xa0000000);
}

static void check_pci_common(struct ktest *t, bool two_plics)
{
	KASSERT_TRUE(t, parse_pci_host(t));
	KEXPECT_EQ(t, pcih.ecam_base, 0x30000000);
	KEXPECT_EQ(t, pcih.ecam_size, 0x10000000);
	KEXPECT_EQ(t, pcih.bus_start, 0);
	KEXPECT_EQ(t, pcih.bus_end, 255);
	KASSERT_EQ(t, pcih.nr_ranges, 3);
	KEXPECT_EQ(t, pcih.ranges[0].space, PCI_SPACE_IO);
	KEXPECT_EQ(t, pcih.ranges[0].pci_addr, 0);
	KEXPECT_EQ(t, pcih.ranges[0].cpu_addr, 0x3000000);
	KEXPECT_EQ(t, pcih.ranges[0].size, 0x10000);
	KEXPECT_TRUE(t, !pcih.ranges[0].prefetch);
	KEXPECT_EQ(t, pcih.ranges[1].space, PCI_SPACE_MEM32);
	KEXPECT_EQ(t, pcih.ranges[1].pci_addr, 0x40000000);
	KEXPECT_EQ(t, pcih.ranges[1].cpu_addr, 0x40000000);
	KEXPECT_EQ(t, pcih.ranges[1].size, 0x40000000);
	KEXPECT_EQ(t, pcih.ranges[2].space, PCI_SPACE_MEM64);
	KEXPECT_TRUE(t, pcih.ranges[2].prefetch);
	KEXPECT_EQ(t, pcih.ranges[2].pci_addr, 0x400000000);
	KEXPECT_EQ(t, pcih.ranges[2].cpu_addr, 0x400000000);
	KEXPECT_EQ(t, pcih.ranges[2].size, 0x400000000);
	KEXPECT_EQ(t, pcih.irq_map_mask[0], 0x1800);
	KEXPECT_EQ(t, pcih.irq_map_mask[1], 0);
	KEXPECT_EQ(t, pcih.irq_map_mask[2], 0);
	KEXPECT_EQ(t, pcih.irq_map_mask[3], 7);
	KASSERT_EQ(t, pcih.nr_irq_map, 16);
	for (int i = 0; i < 16; i++) {
		const struct pci_irq_map *m = &pcih.irq_map[i];
		u32 slot = i / 4, pin = i % 4 + 1;

		KEXPECT_EQ(t, m->child_hi, slot << 11);
		KEXPECT_EQ(t, m->pin, pin);
		KEXPECT_EQ(t, m->parent, dtb_pci_parent(slot, two_plics));
		KEXPECT_EQ(t, m->hwirq, dtb_pci_irq(slot, pin));
		/* The lookup the driver routes INTx with finds that very row. */
		KEXPECT_TRUE(t, pci_host_map_intx(&pcih, 0, PCI_DEVFN(slot, 0), pin) == m);
	}
}

/* PLIC parent (1 interrupt cell), then APLIC parent (2 cells). */
static void dt_pci(struct ktest *t)
{
	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	PARSE_OK(t);
	check_pci_common(t, false);
	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), DTB_VIRT_AIA));
	PARSE_OK(t);
	check_pci_common(t, false);
}

static void dt_plic_contexts(struct ktest *t)
{
	/* Hart 0 is an M-only monitor core: contexts shift by one. */
	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), DTB_VIRT_MONITOR0));
	PARSE_OK(t);
	KASSERT_EQ(t, dti.nr_cpus, DTB_VIRT_HARTS);
	KASSERT_TRUE(t, parse_plic(t, 0));
	KEXPECT_EQ(t, plic_s_context(&plic, 0), -1);
	for (int i = 1; i < dti.nr_cpus; i++)
		KEXPECT_EQ(t, plic_s_context(&plic, i), 2 * i);

	/* virt,aia=aplic-imsic: no PLIC is not an error, and the APLIC is not one. */
	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), DTB_VIRT_AIA));
	PARSE_OK(t);
	KEXPECT_EQ(t, find_node(plic_of_match, 0), -1);
	KEXPECT_GE(t, fdt_node_offset_by_compatible(dtb, -1, "riscv,aplic"), 0);
}

/* With both PLICs' domains up, each INTx finds the controller its row names. */
static void check_intx_domains(struct ktest *t)
{
	struct irq_domain first = { .phandle = DTB_PLIC_PHANDLE };
	struct irq_domain second = { .phandle = DTB_PLIC2_PHANDLE };
	struct irq_domain *d = NULL;

	irq_domain_add(&first);
	irq_domain_add(&second);
	KEXPECT_EQ(t, irq_find_host(pci_host_map_intx(&pcih, 0, PCI_DEVFN(3, 0), 2)->parent, &d), 0);
	KEXPECT_TRUE(t, d == &second);
	KEXPECT_EQ(t, irq_find_host(pci_host_map_intx(&pcih, 0, PCI_DEVFN(0, 0), 2)->parent, &d), 0);
	KEXPECT_TRUE(t, d == &first);
	irq_domain_remove(&second);
	irq_domain_remove(&first);
}

/* Two PLICs: each parses with its own phandle, and INTx of slots 2-3 name the second. */
static void dt_two_plics(struct ktest *t)
{
	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), DTB_VIRT_TWO_PLICS));
	PARSE_OK(t);
	KASSERT_TRUE(t, parse_plic(t, 0));
	KEXPECT_EQ(t, plic.phandle, DTB_PLIC_PHANDLE);
	KEXPECT_EQ(t, plic.base, 0xc000000);
	KASSERT_TRUE(t, parse_plic(t, 1));
	KEXPECT_EQ(t, plic.phandle, DTB_PLIC2_PHANDLE);
	KEXPECT_EQ(t, plic.base, 0xd000000);
	KEXPECT_EQ(t, plic_s_context(&plic, 3), 7);
	check_pci_common(t, true);
	KEXPECT_EQ(t, pci_host_map_intx(&pcih, 0, PCI_DEVFN(2, 0), 1)->parent, DTB_PLIC2_PHANDLE);
	KEXPECT_EQ(t, pci_host_map_intx(&pcih, 0, PCI_DEVFN(1, 0), 1)->parent, DTB_PLIC_PHANDLE);
	check_intx_domains(t);
}

/* A node the driver cannot use is refused with the node and property named. */
static void dt_err_device_nodes(struct ktest *t)
{
	int node;

	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	node = find_node(plic_of_match, 0);
	KASSERT_GE(t, node, 0);
	KEXPECT_EQ(t, plic_parse_node(dtb, node, &plic, dterr, sizeof(dterr)), 0);
	KEXPECT_EQ(t, fdt_nop_property(dtb, node, "riscv,ndev"), 0);
	KEXPECT_EQ(t, plic_parse_node(dtb, node, &plic, dterr, sizeof(dterr)), -ENOENT);
	KEXPECT_TRUE(t, strstr(dterr, "dt: /soc/plic@c000000: missing property 'riscv,ndev'"));

	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	node = find_node(pci_host_ecam_of_match, 0);
	KASSERT_GE(t, node, 0);
	KEXPECT_EQ(t, fdt_setprop_inplace_u32(dtb, node, "#address-cells", 2), 0);
	KEXPECT_EQ(t, pci_host_parse_node(dtb, node, &pcih, dterr, sizeof(dterr)), -EINVAL);
	KEXPECT_TRUE(t, strstr(dterr, "dt: /soc/pci@30000000: '#address-cells'/'#size-cells'"));
}

static void dt_err_truncated(struct ktest *t)
{
	u32 total;

	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	total = fdt_totalsize(dtb);
	/* Buffer shorter than the header's totalsize. */
	PARSE_ERR(t, total - 1, -EINVAL, "truncated");
	PARSE_ERR(t, total / 2, -EINVAL, "totalsize");
	KEXPECT_EQ(t, dt_early_check(dtb, total - 1), -EINVAL);
	/* Blob cut inside the header itself (v17 header is 40 bytes). */
	PARSE_ERR(t, 36, -EINVAL, "truncated");
	PARSE_ERR(t, 20, -EINVAL, "truncated");
	PARSE_ERR(t, 0, -EINVAL, "truncated");
	KEXPECT_EQ(t, dt_early_check(dtb, 20), -EINVAL);
	KEXPECT_EQ(t, dt_early_check(NULL, 0), -EINVAL);
	/*
	 * Fuzzer find: a v2 header is 32 bytes, but fdt_check_header()
	 * still reads the v3 size_dt_strings at 32..35.
	 */
	fdt_set_version(dtb, 2);
	fdt_set_last_comp_version(dtb, 2);
	PARSE_ERR(t, 35, -EINVAL, "truncated");
	PARSE_ERR(t, sizeof(dtb), -EINVAL, "version 2 unsupported");
	fdt_set_version(dtb, 17);
	fdt_set_last_comp_version(dtb, 16);
	/* Exactly totalsize is fine. */
	KEXPECT_EQ(t, dt_parse(dtb, total, &dti, dterr, sizeof(dterr)), 0);
	KEXPECT_EQ(t, dt_early_check(dtb, total), 0);
}

static void dt_err_bad_magic(struct ktest *t)
{
	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	dtb[0] ^= 0x40;
	PARSE_ERR(t, sizeof(dtb), -EINVAL, "bad magic");
	KEXPECT_EQ(t, dt_early_check(dtb, sizeof(dtb)), -EINVAL);

	/* A corrupt structure block passes the header check only. */
	BUILD(t, dtb_build_virt(dtb, sizeof(dtb), 0));
	fdt32_st(dtb + fdt_off_dt_struct(dtb), 0x77);
	PARSE_ERR(t, sizeof(dtb), -EINVAL, "structure block corrupt");
	KEXPECT_EQ(t, dt_early_check(dtb, sizeof(dtb)), -EINVAL);
}

static void dt_err_mem_reg_len(struct ktest *t)
{
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_MEM_REG_LEN));
	PARSE_ERR(
		t, sizeof(dtb), -EINVAL,
		"dt: /memory@80000000: 'reg' length 12 not a multiple of 16 (#address-cells=2, #size-cells=2)");
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_MEM_WRAP));
	PARSE_ERR(t, sizeof(dtb), -EINVAL, "'reg' entry 0");
	PARSE_ERR(t, sizeof(dtb), -EINVAL, "wraps around");
}

static void dt_err_cpu_no_reg(struct ktest *t)
{
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_CPU_NO_REG));
	PARSE_ERR(t, sizeof(dtb), -ENOENT, "dt: /cpus/cpu@1: missing property 'reg'");
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_NO_TIMEBASE));
	PARSE_ERR(t, sizeof(dtb), -ENOENT, "dt: /cpus: missing property 'timebase-frequency'");
}

static void dt_err_no_memory(struct ktest *t)
{
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_NO_MEMORY));
	PARSE_ERR(t, sizeof(dtb), -ENOENT, "device_type = \"memory\"");
}

static void dt_err_limits(struct ktest *t)
{
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_MANY_MEM));
	PARSE_ERR(t, sizeof(dtb), -E2BIG, "dt: /memory@80000000: more than 32 memory ranges");
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_ADDR_CELLS));
	PARSE_ERR(t, sizeof(dtb), -EINVAL, "dt: /: '#address-cells'");
	/* A good tree parses with a NULL/zero-sized error buffer too. */
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_GOOD));
	KEXPECT_EQ(t, dt_parse(dtb, sizeof(dtb), &dti, NULL, 0), 0);
	BUILD(t, dtb_build_bad(dtb, sizeof(dtb), DTB_BAD_CPU_NO_REG));
	KEXPECT_EQ(t, dt_parse(dtb, sizeof(dtb), &dti, NULL, 0), -ENOENT);
}

KTEST_SUITE(dt, false,
	KTEST_CASE(dt_virt_tree),
	KTEST_CASE(dt_two_memory_nodes),
	KTEST_CASE(dt_32bit_cells),
	KTEST_CASE(dt_reserved_memory),
	KTEST_CASE(dt_memreserve),
	KTEST_CASE(dt_cpus),
	KTEST_CASE(dt_cpus_usable),
	KTEST_CASE(dt_chosen),
	KTEST_CASE(dt_disabled_memory),
	KTEST_CASE(dt_pci),
	KTEST_CASE(dt_plic_contexts),
	KTEST_CASE(dt_two_plics),
	KTEST_CASE(dt_err_device_nodes),
	KTEST_CASE(dt_err_truncated),
	KTEST_CASE(dt_err_bad_magic),
	KTEST_CASE(dt_err_mem_reg_len),
	KTEST_CASE(dt_err_cpu_no_reg),
	KTEST_CASE(dt_err_no_memory),
	KTEST_CASE(dt_err_limits));
