/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DRIVERS_VIRTIO_MEM_H
#define DRIVERS_VIRTIO_MEM_H

/*
 * Private state of the virtio-mem driver. Three layers, calls going down:
 *
 *   virtio_mem.c      device glue: probe, serve loop, reconcile toward the
 *                     requested size, benchmarks, the self-test queries
 *   virtio_mem_sbm.c  policy: Sub-Block Mode (which device blocks to plug
 *                     or unplug, and how they meet the memory model)
 *   virtio_mem_req.c  requests: the config, PLUG/UNPLUG/UNPLUG_ALL/STATE
 *                     with BUSY retries, probes of plugged memory, and
 *                     the self-tests' injected answers
 *
 * The host tests (tests/host/virtio_mem_sbm_test.c) build the policy
 * against a model of the request layer.
 *
 * Terms: a device block is the device's plug unit (device_block_size), a
 * sub-block (sb) in Linux's Sub-Block Mode. A memory block (mb) is what
 * add_memory() adds: max(device_block_size, 128 MiB section). The first
 * 2 MiB of every section hold its own memmap, so the first device block
 * of an mb is plugged for as long as the mb exists.
 */
#include <rvmm/bitops.h>
#include <rvmm/mm.h>
#include <rvmm/virtio.h>

struct virtio_mem {
	struct virtio_device vd;
	struct virtqueue vq;
	struct virtio_mem_config cfg;	/* last config read */
	bool probe;			/* serve: probe a plugged block before onlining */
	bool verify;			/* rvmm.verify=full: every word, and STATE */
	int nid;
	u64 device_block_size;
	u64 mb_size, mb_base;		/* memory blocks: size, first address */
	unsigned long nr_blocks;	/* device blocks in the region */
	unsigned long sbs_per_mb;	/* device blocks per memory block */
	unsigned long nr_mbs;
	unsigned long first_mb_block;	/* device block index of mb 0 */
	unsigned long *plugged;		/* per device block: plugged at device */
	unsigned long *online;		/* per device block: pages in the buddy */
	unsigned long *added;		/* per mb: add_memory() done */
	u64 plugged_bytes, online_bytes;
	u64 boot_requested;		/* requested_size at probe */
	unsigned long nr_errors;	/* refusals and STATE disagreements */
	bool follow_target;		/* reconcile: re-read the target between mbs */
	bool target_moved;		/* ...and it moved the other way */
	unsigned long target_seen;	/* blocks done when it was last read */
	bool migrate;			/* shrink pass 2: offline blocks in use */
	int migrate_err;		/* why pass 2 stopped (offline_pages) */
};

static inline u64 virtio_mem_block_addr(const struct virtio_mem *vm, unsigned long b)
{
	return vm->cfg.addr + b * vm->device_block_size;
}

/* What the driver can plug: whole memory blocks below the linear-map limit. */
static inline u64 virtio_mem_usable_size(const struct virtio_mem *vm)
{
	return min((u64)vm->nr_mbs * vm->mb_size, vm->cfg.usable_region_size);
}

/* ---- request layer (virtio_mem_req.c) ---- */

/* Re-read the config, all fields from one generation. */
void virtio_mem_refresh_config(struct virtio_mem *vm);
/*
 * A request with BUSY retries and backoff, at @addr: the response type
 * (ACK, NACK, ...) or -errno; *@state gets STATE's answer (may be NULL).
 */
int virtio_mem_send_request(struct virtio_mem *vm, u16 type, u64 addr, u16 nb_blocks,
			    u16 *state);
/* The same on device blocks [b, b + n): -EINVAL if n does not fit a request. */
int virtio_mem_send_plug_request(struct virtio_mem *vm, unsigned long b, unsigned long n);
int virtio_mem_send_unplug_request(struct virtio_mem *vm, unsigned long b, unsigned long n);
int virtio_mem_send_state_request(struct virtio_mem *vm, unsigned long b, unsigned long n,
				  u16 *state);
int virtio_mem_send_unplug_all_request(struct virtio_mem *vm);
const char *virtio_mem_resp_name(int resp);

/* Where the device wants plugged_size: requested, usable, whole blocks. */
u64 virtio_mem_read_target(struct virtio_mem *vm);
/*
 * Re-read the requested size: blocks still to plug (@plug) or unplug
 * toward it, 0 once it is reached or has moved the other way.
 */
unsigned long virtio_mem_target_left(struct virtio_mem *vm, bool plug);

/* Read the word at @pa without faulting; -EFAULT if it is not there. */
int virtio_mem_probe_word(u64 pa);

/*
 * The regions of the devices set up (Linux asks request_mem_region()):
 * claim one, and ask whether [addr, addr + size) overlaps one.
 */
void virtio_mem_claim_region(const struct virtio_mem *vm);
bool virtio_mem_region_claimed(u64 addr, u64 size);

