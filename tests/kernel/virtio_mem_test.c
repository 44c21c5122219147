// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the virtio-mem driver against the live device: the boot
 * plug, the plugged memory itself, unmapped unplugged memory, refused
 * requests, STATE against the driver's bitmap, an unplug/re-plug cycle,
 * and the driver's handling of BUSY, NACK and ERROR answers. Every case
 * skips when there is no virtio-mem device.
 */
#include <stdio.h>
#include <string.h>
#include <rvmm/fault-inject.h>
#include <rvmm/ktest.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/trap.h>
#include <rvmm/virtio.h>
#include "../../drivers/virtio/virtio_mem.h"

#define MAGIC 0x9e3779b97f4a7c15ULL

/* The device under test: 0, or each further one in every_other_device. */
static unsigned int dev;

static bool get_info(struct ktest *t, struct virtio_mem_info *vi)
{
	if (virtio_mem_get_info(dev, vi))
		return true;
	ktest_skip(t, "no virtio-mem device");
	return false;
}

static u64 block_addr(const struct virtio_mem_info *vi, unsigned long b)
{
	return vi->cfg.addr + b * vi->cfg.block_size;
}

static unsigned long usable_blocks(const struct virtio_mem_info *vi)
{
	return vi->usable / vi->cfg.block_size;	/* the device's, or less (linear map) */
}

static void plugged_at_boot(struct ktest *t)
{
	struct virtio_mem_info vi;
	unsigned long n = 0;

	if (!get_info(t, &vi))
		return;
	KEXPECT_EQ(t, vi.plugged, min(vi.boot_requested_size, vi.usable));
	KEXPECT_EQ(t, vi.cfg.plugged_size, vi.plugged);
	KEXPECT_EQ(t, vi.nr_errors, 0);	/* no refusal, no disagreement so far */
	for (unsigned long b = 0; b < vi.nr_blocks; b++)
		n += virtio_mem_block_plugged(dev, b);
	KEXPECT_EQ(t, n * vi.cfg.block_size, vi.plugged);
	/* Online is plugged minus one 2 MiB memmap per 128 MiB section. */
	KEXPECT_LE(t, vi.online, vi.plugged);
	KEXPECT_GE(t, vi.online + DIV_ROUND_UP(vi.plugged, SECTION_SIZE) * SZ_2M, vi.plugged);
}

static int highest_free_order(void)
{
	for (int o = MAX_ORDER; o >= 0; o--)
		if (zones[ZONE_MOVABLE].nr_free_area[o])
			return o;
	return -1;
}

/* Fill a block with an address pattern and check it; errors found. */
static unsigned long pattern(u64 *p, unsigned long bytes)
{
	unsigned long n = bytes / sizeof(u64), bad = 0;

	for (unsigned long i = 0; i < n; i++)
		p[i] = (u64)&p[i] * MAGIC;
	for (unsigned long i = 0; i < n; i++)
		bad += p[i] != (u64)&p[i] * MAGIC;
	return bad;
}

