// SPDX-License-Identifier: GPL-2.0
/*
 * Flattened device tree -> struct dt_info, through libfdt only.
 *
 * The blob comes from firmware and is not trusted: it is validated as a
 * whole (header, then fdt_check_full() against the real buffer size) before
 * any walk, and every property length is checked before a cell is read.
 * Cells are read with fdt32_ld(), which is byte-wise, so nothing here cares
 * about alignment (-mstrict-align).
 *
 * The dt_early_*() helpers run with the MMU off from physical addresses:
 * they, and the static helpers they call (marked "early-safe"), use only
 * locals, direct calls and string literals (all PC-relative under medany),
 * never a table of pointers such as fdt_strerror()'s. (GCC's switch tables
 * here are label differences, also position independent.)
 */
#include <rvmm/dt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#define DT_NO_CONTEXT (~0u)
#define DT_IRQ_S_EXT 9 /* cpu-intc cause: supervisor external */

struct dt_ctx {
	const void *fdt;
	struct dt_info *info;
	char *err;
	size_t errlen;
	/* Per cpus[] entry: phandle of its "riscv,cpu-intc", 0 if none. */
	u32 intc_phandle[DT_MAX_CPUS];
};

/* One property holding (address, size) pairs of fixed cell counts. */
struct dt_reg {
	const fdt32_t *cells;
	int n; /* entries */
	int ac, sc;
};

/* ---- error reporting ------------------------------------------------- */

/*
 * Write "dt: <node path>: <message>" into the caller's buffer and return
 * @ret, so that every failure is a one-liner: return dt_fail(...).
 * @node < 0 means the message is about the blob, not a node.
 */
static __printf(4, 5) int dt_fail(struct dt_ctx *c, int node, int ret, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return ret;
	if (node < 0) {
		n = snprintf(c->err, c->errlen, "dt: ");
	} else {
		if (fdt_get_path(c->fdt, node, path, sizeof(path)) < 0) {
			/* Path too deep for the buffer: the name still helps. */
			const char *name = fdt_get_name(c->fdt, node, NULL);

			snprintf(path, sizeof(path), ".../%s", name ? name : "?");
		}
		n = snprintf(c->err, c->errlen, "dt: %s: ", path);
	}
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- early-safe primitives ------------------------------------------- */

/* Early-safe. Property @s of length @len equals the string literal @lit. */
static bool dt_str_eq(const char *s, int len, const char *lit)
{
	return s && len >= 1 && (size_t)len == strlen(lit) + 1 && !memcmp(s, lit, len);
}

/* Early-safe. */
static bool dt_prop_is(const void *fdt, int node, const char *prop, const char *lit)
{
	int len;
	const char *s = fdt_getprop(fdt, node, prop, &len);

	return dt_str_eq(s, len, lit);
}

/* Early-safe. Devicetree spec: absent status means "okay"; "ok" is legacy. */
static bool dt_node_enabled(const void *fdt, int node)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "status", &len);

	return !s || dt_str_eq(s, len, "okay") || dt_str_eq(s, len, "ok");
}

/* Early-safe. "mmu-type" -> satp mode; unknown values count as none. */
static int dt_mmu_type(const void *fdt, int node)
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

/* Early-safe. Which step of the blob validation failed. */
enum dt_check_stage {
	DT_CHECK_OK,
	DT_CHECK_SHORT, /* buffer smaller than the header */
	DT_CHECK_HEADER, /* fdt_check_header() */
	DT_CHECK_VERSION, /* older than v17 */
	DT_CHECK_ALIGN, /* memreserve or structure block misaligned */
	DT_CHECK_TOTALSIZE, /* header claims more than the buffer */
	DT_CHECK_FULL, /* fdt_check_full() */
};

/*
 * Early-safe. fdt_check_header() reads header fields without knowing the
 * buffer size, and reads size_dt_strings even from a v2 header too short
 * to hold it (found by the fuzzer), so the full v17 header must fit before
 * it is called. Older versions are refused: the spec says 17, every
 * firmware writes 17, and libfdt's pre-16 paths (full-path node names,
 * no size_dt_struct) are not worth exposing to a hostile blob.
 */
