/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_TESTS_DT_BUILDERS_H
#define RVMM_TESTS_DT_BUILDERS_H

/*
 * Device trees built at run time with libfdt's sequential-write API, shared
 * by the kernel self-tests (tests/kernel/dt_test.c), the host tests
 * (tests/host/dt_host_test.c) and the fuzzer's seed corpus
 * (tests/fuzz/dt_fuzz.c), so that all three exercise the same trees.
 *
 * Every builder writes a finished blob into @buf (@size bytes, 8-byte
 * aligned) and returns 0 or a negative libfdt error.
 */
#include <rvmm/dt.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#define DTB_BUF_SIZE 8192
#define DTB_TIMEBASE 10000000u
#define DTB_PLIC_PHANDLE 0x9
#define DTB_PLIC2_PHANDLE 0x19	/* DTB_VIRT_TWO_PLICS: the second PLIC */
#define DTB_PLIC_NDEV 0x5f
#define DTB_VIRT_HARTS 4
#define DTB_BOOTARGS "console=ttyS0 earlycon rvmm.selftest=dt"
#define DTB_STDOUT "/soc/serial@10000000"

#define DTB_TRY(x)                      \
	do {                            \
		int __dtb_r = (x);      \
		if (__dtb_r < 0)        \
			return __dtb_r; \
	} while (0)

/* Property of u32 cells: DTB_CELLS(fdt, "reg", 0, 0x80000000). */
#define DTB_CELLS(fdt, name, ...)                          \
	dtb_cells(fdt, name, (const u32[]){ __VA_ARGS__ }, \
		  sizeof((const u32[]){ __VA_ARGS__ }) / sizeof(u32))
/* String list from a literal with embedded NULs: "i\0m\0a". */
#define DTB_STRS(fdt, name, lit) fdt_property(fdt, name, lit, sizeof(lit))

/* Not in hart order on purpose: the PLIC must be matched by phandle. */
static inline u32 dtb_intc_phandle(u32 hart)
{
	return 0x40 - 3 * hart;
}

static inline int dtb_cells(void *fdt, const char *name, const u32 *v, int n)
{
	fdt32_t *p;

	DTB_TRY(fdt_property_placeholder(fdt, name, n * 4, (void **)&p));
	for (int i = 0; i < n; i++)
		fdt32_st(p + i, v[i]);
	return 0;
}

/* Empty property; libfdt would memcpy() from a NULL value (UBSan). */
static inline int dtb_flag(void *fdt, const char *name)
{
	return fdt_property(fdt, name, "", 0);
}

/* Store @v big-endian in @cells cells (high cells first). */
static inline void dtb_put(fdt32_t *p, int cells, u64 v)
{
	for (int i = cells - 1; i >= 0; i--, v >>= 32)
		fdt32_st(p + i, (u32)v);
}

/* @pairs holds @n (base, size) pairs, written in @ac/@sc cells. */
static inline int dtb_reg(void *fdt, const char *name, int ac, int sc, const u64 *pairs, int n)
{
	fdt32_t *p;

	DTB_TRY(fdt_property_placeholder(fdt, name, n * (ac + sc) * 4, (void **)&p));
	for (int i = 0; i < n; i++) {
		dtb_put(p + i * (ac + sc), ac, pairs[2 * i]);
		dtb_put(p + i * (ac + sc) + ac, sc, pairs[2 * i + 1]);
	}
	return 0;
}

/* Blob header, optional /memreserve/ pairs, root node with its cells. */
static inline int dtb_begin(void *buf, int size, const u64 *rsv, int nr_rsv, u32 ac, u32 sc)
{
	DTB_TRY(fdt_create(buf, size));
	for (int i = 0; i < nr_rsv; i++)
		DTB_TRY(fdt_add_reservemap_entry(buf, rsv[2 * i], rsv[2 * i + 1]));
	DTB_TRY(fdt_finish_reservemap(buf));
	DTB_TRY(fdt_begin_node(buf, ""));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", ac));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", sc));
	return fdt_property_string(buf, "compatible", "rvmm,test");
}

static inline int dtb_end(void *fdt)
{
	DTB_TRY(fdt_end_node(fdt));
	return fdt_finish(fdt);
}

