// SPDX-License-Identifier: GPL-2.0
/*
 * Flattened device tree -> struct dt_info: what mm and SMP need (memory,
 * reserved memory, /memreserve/, /chosen, cpus) and the test syscon that
 * ends a run. Devices are not here: each driver parses its own node.
 *
 * The blob comes from firmware and is not trusted: it is validated as a
 * whole before any walk, and every property through <rvmm/of_fdt.h>.
 */
#include <asm/fdt_early.h>
#include <rvmm/dt.h>
#include <rvmm/of_fdt.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

struct dt_ctx {
	struct dt_parser p;
	struct dt_info *info;
};

/* Copy a string property; absent leaves "" (bootargs may be absent). */
static int dt_get_str(struct dt_ctx *c, int node, const char *prop, char *dst, size_t size)
{
	int len;
	const char *s = fdt_getprop(c->p.fdt, node, prop, &len);

	dst[0] = '\0';
	if (!s)
		return 0;
	if (len < 1 || s[len - 1])
		return dt_fail(&c->p, node, -EINVAL, "'%s' is not a NUL-terminated string", prop);
	if ((size_t)len > size)
		return dt_fail(&c->p, node, -E2BIG, "'%s' length %d exceeds %u bytes", prop, len,
			       (unsigned int)size);
	memcpy(dst, s, len);
	return 0;
}

/* First node compatible with @a, else with @b: 0 = none, < 0 = error. */
static int dt_find_compat(struct dt_ctx *c, const char *a, const char *b, int *node)
{
	*node = fdt_node_offset_by_compatible(c->p.fdt, -1, a);
	if (*node == -FDT_ERR_NOTFOUND && b)
		*node = fdt_node_offset_by_compatible(c->p.fdt, -1, b);
	if (*node >= 0)
		return 1;
	return dt_walk_end(&c->p, -1, *node);
}

/* ---- memory ----------------------------------------------------------- */

static int dt_add_memory_node(struct dt_ctx *c, int node)
{
	struct dt_info *info = c->info;
	struct dt_reg r;
	int ac, sc, ret;

	ret = dt_parent_cells(&c->p, node, 1, &ac, &sc);
	if (!ret)
		ret = dt_get_reg(&c->p, node, "reg", ac, sc, true, &r);
	if (ret)
		return ret;
	for (int i = 0; i < r.n; i++) {
		u64 base, size;

		dt_reg_entry(&r, i, &base, &size);
		if (!size) /* placeholders for absent banks */
			continue;
		if (info->nr_mem == DT_MAX_MEM)
			return dt_fail(&c->p, node, -E2BIG, "more than %d memory ranges", DT_MAX_MEM);
		info->mem[info->nr_mem].base = base;
		info->mem[info->nr_mem].size = size;
		info->nr_mem++;
	}
	return 0;
}

