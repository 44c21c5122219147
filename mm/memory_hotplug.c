// SPDX-License-Identifier: GPL-2.0
/*
 * Memory hotplug: add, online, offline and remove physical memory at
 * runtime. Every add has a mirrored remove, and every failure halfway
 * unwinds what was done, so a failed call leaves page tables, sections and
 * the allocator exactly as they were.
 *
 * Memory blocks are sections (128 MiB). Online/offline work on 2 MiB
 * sub-blocks so that virtio-mem can plug device blocks one by one.
 *
 * Locking: mem_hotplug_begin/done serialise all hotplug operations; the
 * page allocator takes zone_lock and relies on the rule in page_alloc.c.
 */
#include <stdio.h>
#include <string.h>
#include <asm/tlbflush.h>
#include <rvmm/memblock.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/migrate.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/spinlock.h>

enum zone_type default_online_zone = ZONE_MOVABLE;
unsigned long mem_hotplug_seq;
static volatile int hotplug_lock;

void mem_hotplug_begin(void)
{
	spin_lock(&hotplug_lock);
}

void mem_hotplug_done(void)
{
	spin_unlock(&hotplug_lock);
}

/* ---- MMIO ranges that hot-add must not claim ---- */

#define MAX_IOMEM 256	/* every device node's reg (drivers/base/init.c) */
static struct { phys_addr_t base, size; const char *name; } iomem[MAX_IOMEM];
static int nr_iomem;

int iomem_register(phys_addr_t base, phys_addr_t size, const char *name)
{
	if (nr_iomem == MAX_IOMEM)
		return -ENOSPC;
	iomem[nr_iomem].base = base;
	iomem[nr_iomem].size = size;
	iomem[nr_iomem++].name = name;
	return 0;
}

const char *iomem_overlaps(phys_addr_t base, phys_addr_t size)
{
	for (int i = 0; i < nr_iomem; i++)
		if (base < iomem[i].base + iomem[i].size && iomem[i].base < base + size)
			return iomem[i].name;
	return NULL;
}

/* A registered MMIO window holds [base, base + size) entirely. */
bool iomem_contains(phys_addr_t base, phys_addr_t size)
{
	for (int i = 0; i < nr_iomem; i++)
		if (base >= iomem[i].base && base + size <= iomem[i].base + iomem[i].size)
			return true;
	return false;
}

static bool any_section(phys_addr_t start, phys_addr_t size, u32 flag)
{
	for (unsigned long pfn = PHYS_PFN(start); pfn < PHYS_PFN(start + size);
	     pfn += PAGES_PER_SECTION)
		if (__pfn_to_section(pfn)->flags & flag)
			return true;
	return false;
}

static mhp_unplugged_fn unplugged_check;

void mhp_register_unplugged_check(mhp_unplugged_fn fn)
{
	unplugged_check = fn;
}

bool mhp_range_unplugged(phys_addr_t pa, phys_addr_t size)
{
	return unplugged_check && unplugged_check(pa, size);
}

/* Why [start, start + size) cannot be hot-added, or true if it can. */
bool mhp_range_allowed(phys_addr_t start, phys_addr_t size, char *why, size_t len)
{
	const char *io;

	if (!size)
		snprintf(why, len, "zero size");
	else if (!IS_ALIGNED(start | size, SECTION_SIZE))
		snprintf(why, len, "not aligned to the %lu MiB section size",
			 SECTION_SIZE >> 20);
	else if (start + size < start || start + size > linear_map_limit())
		snprintf(why, len, "beyond the Sv%d linear map (limit 0x%llx)",
			 kl.va_bits, (unsigned long long)linear_map_limit());
	else if (memblock_overlaps_memory(start, size))
		snprintf(why, len, "overlaps boot RAM");
	else if (any_section(start, size, SECTION_PRESENT))
		snprintf(why, len, "overlaps memory added earlier");
	else if ((io = iomem_overlaps(start, size)))
		snprintf(why, len, "overlaps MMIO (%s)", io);
	else
		return true;
	return false;
}