/* All of ZONE_MOVABLE is allocated, written, read back, then freed. */
static void every_plugged_page_usable(struct ktest *t)
{
	struct virtio_mem_info vi;
	unsigned long before, pages = 0, ours = 0, bad = 0, outside = 0;
	phys_addr_t chain = 0;
	int o;

	if (!get_info(t, &vi))
		return;
	if (default_online_zone != ZONE_MOVABLE || !vi.online) {
		ktest_skip(t, "nothing online in ZONE_MOVABLE");
		return;
	}
	before = zone_free_pages(ZONE_MOVABLE);
	while ((o = highest_free_order()) >= 0) {
		struct page *p = alloc_pages(GFP_MOVABLE, o);
		phys_addr_t pa;
		u64 *va;

		KASSERT_TRUE(t, p != NULL);
		pa = page_to_phys(p);
		va = page_address(p);
		if (page_zone(p) != ZONE_MOVABLE) {	/* cannot happen: a free block was seen */
			free_pages(p, o);
			ktest_fail(t, __FILE__, __LINE__, "order %d came from zone %u", o, page_zone(p));
			break;
		}
		if (pa >= vi.cfg.addr && pa + (PAGE_SIZE << o) <= vi.cfg.addr + vi.cfg.region_size) {
			unsigned long b = (pa - vi.cfg.addr) / vi.cfg.block_size;
			unsigned long e = (pa + (PAGE_SIZE << o) - 1 - vi.cfg.addr) / vi.cfg.block_size;

			if (!virtio_mem_block_plugged(dev, b) || !virtio_mem_block_plugged(dev, e))
				ktest_fail(t, __FILE__, __LINE__, "page 0x%llx is in an unplugged block",
					   (unsigned long long)pa);
			ours += 1UL << o;
		} else {
			outside += 1UL << o;
		}
		bad += pattern(va, PAGE_SIZE << o);
		/* Chain the blocks through their own first word: pa | order. */
		va[0] = chain;
		chain = pa | o;
		pages += 1UL << o;
	}
	KEXPECT_EQ(t, bad, 0);
	KEXPECT_EQ(t, pages, before);
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), 0);
	KEXPECT_EQ(t, ours + outside, before);
	/* Every online byte of the device was free and handed out. */
	KEXPECT_EQ(t, ours * PAGE_SIZE, vi.online);
	while (chain) {
		phys_addr_t pa = chain & PAGE_MASK;
		int order = chain & ~PAGE_MASK;

		chain = *(u64 *)__va(pa);
		free_pages(pfn_to_page(PHYS_PFN(pa)), order);
	}
	KEXPECT_EQ(t, zone_free_pages(ZONE_MOVABLE), before);
}

/* A section of the region with no plugged block is not mapped at all. */
static void unplugged_memory_unmapped(struct ktest *t)
{
	struct virtio_mem_info vi;
	unsigned long val, checked = 0;

	if (!get_info(t, &vi))
		return;
	for (u64 sec = ALIGN(vi.cfg.addr, SECTION_SIZE);
	     sec + SECTION_SIZE <= vi.cfg.addr + vi.cfg.region_size && checked < 4;
	     sec += SECTION_SIZE) {
		unsigned long first = (sec - vi.cfg.addr) / vi.cfg.block_size;
		unsigned long last = (sec + SECTION_SIZE - 1 - vi.cfg.addr) / vi.cfg.block_size;
		bool any = false;

		if (sec + SECTION_SIZE > linear_map_limit())
			break;
		for (unsigned long b = first; b <= last; b++)
			any |= virtio_mem_block_plugged(dev, b);
		if (any)
			continue;
		KEXPECT_TRUE(t, !pfn_valid(PHYS_PFN(sec)));
		KEXPECT_EQ(t, probe_read(lm_va(sec), &val), -EFAULT);
		KEXPECT_EQ(t, probe_read(lm_va(sec + SECTION_SIZE - 8), &val), -EFAULT);
		checked++;
	}
	/* Unplugged blocks inside an added memory block are unmapped too. */
	for (unsigned long b = 0; b < vi.cfg.region_size / vi.cfg.block_size && checked < 8; b++) {
		u64 a = vi.cfg.addr + b * vi.cfg.block_size;

		if (virtio_mem_block_plugged(dev, b) || !pfn_valid(PHYS_PFN(a)))
			continue;
		KEXPECT_EQ(t, probe_read(lm_va(a), &val), -EFAULT);
		KEXPECT_EQ(t, probe_read(lm_va(a + vi.cfg.block_size - 8), &val), -EFAULT);
		checked++;
	}
	if (!checked)
		ktest_skip(t, "every section of the region is plugged");
}

static long first_unplugged_usable(const struct virtio_mem_info *vi)
{
	for (unsigned long b = 0; b < usable_blocks(vi); b++)
		if (!virtio_mem_block_plugged(dev, b))
			return (long)b;
	return -1;
}

/*
 * Plugging past requested_size is NACKed; outside the usable region (or
 * misaligned) is ERROR (§5.15.6.2). Neither changes anything.
 */
