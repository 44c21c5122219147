// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem Sub-Block Mode: device blocks inside memory blocks. The
 * policy layer: it decides, the request layer (virtio_mem_req.c) asks.
 *
 * Plugging fills memory blocks that exist first (lowest address first),
 * then adds new ones: the first device block (memmap) and the blocks
 * after it go to the device in one PLUG request, then add_memory_plugged()
 * maps just those blocks and puts the memmap into the first one, and
 * every other plugged block is onlined on its own. Unplugging works from
 * the highest memory block down and takes only device blocks whose pages
 * are all free. A memory block that goes entirely is offlined, removed,
 * then unplugged in one request, as Linux's Big Block Mode does; with
 * blocks of 128 MiB and more (one device block per memory block) that is
 * the only way. A device refusal puts back what it touched and ends the
 * shrink; a block in use only moves it on to the next memory block.
 * Contiguous device blocks share one request.
 *
 * Invariants: a block is online only if plugged; an mb is added iff its
 * first device block is plugged (but for a "stale" block, see
 * virtio_mem_sbm_readd_mb()); unplugged blocks are never in the linear
 * map, not even while their mb is being added, and never touched.
 */
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/printk.h>
#include "virtio_mem.h"

static unsigned long mb_first(struct virtio_mem *vm, unsigned long mb)
{
	return vm->first_mb_block + mb * vm->sbs_per_mb;
}

static u64 mb_addr(struct virtio_mem *vm, unsigned long mb)
{
	return vm->mb_base + mb * vm->mb_size;
}

/* A memmap block left plugged by virtio_mem_sbm_readd_mb(): its mb is not added. */
static bool stale_mb(struct virtio_mem *vm, unsigned long mb)
{
	return !test_bit(mb, vm->added) && test_bit(mb_first(vm, mb), vm->plugged);
}

static bool block_usable(struct virtio_mem *vm, unsigned long b)
{
	return (b + 1) * vm->device_block_size <= vm->cfg.usable_region_size;
}

/*
 * Why the device's region cannot be ours, or NULL. A hostile or broken
 * device may name memory that is already something else; using it would
 * map (and hand out) pages that belong to another owner.
 */
static const char *virtio_mem_region_conflict(const struct virtio_mem_config *c)
{
	const char *io;

	if (c->usable_region_size > c->region_size)
		return "usable_region_size exceeds the region";
	if (c->addr + c->region_size < c->addr)
		return "the region wraps around";
	if (overlaps_kernel_image(c->addr, c->region_size))
		return "the region overlaps the kernel image";
	if (memblock_overlaps_memory(c->addr, c->region_size))
		return "the region overlaps boot RAM";
	if ((io = iomem_overlaps(c->addr, c->region_size)))
		return io;
	if (virtio_mem_region_claimed(c->addr, c->region_size))
		return "the region overlaps another virtio-mem device's";
	return NULL;
}

/* Block and memory-block geometry; the region must fit the linear map. */
int virtio_mem_init_hotplug(struct virtio_mem *vm)
{
	const struct virtio_mem_config *c = &vm->cfg;
	u64 end, mb_end, bs = c->block_size;
	const char *why;

	vm->device_block_size = bs;
	if (!is_power_of_2(bs) || bs < SUBBLOCK_PAGES * PAGE_SIZE ||
	    !IS_ALIGNED(c->addr | c->region_size, bs) || !c->region_size) {
		pr_err("virtio-mem: unsupported geometry: block 0x%llx, region 0x%llx+0x%llx (blocks must be >= 2 MiB)\n",
		       (unsigned long long)bs, (unsigned long long)c->addr,
		       (unsigned long long)c->region_size);
		return -EINVAL;
	}
	why = virtio_mem_region_conflict(c);
	if (why) {
		pr_err("virtio-mem: region 0x%llx+0x%llx refused: %s\n",
		       (unsigned long long)c->addr, (unsigned long long)c->region_size, why);
		return -EINVAL;
	}
	vm->mb_size = max(bs, (u64)SECTION_SIZE);
	vm->mb_base = ALIGN(c->addr, vm->mb_size);
	end = min(c->addr + c->region_size, (u64)linear_map_limit());
	mb_end = ALIGN_DOWN(end, vm->mb_size);
	vm->nr_blocks = c->region_size / bs;
	vm->sbs_per_mb = vm->mb_size / bs;
	vm->nr_mbs = mb_end > vm->mb_base ? (mb_end - vm->mb_base) / vm->mb_size : 0;
	vm->first_mb_block = (vm->mb_base - c->addr) / bs;
	/* node_id names an ACPI PXM only with VIRTIO_MEM_F_ACPI_PXM; one node here. */
	vm->nid = 0;
	if (!vm->nr_mbs) {
		pr_err("virtio-mem: region 0x%llx-0x%llx holds no whole %llu MiB memory block below the Sv%d linear-map limit 0x%llx: not used\n",
		       (unsigned long long)c->addr,
		       (unsigned long long)(c->addr + c->region_size - 1),
		       (unsigned long long)(vm->mb_size >> 20), kl.va_bits,
		       (unsigned long long)linear_map_limit());
		return -EINVAL;
	}
	if (vm->mb_base != c->addr || mb_end != c->addr + c->region_size)
		pr_warn("virtio-mem: only 0x%llx-0x%llx of the region is usable (memory blocks, Sv%d linear map)\n",
			(unsigned long long)vm->mb_base, (unsigned long long)(mb_end - 1),
			kl.va_bits);
	return 0;
}

