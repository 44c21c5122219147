// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem driver (virtio 1.2 §5.15) for PCI device 1af4:1058.
 *
 * At probe the device is asked to UNPLUG_ALL (we cannot know what an
 * earlier owner plugged), then plugged toward requested_size. Afterwards
 * every config change (INTx through the PLIC; ISR polled as a fallback)
 * only sets a flag, and the serve loop's poll() reconciles plugged_size
 * with requested_size. Which blocks move is virtio_mem_sbm.c's business.
 */
#include <asm/csr.h>
#include <asm/sbi.h>
#include <rvmm/boot.h>
#include <rvmm/driver.h>
#include <rvmm/pci.h>
#include <rvmm/plic.h>
#include <rvmm/printk.h>
#include <rvmm/trap.h>
#include "virtio_mem.h"

struct vmem vmem;

/* struct virtio_mem_config (§5.15.4) */
#define CFG_BLOCK_SIZE		0
#define CFG_NODE_ID		8
#define CFG_ADDR		16
#define CFG_REGION_SIZE		24
#define CFG_USABLE_REGION_SIZE	32
#define CFG_PLUGGED_SIZE	40
#define CFG_REQUESTED_SIZE	48

struct vmem_req {
	u16 type;
	u16 padding[3];
	u64 addr;
	u16 nb_blocks;
	u16 padding2[3];
};

struct vmem_resp {
	u16 type;
	u16 padding[3];
	u16 state;
};
_Static_assert(sizeof(struct vmem_req) == 24, "virtio_mem_req layout");
_Static_assert(sizeof(struct vmem_resp) == 10, "virtio_mem_resp layout");

#define REQ_TIMEOUT_US		2000000
#define UNPLUG_ALL_TIMEOUT_US	30000000
#define POLL_PERIOD_US		100000	/* timer wakeups without an irq */

const char *vmem_resp_name(int r)
{
	static const char *const names[] = { "ACK", "NACK", "BUSY", "ERROR" };

	if (r >= 0 && r < (int)ARRAY_SIZE(names))
		return names[r];
	return r == -ETIMEDOUT ? "timeout" : r < 0 ? "transport error" : "unknown response";
}

/* ---- requests ---- */

/* Refusals injected by the self-tests (virtio_mem_inject_response()). */
static struct {
	int resp;
	unsigned int skip, nr;
} inject;

static int request_once(u16 type, u64 addr, u16 nb, u16 *state, unsigned long timeout)
{
	struct vmem_req req = { .type = type, .addr = addr, .nb_blocks = nb };
	struct vmem_resp resp = { 0 };
	int len;

	if (inject.nr && type != VIRTIO_MEM_REQ_STATE) {
		if (!inject.skip) {
			inject.nr--;
			return inject.resp;
		}
		inject.skip--;
	}
	len = virtqueue_exec(&vmem.vq, &req, sizeof(req), &resp, sizeof(resp), timeout);
	if (len < 0)
		return len;
	if (len < 2 || (type == VIRTIO_MEM_REQ_STATE && resp.type == VIRTIO_MEM_RESP_ACK &&
			len < (int)sizeof(resp)))
		return -EIO;
	if (state)
		*state = resp.state;
	return resp.type;
}

/* BUSY means "try again later" (§5.15.6.1): back off 1 ms, 2 ms, ... */
static int request_addr(u16 type, u64 addr, u16 nb, u16 *state)
{
	unsigned long timeout = type == VIRTIO_MEM_REQ_UNPLUG_ALL ? UNPLUG_ALL_TIMEOUT_US :
				REQ_TIMEOUT_US;
	unsigned long backoff = 1000;

	for (int i = 0;; i++) {
		int r = request_once(type, addr, nb, state, timeout);

		if (r != VIRTIO_MEM_RESP_BUSY || i == VIRTIO_MEM_BUSY_RETRIES)
			return r;
		if (!i)
			pr_warn("virtio-mem: device busy (request %u), retrying\n", type);
		udelay(backoff);
		backoff = min(backoff * 2, 1000000UL);
	}
}

int vmem_request(u16 type, unsigned long block, unsigned long nb, u16 *state)
{
	if (nb > 0xffff)
		return -EINVAL;
	return request_addr(type, vmem_block_addr(block), (u16)nb, state);
}

/* ---- config ---- */

/* All fields from one generation (§2.5.1: re-read if it moved). */
static void read_config(struct virtio_mem_config *c)
{
	struct virtio_device *vd = &vmem.vd;
	u8 gen;

	do {
		gen = virtio_config_generation(vd);
		c->block_size = virtio_cread64(vd, CFG_BLOCK_SIZE);
		c->node_id = virtio_cread16(vd, CFG_NODE_ID);
		c->addr = virtio_cread64(vd, CFG_ADDR);
		c->region_size = virtio_cread64(vd, CFG_REGION_SIZE);
		c->usable_region_size = virtio_cread64(vd, CFG_USABLE_REGION_SIZE);
		c->plugged_size = virtio_cread64(vd, CFG_PLUGGED_SIZE);
		c->requested_size = virtio_cread64(vd, CFG_REQUESTED_SIZE);
	} while (gen != virtio_config_generation(vd));
}

