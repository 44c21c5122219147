// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for boot/dt.c and the drivers' node parsers under ASan/UBSan:
 * the kernel's own "dt" suite (included below, one source of truth), plus
 * "dt_host":
 *  - a randomized robustness case that mutates a valid blob (byte flips,
 *    header offsets, property rewrites through fdt_rw, truncation) and
 *    feeds each result to dt_parse() from an exactly-sized heap copy, so
 *    that ASan reports any read past the buffer, then every PLIC and ECAM
 *    node of what it accepts to those drivers' parsers;
 *  - the real QEMU virt blob when RVMM_QEMU_DTB names one.
 *
 * Its stream comes from RVMM_SEED like every randomised host case.
 */
#include "../kernel/dt_test.c"

#include <stdlib.h>
#include "sim.h"
#include <rvmm/printk.h>

#define DT_RANDOM_ITERS 20000

/* Mutation sources: every builder's tree, so all walkers get hit. */
#define DT_NR_SRC 8
static u8 dt_src[DT_NR_SRC][DTB_BUF_SIZE] __aligned(8);
static u8 dt_work[2 * DTB_BUF_SIZE] __aligned(8);

static int build_sources(void)
{
	const int sz = DTB_BUF_SIZE;

	DTB_TRY(dtb_build_virt(dt_src[0], sz, 0));
	DTB_TRY(dtb_build_virt(dt_src[1], sz, DTB_VIRT_AIA | DTB_VIRT_MONITOR0));
	DTB_TRY(dtb_build_two_mem(dt_src[2], sz));
	DTB_TRY(dtb_build_mem32(dt_src[3], sz));
	DTB_TRY(dtb_build_rsv(dt_src[4], sz));
	DTB_TRY(dtb_build_cpus(dt_src[5], sz));
	DTB_TRY(dtb_build_virt(dt_src[6], sz, DTB_VIRT_MONITOR0));
	return dtb_build_virt(dt_src[7], sz, DTB_VIRT_TWO_PLICS);
}

static u32 rnd(struct sim_rng *s, u32 n)
{
	return n ? sim_rand_below(s, n) : 0;
}

/* Values that hit edge cases in offsets, lengths and cell counts. */
static u32 interesting(struct sim_rng *s, u32 near)
{
	static const u32 v[] = { 0, 1,	2,	    3,		4,	    7,
				 8, 16, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff };

	switch (rnd(s, 3)) {
	case 0:
		return v[rnd(s, ARRAY_SIZE(v))];
	case 1:
		return near + rnd(s, 17) - 8;
	default:
		return (u32)sim_rand(s);
	}
}

static void mutate_bytes(struct sim_rng *s, u8 *b, u32 len)
{
	for (u32 n = 1 + rnd(s, 8); n; n--)
		b[rnd(s, len)] ^= 1 + rnd(s, 255);
}

/* Header words: totalsize, the block offsets and sizes, versions. */
static void mutate_header(struct sim_rng *s, u8 *b)
{
	u32 off = 4 * (1 + rnd(s, 9));

	fdt32_st(b + off, interesting(s, fdt32_ld((const fdt32_t *)(b + off))));
}

/* The @k-th property of the whole tree (-1 past the end); @k < 0 counts. */
static int nth_prop(const void *fdt, int k, int *node)
{
	int n, p, i = 0;

	for (n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL)) {
		fdt_for_each_property_offset(p, fdt, n)
		{
			if (i++ == k) {
				*node = n;
				return p;
			}
		}
	}
	return k < 0 ? i : -1;
}

/*
 * Structurally valid but semantically hostile: replace one property's
 * value with random cells of random length, or delete it, so that the
 * blob passes fdt_check_full() and the walkers' own checks are exercised.
 */
