// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of virtio-mem's Sub-Block Mode (drivers/virtio/virtio_mem_sbm.c)
 * against a model device and the real mm core on the simulated machine.
 *
 * The model device keeps its own plugged bitmap, answers STATE from it, and
 * refuses PLUG/UNPLUG at random (BUSY, NACK or ERROR, changing nothing, as
 * virtio 1.2 §5.15.6 says). A request the device could never accept (a
 * block in the wrong state, outside the usable region) is a driver bug and
 * fails the test. Random plugs, unplugs, pinned pages and geometries; after
 * every step the driver's bitmaps, its byte counts, the sections, the
 * linear map and the page allocator must agree with the device. At the end
 * everything is unplugged and every counter is back where it started.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hosttest.h"
#include "../../drivers/virtio/virtio_mem.h"

#define RAM_SIZE	SZ_1G
#define SBM_STEPS	400
#define MAX_PINNED	64

static struct virtio_mem vmem;	/* the one device's driver state */
/* The region of another device already set up (size 0: none). */
static u64 other_dev_addr, other_dev_size;

bool virtio_mem_region_claimed(u64 addr, u64 size)
{
	return other_dev_size && addr < other_dev_addr + other_dev_size &&
	       other_dev_addr < addr + size;
}

static struct {
	unsigned long *plugged;
	u64 plugged_size;
	unsigned int refuse_pct;
	struct sim_rng rng;
	unsigned long requests, refusals, bad;
	long refuse_block;	/* ERROR for an UNPLUG of just this block */
	unsigned int refuse_next;	/* answer the next PLUG/UNPLUGs refuse_resp */
	int refuse_resp;
	unsigned long target_reads;	/* virtio_mem_target_left() calls */
	long move_at;			/* at that read, requested_size becomes move_to */
	u64 move_to;
	bool allow_stale;	/* a plugged memmap block without its mb is fine */
	char why[160];		/* the first bad request */
} dev;

const char *virtio_mem_resp_name(int r)
{
	static const char *const names[] = { "ACK", "NACK", "BUSY", "ERROR" };

	return r >= 0 && r < (int)ARRAY_SIZE(names) ? names[r] : "errno";
}

static int dev_bad(const char *what, unsigned long b, unsigned long n)
{
	if (!dev.bad++)
		snprintf(dev.why, sizeof(dev.why), "%s of blocks %lu+%lu", what, b, n);
	return VIRTIO_MEM_RESP_ERROR;
}

/* The device side of every request the driver sends. */
static int dev_request(struct virtio_mem *vm, u16 type, unsigned long b, unsigned long n,
		       u16 *state)
{
	if (vm != &vmem)
		return dev_bad("request for another device", b, n);
	unsigned long nr_p = 0;
	bool plug = type == VIRTIO_MEM_REQ_PLUG;

	dev.requests++;
	if (!n || n > 0xffff || b + n > vmem.nr_blocks)
		return dev_bad("request outside the region", b, n);
	for (unsigned long i = b; i < b + n; i++)
		nr_p += test_bit(i, dev.plugged);
	if (type == VIRTIO_MEM_REQ_STATE) {
		*state = nr_p == n ? VIRTIO_MEM_STATE_PLUGGED :
			 nr_p ? VIRTIO_MEM_STATE_MIXED : VIRTIO_MEM_STATE_UNPLUGGED;
		return VIRTIO_MEM_RESP_ACK;
	}
	if (type != VIRTIO_MEM_REQ_PLUG && type != VIRTIO_MEM_REQ_UNPLUG)
		return dev_bad("unexpected request type", b, n);
	if (plug && (b + n) * vmem.device_block_size > vmem.cfg.usable_region_size)
		return dev_bad("PLUG beyond the usable region", b, n);
	if (nr_p != (plug ? 0 : n))
		return dev_bad(plug ? "PLUG of plugged blocks" : "UNPLUG of unplugged blocks",
			       b, n);
	if (dev.refuse_next) {
		dev.refuse_next--;
		dev.refusals++;
		return dev.refuse_resp;
	}
	if (!plug && n == 1 && (long)b == dev.refuse_block) {
		dev.refusals++;
		return VIRTIO_MEM_RESP_ERROR;
	}
	if (sim_chance(&dev.rng, dev.refuse_pct, 100)) {
		static const int refusals[] = { VIRTIO_MEM_RESP_BUSY, VIRTIO_MEM_RESP_NACK,
						VIRTIO_MEM_RESP_ERROR };

		dev.refusals++;
		return refusals[sim_rand_below(&dev.rng, 3)];
	}
	if (plug && dev.plugged_size + n * vmem.device_block_size > vmem.cfg.requested_size)
		return VIRTIO_MEM_RESP_NACK;
	for (unsigned long i = b; i < b + n; i++)
		__assign_bit(i, dev.plugged, plug);
	if (plug)
		dev.plugged_size += n * vmem.device_block_size;
	else
		dev.plugged_size -= n * vmem.device_block_size;
	vmem.cfg.plugged_size = dev.plugged_size;
	return VIRTIO_MEM_RESP_ACK;
}

