// SPDX-License-Identifier: GPL-2.0
/*
 * virtio over PCI, modern interface only (virtio 1.2 §4.1): the common,
 * notify, ISR and device-specific structures are found through vendor
 * capabilities and mapped from their BARs. MSI-X stays off, so the device
 * signals through INTx and the ISR register (read-to-clear) tells why.
 * As a PCI driver it takes every modern virtio function (1af4:1040-107f)
 * that a virtio driver is registered for, sets it up and hands it over.
 */
#include <rvmm/io.h>
#include <rvmm/pci.h>
#include <rvmm/printk.h>
#include <rvmm/virtio.h>

/* struct virtio_pci_common_cfg (§4.1.4.3) */
#define COMMON_DFSELECT		0x00
#define COMMON_DF		0x04
#define COMMON_GFSELECT		0x08
#define COMMON_GF		0x0c
#define COMMON_MSIX		0x10
#define COMMON_NUMQ		0x12
#define COMMON_STATUS		0x14
#define COMMON_CFGGENERATION	0x15
#define COMMON_Q_SELECT		0x16
#define COMMON_Q_SIZE		0x18
#define COMMON_Q_MSIX		0x1a
#define COMMON_Q_ENABLE		0x1c
#define COMMON_Q_NOFF		0x1e
#define COMMON_Q_DESC		0x20
#define COMMON_Q_DRIVER		0x28
#define COMMON_Q_DEVICE		0x30
#define COMMON_LEN		0x38	/* through queue_device */

/* struct virtio_pci_cap */
#define CAP_CFG_TYPE		3
#define CAP_BAR			4
#define CAP_OFFSET		8
#define CAP_LENGTH		12
#define CAP_NOTIFY_MULT		16

#define RESET_TIMEOUT_US	1000000

static void *map_cap(struct virtio_device *vd, u8 pos, u32 *lenp)
{
	struct pci_dev *d = vd->pci;
	u8 bar = pci_read8(d, pos + CAP_BAR);
	u32 off = pci_read32(d, pos + CAP_OFFSET), len = pci_read32(d, pos + CAP_LENGTH);
	const struct pci_bar *b;

	if (bar >= PCI_NUM_BARS)
		return NULL;
	b = &d->bar[bar];
	if (!b->phys || b->io || !len || (u64)off + len > b->size) {
		pr_err("virtio-pci %02x:%02x.%x: capability at 0x%x: BAR%u+0x%x (0x%x bytes) unusable\n",
		       d->bus, d->dev, d->fn, pos, bar, off, len);
		return NULL;
	}
	*lenp = len;
	return ioremap(b->phys + off, len);
}

/* Map the first capability of each type we use (§4.1.4.1: first wins). */
static int virtio_pci_init(struct virtio_device *vd, struct pci_dev *pci)
{
	u32 len;
	u8 msix;

	vd->pci = pci;
	for (u8 pos = pci_find_capability(pci, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_capability(pci, pos, PCI_CAP_ID_VNDR)) {
		u8 type = pci_read8(pci, pos + CAP_CFG_TYPE);

		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			if (!vd->common) {
				vd->common = map_cap(vd, pos, &len);
				if (vd->common && len < COMMON_LEN)
					vd->common = NULL;
			}
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			if (!vd->notify) {
				vd->notify = map_cap(vd, pos, &vd->notify_len);
				vd->notify_off_multiplier = pci_read32(pci, pos + CAP_NOTIFY_MULT);
			}
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			if (!vd->isr)
				vd->isr = map_cap(vd, pos, &len);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			if (!vd->device)
				vd->device = map_cap(vd, pos, &vd->device_len);
			break;
		}
	}
	if (!vd->common || !vd->notify || !vd->isr || !vd->device) {
		pr_err("virtio-pci %02x:%02x.%x: missing modern capabilities (legacy-only device?)\n",
		       pci->bus, pci->dev, pci->fn);
		return -ENODEV;
	}
	/* INTx is our only interrupt: make sure MSI-X is off and INTx on. */
	msix = pci_find_capability(pci, PCI_CAP_ID_MSIX);
	if (msix)
		pci_write16(pci, msix + 2, pci_read16(pci, msix + 2) & ~0x8000);
	pci_intx(pci, true);
	virtio_reset(vd);
	return 0;
}

