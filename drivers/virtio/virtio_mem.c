// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem driver (virtio 1.2 §5.15) for PCI device 1af4:1058.
 *
 * At probe the device is asked to UNPLUG_ALL (we cannot know what an
 * earlier owner plugged), then plugged toward requested_size. Afterwards
 * every config change (INTx through the PLIC; ISR polled as a fallback)
 * only sets a flag, and the serve loop's poll reconciles plugged_size
 * with requested_size. Which blocks move is the policy's business
 * (virtio_mem_sbm.c); the requests themselves are virtio_mem_req.c's.
 */
#include <string.h>
#include <asm/csr.h>
#include <rvmm/boot.h>
#include <rvmm/driver.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/pci.h>
#include <rvmm/printk.h>
#include <rvmm/trap.h>
#include "virtio_mem.h"

#define POLL_PERIOD_US		100000	/* timer wakeups without an irq */

/* Every device we drive, in PCI order; only set-up devices are counted. */
static struct virtio_mem virtio_mem_devs[VIRTIO_MEM_MAX_DEVICES];
static unsigned int nr_virtio_mem;

/*
 * The memory view: one line of totals (the only line with one device), and
 * with several devices one line per device before it.
 */
static void print_mem(void)
{
	u64 plugged = 0, requested = 0, online = 0;

	for (unsigned int i = 0; i < nr_virtio_mem; i++) {
		const struct virtio_mem *vm = &virtio_mem_devs[i];
		const struct pci_dev *pci = vm->vd.pci;

		plugged += vm->plugged_bytes;
		requested += vm->cfg.requested_size;
		online += vm->online_bytes;
		if (nr_virtio_mem > 1)
			printk("rvmm: mem %02x:%02x.%x plugged=%llu requested=%llu online=%llu\n",
			       pci->bus, pci->dev, pci->fn, (unsigned long long)vm->plugged_bytes,
			       (unsigned long long)vm->cfg.requested_size,
			       (unsigned long long)vm->online_bytes);
	}
	printk("rvmm: mem plugged=%llu requested=%llu online=%llu free=%lu\n",
	       (unsigned long long)plugged, (unsigned long long)requested,
	       (unsigned long long)online, nr_free_pages() * PAGE_SIZE);
}

/* ---- reconcile ---- */

/* Re-read the config: the device's plugged_size must be the driver's. */
static void check_plugged(struct virtio_mem *vm, const char *when)
{
	virtio_mem_refresh_config(vm);
	if (vm->cfg.plugged_size != vm->plugged_bytes) {
		vm->nr_errors++;
		pr_err("virtio-mem: %sdevice says plugged_size=%llu, driver has %llu\n", when,
		       (unsigned long long)vm->cfg.plugged_size,
		       (unsigned long long)vm->plugged_bytes);
	}
}

/*
 * One pass toward @target, re-reading it between memory blocks. Returns
 * the blocks that moved; warns when it stopped short with the target
 * still where it was.
 */
static unsigned long resize_pass(struct virtio_mem *vm, u64 target)
{
	bool plug = vm->plugged_bytes < target;
	u64 diff = plug ? target - vm->plugged_bytes : vm->plugged_bytes - target;
	unsigned long n = diff / vm->device_block_size;
	unsigned long got;

	vm->follow_target = true;
	vm->target_moved = false;
	got = plug ? virtio_mem_sbm_plug_request(vm, n) : virtio_mem_sbm_unplug_request(vm, n);
	vm->follow_target = false;
	if (got < n && !vm->target_moved && virtio_mem_read_target(vm) == target)
		pr_warn("virtio-mem: %splugged %lu of %lu blocks%s\n", plug ? "" : "un", got, n,
			plug ? "" : " (the rest is in use)");
	return got;
}

#define RECONCILE_PASSES	8	/* a target that keeps moving: catch up later */

static int reconcile(struct virtio_mem *vm, bool print)
{
	u64 before = vm->plugged_bytes, target;

	check_plugged(vm, "");
	target = virtio_mem_read_target(vm);
	for (int pass = 0; pass < RECONCILE_PASSES && vm->plugged_bytes != target; pass++) {
		if (!resize_pass(vm, target))
			break;
		virtio_mem_refresh_config(vm);
		target = virtio_mem_read_target(vm);
	}
	if (vm->plugged_bytes != before)
		check_plugged(vm, "after the change the ");
	if (print || vm->plugged_bytes != before)
		print_mem();
	return vm->plugged_bytes == target ? 0 : -EAGAIN;
}

/* ---- the serve benchmarks (rvmm.bench): make run's path ---- */

/*
 * A config change served (rvmm.bench): instructions from the interrupt to
 * the memory view printed, and requests sent, when it moved 1 GiB.
 */
