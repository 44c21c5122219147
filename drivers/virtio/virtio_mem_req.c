// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem's request layer (virtio 1.2 §5.15): the device's config, its
 * requests with BUSY retries and the late-answer resync, probes of
 * plugged memory, the regions of the devices set up, and the answers and
 * targets the self-tests inject. It calls nothing of the layers above
 * (see virtio_mem.h).
 */
#include <rvmm/printk.h>
#include <rvmm/ptdump.h>
#include <rvmm/trap.h>
#include "virtio_mem.h"

/* struct virtio_mem_config (§5.15.4) */
#define CFG_BLOCK_SIZE		0
#define CFG_NODE_ID		8
#define CFG_ADDR		16
#define CFG_REGION_SIZE		24
#define CFG_USABLE_REGION_SIZE	32
#define CFG_PLUGGED_SIZE	40
#define CFG_REQUESTED_SIZE	48

struct virtio_mem_req {
	u16 type;
	u16 padding[3];
	u64 addr;
	u16 nb_blocks;
	u16 padding2[3];
};

struct virtio_mem_resp {
	u16 type;
	u16 padding[3];
	u16 state;
};
_Static_assert(sizeof(struct virtio_mem_req) == 24, "virtio_mem_req layout");
_Static_assert(sizeof(struct virtio_mem_resp) == 10, "virtio_mem_resp layout");

const char *virtio_mem_resp_name(int r)
{
	static const char *const names[] = { "ACK", "NACK", "BUSY", "ERROR" };

	if (r >= 0 && r < (int)ARRAY_SIZE(names))
		return names[r];
	return r < 0 ? "transport error" : "unknown response";
}

/* ---- the regions of the devices set up ---- */

static struct {
	u64 addr, size;
} claimed[VIRTIO_MEM_MAX_DEVICES];
static unsigned int nr_claimed;

void virtio_mem_claim_region(const struct virtio_mem *vm)
{
	if (nr_claimed < VIRTIO_MEM_MAX_DEVICES) {
		claimed[nr_claimed].addr = vm->cfg.addr;
		claimed[nr_claimed++].size = vm->cfg.region_size;
	}
}

bool virtio_mem_region_claimed(u64 addr, u64 size)
{
	for (unsigned int i = 0; i < nr_claimed; i++)
		if (addr < claimed[i].addr + claimed[i].size && claimed[i].addr < addr + size)
			return true;
	return false;
}

/* ---- injected answers and targets (self-tests) ---- */

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
static bool injected_answer(struct virtio_mem *vm, u16 type, int *resp)
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

static struct {
	bool on;
	unsigned long audits, failed;
	const char *why;
} add_audit;

unsigned long virtio_mem_audit_adds(bool on, unsigned long *failed, const char **why)
{
	unsigned long audits = add_audit.audits;

	if (failed)
		*failed = add_audit.failed;
	if (why)
		*why = add_audit.why;
	add_audit.on = on;
	add_audit.audits = add_audit.failed = 0;
	add_audit.why = NULL;
	return audits;
}

void virtio_mem_test_added(struct virtio_mem *vm)
{
	struct ptdump_violation v;

	(void)vm;
	if (!add_audit.on)
		return;
	add_audit.audits++;
	if (ptdump_audit(&v) && !add_audit.failed++)
		add_audit.why = v.why;
}
#else
static bool injected_answer(struct virtio_mem *vm, u16 type, int *resp)
{
	(void)vm, (void)type, (void)resp;
	return false;
}

static u64 injected_target(u64 req)
{
	return req;
}
#endif

/* ---- requests ---- */