int virtio_mem_sbm_init(struct virtio_mem *vm)
{
	unsigned long words = DIV_ROUND_UP(vm->nr_blocks, 64) * 2 +
			      DIV_ROUND_UP(vm->nr_mbs, 64);
	unsigned long bytes = words * sizeof(unsigned long);
	unsigned int order = 0;
	struct page *p;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	if (order > MAX_ORDER)
		return -E2BIG;
	p = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	if (!p)
		return -ENOMEM;
	vm->plugged = page_address(p);
	vm->online = vm->plugged + DIV_ROUND_UP(vm->nr_blocks, 64);
	vm->added = vm->online + DIV_ROUND_UP(vm->nr_blocks, 64);
	return 0;
}

/* ---- the pages of a device block that can be online ---- */

typedef int (*piece_fn)(unsigned long pfn, unsigned long nr, void *arg);

/*
 * Call @fn for each part of block @b in one section, minus the section's
 * memmap (its first 2 MiB sub-block): online_pages() works on whole
 * sub-blocks of one section.
 */
static int for_each_piece(struct virtio_mem *vm, unsigned long b, piece_fn fn, void *arg)
{
	u64 a = virtio_mem_block_addr(vm, b), end = a + vm->device_block_size;

	while (a < end) {
		u64 sec = ALIGN_DOWN(a, SECTION_SIZE), send = min(end, sec + SECTION_SIZE);
		unsigned long skip = ALIGN(memmap_on_memory_pages(PHYS_PFN(sec)), SUBBLOCK_PAGES);
		u64 s = max(a, sec + PFN_PHYS(skip));
		int ret;

		if (s < send) {
			ret = fn(PHYS_PFN(s), PHYS_PFN(send - s), arg);
			if (ret)
				return ret;
		}
		a = send;
	}
	return 0;
}

/* Every page free in the buddy? Walks free blocks, not single pages. */
static int piece_free(unsigned long pfn, unsigned long nr, void *arg)
{
	(void)arg;
	return range_is_buddy_free(pfn, nr, NULL) ? 0 : -EBUSY;
}

/*
 * Read the first word of newly plugged memory: a fault says the device did
 * not plug it. Reading, not writing: a write would make the host allocate
 * (and clear) the whole block at once, seconds per GiB on a busy host.
 */
static int piece_probe(unsigned long pfn, unsigned long nr, void *arg)
{
	(void)nr;
	(void)arg;
	if (virtio_mem_probe_word(PFN_PHYS(pfn))) {
		pr_err("virtio-mem: plugged memory at 0x%llx is not accessible\n",
		       (unsigned long long)PFN_PHYS(pfn));
		return -EIO;
	}
	return 1;	/* one word of the block is enough */
}