/* The request layer (virtio_mem_req.c) the policy calls: the model device. */
int virtio_mem_send_plug_request(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	return dev_request(vm, VIRTIO_MEM_REQ_PLUG, b, n, NULL);
}

int virtio_mem_send_unplug_request(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	return dev_request(vm, VIRTIO_MEM_REQ_UNPLUG, b, n, NULL);
}

int virtio_mem_send_state_request(struct virtio_mem *vm, unsigned long b, unsigned long n,
				  u16 *state)
{
	return dev_request(vm, VIRTIO_MEM_REQ_STATE, b, n, state);
}

/* The kernel's audit hook; here audit_add() audits every add_memory(). */
void virtio_mem_test_added(struct virtio_mem *vm)
{
	(void)vm;
}

/* The host changes requested_size when the driver reads it for the move_at-th time. */
unsigned long virtio_mem_target_left(struct virtio_mem *vm, bool plug)
{
	u64 target;

	if ((long)++dev.target_reads == dev.move_at)
		vm->cfg.requested_size = dev.move_to;
	target = ALIGN_DOWN(min(vm->cfg.requested_size, virtio_mem_usable_size(vm)),
			    vm->device_block_size);
	if (plug ? target > vm->plugged_bytes : target < vm->plugged_bytes)
		return (plug ? target - vm->plugged_bytes : vm->plugged_bytes - target) /
		       vm->device_block_size;
	return 0;
}

/* The simulated memory never faults; serve mode's probe is the kernel's. */
int virtio_mem_probe_word(u64 pa)
{
	(void)pa;
	return 0;
}

/*
 * Right after each add_memory() of the device's region, before the driver
 * goes on: no block the device has not plugged may be in the linear map,
 * not even for a moment (real hardware may touch it speculatively).
 */
static struct {
	unsigned long adds, bad;
	u64 first_bad;
} add_audit;

static void audit_add(phys_addr_t start, phys_addr_t size, phys_addr_t plugged)
{
	(void)plugged;
	if (!vmem.device_block_size || !dev.plugged || start < vmem.cfg.addr ||
	    start + size > vmem.cfg.addr + vmem.cfg.region_size)
		return;
	add_audit.adds++;
	for (u64 a = start; a < start + size; a += vmem.device_block_size)
		if (!test_bit((a - vmem.cfg.addr) / vmem.device_block_size, dev.plugged) &&
		    walk_pgd(swapper_pg_dir, lm_va(a), NULL, NULL) != WALK_NONE &&
		    !add_audit.bad++)
			add_audit.first_bad = a;
}

/* ---- the machine and the device for one run ---- */

struct geometry {
	u64 bs, addr, region, usable;
};