static void refused_requests(struct ktest *t)
{
	struct virtio_mem_info vi, after;
	long b;
	u16 state = 0xffff;

	if (!get_info(t, &vi))
		return;
	b = first_unplugged_usable(&vi);
	if (b < 0 || vi.cfg.plugged_size < vi.cfg.requested_size) {
		ktest_skip(t, "no unplugged block in the usable region, or not at requested size");
		return;
	}
	KEXPECT_EQ(t, virtio_mem_raw_request(dev, VIRTIO_MEM_REQ_PLUG, block_addr(&vi, b), 1, NULL),
		   VIRTIO_MEM_RESP_NACK);
	KEXPECT_EQ(t, virtio_mem_raw_request(dev, VIRTIO_MEM_REQ_STATE, block_addr(&vi, b), 1, &state),
		   VIRTIO_MEM_RESP_ACK);
	KEXPECT_EQ(t, state, VIRTIO_MEM_STATE_UNPLUGGED);
	if (vi.cfg.usable_region_size < vi.cfg.region_size)
		KEXPECT_EQ(t, virtio_mem_raw_request(dev, VIRTIO_MEM_REQ_PLUG,
						     vi.cfg.addr + vi.cfg.usable_region_size, 1,
						     NULL),
			   VIRTIO_MEM_RESP_ERROR);
	KEXPECT_EQ(t, virtio_mem_raw_request(dev, VIRTIO_MEM_REQ_PLUG, block_addr(&vi, b) + PAGE_SIZE,
					     1, NULL),
		   VIRTIO_MEM_RESP_ERROR);
	KEXPECT_EQ(t, virtio_mem_raw_request(dev, VIRTIO_MEM_REQ_STATE,
					     vi.cfg.addr + vi.cfg.region_size, 1, &state),
		   VIRTIO_MEM_RESP_ERROR);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &after));
	KEXPECT_EQ(t, after.cfg.plugged_size, vi.cfg.plugged_size);
	KEXPECT_EQ(t, after.plugged, vi.plugged);
	KEXPECT_TRUE(t, !virtio_mem_block_plugged(dev, b));
}

/* STATE of every run of equal blocks in the usable region. */
static void state_agrees(struct ktest *t)
{
	struct virtio_mem_info vi;
	unsigned long n, mixed_at = ~0UL;

	if (!get_info(t, &vi))
		return;
	n = usable_blocks(&vi);
	if (!n) {
		ktest_skip(t, "empty usable region (requested-size 0)");
		return;
	}
	for (unsigned long b = 0; b < n;) {
		bool p = virtio_mem_block_plugged(dev, b);
		unsigned long e = b + 1;
		u16 state = 0xffff;
		int r;

		while (e < n && e - b < 0xffff && virtio_mem_block_plugged(dev, e) == p)
			e++;
		if (e < n && mixed_at == ~0UL)
			mixed_at = e - 1;	/* e - 1 and e differ */
		r = virtio_mem_raw_request(dev, VIRTIO_MEM_REQ_STATE, block_addr(&vi, b), e - b, &state);
		KEXPECT_EQ(t, r, VIRTIO_MEM_RESP_ACK);
		if (state != (p ? VIRTIO_MEM_STATE_PLUGGED : VIRTIO_MEM_STATE_UNPLUGGED))
			ktest_fail(t, __FILE__, __LINE__,
				   "blocks 0x%llx+%lu: device state %u, driver says %s",
				   (unsigned long long)block_addr(&vi, b), e - b, state,
				   p ? "plugged" : "unplugged");
		b = e;
	}
	if (mixed_at != ~0UL) {
		u16 state = 0xffff;

		KEXPECT_EQ(t, virtio_mem_raw_request(dev, VIRTIO_MEM_REQ_STATE, block_addr(&vi, mixed_at),
						     2, &state),
			   VIRTIO_MEM_RESP_ACK);
		KEXPECT_EQ(t, state, VIRTIO_MEM_STATE_MIXED);
	}
}

/* 256 MiB (or a block) to unplug, when the driver is at requested_size. */
static u64 shrink_size(struct ktest *t, struct virtio_mem_info *vi)
{
	u64 size;

	if (!get_info(t, vi))
		return 0;
	size = max(256UL << 20, vi->cfg.block_size);
	if (vi->plugged < size || vi->plugged != vi->cfg.requested_size) {
		ktest_skip(t, "less than 256 MiB (or a block) plugged, or a resize is pending");
		return 0;
	}
	return size;
}