/* memory@<first base> with @n pairs; @status NULL = no property. */
static inline int dtb_memory(void *fdt, int ac, int sc, const u64 *pairs, int n, const char *status)
{
	char name[40];

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)pairs[0]);
	DTB_TRY(fdt_begin_node(fdt, name));
	DTB_TRY(fdt_property_string(fdt, "device_type", "memory"));
	DTB_TRY(dtb_reg(fdt, "reg", ac, sc, pairs, n));
	if (status)
		DTB_TRY(fdt_property_string(fdt, "status", status));
	return fdt_end_node(fdt);
}

static inline int dtb_chosen(void *fdt, const char *bootargs)
{
	DTB_TRY(fdt_begin_node(fdt, "chosen"));
	if (bootargs)
		DTB_TRY(fdt_property_string(fdt, "bootargs", bootargs));
	DTB_TRY(fdt_property_string(fdt, "stdout-path", DTB_STDOUT));
	return fdt_end_node(fdt);
}

struct dtb_cpu {
	u32 hart;
	const char *status; /* NULL: absent */
	const char *mmu; /* NULL: absent */
	const char *isa; /* NULL: absent */
	const char *exts; /* riscv,isa-extensions, NUL separated */
	int exts_len;
	bool no_reg;
	bool no_intc;
};

