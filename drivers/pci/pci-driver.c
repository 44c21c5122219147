// SPDX-License-Identifier: GPL-2.0
/* PCI drivers, bound by {vendor, device} (<rvmm/pci.h>). */
#include <rvmm/pci.h>
#include <rvmm/printk.h>

extern const struct pci_driver *const __start_pci_drivers[];
extern const struct pci_driver *const __stop_pci_drivers[];

static const struct pci_device_id *pci_match_id(const struct pci_device_id *id,
						const struct pci_dev *dev)
{
	for (; id->vendor; id++)
		if ((id->vendor == PCI_ANY_ID || id->vendor == dev->vendor) &&
		    (id->device == PCI_ANY_ID || id->device == dev->device))
			return id;
	return NULL;
}

void pci_bus_bind(struct pci_dev *dev)
{
	for (const struct pci_driver *const *d = __start_pci_drivers; d < __stop_pci_drivers; d++) {
		const struct pci_device_id *id = pci_match_id((*d)->id_table, dev);
		int ret;

		if (!id)
			continue;
		ret = (*d)->probe(dev, id);
		if (!ret) {
			dev->driver = *d;
			return;
		}
		if (ret != -ENODEV)
			pr_err("%s %02x:%02x.%x: probe failed (%d)\n", (*d)->name, dev->bus,
			       dev->dev, dev->fn, ret);
	}
}