static struct vmem_altmap section_altmap(unsigned long pfn)
{
	/* The memmap of a section is 2 MiB: it fits in its own first 2 MiB. */
	return (struct vmem_altmap){
		.base_pfn = pfn,
		.end_pfn = pfn + PAGES_PER_SECTION,
		.free = SUBBLOCK_PAGES,
	};
}

static void remove_sections(unsigned long spfn, unsigned long epfn)
{
	for (unsigned long pfn = spfn; pfn < epfn; pfn += PAGES_PER_SECTION) {
		struct mem_section *ms = __pfn_to_section(pfn);
		struct vmem_altmap a = section_altmap(pfn);

		a.alloc = ms->nr_vmemmap;
		sparse_remove_section(pfn, PAGES_PER_SECTION,
				      ms->flags & SECTION_MEMMAP_ON_MEM ? &a : NULL);
	}
}

/*
 * One sync for everything a hot-add mapped: the linear map and each
 * section's memmap were fenced only on this hart while being built. The
 * flush is whole-TLB on the kernel (the range only steers the host
 * simulator's mirror, which follows the vmemmap).
 */
static void sync_added_range(phys_addr_t start, phys_addr_t size)
{
	arch_sync_kernel_mappings((unsigned long)pfn_to_page(PHYS_PFN(start)),
				  (unsigned long)pfn_to_page(PHYS_PFN(start + size)));
}

/*
 * The plugged extent of an add: whole 2 MiB sub-blocks from the start,
 * reaching into the last section, so that every section's memmap (its
 * first sub-block) is plugged.
 */
static bool plugged_extent_ok(phys_addr_t size, phys_addr_t plugged, char *why, size_t len)
{
	if (plugged && plugged <= size && IS_ALIGNED(plugged, PMD_SIZE) &&
	    size - plugged < SECTION_SIZE)
		return true;
	snprintf(why, len, "plugged extent 0x%llx: not whole 2 MiB sub-blocks into the last section",
		 (unsigned long long)plugged);
	return false;
}

int add_memory_plugged(int nid, phys_addr_t start, phys_addr_t size, phys_addr_t plugged,
		       unsigned int flags)
{
	unsigned long spfn = PHYS_PFN(start), epfn = PHYS_PFN(start + size), pfn;
	char why[96];
	int ret;

	mem_hotplug_begin();
	if (!mhp_range_allowed(start, size, why, sizeof(why)) ||
	    !plugged_extent_ok(size, plugged, why, sizeof(why))) {
		pr_err("add_memory: [0x%llx-0x%llx]: %s\n", (unsigned long long)start,
		       (unsigned long long)(start + size - 1), why);
		ret = -EINVAL;
		goto out;
	}
	/* Only what is plugged: the rest may be inaccessible at its device. */
	ret = arch_add_memory(nid, start, plugged);
	if (ret) {
		pr_err("add_memory: [0x%llx-0x%llx]: linear map failed (%d)\n",
		       (unsigned long long)start, (unsigned long long)(start + size - 1), ret);
		goto out;
	}
	for (pfn = spfn; pfn < epfn; pfn += PAGES_PER_SECTION) {
		struct vmem_altmap a = section_altmap(pfn);

		ret = sparse_add_section(nid, pfn, PAGES_PER_SECTION,
					 flags & MHP_MEMMAP_ON_MEMORY ? &a : NULL);
		if (ret)
			break;
		/* The memmap's own pages are never onlined. */
		for (unsigned long i = 0; i < __pfn_to_section(pfn)->nr_vmemmap; i++)
			set_page_flag(pfn_to_page(pfn + i), PG_vmemmap);
		__pfn_to_section(pfn)->state = MEM_OFFLINE;
	}
	if (ret) {
		pr_err("add_memory: [0x%llx-0x%llx]: memmap of section %lu failed (%d), rolled back\n",
		       (unsigned long long)start, (unsigned long long)(start + size - 1),
		       pfn_to_section_nr(pfn), ret);
		remove_sections(spfn, pfn);
		arch_remove_memory(start, plugged);
	} else {
		sync_added_range(start, size);
	}
out:
	mem_hotplug_done();
	return ret;
}