static void setup(struct ktest *t, int va_bits, const struct geometry *g)
{
	sim_boot_simple(va_bits, RAM_SIZE);
	free(dev.plugged);
	memset(&vmem, 0, sizeof(vmem));
	vmem.cfg.block_size = g->bs;
	vmem.cfg.addr = g->addr;
	vmem.cfg.region_size = g->region;
	vmem.cfg.usable_region_size = g->usable;
	vmem.cfg.requested_size = g->usable;
	sim_log_mute++;
	KASSERT_EQ(t, virtio_mem_init_hotplug(&vmem), 0);
	sim_log_mute--;
	KASSERT_EQ(t, virtio_mem_sbm_init(&vmem), 0);
	dev.plugged = calloc(DIV_ROUND_UP(vmem.nr_blocks, 64), sizeof(unsigned long));
	dev.plugged_size = 0;
	dev.requests = dev.refusals = dev.bad = 0;
	dev.refuse_block = -1;
	dev.refuse_next = 0;
	dev.target_reads = 0;
	dev.move_at = -1;
	dev.allow_stale = false;
	dev.refuse_pct = 0;
	add_audit.bad = 0;
	sim_after_add_memory = audit_add;
}

/* Blocks the driver could still plug: unplugged, usable, in a memory block. */
static unsigned long pluggable(void)
{
	unsigned long n = 0;

	for (unsigned long mb = 0; mb < vmem.nr_mbs; mb++) {
		unsigned long b0 = vmem.first_mb_block + mb * vmem.sbs_per_mb;

		for (unsigned long b = b0; b < b0 + vmem.sbs_per_mb; b++)
			n += !test_bit(b, vmem.plugged) &&
			     (b + 1) * vmem.device_block_size <= vmem.cfg.usable_region_size;
	}
	return n;
}

/* Everything the driver believes, against the device and the mm core. */
static void check(struct ktest *t, unsigned long movable0, int step)
{
	unsigned long nr_plugged = 0, online_pages = 0;

	if (dev.bad)
		ktest_fail(t, __FILE__, __LINE__, "step %d: driver sent %s", step, dev.why);
	if (add_audit.bad)
		ktest_fail(t, __FILE__, __LINE__,
			   "step %d: add_memory() returned with unplugged 0x%llx mapped", step,
			   (unsigned long long)add_audit.first_bad);
	for (unsigned long b = 0; b < vmem.nr_blocks; b++) {
		bool p = test_bit(b, vmem.plugged);
		u64 a = virtio_mem_block_addr(&vmem, b);
		phys_addr_t pa = walk_pgd(swapper_pg_dir, lm_va(a), NULL, NULL);

		nr_plugged += p;
		if (p != test_bit(b, dev.plugged) || (test_bit(b, vmem.online) && !p))
			ktest_fail(t, __FILE__, __LINE__,
				   "step %d: block %lu: driver plugged %d online %d, device %d",
				   step, b, p, test_bit(b, vmem.online), test_bit(b, dev.plugged));
		/* Unplugged memory is out of the linear map (F_UNPLUGGED_INACCESSIBLE). */
		if (!p && pa != WALK_NONE)
			ktest_fail(t, __FILE__, __LINE__,
				   "step %d: unplugged block %lu (0x%llx) is mapped", step, b,
				   (unsigned long long)a);
		if (t->failed)
			return;
	}
	KEXPECT_EQ(t, vmem.plugged_bytes, nr_plugged * vmem.device_block_size);
	KEXPECT_EQ(t, vmem.plugged_bytes, dev.plugged_size);
	/* An mb is added (its sections present) iff its memmap block is plugged. */
	for (unsigned long mb = 0; mb < vmem.nr_mbs; mb++) {
		unsigned long b0 = vmem.first_mb_block + mb * vmem.sbs_per_mb;
		bool added = test_bit(mb, vmem.added);

		if (!(dev.allow_stale && !added))
			KEXPECT_EQ(t, added, test_bit(b0, vmem.plugged));
		KEXPECT_EQ(t, added, pfn_valid(PHYS_PFN(vmem.mb_base + mb * vmem.mb_size)));
	}
	/* online_bytes is what the buddy got: ZONE_MOVABLE's present pages. */
	online_pages = zones[ZONE_MOVABLE].present_pages - movable0;
	KEXPECT_EQ(t, vmem.online_bytes, PFN_PHYS(online_pages));
	if (t->failed)
		printk("    # failed at step %d\n", step);
}