/* rvmm.verify=full: write, then read back, every word of newly plugged memory. */
static int piece_pattern(unsigned long pfn, unsigned long nr, void *arg)
{
	volatile u64 *p = __va(PFN_PHYS(pfn));
	u64 n = nr * PAGE_SIZE / sizeof(u64);

	(void)arg;
	for (u64 i = 0; i < n; i++)
		p[i] = (u64)&p[i] ^ 0x5a5aa5a5c3c33c3cULL;
	for (u64 i = 0; i < n; i++) {
		if (p[i] != ((u64)&p[i] ^ 0x5a5aa5a5c3c33c3cULL)) {
			pr_err("virtio-mem: pattern mismatch at 0x%llx: 0x%llx\n",
			       (unsigned long long)__pa((void *)&p[i]), (unsigned long long)p[i]);
			return -EIO;
		}
	}
	return 0;
}

struct piece_walk {
	struct virtio_mem *vm;
	bool online;		/* online_pages() or offline_pages() */
	int done, limit;	/* pieces handled; stop after limit (rollback) */
};

static int piece_set_online(unsigned long pfn, unsigned long nr, void *arg)
{
	struct piece_walk *w = arg;
	struct virtio_mem *vm = w->vm;
	int ret;

	if (w->limit >= 0 && w->done == w->limit)
		return 1;
	mem_hotplug_begin();
	ret = w->online ? online_pages(pfn, nr, default_online_zone) : offline_pages(pfn, nr);
	mem_hotplug_done();
	if (ret)
		return ret;
	if (w->online)
		vm->online_bytes += PFN_PHYS(nr);
	else
		vm->online_bytes -= PFN_PHYS(nr);
	w->done++;
	return 0;
}

/* Online or offline all of @b; on failure the pieces already done go back. */
static int set_block_online(struct virtio_mem *vm, unsigned long b, bool online)
{
	struct piece_walk w = { vm, online, 0, -1 }, undo = { vm, !online, 0, 0 };
	int ret;

	if (test_bit(b, vm->online) == online)
		return 0;
	ret = for_each_piece(vm, b, piece_set_online, &w);
	if (ret) {
		undo.limit = w.done;
		for_each_piece(vm, b, piece_set_online, &undo);
		return ret;
	}
	__assign_bit(b, vm->online, online);
	return 0;
}

/* Check newly plugged @b: 1 if checked, 0 if it has no page to check, or -EIO. */
static int check_block(struct virtio_mem *vm, unsigned long b)
{
	int ret = for_each_piece(vm, b, vm->verify ? piece_pattern : piece_probe, NULL);

	if (ret < 0) {
		pr_err("virtio-mem: block 0x%llx failed its check, left offline\n",
		       (unsigned long long)virtio_mem_block_addr(vm, b));
		return ret;
	}
	return vm->verify || ret > 0;
}

static int online_block(struct virtio_mem *vm, unsigned long b)
{
	int ret;

	if (test_bit(b, vm->online))
		return 0;
	ret = set_block_online(vm, b, true);
	if (ret)
		pr_err("virtio-mem: onlining block 0x%llx failed (%d)\n",
		       (unsigned long long)virtio_mem_block_addr(vm, b), ret);
	return ret;
}

/*
 * Online the newly plugged run [b, b + n). Serving, the first word of the
 * run is probed (one probe per request: every first touch of a 2 MiB
 * block costs the host a page fault of milliseconds, seconds per GiB if
 * each block were probed); rvmm.verify=full checks every word. A block
 * that fails stays plugged and offline.
 */
static void online_new_run(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	bool probe = vm->probe;

	for (unsigned long i = b; i < b + n; i++) {
		int ret = probe || vm->verify ? check_block(vm, i) : 0;

		if (ret < 0)
			continue;
		if (ret)
			probe = false;
		online_block(vm, i);
	}
}

/*
 * -EBUSY (quietly) if any page of @b is in use, unless the shrink is in
 * its second pass (vm->migrate): then offline_pages() moves what is in
 * use elsewhere, and its error stops the pass.
 */
static int offline_block(struct virtio_mem *vm, unsigned long b)
{
	int ret;

	if (!test_bit(b, vm->online))
		return 0;
	if (!vm->migrate && for_each_piece(vm, b, piece_free, NULL))
		return -EBUSY;
	ret = set_block_online(vm, b, false);
	if (ret && vm->migrate)
		vm->migrate_err = ret;
	return ret;
}

/* ---- device requests on runs of blocks ---- */