int remove_memory(phys_addr_t start, phys_addr_t size)
{
	unsigned long spfn = PHYS_PFN(start), epfn = PHYS_PFN(start + size);
	const char *why = NULL;
	int ret = -EINVAL;

	mem_hotplug_begin();
	if (!size || !IS_ALIGNED(start | size, SECTION_SIZE) || start + size < start ||
	    epfn > MAX_PFN) {
		why = "not a whole number of aligned sections";
		goto out;
	}
	for (unsigned long pfn = spfn; pfn < epfn; pfn += PAGES_PER_SECTION) {
		struct mem_section *ms = __pfn_to_section(pfn);

		if (!(ms->flags & SECTION_PRESENT)) {
			why = "never added";
			ret = -ENOENT;
		} else if (ms->flags & SECTION_EARLY) {
			why = "boot memory cannot be removed";
		} else if (ms->flags & SECTION_DEVICE) {
			why = "ZONE_DEVICE memory (memunmap_pages() removes it)";
		} else if (ms->online_map) {
			why = "still online";
			ret = -EBUSY;
		}
		if (why)
			goto out;
	}
	/*
	 * The linear map goes first: cutting a 1 GiB leaf needs a table, and
	 * when that fails remove_pgd_mapping() has unmapped nothing, so the
	 * memory stays present, offline and mapped. Sub-blocks already
	 * unmapped (mhp_unmap_range()) are simply skipped.
	 */
	arch_unmap_batch_begin();
	ret = arch_remove_memory(start, size);
	if (!ret)
		remove_sections(spfn, epfn);
	/* One flush for the linear map and every memmap (see add_memory()). */
	arch_unmap_batch_end((unsigned long)pfn_to_page(spfn), (unsigned long)pfn_to_page(epfn));
	vmemmap_free_deferred();
	if (ret)
		why = "no memory to split the linear map";
out:
	if (why)
		pr_err("remove_memory: [0x%llx-0x%llx]: %s\n", (unsigned long long)start,
		       (unsigned long long)(start + size - 1), why);
	mem_hotplug_done();
	return ret;
}

/* Present, added at run time (not boot memory), not ZONE_DEVICE. */
static bool section_hot_added(const struct mem_section *ms)
{
	return (ms->flags & (SECTION_PRESENT | SECTION_EARLY | SECTION_DEVICE)) == SECTION_PRESENT;
}

/* [pfn, pfn + nr) must be whole sub-blocks of one present section. */
static int check_subblocks(const char *op, unsigned long pfn, unsigned long nr,
			   u64 *mask)
{
	unsigned long first = (pfn % PAGES_PER_SECTION) / SUBBLOCK_PAGES;
	unsigned long n = nr / SUBBLOCK_PAGES;
	struct mem_section *ms;

	if (!nr || !IS_ALIGNED(pfn | nr, SUBBLOCK_PAGES) ||
	    pfn_to_section_nr(pfn) >= NR_MEM_SECTIONS ||
	    pfn_to_section_nr(pfn) != pfn_to_section_nr(pfn + nr - 1)) {
		pr_err("%s: pfn 0x%lx+0x%lx: not whole 2 MiB sub-blocks of one section\n",
		       op, pfn, nr);
		return -EINVAL;
	}
	ms = __pfn_to_section(pfn);
	if (!section_hot_added(ms)) {
		pr_err("%s: pfn 0x%lx: not hot-added memory\n", op, pfn);
		return -EINVAL;
	}
	*mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << first;
	if (pfn % PAGES_PER_SECTION < ms->nr_vmemmap) {
		pr_err("%s: pfn 0x%lx: holds the memmap\n", op, pfn);
		return -EINVAL;
	}
	return 0;
}