static struct geometry random_geometry(struct sim_rng *rng)
{
	static const u64 sizes[] = { SZ_2M, 4 * SZ_1M, 32 * SZ_1M, SECTION_SIZE, 2 * SECTION_SIZE };
	struct geometry g;
	u64 mb;

	g.bs = sizes[sim_rand_below(rng, ARRAY_SIZE(sizes))];
	mb = max(g.bs, (u64)SECTION_SIZE);
	/* Start on a block, not always on a memory block: the head is unused. */
	g.addr = 4 * SZ_1G + g.bs * sim_rand_below(rng, mb / g.bs);
	g.region = mb * (2 + sim_rand_below(rng, 6)) + g.bs * sim_rand_below(rng, mb / g.bs);
	g.usable = g.region - g.bs * sim_rand_below(rng, g.region / g.bs / 2);
	return g;
}

/*
 * Random plugs and unplugs with refusals and pinned pages; then everything
 * back. Every step is checked; the end state must equal the start.
 */
static void sbm_random(struct ktest *t)
{
	struct sim_rng rng;
	u64 stats[6] = { 0 };

	sim_rng_init(&rng, "sbm_random");
	sim_rng_init(&dev.rng, "sbm_random_dev");
	add_audit.adds = 0;
	for (int run = 0; run < 12 && !t->failed; run++) {
		struct geometry g = random_geometry(&rng);
		struct page *pinned[MAX_PINNED];
		unsigned long nr_pinned = 0, movable0;
		struct mm_snap s0;

		setup(t, sim_modes[run % 3], &g);
		if (t->failed)
			return;
		mm_snap_take(&s0);
		movable0 = zones[ZONE_MOVABLE].present_pages;
		sim_log_mute++;
		for (int step = 0; step < SBM_STEPS && !t->failed; step++) {
			unsigned int op = sim_rand_below(&rng, 10);
			unsigned long k = 1 + sim_rand_below(&rng, 3 * vmem.sbs_per_mb);
			u64 before = vmem.plugged_bytes, refusals = dev.refusals;
			unsigned long can = pluggable(), got;

			dev.refuse_pct = run % 4 ? 10 : 0;
			if (op < 4) {
				got = virtio_mem_sbm_plug_request(&vmem, k);
				stats[0] += got;
				KEXPECT_LE(t, got, k);
				KEXPECT_EQ(t, vmem.plugged_bytes,
					   before + got * vmem.device_block_size);
				/* A device that never refuses gets all it allows. */
				if (dev.refusals == refusals &&
				    before + min(k, can) * vmem.device_block_size <=
				    vmem.cfg.requested_size)
					KEXPECT_EQ(t, got, min(k, can));
			} else if (op < 8) {
				got = virtio_mem_sbm_unplug_request(&vmem, k);
				stats[1] += got;
				KEXPECT_LE(t, got, k);
				KEXPECT_EQ(t, vmem.plugged_bytes,
					   before - got * vmem.device_block_size);
			} else if (op == 8 && nr_pinned < MAX_PINNED) {
				/* Pin a page: its block can no longer be unplugged. */
				struct page *p = alloc_pages(GFP_MOVABLE, 0);

				if (p)
					pinned[nr_pinned++] = p;
				stats[2]++;
			} else if (nr_pinned) {
				unsigned long i = sim_rand_below(&rng, nr_pinned);

				free_pages(pinned[i], 0);
				pinned[i] = pinned[--nr_pinned];
			}
			/* The host lowers or raises requested_size now and then. */
			if (sim_chance(&rng, 1, 20))
				vmem.cfg.requested_size = vmem.device_block_size *
					sim_rand_below(&rng, vmem.cfg.usable_region_size /
							     vmem.device_block_size + 1);
			check(t, movable0, step);
		}
		stats[3] += dev.refusals;
		stats[4] += dev.requests;
		/* Everything back: unpin, a device that agrees, unplug it all. */
		while (nr_pinned)
			free_pages(pinned[--nr_pinned], 0);
		dev.refuse_pct = 0;
		virtio_mem_sbm_unplug_request(&vmem, vmem.nr_blocks);
		sim_log_mute--;
		check(t, movable0, SBM_STEPS);
		KEXPECT_EQ(t, vmem.plugged_bytes, 0);
		KEXPECT_EQ(t, vmem.online_bytes, 0);
		EXPECT_SNAP_EQ(t, s0);
		stats[5]++;
	}
	KEXPECT_GT(t, add_audit.adds, 0);	/* the audit above ran */
	printk("    # %llu runs: %llu blocks plugged, %llu unplugged, %llu pins, %llu of %llu requests refused\n",
	       (unsigned long long)stats[5], (unsigned long long)stats[0],
	       (unsigned long long)stats[1], (unsigned long long)stats[2],
	       (unsigned long long)stats[3], (unsigned long long)stats[4]);
}