/* Every enabled node with device_type = "memory", wherever it sits. */
static int dt_parse_memory(struct dt_ctx *c)
{
	int node, ret;

	for (node = fdt_next_node(c->p.fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(c->p.fdt, node, NULL)) {
		if (!dt_prop_is(c->p.fdt, node, "device_type", "memory") ||
		    !dt_node_enabled(c->p.fdt, node))
			continue;
		ret = dt_add_memory_node(c, node);
		if (ret)
			return ret;
	}
	ret = dt_walk_end(&c->p, -1, node);
	if (ret)
		return ret;
	if (!c->info->nr_mem)
		return dt_fail(
			&c->p, -1, -ENOENT,
			"no memory: no enabled node with device_type = \"memory\" and a non-empty 'reg'");
	return 0;
}

/* ---- reserved memory -------------------------------------------------- */

static struct dt_reserved *dt_new_rsv(struct dt_ctx *c, int node, const char *name)
{
	struct dt_info *info = c->info;
	struct dt_reserved *r;

	if (info->nr_rsv == DT_MAX_RSV) {
		dt_fail(&c->p, node, -E2BIG, "more than %d reserved regions", DT_MAX_RSV);
		return NULL;
	}
	r = &info->rsv[info->nr_rsv++];
	/* Truncation is fine: the name is only for messages. */
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

/* "size" (+ "alignment") without "reg": memblock picks the base later. */
static int dt_add_dynamic_rsv(struct dt_ctx *c, int node, int sc, const char *name, bool nomap)
{
	struct dt_reg sz, al;
	struct dt_reserved *r;
	int ret;

	/* Both are single #size-cells numbers: reuse the pair reader. */
	ret = dt_get_reg(&c->p, node, "size", 0, sc, true, &sz);
	if (!ret)
		ret = dt_get_reg(&c->p, node, "alignment", 0, sc, false, &al);
	if (ret)
		return ret;
	if (sz.n != 1 || al.n > 1)
		return dt_fail(&c->p, node, -EINVAL, "'size'/'alignment' must be one %d-cell number",
			       sc);
	r = dt_new_rsv(c, node, name);
	if (!r)
		return -E2BIG;
	r->size = dt_read_cells(sz.cells, sc);
	r->align = al.n ? dt_read_cells(al.cells, sc) : SZ_4K;
	r->nomap = nomap;
	r->dynamic = true;
	if (!r->size || !is_power_of_2(r->align))
		return dt_fail(
			&c->p, node, -EINVAL,
			"dynamic region needs a non-zero 'size' and a power-of-2 'alignment'");
	return 0;
}

static int dt_add_rsv_child(struct dt_ctx *c, int node, int ac, int sc)
{
	const char *name = fdt_get_name(c->p.fdt, node, NULL);
	bool nomap = fdt_getprop(c->p.fdt, node, "no-map", NULL) != NULL;
	struct dt_reg reg;
	int ret;

	if (!name)
		name = "?";
	ret = dt_get_reg(&c->p, node, "reg", ac, sc, false, &reg);
	if (ret)
		return ret;
	if (!reg.cells)
		return dt_add_dynamic_rsv(c, node, sc, name, nomap);
	for (int i = 0; i < reg.n; i++) {
		struct dt_reserved *r;
		u64 base, size;

		dt_reg_entry(&reg, i, &base, &size);
		if (!size)
			continue;
		r = dt_new_rsv(c, node, name);
		if (!r)
			return -E2BIG;
		r->base = base;
		r->size = size;
		r->nomap = nomap;
	}
	return 0;
}

/* Children of /reserved-memory use its own #address-cells/#size-cells. */
static int dt_parse_reserved(struct dt_ctx *c)
{
	int parent, node, ac, sc, ret;

	parent = fdt_path_offset(c->p.fdt, "/reserved-memory");
	if (parent < 0)
		return dt_walk_end(&c->p, -1, parent);
	ret = dt_node_cells(&c->p, parent, 1, &ac, &sc);
	if (ret)
		return ret;
	fdt_for_each_subnode(node, c->p.fdt, parent) {
		if (!dt_node_enabled(c->p.fdt, node))
			continue;
		ret = dt_add_rsv_child(c, node, ac, sc);
		if (ret)
			return ret;
	}
	return dt_walk_end(&c->p, parent, node);
}

/* The header's /memreserve/ block: always mapped, never dynamic. */
static int dt_parse_memreserve(struct dt_ctx *c)
{
	int n = fdt_num_mem_rsv(c->p.fdt);

	if (n < 0)
		return dt_fail(&c->p, -1, -EINVAL, "/memreserve/ block corrupt (%s)", fdt_strerror(n));
	for (int i = 0; i < n; i++) {
		struct dt_reserved *r;
		u64 base, size;

		if (fdt_get_mem_rsv(c->p.fdt, i, &base, &size) < 0)
			return dt_fail(&c->p, -1, -EINVAL, "/memreserve/ entry %d unreadable", i);
		if (base + size - 1 < base)
			return dt_fail(&c->p, -1, -EINVAL,
				       "/memreserve/ entry %d (0x%llx + 0x%llx) wraps around", i,
				       (unsigned long long)base, (unsigned long long)size);
		r = dt_new_rsv(c, -1, "memreserve");
		if (!r)
			return -E2BIG;
		r->base = base;
		r->size = size;
		r->memreserve = true;
	}
	return 0;
}

/* ---- /chosen ---------------------------------------------------------- */

static int dt_parse_chosen(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	int node = fdt_path_offset(c->p.fdt, "/chosen");
	int ret;

	if (node < 0)
		return dt_walk_end(&c->p, -1, node);
	ret = dt_get_str(c, node, "bootargs", info->bootargs, sizeof(info->bootargs));
	if (!ret)
		ret = dt_get_str(c, node, "stdout-path", info->stdout_path,
				 sizeof(info->stdout_path));
	return ret;
}

/* ---- /cpus ------------------------------------------------------------ */

/* u32 or u64, as the binding allows both for timebase-frequency. */
static int dt_get_freq(struct dt_ctx *c, int node, const char *prop, u64 *val)
{
	int len;
	const fdt32_t *p = fdt_getprop(c->p.fdt, node, prop, &len);

	if (!p)
		return -ENOENT;
	if (len != 4 && len != 8)
		return dt_fail(&c->p, node, -EINVAL, "'%s' length %d, expected 4 or 8", prop, len);
	*val = dt_read_cells(p, len / 4);
	if (!*val)
		return dt_fail(&c->p, node, -EINVAL, "'%s' is zero", prop);
	return 0;
}

/*
 * @isa holds @src cut to @size - 1 characters. Keep whole extensions only:
 * "zicbo" cut from "zicboz" would claim an extension the hart lacks.
 */
static void dt_isa_cut(char *isa, size_t size, const char *src, size_t want)
{
	char *us;

	if (want < size || src[size - 1] == '_')
		return;
	us = strrchr(isa, '_');
	if (us)
		*us = '\0';
}

/* "rv64" + single letters, then "_" + multi-letter names that fit whole. */
static int dt_isa_from_list(struct dt_ctx *c, int node, char *isa, size_t size)
{
	int len;
	const char *list = fdt_getprop(c->p.fdt, node, "riscv,isa-extensions", &len);
	size_t pos;

	if (!list)
		return 0;
	if (len < 1 || list[len - 1])
		return dt_fail(&c->p, node, -EINVAL,
			       "'riscv,isa-extensions' is not a NUL-terminated string list");
	pos = snprintf(isa, size, "rv64");
	for (int pass = 0; pass < 2; pass++) {
		for (const char *s = list; s < list + len; s += strlen(s) + 1) {
			size_t n = strlen(s);

			if (!n || (pass == 0) != (n == 1))
				continue;
			if (pos + n + pass >= size)
				continue;
			pos += snprintf(isa + pos, size - pos, "%s%s", pass ? "_" : "", s);
		}
	}
	return 0;
}

static int dt_cpu_isa(struct dt_ctx *c, int node, char *isa, size_t size)
{
	int len;
	const char *s = fdt_getprop(c->p.fdt, node, "riscv,isa", &len);

	isa[0] = '\0';
	if (!s)
		return dt_isa_from_list(c, node, isa, size);
	if (len < 1 || s[len - 1])
		return dt_fail(&c->p, node, -EINVAL, "'riscv,isa' is not a NUL-terminated string");
	dt_isa_cut(isa, size, s, snprintf(isa, size, "%s", s));
	return 0;
}

static int dt_add_cpu(struct dt_ctx *c, int node, int ac, int sc)
{
	struct dt_info *info = c->info;
	struct dt_cpu *cpu;
	const fdt32_t *reg, *bs;
	int len, stride = (ac + sc) * 4;
	u64 hart;

	reg = fdt_getprop(c->p.fdt, node, "reg", &len);
	if (!reg)
		return dt_fail(&c->p, node, -ENOENT, "missing property 'reg'");
	if (!len || len % stride)
		return dt_fail(
			&c->p, node, -EINVAL,
			"'reg' length %d not a multiple of %d (#address-cells=%d, #size-cells=%d)",
			len, stride, ac, sc);
	hart = dt_read_cells(reg, ac);
	if (hart > UINT32_MAX)
		return dt_fail(&c->p, node, -EINVAL, "hart id 0x%llx above 32 bits",
			       (unsigned long long)hart);
	for (int i = 0; i < info->nr_cpus; i++)
		if (info->cpus[i].hartid == hart)
			return dt_fail(&c->p, node, -EINVAL, "duplicate hart id %u",
				       (unsigned int)hart);
	if (info->nr_cpus == DT_MAX_CPUS)
		return dt_fail(&c->p, node, -E2BIG, "more than %d cpus", DT_MAX_CPUS);

	cpu = &info->cpus[info->nr_cpus];
	cpu->hartid = hart;
	cpu->enabled = dt_node_enabled(c->p.fdt, node);
	cpu->mmu = dt_mmu_type(c->p.fdt, node);
	bs = fdt_getprop(c->p.fdt, node, "riscv,cboz-block-size", &len);
	cpu->cboz_block_size = bs && len == 4 ? fdt32_ld(bs) : 0;
	info->nr_cpus++;
	return dt_cpu_isa(c, node, cpu->isa, sizeof(cpu->isa));
}

static int dt_parse_cpus(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	int cpus, node, first = -1, ac, sc, ret;

	cpus = fdt_path_offset(c->p.fdt, "/cpus");
	if (cpus < 0)
		return dt_fail(&c->p, -1, -ENOENT, "missing node /cpus");
	ret = dt_node_cells(&c->p, cpus, 0, &ac, &sc);
	if (ret)
		return ret;
	fdt_for_each_subnode(node, c->p.fdt, cpus) {
		if (!dt_prop_is(c->p.fdt, node, "device_type", "cpu"))
			continue;
		if (first < 0)
			first = node;
		ret = dt_add_cpu(c, node, ac, sc);
		if (ret)
			return ret;
	}
	ret = dt_walk_end(&c->p, cpus, node);
	if (ret)
		return ret;
	if (!info->nr_cpus)
		return dt_fail(&c->p, cpus, -ENOENT, "no node with device_type = \"cpu\"");

	/* The binding puts it on /cpus; old trees put it in each cpu. */
	ret = dt_get_freq(c, cpus, "timebase-frequency", &info->timebase_freq);
	if (ret == -ENOENT)
		ret = dt_get_freq(c, first, "timebase-frequency", &info->timebase_freq);
	if (ret == -ENOENT)
		return dt_fail(&c->p, cpus, -ENOENT, "missing property 'timebase-frequency'");
	return ret;
}

/* rv64 with the base the kernel is built for (rv64imac; "g" holds ima). */
static bool dt_isa_runs_kernel(const char *isa)
{
	size_t n;
	bool g;

	if (strncmp(isa, "rv64", 4))
		return false;
	isa += 4;
	n = strcspn(isa, "_");
	g = memchr(isa, 'g', n);
	return (g || (memchr(isa, 'i', n) && memchr(isa, 'm', n) && memchr(isa, 'a', n))) &&
	       memchr(isa, 'c', n);
}

/*
 * Why hart @c cannot run this kernel in paging mode Sv@va_bits, or NULL.
 * A board's tree may leave its monitor core (SiFive E51/S7: M and U modes
 * only, no MMU) "okay": started, it would never come online.
 */
const char *dt_cpu_unusable(const struct dt_cpu *c, int va_bits)
{
	if (!c->enabled)
		return "disabled";
	if (c->mmu == DT_MMU_NONE)
		return "no MMU the kernel runs (mmu-type absent, riscv,none or unknown)";
	if (c->mmu < va_bits)
		return "its MMU lacks the kernel's paging mode";
	if (!dt_isa_runs_kernel(c->isa))
		return "its ISA is not rv64imac";
	return NULL;
}

/*
 * ---- test syscon -------------------------------------------------------
 * Not a driver: machine_shutdown() needs it from the first instruction on
 * (setup_vm() maps it early, so even a panic on a bad tree exits QEMU with
 * a status), and start_kernel() registers its page as I/O.
 */

static int dt_parse_test_syscon(struct dt_ctx *c)
{
	u64 size;
	int node, ret;

	ret = dt_find_compat(c, "sifive,test1", "sifive,test0", &node);
	if (ret <= 0)
		return ret;
	return dt_first_reg(&c->p, node, &c->info->test_syscon, &size);
}

/* ---- what the kernel makes of a cpu ----------------------------------- */

bool dt_isa_has(const char *isa, const char *ext)
{
	size_t n = strlen(ext);

	for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_'))
		if (!strncmp(p + 1, ext, n) && (p[1 + n] == '_' || !p[1 + n]))
			return true;
	return false;
}

u32 dt_cpu_cboz_block(const struct dt_cpu *cpu)
{
	u32 bs = cpu->cboz_block_size;

	if (!dt_isa_has(cpu->isa, "zicboz") || !is_power_of_2(bs) || bs > 64)
		return 0;
	return bs;
}

/* ---- entry points ----------------------------------------------------- */

int dt_parse(const void *fdt, size_t bufsize, struct dt_info *info, char *err, size_t errlen)
{
	struct dt_ctx c = {
		.p = { .fdt = fdt, .err = err, .errlen = errlen },
		.info = info,
	};
	int ret;

	if (err && errlen)
		err[0] = '\0';
	memset(info, 0, sizeof(*info));

	ret = dt_check_fail(&c.p, bufsize);
	if (!ret)
		ret = dt_parse_memory(&c);
	if (!ret)
		ret = dt_parse_reserved(&c);
	if (!ret)
		ret = dt_parse_memreserve(&c);
	if (!ret)
		ret = dt_parse_chosen(&c);
	if (!ret)
		ret = dt_parse_cpus(&c);
	if (!ret)
		ret = dt_parse_test_syscon(&c);
	return ret;
}
