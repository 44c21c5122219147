// SPDX-License-Identifier: GPL-2.0
/* The virtio bus: drivers by virtio device id (<rvmm/virtio.h>). */
#include <rvmm/virtio.h>

extern const struct virtio_driver *const __start_virtio_drivers[];
extern const struct virtio_driver *const __stop_virtio_drivers[];

const struct virtio_driver *virtio_find_driver(u32 device)
{
	for (const struct virtio_driver *const *d = __start_virtio_drivers;
	     d < __stop_virtio_drivers; d++)
		for (const struct virtio_device_id *id = (*d)->id_table; id->device; id++)
			if (id->device == device)
				return *d;
	return NULL;
}
