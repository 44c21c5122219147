/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_MOD_DEVICETABLE_H
#define RVMM_MOD_DEVICETABLE_H

/* What drivers match devices by, one table per bus; each ends with an empty entry. */
#include <rvmm/types.h>

/* Platform drivers: a device-tree node's "compatible" string. */
struct of_device_id {
	const char *compatible;
	const void *data;
};

#define PCI_ANY_ID	(~0u)

/* PCI drivers: the function's IDs (PCI_ANY_ID matches any). */
struct pci_device_id {
	u32 vendor, device;
};

/* virtio drivers: the virtio device id (VIRTIO_ID_*). */
struct virtio_device_id {
	u32 device;
};

#endif