static void print_mem(void)
{
	printk("rvmm: mem plugged=%llu requested=%llu online=%llu free=%lu\n",
	       (unsigned long long)vmem.plugged_bytes,
	       (unsigned long long)vmem.cfg.requested_size,
	       (unsigned long long)vmem.online_bytes, nr_free_pages() * PAGE_SIZE);
}

/* ---- reconcile ---- */

static int reconcile(bool print)
{
	u64 before = vmem.plugged_bytes, target;
	unsigned long n, got;

	read_config(&vmem.cfg);
	if (vmem.cfg.plugged_size != vmem.plugged_bytes) {
		vmem.nr_errors++;
		pr_err("virtio-mem: device says plugged_size=%llu, driver has %llu\n",
		       (unsigned long long)vmem.cfg.plugged_size,
		       (unsigned long long)vmem.plugged_bytes);
	}
	target = ALIGN_DOWN(min(vmem.cfg.requested_size, vmem.cfg.usable_region_size), vmem.bs);
	if (vmem.plugged_bytes < target) {
		n = (target - vmem.plugged_bytes) / vmem.bs;
		got = sbm_plug(n);
		if (got < n)
			pr_warn("virtio-mem: plugged %lu of %lu blocks\n", got, n);
	} else if (vmem.plugged_bytes > target) {
		n = (vmem.plugged_bytes - target) / vmem.bs;
		got = sbm_unplug(n);
		if (got < n)
			pr_warn("virtio-mem: unplugged %lu of %lu blocks (the rest is in use)\n",
				got, n);
	}
	if (vmem.plugged_bytes != before) {
		read_config(&vmem.cfg);
		if (vmem.cfg.plugged_size != vmem.plugged_bytes) {
			vmem.nr_errors++;
			pr_err("virtio-mem: after the change the device says plugged_size=%llu, driver has %llu\n",
			       (unsigned long long)vmem.cfg.plugged_size,
			       (unsigned long long)vmem.plugged_bytes);
		}
	}
	if (print || vmem.plugged_bytes != before)
		print_mem();
	return vmem.plugged_bytes == target ? 0 : -EAGAIN;
}

int virtio_mem_reconcile(void)
{
	return vmem.present ? reconcile(false) : -ENODEV;
}

/* ---- benchmarks (rvmm.bench) ---- */

/* Plug 1 GiB, unplug it again; the caller re-plugs to the requested size. */
static void run_bench(void)
{
	unsigned long n = SZ_1G / vmem.bs, got, t, from_memory;

	if (vmem.cfg.requested_size < SZ_1G || vmem.cfg.usable_region_size < SZ_1G) {
		pr_warn("virtio-mem: requested-size < 1 GiB: no hotadd/hotremove benchmark\n");
		return;
	}
	from_memory = vmemmap_stats.from_memory;
	t = rdinstret();
	got = sbm_plug(n);
	t = rdinstret() - t;
	if (got != n) {
		pr_err("virtio-mem: bench: plugged %lu of %lu blocks\n", got, n);
		return;
	}
	bench_report("hotadd_1g", t, "instructions");
	bench_report("vmemmap_bytes_per_gib",
		     (vmemmap_stats.from_memory - from_memory) * PAGE_SIZE, "bytes");
	print_mem();
	t = rdinstret();
	got = sbm_unplug(n);
	t = rdinstret() - t;
	if (got != n) {
		pr_err("virtio-mem: bench: unplugged %lu of %lu blocks\n", got, n);
		return;
	}
	bench_report("hotremove_1g", t, "instructions");
	print_mem();
}

/* ---- probe and serve ---- */

static void poll_tick(void)
{
	sbi_set_timer(rdtime() + boot_dt.timebase_freq / (1000000 / POLL_PERIOD_US));
}

/* Without INTx a periodic timer wakes serve_loop's wfi. */
static void setup_polling(void)
{
	set_timer_handler(poll_tick);
	poll_tick();
	csr_set(sie, SIE_STIE);
}

static int unplug_all(void)
{
	int r = request_addr(VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL);

	if (r != VIRTIO_MEM_RESP_ACK) {
		pr_err("virtio-mem: UNPLUG_ALL: %s\n", vmem_resp_name(r));
		return -EIO;
	}
	read_config(&vmem.cfg);
	if (vmem.cfg.plugged_size) {
		pr_err("virtio-mem: UNPLUG_ALL acknowledged but plugged_size=%llu\n",
		       (unsigned long long)vmem.cfg.plugged_size);
		return -EIO;
	}
	return 0;
}