static int mutate_property(struct sim_rng *s, const u8 *src, u8 *b, u32 size)
{
	u8 val[96];
	char name[64];
	const char *pname;
	int node, prop, len;

	if (fdt_open_into(src, b, size) < 0)
		return -1;
	prop = nth_prop(b, rnd(s, nth_prop(b, -1, &node)), &node);
	if (prop < 0 || !fdt_getprop_by_offset(b, prop, &pname, &len))
		return -1;
	/* Copied out: the edit moves the strings block under @pname. */
	snprintf(name, sizeof(name), "%s", pname);
	if (!rnd(s, 8))
		return fdt_delprop(b, node, name);
	len = rnd(s, 4) ? (int)(4 * rnd(s, 24)) : (int)rnd(s, sizeof(val));
	for (int i = 0; i + 4 <= len; i += 4)
		fdt32_st(val + i, interesting(s, 2));
	for (int i = len & ~3; i < len; i++)
		val[i] = rnd(s, 256);
	if (fdt_setprop(b, node, name, val, len) < 0)
		return -1;
	return fdt_pack(b);
}

static bool dt_errno_ok(int ret)
{
	return ret == -EINVAL || ret == -E2BIG || ret == -ENOENT;
}

/*
 * What the drivers would parse of an accepted tree (drivers only ever see
 * one): every PLIC and ECAM node, with dt.h's contract.
 */
static void parse_device_nodes(struct ktest *t, const u8 *p, int it)
{
	int ret;

	for (int n = fdt_next_node(p, -1, NULL); n >= 0 && !t->failed;
	     n = fdt_next_node(p, n, NULL)) {
		if (of_match_node(plic_of_match, p, n))
			ret = plic_parse_node(p, n, &plic, dterr, sizeof(dterr));
		else if (of_match_node(pci_host_ecam_of_match, p, n))
			ret = pci_host_parse_node(p, n, &pcih, dterr, sizeof(dterr));
		else
			continue;
		if (ret && (!dt_errno_ok(ret) || !dterr[0]))
			ktest_fail(t, __FILE__, __LINE__, "iter %d: node parser: %d, \"%s\"", it,
				   ret, dterr);
		if (!ret && (plic.nr_s_ctx > PLIC_MAX_HARTS || pcih.nr_ranges > PCI_MAX_RANGES ||
			     pcih.nr_irq_map > PCI_MAX_IRQ_MAP))
			ktest_fail(t, __FILE__, __LINE__, "iter %d: node parsed but inconsistent",
				   it);
	}
}

/* Parse @len bytes from an exactly-sized heap copy; check the contract. */
static int parse_copy(struct ktest *t, const u8 *b, u32 len, int it)
{
	u8 *p = malloc(len ? len : 1);
	char bootargs[32];
	int ret, early;

	memcpy(p, b, len);
	ret = dt_parse(p, len, &dti, dterr, sizeof(dterr));
	early = dt_early_check(p, len);
	if (ret && (!dt_errno_ok(ret) || !dterr[0]))
		ktest_fail(t, __FILE__, __LINE__, "iter %d: ret %d, message \"%s\"",
			   it, ret, dterr);
	if (!ret && (early || dti.nr_mem < 1 || dti.nr_cpus < 1 || dti.nr_mem > DT_MAX_MEM ||
		     dti.nr_rsv > DT_MAX_RSV))
		ktest_fail(t, __FILE__, __LINE__, "iter %d: parsed but inconsistent", it);
	if (!early) { /* the early helpers trust a checked blob */
		dt_early_mmu_limit(p);
		dt_early_bootargs(p, bootargs, sizeof(bootargs));
	}
	if (!ret)
		parse_device_nodes(t, p, it);
	free(p);
	return ret;
}