static int dt_check_blob(const void *fdt, size_t bufsize, int *fdt_err)
{
	*fdt_err = 0;
	if (!fdt || bufsize < sizeof(struct fdt_header))
		return DT_CHECK_SHORT;
	*fdt_err = fdt_check_header(fdt);
	if (*fdt_err)
		return DT_CHECK_HEADER;
	if (fdt_version(fdt) < 17)
		return DT_CHECK_VERSION;
	/*
	 * libfdt dereferences tags and reserve entries as aligned words, so
	 * a header pointing at odd offsets would make it load misaligned
	 * (a trap, or an SBI emulation, on RISC-V). The spec requires 8 and 4.
	 */
	if (!IS_ALIGNED(fdt_off_mem_rsvmap(fdt), 8) || !IS_ALIGNED(fdt_off_dt_struct(fdt), 4))
		return DT_CHECK_ALIGN;
	if (fdt_totalsize(fdt) > bufsize)
		return DT_CHECK_TOTALSIZE;
	*fdt_err = fdt_check_full(fdt, bufsize);
	if (*fdt_err)
		return DT_CHECK_FULL;
	return DT_CHECK_OK;
}

/* ---- cells and reg-like properties ----------------------------------- */

/* Early-safe. @n is 0..2: callers reject wider numbers before reading. */
static u64 dt_read_cells(const fdt32_t *p, int n)
{
	u64 v = 0;

	while (n-- > 0)
		v = (v << 32) | fdt32_ld(p++);
	return v;
}

/*
 * The #address-cells/#size-cells of @node (which govern its children's
 * "reg"), defaulting to 2/1 as the spec says. Values wider than 64 bits
 * cannot be represented in dt_info and are rejected.
 */
static int dt_node_cells(struct dt_ctx *c, int node, int min_sc, int *ac, int *sc)
{
	*ac = fdt_address_cells(c->fdt, node);
	*sc = fdt_size_cells(c->fdt, node);
	if (*ac < 1 || *ac > 2)
		return dt_fail(c, node, -EINVAL,
			       "'#address-cells' invalid or unsupported (need 1 or 2)");
	if (*sc < min_sc || *sc > 2)
		return dt_fail(c, node, -EINVAL,
			       "'#size-cells' invalid or unsupported (need %d..2)", min_sc);
	return 0;
}

/* A node's "reg" is sized by its parent's cells. */
static int dt_parent_cells(struct dt_ctx *c, int node, int min_sc, int *ac, int *sc)
{
	int parent = fdt_parent_offset(c->fdt, node);

	if (parent < 0)
		return dt_fail(c, node, -EINVAL, "no parent node");
	return dt_node_cells(c, parent, min_sc, ac, sc);
}

/*
 * Look up @prop as a list of (ac, sc) pairs. Absent is -ENOENT when
 * @required, else an empty list. Entries that wrap past 2^64 are rejected
 * here so that no consumer ever sees base + size overflow.
 */
static int dt_get_reg(struct dt_ctx *c, int node, const char *prop, int ac, int sc, bool required,
		      struct dt_reg *r)
{
	int len, stride = (ac + sc) * 4;
	const fdt32_t *p = fdt_getprop(c->fdt, node, prop, &len);

	r->cells = p;
	r->n = 0;
	r->ac = ac;
	r->sc = sc;
	if (!p) {
		if (required)
			return dt_fail(c, node, -ENOENT, "missing property '%s'", prop);
		return 0;
	}
	if (len % stride)
		return dt_fail(
			c, node, -EINVAL,
			"'%s' length %d not a multiple of %d (#address-cells=%d, #size-cells=%d)",
			prop, len, stride, ac, sc);
	r->n = len / stride;
	for (int i = 0; i < r->n; i++) {
		u64 base = dt_read_cells(p + i * (ac + sc), ac);
		u64 size = dt_read_cells(p + i * (ac + sc) + ac, sc);

		if (size && base + size - 1 < base)
			return dt_fail(c, node, -EINVAL,
				       "'%s' entry %d (0x%llx + 0x%llx) wraps around", prop, i,
				       (unsigned long long)base, (unsigned long long)size);
	}
	return 0;
}

static void dt_reg_entry(const struct dt_reg *r, int i, u64 *base, u64 *size)
{
	const fdt32_t *p = r->cells + i * (r->ac + r->sc);

	*base = dt_read_cells(p, r->ac);
	*size = dt_read_cells(p + r->ac, r->sc);
}