static inline int dtb_cpu(void *fdt, const struct dtb_cpu *c)
{
	char name[24];

	snprintf(name, sizeof(name), "cpu@%x", c->hart);
	DTB_TRY(fdt_begin_node(fdt, name));
	DTB_TRY(fdt_property_string(fdt, "device_type", "cpu"));
	if (!c->no_reg)
		DTB_TRY(fdt_property_u32(fdt, "reg", c->hart));
	if (c->status)
		DTB_TRY(fdt_property_string(fdt, "status", c->status));
	DTB_TRY(fdt_property_string(fdt, "compatible", "riscv"));
	if (c->isa)
		DTB_TRY(fdt_property_string(fdt, "riscv,isa", c->isa));
	if (c->exts)
		DTB_TRY(fdt_property(fdt, "riscv,isa-extensions", c->exts, c->exts_len));
	if (c->mmu)
		DTB_TRY(fdt_property_string(fdt, "mmu-type", c->mmu));
	if (!c->no_intc) {
		DTB_TRY(fdt_begin_node(fdt, "interrupt-controller"));
		DTB_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
		DTB_TRY(dtb_flag(fdt, "interrupt-controller"));
		DTB_TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
		DTB_TRY(fdt_property_u32(fdt, "phandle", dtb_intc_phandle(c->hart)));
		DTB_TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static inline int dtb_cpus(void *fdt, const struct dtb_cpu *cpus, int n)
{
	DTB_TRY(fdt_begin_node(fdt, "cpus"));
	DTB_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	DTB_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	DTB_TRY(fdt_property_u32(fdt, "timebase-frequency", DTB_TIMEBASE));
	for (int i = 0; i < n; i++)
		DTB_TRY(dtb_cpu(fdt, &cpus[i]));
	return fdt_end_node(fdt);
}

/* @n plain harts 0..n-1, sv48, like a small board. */
static inline int dtb_simple_cpus(void *fdt, int n)
{
	struct dtb_cpu c = { .mmu = "riscv,sv48", .isa = "rv64imac_zicsr" };

	DTB_TRY(fdt_begin_node(fdt, "cpus"));
	DTB_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	DTB_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	DTB_TRY(fdt_property_u32(fdt, "timebase-frequency", DTB_TIMEBASE));
	for (c.hart = 0; c.hart < (u32)n; c.hart++)
		DTB_TRY(dtb_cpu(fdt, &c));
	return fdt_end_node(fdt);
}

/*
 * PLIC contexts as on SiFive boards: with @monitor0, hart 0 is an M-only
 * monitor core (one context), every other hart has M then S.
 */
static inline int dtb_plic_at(void *fdt, const char *name, u32 phandle, u32 base, int harts,
			      bool monitor0)
{
	int n = 0, cells = harts * 4 - (monitor0 ? 2 : 0);
	fdt32_t *p;

	DTB_TRY(fdt_begin_node(fdt, name));
	DTB_TRY(fdt_property_u32(fdt, "phandle", phandle));
	DTB_TRY(fdt_property_u32(fdt, "riscv,ndev", DTB_PLIC_NDEV));
	DTB_TRY(DTB_CELLS(fdt, "reg", 0, base, 0, 0x600000));
	DTB_TRY(fdt_property_placeholder(fdt, "interrupts-extended", cells * 4, (void **)&p));
	for (int h = 0; h < harts; h++) {
		fdt32_st(p + n++, dtb_intc_phandle(h));
		fdt32_st(p + n++, 11);
		if (h == 0 && monitor0)
			continue;
		fdt32_st(p + n++, dtb_intc_phandle(h));
		fdt32_st(p + n++, 9);
	}
	DTB_TRY(dtb_flag(fdt, "interrupt-controller"));
	DTB_TRY(DTB_STRS(fdt, "compatible", "sifive,plic-1.0.0\0riscv,plic0"));
	DTB_TRY(fdt_property_u32(fdt, "#address-cells", 0));
	DTB_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	return fdt_end_node(fdt);
}

static inline int dtb_plic(void *fdt, int harts, bool monitor0)
{
	return dtb_plic_at(fdt, "plic@c000000", DTB_PLIC_PHANDLE, 0xc000000, harts, monitor0);
}

/* QEMU virt,aia=aplic-imsic: the PCI interrupt parent takes 2 cells. */
static inline int dtb_aplic(void *fdt)
{
	DTB_TRY(fdt_begin_node(fdt, "interrupt-controller@d000000"));
	DTB_TRY(fdt_property_u32(fdt, "phandle", DTB_PLIC_PHANDLE));
	DTB_TRY(fdt_property_u32(fdt, "riscv,num-sources", 0x60));
	DTB_TRY(DTB_CELLS(fdt, "reg", 0, 0xd000000, 0, 0x8000));
	DTB_TRY(dtb_flag(fdt, "interrupt-controller"));
	DTB_TRY(fdt_property_u32(fdt, "#interrupt-cells", 2));
	DTB_TRY(fdt_property_u32(fdt, "#address-cells", 0));
	DTB_TRY(DTB_STRS(fdt, "compatible", "qemu,aplic\0riscv,aplic"));
	return fdt_end_node(fdt);
}

/* INTx of slot s, pin p (1..4) -> irq 0x20 + (s + p - 1) % 4, as QEMU. */
static inline u32 dtb_pci_irq(u32 slot, u32 pin)
{
	return 0x20 + (slot + pin - 1) % 4;
}

/* The interrupt parent of slot @slot's INTx: with two PLICs, slots 2-3 go to the second. */
static inline u32 dtb_pci_parent(u32 slot, bool two_plics)
{
	return two_plics && slot >= 2 ? DTB_PLIC2_PHANDLE : DTB_PLIC_PHANDLE;
}

/* QEMU's generic ECAM bridge: IO, MEM32 and prefetchable MEM64 windows. */
static inline int dtb_pci(void *fdt, u32 parent_intr_cells, bool two_plics)
{
	int row = 6 + parent_intr_cells - 1, n = 0;
	fdt32_t *p;

	DTB_TRY(fdt_begin_node(fdt, "pci@30000000"));
	DTB_TRY(DTB_CELLS(fdt, "interrupt-map-mask", 0x1800, 0, 0, 7));
	DTB_TRY(fdt_property_placeholder(fdt, "interrupt-map", 16 * row * 4, (void **)&p));
	for (u32 slot = 0; slot < 4; slot++) {
		for (u32 pin = 1; pin <= 4; pin++) {
			fdt32_st(p + n++, slot << 11);
			fdt32_st(p + n++, 0);
			fdt32_st(p + n++, 0);
			fdt32_st(p + n++, pin);
			fdt32_st(p + n++, dtb_pci_parent(slot, two_plics));
			fdt32_st(p + n++, dtb_pci_irq(slot, pin));
			if (parent_intr_cells == 2)
				fdt32_st(p + n++, 4); /* level high */
		}
	}
	DTB_TRY(DTB_CELLS(fdt, "ranges", 0x1000000, 0, 0, 0, 0x3000000, 0, 0x10000, 0x2000000, 0,
			  0x40000000, 0, 0x40000000, 0, 0x40000000, 0x43000000, 4, 0, 4, 0, 4, 0));
	DTB_TRY(DTB_CELLS(fdt, "reg", 0, 0x30000000, 0, 0x10000000));
	DTB_TRY(DTB_CELLS(fdt, "bus-range", 0, 0xff));
	DTB_TRY(fdt_property_string(fdt, "device_type", "pci"));
	DTB_TRY(fdt_property_string(fdt, "compatible", "pci-host-ecam-generic"));
	DTB_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	DTB_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	DTB_TRY(fdt_property_u32(fdt, "#address-cells", 3));
	return fdt_end_node(fdt);
}

enum dtb_virt_flags {
	DTB_VIRT_AIA = 1 << 0, /* APLIC instead of PLIC */
	DTB_VIRT_MONITOR0 = 1 << 1, /* hart 0 has no S context */
	DTB_VIRT_TWO_PLICS = 1 << 2, /* a second PLIC, INTx of slots 2-3 routed to it */
};

#define DTB_VIRT_MEMRESERVE 0x87000000ull
#define DTB_VIRT_OPENSBI 0x80000000ull

/*
 * Shaped like QEMU's riscv virt machine (-smp 4 -m 1G): the real target.
 * Adds an OpenSBI-style no-map reservation and a /memreserve/ entry.
 */
static inline int dtb_build_virt(void *buf, int size, unsigned int flags)
{
	static const u64 rsv[] = { DTB_VIRT_MEMRESERVE, 0x10000 };
	static const u64 mem[] = { 0x80000000, 0x40000000 };
	static const u64 opensbi[] = { DTB_VIRT_OPENSBI, 0x40000 };
	struct dtb_cpu cpu = {
		.status = "okay",
		.mmu = "riscv,sv57",
		.isa = "rv64imafdch_zicsr_zifencei_zihintpause_sstc_svadu",
	};

	DTB_TRY(dtb_begin(buf, size, rsv, 1, 2, 2));
	DTB_TRY(fdt_property_string(buf, "model", "riscv-virtio,qemu"));
	DTB_TRY(dtb_memory(buf, 2, 2, mem, 1, NULL));
	DTB_TRY(fdt_begin_node(buf, "reserved-memory"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 2));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 2));
	DTB_TRY(dtb_flag(buf, "ranges"));
	DTB_TRY(fdt_begin_node(buf, "mmode_resv0@80000000"));
	DTB_TRY(dtb_reg(buf, "reg", 2, 2, opensbi, 1));
	DTB_TRY(dtb_flag(buf, "no-map"));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(fdt_end_node(buf));

	DTB_TRY(fdt_begin_node(buf, "cpus"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 1));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 0));
	DTB_TRY(fdt_property_u32(buf, "timebase-frequency", DTB_TIMEBASE));
	for (cpu.hart = 0; cpu.hart < DTB_VIRT_HARTS; cpu.hart++)
		DTB_TRY(dtb_cpu(buf, &cpu));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(dtb_chosen(buf, DTB_BOOTARGS));

	DTB_TRY(fdt_begin_node(buf, "soc"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 2));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 2));
	DTB_TRY(fdt_property_string(buf, "compatible", "simple-bus"));
	DTB_TRY(dtb_flag(buf, "ranges"));
	DTB_TRY(fdt_begin_node(buf, "test@100000"));
	DTB_TRY(fdt_property_u32(buf, "phandle", 0xa));
	DTB_TRY(DTB_CELLS(buf, "reg", 0, 0x100000, 0, 0x1000));
	DTB_TRY(DTB_STRS(buf, "compatible", "sifive,test1\0sifive,test0\0syscon"));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(fdt_begin_node(buf, "serial@10000000"));
	DTB_TRY(DTB_CELLS(buf, "interrupts", 0xa));
	DTB_TRY(fdt_property_u32(buf, "interrupt-parent", DTB_PLIC_PHANDLE));
	DTB_TRY(DTB_CELLS(buf, "reg", 0, 0x10000000, 0, 0x100));
	DTB_TRY(fdt_property_string(buf, "compatible", "ns16550a"));
	DTB_TRY(fdt_end_node(buf));
	if (flags & DTB_VIRT_AIA)
		DTB_TRY(dtb_aplic(buf));
	else
		DTB_TRY(dtb_plic(buf, DTB_VIRT_HARTS, flags & DTB_VIRT_MONITOR0));
	if (flags & DTB_VIRT_TWO_PLICS)
		DTB_TRY(dtb_plic_at(buf, "plic@d000000", DTB_PLIC2_PHANDLE, 0xd000000,
				    DTB_VIRT_HARTS, false));
	DTB_TRY(dtb_pci(buf, flags & DTB_VIRT_AIA ? 2 : 1, flags & DTB_VIRT_TWO_PLICS));
	DTB_TRY(fdt_end_node(buf));
	return dtb_end(buf);
}