static void dt_host_random(struct ktest *t)
{
	struct sim_rng rng, *s = &rng;
	int parsed = 0, rejected = 0;

	sim_rng_init(&rng, "dt_host_random");
	KASSERT_EQ(t, build_sources(), 0);
	for (int it = 0; it < DT_RANDOM_ITERS; it++) {
		const u8 *src = dt_src[rnd(s, DT_NR_SRC)];
		u32 size = fdt_totalsize(src), len = size;

		memcpy(dt_work, src, size);
		switch (rnd(s, 4)) {
		case 0:
			mutate_bytes(s, dt_work, size);
			break;
		case 1:
			mutate_header(s, dt_work);
			break;
		case 2:
			if (mutate_property(s, src, dt_work, sizeof(dt_work)) < 0)
				memcpy(dt_work, src, size);
			len = fdt_totalsize(dt_work);
			break;
		default: /* valid blob, truncated */
			len = rnd(s, size);
			break;
		}
		/* Sometimes also cut whatever came out, header included. */
		if (!rnd(s, 8))
			len = rnd(s, len + 1);
		if (parse_copy(t, dt_work, len, it))
			rejected++;
		else
			parsed++;
		if (t->failed)
			return;
	}
	printk("    # dt_host_random: %d iterations, %d parsed, %d rejected\n", DT_RANDOM_ITERS,
	       parsed, rejected);
	/* Both outcomes must be reached, or the mutations are too weak. */
	KEXPECT_GT(t, parsed, 0);
	KEXPECT_GT(t, rejected, 0);
}

/* Inputs the fuzzer (make fuzz) crashed on, replayed from exact-size copies. */
static const u8 dt_fuzz_v2_header[] = {
	/* read past a 35-byte v2 blob */
	0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x03, 0x99, 0x00, 0x00, 0x00, 0x40,
	0x00, 0x00, 0x02, 0xfc, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x67, 0x65, 0x73, 0x00, 0x63, 0x00, 0x00,
};

static void dt_host_fuzz_regressions(struct ktest *t)
{
	KEXPECT_EQ(t, parse_copy(t, dt_fuzz_v2_header, sizeof(dt_fuzz_v2_header), 0), -EINVAL);
	KEXPECT_TRUE(t, strstr(dterr, "truncated") != NULL);
}

/*
 * The hostile memory layouts of `make test` (tests/negative.py, HOSTILE) as the
 * parser sees them: ranges not page-aligned, overlapping nodes, a range
 * across the Sv39 limit, @nr ranges in all. The parser passes every value
 * through unchanged (rounding and clipping are setup_memblock()'s).
 */
static int build_hostile_mem(void *buf, int size, int nr)
{
	static const u64 odd[] = { 0x80000800, 0x3ffff000, 0xc0000800, 0x400,
				   0xa0000000, 0x20000000, 0x1fc0000000, 0xc0000000 };
	struct dtb_cpu cpu = { .mmu = "riscv,sv39", .isa = "rv64imac" };
	u64 many[2 * (DT_MAX_MEM + 1)];

	for (int i = 0; i < nr - 4; i++) {
		many[2 * i] = 0x100000000ull + i * 0x2000000ull;
		many[2 * i + 1] = 0x1000000;
	}
	DTB_TRY(dtb_begin(buf, size, NULL, 0, 2, 2));
	DTB_TRY(dtb_memory(buf, 2, 2, odd, 2, NULL));
	DTB_TRY(dtb_memory(buf, 2, 2, odd + 4, 2, NULL));
	DTB_TRY(dtb_memory(buf, 2, 2, many, nr - 4, NULL));
	DTB_TRY(fdt_begin_node(buf, "cpus"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 1));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 0));
	DTB_TRY(fdt_property_u32(buf, "timebase-frequency", DTB_TIMEBASE));
	DTB_TRY(dtb_cpu(buf, &cpu));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(dtb_chosen(buf, "quiet"));
	return dtb_end(buf);
}