/*
 * The device refuses to unplug a memory block just removed, and re-adding
 * the mb then fails at each of its allocations in turn (the mb is alone
 * in its GiB, so its linear-map table went with it): the refusal ends the
 * shrink, the block stays plugged without its mb ("stale"), plugging
 * passes it by, and the next shrink unplugs it. Once the re-add gets all
 * it needs, the mb is back. Either way the way back restores exactly the
 * state before.
 */
static void sbm_readd_fails(struct ktest *t)
{
	const struct geometry g = { SZ_2M, 4 * SZ_1G, 16 * SECTION_SIZE, 16 * SECTION_SIZE };
	static char log[2048];
	unsigned long stale = 0;

	for (unsigned int m = 0; m < ARRAY_SIZE(sim_modes) && !t->failed; m++) {
		unsigned long n, movable0, top = 8, b0, bpm;
		struct mm_snap s0;
		bool done = false;

		setup(t, sim_modes[m], &g);
		if (t->failed)
			return;
		bpm = vmem.sbs_per_mb;
		b0 = vmem.first_mb_block + top * bpm;
		movable0 = zones[ZONE_MOVABLE].present_pages;
		/* mbs 0-7 full (4-5 GiB), mb 8 (5 GiB) only its memmap block. */
		KASSERT_EQ(t, virtio_mem_sbm_plug_request(&vmem, top * bpm + 1), top * bpm + 1);
		mm_snap_take(&s0);
		for (n = 1; n < 100 && !done && !t->failed; n++) {
			unsigned long calls0 = nr_alloc_calls;

			dev.refuse_block = b0;
			dev.allow_stale = true;
			printk_capture(log, sizeof(log));
			fail_alloc_nth = n;
			/* mb 8 goes, is refused and re-added: the shrink stops there. */
			KEXPECT_EQ(t, virtio_mem_sbm_unplug_request(&vmem, 1), 0);
			fail_alloc_nth = 0;
			done = nr_alloc_calls - calls0 < n;	/* nothing failed */
			printk_capture(NULL, 0);
			dev.refuse_block = -1;
			KEXPECT_TRUE(t, strstr(log, "UNPLUG of") != NULL);
			check(t, movable0, (int)n);
			if (test_bit(top, vmem.added)) {
				dev.allow_stale = false;
			} else {
				stale++;
				KEXPECT_TRUE(t, test_bit(b0, vmem.plugged));
				KEXPECT_TRUE(t, strstr(log, "stays plugged") != NULL);
				/* passes mb 8 by */
				KEXPECT_EQ(t, virtio_mem_sbm_plug_request(&vmem, 1), 1);
				KEXPECT_TRUE(t, test_bit(top + 1, vmem.added));
				KEXPECT_TRUE(t, !test_bit(top, vmem.added));
				/* mb 9, then the stale block */
				KEXPECT_EQ(t, virtio_mem_sbm_unplug_request(&vmem, 2), 2);
				KEXPECT_TRUE(t, !test_bit(b0, vmem.plugged));
				dev.allow_stale = false;
				check(t, movable0, (int)n);
				/* mb 8 anew */
				KEXPECT_EQ(t, virtio_mem_sbm_plug_request(&vmem, 1), 1);
			}
			check(t, movable0, (int)n);
			EXPECT_SNAP_EQ(t, s0);
		}
		KEXPECT_TRUE(t, done);
		KEXPECT_TRUE(t, test_bit(top, vmem.added));
	}
	KEXPECT_GE(t, stale, 3);
	printk("    # %lu failed re-adds left a stale block, each cleaned up\n", stale);
}