/* First "reg" entry of a device node (its parent's cells). */
static int dt_first_reg(struct dt_ctx *c, int node, u64 *base, u64 *size)
{
	struct dt_reg r;
	int ac, sc, ret;

	ret = dt_parent_cells(c, node, 0, &ac, &sc);
	if (!ret)
		ret = dt_get_reg(c, node, "reg", ac, sc, true, &r);
	if (ret)
		return ret;
	if (!r.n)
		return dt_fail(c, node, -EINVAL, "'reg' is empty");
	dt_reg_entry(&r, 0, base, size);
	return 0;
}

/* A one-cell property, e.g. "riscv,ndev" or "#interrupt-cells". */
static int dt_get_u32(struct dt_ctx *c, int node, const char *prop, u32 *val)
{
	int len;
	const fdt32_t *p = fdt_getprop(c->fdt, node, prop, &len);

	if (!p)
		return dt_fail(c, node, -ENOENT, "missing property '%s'", prop);
	if (len != 4)
		return dt_fail(c, node, -EINVAL, "'%s' length %d, expected 4", prop, len);
	*val = fdt32_ld(p);
	return 0;
}

/* Copy a string property; absent leaves "" (bootargs may be absent). */
static int dt_get_str(struct dt_ctx *c, int node, const char *prop, char *dst, size_t size)
{
	int len;
	const char *s = fdt_getprop(c->fdt, node, prop, &len);

	dst[0] = '\0';
	if (!s)
		return 0;
	if (len < 1 || s[len - 1])
		return dt_fail(c, node, -EINVAL, "'%s' is not a NUL-terminated string", prop);
	if ((size_t)len > size)
		return dt_fail(c, node, -E2BIG, "'%s' length %d exceeds %u bytes", prop, len,
			       (unsigned int)size);
	memcpy(dst, s, len);
	return 0;
}

/* Walk ends at -FDT_ERR_NOTFOUND; anything else means a corrupt blob. */
static int dt_walk_end(struct dt_ctx *c, int parent, int err)
{
	if (err == -FDT_ERR_NOTFOUND)
		return 0;
	return dt_fail(c, parent, -EINVAL, "walk failed: %s", fdt_strerror(err));
}

/* First node compatible with @a, else with @b: 0 = none, < 0 = error. */
static int dt_find_compat(struct dt_ctx *c, const char *a, const char *b, int *node)
{
	*node = fdt_node_offset_by_compatible(c->fdt, -1, a);
	if (*node == -FDT_ERR_NOTFOUND && b)
		*node = fdt_node_offset_by_compatible(c->fdt, -1, b);
	if (*node >= 0)
		return 1;
	return dt_walk_end(c, -1, *node);
}

/* ---- validation ------------------------------------------------------- */

static int dt_validate(struct dt_ctx *c, size_t bufsize)
{
	const void *fdt = c->fdt;
	int fdt_err;

	switch (dt_check_blob(fdt, bufsize, &fdt_err)) {
	case DT_CHECK_OK:
		return 0;
	case DT_CHECK_SHORT:
		if (!fdt)
			return dt_fail(c, -1, -EINVAL, "no blob (NULL pointer)");
		return dt_fail(c, -1, -EINVAL, "blob truncated: %u bytes, smaller than its header",
			       (unsigned int)bufsize);
	case DT_CHECK_HEADER:
		if (fdt_err == -FDT_ERR_BADMAGIC)
			return dt_fail(c, -1, -EINVAL, "header: bad magic 0x%08x (expected 0x%08x)",
				       fdt_magic(fdt), FDT_MAGIC);
		return dt_fail(c, -1, -EINVAL, "header: invalid (%s)", fdt_strerror(fdt_err));
	case DT_CHECK_VERSION:
		return dt_fail(c, -1, -EINVAL, "header: version %u unsupported (need 17)",
			       fdt_version(fdt));
	case DT_CHECK_ALIGN:
		return dt_fail(c, -1, -EINVAL,
			       "header: misaligned block (off_mem_rsvmap 0x%x, off_dt_struct 0x%x)",
			       fdt_off_mem_rsvmap(fdt), fdt_off_dt_struct(fdt));
	case DT_CHECK_TOTALSIZE:
		return dt_fail(c, -1, -EINVAL,
			       "blob truncated: header totalsize %u > buffer size %u",
			       fdt_totalsize(fdt), (unsigned int)bufsize);
	default:
		return dt_fail(c, -1, -EINVAL, "structure block corrupt (%s)",
			       fdt_strerror(fdt_err));
	}
}