/* Shrink by 256 MiB (or a block) through the driver; reconcile re-plugs. */
static void unplug_replug_cycle(struct ktest *t)
{
	struct virtio_mem_info vi, mid, end;
	unsigned long val;
	u64 top, size = shrink_size(t, &vi);

	if (!size)
		return;
	KASSERT_EQ(t, virtio_mem_unplug(dev, size), size);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &mid));
	KEXPECT_EQ(t, mid.plugged, vi.plugged - size);
	KEXPECT_EQ(t, mid.cfg.plugged_size, mid.plugged);
	KEXPECT_LT(t, mid.online, vi.online);
	/* Plugging is lowest-first, so the top plugged section went away. */
	top = ALIGN_DOWN(vi.cfg.addr + vi.plugged - 1, SECTION_SIZE);
	KEXPECT_TRUE(t, !pfn_valid(PHYS_PFN(top)));
	KEXPECT_EQ(t, probe_read(lm_va(top), &val), -EFAULT);
	KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &end));
	KEXPECT_EQ(t, end.plugged, vi.plugged);
	KEXPECT_EQ(t, end.online, vi.online);
	KEXPECT_EQ(t, end.cfg.plugged_size, vi.plugged);
	KEXPECT_EQ(t, probe_read(lm_va(top), &val), 0);
}

/*
 * Shrink to a single block and back: the last block is the memmap block
 * of the lowest memory block, which must give up every data block (the
 * shrink once stopped one block short there).
 */
static void shrink_to_one_block(struct ktest *t)
{
	struct virtio_mem_info vi, mid;
	u64 size = shrink_size(t, &vi);

	if (!size)
		return;
	size = vi.plugged - vi.cfg.block_size;
	KEXPECT_EQ(t, virtio_mem_unplug(dev, size), size);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &mid));
	KEXPECT_EQ(t, mid.plugged, vi.cfg.block_size);
	KEXPECT_EQ(t, mid.cfg.plugged_size, mid.plugged);
	state_agrees(t);
	KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &mid));
	KEXPECT_EQ(t, mid.plugged, vi.plugged);
	KEXPECT_EQ(t, mid.online, vi.online);
}

/* Unplugged blocks inside memory blocks that exist: a plug fills them first. */
static unsigned long holes(const struct virtio_mem_info *vi)
{
	unsigned long n = 0;

	for (unsigned long b = 0; b < usable_blocks(vi); b++)
		n += !virtio_mem_block_plugged(dev, b) && pfn_valid(PHYS_PFN(block_addr(vi, b)));
	return n;
}

/*
 * A memory block added with half of it plugged: the kernel page-table
 * audit, run right after each add_memory() of the driver and before the
 * driver goes on, finds no mapping of memory unplugged at the device (the
 * whole block was once mapped by the add, its tail unmapped only after).
 */
static void add_maps_only_plugged(struct ktest *t)
{
	struct virtio_mem_info vi, mid, end;
	unsigned long audits, failed;
	const char *why;
	u64 mb, target, size = shrink_size(t, &vi);

	if (!size)
		return;
	mb = max(vi.cfg.block_size, SECTION_SIZE);
	if (2 * vi.cfg.block_size > mb) {
		ktest_skip(t, "one device block per memory block: none is added partly plugged");
		return;
	}
	KASSERT_EQ(t, virtio_mem_unplug(dev, size), size);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &mid));
	target = mid.plugged + holes(&mid) * vi.cfg.block_size + mb / 2;
	if (target <= vi.usable) {
		virtio_mem_inject_target(target, 0, ~0U);
		virtio_mem_audit_adds(true, NULL, NULL);
		KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
		audits = virtio_mem_audit_adds(false, &failed, &why);
		virtio_mem_inject_target(0, 0, 0);
		KASSERT_TRUE(t, virtio_mem_get_info(dev, &mid));
		KEXPECT_EQ(t, mid.plugged, target);
		KEXPECT_GE(t, audits, 1);
		KEXPECT_EQ(t, failed, 0);
		if (failed)
			printk("    # audit right after add_memory(): %s\n", why);
	} else {
		ktest_skip(t, "no memory block left to add half plugged");
	}
	KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &end));
	KEXPECT_EQ(t, end.plugged, vi.plugged);
	KEXPECT_EQ(t, end.cfg.plugged_size, vi.plugged);
}