static void bench_serve(struct virtio_mem *vm, u64 before, unsigned long t0, unsigned long req0)
{
	unsigned long insns = rdinstret() - t0, reqs = vm->vq.nr_requests - req0;
	bool plug = vm->plugged_bytes > before;

	if ((plug ? vm->plugged_bytes - before : before - vm->plugged_bytes) != SZ_1G)
		return;
	bench_report(plug ? "serve_plug_1g" : "serve_unplug_1g", insns, "instructions");
	bench_report(plug ? "vmem_requests_per_gib_plug" : "vmem_requests_per_gib_unplug", reqs,
		     "requests");
}

/* ---- probe and serve ---- */

static void virtio_mem_poll(void);

static int unplug_all(struct virtio_mem *vm)
{
	int r = virtio_mem_send_unplug_all_request(vm);

	if (r != VIRTIO_MEM_RESP_ACK) {
		pr_err("virtio-mem: UNPLUG_ALL: %s\n", virtio_mem_resp_name(r));
		return -EIO;
	}
	virtio_mem_refresh_config(vm);
	if (vm->cfg.plugged_size) {
		pr_err("virtio-mem: UNPLUG_ALL acknowledged but plugged_size=%llu\n",
		       (unsigned long long)vm->cfg.plugged_size);
		return -EIO;
	}
	return 0;
}