/* ---- Sub-Block Mode policy (virtio_mem_sbm.c) ---- */

/* From vm->cfg: block and memory-block geometry, -EINVAL if unusable. */
int virtio_mem_init_hotplug(struct virtio_mem *vm);
/* The driver's bitmaps (after the geometry). */
int virtio_mem_sbm_init(struct virtio_mem *vm);
/*
 * Plug / unplug up to @want device blocks; returns how many were. With
 * vm->follow_target, also stop at a memory-block boundary once the
 * requested size says enough (virtio_mem_target_left()).
 */
unsigned long virtio_mem_sbm_plug_request(struct virtio_mem *vm, unsigned long want);
unsigned long virtio_mem_sbm_unplug_request(struct virtio_mem *vm, unsigned long want);

/* ---- the self-tests' window into the driver (tests/kernel/virtio_mem_test.c) ---- */
#ifdef CONFIG_SELFTESTS
/* Snapshot of the driver's view. */
struct virtio_mem_info {
	bool present;
	struct virtio_mem_config cfg;	/* last config read */
	u64 boot_requested_size;	/* requested_size when probed */
	u64 usable;			/* bytes the driver can plug (linear map) */
	u64 plugged;			/* bytes the driver has plugged */
	u64 online;			/* bytes handed to the page allocator */
	unsigned long nr_blocks;	/* device blocks in the region */
	int irq;			/* PLIC irq of INTx, or -1 (polled) */
	unsigned long nr_errors;	/* refusals and STATE/plugged_size disagreements */
	unsigned long nr_requests;	/* requests sent so far (STATE included) */
};

/* Devices driven (in PCI order); @dev below indexes them. */
unsigned int virtio_mem_nr_devices(void);
bool virtio_mem_get_info(unsigned int dev, struct virtio_mem_info *info);
/* Driver's belief about device block @idx. */
bool virtio_mem_block_plugged(unsigned int dev, unsigned long idx);
/*
 * One raw request, for tests: returns the response type (ACK, NACK, ...)
 * or a negative errno; *state gets the STATE answer. Does not change the
 * driver's bookkeeping: the caller must keep the device consistent.
 */
int virtio_mem_raw_request(unsigned int dev, u16 type, u64 addr, u16 nb_blocks, u16 *state);
/* Re-read the config and bring plugged toward requested now. */
int virtio_mem_reconcile(unsigned int dev);
/* Unplug up to @bytes (free blocks only, like a shrink); returns bytes. */
u64 virtio_mem_unplug(unsigned int dev, u64 bytes);
/*
 * Plug (or unplug) @bytes the way the policy does, nothing printed: the
 * bench suite's figures; *@insns gets the instructions taken. Returns bytes.
 */
u64 virtio_mem_change(unsigned int dev, bool plug, u64 bytes, unsigned long *insns);
/*
 * Fault injection for the self-tests: after letting @skip PLUG/UNPLUG/
 * UNPLUG_ALL requests through, the next @nr are answered @resp (NACK, BUSY
 * or ERROR) without reaching the device, as a refusing device would answer
 * them: those answers change nothing at the device (§5.15.6). STATE always
 * reaches the device. Returns how many refusals were still pending;
 * (0, 0, 0) cancels them.
 */
unsigned int virtio_mem_inject_response(int resp, unsigned int skip, unsigned int nr);
/*
 * For the self-tests: after @skip reads of the requested size (at the
 * start of a reconcile and between its memory blocks), the next @reads
 * return @size; (0, 0, 0) cancels.
 */
void virtio_mem_inject_target(u64 size, unsigned int skip, unsigned int reads);
/*
 * The kernel page-table audit right after every add_memory() of the
 * driver, before it goes on: armed by @on; counts audits and failures
 * since, with the first failure's reason in *@why. Returns the audits.
 */
unsigned long virtio_mem_audit_adds(bool on, unsigned long *failed, const char **why);
/* Called by the policy after each add_memory() (the hook for the above). */
void virtio_mem_test_added(struct virtio_mem *vm);
#else
static inline void virtio_mem_test_added(struct virtio_mem *vm)
{
	(void)vm;
}
#endif /* CONFIG_SELFTESTS */

/*
 * Pseudo-answer for virtio_mem_inject_response(): the request reaches the
 * device, but its answer is seen only VIRTIO_MEM_INJECT_DELAY_US later.
 */
#define VIRTIO_MEM_INJECT_DELAY		0x100
#define VIRTIO_MEM_INJECT_DELAY_US	2500000
/* A request unanswered this long gets a warning (and again as long again). */
#define VIRTIO_MEM_WARN_US		2000000
/* BUSY answers retried (with backoff) before a request is given up. */
#define VIRTIO_MEM_BUSY_RETRIES	10

#endif