static void dt_host_hostile_memory(struct ktest *t)
{
	static const u64 want[] = { 0x80000800, 0x3ffff000, 0xc0000800, 0x400,
				    0xa0000000, 0x20000000, 0x1fc0000000, 0xc0000000 };

	BUILD(t, build_hostile_mem(dtb, sizeof(dtb), DT_MAX_MEM));
	PARSE_OK(t);
	KASSERT_EQ(t, dti.nr_mem, DT_MAX_MEM);
	for (int i = 0; i < 4; i++) {
		KEXPECT_EQ(t, dti.mem[i].base, want[2 * i]);
		KEXPECT_EQ(t, dti.mem[i].size, want[2 * i + 1]);
	}
	KEXPECT_EQ(t, dti.mem[DT_MAX_MEM - 1].base,
		   0x100000000ull + (DT_MAX_MEM - 5) * 0x2000000ull);
	/* One range more: refused, naming the node that holds it. */
	BUILD(t, build_hostile_mem(dtb, sizeof(dtb), DT_MAX_MEM + 1));
	PARSE_ERR(t, sizeof(dtb), -E2BIG, "dt: /memory@100000000: more than 32 memory ranges");
}

/*
 * The real target: `qemu-system-riscv64 -M virt,dumpdtb=FILE`, one socket
 * (with -numa, each socket has its own PLIC; the first is checked).
 */
static int qemu_node(const struct of_device_id *table)
{
	for (int n = fdt_next_node(dt_work, -1, NULL); n >= 0; n = fdt_next_node(dt_work, n, NULL))
		if (dt_node_enabled(dt_work, n) && of_match_node(table, dt_work, n))
			return n;
	return -1;
}

static void dt_host_qemu_dtb(struct ktest *t)
{
	const char *path = getenv("RVMM_QEMU_DTB");
	FILE *f;
	size_t len;
	int node;

	if (!path || !*path) {
		ktest_skip(t, "RVMM_QEMU_DTB not set");
		return;
	}
	f = fopen(path, "rb");
	KASSERT_TRUE(t, f != NULL);
	len = fread(dt_work, 1, sizeof(dt_work), f);
	fclose(f);
	if (dt_parse(dt_work, len, &dti, dterr, sizeof(dterr))) {
		ktest_fail(t, __FILE__, __LINE__, "%s: %s", path, dterr);
		return;
	}
	KEXPECT_GE(t, dti.nr_mem, 1);
	KEXPECT_GE(t, dti.nr_cpus, 1);
	KEXPECT_EQ(t, dti.timebase_freq, 10000000);
	KEXPECT_EQ(t, dti.test_syscon, 0x100000);
	node = qemu_node(pci_host_ecam_of_match);
	KASSERT_GE(t, node, 0);
	KASSERT_EQ(t, pci_host_parse_node(dt_work, node, &pcih, dterr, sizeof(dterr)), 0);
	KEXPECT_EQ(t, pcih.ecam_base, 0x30000000);
	KEXPECT_EQ(t, pcih.nr_ranges, 3);
	KEXPECT_EQ(t, pcih.nr_irq_map, 16);
	node = qemu_node(plic_of_match);	/* absent with aia=aplic-imsic */
	if (node >= 0)
		KASSERT_EQ(t, plic_parse_node(dt_work, node, &plic, dterr, sizeof(dterr)), 0);
	for (int i = 0; i < dti.nr_cpus && node >= 0; i++)
		KEXPECT_EQ(t, plic_s_context(&plic, dti.cpus[i].hartid), 2 * i + 1);
	for (int i = 0; i < pcih.nr_irq_map && node >= 0; i++)
		KEXPECT_EQ(t, pcih.irq_map[i].parent, plic.phandle);
	KEXPECT_NE(t, dt_early_mmu_limit(dt_work), DT_MMU_NONE);
}

KTEST_SUITE(dt_host, false,
	KTEST_CASE(dt_host_random),
	KTEST_CASE(dt_host_fuzz_regressions),
	KTEST_CASE(dt_host_hostile_memory),
	KTEST_CASE(dt_host_qemu_dtb));