static void verify_state(struct virtio_mem *vm, unsigned long b, unsigned long n, u16 expect)
{
	u16 state = 0xffff;
	int r = virtio_mem_send_state_request(vm, b, n, &state);

	if (r != VIRTIO_MEM_RESP_ACK || state != expect) {
		vm->nr_errors++;
		pr_err("virtio-mem: STATE of 0x%llx+%lu blocks: %s, state %u, driver believes %s\n",
		       (unsigned long long)virtio_mem_block_addr(vm, b), n, virtio_mem_resp_name(r),
		       state,
		       expect == VIRTIO_MEM_STATE_PLUGGED ? "plugged" : "unplugged");
	}
}

/* One PLUG or UNPLUG of [b, b + n); bookkeeping only on ACK. */
static int change_range(struct virtio_mem *vm, bool plug, unsigned long b, unsigned long n)
{
	int r = plug ? virtio_mem_send_plug_request(vm, b, n) :
			virtio_mem_send_unplug_request(vm, b, n);

	if (r != VIRTIO_MEM_RESP_ACK) {
		vm->nr_errors++;
		pr_err("virtio-mem: %s of 0x%llx-0x%llx (%lu blocks) refused: %s; nothing changed\n",
		       plug ? "PLUG" : "UNPLUG", (unsigned long long)virtio_mem_block_addr(vm, b),
		       (unsigned long long)(virtio_mem_block_addr(vm, b + n) - 1), n,
		       virtio_mem_resp_name(r));
		return r == VIRTIO_MEM_RESP_NACK ? -EAGAIN : r < 0 ? r : -EIO;
	}
	for (unsigned long i = b; i < b + n; i++)
		__assign_bit(i, vm->plugged, plug);
	if (plug)
		vm->plugged_bytes += n * vm->device_block_size;
	else
		vm->plugged_bytes -= n * vm->device_block_size;
	if (vm->verify)		/* the ACK says it all, unless asked to check */
		verify_state(vm, b, n, plug ? VIRTIO_MEM_STATE_PLUGGED : VIRTIO_MEM_STATE_UNPLUGGED);
	return 0;
}

/* ---- the requested size, between memory blocks ---- */

/*
 * Before the next memory block: may the resize go on? Re-reads the target
 * (reconcile only, and only once something changed since the last read),
 * lowering *want to what it still asks for.
 */
static bool go_on(struct virtio_mem *vm, bool plug, unsigned long done, unsigned long *want)
{
	if (vm->follow_target && done != vm->target_seen) {
		vm->target_seen = done;
		*want = min(*want, done + virtio_mem_target_left(vm, plug));
	}
	return done < *want;
}

/* ---- plugging ---- */

/* Plugged blocks [b, b + n) of an added mb into the linear map. */
static int map_blocks(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	int ret = mhp_map_range(virtio_mem_block_addr(vm, b), n * vm->device_block_size);

	if (ret)
		pr_err("virtio-mem: no memory to map 0x%llx-0x%llx; left offline\n",
		       (unsigned long long)virtio_mem_block_addr(vm, b),
		       (unsigned long long)(virtio_mem_block_addr(vm, b + n) - 1));
	return ret;
}

/* Plug [b, b + n) inside an added mb and online each block. */
static int virtio_mem_sbm_plug_any_sb(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	int ret = change_range(vm, true, b, n);

	if (ret)
		return ret;
	if (!map_blocks(vm, b, n))
		online_new_run(vm, b, n);
	return 0;
}

/* Unplugged blocks leave the linear map: the device made them inaccessible. */
static void unmap_blocks(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	if (n && mhp_unmap_range(virtio_mem_block_addr(vm, b), n * vm->device_block_size))
		pr_err("virtio-mem: 0x%llx-0x%llx stays mapped (never touched)\n",
		       (unsigned long long)virtio_mem_block_addr(vm, b),
		       (unsigned long long)(virtio_mem_block_addr(vm, b + n) - 1));
}

/*
 * Add @mb, whose first @n blocks are plugged: only they enter the linear
 * map, the rest is inaccessible at the device.
 */
static int add_mb(struct virtio_mem *vm, unsigned long mb, unsigned long n)
{
	int ret = add_memory_plugged(vm->nid, mb_addr(vm, mb), vm->mb_size,
				     n * vm->device_block_size, MHP_MEMMAP_ON_MEMORY);

	if (!ret) {
		__assign_bit(mb, vm->added, true);
		virtio_mem_test_added(vm);
	}
	return ret;
}