int online_pages(unsigned long pfn, unsigned long nr, enum zone_type zone)
{
	struct mem_section *ms;
	u64 mask;
	int ret = check_subblocks("online_pages", pfn, nr, &mask);

	if (ret)
		return ret;
	ms = __pfn_to_section(pfn);
	if (ms->online_map & mask) {
		pr_err("online_pages: pfn 0x%lx+0x%lx: already online\n", pfn, nr);
		return -EINVAL;
	}
	if (ms->online_map && ms->zone != zone) {
		pr_err("online_pages: pfn 0x%lx: section already online in zone %s\n",
		       pfn, zones[ms->zone].name);
		return -EINVAL;
	}
	/* The memmap is clean (zeroed at populate); the zone is per section. */
	ms->online_map |= mask;
	ms->zone = zone;
	ms->flags |= SECTION_ONLINE;
	zones[zone].present_pages += nr;
	free_pfn_range_core(pfn, pfn + nr);
	mem_hotplug_seq++;
	return 0;
}

/*
 * Offlining memory in use, in Linux's steps: (1) isolate the range, so that
 * pages freed in it stay out of the allocator; (2) migrate every movable
 * page out, retrying busy ones a bounded number of times; (3) once it is
 * empty, take it out of the buddy; (4) on failure undo the isolation: the
 * pages already moved stay valid where they are now, and the free counts
 * are what they were (each moved page freed one and used one).
 */
static int offline_isolated(unsigned long pfn, unsigned long nr, unsigned long *busy)
{
	int ret = start_isolate_page_range(pfn, nr);

	if (ret) {
		*busy = pfn;
		return ret;
	}
	ret = migrate_pages_range(pfn, nr, busy);
	if (ret) {
		undo_isolate_page_range(pfn, nr);
		return ret;
	}
	take_isolated_range(pfn, nr);
	return 0;
}

int offline_pages(unsigned long pfn, unsigned long nr)
{
	struct mem_section *ms;
	unsigned long busy;
	u64 mask;
	int ret = check_subblocks("offline_pages", pfn, nr, &mask);

	if (ret)
		return ret;
	ms = __pfn_to_section(pfn);
	if ((ms->online_map & mask) != mask) {
		pr_err("offline_pages: pfn 0x%lx+0x%lx: not online\n", pfn, nr);
		return -EINVAL;
	}
	/* Nothing in use: one pass, no isolation (the common, cheap case). */
	ret = take_free_range(pfn, nr, &busy);
	if (ret)
		ret = offline_isolated(pfn, nr, &busy);
	if (ret) {
		pr_err("offline_pages: pfn 0x%lx+0x%lx: pfn 0x%lx %s (%d); nothing changed\n",
		       pfn, nr, busy, ret == -ENOMEM ? "cannot move: no free memory elsewhere" :
		       "is in use and cannot be moved", ret);
		return ret;
	}
	/* Offline pages keep no flags: take_free_range() cleared PG_buddy. */
	zones[ms->zone].present_pages -= nr;
	ms->online_map &= ~mask;
	if (!ms->online_map)
		ms->flags &= ~SECTION_ONLINE;
	mem_hotplug_seq++;
	return 0;
}

/*
 * Memory a device calls inaccessible (virtio-mem's unplugged blocks with
 * VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE) must not stay in the linear map,
 * where a speculative or stray access could reach it. These take offline,
 * whole 2 MiB sub-blocks of hot-added memory out of the linear map and put
 * them back; both are idempotent.
 */
static int check_offline_range(const char *op, phys_addr_t start, phys_addr_t size)
{
	u64 mask;
	int ret = check_subblocks(op, PHYS_PFN(start), PHYS_PFN(size), &mask);

	if (ret)
		return ret;
	if (__pfn_to_section(PHYS_PFN(start))->online_map & mask) {
		pr_err("%s: [0x%llx-0x%llx]: still online\n", op, (unsigned long long)start,
		       (unsigned long long)(start + size - 1));
		return -EBUSY;
	}
	return 0;
}

int mhp_unmap_range(phys_addr_t start, phys_addr_t size)
{
	int ret;

	mem_hotplug_begin();
	ret = check_offline_range("mhp_unmap_range", start, size);
	if (!ret)
		ret = arch_remove_memory(start, size);
	mem_hotplug_done();
	return ret;
}

