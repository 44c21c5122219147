// SPDX-License-Identifier: GPL-2.0
/*
 * Property readers for an untrusted flattened device tree (see
 * <rvmm/of_fdt.h>): the blob is validated as a whole first (header, then
 * fdt_check_full() against the real buffer size), and every property
 * length is checked before a cell is read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <rvmm/of_fdt.h>

int dt_fail(const struct dt_parser *p, int node, int ret, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return ret;
	if (node < 0) {
		n = snprintf(p->err, p->errlen, "dt: ");
	} else {
		if (fdt_get_path(p->fdt, node, path, sizeof(path)) < 0) {
			/* Path too deep for the buffer: the name still helps. */
			const char *name = fdt_get_name(p->fdt, node, NULL);

			snprintf(path, sizeof(path), ".../%s", name ? name : "?");
		}
		n = snprintf(p->err, p->errlen, "dt: %s: ", path);
	}
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

const struct of_device_id *of_match_node(const struct of_device_id *table, const void *fdt,
					 int node)
{
	const char *compat;
	int len;

	/* The node's own order decides: its first string is the most specific. */
	for (int i = 0; (compat = fdt_stringlist_get(fdt, node, "compatible", i, &len)); i++)
		for (const struct of_device_id *id = table; id->compatible; id++)
			if (!strcmp(id->compatible, compat))
				return id;
	return NULL;
}

/* ---- early-safe primitives ------------------------------------------- */

bool dt_str_eq(const char *s, int len, const char *lit)
{
	return s && len >= 1 && (size_t)len == strlen(lit) + 1 && !memcmp(s, lit, len);
}

bool dt_prop_is(const void *fdt, int node, const char *prop, const char *lit)
{
	int len;
	const char *s = fdt_getprop(fdt, node, prop, &len);

	return dt_str_eq(s, len, lit);
}

bool dt_node_enabled(const void *fdt, int node)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "status", &len);

	return !s || dt_str_eq(s, len, "okay") || dt_str_eq(s, len, "ok");
}

u64 dt_read_cells(const fdt32_t *p, int n)
{
	u64 v = 0;

	while (n-- > 0)
		v = (v << 32) | fdt32_ld(p++);
	return v;
}

/*
 * Early-safe. fdt_check_header() reads header fields without knowing the
 * buffer size, and reads size_dt_strings even from a v2 header too short
 * to hold it (found by the fuzzer), so the full v17 header must fit before
 * it is called. Older versions are refused: the spec says 17, every
 * firmware writes 17, and libfdt's pre-16 paths (full-path node names,
 * no size_dt_struct) are not worth exposing to a hostile blob.
 */
int dt_check_blob(const void *fdt, size_t bufsize, int *fdt_err)
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

int dt_check_fail(const struct dt_parser *p, size_t bufsize)
{
	const void *fdt = p->fdt;
	int fdt_err;

	switch (dt_check_blob(fdt, bufsize, &fdt_err)) {
	case DT_CHECK_OK:
		return 0;
	case DT_CHECK_SHORT:
		if (!fdt)
			return dt_fail(p, -1, -EINVAL, "no blob (NULL pointer)");
		return dt_fail(p, -1, -EINVAL, "blob truncated: %u bytes, smaller than its header",
			       (unsigned int)bufsize);
	case DT_CHECK_HEADER:
		if (fdt_err == -FDT_ERR_BADMAGIC)
			return dt_fail(p, -1, -EINVAL, "header: bad magic 0x%08x (expected 0x%08x)",
				       fdt_magic(fdt), FDT_MAGIC);
		return dt_fail(p, -1, -EINVAL, "header: invalid (%s)", fdt_strerror(fdt_err));
	case DT_CHECK_VERSION:
		return dt_fail(p, -1, -EINVAL, "header: version %u unsupported (need 17)",
			       fdt_version(fdt));
	case DT_CHECK_ALIGN:
		return dt_fail(p, -1, -EINVAL,
			       "header: misaligned block (off_mem_rsvmap 0x%x, off_dt_struct 0x%x)",
			       fdt_off_mem_rsvmap(fdt), fdt_off_dt_struct(fdt));
	case DT_CHECK_TOTALSIZE:
		return dt_fail(p, -1, -EINVAL,
			       "blob truncated: header totalsize %u > buffer size %u",
			       fdt_totalsize(fdt), (unsigned int)bufsize);
	default:
		return dt_fail(p, -1, -EINVAL, "structure block corrupt (%s)",
			       fdt_strerror(fdt_err));
	}
}