/*
 * The requested size moves the other way while a resize runs (injected:
 * reads of requested_size return @moved after @skip reads): the resize
 * stops after the first memory block, says where, and the same reconcile
 * then heads for the real size.
 */
static void target_reversed(struct ktest *t, u64 moved, unsigned int skip, u64 stop_at)
{
	static char log[1024];
	struct virtio_mem_info vi;
	char want[96];
	int ret;

	KASSERT_TRUE(t, virtio_mem_get_info(dev, &vi));
	printk_capture(log, sizeof(log));
	virtio_mem_inject_target(moved, skip, 1);
	ret = virtio_mem_reconcile(dev);
	virtio_mem_inject_target(0, 0, 0);
	printk_capture(NULL, 0);
	KEXPECT_EQ(t, ret, 0);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &vi));
	KEXPECT_EQ(t, vi.plugged, vi.cfg.requested_size);
	snprintf(want, sizeof(want), "stopped at %llu MiB", (unsigned long long)(stop_at >> 20));
	if (!strstr(log, want))
		ktest_fail(t, __FILE__, __LINE__, "log lacks '%s': %s", want, log);
}

/*
 * Lowered for a shrink, raised again after one memory block; then the same
 * for a plug. Plugged blocks run from the region's start (plugging is
 * lowest-first), so the first memory block moved ends at an mb boundary.
 */
static void target_moves_mid_resize(struct ktest *t)
{
	struct virtio_mem_info vi;
	u64 mb, size, p, q;

	if (!get_info(t, &vi))
		return;
	mb = max(vi.cfg.block_size, (u64)SECTION_SIZE);
	size = 2 * mb;
	p = vi.plugged;
	q = p - size;
	if (p < size || p != vi.cfg.requested_size) {
		ktest_skip(t, "fewer than two memory blocks plugged, or a resize pending");
		return;
	}
	/* Shrink toward q; after the top mb the real p is read again. */
	target_reversed(t, q, 0, ALIGN_DOWN(p - 1, mb));
	/* Plug back toward p; after the first mb touched the target reads q. */
	KASSERT_EQ(t, virtio_mem_unplug(dev, size), size);
	target_reversed(t, q, 1, ALIGN_DOWN(q, mb) + mb);
	state_agrees(t);
}

/*
 * Two memory blocks' worth out and back in: one request each way per
 * memory block touched (Linux sends as many), two with rvmm.verify=full
 * (STATE). Not on a memory-block boundary, that is three of them: the
 * partial top one, a whole one, and part of the one below.
 */
static void one_request_per_memory_block(struct ktest *t)
{
	struct virtio_mem_info vi, mid, end;
	u64 mb, size;
	unsigned long reqs;

	if (!get_info(t, &vi))
		return;
	mb = max(vi.cfg.block_size, (u64)SECTION_SIZE);
	size = 2 * mb;
	if (vi.plugged < size || vi.plugged != vi.cfg.requested_size) {
		ktest_skip(t, "fewer than two memory blocks plugged, or a resize pending");
		return;
	}
	reqs = (verify_full ? 2 : 1) * (vi.plugged % mb ? 3 : 2);
	KASSERT_EQ(t, virtio_mem_unplug(dev, size), size);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &mid));
	KEXPECT_EQ(t, mid.nr_requests - vi.nr_requests, reqs);
	KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &end));
	KEXPECT_EQ(t, end.nr_requests - mid.nr_requests, reqs);
	KEXPECT_EQ(t, end.plugged, vi.plugged);
}

/* ---- refusals (injected: QEMU's device refuses only on host errors) ---- */

struct vm_snap {
	u64 plugged, dev_plugged, online;
	unsigned long free;
};

static struct vm_snap vm_snap(void)
{
	struct virtio_mem_info vi;

	virtio_mem_get_info(dev, &vi);
	return (struct vm_snap){ vi.plugged, vi.cfg.plugged_size, vi.online, nr_free_pages() };
}