/* Map back each run of unmapped sub-blocks; one sync for them all. */
int mhp_map_range(phys_addr_t start, phys_addr_t size)
{
	phys_addr_t a = start, end = start + size;
	int ret;

	mem_hotplug_begin();
	ret = check_offline_range("mhp_map_range", start, size);
	while (!ret && a < end) {
		phys_addr_t run = a;

		while (run < end && !arch_linear_mapped(run))
			run += PMD_SIZE;
		if (run > a)
			ret = arch_add_memory(__pfn_to_section(PHYS_PFN(a))->nid, a, run - a);
		a = run + PMD_SIZE;	/* run is mapped, or the end */
	}
	if (!ret)
		arch_sync_kernel_mappings(lm_va(start), lm_va(end));
	mem_hotplug_done();
	return ret;
}

/* The pages of a hot-added block past its memmap; under the hotplug lock. */
static int block_range(const char *op, phys_addr_t start, unsigned long *pfn,
		       unsigned long *nr)
{
	struct mem_section *ms;

	if (!IS_ALIGNED(start, SECTION_SIZE) || PHYS_PFN(start) >= MAX_PFN)
		goto bad;
	ms = __pfn_to_section(PHYS_PFN(start));
	if (!section_hot_added(ms))
		goto bad;
	*pfn = PHYS_PFN(start) + ms->nr_vmemmap;
	*nr = PAGES_PER_SECTION - ms->nr_vmemmap;
	return 0;
bad:
	pr_err("%s: 0x%llx is not a hot-added block\n", op, (unsigned long long)start);
	return -EINVAL;
}

int online_memory_block(phys_addr_t start)
{
	unsigned long pfn, nr;
	int ret;

	mem_hotplug_begin();
	ret = block_range("online_memory_block", start, &pfn, &nr);
	if (!ret)
		ret = online_pages(pfn, nr, default_online_zone);
	if (!ret)
		__pfn_to_section(pfn)->state = MEM_ONLINE;
	mem_hotplug_done();
	return ret;
}

int offline_memory_block(phys_addr_t start)
{
	unsigned long pfn, nr;
	struct mem_section *ms;
	u32 old;
	int ret;

	mem_hotplug_begin();
	ret = block_range("offline_memory_block", start, &pfn, &nr);
	if (!ret) {
		ms = __pfn_to_section(pfn);
		old = ms->state;
		ms->state = MEM_GOING_OFFLINE;
		ret = offline_pages(pfn, nr);
		ms->state = ret ? old : MEM_OFFLINE;
	}
	mem_hotplug_done();
	return ret;
}

/* Beyond the section table there is no memory: offline, like a hole. */
enum memory_block_state memory_block_state(phys_addr_t start)
{
	struct mem_section *ms;

	if (PHYS_PFN(start) >= MAX_PFN)
		return MEM_OFFLINE;
	ms = __pfn_to_section(PHYS_PFN(start));
	if (ms->flags & SECTION_EARLY)
		return MEM_ONLINE;
	if (ms->state == MEM_GOING_OFFLINE)
		return MEM_GOING_OFFLINE;
	return ms->online_map ? MEM_ONLINE : MEM_OFFLINE;
}

/* Like /sys/devices/system/memory: one line per present block. */
void memory_block_dump(void)
{
	static const char *const st[] = { "offline", "online", "going-offline" };

	for (unsigned long i = 0; i < NR_MEM_SECTIONS; i++) {
		struct mem_section *ms = &mem_section[i];
		phys_addr_t start = (phys_addr_t)i << SECTION_SIZE_BITS;

		if (!(ms->flags & SECTION_PRESENT))
			continue;
		printk("rvmm: memory%lu: phys 0x%010llx state %s zone %s%s%s\n", i,
		       (unsigned long long)start, st[memory_block_state(start)],
		       ms->online_map ? zones[ms->zone].name : "-",
		       ms->flags & SECTION_EARLY ? " boot" : " removable",
		       ms->nr_vmemmap ? " memmap-on-memory" : "");
	}
}