/*
 * Every shrink reaches its target exactly when the device agrees and
 * nothing is in use: targets that leave one block (the memmap block) in
 * a memory block, one or two blocks more, a memory block less one, for
 * small blocks, blocks of half a memory block (64 MiB: every odd multiple)
 * and blocks of one memory block or more.
 */
static void sbm_exact_targets(struct ktest *t)
{
	static const u64 sizes[] = { SZ_2M, 64 * SZ_1M, SECTION_SIZE, 2 * SECTION_SIZE, SZ_1G };
	unsigned long shapes = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes) && !t->failed; i++) {
		u64 mb = max(sizes[i], (u64)SECTION_SIZE), region = 4 * mb;
		const struct geometry g = { sizes[i], 4 * SZ_1G, region, region };
		unsigned long movable0, full;
		struct mm_snap s0;

		setup(t, sim_modes[i % 3], &g);
		if (t->failed)
			return;
		movable0 = zones[ZONE_MOVABLE].present_pages;
		mm_snap_take(&s0);
		full = vmem.nr_blocks;
		sim_log_mute++;
		for (unsigned long m = 0; m < vmem.nr_mbs && !t->failed; m++) {
			static const long offs[] = { 0, 1, 2, -1 };

			for (unsigned int o = 0; o < ARRAY_SIZE(offs) && !t->failed; o++) {
				long target = (long)(m * vmem.sbs_per_mb) + offs[o];
				unsigned long need = full -
						     vmem.plugged_bytes / vmem.device_block_size;

				if (target < 0 || (unsigned long)target >= full)
					continue;
				KEXPECT_EQ(t, virtio_mem_sbm_plug_request(&vmem, need), need);
				KEXPECT_EQ(t, virtio_mem_sbm_unplug_request(&vmem, full - target),
					   full - target);
				KEXPECT_EQ(t, vmem.plugged_bytes, target * vmem.device_block_size);
				check(t, movable0, (int)target);
				shapes++;
			}
		}
		virtio_mem_sbm_unplug_request(&vmem, vmem.nr_blocks);
		sim_log_mute--;
		check(t, movable0, -1);
		KEXPECT_EQ(t, vmem.plugged_bytes, 0);
		EXPECT_SNAP_EQ(t, s0);
	}
	printk("    # %lu shrinks, each to its exact target\n", shapes);
}

/* What a refused shrink must leave exactly as it was. */
struct sbm_snap {
	u64 plugged, online;
	unsigned long free, requests;
};

static struct sbm_snap sbm_snap(void)
{
	return (struct sbm_snap){ vmem.plugged_bytes, vmem.online_bytes, nr_free_pages(),
				  dev.requests };
}

/*
 * A refusal ends a shrink and changes nothing (Linux's Big Block Mode, and
 * Sub-Block Mode alike): for every block size and answer, the first
 * UNPLUG refused means one request sent, nothing unplugged, every figure
 * as before. A memory block in use is passed by instead: the shrink takes
 * the next one.
 */