static int virtio_mem_init(struct virtio_mem *vm)
{
	int ret;

	/* UNPLUGGED_INACCESSIBLE: we never touch unplugged memory anyway. */
	ret = virtio_negotiate(&vm->vd, 1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
	if (ret)
		return ret;
	virtio_mem_refresh_config(vm);
	vm->verify = verify_full;
	ret = virtio_mem_init_hotplug(vm);
	if (!ret)
		ret = virtqueue_setup(&vm->vq, &vm->vd, 0);
	if (ret) {
		virtio_fail(&vm->vd);
		return ret;
	}
	virtio_driver_ok(&vm->vd);
	ret = unplug_all(vm);
	if (!ret)
		ret = virtio_mem_sbm_init(vm);
	if (ret)
		virtio_fail(&vm->vd);
	return ret;
}

/*
 * For the page-table audit (mhp_range_unplugged()): does some byte of
 * [pa, pa + size) lie in a device's region, in a block it has not plugged?
 */
static bool virtio_mem_range_unplugged(phys_addr_t pa, phys_addr_t size)
{
	for (unsigned int i = 0; i < nr_virtio_mem; i++) {
		const struct virtio_mem *vm = &virtio_mem_devs[i];
		u64 lo = max((u64)pa, vm->cfg.addr);
		u64 bs = vm->device_block_size;
		u64 hi = min((u64)(pa + size), vm->cfg.addr + vm->nr_blocks * bs);

		for (u64 a = lo; a < hi; a = ALIGN_DOWN(a, bs) + bs)
			if (!test_bit((a - vm->cfg.addr) / bs, vm->plugged))
				return true;
	}
	return false;
}

/* Set up the device in the next free slot; counted only if it works. */
static int virtio_mem_probe_one(struct pci_dev *pci)
{
	struct virtio_mem *vm = &virtio_mem_devs[nr_virtio_mem];
	int ret = virtio_mem_init(vm);

	if (ret) {
		/* A live queue: reset first, the device must not touch its pages again. */
		if (vm->vq.ring_page)
			virtio_reset(&vm->vd);
		virtqueue_destroy(&vm->vq);
		pr_err("virtio-mem: %02x:%02x.%x not used (%d)\n", pci->bus, pci->dev, pci->fn, ret);
		memset(vm, 0, sizeof(*vm));
		return ret;
	}
	nr_virtio_mem++;
	mhp_register_unplugged_check(virtio_mem_range_unplugged);
	virtio_mem_claim_region(vm);
	vm->boot_requested = vm->cfg.requested_size;
	/* Without INTx, drivers/base's timer wakes the serve loop for us. */
	serve_poll_add(virtio_mem_poll, virtio_request_intx(&vm->vd) ? POLL_PERIOD_US : 0);
	pr_info("virtio-mem: %02x:%02x.%x region 0x%llx-0x%llx, block %llu KiB, node_id %u, usable %llu MiB, requested %llu MiB, %s\n",
		pci->bus, pci->dev, pci->fn, (unsigned long long)vm->cfg.addr,
		(unsigned long long)(vm->cfg.addr + vm->cfg.region_size - 1),
		(unsigned long long)(vm->device_block_size >> 10), vm->cfg.node_id,
		(unsigned long long)(vm->cfg.usable_region_size >> 20),
		(unsigned long long)(vm->cfg.requested_size >> 20),
		vm->vd.irq_on ? "config changes by INTx" : "polled");
	vm->probe = boot_params.serve;
	reconcile(vm, true);
	return 0;
}

/* The transport sets the device up in the slot virtio_mem_probe_one() fills. */
static struct virtio_device *virtio_mem_alloc(void)
{
	return nr_virtio_mem < VIRTIO_MEM_MAX_DEVICES ? &virtio_mem_devs[nr_virtio_mem].vd : NULL;
}

/* A device we cannot use has been reported already: one message is enough. */
static int virtio_mem_probe(struct virtio_device *vdev)
{
	return virtio_mem_probe_one(vdev->pci) ? -ENODEV : 0;
}

/*
 * serve_loop() work, with interrupts masked (serve_loop's rule): the INTx
 * handler only sets config_changed, and the work is done here. A change
 * arriving during a reconcile leaves its interrupt pending, which ends
 * serve_loop's wfi, so the next round sees it. Devices without INTx are
 * woken by the poll timer, which re-arms itself.
 */
static void virtio_mem_poll(void)
{
	for (unsigned int i = 0; i < nr_virtio_mem; i++) {
		struct virtio_mem *vm = &virtio_mem_devs[i];

		virtio_read_isr(&vm->vd);	/* polled, or a lost irq */
		if (vm->vd.config_changed) {
			unsigned long t0 = vm->vd.config_instret, req0 = vm->vq.nr_requests;
			u64 before = vm->plugged_bytes;

			vm->vd.config_changed = false;
			reconcile(vm, false);
			if (boot_params.bench)
				bench_serve(vm, before, t0, req0);
		}
	}
}

static const struct virtio_device_id virtio_mem_id_table[] = {
	{ VIRTIO_ID_MEM },
	{ 0 },
};

static const struct virtio_driver virtio_mem_driver = {
	.name = "virtio-mem",
	.id_table = virtio_mem_id_table,
	.alloc = virtio_mem_alloc,
	.probe = virtio_mem_probe,
};
module_virtio_driver(virtio_mem_driver);

/* ---- interface for the self-tests ---- */
#ifdef CONFIG_SELFTESTS

/* Device @dev, or NULL. */
static struct virtio_mem *virtio_mem_dev(unsigned int dev)
{
	return dev < nr_virtio_mem ? &virtio_mem_devs[dev] : NULL;
}

unsigned int virtio_mem_nr_devices(void)
{
	return nr_virtio_mem;
}

bool virtio_mem_get_info(unsigned int dev, struct virtio_mem_info *info)
{
	struct virtio_mem *vm = virtio_mem_dev(dev);

	info->present = vm != NULL;
	if (!vm)
		return false;
	virtio_mem_refresh_config(vm);
	info->cfg = vm->cfg;
	info->boot_requested_size = vm->boot_requested;
	info->usable = virtio_mem_usable_size(vm);
	info->plugged = vm->plugged_bytes;
	info->online = vm->online_bytes;
	info->nr_blocks = vm->nr_blocks;
	info->irq = vm->vd.irq_on ? vm->vd.pci->irq : -1;
	info->nr_errors = vm->nr_errors;
	info->nr_requests = vm->vq.nr_requests;
	return true;
}

bool virtio_mem_block_plugged(unsigned int dev, unsigned long idx)
{
	struct virtio_mem *vm = virtio_mem_dev(dev);

	return vm && idx < vm->nr_blocks && test_bit(idx, vm->plugged);
}

int virtio_mem_raw_request(unsigned int dev, u16 type, u64 addr, u16 nb_blocks, u16 *state)
{
	struct virtio_mem *vm = virtio_mem_dev(dev);

	return vm ? virtio_mem_send_request(vm, type, addr, nb_blocks, state) : -ENODEV;
}

int virtio_mem_reconcile(unsigned int dev)
{
	struct virtio_mem *vm = virtio_mem_dev(dev);

	return vm ? reconcile(vm, false) : -ENODEV;
}

u64 virtio_mem_change(unsigned int dev, bool plug, u64 bytes, unsigned long *insns)
{
	struct virtio_mem *vm = virtio_mem_dev(dev);
	unsigned long n, t, got;

	if (!vm)
		return 0;
	n = bytes / vm->device_block_size;
	t = rdinstret();
	got = plug ? virtio_mem_sbm_plug_request(vm, n) : virtio_mem_sbm_unplug_request(vm, n);
	*insns = rdinstret() - t;
	return got * vm->device_block_size;
}

u64 virtio_mem_unplug(unsigned int dev, u64 bytes)
{
	struct virtio_mem *vm = virtio_mem_dev(dev);
	unsigned long got;

	if (!vm)
		return 0;
	got = virtio_mem_sbm_unplug_request(vm, bytes / vm->device_block_size);
	if (got)
		print_mem();
	return got * vm->device_block_size;
}
#endif /* CONFIG_SELFTESTS */