#define EXPECT_SNAP_EQ(t, a, b) do {					\
	KEXPECT_EQ(t, (a).plugged, (b).plugged);			\
	KEXPECT_EQ(t, (a).dev_plugged, (b).dev_plugged);		\
	KEXPECT_EQ(t, (a).online, (b).online);				\
	KEXPECT_EQ(t, (a).free, (b).free);				\
} while (0)

/*
 * Run @op with @nr injected @resp answers (after @skip requests) and the
 * log captured; @pending gets the answers left unused.
 */
#define WITH_INJECTED(log, resp, skip, nr, pending, op) do {		\
	printk_capture(log, sizeof(log));				\
	virtio_mem_inject_response(resp, skip, nr);			\
	op;								\
	pending = virtio_mem_inject_response(0, 0, 0);			\
	printk_capture(NULL, 0);					\
} while (0)

/* Unplugged blocks in the usable region are out of the linear map. */
static void expect_unplugged_unmapped(struct ktest *t, const struct virtio_mem_info *vi)
{
	for (unsigned long b = 0; b < usable_blocks(vi); b++) {
		unsigned long v;

		if (virtio_mem_block_plugged(dev, b) ||
		    probe_read(lm_va(block_addr(vi, b)), &v) == -EFAULT)
			continue;
		ktest_fail(t, __FILE__, __LINE__, "unplugged block 0x%llx is mapped",
			   (unsigned long long)block_addr(vi, b));
		return;
	}
}

/*
 * ERROR at every request of a shrink in turn (the n-th data-block run, the
 * memmap block of a removed memory block, ...): each time the figures add
 * up, STATE agrees, unplugged memory stays unmapped, and reconcile gets
 * back to the requested size.
 */
static void refusal_at_every_request(struct ktest *t)
{
	static char log[1024];
	struct virtio_mem_info vi;
	unsigned int pending = 0, n;
	u64 size = shrink_size(t, &vi), got = 0;

	if (!size)
		return;
	for (n = 0; n < 64; n++) {
		struct vm_snap before = vm_snap(), after;

		WITH_INJECTED(log, VIRTIO_MEM_RESP_ERROR, n, 1, pending,
			      got = virtio_mem_unplug(dev, size));
		after = vm_snap();
		KEXPECT_EQ(t, after.plugged, before.plugged - got);
		KEXPECT_EQ(t, after.dev_plugged, after.plugged);
		state_agrees(t);
		expect_unplugged_unmapped(t, &vi);
		KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
		KEXPECT_EQ(t, vm_snap().plugged, vi.plugged);
		if (t->failed || pending)	/* the shrink needed fewer than n + 1 requests */
			break;
	}
	/* Two memory blocks at least: two requests (one with 256 MiB+ blocks). */
	KEXPECT_GE(t, n, min(2UL, size / max(vi.cfg.block_size, (u64)SECTION_SIZE)));
	KEXPECT_EQ(t, pending, 1);
}

/* A few BUSY answers are retried and the unplug completes. */
static void busy_is_retried(struct ktest *t)
{
	static char log[1024];
	struct virtio_mem_info vi;
	unsigned int pending;
	u64 size = shrink_size(t, &vi), got = 0;

	if (!size)
		return;
	WITH_INJECTED(log, VIRTIO_MEM_RESP_BUSY, 0, 3, pending, got = virtio_mem_unplug(dev, size));
	KEXPECT_EQ(t, got, size);
	KEXPECT_EQ(t, pending, 0);
	KEXPECT_TRUE(t, strstr(log, "device busy") != NULL);
	KEXPECT_TRUE(t, strstr(log, "refused") == NULL);
	state_agrees(t);
	KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
	KEXPECT_EQ(t, vm_snap().plugged, vi.plugged);
}

/*
 * A 256 MiB shrink while the device answers @resp to the next @nr requests:
 * nothing unplugged, every figure as before, STATE agrees, the log says
 * @msg. Returns how many answers were used (0 when skipped).
 */
