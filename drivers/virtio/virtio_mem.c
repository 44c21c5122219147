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
#include <string.h>
#include <asm/csr.h>
#include <asm/sbi.h>
#include <rvmm/boot.h>
#include <rvmm/driver.h>
#include <rvmm/page_store.h>
#include <rvmm/pci.h>
#include <rvmm/plic.h>
#include <rvmm/printk.h>
#include <rvmm/trap.h>
#include <rvmm/ptdump.h>
#include "virtio_mem.h"


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

#define POLL_PERIOD_US		100000	/* timer wakeups without an irq */

const char *vmem_resp_name(int r)
{
	static const char *const names[] = { "ACK", "NACK", "BUSY", "ERROR" };

	if (r >= 0 && r < (int)ARRAY_SIZE(names))
		return names[r];
	return r < 0 ? "transport error" : "unknown response";
}

/* Every device we drive, in PCI order; only set-up devices are counted. */
static struct vmem vmem_devs[VIRTIO_MEM_MAX_DEVICES];
static unsigned int nr_vmem;

bool vmem_region_claimed(u64 addr, u64 size)
{
	for (unsigned int i = 0; i < nr_vmem; i++)
		if (addr < vmem_devs[i].cfg.addr + vmem_devs[i].cfg.region_size &&
		    vmem_devs[i].cfg.addr < addr + size)
			return true;
	return false;
}

/* ---- requests ---- */

#ifdef CONFIG_SELFTESTS
/* Answers injected by the self-tests (virtio_mem_inject_response()). */
static struct {
	int resp;
	unsigned int skip, nr;
} inject;

/* Requested size overridden by the self-tests (virtio_mem_inject_target()). */
static struct {
	u64 size;
	unsigned int skip, reads;
} inject_target;

/* An injected answer to this request in *@resp: do not send it. */
static bool injected_answer(struct vmem *vm, u16 type, int *resp)
{
	if (!inject.nr || type == VIRTIO_MEM_REQ_STATE)
		return false;
	if (inject.skip) {
		inject.skip--;
		return false;
	}
	inject.nr--;
	if (inject.resp != VIRTIO_MEM_INJECT_DELAY) {
		*resp = inject.resp;
		return true;
	}
	vm->vq.test_hold_us = VIRTIO_MEM_INJECT_DELAY_US;
	return false;
}

static u64 injected_target(u64 req)
{
	if (inject_target.reads && !inject_target.skip) {
		inject_target.reads--;
		return inject_target.size;
	}
	if (inject_target.reads)
		inject_target.skip--;
	return req;
}
#else
static bool injected_answer(struct vmem *vm, u16 type, int *resp)
{
	(void)vm, (void)type, (void)resp;
	return false;
}

static u64 injected_target(u64 req)
{
	return req;
}
#endif

static int request_once(struct vmem *vm, u16 type, u64 addr, u16 nb, u16 *state)
{
	struct vmem_req req = { .type = type, .addr = addr, .nb_blocks = nb };
	struct vmem_resp resp = { 0 };
	int len, injected;

	vm->vq.late = false;
	if (injected_answer(vm, type, &injected))
		return injected;
	len = virtqueue_exec(&vm->vq, &req, sizeof(req), &resp, sizeof(resp), VIRTIO_MEM_WARN_US);
	if (len < 0)
		return len;
	if (len < 2 || (type == VIRTIO_MEM_REQ_STATE && resp.type == VIRTIO_MEM_RESP_ACK &&
			len < (int)sizeof(resp)))
		return -EIO;
	if (state)
		*state = resp.state;
	return resp.type;
}

/*
 * A PLUG or UNPLUG answered late: ask STATE what the device did, and go by
 * that. An answer that does not match it (a device that changed its mind
 * while we waited) counts as an error; a MIXED range is a transport error.
 */
