// SPDX-License-Identifier: GPL-2.0
/*
 * The ECAM host bridge's node, parsed (<rvmm/pci-ecam.h>), and the
 * interrupt-map lookup. Apart from the driver because it also builds for
 * the host: rvmm-dtinfo prints the host bridge, and the host tests and
 * the fuzzer feed it hostile trees.
 */
#include <rvmm/of_fdt.h>
#include <rvmm/pci-ecam.h>

const struct of_device_id pci_host_ecam_of_match[] = {
	{ .compatible = "pci-host-ecam-generic" },
	{ /* sentinel */ },
};

static int pci_bus_range(const struct dt_parser *dp, int node, struct pci_host_dt *h)
{
	int len;
	const fdt32_t *p = fdt_getprop(dp->fdt, node, "bus-range", &len);

	h->bus_start = 0;
	h->bus_end = 255;
	if (!p)
		return 0;
	if (len != 8)
		return dt_fail(dp, node, -EINVAL, "'bus-range' length %d, expected 8", len);
	h->bus_start = fdt32_ld(p);
	h->bus_end = fdt32_ld(p + 1);
	if (h->bus_start > h->bus_end || h->bus_end > 255)
		return dt_fail(dp, node, -EINVAL, "'bus-range' <%u %u> invalid", h->bus_start,
			       h->bus_end);
	return 0;
}

/*
 * Each "ranges" entry: 3 PCI address cells (phys.hi carries the space code
 * in bits 24-25 and prefetchable in bit 30), the parent bus address in the
 * parent's #address-cells, then the size in the bridge's #size-cells.
 */
static int pci_ranges(const struct dt_parser *dp, int node, int pac, int sc, struct pci_host_dt *h)
{
	int len, stride = 3 + pac + sc;
	const fdt32_t *p = fdt_getprop(dp->fdt, node, "ranges", &len);

	if (!p)
		return 0;
	if (len % (stride * 4))
		return dt_fail(
			dp, node, -EINVAL,
			"'ranges' length %d not a multiple of %d (3 PCI + %d parent address cells, %d size cells)",
			len, stride * 4, pac, sc);
	for (const fdt32_t *e = p; e < p + len / 4; e += stride) {
		struct pci_range *r;
		u32 hi = fdt32_ld(e);
		u64 cpu_addr = dt_read_cells(e + 3, pac);
		u64 size = dt_read_cells(e + 3 + pac, sc);

		/* Space 0 is config space, which ECAM "reg" covers already. */
		if (!((hi >> 24) & 3) || !size)
			continue;
		if (cpu_addr + size - 1 < cpu_addr)
			return dt_fail(dp, node, -EINVAL, "'ranges' entry at 0x%llx wraps around",
				       (unsigned long long)cpu_addr);
		if (h->nr_ranges == PCI_MAX_RANGES)
			return dt_fail(dp, node, -E2BIG, "more than %d 'ranges' entries",
				       PCI_MAX_RANGES);
		r = &h->ranges[h->nr_ranges++];
		r->space = (hi >> 24) & 3;
		r->prefetch = hi & BIT(30);
		r->pci_addr = dt_read_cells(e + 1, 2);
		r->cpu_addr = cpu_addr;
		r->size = size;
	}
	return 0;
}

/* The interrupt parent of an interrupt-map row, cached: rows mostly share one. */
struct irq_parent {
	u32 phandle;
	u32 addr_cells, intr_cells;
};

static int irq_parent(const struct dt_parser *dp, int node, u32 phandle, struct irq_parent *ip)
{
	int parent, len;
	const fdt32_t *p;

	if (ip->phandle == phandle && phandle)
		return 0;
	parent = fdt_node_offset_by_phandle(dp->fdt, phandle);
	if (parent < 0)
		return dt_fail(dp, node, -EINVAL, "'interrupt-map': no node with phandle %u",
			       phandle);
	/* Unlike "reg", an interrupt parent's absent #address-cells is 0. */
	p = fdt_getprop(dp->fdt, parent, "#address-cells", &len);
	ip->addr_cells = p && len == 4 ? fdt32_ld(p) : 0;
	if ((p && len != 4) || ip->addr_cells > FDT_MAX_NCELLS)
		return dt_fail(dp, parent, -EINVAL,
			       "'#address-cells' invalid for an interrupt parent");
	ip->phandle = phandle;
	return dt_intr_cells(dp, parent, &ip->intr_cells);
}