/* Plug the first @n blocks of mb @mb, add it, online all but its memmap. */
static int virtio_mem_sbm_plug_and_add_mb(struct virtio_mem *vm, unsigned long mb, unsigned long n)
{
	unsigned long b0 = mb_first(vm, mb);
	int ret = change_range(vm, true, b0, n);

	if (ret)
		return ret;
	ret = add_mb(vm, mb, n);
	if (ret) {
		pr_err("virtio-mem: add_memory(0x%llx) failed (%d), unplugging again\n",
		       (unsigned long long)mb_addr(vm, mb), ret);
		change_range(vm, false, b0, n);
		return ret;
	}
	online_new_run(vm, b0, n);
	return 0;
}

unsigned long virtio_mem_sbm_plug_request(struct virtio_mem *vm, unsigned long want)
{
	unsigned long done = 0;

	vm->target_seen = 0;
	/* Holes in memory blocks that exist: no new memmap needed. */
	for (unsigned long mb = 0; mb < vm->nr_mbs && go_on(vm, true, done, &want); mb++) {
		unsigned long b0 = mb_first(vm, mb), b = b0 + 1;

		if (!test_bit(mb, vm->added))
			continue;
		while (b < b0 + vm->sbs_per_mb && done < want) {
			unsigned long n = 0;

			while (b + n < b0 + vm->sbs_per_mb && done + n < want &&
			       !test_bit(b + n, vm->plugged) && block_usable(vm, b + n))
				n++;
			if (n && virtio_mem_sbm_plug_any_sb(vm, b, n))
				return done;
			done += n;
			b += n + 1;
		}
	}
	/* New memory blocks, lowest address first. */
	for (unsigned long mb = 0; mb < vm->nr_mbs && go_on(vm, true, done, &want); mb++) {
		unsigned long b0 = mb_first(vm, mb), n = 0;

		if (test_bit(mb, vm->added) || stale_mb(vm, mb))
			continue;
		while (n < vm->sbs_per_mb && done + n < want && block_usable(vm, b0 + n))
			n++;
		if (!n)
			break;		/* past the usable region */
		if (virtio_mem_sbm_plug_and_add_mb(vm, mb, n))
			return done;
		done += n;
	}
	return done;
}

/* ---- unplugging ---- */

/* Unplug the offlined run [lo, hi]; on refusal put it back online. */
static int unplug_run(struct virtio_mem *vm, unsigned long lo, unsigned long hi)
{
	int ret = change_range(vm, false, lo, hi - lo + 1);

	if (ret)
		for (unsigned long i = lo; i <= hi; i++)
			online_block(vm, i);
	else
		unmap_blocks(vm, lo, hi - lo + 1);
	return ret;
}

/* Unplug up to @limit free data blocks of @mb, highest first. */
static unsigned long virtio_mem_sbm_unplug_any_sb(struct virtio_mem *vm, unsigned long mb,
					unsigned long limit, int *err)
{
	unsigned long b0 = mb_first(vm, mb), got = 0, lo = 0, hi = 0, b;
	bool run = false;

	for (b = b0 + vm->sbs_per_mb - 1; b > b0 && got + (run ? hi - lo + 1 : 0) < limit &&
	     !vm->migrate_err; b--) {
		if (test_bit(b, vm->plugged) && !offline_block(vm, b)) {
			if (!run)
				hi = b;
			lo = b;
			run = true;
			continue;
		}
		if (run) {
			*err = unplug_run(vm, lo, hi);
			if (*err)
				return got;
			got += hi - lo + 1;
			run = false;
		}
	}
	if (run) {
		*err = unplug_run(vm, lo, hi);
		if (!*err)
			got += hi - lo + 1;
	}
	return got;
}

/*
 * Unplug every plugged block of @mb (removed, or stale), one request per
 * run, highest run first: the memmap block goes last, so whatever a
 * refusal leaves plugged still starts with it. Adds the blocks unplugged
 * to *done.
 */
static int unplug_mb_blocks(struct virtio_mem *vm, unsigned long mb, unsigned long *done)
{
	unsigned long b0 = mb_first(vm, mb), b = b0 + vm->sbs_per_mb;

	while (b > b0) {
		unsigned long hi, lo;
		int ret;

		while (b > b0 && !test_bit(b - 1, vm->plugged))
			b--;
		if (b == b0)
			break;
		hi = b - 1;
		while (b > b0 && test_bit(b - 1, vm->plugged))
			b--;
		lo = b;
		ret = change_range(vm, false, lo, hi - lo + 1);
		if (ret)
			return ret;
		*done += hi - lo + 1;
	}
	return 0;
}