/* Two memory nodes with two banks each (one bank zero-sized), 2/2 cells. */
#define DTB_TWO_MEM_BANKS                                                                 \
	{                                                                                 \
		0x80000000, 0x20000000, 0x100000000, 0x40000000, 0x200000000, 0x10000000, \
			0x280000000, 0x8000000, 0x300000000, 0                            \
	}

static inline int dtb_build_two_mem(void *buf, int size)
{
	static const u64 m[] = DTB_TWO_MEM_BANKS;

	DTB_TRY(dtb_begin(buf, size, NULL, 0, 2, 2));
	DTB_TRY(dtb_memory(buf, 2, 2, m, 2, NULL));
	DTB_TRY(dtb_memory(buf, 2, 2, m + 4, 3, "okay"));
	DTB_TRY(dtb_simple_cpus(buf, 1));
	return dtb_end(buf);
}

/* A disabled bank between two good ones must not reach memblock. */
static inline int dtb_build_mem_disabled(void *buf, int size)
{
	static const u64 a[] = { 0x80000000, 0x10000000 };
	static const u64 b[] = { 0x90000000, 0x10000000 };
	static const u64 c[] = { 0xa0000000, 0x10000000 };

	DTB_TRY(dtb_begin(buf, size, NULL, 0, 2, 2));
	DTB_TRY(dtb_memory(buf, 2, 2, a, 1, "ok"));
	DTB_TRY(dtb_memory(buf, 2, 2, b, 1, "disabled"));
	DTB_TRY(dtb_memory(buf, 2, 2, c, 1, NULL));
	DTB_TRY(dtb_simple_cpus(buf, 1));
	return dtb_end(buf);
}

