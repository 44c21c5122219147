// SPDX-License-Identifier: GPL-2.0
/*
 * The PLIC's node, parsed (<rvmm/plic.h>). Apart from the driver because
 * it also builds for the host: rvmm-dtinfo prints each hart's S-mode
 * context, and the host tests and the fuzzer feed it hostile trees.
 */
#include <rvmm/of_fdt.h>
#include <rvmm/plic.h>

#define IRQ_S_EXT_CAUSE 9 /* cpu-intc specifier: supervisor external */

const struct of_device_id plic_of_match[] = {
	{ .compatible = "riscv,plic0" },
	{ .compatible = "sifive,plic-1.0.0" },
	{ /* sentinel */ },
};

int plic_s_context(const struct plic_dt *plic, u32 hartid)
{
	for (int i = 0; i < plic->nr_s_ctx; i++)
		if (plic->s_ctx[i].hartid == hartid)
			return (int)plic->s_ctx[i].context;
	return -1;
}

/*
 * The hart a "riscv,cpu-intc" node belongs to: its parent cpu node's
 * "reg". False for anything else (the cpus' own parser refuses a cpu
 * without a usable "reg").
 */
static bool intc_hartid(const void *fdt, int intc, u32 *hartid)
{
	int cpu = fdt_parent_offset(fdt, intc), len, ac;
	const fdt32_t *reg;

	if (cpu < 0 || fdt_node_check_compatible(fdt, intc, "riscv,cpu-intc") ||
	    !dt_prop_is(fdt, cpu, "device_type", "cpu"))
		return false;
	ac = fdt_address_cells(fdt, fdt_parent_offset(fdt, cpu));
	reg = fdt_getprop(fdt, cpu, "reg", &len);
	if (!reg || ac < 1 || ac > 2 || len < ac * 4 || dt_read_cells(reg, ac) > UINT32_MAX)
		return false;
	*hartid = (u32)dt_read_cells(reg, ac);
	return true;
}

/* Context @ctx raises S external on the hart of cpu-intc @intc: the first one counts. */
static int add_s_context(const struct dt_parser *p, int node, struct plic_dt *plic, int intc,
			 u32 ctx)
{
	u32 hart;

	if (!intc_hartid(p->fdt, intc, &hart) || plic_s_context(plic, hart) >= 0)
		return 0;
	if (plic->nr_s_ctx == PLIC_MAX_HARTS)
		return dt_fail(p, node, -E2BIG, "S-mode contexts for more than %d harts",
			       PLIC_MAX_HARTS);
	plic->s_ctx[plic->nr_s_ctx++] = (struct plic_s_context){ hart, ctx };
	return 0;
}

/*
 * "interrupts-extended" lists one specifier per PLIC context: <phandle of
 * a hart's cpu-intc> followed by that controller's #interrupt-cells. The
 * context that raises cause 9 (S external) is the one S-mode claims from.
 */
static int plic_contexts(const struct dt_parser *p, int node, struct plic_dt *plic)
{
	const fdt32_t *c;
	int len, n, i, ret;
	u32 ctx, cells = 0;

	c = fdt_getprop(p->fdt, node, "interrupts-extended", &len);
	if (!c)
		return 0;
	if (len % 4)
		return dt_fail(p, node, -EINVAL,
			       "'interrupts-extended' length %d not a multiple of 4", len);
	n = len / 4;
	for (i = 0, ctx = 0; i < n; i += 1 + cells, ctx++) {
		u32 phandle = fdt32_ld(c + i);
		int intc = fdt_node_offset_by_phandle(p->fdt, phandle);

		if (intc < 0)
			return dt_fail(p, node, -EINVAL,
				       "'interrupts-extended' context %u: no node with phandle %u",
				       ctx, phandle);
		ret = dt_intr_cells(p, intc, &cells);
		if (ret)
			return ret;
		if (n - i - 1 < (int)cells)
			return dt_fail(p, node, -EINVAL,
				       "'interrupts-extended' context %u truncated", ctx);
		if (fdt32_ld(c + i + 1) == IRQ_S_EXT_CAUSE) {
			ret = add_s_context(p, node, plic, intc, ctx);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int plic_parse_node(const void *fdt, int node, struct plic_dt *plic, char *err, size_t errlen)
{
	const struct dt_parser p = { .fdt = fdt, .err = err, .errlen = errlen };
	int ret;

	if (err && errlen)
		err[0] = '\0';
	*plic = (struct plic_dt){ .phandle = fdt_get_phandle(fdt, node) };
	ret = dt_first_reg(&p, node, &plic->base, &plic->size);
	if (!ret)
		ret = dt_get_u32(&p, node, "riscv,ndev", &plic->ndev);
	if (!ret)
		ret = plic_contexts(&p, node, plic);
	return ret;
}