static int pci_irq_mask(const struct dt_parser *dp, int node, struct pci_host_dt *h)
{
	int len;
	const fdt32_t *p = fdt_getprop(dp->fdt, node, "interrupt-map-mask", &len);

	/* Absent mask: every bit of the child specifier is significant. */
	for (int i = 0; i < 4; i++)
		h->irq_map_mask[i] = p ? 0 : ~0u;
	if (!p)
		return 0;
	if (len != 16)
		return dt_fail(dp, node, -EINVAL, "'interrupt-map-mask' length %d, expected 16",
			       len);
	for (int i = 0; i < 4; i++)
		h->irq_map_mask[i] = fdt32_ld(p + i);
	return 0;
}

/*
 * "interrupt-map" rows: child unit address (3 cells), pin (1 cell), parent
 * phandle, parent unit address (parent's #address-cells), parent specifier
 * (parent's #interrupt-cells; the PLIC has 1, the APLIC 2). Rows vary in
 * length with the parent, so the walk re-reads the cells per row.
 */
static int pci_irq_map(const struct dt_parser *dp, int node, struct pci_host_dt *h)
{
	struct irq_parent ip = { 0 };
	const fdt32_t *p;
	int len, n, i, ret;

	ret = pci_irq_mask(dp, node, h);
	if (ret)
		return ret;
	p = fdt_getprop(dp->fdt, node, "interrupt-map", &len);
	if (!p)
		return 0;
	if (len % 4)
		return dt_fail(dp, node, -EINVAL, "'interrupt-map' length %d not a multiple of 4",
			       len);
	n = len / 4;
	for (i = 0; i < n; i += 5 + ip.addr_cells + ip.intr_cells) {
		struct pci_irq_map *m;

		if (n - i < 5)
			return dt_fail(dp, node, -EINVAL, "'interrupt-map' truncated at cell %d",
				       i);
		ret = irq_parent(dp, node, fdt32_ld(p + i + 4), &ip);
		if (ret)
			return ret;
		if ((u32)(n - i - 5) < ip.addr_cells + ip.intr_cells)
			return dt_fail(dp, node, -EINVAL, "'interrupt-map' truncated at cell %d",
				       i);
		if (h->nr_irq_map == PCI_MAX_IRQ_MAP)
			return dt_fail(dp, node, -E2BIG, "more than %d 'interrupt-map' entries",
				       PCI_MAX_IRQ_MAP);
		m = &h->irq_map[h->nr_irq_map++];
		m->child_hi = fdt32_ld(p + i);
		m->pin = fdt32_ld(p + i + 3);
		m->parent = ip.phandle;
		m->hwirq = fdt32_ld(p + i + 5 + ip.addr_cells);
	}
	return 0;
}

/* The generic ECAM host bridge: 3 address cells, 1 interrupt cell. */
static int pci_check_cells(const struct dt_parser *dp, int node, int *pac, int *sc)
{
	int len, ac, psc;
	const fdt32_t *ic;

	ac = fdt_address_cells(dp->fdt, node);
	*sc = fdt_size_cells(dp->fdt, node);
	if (ac != 3 || *sc < 1 || *sc > 2)
		return dt_fail(dp, node, -EINVAL, "'#address-cells'/'#size-cells' must be 3/1..2");
	ic = fdt_getprop(dp->fdt, node, "#interrupt-cells", &len);
	if (ic && (len != 4 || fdt32_ld(ic) != 1))
		return dt_fail(dp, node, -EINVAL, "'#interrupt-cells' must be 1");
	return dt_parent_cells(dp, node, 0, pac, &psc);
}

int pci_host_parse_node(const void *fdt, int node, struct pci_host_dt *h, char *err, size_t errlen)
{
	const struct dt_parser dp = { .fdt = fdt, .err = err, .errlen = errlen };
	int pac, sc, ret;

	if (err && errlen)
		err[0] = '\0';
	*h = (struct pci_host_dt){ 0 };
	ret = dt_first_reg(&dp, node, &h->ecam_base, &h->ecam_size);
	if (!ret)
		ret = pci_check_cells(&dp, node, &pac, &sc);
	if (!ret)
		ret = pci_bus_range(&dp, node, h);
	if (!ret)
		ret = pci_ranges(&dp, node, pac, sc, h);
	if (!ret)
		ret = pci_irq_map(&dp, node, h);
	return ret;
}

const struct pci_irq_map *pci_host_map_intx(const struct pci_host_dt *h, u32 bus, u32 devfn,
					    u32 pin)
{
	u32 hi = bus << 16 | devfn << 8;

	for (int i = 0; i < h->nr_irq_map; i++) {
		const struct pci_irq_map *m = &h->irq_map[i];

		if ((hi & h->irq_map_mask[0]) == (m->child_hi & h->irq_map_mask[0]) &&
		    (pin & h->irq_map_mask[3]) == (m->pin & h->irq_map_mask[3]))
			return m;
	}
	return NULL;
}