/* A 32-bit board: #address-cells = #size-cells = 1 everywhere. */
static inline int dtb_build_mem32(void *buf, int size)
{
	static const u64 m[] = { 0x80000000, 0x8000000, 0xc0000000, 0x1000000 };
	static const u64 r[] = { 0x80000000, 0x20000 };

	DTB_TRY(dtb_begin(buf, size, NULL, 0, 1, 1));
	DTB_TRY(dtb_memory(buf, 1, 1, m, 2, NULL));
	DTB_TRY(fdt_begin_node(buf, "reserved-memory"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 1));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 1));
	DTB_TRY(dtb_flag(buf, "ranges"));
	DTB_TRY(fdt_begin_node(buf, "sbi@80000000"));
	DTB_TRY(dtb_reg(buf, "reg", 1, 1, r, 1));
	DTB_TRY(dtb_flag(buf, "no-map"));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(fdt_begin_node(buf, "pool"));
	DTB_TRY(DTB_CELLS(buf, "size", 0x100000));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(fdt_begin_node(buf, "soc"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 1));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 1));
	DTB_TRY(fdt_begin_node(buf, "test@100000"));
	DTB_TRY(DTB_CELLS(buf, "reg", 0x100000, 0x1000));
	DTB_TRY(fdt_property_string(buf, "compatible", "sifive,test0"));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(dtb_simple_cpus(buf, 1));
	return dtb_end(buf);
}

#define DTB_RSV_LONG_NAME "a-reserved-region-name-longer-than-31-chars@9c000000"

/*
 * /reserved-memory with static no-map and mapped regions, dynamic ones
 * with and without "alignment", a disabled child, a long name, plus two
 * /memreserve/ entries in the header.
 */