static int resync_late(struct vmem *vm, u16 type, u64 addr, u16 nb, int r)
{
	u16 done = type == VIRTIO_MEM_REQ_PLUG ? VIRTIO_MEM_STATE_PLUGGED :
		   VIRTIO_MEM_STATE_UNPLUGGED;
	u16 state = 0xffff;
	int s = request_once(vm, VIRTIO_MEM_REQ_STATE, addr, nb, &state);
	int now = s != VIRTIO_MEM_RESP_ACK || state == VIRTIO_MEM_STATE_MIXED ? -EIO :
		  state == done ? VIRTIO_MEM_RESP_ACK : VIRTIO_MEM_RESP_ERROR;

	pr_warn("virtio-mem: late answer %s to request %u of 0x%llx+%u blocks; STATE says %u\n",
		vmem_resp_name(r), type, (unsigned long long)addr, nb, state);
	if ((now == VIRTIO_MEM_RESP_ACK) != (r == VIRTIO_MEM_RESP_ACK)) {
		vm->nr_errors++;
		pr_err("virtio-mem: the late answer disagrees with STATE; going by STATE\n");
		return now;
	}
	return r;
}

/* BUSY means "try again later" (§5.15.6.1): back off 1 ms, 2 ms, ... */
static int request_addr(struct vmem *vm, u16 type, u64 addr, u16 nb, u16 *state)
{
	unsigned long backoff = 1000;

	for (int i = 0;; i++) {
		int r = request_once(vm, type, addr, nb, state);

		if (vm->vq.late && r >= 0 &&
		    (type == VIRTIO_MEM_REQ_PLUG || type == VIRTIO_MEM_REQ_UNPLUG))
			r = resync_late(vm, type, addr, nb, r);
		if (r != VIRTIO_MEM_RESP_BUSY || i == VIRTIO_MEM_BUSY_RETRIES)
			return r;
		if (!i)
			pr_warn("virtio-mem: device busy (request %u), retrying\n", type);
		udelay(backoff);
		backoff = min(backoff * 2, 1000000UL);
	}
}

int vmem_request(struct vmem *vm, u16 type, unsigned long block, unsigned long nb, u16 *state)
{
	if (nb > 0xffff)
		return -EINVAL;
	return request_addr(vm, type, vmem_block_addr(vm, block), (u16)nb, state);
}

int vmem_probe_word(u64 pa)
{
	unsigned long v;

	return probe_read((unsigned long)__va(pa), &v);
}

/* ---- config ---- */

