/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_OF_FDT_H
#define RVMM_OF_FDT_H

/*
 * Reading a flattened device tree that is not trusted, shared by the boot
 * parser (boot/dt.c) and every driver's node parser. A parser fails with
 * a negative errno and "dt: <node path>: <what>" in its caller's buffer.
 * Cells are read with fdt32_ld(), which is byte-wise (-mstrict-align).
 *
 * The helpers marked "early-safe" also run with the MMU off from physical
 * addresses (arch/riscv/mm/fdt_early.c): they use only locals, direct
 * calls and string literals, all PC-relative under medany.
 */
#include <libfdt.h>
#include <rvmm/mod_devicetable.h>
#include <rvmm/types.h>

struct dt_parser {
	const void *fdt;
	char *err;		/* may be NULL */
	size_t errlen;
};

/*
 * The entry of @table that @node's "compatible" names, trying the node's
 * strings in order (the first is the most specific), or NULL.
 */
const struct of_device_id *of_match_node(const struct of_device_id *table, const void *fdt,
					 int node);

/* One property holding (address, size) pairs of fixed cell counts. */
struct dt_reg {
	const fdt32_t *cells;
	int n;			/* entries */
	int ac, sc;
};

/* Write "dt: <path of @node>: <message>" (@node < 0: the blob) and return @ret. */
__printf(4, 5) int dt_fail(const struct dt_parser *p, int node, int ret, const char *fmt, ...);

/* Early-safe. Property @s of length @len equals the string literal @lit. */
bool dt_str_eq(const char *s, int len, const char *lit);
/* Early-safe. String property @prop of @node equals @lit. */
bool dt_prop_is(const void *fdt, int node, const char *prop, const char *lit);
/* Early-safe. Devicetree spec: absent status means "okay"; "ok" is legacy. */
bool dt_node_enabled(const void *fdt, int node);
/* Early-safe. @n is 0..2: callers reject wider numbers before reading. */
u64 dt_read_cells(const fdt32_t *p, int n);

/* Early-safe. Which step of the blob validation failed. */
enum dt_check_stage {
	DT_CHECK_OK,
	DT_CHECK_SHORT,		/* buffer smaller than the header */
	DT_CHECK_HEADER,	/* fdt_check_header() */
	DT_CHECK_VERSION,	/* older than v17 */
	DT_CHECK_ALIGN,		/* memreserve or structure block misaligned */
	DT_CHECK_TOTALSIZE,	/* header claims more than the buffer */
	DT_CHECK_FULL,		/* fdt_check_full() */
};
int dt_check_blob(const void *fdt, size_t bufsize, int *fdt_err);
/* The message for a blob dt_check_blob() refused, as dt_fail() does. */
int dt_check_fail(const struct dt_parser *p, size_t bufsize);

/* #address-cells/#size-cells of @node (its children's "reg"): 1..2 and @min_sc..2. */
int dt_node_cells(const struct dt_parser *p, int node, int min_sc, int *ac, int *sc);
/* The same for @node's parent, which sizes @node's own "reg". */
int dt_parent_cells(const struct dt_parser *p, int node, int min_sc, int *ac, int *sc);
/*
 * @prop as (ac, sc) pairs; absent is -ENOENT when @required, else an empty
 * list. Entries that wrap past 2^64 are refused.
 */
int dt_get_reg(const struct dt_parser *p, int node, const char *prop, int ac, int sc,
	       bool required, struct dt_reg *r);
void dt_reg_entry(const struct dt_reg *r, int i, u64 *base, u64 *size);
/* First "reg" entry of a device node (its parent's cells). */
int dt_first_reg(const struct dt_parser *p, int node, u64 *base, u64 *size);
/* A one-cell property, e.g. "riscv,ndev" or "#interrupt-cells". */
int dt_get_u32(const struct dt_parser *p, int node, const char *prop, u32 *val);
/* #interrupt-cells of an interrupt parent, 1..FDT_MAX_NCELLS. */
int dt_intr_cells(const struct dt_parser *p, int node, u32 *cells);
/* A walk ends at -FDT_ERR_NOTFOUND; anything else means a corrupt blob. */
int dt_walk_end(const struct dt_parser *p, int parent, int err);

#endif
