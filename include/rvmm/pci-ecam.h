/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_PCI_ECAM_H
#define RVMM_PCI_ECAM_H

/*
 * What the generic ECAM host bridge driver ("pci-host-ecam-generic")
 * takes from its node (drivers/pci/ecam_dt.c, host-buildable like every
 * node parser): config space, bus range, address windows and the INTx
 * routing of the interrupt-map, each entry naming its interrupt parent.
 */
#include <rvmm/mod_devicetable.h>
#include <rvmm/types.h>

#define PCI_MAX_RANGES		4
#define PCI_MAX_IRQ_MAP		64

enum pci_space {
	PCI_SPACE_IO = 1,
	PCI_SPACE_MEM32 = 2,
	PCI_SPACE_MEM64 = 3,
};

struct pci_range {
	int space;		/* enum pci_space */
	bool prefetch;
	u64 pci_addr;
	u64 cpu_addr;
	u64 size;
};

struct pci_irq_map {
	u32 child_hi;		/* child unit address hi cell (bus/dev/fn) */
	u32 pin;		/* 1..4 = INTA..INTD */
	u32 parent;		/* phandle of the interrupt controller */
	u32 hwirq;		/* its interrupt (first specifier cell) */
};

struct pci_host_dt {
	u64 ecam_base, ecam_size;
	u32 bus_start, bus_end;
	struct pci_range ranges[PCI_MAX_RANGES];
	int nr_ranges;
	u32 irq_map_mask[4];	/* interrupt-map-mask: 3 addr cells + pin */
	struct pci_irq_map irq_map[PCI_MAX_IRQ_MAP];
	int nr_irq_map;
};

extern const struct of_device_id pci_host_ecam_of_match[];
/* A negative errno and "dt: <node>: <what>" in @err for a node the driver cannot use. */
int pci_host_parse_node(const void *fdt, int node, struct pci_host_dt *h, char *err,
			size_t errlen);
/*
 * The interrupt-map entry for @pin (1..4) of root-bus function @devfn on
 * @bus (after swizzling through bridges), or NULL.
 */
const struct pci_irq_map *pci_host_map_intx(const struct pci_host_dt *h, u32 bus, u32 devfn,
					    u32 pin);

#endif