static inline int dtb_build_rsv(void *buf, int size)
{
	static const u64 memrsv[] = { 0x84000000, 0x1000, 0x86000000, 0x200000 };
	static const u64 mem[] = { 0x80000000, 0x40000000 };
	static const u64 r0[] = { 0x80000000, 0x80000 };
	static const u64 r1[] = { 0x88000000, 0x100000, 0x89000000, 0x1000 };
	static const u64 r2[] = { 0x8c000000, 0x1000 };
	static const u64 r3[] = { 0x9c000000, 0x2000 };

	DTB_TRY(dtb_begin(buf, size, memrsv, 2, 2, 2));
	DTB_TRY(dtb_memory(buf, 2, 2, mem, 1, NULL));
	DTB_TRY(fdt_begin_node(buf, "reserved-memory"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 2));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 2));
	DTB_TRY(dtb_flag(buf, "ranges"));

	DTB_TRY(fdt_begin_node(buf, "mmode_resv0@80000000"));
	DTB_TRY(dtb_reg(buf, "reg", 2, 2, r0, 1));
	DTB_TRY(dtb_flag(buf, "no-map"));
	DTB_TRY(fdt_end_node(buf));

	DTB_TRY(fdt_begin_node(buf, "shared@88000000"));
	DTB_TRY(dtb_reg(buf, "reg", 2, 2, r1, 2));
	DTB_TRY(fdt_end_node(buf));

	DTB_TRY(fdt_begin_node(buf, "dyn-pool"));
	DTB_TRY(DTB_CELLS(buf, "size", 0, 0x400000));
	DTB_TRY(DTB_CELLS(buf, "alignment", 0, 0x200000));
	DTB_TRY(dtb_flag(buf, "no-map"));
	DTB_TRY(fdt_end_node(buf));

	DTB_TRY(fdt_begin_node(buf, "dyn-default"));
	DTB_TRY(DTB_CELLS(buf, "size", 0, 0x10000));
	DTB_TRY(fdt_end_node(buf));

	DTB_TRY(fdt_begin_node(buf, "off@8c000000"));
	DTB_TRY(dtb_reg(buf, "reg", 2, 2, r2, 1));
	DTB_TRY(fdt_property_string(buf, "status", "disabled"));
	DTB_TRY(fdt_end_node(buf));

	DTB_TRY(fdt_begin_node(buf, DTB_RSV_LONG_NAME));
	DTB_TRY(dtb_reg(buf, "reg", 2, 2, r3, 1));
	DTB_TRY(fdt_end_node(buf));

	DTB_TRY(fdt_end_node(buf));
	DTB_TRY(dtb_simple_cpus(buf, 1));
	return dtb_end(buf);
}

/* 96 bytes cannot hold it: the cut must fall between extensions. */
/* Longer than dt_cpu.isa (512): real riscv,isa strings reach ~400 bytes. */
#define DTB_ISA_EXTS "_zicbom_zicbop_zicboz_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_zihintpause"
#define DTB_LONG_ISA \
	"rv64imafdch" DTB_ISA_EXTS DTB_ISA_EXTS DTB_ISA_EXTS DTB_ISA_EXTS DTB_ISA_EXTS \
	DTB_ISA_EXTS DTB_ISA_EXTS DTB_ISA_EXTS

/*
 * Harts with every mmu-type/status/ISA combination. hart 1 (sv39) is
 * disabled, so the smallest MMU among enabled harts is sv48 (hart 2).
 */
static inline int dtb_build_cpus(void *buf, int size)
{
	static const char exts[] = "i\0m\0a\0zicsr\0c\0zifencei\0\0sstc";
	const struct dtb_cpu cpus[] = {
		{ .hart = 0, .status = "okay", .mmu = "riscv,sv57", .isa = "rv64imafdc_zicsr" },
		{ .hart = 1, .status = "disabled", .mmu = "riscv,sv39", .isa = "rv64imac" },
		{ .hart = 2, .mmu = "riscv,sv48", .exts = exts, .exts_len = sizeof(exts) },
		{ .hart = 3, .status = "ok", .mmu = "riscv,none", .isa = DTB_LONG_ISA },
		{ .hart = 7,
		  .status = "fail",
		  .isa = "rv64gc",
		  .exts = exts,
		  .exts_len = sizeof(exts) },
	};
	static const u64 mem[] = { 0x80000000, 0x40000000 };

	DTB_TRY(dtb_begin(buf, size, NULL, 0, 2, 2));
	DTB_TRY(dtb_memory(buf, 2, 2, mem, 1, NULL));
	DTB_TRY(dtb_cpus(buf, cpus, ARRAY_SIZE(cpus)));
	DTB_TRY(fdt_begin_node(buf, "chosen")); /* no bootargs at all */
	DTB_TRY(fdt_end_node(buf));
	return dtb_end(buf);
}