/* Online the plugged blocks of @mb again, from @from on (a rollback). */
static void online_mb_blocks(struct virtio_mem *vm, unsigned long mb, unsigned long from)
{
	for (unsigned long b = mb_first(vm, mb) + from; b < mb_first(vm, mb) + vm->sbs_per_mb; b++)
		if (test_bit(b, vm->plugged))
			online_block(vm, b);
}

/* Blocks from @b on in the same plugged state as @b, up to the end of its mb. */
static unsigned long run_length(struct virtio_mem *vm, unsigned long mb, unsigned long b)
{
	unsigned long end = mb_first(vm, mb) + vm->sbs_per_mb, n = 1;
	bool plugged = test_bit(b, vm->plugged);

	while (b + n < end && test_bit(b + n, vm->plugged) == plugged)
		n++;
	return n;
}

/* Online the plugged blocks [b, b + n). */
static void online_run(struct virtio_mem *vm, unsigned long b, unsigned long n)
{
	for (unsigned long i = b; i < b + n; i++)
		online_block(vm, i);
}

/*
 * The device refused to unplug (part of) a removed mb: bring the mb back
 * rather than leak its blocks. The plugged run that starts with its
 * memmap block is added, every other plugged run mapped after it, and all
 * of them onlined. If even the add fails, the blocks stay plugged with no
 * mb (a "stale" mb, its memmap block among them), and the next shrink
 * tries to unplug them again.
 */
static int virtio_mem_sbm_readd_mb(struct virtio_mem *vm, unsigned long mb)
{
	unsigned long b0 = mb_first(vm, mb), n = run_length(vm, mb, b0);
	int ret = test_bit(b0, vm->plugged) ? add_mb(vm, mb, n) : -EINVAL;

	if (ret) {
		pr_err("virtio-mem: cannot re-add 0x%llx (%d); block 0x%llx stays plugged until the next shrink\n",
		       (unsigned long long)mb_addr(vm, mb), ret,
		       (unsigned long long)virtio_mem_block_addr(vm, b0));
		return ret;
	}
	online_run(vm, b0, n);
	for (unsigned long b = b0 + n; b < b0 + vm->sbs_per_mb; b += n) {
		n = run_length(vm, mb, b);
		if (test_bit(b, vm->plugged) && !map_blocks(vm, b, n))
			online_run(vm, b, n);
	}
	return 0;
}

/* Offline every plugged block of @mb, or none: -EBUSY if one is in use. */
static int offline_mb_blocks(struct virtio_mem *vm, unsigned long mb)
{
	unsigned long b0 = mb_first(vm, mb);

	for (unsigned long b = b0 + vm->sbs_per_mb; b-- > b0;) {
		if (test_bit(b, vm->plugged) && offline_block(vm, b)) {
			online_mb_blocks(vm, mb, b + 1 - b0);
			return -EBUSY;
		}
	}
	return 0;
}

/*
 * Linux's order for a whole memory block (Big Block Mode's only one):
 * offline it, remove it, then unplug its blocks (one request when they
 * are contiguous). -EBUSY if some of it is in use (nothing changed; try
 * another mb); on a refusal the mb is added and onlined again and the
 * error returned, which ends the shrink. Adds what went to *done.
 */
static int virtio_mem_sbm_offline_remove_and_unplug_mb(struct virtio_mem *vm, unsigned long mb,
						       unsigned long *done)
{
	int ret = offline_mb_blocks(vm, mb);

	if (ret)
		return ret;
	ret = remove_memory(mb_addr(vm, mb), vm->mb_size);
	if (ret) {
		pr_err("virtio-mem: remove_memory(0x%llx) failed (%d)\n",
		       (unsigned long long)mb_addr(vm, mb), ret);
		online_mb_blocks(vm, mb, 0);
		return ret == -EBUSY ? -EIO : ret;
	}
	__assign_bit(mb, vm->added, false);
	ret = unplug_mb_blocks(vm, mb, done);
	if (ret)
		virtio_mem_sbm_readd_mb(vm, mb);
	return ret;
}