static unsigned int refused_unplug(struct ktest *t, int resp, unsigned int nr, const char *msg)
{
	static char log[1024];
	struct virtio_mem_info vi;
	struct vm_snap before, after;
	unsigned int pending = nr;
	u64 size = shrink_size(t, &vi), got = 1;

	if (!size)
		return 0;
	before = vm_snap();
	WITH_INJECTED(log, resp, 0, nr, pending, got = virtio_mem_unplug(dev, size));
	after = vm_snap();
	KEXPECT_EQ(t, got, 0);
	EXPECT_SNAP_EQ(t, after, before);
	KEXPECT_TRUE(t, strstr(log, msg) != NULL);
	state_agrees(t);
	return nr - pending;
}

/* BUSY for good: given up after the retries, with nothing changed. */
static void busy_forever_changes_nothing(struct ktest *t)
{
	unsigned int used = refused_unplug(t, VIRTIO_MEM_RESP_BUSY, 1000,
					   "refused: BUSY; nothing changed");

	/* One request, retried, then the shrink stops: no second request. */
	if (!t->skipped)
		KEXPECT_EQ(t, used, VIRTIO_MEM_BUSY_RETRIES + 1);
}

/* ERROR on an unplug: the offlined blocks go back online, nothing lost. */
static void error_on_unplug_changes_nothing(struct ktest *t)
{
	unsigned int used = refused_unplug(t, VIRTIO_MEM_RESP_ERROR, 1,
					   "refused: ERROR; nothing changed");

	if (!t->skipped)
		KEXPECT_EQ(t, used, 1);
}

/* NACK on a plug: reconcile stops short, changes nothing, a later one catches up. */
static void nack_on_plug_changes_nothing(struct ktest *t)
{
	static char log[1024];
	struct virtio_mem_info vi;
	struct vm_snap before, after;
	unsigned int pending;
	u64 size = shrink_size(t, &vi);
	int ret = 0;

	if (!size)
		return;
	KASSERT_EQ(t, virtio_mem_unplug(dev, size), size);
	before = vm_snap();
	WITH_INJECTED(log, VIRTIO_MEM_RESP_NACK, 0, 1, pending, ret = virtio_mem_reconcile(dev));
	after = vm_snap();
	KEXPECT_EQ(t, ret, -EAGAIN);
	KEXPECT_EQ(t, pending, 0);
	EXPECT_SNAP_EQ(t, after, before);
	KEXPECT_TRUE(t, strstr(log, "refused: NACK; nothing changed") != NULL);
	state_agrees(t);
	KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
	KEXPECT_EQ(t, vm_snap().plugged, vi.plugged);
}

/*
 * An answer later than the warning period (injected: seen 2.5 s late):
 * the driver warns, keeps waiting, checks STATE, and the shrink completes;
 * the queue keeps working (the reconcile after it needs it).
 */
static void late_answer_waited_for(struct ktest *t)
{
	static char log[1024];
	struct virtio_mem_info vi, after;
	unsigned int pending;
	u64 size = shrink_size(t, &vi), got = 0;

	if (!size)
		return;
	WITH_INJECTED(log, VIRTIO_MEM_INJECT_DELAY, 0, 1, pending,
		      got = virtio_mem_unplug(dev, size));
	KEXPECT_EQ(t, got, size);
	KEXPECT_EQ(t, pending, 0);
	KEXPECT_TRUE(t, strstr(log, "still waiting") != NULL);
	KEXPECT_TRUE(t, strstr(log, "late answer ACK") != NULL);
	KASSERT_TRUE(t, virtio_mem_get_info(dev, &after));
	KEXPECT_EQ(t, after.nr_errors, vi.nr_errors);
	state_agrees(t);
	KEXPECT_EQ(t, virtio_mem_reconcile(dev), 0);
	KEXPECT_EQ(t, vm_snap().plugged, vi.plugged);
}

/* Device memory regions never overlap. */
static void regions_disjoint(struct ktest *t)
{
	unsigned int n = virtio_mem_nr_devices();

	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int j = i + 1; j < n; j++) {
			struct virtio_mem_info a, b;

			KASSERT_TRUE(t, virtio_mem_get_info(i, &a) && virtio_mem_get_info(j, &b));
			KEXPECT_TRUE(t, a.cfg.addr + a.cfg.region_size <= b.cfg.addr ||
					b.cfg.addr + b.cfg.region_size <= a.cfg.addr);
		}
	}
}