static int send_request_once(struct virtio_mem *vm, u16 type, u64 addr, u16 nb, u16 *state)
{
	struct virtio_mem_req req = { .type = type, .addr = addr, .nb_blocks = nb };
	struct virtio_mem_resp resp = { 0 };
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
static int resync_late(struct virtio_mem *vm, u16 type, u64 addr, u16 nb, int r)
{
	u16 done = type == VIRTIO_MEM_REQ_PLUG ? VIRTIO_MEM_STATE_PLUGGED :
		   VIRTIO_MEM_STATE_UNPLUGGED;
	u16 state = 0xffff;
	int s = send_request_once(vm, VIRTIO_MEM_REQ_STATE, addr, nb, &state);
	int now = s != VIRTIO_MEM_RESP_ACK || state == VIRTIO_MEM_STATE_MIXED ? -EIO :
		  state == done ? VIRTIO_MEM_RESP_ACK : VIRTIO_MEM_RESP_ERROR;

	pr_warn("virtio-mem: late answer %s to request %u of 0x%llx+%u blocks; STATE says %u\n",
		virtio_mem_resp_name(r), type, (unsigned long long)addr, nb, state);
	if ((now == VIRTIO_MEM_RESP_ACK) != (r == VIRTIO_MEM_RESP_ACK)) {
		vm->nr_errors++;
		pr_err("virtio-mem: the late answer disagrees with STATE; going by STATE\n");
		return now;
	}
	return r;
}

/* BUSY means "try again later" (§5.15.6.1): back off 1 ms, 2 ms, ... */
int virtio_mem_send_request(struct virtio_mem *vm, u16 type, u64 addr, u16 nb, u16 *state)
{
	unsigned long backoff = 1000;

	for (int i = 0;; i++) {
		int r = send_request_once(vm, type, addr, nb, state);

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

static int send_block_request(struct virtio_mem *vm, u16 type, unsigned long b,
			      unsigned long n, u16 *state)
{
	if (n > 0xffff)
		return -EINVAL;
	return virtio_mem_send_request(vm, type, virtio_mem_block_addr(vm, b), (u16)n, state);
}

int virtio_mem_send_plug_request(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	return send_block_request(vm, VIRTIO_MEM_REQ_PLUG, b, n, NULL);
}

int virtio_mem_send_unplug_request(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	return send_block_request(vm, VIRTIO_MEM_REQ_UNPLUG, b, n, NULL);
}

int virtio_mem_send_state_request(struct virtio_mem *vm, unsigned long b, unsigned long n,
				  u16 *state)
{
	return send_block_request(vm, VIRTIO_MEM_REQ_STATE, b, n, state);
}

int virtio_mem_send_unplug_all_request(struct virtio_mem *vm)
{
	return virtio_mem_send_request(vm, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL);
}

int virtio_mem_probe_word(u64 pa)
{
	unsigned long v;

	return probe_read((unsigned long)__va(pa), &v);
}

/* ---- config ---- */

/* All fields from one generation (§2.5.1: re-read if it moved). */
void virtio_mem_refresh_config(struct virtio_mem *vm)
{
	struct virtio_device *vd = &vm->vd;
	struct virtio_mem_config *c = &vm->cfg;
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

u64 virtio_mem_read_target(struct virtio_mem *vm)
{
	u64 req = injected_target(vm->cfg.requested_size);

	return ALIGN_DOWN(min(req, virtio_mem_usable_size(vm)), vm->device_block_size);
}

unsigned long virtio_mem_target_left(struct virtio_mem *vm, bool plug)
{
	u64 target;

	virtio_mem_refresh_config(vm);
	target = virtio_mem_read_target(vm);
	if (plug ? target > vm->plugged_bytes : target < vm->plugged_bytes)
		return (plug ? target - vm->plugged_bytes : vm->plugged_bytes - target) /
		       vm->device_block_size;
	if (target != vm->plugged_bytes && !vm->target_moved) {
		vm->target_moved = true;
		pr_info("virtio-mem: requested size now %llu MiB: %s stopped at %llu MiB\n",
			(unsigned long long)(target >> 20), plug ? "plugging" : "unplugging",
			(unsigned long long)(vm->plugged_bytes >> 20));
	}
	return 0;
}
