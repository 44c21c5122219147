/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_PCI_H
#define RVMM_PCI_H

/*
 * PCI behind a generic ECAM host bridge (drivers/pci/ecam.c): config
 * space accessors, capability walk, and PCI drivers, which the host
 * bridge binds by {vendor, device} once it has enumerated its bus.
 */
#include <rvmm/mod_devicetable.h>
#include <rvmm/types.h>

struct irq_domain;

/* Config space registers (type 0 and 1 headers). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x0001
#define  PCI_COMMAND_MEMORY	0x0002
#define  PCI_COMMAND_MASTER	0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define  PCI_STATUS_CAP_LIST	0x0010
#define PCI_CLASS_REVISION	0x08
#define PCI_HEADER_TYPE		0x0e
#define  PCI_HEADER_TYPE_MASK	0x7f
#define  PCI_HEADER_TYPE_NORMAL	0
#define  PCI_HEADER_TYPE_BRIDGE	1
#define  PCI_HEADER_MULTI_FUNC	0x80
#define PCI_BASE_ADDRESS_0	0x10
#define  PCI_BASE_ADDRESS_SPACE_IO	0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_64	0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH	0x08
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
/* Type 1 (bridge) header */
#define PCI_PRIMARY_BUS		0x18
#define PCI_SECONDARY_BUS	0x19
#define PCI_SUBORDINATE_BUS	0x1a
#define PCI_IO_BASE		0x1c
#define PCI_IO_LIMIT		0x1d
#define PCI_MEMORY_BASE		0x20
#define PCI_MEMORY_LIMIT	0x22
#define PCI_PREF_MEMORY_BASE	0x24
#define PCI_PREF_MEMORY_LIMIT	0x26
#define PCI_PREF_BASE_UPPER32	0x28
#define PCI_PREF_LIMIT_UPPER32	0x2c
#define PCI_IO_BASE_UPPER16	0x30
#define PCI_IO_LIMIT_UPPER16	0x32
#define PCI_BRIDGE_CONTROL	0x3e

#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

#define PCI_NUM_BARS		6
#define PCI_MAX_DEVICES		64
#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4

struct pci_bar {
	u64 phys;		/* CPU physical address, 0 = not assigned */
	u64 size;		/* 0 = not implemented */
	bool io, mem64, prefetch;
};

struct pci_dev {
	u8 bus, dev, fn;
	u16 vendor, device;
	u32 class_rev;		/* class << 8 | revision */
	u8 hdr_type;
	u8 pin;			/* 1..4 = INTA..INTD, 0 = none */
	int irq;		/* INTx as its controller numbers it, or -1 */
	struct irq_domain *irq_domain;	/* that controller; NULL: none driven */
	struct pci_bar bar[PCI_NUM_BARS];
	const struct pci_driver *driver;	/* bound to it, or NULL */
};

struct pci_driver {
	const char *name;
	const struct pci_device_id *id_table;	/* ends with { 0 } */
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
};

/* Registers @drv with every PCI host (the "pci_drivers" section). */
#define module_pci_driver(drv)						\
	static const struct pci_driver *const __pcidrv_##drv		\
		__section("pci_drivers") __used __aligned(8) = &(drv)

/* Offer @dev to the registered PCI drivers; the first that probes it binds. */
void pci_bus_bind(struct pci_dev *dev);

#define PCI_DEVFN(d, f)		(((d) << 3) | (f))

u8 pci_read8(const struct pci_dev *d, unsigned int off);
u16 pci_read16(const struct pci_dev *d, unsigned int off);
u32 pci_read32(const struct pci_dev *d, unsigned int off);
void pci_write8(const struct pci_dev *d, unsigned int off, u8 v);
void pci_write16(const struct pci_dev *d, unsigned int off, u16 v);
void pci_write32(const struct pci_dev *d, unsigned int off, u32 v);

/* Offset of the first capability @id after @pos (0: from the start), or 0. */
u8 pci_find_next_capability(const struct pci_dev *d, u8 pos, u8 id);
static inline u8 pci_find_capability(const struct pci_dev *d, u8 id)
{
	return pci_find_next_capability(d, 0, id);
}
/* Turn INTx on or off in the command register. */
void pci_intx(const struct pci_dev *d, bool enable);

#endif