/*
 * With several devices: every case above again on each further device
 * (dev selects it), and device 0's figures untouched meanwhile.
 */
static void every_other_device(struct ktest *t)
{
	static const struct ktest_case cases[] = {
		KTEST_CASE(plugged_at_boot),
		KTEST_CASE(every_plugged_page_usable),
		KTEST_CASE(unplugged_memory_unmapped),
		KTEST_CASE(refused_requests),
		KTEST_CASE(state_agrees),
		KTEST_CASE(unplug_replug_cycle),
		KTEST_CASE(shrink_to_one_block),
		KTEST_CASE(add_maps_only_plugged),
		KTEST_CASE(one_request_per_memory_block),
		KTEST_CASE(target_moves_mid_resize),
		KTEST_CASE(busy_is_retried),
		KTEST_CASE(busy_forever_changes_nothing),
		KTEST_CASE(error_on_unplug_changes_nothing),
		KTEST_CASE(nack_on_plug_changes_nothing),
		KTEST_CASE(late_answer_waited_for),
		KTEST_CASE(refusal_at_every_request),
	};
	unsigned int n = virtio_mem_nr_devices(), ran = 0, expected = 0;
	struct virtio_mem_info d0, d0_after;

	if (n < 2) {
		ktest_skip(t, "fewer than two virtio-mem devices");
		return;
	}
	regions_disjoint(t);
	KASSERT_TRUE(t, virtio_mem_get_info(0, &d0));
	for (dev = 1; dev < n && !t->failed; dev++) {
		struct virtio_mem_info vi;

		/*
		 * Booted with two memory blocks or more (and 256 MiB): every case
		 * has something to do, the per-memory-block ones included, but
		 * add_maps_only_plugged, which needs several device blocks per
		 * memory block (Sub-Block Mode).
		 */
		if (virtio_mem_get_info(dev, &vi) &&
		    vi.boot_requested_size >= max(256UL << 20,
						  2 * max(vi.cfg.block_size, SECTION_SIZE)))
			expected += ARRAY_SIZE(cases) - (vi.cfg.block_size >= SECTION_SIZE);
		for (unsigned int c = 0; c < ARRAY_SIZE(cases); c++) {
			struct ktest sub = { .name = cases[c].name };

			cases[c].run(&sub);
			if (sub.failed)
				ktest_fail(t, __FILE__, __LINE__, "device %u: %s failed", dev,
					   cases[c].name);
			else if (sub.skipped)
				printk("    # device %u: %s skipped: %s\n", dev, cases[c].name,
				       sub.skip_reason);
			else
				ran++;
		}
	}
	dev = 0;
	KASSERT_TRUE(t, virtio_mem_get_info(0, &d0_after));
	KEXPECT_EQ(t, d0_after.plugged, d0.plugged);
	KEXPECT_EQ(t, d0_after.online, d0.online);
	KEXPECT_EQ(t, d0_after.cfg.plugged_size, d0.cfg.plugged_size);
	KEXPECT_GE(t, ran, expected);
}

KTEST_SUITE(virtio_mem, false,
	KTEST_CASE(plugged_at_boot),
	KTEST_CASE(every_plugged_page_usable),
	KTEST_CASE(unplugged_memory_unmapped),
	KTEST_CASE(refused_requests),
	KTEST_CASE(state_agrees),
	KTEST_CASE(unplug_replug_cycle),
	KTEST_CASE(shrink_to_one_block),
	KTEST_CASE(add_maps_only_plugged),
	KTEST_CASE(one_request_per_memory_block),
	KTEST_CASE(target_moves_mid_resize),
	KTEST_CASE(busy_is_retried),
	KTEST_CASE(busy_forever_changes_nothing),
	KTEST_CASE(error_on_unplug_changes_nothing),
	KTEST_CASE(nack_on_plug_changes_nothing),
	KTEST_CASE(late_answer_waited_for),
	KTEST_CASE(refusal_at_every_request),
	KTEST_CASE(every_other_device));
