// SPDX-License-Identifier: GPL-2.0
/*
 * The device tree as setup_vm() reads it, with the MMU off from physical
 * addresses: the paging-mode cap (cpus' "mmu-type", no4lvl/no5lvl) and
 * the test syscon, before any page table exists. Everything here is
 * early-safe (<rvmm/of_fdt.h>): locals, direct calls and string
 * literals only, never a table of pointers such as fdt_strerror()'s.
 * (GCC's switch tables are label differences, also position independent.)
 */
#include <string.h>
#include <asm/fdt_early.h>
#include <rvmm/dt.h>
#include <rvmm/of_fdt.h>

int dt_early_check(const void *fdt, size_t bufsize)
{
	int fdt_err;

	return dt_check_blob(fdt, bufsize, &fdt_err) == DT_CHECK_OK ? 0 : -EINVAL;
}

int dt_mmu_type(const void *fdt, int node)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "mmu-type", &len);

	if (dt_str_eq(s, len, "riscv,sv39"))
		return DT_MMU_SV39;
	if (dt_str_eq(s, len, "riscv,sv48"))
		return DT_MMU_SV48;
	if (dt_str_eq(s, len, "riscv,sv57"))
		return DT_MMU_SV57;
	return DT_MMU_NONE;
}

int dt_early_mmu_limit(const void *fdt)
{
	int cpus, node, mmu, best = DT_MMU_NONE;

	cpus = fdt_path_offset(fdt, "/cpus");
	if (cpus < 0)
		return DT_MMU_NONE;
	fdt_for_each_subnode(node, fdt, cpus) {
		if (!dt_prop_is(fdt, node, "device_type", "cpu") || !dt_node_enabled(fdt, node))
			continue;
		mmu = dt_mmu_type(fdt, node);
		if (mmu != DT_MMU_NONE && (best == DT_MMU_NONE || mmu < best))
			best = mmu;
	}
	return best;
}

int dt_paging_limit(int mmu_limit, const char *bootargs)
{
	int limit = mmu_limit != DT_MMU_NONE ? mmu_limit : DT_MMU_SV57;

	if (strstr(bootargs, "no5lvl") && limit > DT_MMU_SV48)
		limit = DT_MMU_SV48;
	if (strstr(bootargs, "no4lvl"))
		limit = DT_MMU_SV39;
	return limit;
}

/* Truncates to @len. */
void dt_early_bootargs(const void *fdt, char *buf, size_t len)
{
	const char *s;
	int node, plen;
	size_t n;

	if (!len)
		return;
	buf[0] = '\0';
	node = fdt_path_offset(fdt, "/chosen");
	if (node < 0)
		return;
	s = fdt_getprop(fdt, node, "bootargs", &plen);
	if (!s || plen <= 0)
		return;
	n = strnlen(s, plen);
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/*
 * Known this early, even a panic on a bad device tree can hand QEMU a
 * non-zero exit status. The compatibles are looked up one by one: a table
 * of string pointers would hold link addresses.
 */
u64 dt_early_test_syscon(const void *fdt)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "sifive,test1");
	int len, ac;
	const fdt32_t *reg;

	if (node < 0)
		node = fdt_node_offset_by_compatible(fdt, -1, "sifive,test0");
	if (node < 0)
		return 0;
	ac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node));
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg || ac < 1 || ac > 2 || len < ac * 4)
		return 0;
	return dt_read_cells(reg, ac);
}
