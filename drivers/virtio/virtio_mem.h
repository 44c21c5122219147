/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DRIVERS_VIRTIO_MEM_H
#define DRIVERS_VIRTIO_MEM_H

/*
 * Private state of the virtio-mem driver, shared by virtio_mem.c (device,
 * requests, reconcile loop) and virtio_mem_sbm.c (Sub-Block Mode: which
 * device blocks to plug/unplug and how they meet the memory model).
 *
 * Terms: a device block is the device's plug unit (block_size). A memory
 * block (mb) is what add_memory() adds: max(block_size, 128 MiB section).
 * The first 2 MiB of every section hold its own memmap, so the first
 * device block of an mb is plugged for as long as the mb exists.
 */
#include <rvmm/bitops.h>
#include <rvmm/mm.h>
#include <rvmm/virtio.h>

struct vmem {
	struct virtio_device vd;
	struct virtqueue vq;
	struct virtio_mem_config cfg;	/* last config read */
	bool probe;			/* serve: probe a plugged block before onlining */
	bool verify;			/* rvmm.verify=full: every word, and STATE */
	int nid;
	u64 bs;				/* device block size */
	u64 mb_size, mb_base;		/* memory blocks: size, first address */
	unsigned long nr_blocks;	/* device blocks in the region */
	unsigned long bpm;		/* device blocks per memory block */
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

/* Request with BUSY retry and backoff; response type or -errno. */
int vmem_request(struct vmem *vm, u16 type, unsigned long block, unsigned long nb, u16 *state);
const char *vmem_resp_name(int resp);

/* Does [addr, addr + size) overlap the region of a device already set up? */
bool vmem_region_claimed(u64 addr, u64 size);

/*
 * Re-read the requested size: blocks still to plug (@plug) or unplug
 * toward it, 0 once it is reached or has moved the other way.
 */
unsigned long vmem_target_left(struct vmem *vm, bool plug);

/* Read the word at @pa without faulting; -EFAULT if it is not there. */
int vmem_probe_word(u64 pa);

/* From vm->cfg: block and memory-block geometry, -EINVAL if unusable. */
int sbm_setup_geometry(struct vmem *vm);
/* Bytes the driver can plug (the geometry may cut the region short). */
u64 sbm_usable_size(const struct vmem *vm);
/* The driver's bitmaps (after the geometry). */
int sbm_init(struct vmem *vm);
/*
 * Plug / unplug up to @want device blocks; returns how many were. With
 * vm->follow_target, also stop at a memory-block boundary once the
 * requested size says enough (vmem_target_left()).
 */
unsigned long sbm_plug(struct vmem *vm, unsigned long want);
unsigned long sbm_unplug(struct vmem *vm, unsigned long want);

static inline u64 vmem_block_addr(const struct vmem *vm, unsigned long b)
{
	return vm->cfg.addr + b * vm->bs;
}

#endif