static void sbm_refusal_stops(struct ktest *t)
{
	static const u64 sizes[] = { SZ_2M, 64 * SZ_1M, SECTION_SIZE, 2 * SECTION_SIZE, SZ_1G };
	static const int answers[] = { VIRTIO_MEM_RESP_BUSY, VIRTIO_MEM_RESP_NACK,
				       VIRTIO_MEM_RESP_ERROR };

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes) && !t->failed; i++) {
		u64 mb = max(sizes[i], (u64)SECTION_SIZE), region = 4 * mb;
		const struct geometry g = { sizes[i], 4 * SZ_1G, region, region };
		unsigned long movable0, per_mb;
		struct sbm_snap before, after;
		struct page *pin;

		setup(t, sim_modes[i % 3], &g);
		if (t->failed)
			return;
		movable0 = zones[ZONE_MOVABLE].present_pages;
		per_mb = vmem.sbs_per_mb;
		sim_log_mute++;
		KASSERT_EQ(t, virtio_mem_sbm_plug_request(&vmem, vmem.nr_blocks), vmem.nr_blocks);
		for (unsigned int a = 0; a < ARRAY_SIZE(answers); a++) {
			before = sbm_snap();
			dev.refuse_next = 1;
			dev.refuse_resp = answers[a];
			KEXPECT_EQ(t, virtio_mem_sbm_unplug_request(&vmem, 2 * per_mb), 0);
			after = sbm_snap();
			KEXPECT_EQ(t, dev.refuse_next, 0);
			KEXPECT_EQ(t, after.requests, before.requests + 1);
			KEXPECT_EQ(t, after.plugged, before.plugged);
			KEXPECT_EQ(t, after.online, before.online);
			KEXPECT_EQ(t, after.free, before.free);
			check(t, movable0, (int)a);
		}
		/*
		 * A page of the top mb in use: the shrink still gets all it
		 * asked for, the top mb stays; with big blocks (one per mb)
		 * the two below it go whole.
		 */
		pin = alloc_pages(GFP_MOVABLE, 0);
		KASSERT_TRUE(t, pin && page_to_phys(pin) >= vmem.mb_base + 3 * vmem.mb_size);
		KEXPECT_EQ(t, virtio_mem_sbm_unplug_request(&vmem, 2 * per_mb), 2 * per_mb);
		KEXPECT_TRUE(t, test_bit(3, vmem.added));
		if (per_mb == 1)
			KEXPECT_TRUE(t, !test_bit(2, vmem.added) && !test_bit(1, vmem.added));
		check(t, movable0, 10);
		free_pages(pin, 0);
		virtio_mem_sbm_unplug_request(&vmem, vmem.nr_blocks);
		sim_log_mute--;
		check(t, movable0, 11);
		KEXPECT_EQ(t, vmem.plugged_bytes, 0);
	}
}

/*
 * The host moves requested_size while a resize runs: the driver re-reads
 * it between memory blocks (follow_target) and stops as soon as it points
 * the other way; lowered in the same direction, it stops at the new size.
 */
static void sbm_target_moves(struct ktest *t)
{
	static const u64 sizes[] = { SZ_2M, 64 * SZ_1M, SECTION_SIZE, SZ_1G };

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes) && !t->failed; i++) {
		u64 mb = max(sizes[i], (u64)SECTION_SIZE), region = 4 * mb;
		const struct geometry g = { sizes[i], 4 * SZ_1G, region, region };
		unsigned long movable0, bpm, all;

		setup(t, sim_modes[i % 3], &g);
		if (t->failed)
			return;
		movable0 = zones[ZONE_MOVABLE].present_pages;
		bpm = vmem.sbs_per_mb;
		all = vmem.nr_blocks;
		sim_log_mute++;
		vmem.follow_target = true;
		/* Plug toward all; after the first mb the host wants 0: stop there. */
		dev.move_at = 1, dev.move_to = 0;
		KEXPECT_EQ(t, virtio_mem_sbm_plug_request(&vmem, all), bpm);
		/* Plug toward all; the host lowers it to 2 mbs: plug stops at 2. */
		dev.target_reads = 0, dev.move_at = 1, dev.move_to = 2 * mb;
		vmem.cfg.requested_size = region;
		KEXPECT_EQ(t, virtio_mem_sbm_plug_request(&vmem, all), bpm);
		KEXPECT_EQ(t, vmem.plugged_bytes, 2 * mb);
		vmem.cfg.requested_size = region;
		/* the rest */
		KEXPECT_EQ(t, virtio_mem_sbm_plug_request(&vmem, all - 2 * bpm), all - 2 * bpm);
		/* Unplug toward 0; after the first mb the host wants all again. */
		dev.target_reads = 0, dev.move_at = 1, dev.move_to = region;
		vmem.cfg.requested_size = 0;
		KEXPECT_EQ(t, virtio_mem_sbm_unplug_request(&vmem, all), bpm);
		KEXPECT_EQ(t, vmem.plugged_bytes, region - mb);
		check(t, movable0, (int)i);
		vmem.follow_target = false;
		virtio_mem_sbm_unplug_request(&vmem, all);
		sim_log_mute--;
		check(t, movable0, (int)i);
		KEXPECT_EQ(t, vmem.plugged_bytes, 0);
	}
}