u8 virtio_get_status(struct virtio_device *vd)
{
	return readb(vd->common + COMMON_STATUS);
}

void virtio_add_status(struct virtio_device *vd, u8 bits)
{
	writeb(virtio_get_status(vd) | bits, vd->common + COMMON_STATUS);
}

/* Writing 0 resets; the device says it is done by reading back 0. */
void virtio_reset(struct virtio_device *vd)
{
	unsigned long end = time_us() + RESET_TIMEOUT_US;

	writeb(0, vd->common + COMMON_STATUS);
	while (virtio_get_status(vd)) {
		if (time_us() > end) {
			pr_err("virtio-pci: device did not finish reset\n");
			break;
		}
	}
	vd->features = 0;
}

void virtio_fail(struct virtio_device *vd)
{
	virtio_add_status(vd, VIRTIO_STATUS_FAILED);
}

static u64 device_features(struct virtio_device *vd)
{
	u64 f;

	writel(0, vd->common + COMMON_DFSELECT);
	f = readl(vd->common + COMMON_DF);
	writel(1, vd->common + COMMON_DFSELECT);
	return f | (u64)readl(vd->common + COMMON_DF) << 32;
}

int virtio_negotiate(struct virtio_device *vd, u64 wanted)
{
	u64 offered, f;

	virtio_add_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_add_status(vd, VIRTIO_STATUS_DRIVER);
	offered = device_features(vd);
	if (!(offered & (1ULL << VIRTIO_F_VERSION_1))) {
		pr_err("virtio-pci: device does not offer VIRTIO_F_VERSION_1\n");
		virtio_fail(vd);
		return -ENODEV;
	}
	f = (offered & wanted) | (1ULL << VIRTIO_F_VERSION_1);
	writel(0, vd->common + COMMON_GFSELECT);
	writel((u32)f, vd->common + COMMON_GF);
	writel(1, vd->common + COMMON_GFSELECT);
	writel((u32)(f >> 32), vd->common + COMMON_GF);
	virtio_add_status(vd, VIRTIO_STATUS_FEATURES_OK);
	/* The device may refuse our subset: FEATURES_OK must stick. */
	if (!(virtio_get_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
		pr_err("virtio-pci: device rejected features 0x%llx (offered 0x%llx)\n",
		       (unsigned long long)f, (unsigned long long)offered);
		virtio_fail(vd);
		return -ENODEV;
	}
	vd->features = f;
	return 0;
}

void virtio_driver_ok(struct virtio_device *vd)
{
	/* Rings and config written so far must be visible before DRIVER_OK. */
	wmb();
	virtio_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
}

u8 virtio_config_generation(struct virtio_device *vd)
{
	return readb(vd->common + COMMON_CFGGENERATION);
}

u8 virtio_cread8(struct virtio_device *vd, unsigned int off)
{
	return off + 1 <= vd->device_len ? readb(vd->device + off) : 0;
}

u16 virtio_cread16(struct virtio_device *vd, unsigned int off)
{
	return off + 2 <= vd->device_len ? readw(vd->device + off) : 0;
}

u32 virtio_cread32(struct virtio_device *vd, unsigned int off)
{
	return off + 4 <= vd->device_len ? readl(vd->device + off) : 0;
}

/* Two 32-bit halves (§4.1.3.1): callers retry on a generation change. */
u64 virtio_cread64(struct virtio_device *vd, unsigned int off)
{
	return virtio_cread32(vd, off) | (u64)virtio_cread32(vd, off + 4) << 32;
}

u8 virtio_read_isr(struct virtio_device *vd)
{
	u8 isr = readb(vd->isr);

	if (isr & VIRTIO_ISR_CONFIG) {
		vd->nr_config_irqs++;
		if (!vd->config_changed)	/* where the serve benchmarks start */
			vd->config_instret = rdinstret();
		vd->config_changed = true;
	}
	return isr;
}

/* Reading the ISR also deasserts the level-triggered INTx line. */
static void virtio_intx_handler(void *data)
{
	virtio_read_isr(data);
}

int virtio_request_intx(struct virtio_device *vd)
{
	int ret;

	if (vd->pci->irq < 0 || !vd->pci->irq_domain)
		return -ENODEV;
	vd->irq.handler = virtio_intx_handler;
	vd->irq.data = vd;
	ret = request_irq(vd->pci->irq_domain, vd->pci->irq, &vd->irq);
	vd->irq_on = !ret;
	return ret;
}

/* ---- queues (§4.1.5.1.3) ---- */

u16 virtio_queue_max(struct virtio_device *vd, u16 index)
{
	if (index >= readw(vd->common + COMMON_NUMQ))
		return 0;
	writew(index, vd->common + COMMON_Q_SELECT);
	return readw(vd->common + COMMON_Q_SIZE);
}

static void write64(u64 v, u8 *reg)
{
	writel((u32)v, reg);
	writel((u32)(v >> 32), reg + 4);
}

u16 *virtio_queue_enable(struct virtio_device *vd, u16 index, u16 num, u64 desc,
			 u64 driver, u64 device)
{
	u64 off;

	writew(index, vd->common + COMMON_Q_SELECT);
	if (readw(vd->common + COMMON_Q_ENABLE))
		return NULL;
	writew(num, vd->common + COMMON_Q_SIZE);
	write64(desc, vd->common + COMMON_Q_DESC);
	write64(driver, vd->common + COMMON_Q_DRIVER);
	write64(device, vd->common + COMMON_Q_DEVICE);
	writew(0xffff, vd->common + COMMON_Q_MSIX);	/* VIRTIO_MSI_NO_VECTOR */
	off = (u64)readw(vd->common + COMMON_Q_NOFF) * vd->notify_off_multiplier;
	if (off + 2 > vd->notify_len) {
		pr_err("virtio-pci: queue %u notify offset 0x%llx outside the 0x%x-byte area\n",
		       index, (unsigned long long)off, vd->notify_len);
		return NULL;
	}
	/* The zeroed rings must be visible before the device may use them. */
	wmb();
	writew(1, vd->common + COMMON_Q_ENABLE);
	return (u16 *)(vd->notify + off);
}

/* ---- the PCI driver ---- */

#define VIRTIO_PCI_DEVICE_ID_LAST	0x107f

static int virtio_pci_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	const struct virtio_driver *drv;
	struct virtio_device *vd;
	int ret;

	(void)id;
	/* Transitional ids (0x1000-0x103f) mean a legacy interface: not ours. */
	if (pci->device < VIRTIO_PCI_DEVICE_ID_BASE || pci->device > VIRTIO_PCI_DEVICE_ID_LAST)
		return -ENODEV;
	drv = virtio_find_driver(pci->device - VIRTIO_PCI_DEVICE_ID_BASE);
	if (!drv)
		return -ENODEV;
	vd = drv->alloc();
	if (!vd) {
		pr_warn("%s: no room for another device, %02x:%02x.%x not used\n", drv->name,
			pci->bus, pci->dev, pci->fn);
		return -ENODEV;
	}
	*vd = (struct virtio_device){ .id = pci->device - VIRTIO_PCI_DEVICE_ID_BASE };
	ret = virtio_pci_init(vd, pci);
	return ret ? ret : drv->probe(vd);
}

static const struct pci_device_id virtio_pci_ids[] = {
	{ PCI_VENDOR_ID_REDHAT_QUMRANET, PCI_ANY_ID },
	{ 0 },
};

static const struct pci_driver virtio_pci_driver = {
	.name = "virtio-pci",
	.id_table = virtio_pci_ids,
	.probe = virtio_pci_probe,
};
module_pci_driver(virtio_pci_driver);