static int vmem_setup(struct pci_dev *pci)
{
	int ret = virtio_pci_init(&vmem.vd, pci);

	if (ret)
		return ret;
	/* UNPLUGGED_INACCESSIBLE: we never touch unplugged memory anyway. */
	ret = virtio_negotiate(&vmem.vd, 1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
	if (ret)
		return ret;
	read_config(&vmem.cfg);
	ret = sbm_setup_geometry();
	if (!ret)
		ret = virtqueue_setup(&vmem.vq, &vmem.vd, 0);
	if (ret) {
		virtio_fail(&vmem.vd);
		return ret;
	}
	virtio_driver_ok(&vmem.vd);
	ret = unplug_all();
	if (!ret)
		ret = sbm_init();
	if (ret)
		virtio_fail(&vmem.vd);
	return ret;
}

static int vmem_probe(const struct dt_info *dt)
{
	struct pci_dev *pci;
	int ret;

	if (pci_host_init(dt))
		return -ENODEV;
	pci = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET,
			     VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_MEM, NULL);
	if (!pci)
		return -ENODEV;
	if (pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET,
			   VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_MEM, pci))
		pr_warn("virtio-mem: more than one device, using %02x:%02x.%x only\n",
			pci->bus, pci->dev, pci->fn);
	plic_init(dt);		/* without it we poll */
	ret = vmem_setup(pci);
	if (ret) {
		/* A live queue: reset first, the device must not touch its pages again. */
		if (vmem.vq.ring_page)
			virtio_reset(&vmem.vd);
		virtqueue_destroy(&vmem.vq);
		return ret;
	}
	vmem.present = true;
	vmem.boot_requested = vmem.cfg.requested_size;
	if (virtio_request_intx(&vmem.vd))
		setup_polling();
	pr_info("virtio-mem: %02x:%02x.%x region 0x%llx-0x%llx, block %llu KiB, node_id %u, usable %llu MiB, requested %llu MiB, %s\n",
		pci->bus, pci->dev, pci->fn, (unsigned long long)vmem.cfg.addr,
		(unsigned long long)(vmem.cfg.addr + vmem.cfg.region_size - 1),
		(unsigned long long)(vmem.bs >> 10), vmem.cfg.node_id,
		(unsigned long long)(vmem.cfg.usable_region_size >> 20),
		(unsigned long long)(vmem.cfg.requested_size >> 20),
		vmem.vd.irq_on ? "config changes by INTx" : "polled");
	if (boot_params.bench)
		run_bench();
	vmem.pattern_test = boot_params.serve;
	reconcile(true);
	return 0;
}

/*
 * serve_loop() work. Interrupts only set config_changed; the work is done
 * here. We return with interrupts masked (SIE off) after the last check,
 * so a change arriving later stays pending and ends serve_loop's wfi
 * instead of being taken just before it and sleeping through.
 */
static void vmem_poll(void)
{
	if (!vmem.present)
		return;
	for (;;) {
		local_irq_restore(vmem.vd.irq_on);	/* take what is pending */
		virtio_read_isr(&vmem.vd);		/* lost or missing irq */
		if (!READ_ONCE(vmem.vd.config_changed)) {
			local_irq_save();
			if (!READ_ONCE(vmem.vd.config_changed))
				break;
			continue;
		}
		WRITE_ONCE(vmem.vd.config_changed, false);
		reconcile(false);
	}
	if (!vmem.vd.irq_on)
		poll_tick();
}

RVMM_DRIVER(virtio_mem, vmem_probe, vmem_poll);

/* ---- interface for the self-tests ---- */

bool virtio_mem_get_info(struct virtio_mem_info *info)
{
	info->present = vmem.present;
	if (!vmem.present)
		return false;
	read_config(&vmem.cfg);
	info->cfg = vmem.cfg;
	info->boot_requested_size = vmem.boot_requested;
	info->plugged = vmem.plugged_bytes;
	info->online = vmem.online_bytes;
	info->nr_blocks = vmem.nr_blocks;
	info->irq = vmem.vd.irq_on ? vmem.vd.pci->irq : -1;
	return true;
}

bool virtio_mem_block_plugged(unsigned long idx)
{
	return vmem.present && idx < vmem.nr_blocks && vmem_test(vmem.plugged, idx);
}

int virtio_mem_raw_request(u16 type, u64 addr, u16 nb_blocks, u16 *state)
{
	return vmem.present ? request_addr(type, addr, nb_blocks, state) : -ENODEV;
}

unsigned int virtio_mem_inject_response(int resp, unsigned int skip, unsigned int nr)
{
	unsigned int pending = inject.nr;

	inject.resp = resp;
	inject.skip = skip;
	inject.nr = nr;
	return pending;
}

u64 virtio_mem_unplug(u64 bytes)
{
	unsigned long got;

	if (!vmem.present)
		return 0;
	got = sbm_unplug(bytes / vmem.bs);
	if (got)
		print_mem();
	return got * vmem.bs;
}