/* Geometries the driver must refuse, with nothing allocated. */
static void sbm_bad_geometry(struct ktest *t)
{
	static const struct geometry bad[] = {
		{ SZ_1M, 4 * SZ_1G, SZ_1G, SZ_1G },			/* block < 2 MiB */
		{ 3 * SZ_2M, 4 * SZ_1G, 3 * SZ_2M * 64, SZ_1G },	/* not a power of 2 */
		{ SZ_2M, 4 * SZ_1G + SZ_1M, SZ_1G, SZ_1G },		/* unaligned start */
		{ SZ_2M, 4 * SZ_1G, SZ_1G + SZ_1M, SZ_1G },		/* unaligned size */
		{ SZ_2M, 4 * SZ_1G, 0, 0 },				/* empty */
		{ SZ_2M, 4 * SZ_1G + SZ_2M, SECTION_SIZE, SZ_2M },	/* no whole mb */
		/* A hostile device: a region that is not its to give. */
		{ SZ_2M, 4 * SZ_1G, SZ_1G, SZ_1G + SZ_2M },		/* usable > region */
		{ SZ_2M, 0x80000000UL + SZ_1G / 2, SZ_1G, SZ_1G },	/* boot RAM */
		{ SZ_2M, 0x80000000UL - SZ_1G / 2, SZ_1G, SZ_1G },	/* ... from below */
		{ SZ_2M, SIM_MMIO_BASE - SZ_2M, SZ_1G, SZ_1G },		/* an MMIO window */
		{ SZ_2M, -SZ_1G, SZ_1G, SZ_1G },			/* wraps around */
		{ SZ_2M, 7 * SZ_1G, SZ_1G, SZ_1G },			/* the other device's */
		{ SZ_2M, 9 * SZ_1G, SZ_1G, SZ_1G },			/* the kernel image */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		phys_addr_t kpa;
		unsigned long lines;
		struct mm_snap s0;

		sim_boot_simple(48, RAM_SIZE);
		other_dev_addr = 6 * SZ_1G + SZ_1G / 2;
		other_dev_size = SZ_1G;
		kpa = kl.kernel_pa;
		kl.kernel_pa = 9 * SZ_1G + SZ_1G / 2;	/* the host has no image: pretend */
		kl.kernel_size = SZ_2M;
		memset(&vmem, 0, sizeof(vmem));
		vmem.cfg = (struct virtio_mem_config){ .block_size = bad[i].bs,
			.addr = bad[i].addr, .region_size = bad[i].region,
			.usable_region_size = bad[i].usable };
		mm_snap_take(&s0);
		lines = sim_log_lines;
		sim_log_mute++;
		KEXPECT_EQ(t, virtio_mem_init_hotplug(&vmem), -EINVAL);
		sim_log_mute--;
		/* Said so just now, and took nothing. */
		KEXPECT_GT(t, sim_log_lines, lines);
		KEXPECT_TRUE(t, strstr(sim_last_log(), "virtio-mem:") != NULL);
		EXPECT_SNAP_EQ(t, s0);
		other_dev_size = 0;
		kl.kernel_pa = kpa;
		kl.kernel_size = 0;
		KEXPECT_EQ(t, vmem.plugged, NULL);
		if (t->failed)
			printf("# bad geometry %u: %s\n", i, sim_last_log());
	}
}

KTEST_SUITE(host_virtio_mem_sbm, false,
	KTEST_CASE(sbm_random),
	KTEST_CASE(sbm_readd_fails),
	KTEST_CASE(sbm_exact_targets),
	KTEST_CASE(sbm_refusal_stops),
	KTEST_CASE(sbm_target_moves),
	KTEST_CASE(sbm_bad_geometry));