/* ---- memory ----------------------------------------------------------- */

static int dt_add_memory_node(struct dt_ctx *c, int node)
{
	struct dt_info *info = c->info;
	struct dt_reg r;
	int ac, sc, ret;

	ret = dt_parent_cells(c, node, 1, &ac, &sc);
	if (!ret)
		ret = dt_get_reg(c, node, "reg", ac, sc, true, &r);
	if (ret)
		return ret;
	for (int i = 0; i < r.n; i++) {
		u64 base, size;

		dt_reg_entry(&r, i, &base, &size);
		if (!size) /* placeholders for absent banks */
			continue;
		if (info->nr_mem == DT_MAX_MEM)
			return dt_fail(c, node, -E2BIG, "more than %d memory ranges", DT_MAX_MEM);
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

	for (node = fdt_next_node(c->fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(c->fdt, node, NULL)) {
		if (!dt_prop_is(c->fdt, node, "device_type", "memory") ||
		    !dt_node_enabled(c->fdt, node))
			continue;
		ret = dt_add_memory_node(c, node);
		if (ret)
			return ret;
	}
	ret = dt_walk_end(c, -1, node);
	if (ret)
		return ret;
	if (!c->info->nr_mem)
		return dt_fail(
			c, -1, -ENOENT,
			"no memory: no enabled node with device_type = \"memory\" and a non-empty 'reg'");
	return 0;
}

/* ---- reserved memory -------------------------------------------------- */

static struct dt_reserved *dt_new_rsv(struct dt_ctx *c, int node, const char *name)
{
	struct dt_info *info = c->info;
	struct dt_reserved *r;

	if (info->nr_rsv == DT_MAX_RSV) {
		dt_fail(c, node, -E2BIG, "more than %d reserved regions", DT_MAX_RSV);
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
	ret = dt_get_reg(c, node, "size", 0, sc, true, &sz);
	if (!ret)
		ret = dt_get_reg(c, node, "alignment", 0, sc, false, &al);
	if (ret)
		return ret;
	if (sz.n != 1 || al.n > 1)
		return dt_fail(c, node, -EINVAL, "'size'/'alignment' must be one %d-cell number",
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
			c, node, -EINVAL,
			"dynamic region needs a non-zero 'size' and a power-of-2 'alignment'");
	return 0;
}

static int dt_add_rsv_child(struct dt_ctx *c, int node, int ac, int sc)
{
	const char *name = fdt_get_name(c->fdt, node, NULL);
	bool nomap = fdt_getprop(c->fdt, node, "no-map", NULL) != NULL;
	struct dt_reg reg;
	int ret;

	if (!name)
		name = "?";
	ret = dt_get_reg(c, node, "reg", ac, sc, false, &reg);
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

	parent = fdt_path_offset(c->fdt, "/reserved-memory");
	if (parent < 0)
		return dt_walk_end(c, -1, parent);
	ret = dt_node_cells(c, parent, 1, &ac, &sc);
	if (ret)
		return ret;
	fdt_for_each_subnode(node, c->fdt, parent) {
		if (!dt_node_enabled(c->fdt, node))
			continue;
		ret = dt_add_rsv_child(c, node, ac, sc);
		if (ret)
			return ret;
	}
	return dt_walk_end(c, parent, node);
}

/* The header's /memreserve/ block: always mapped, never dynamic. */
static int dt_parse_memreserve(struct dt_ctx *c)
{
	int n = fdt_num_mem_rsv(c->fdt);

	if (n < 0)
		return dt_fail(c, -1, -EINVAL, "/memreserve/ block corrupt (%s)", fdt_strerror(n));
	for (int i = 0; i < n; i++) {
		struct dt_reserved *r;
		u64 base, size;

		if (fdt_get_mem_rsv(c->fdt, i, &base, &size) < 0)
			return dt_fail(c, -1, -EINVAL, "/memreserve/ entry %d unreadable", i);
		if (base + size - 1 < base)
			return dt_fail(c, -1, -EINVAL,
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
	int node = fdt_path_offset(c->fdt, "/chosen");
	int ret;

	if (node < 0)
		return dt_walk_end(c, -1, node);
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
	const fdt32_t *p = fdt_getprop(c->fdt, node, prop, &len);

	if (!p)
		return -ENOENT;
	if (len != 4 && len != 8)
		return dt_fail(c, node, -EINVAL, "'%s' length %d, expected 4 or 8", prop, len);
	*val = dt_read_cells(p, len / 4);
	if (!*val)
		return dt_fail(c, node, -EINVAL, "'%s' is zero", prop);
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
	const char *list = fdt_getprop(c->fdt, node, "riscv,isa-extensions", &len);
	size_t pos;

	if (!list)
		return 0;
	if (len < 1 || list[len - 1])
		return dt_fail(c, node, -EINVAL,
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
	const char *s = fdt_getprop(c->fdt, node, "riscv,isa", &len);

	isa[0] = '\0';
	if (!s)
		return dt_isa_from_list(c, node, isa, size);
	if (len < 1 || s[len - 1])
		return dt_fail(c, node, -EINVAL, "'riscv,isa' is not a NUL-terminated string");
	dt_isa_cut(isa, size, s, snprintf(isa, size, "%s", s));
	return 0;
}

/* The PLIC names harts by their cpu-intc phandle, not by hart id. */
static u32 dt_cpu_intc(const void *fdt, int cpu)
{
	int sub;

	fdt_for_each_subnode(sub, fdt, cpu) {
		if (!fdt_node_check_compatible(fdt, sub, "riscv,cpu-intc"))
			return fdt_get_phandle(fdt, sub);
	}
	return 0;
}

static int dt_add_cpu(struct dt_ctx *c, int node, int ac, int sc)
{
	struct dt_info *info = c->info;
	struct dt_cpu *cpu;
	const fdt32_t *reg, *bs;
	int len, stride = (ac + sc) * 4;
	u64 hart;

	reg = fdt_getprop(c->fdt, node, "reg", &len);
	if (!reg)
		return dt_fail(c, node, -ENOENT, "missing property 'reg'");
	if (!len || len % stride)
		return dt_fail(
			c, node, -EINVAL,
			"'reg' length %d not a multiple of %d (#address-cells=%d, #size-cells=%d)",
			len, stride, ac, sc);
	hart = dt_read_cells(reg, ac);
	if (hart > UINT32_MAX)
		return dt_fail(c, node, -EINVAL, "hart id 0x%llx above 32 bits",
			       (unsigned long long)hart);
	for (int i = 0; i < info->nr_cpus; i++)
		if (info->cpus[i].hartid == hart)
			return dt_fail(c, node, -EINVAL, "duplicate hart id %u",
				       (unsigned int)hart);
	if (info->nr_cpus == DT_MAX_CPUS)
		return dt_fail(c, node, -E2BIG, "more than %d cpus", DT_MAX_CPUS);

	cpu = &info->cpus[info->nr_cpus];
	cpu->hartid = hart;
	cpu->enabled = dt_node_enabled(c->fdt, node);
	cpu->mmu = dt_mmu_type(c->fdt, node);
	cpu->plic_s_context = DT_NO_CONTEXT;
	bs = fdt_getprop(c->fdt, node, "riscv,cboz-block-size", &len);
	cpu->cboz_block_size = bs && len == 4 ? fdt32_ld(bs) : 0;
	c->intc_phandle[info->nr_cpus] = dt_cpu_intc(c->fdt, node);
	info->nr_cpus++;
	return dt_cpu_isa(c, node, cpu->isa, sizeof(cpu->isa));
}

static int dt_parse_cpus(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	int cpus, node, first = -1, ac, sc, ret;

	cpus = fdt_path_offset(c->fdt, "/cpus");
	if (cpus < 0)
		return dt_fail(c, -1, -ENOENT, "missing node /cpus");
	ret = dt_node_cells(c, cpus, 0, &ac, &sc);
	if (ret)
		return ret;
	fdt_for_each_subnode(node, c->fdt, cpus) {
		if (!dt_prop_is(c->fdt, node, "device_type", "cpu"))
			continue;
		if (first < 0)
			first = node;
		ret = dt_add_cpu(c, node, ac, sc);
		if (ret)
			return ret;
	}
	ret = dt_walk_end(c, cpus, node);
	if (ret)
		return ret;
	if (!info->nr_cpus)
		return dt_fail(c, cpus, -ENOENT, "no node with device_type = \"cpu\"");

	/* The binding puts it on /cpus; old trees put it in each cpu. */
	ret = dt_get_freq(c, cpus, "timebase-frequency", &info->timebase_freq);
	if (ret == -ENOENT)
		ret = dt_get_freq(c, first, "timebase-frequency", &info->timebase_freq);
	if (ret == -ENOENT)
		return dt_fail(c, cpus, -ENOENT, "missing property 'timebase-frequency'");
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

/* ---- test syscon, PLIC ------------------------------------------------ */

static int dt_parse_test_syscon(struct dt_ctx *c)
{
	u64 size;
	int node, ret;

	ret = dt_find_compat(c, "sifive,test1", "sifive,test0", &node);
	if (ret <= 0)
		return ret;
	return dt_first_reg(c, node, &c->info->test_syscon, &size);
}

/* #interrupt-cells of an interrupt parent, bounded like libfdt's cells. */
static int dt_intr_cells(struct dt_ctx *c, int node, u32 *cells)
{
	int ret = dt_get_u32(c, node, "#interrupt-cells", cells);

	if (!ret && (*cells < 1 || *cells > FDT_MAX_NCELLS))
		return dt_fail(c, node, -EINVAL, "'#interrupt-cells' = %u unsupported", *cells);
	return ret;
}

static void dt_set_s_context(struct dt_ctx *c, u32 phandle, u32 context)
{
	for (int i = 0; i < c->info->nr_cpus; i++)
		if (c->intc_phandle[i] == phandle &&
		    c->info->cpus[i].plic_s_context == DT_NO_CONTEXT)
			c->info->cpus[i].plic_s_context = context;
}

/*
 * "interrupts-extended" lists one specifier per PLIC context: <phandle of
 * a hart's cpu-intc> followed by that controller's #interrupt-cells. The
 * context that raises cause 9 (S external) is the one S-mode claims from.
 */
static int dt_plic_contexts(struct dt_ctx *c, int plic)
{
	const fdt32_t *p;
	int len, n, i, ret;
	u32 ctx, cells = 0;

	p = fdt_getprop(c->fdt, plic, "interrupts-extended", &len);
	if (!p)
		return 0;
	if (len % 4)
		return dt_fail(c, plic, -EINVAL,
			       "'interrupts-extended' length %d not a multiple of 4", len);
	n = len / 4;
	for (i = 0, ctx = 0; i < n; i += 1 + cells, ctx++) {
		u32 phandle = fdt32_ld(p + i);
		int parent = fdt_node_offset_by_phandle(c->fdt, phandle);

		if (parent < 0)
			return dt_fail(c, plic, -EINVAL,
				       "'interrupts-extended' context %u: no node with phandle %u",
				       ctx, phandle);
		ret = dt_intr_cells(c, parent, &cells);
		if (ret)
			return ret;
		if (n - i - 1 < (int)cells)
			return dt_fail(c, plic, -EINVAL,
				       "'interrupts-extended' context %u truncated", ctx);
		if (fdt32_ld(p + i + 1) == DT_IRQ_S_EXT)
			dt_set_s_context(c, phandle, ctx);
	}
	return 0;
}

/* No PLIC (e.g. virt,aia=aplic-imsic) is fine: plic.base stays 0. */
static int dt_parse_plic(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	int node, ret;

	ret = dt_find_compat(c, "riscv,plic0", "sifive,plic-1.0.0", &node);
	if (ret <= 0)
		return ret;
	ret = dt_first_reg(c, node, &info->plic.base, &info->plic.size);
	if (!ret)
		ret = dt_get_u32(c, node, "riscv,ndev", &info->plic.ndev);
	if (ret)
		return ret;
	info->plic.phandle = fdt_get_phandle(c->fdt, node);
	return dt_plic_contexts(c, node);
}

/* ---- PCI -------------------------------------------------------------- */

static int dt_pci_bus_range(struct dt_ctx *c, int node)
{
	int len;
	const fdt32_t *p = fdt_getprop(c->fdt, node, "bus-range", &len);

	c->info->pci.bus_start = 0;
	c->info->pci.bus_end = 255;
	if (!p)
		return 0;
	if (len != 8)
		return dt_fail(c, node, -EINVAL, "'bus-range' length %d, expected 8", len);
	c->info->pci.bus_start = fdt32_ld(p);
	c->info->pci.bus_end = fdt32_ld(p + 1);
	if (c->info->pci.bus_start > c->info->pci.bus_end || c->info->pci.bus_end > 255)
		return dt_fail(c, node, -EINVAL, "'bus-range' <%u %u> invalid",
			       c->info->pci.bus_start, c->info->pci.bus_end);
	return 0;
}

/*
 * Each "ranges" entry: 3 PCI address cells (phys.hi carries the space code
 * in bits 24-25 and prefetchable in bit 30), the parent bus address in the
 * parent's #address-cells, then the size in the bridge's #size-cells.
 */
static int dt_pci_ranges(struct dt_ctx *c, int node, int pac, int sc)
{
	int len, stride = 3 + pac + sc;
	const fdt32_t *p = fdt_getprop(c->fdt, node, "ranges", &len);

	if (!p)
		return 0;
	if (len % (stride * 4))
		return dt_fail(
			c, node, -EINVAL,
			"'ranges' length %d not a multiple of %d (3 PCI + %d parent address cells, %d size cells)",
			len, stride * 4, pac, sc);
	for (const fdt32_t *e = p; e < p + len / 4; e += stride) {
		struct dt_pci_range *r;
		u32 hi = fdt32_ld(e);
		u64 cpu_addr = dt_read_cells(e + 3, pac);
		u64 size = dt_read_cells(e + 3 + pac, sc);

		/* Space 0 is config space, which ECAM "reg" covers already. */
		if (!((hi >> 24) & 3) || !size)
			continue;
		if (cpu_addr + size - 1 < cpu_addr)
			return dt_fail(c, node, -EINVAL, "'ranges' entry at 0x%llx wraps around",
				       (unsigned long long)cpu_addr);
		if (c->info->pci.nr_ranges == DT_MAX_PCI_RANGES)
			return dt_fail(c, node, -E2BIG, "more than %d 'ranges' entries",
				       DT_MAX_PCI_RANGES);
		r = &c->info->pci.ranges[c->info->pci.nr_ranges++];
		r->space = (hi >> 24) & 3;
		r->prefetch = hi & BIT(30);
		r->pci_addr = dt_read_cells(e + 1, 2);
		r->cpu_addr = cpu_addr;
		r->size = size;
	}
	return 0;
}

/* Cached interrupt parent of an interrupt-map: QEMU uses one for all. */
struct dt_irq_parent {
	u32 phandle;
	u32 addr_cells, intr_cells;
};

static int dt_irq_parent(struct dt_ctx *c, int node, u32 phandle, struct dt_irq_parent *ip)
{
	int parent, len;
	const fdt32_t *p;

	if (ip->phandle == phandle && phandle)
		return 0;
	parent = fdt_node_offset_by_phandle(c->fdt, phandle);
	if (parent < 0)
		return dt_fail(c, node, -EINVAL, "'interrupt-map': no node with phandle %u",
			       phandle);
	/* Unlike "reg", an interrupt parent's absent #address-cells is 0. */
	p = fdt_getprop(c->fdt, parent, "#address-cells", &len);
	ip->addr_cells = p && len == 4 ? fdt32_ld(p) : 0;
	if ((p && len != 4) || ip->addr_cells > FDT_MAX_NCELLS)
		return dt_fail(c, parent, -EINVAL,
			       "'#address-cells' invalid for an interrupt parent");
	ip->phandle = phandle;
	return dt_intr_cells(c, parent, &ip->intr_cells);
}

static int dt_pci_irq_mask(struct dt_ctx *c, int node)
{
	int len;
	const fdt32_t *p = fdt_getprop(c->fdt, node, "interrupt-map-mask", &len);

	/* Absent mask: every bit of the child specifier is significant. */
	for (int i = 0; i < 4; i++)
		c->info->pci.irq_map_mask[i] = p ? 0 : ~0u;
	if (!p)
		return 0;
	if (len != 16)
		return dt_fail(c, node, -EINVAL, "'interrupt-map-mask' length %d, expected 16",
			       len);
	for (int i = 0; i < 4; i++)
		c->info->pci.irq_map_mask[i] = fdt32_ld(p + i);
	return 0;
}

/*
 * "interrupt-map" rows: child unit address (3 cells), pin (1 cell), parent
 * phandle, parent unit address (parent's #address-cells), parent specifier
 * (parent's #interrupt-cells; the PLIC has 1, the APLIC 2). Rows vary in
 * length with the parent, so the walk re-reads the cells per row.
 */
static int dt_pci_irq_map(struct dt_ctx *c, int node)
{
	struct dt_irq_parent ip = { 0 };
	const fdt32_t *p;
	int len, n, i, ret;

	ret = dt_pci_irq_mask(c, node);
	if (ret)
		return ret;
	p = fdt_getprop(c->fdt, node, "interrupt-map", &len);
	if (!p)
		return 0;
	if (len % 4)
		return dt_fail(c, node, -EINVAL, "'interrupt-map' length %d not a multiple of 4",
			       len);
	n = len / 4;
	for (i = 0; i < n; i += 5 + ip.addr_cells + ip.intr_cells) {
		struct dt_pci_irq_map *m;

		if (n - i < 5)
			return dt_fail(c, node, -EINVAL, "'interrupt-map' truncated at cell %d", i);
		ret = dt_irq_parent(c, node, fdt32_ld(p + i + 4), &ip);
		if (ret)
			return ret;
		if ((u32)(n - i - 5) < ip.addr_cells + ip.intr_cells)
			return dt_fail(c, node, -EINVAL, "'interrupt-map' truncated at cell %d", i);
		if (c->info->pci.nr_irq_map == DT_MAX_IRQ_MAP)
			return dt_fail(c, node, -E2BIG, "more than %d 'interrupt-map' entries",
				       DT_MAX_IRQ_MAP);
		m = &c->info->pci.irq_map[c->info->pci.nr_irq_map++];
		m->devfn_mask_pci_hi = fdt32_ld(p + i);
		m->pin = fdt32_ld(p + i + 3);
		m->irq = fdt32_ld(p + i + 5 + ip.addr_cells);
	}
	return 0;
}

/* The generic ECAM host bridge: 3 address cells, 1 interrupt cell. */
static int dt_pci_check_cells(struct dt_ctx *c, int node, int *pac, int *sc)
{
	int len, ac, psc, ret;
	const fdt32_t *ic;

	ac = fdt_address_cells(c->fdt, node);
	*sc = fdt_size_cells(c->fdt, node);
	if (ac != 3 || *sc < 1 || *sc > 2)
		return dt_fail(c, node, -EINVAL, "'#address-cells'/'#size-cells' must be 3/1..2");
	ic = fdt_getprop(c->fdt, node, "#interrupt-cells", &len);
	if (ic && (len != 4 || fdt32_ld(ic) != 1))
		return dt_fail(c, node, -EINVAL, "'#interrupt-cells' must be 1");
	ret = dt_parent_cells(c, node, 0, pac, &psc);
	return ret;
}

static int dt_parse_pci(struct dt_ctx *c)
{
	struct dt_info *info = c->info;
	int node, pac, sc, ret;

	ret = dt_find_compat(c, "pci-host-ecam-generic", NULL, &node);
	if (ret <= 0 || !dt_node_enabled(c->fdt, node))
		return ret < 0 ? ret : 0;
	ret = dt_first_reg(c, node, &info->pci.ecam_base, &info->pci.ecam_size);
	if (!ret)
		ret = dt_pci_check_cells(c, node, &pac, &sc);
	if (!ret)
		ret = dt_pci_bus_range(c, node);
	if (!ret)
		ret = dt_pci_ranges(c, node, pac, sc);
	if (!ret)
		ret = dt_pci_irq_map(c, node);
	if (ret)
		return ret;
	info->has_pci = true;
	return 0;
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
		.fdt = fdt,
		.info = info,
		.err = err,
		.errlen = errlen,
	};
	int ret;

	if (err && errlen)
		err[0] = '\0';
	memset(info, 0, sizeof(*info));

	/* Order matters: the PLIC needs the cpus' intc phandles. */
	ret = dt_validate(&c, bufsize);
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
	if (!ret)
		ret = dt_parse_plic(&c);
	if (!ret)
		ret = dt_parse_pci(&c);
	return ret;
}

/* MMU off: the same checks as dt_parse(), without the messages. */
int dt_early_check(const void *fdt, size_t bufsize)
{
	int fdt_err;

	return dt_check_blob(fdt, bufsize, &fdt_err) == DT_CHECK_OK ? 0 : -EINVAL;
}

/* MMU off; @fdt must have passed dt_early_check(). */
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

/* MMU off; @fdt must have passed dt_early_check(). Truncates to @len. */
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
 * MMU off; @fdt must have passed dt_early_check(). The "sifive,test"
 * syscon's base, or 0: known this early, even a panic on a bad device
 * tree can hand QEMU a non-zero exit status. The compatibles are looked
 * up one by one: a table of string pointers would hold link addresses.
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
