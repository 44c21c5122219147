/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_VIRTIO_H
#define RVMM_VIRTIO_H

/*
 * virtio 1.x over PCI (modern transport only), split virtqueues used
 * synchronously (one request in flight), the virtio bus (virtio-pci binds
 * virtio drivers by device id) and the virtio-mem driver's interface for
 * its self-tests. Names follow the virtio 1.2 spec.
 */
#include <asm/csr.h>
#include <rvmm/boot.h>
#include <rvmm/irqdomain.h>
#include <rvmm/mod_devicetable.h>
#include <rvmm/types.h>

struct pci_dev;
struct page;

/* Device status (§2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Reserved feature bits (§6) */
#define VIRTIO_F_VERSION_1		32

/* ISR status (§4.1.4.5) */
#define VIRTIO_ISR_QUEUE		0x1
#define VIRTIO_ISR_CONFIG		0x2

/* PCI vendor capability types (§4.1.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_DEVICE_ID_BASE	0x1040	/* + virtio device id */

struct virtio_device {
	u32 id;				/* virtio device id (VIRTIO_ID_*) */
	struct pci_dev *pci;
	u8 *common, *isr, *device, *notify;	/* ioremapped structures */
	u32 device_len, notify_len, notify_off_multiplier;
	u64 features;			/* negotiated */
	struct irq_action irq;
	volatile bool config_changed;	/* ISR bit 1 seen (irq or poll) */
	unsigned long config_instret;	/* rdinstret when it was first seen */
	volatile unsigned long nr_config_irqs;
	bool irq_on;
};

/* ---- the virtio bus (drivers/virtio/virtio.c) ---- */
struct virtio_driver {
	const char *name;
	const struct virtio_device_id *id_table;
	/*
	 * Room for one more device, inside the driver's own per-device state
	 * (no allocator this early), or NULL when it drives no more.
	 */
	struct virtio_device *(*alloc)(void);
	/* The device is set up by its transport, reset, features not negotiated. */
	int (*probe)(struct virtio_device *vdev);
};

/* Registers @drv with the virtio transports (the "virtio_drivers" section). */
#define module_virtio_driver(drv)					\
	static const struct virtio_driver *const __vdrv_##drv		\
		__section("virtio_drivers") __used __aligned(8) = &(drv)

/* The registered driver for virtio device id @device, or NULL. */
const struct virtio_driver *virtio_find_driver(u32 device);

/* ---- transport (drivers/virtio/virtio_pci.c) ---- */
void virtio_reset(struct virtio_device *vd);
u8 virtio_get_status(struct virtio_device *vd);
void virtio_add_status(struct virtio_device *vd, u8 bits);
/* ACKNOWLEDGE, DRIVER, features (VERSION_1 required) and FEATURES_OK. */
int virtio_negotiate(struct virtio_device *vd, u64 wanted);
void virtio_driver_ok(struct virtio_device *vd);
void virtio_fail(struct virtio_device *vd);
static inline bool virtio_has_feature(const struct virtio_device *vd, unsigned int bit)
{
	return vd->features & (1ULL << bit);
}
u8 virtio_config_generation(struct virtio_device *vd);
u8 virtio_cread8(struct virtio_device *vd, unsigned int off);
u16 virtio_cread16(struct virtio_device *vd, unsigned int off);
u32 virtio_cread32(struct virtio_device *vd, unsigned int off);
u64 virtio_cread64(struct virtio_device *vd, unsigned int off);
/* Read (and so clear) the ISR; records a config change in the device. */
u8 virtio_read_isr(struct virtio_device *vd);
/* Route the device's INTx to its controller; -ENODEV if it has none. */
int virtio_request_intx(struct virtio_device *vd);
/* Queue size limit of queue @index (0: no such queue). */
u16 virtio_queue_max(struct virtio_device *vd, u16 index);
/* Program and enable a queue; returns its notify register or NULL. */
u16 *virtio_queue_enable(struct virtio_device *vd, u16 index, u16 num, u64 desc,
			 u64 driver, u64 device);

/* ---- split virtqueue (drivers/virtio/virtqueue.c) ---- */
struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2

struct virtq_avail {
	u16 flags;
	u16 idx;
	u16 ring[];
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_used_elem {
	u32 id;
	u32 len;
};

struct virtq_used {
	u16 flags;
	u16 idx;
	struct virtq_used_elem ring[];
};
#define VIRTQ_USED_F_NO_NOTIFY	1

#define VIRTQ_MAX_SIZE		64	/* ring and descriptors fit one page */

struct virtqueue {
	struct virtio_device *vd;
	u16 index, num;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	struct page *ring_page;		/* desc + avail + used */
	struct page *buf_page;		/* request/response bounce buffers */
	u16 avail_idx, last_used;
	u16 *notify_addr;
	bool broken;			/* protocol error: device must be reset */
	bool late;			/* the last answer came after a warning */
	unsigned long test_hold_us;	/* self-tests: see the next answer this late */
	unsigned long nr_requests, nr_notifies;
};

int virtqueue_setup(struct virtqueue *vq, struct virtio_device *vd, u16 index);
void virtqueue_destroy(struct virtqueue *vq);
/*
 * Send @out (device-readable), receive up to @in_len bytes into @in
 * (device-writable) and wait for the device however long it takes,
 * warning every @warn_us (then vq->late is set). Returns the number of
 * bytes the device wrote, or -EIO (queue broken by a protocol error).
 */
int virtqueue_exec(struct virtqueue *vq, const void *out, u32 out_len, void *in,
		   u32 in_len, unsigned long warn_us);

/* ---- time, from the timebase (rdtime) ---- */
/* Exact for any timebase (a 32768 Hz one too), without overflowing. */
static inline unsigned long time_us(void)
{
	unsigned long f = boot_dt.timebase_freq ? boot_dt.timebase_freq : 10000000;
	unsigned long t = rdtime();

	return t / f * 1000000 + t % f * 1000000 / f;
}

static inline void udelay(unsigned long us)
{
	unsigned long end = time_us() + us;

	while (time_us() < end)
		__asm__ __volatile__("nop");
}

/* ---- virtio-mem (drivers/virtio/virtio_mem.c), §5.15 ---- */
#define VIRTIO_ID_MEM			24
#define VIRTIO_MEM_F_ACPI_PXM		0
#define VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE 1

#define VIRTIO_MEM_REQ_PLUG		0
#define VIRTIO_MEM_REQ_UNPLUG		1
#define VIRTIO_MEM_REQ_UNPLUG_ALL	2
#define VIRTIO_MEM_REQ_STATE		3

#define VIRTIO_MEM_RESP_ACK		0
#define VIRTIO_MEM_RESP_NACK		1
#define VIRTIO_MEM_RESP_BUSY		2
#define VIRTIO_MEM_RESP_ERROR		3

#define VIRTIO_MEM_STATE_PLUGGED	0
#define VIRTIO_MEM_STATE_UNPLUGGED	1
#define VIRTIO_MEM_STATE_MIXED		2

struct virtio_mem_config {
	u64 block_size;
	u16 node_id;
	u64 addr;
	u64 region_size;
	u64 usable_region_size;
	u64 plugged_size;
	u64 requested_size;
};

/* Devices driven at most. */
#define VIRTIO_MEM_MAX_DEVICES	4

/*
 * The driver's state, its layers and the self-tests' window into it:
 * drivers/virtio/virtio_mem.h.
 */

#endif