/* Plugged data blocks of an added mb (all but its memmap block). */
static unsigned long mb_data_blocks(struct virtio_mem *vm, unsigned long mb)
{
	unsigned long b0 = mb_first(vm, mb), k = 0;

	for (unsigned long b = b0 + 1; b < b0 + vm->sbs_per_mb; b++)
		k += test_bit(b, vm->plugged);
	return k;
}

/*
 * One memory block of a shrink: an mb that can go entirely (its data
 * blocks and its memmap block, k + 1) is removed as a whole; else its free
 * data blocks go, up to what is left to unplug, and the mb stays with its
 * memmap block. A block in use only moves on (0); a device refusal is
 * returned and ends the shrink.
 */
static int unplug_mb(struct virtio_mem *vm, unsigned long mb, unsigned long want,
		     unsigned long *done)
{
	unsigned long k, got;
	int err = 0;

	if (stale_mb(vm, mb))
		return unplug_mb_blocks(vm, mb, done);
	if (!test_bit(mb, vm->added))
		return 0;
	k = mb_data_blocks(vm, mb);
	if (want - *done > k) {
		err = virtio_mem_sbm_offline_remove_and_unplug_mb(vm, mb, done);
		if (err != -EBUSY)
			return err;
		err = 0;
	}
	got = virtio_mem_sbm_unplug_any_sb(vm, mb, min(want - *done, k), &err);
	*done += got;
	return err;
}

/* Pages in use in @mb's data blocks (memmap excluded): the least used go first. */
static unsigned long mb_used_pages(struct virtio_mem *vm, unsigned long mb)
{
	u64 a = mb_addr(vm, mb) + SUBBLOCK_PAGES * PAGE_SIZE;

	if (!test_bit(mb, vm->added))
		return ~0UL;
	return range_used_pages(PHYS_PFN(a), PHYS_PFN(mb_addr(vm, mb) + vm->mb_size - a));
}

static const char *migrate_why(int err)
{
	return err == -ENOMEM ? "no free memory left elsewhere (boot RAM included) for the data in use" :
	       err == -EBUSY ? "pages in use that cannot be moved (unmovable, or held too long)" :
			       "a device refusal";
}

/*
 * Pass 2 of a shrink: the target needs blocks in use. Memory blocks go
 * least used first; offline_pages() migrates their data to free memory
 * elsewhere (ZONE_MOVABLE, then boot RAM). Stops when the device refuses
 * or the data has nowhere to go, and says so.
 */
static void unplug_in_use(struct virtio_mem *vm, unsigned long *want, unsigned long *done)
{
	unsigned long bytes = vm->nr_mbs * sizeof(unsigned long);
	unsigned int order = 0;
	unsigned long *used;
	struct page *p;
	int err = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	p = order <= MAX_ORDER ? alloc_pages(GFP_KERNEL, order) : NULL;
	if (!p)
		return;
	used = page_address(p);
	for (unsigned long mb = 0; mb < vm->nr_mbs; mb++)
		used[mb] = mb_used_pages(vm, mb);
	vm->migrate = true;
	vm->migrate_err = 0;
	while (!err && !vm->migrate_err && go_on(vm, false, *done, want)) {
		unsigned long best = 0;

		for (unsigned long mb = 1; mb < vm->nr_mbs; mb++)
			if (used[mb] < used[best])
				best = mb;
		if (used[best] == ~0UL)
			break;
		used[best] = ~0UL;
		err = unplug_mb(vm, best, *want, done);
	}
	vm->migrate = false;
	free_pages(p, order);
	if (*done < *want)
		pr_warn("virtio-mem: unplug stops at %llu bytes plugged: %s\n",
			(unsigned long long)vm->plugged_bytes,
			migrate_why(err ? err : vm->migrate_err ? vm->migrate_err : -EBUSY));
}

/*
 * Pass 1 takes blocks that are already free, from the highest memory block
 * down; pass 2 (unplug_in_use) moves data out of the least used ones.
 */
unsigned long virtio_mem_sbm_unplug_request(struct virtio_mem *vm, unsigned long want)
{
	unsigned long done = 0;
	int err = 0;

	vm->target_seen = 0;
	for (unsigned long mb = vm->nr_mbs; mb-- > 0 && !err && go_on(vm, false, done, &want);)
		err = unplug_mb(vm, mb, want, &done);
	if (!err && done < want)
		unplug_in_use(vm, &want, &done);
	return done;
}