/* Defects injected into an otherwise minimal, valid tree. */
enum dtb_bad {
	DTB_GOOD,
	DTB_BAD_MEM_REG_LEN, /* memory reg of 12 bytes under 2/2 cells */
	DTB_BAD_CPU_NO_REG, /* cpu@1 without "reg" */
	DTB_BAD_NO_MEMORY, /* no device_type = "memory" node */
	DTB_BAD_MANY_MEM, /* 33 banks: more than DT_MAX_MEM */
	DTB_BAD_ADDR_CELLS, /* root #address-cells = 3 */
	DTB_BAD_MEM_WRAP, /* bank that wraps past 2^64 */
	DTB_BAD_NO_TIMEBASE, /* no timebase-frequency anywhere */
	DTB_BAD_BOOTARGS, /* bootargs longer than dt_info holds */
};

static inline int dtb_bad_memory(void *fdt, enum dtb_bad bad)
{
	static const u64 mem[] = { 0x80000000, 0x40000000 };
	static const u64 wrap[] = { 0xfffffffff0000000ull, 0x20000000 };
	u64 many[2 * (DT_MAX_MEM + 1)];

	switch (bad) {
	case DTB_BAD_NO_MEMORY:
		return 0;
	case DTB_BAD_MEM_REG_LEN:
		DTB_TRY(fdt_begin_node(fdt, "memory@80000000"));
		DTB_TRY(fdt_property_string(fdt, "device_type", "memory"));
		DTB_TRY(DTB_CELLS(fdt, "reg", 0, 0x80000000, 0x40000000));
		return fdt_end_node(fdt);
	case DTB_BAD_MANY_MEM:
		for (int i = 0; i <= DT_MAX_MEM; i++) {
			many[2 * i] = 0x80000000ull + i * 0x1000000ull;
			many[2 * i + 1] = 0x1000000;
		}
		return dtb_memory(fdt, 2, 2, many, DT_MAX_MEM + 1, NULL);
	case DTB_BAD_MEM_WRAP:
		return dtb_memory(fdt, 2, 2, wrap, 1, NULL);
	default:
		return dtb_memory(fdt, 2, 2, mem, 1, NULL);
	}
}

static inline int dtb_build_bad(void *buf, int size, enum dtb_bad bad)
{
	struct dtb_cpu cpu = { .mmu = "riscv,sv39", .isa = "rv64imac" };
	char args[sizeof(((struct dt_info *)0)->bootargs) + 16];

	DTB_TRY(dtb_begin(buf, size, NULL, 0, bad == DTB_BAD_ADDR_CELLS ? 3 : 2, 2));
	DTB_TRY(dtb_bad_memory(buf, bad));
	DTB_TRY(fdt_begin_node(buf, "cpus"));
	DTB_TRY(fdt_property_u32(buf, "#address-cells", 1));
	DTB_TRY(fdt_property_u32(buf, "#size-cells", 0));
	if (bad != DTB_BAD_NO_TIMEBASE)
		DTB_TRY(fdt_property_u32(buf, "timebase-frequency", DTB_TIMEBASE));
	for (cpu.hart = 0; cpu.hart < 2; cpu.hart++) {
		cpu.no_reg = bad == DTB_BAD_CPU_NO_REG && cpu.hart == 1;
		DTB_TRY(dtb_cpu(buf, &cpu));
	}
	DTB_TRY(fdt_end_node(buf));
	memset(args, 'x', sizeof(args) - 1);
	args[sizeof(args) - 1] = '\0';
	DTB_TRY(dtb_chosen(buf, bad == DTB_BAD_BOOTARGS ? args : "quiet"));
	return dtb_end(buf);
}

#endif