/* ---- cells and reg-like properties ----------------------------------- */

/* Values wider than 64 bits cannot be represented and are refused. */
int dt_node_cells(const struct dt_parser *p, int node, int min_sc, int *ac, int *sc)
{
	*ac = fdt_address_cells(p->fdt, node);
	*sc = fdt_size_cells(p->fdt, node);
	if (*ac < 1 || *ac > 2)
		return dt_fail(p, node, -EINVAL,
			       "'#address-cells' invalid or unsupported (need 1 or 2)");
	if (*sc < min_sc || *sc > 2)
		return dt_fail(p, node, -EINVAL,
			       "'#size-cells' invalid or unsupported (need %d..2)", min_sc);
	return 0;
}

int dt_parent_cells(const struct dt_parser *p, int node, int min_sc, int *ac, int *sc)
{
	int parent = fdt_parent_offset(p->fdt, node);

	if (parent < 0)
		return dt_fail(p, node, -EINVAL, "no parent node");
	return dt_node_cells(p, parent, min_sc, ac, sc);
}

int dt_get_reg(const struct dt_parser *p, int node, const char *prop, int ac, int sc, bool required,
	       struct dt_reg *r)
{
	int len, stride = (ac + sc) * 4;
	const fdt32_t *c = fdt_getprop(p->fdt, node, prop, &len);

	r->cells = c;
	r->n = 0;
	r->ac = ac;
	r->sc = sc;
	if (!c) {
		if (required)
			return dt_fail(p, node, -ENOENT, "missing property '%s'", prop);
		return 0;
	}
	if (len % stride)
		return dt_fail(
			p, node, -EINVAL,
			"'%s' length %d not a multiple of %d (#address-cells=%d, #size-cells=%d)",
			prop, len, stride, ac, sc);
	r->n = len / stride;
	for (int i = 0; i < r->n; i++) {
		u64 base = dt_read_cells(c + i * (ac + sc), ac);
		u64 size = dt_read_cells(c + i * (ac + sc) + ac, sc);

		if (size && base + size - 1 < base)
			return dt_fail(p, node, -EINVAL,
				       "'%s' entry %d (0x%llx + 0x%llx) wraps around", prop, i,
				       (unsigned long long)base, (unsigned long long)size);
	}
	return 0;
}

void dt_reg_entry(const struct dt_reg *r, int i, u64 *base, u64 *size)
{
	const fdt32_t *c = r->cells + i * (r->ac + r->sc);

	*base = dt_read_cells(c, r->ac);
	*size = dt_read_cells(c + r->ac, r->sc);
}

int dt_first_reg(const struct dt_parser *p, int node, u64 *base, u64 *size)
{
	struct dt_reg r;
	int ac, sc, ret;

	ret = dt_parent_cells(p, node, 0, &ac, &sc);
	if (!ret)
		ret = dt_get_reg(p, node, "reg", ac, sc, true, &r);
	if (ret)
		return ret;
	if (!r.n)
		return dt_fail(p, node, -EINVAL, "'reg' is empty");
	dt_reg_entry(&r, 0, base, size);
	return 0;
}

int dt_get_u32(const struct dt_parser *p, int node, const char *prop, u32 *val)
{
	int len;
	const fdt32_t *c = fdt_getprop(p->fdt, node, prop, &len);

	if (!c)
		return dt_fail(p, node, -ENOENT, "missing property '%s'", prop);
	if (len != 4)
		return dt_fail(p, node, -EINVAL, "'%s' length %d, expected 4", prop, len);
	*val = fdt32_ld(c);
	return 0;
}

int dt_intr_cells(const struct dt_parser *p, int node, u32 *cells)
{
	int ret = dt_get_u32(p, node, "#interrupt-cells", cells);

	if (!ret && (*cells < 1 || *cells > FDT_MAX_NCELLS))
		return dt_fail(p, node, -EINVAL, "'#interrupt-cells' = %u unsupported", *cells);
	return ret;
}

int dt_walk_end(const struct dt_parser *p, int parent, int err)
{
	if (err == -FDT_ERR_NOTFOUND)
		return 0;
	return dt_fail(p, parent, -EINVAL, "walk failed: %s", fdt_strerror(err));
}