/* All fields from one generation (§2.5.1: re-read if it moved). */
static void read_config(struct vmem *vm, struct virtio_mem_config *c)
{
	struct virtio_device *vd = &vm->vd;
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

/*
 * The memory view: one line of totals (the only line with one device), and
 * with several devices one line per device before it.
 */
static void print_mem(void)
{
	u64 plugged = 0, requested = 0, online = 0;

	for (unsigned int i = 0; i < nr_vmem; i++) {
		const struct vmem *vm = &vmem_devs[i];
		const struct pci_dev *pci = vm->vd.pci;

		plugged += vm->plugged_bytes;
		requested += vm->cfg.requested_size;
		online += vm->online_bytes;
		if (nr_vmem > 1)
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
static void check_plugged(struct vmem *vm, const char *when)
{
	read_config(vm, &vm->cfg);
	if (vm->cfg.plugged_size != vm->plugged_bytes) {
		vm->nr_errors++;
		pr_err("virtio-mem: %sdevice says plugged_size=%llu, driver has %llu\n", when,
		       (unsigned long long)vm->cfg.plugged_size,
		       (unsigned long long)vm->plugged_bytes);
	}
}

/* Where the device wants plugged_size: requested, usable, whole blocks. */
static u64 read_target(struct vmem *vm)
{
	u64 req = injected_target(vm->cfg.requested_size);

	return ALIGN_DOWN(min(req, sbm_usable_size(vm)), vm->bs);
}

unsigned long vmem_target_left(struct vmem *vm, bool plug)
{
	u64 target;

	read_config(vm, &vm->cfg);
	target = read_target(vm);
	if (plug ? target > vm->plugged_bytes : target < vm->plugged_bytes)
		return (plug ? target - vm->plugged_bytes : vm->plugged_bytes - target) / vm->bs;
	if (target != vm->plugged_bytes && !vm->target_moved) {
		vm->target_moved = true;
		pr_info("virtio-mem: requested size now %llu MiB: %s stopped at %llu MiB\n",
			(unsigned long long)(target >> 20), plug ? "plugging" : "unplugging",
			(unsigned long long)(vm->plugged_bytes >> 20));
	}
	return 0;
}

/*
 * One pass toward @target, re-reading it between memory blocks. Returns
 * the blocks that moved; warns when it stopped short with the target
 * still where it was.
 */
static unsigned long resize_pass(struct vmem *vm, u64 target)
{
	bool plug = vm->plugged_bytes < target;
	unsigned long n = (plug ? target - vm->plugged_bytes : vm->plugged_bytes - target) / vm->bs;
	unsigned long got;

	vm->follow_target = true;
	vm->target_moved = false;
	got = plug ? sbm_plug(vm, n) : sbm_unplug(vm, n);
	vm->follow_target = false;
	if (got < n && !vm->target_moved && read_target(vm) == target)
		pr_warn("virtio-mem: %splugged %lu of %lu blocks%s\n", plug ? "" : "un", got, n,
			plug ? "" : " (the rest is in use)");
	return got;
}

#define RECONCILE_PASSES	8	/* a target that keeps moving: catch up later */

static int reconcile(struct vmem *vm, bool print)
{
	u64 before = vm->plugged_bytes, target;

	check_plugged(vm, "");
	target = read_target(vm);
	for (int pass = 0; pass < RECONCILE_PASSES && vm->plugged_bytes != target; pass++) {
		if (!resize_pass(vm, target))
			break;
		read_config(vm, &vm->cfg);
		target = read_target(vm);
	}
	if (vm->plugged_bytes != before)
		check_plugged(vm, "after the change the ");
	if (print || vm->plugged_bytes != before)
		print_mem();
	return vm->plugged_bytes == target ? 0 : -EAGAIN;
}

/* ---- benchmarks (rvmm.bench) ---- */

/* Instructions to plug (or unplug) @n blocks; false if not all of them went. */
static bool bench_change(struct vmem *vm, bool plug, unsigned long n, unsigned long *insns)
{
	unsigned long t = rdinstret(), got;

	got = plug ? sbm_plug(vm, n) : sbm_unplug(vm, n);
	*insns = rdinstret() - t;
	if (got != n)
		pr_err("virtio-mem: bench: %splugged %lu of %lu blocks\n", plug ? "" : "un", got, n);
	return got == n;
}

/*
 * hotremove_1g_half_used: plug 1 GiB, fill the page store with 512 MiB
 * (it lands in that memory: ZONE_MOVABLE first), then time the unplug of
 * the whole GiB, data moved included; every page must verify afterwards.
 */
static void bench_half_used(struct vmem *vm, unsigned long n)
{
	unsigned long keys = SZ_1G / 2 / PAGE_SIZE, t, bad = 0, k = 0;
	u64 sum, after;

	if (!bench_change(vm, true, n, &t))
		return;
	if (page_store_init(&page_store, keys))
		goto out;
	while (k < keys && !ps_fill(&page_store, k, 0xbe4c))
		k++;
	if (k < keys || ps_scan(&page_store, &sum, NULL))
		goto out;
	if (bench_change(vm, false, n, &t) && !ps_scan(&page_store, &after, &bad) && after == sum)
		bench_report("hotremove_1g_half_used", t, "instructions");
	else
		pr_err("virtio-mem: bench: hotremove_1g_half_used: data lost (key %lu)\n", bad);
out:
	page_store_destroy(&page_store);
	sbm_unplug(vm, vm->plugged_bytes / vm->bs);
	print_mem();
}

/* Plug 1 GiB, unplug it again; the caller re-plugs to the requested size. */
static void run_bench(struct vmem *vm)
{
	unsigned long n = SZ_1G / vm->bs, t, from_memory = vmemmap_stats.from_memory;

	if (vm->cfg.requested_size < SZ_1G || vm->cfg.usable_region_size < SZ_1G) {
		pr_warn("virtio-mem: requested-size < 1 GiB: no hotadd/hotremove benchmark\n");
		return;
	}
	if (!bench_change(vm, true, n, &t))
		return;
	bench_report("hotadd_1g", t, "instructions");
	bench_report("vmemmap_bytes_per_gib",
		     (vmemmap_stats.from_memory - from_memory) * PAGE_SIZE, "bytes");
	print_mem();
	if (!bench_change(vm, false, n, &t))
		return;
	bench_report("hotremove_1g", t, "instructions");
	print_mem();
	bench_half_used(vm, n);
}

/*
 * A config change served (rvmm.bench): instructions from the interrupt to
 * the memory view printed, and requests sent, when it moved 1 GiB.
 */
static void bench_serve(struct vmem *vm, u64 before, unsigned long t0, unsigned long req0)
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

static int unplug_all(struct vmem *vm)
{
	int r = request_addr(vm, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL);

	if (r != VIRTIO_MEM_RESP_ACK) {
		pr_err("virtio-mem: UNPLUG_ALL: %s\n", vmem_resp_name(r));
		return -EIO;
	}
	read_config(vm, &vm->cfg);
	if (vm->cfg.plugged_size) {
		pr_err("virtio-mem: UNPLUG_ALL acknowledged but plugged_size=%llu\n",
		       (unsigned long long)vm->cfg.plugged_size);
		return -EIO;
	}
	return 0;
}

static int vmem_setup(struct vmem *vm, struct pci_dev *pci)
{
	int ret = virtio_pci_init(&vm->vd, pci);

	if (ret)
		return ret;
	/* UNPLUGGED_INACCESSIBLE: we never touch unplugged memory anyway. */
	ret = virtio_negotiate(&vm->vd, 1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
	if (ret)
		return ret;
	read_config(vm, &vm->cfg);
	vm->verify = verify_full;
	ret = sbm_setup_geometry(vm);
	if (!ret)
		ret = virtqueue_setup(&vm->vq, &vm->vd, 0);
	if (ret) {
		virtio_fail(&vm->vd);
		return ret;
	}
	virtio_driver_ok(&vm->vd);
	ret = unplug_all(vm);
	if (!ret)
		ret = sbm_init(vm);
	if (ret)
		virtio_fail(&vm->vd);
	return ret;
}

/* Set up one device in the next free slot; counted only if it works. */
static int vmem_probe_one(struct pci_dev *pci)
{
	struct vmem *vm = &vmem_devs[nr_vmem];
	int ret = vmem_setup(vm, pci);

	if (ret) {
		/* A live queue: reset first, the device must not touch its pages again. */
		if (vm->vq.ring_page)
			virtio_reset(&vm->vd);
		virtqueue_destroy(&vm->vq);
		pr_err("virtio-mem: %02x:%02x.%x not used (%d)\n", pci->bus, pci->dev, pci->fn, ret);
		memset(vm, 0, sizeof(*vm));
		return ret;
	}
	nr_vmem++;
	vm->boot_requested = vm->cfg.requested_size;
	if (virtio_request_intx(&vm->vd))
		setup_polling();
	pr_info("virtio-mem: %02x:%02x.%x region 0x%llx-0x%llx, block %llu KiB, node_id %u, usable %llu MiB, requested %llu MiB, %s\n",
		pci->bus, pci->dev, pci->fn, (unsigned long long)vm->cfg.addr,
		(unsigned long long)(vm->cfg.addr + vm->cfg.region_size - 1),
		(unsigned long long)(vm->bs >> 10), vm->cfg.node_id,
		(unsigned long long)(vm->cfg.usable_region_size >> 20),
		(unsigned long long)(vm->cfg.requested_size >> 20),
		vm->vd.irq_on ? "config changes by INTx" : "polled");
	if (boot_params.bench && nr_vmem == 1)
		run_bench(vm);
	vm->probe = boot_params.serve;
	reconcile(vm, true);
	return 0;
}

static int vmem_probe(const struct dt_info *dt)
{
	struct pci_dev *pci = NULL;

	if (pci_host_init(dt))
		return -ENODEV;
	plic_init(dt);		/* without it we poll */
	while ((pci = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET,
				     VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_MEM, pci))) {
		if (nr_vmem == VIRTIO_MEM_MAX_DEVICES) {
			pr_warn("virtio-mem: more than %d devices, %02x:%02x.%x not used\n",
				VIRTIO_MEM_MAX_DEVICES, pci->bus, pci->dev, pci->fn);
			continue;
		}
		vmem_probe_one(pci);
	}
	return nr_vmem ? 0 : -ENODEV;
}

/*
 * serve_loop() work, with interrupts masked (serve_loop's rule): the INTx
 * handler only sets config_changed, and the work is done here. A change
 * arriving during a reconcile leaves its interrupt pending, which ends
 * serve_loop's wfi, so the next round sees it. Devices without INTx are
 * woken by the poll timer, which re-arms itself.
 */
static void vmem_poll(void)
{
	for (unsigned int i = 0; i < nr_vmem; i++) {
		struct vmem *vm = &vmem_devs[i];

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

RVMM_DRIVER(virtio_mem, vmem_probe, vmem_poll);

/* ---- interface for the self-tests ---- */
#ifdef CONFIG_SELFTESTS

/* Device @dev, or NULL. */
static struct vmem *vmem_dev(unsigned int dev)
{
	return dev < nr_vmem ? &vmem_devs[dev] : NULL;
}

unsigned int virtio_mem_nr_devices(void)
{
	return nr_vmem;
}

bool virtio_mem_get_info(unsigned int dev, struct virtio_mem_info *info)
{
	struct vmem *vm = vmem_dev(dev);

	info->present = vm != NULL;
	if (!vm)
		return false;
	read_config(vm, &vm->cfg);
	info->cfg = vm->cfg;
	info->boot_requested_size = vm->boot_requested;
	info->usable = sbm_usable_size(vm);
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
	struct vmem *vm = vmem_dev(dev);

	return vm && idx < vm->nr_blocks && test_bit(idx, vm->plugged);
}

int virtio_mem_raw_request(unsigned int dev, u16 type, u64 addr, u16 nb_blocks, u16 *state)
{
	struct vmem *vm = vmem_dev(dev);

	return vm ? request_addr(vm, type, addr, nb_blocks, state) : -ENODEV;
}

int virtio_mem_reconcile(unsigned int dev)
{
	struct vmem *vm = vmem_dev(dev);

	return vm ? reconcile(vm, false) : -ENODEV;
}

unsigned int virtio_mem_inject_response(int resp, unsigned int skip, unsigned int nr)
{
	unsigned int pending = inject.nr;

	inject.resp = resp;
	inject.skip = skip;
	inject.nr = nr;
	return pending;
}

void virtio_mem_inject_target(u64 size, unsigned int skip, unsigned int reads)
{
	inject_target.size = size;
	inject_target.skip = skip;
	inject_target.reads = reads;
}

u64 virtio_mem_unplug(unsigned int dev, u64 bytes)
{
	struct vmem *vm = vmem_dev(dev);
	unsigned long got;

	if (!vm)
		return 0;
	got = sbm_unplug(vm, bytes / vm->bs);
	if (got)
		print_mem();
	return got * vm->bs;
}
#endif /* CONFIG_SELFTESTS */

/*
 * For the page-table audit (arch/riscv/mm/ptdump.c): does some byte of
 * [pa, pa + size) lie in a device's region, in a block it has not plugged?
 */
bool virtio_mem_range_unplugged(phys_addr_t pa, phys_addr_t size)
{
	for (unsigned int i = 0; i < nr_vmem; i++) {
		const struct vmem *vm = &vmem_devs[i];
		u64 lo = max((u64)pa, vm->cfg.addr);
		u64 hi = min((u64)(pa + size), vm->cfg.addr + vm->nr_blocks * vm->bs);

		for (u64 a = lo; a < hi; a = ALIGN_DOWN(a, vm->bs) + vm->bs)
			if (!test_bit((a - vm->cfg.addr) / vm->bs, vm->plugged))
				return true;
	}
	return false;
}
