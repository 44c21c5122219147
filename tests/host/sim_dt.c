// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated machine booted from a device tree: the RAM and
 * reservations the kernel's own parser (boot/dt.c) finds, cut by mem= as
 * boot/main.c cuts it, in the paging mode the tree allows. Apart from
 * sim.c so that host-bench needs no libfdt.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <asm/fdt_early.h>
#include <rvmm/dt.h>
#include "sim.h"

/* ---- boot from a device tree ---- */

struct sim_dt_boot {
	struct sim_range ram[DT_MAX_MEM], rsv[DT_MAX_RSV], nomap[DT_MAX_RSV];
	struct sim_mem m;
};

/* enforce_mem_limit() of boot/main.c: keep the first @limit bytes. */
static void sim_mem_limit(struct sim_dt_boot *b, phys_addr_t limit, struct sim_range *hidden)
{
	phys_addr_t end = 0;

	hidden->base = hidden->size = 0;
	for (int i = 0; i < b->m.nr_ram; i++)
		end = max(end, b->ram[i].base + b->ram[i].size);
	for (int i = 0; limit && i < b->m.nr_ram; i++) {
		if (b->ram[i].size < limit) {
			limit -= b->ram[i].size;
			continue;
		}
		hidden->base = b->ram[i].base + limit;
		hidden->size = end - hidden->base;
		b->ram[i].size = limit;
		b->m.nr_ram = i + 1;
		return;
	}
}

static int sim_dt_ranges(struct sim_dt_boot *b, const struct dt_info *info)
{
	b->m = (struct sim_mem){ .ram = b->ram, .reserved = b->rsv, .nomap = b->nomap };
	for (int i = 0; i < info->nr_mem; i++)
		b->ram[b->m.nr_ram++] = (struct sim_range){ info->mem[i].base, info->mem[i].size };
	for (int i = 0; i < info->nr_rsv; i++) {
		const struct dt_reserved *r = &info->rsv[i];
		struct sim_range sr = { r->base, r->size };

		if (r->dynamic) {
			printf("# sim: dynamic reserved-memory '%s' is not simulated\n", r->name);
			return -EINVAL;
		}
		if (r->nomap)
			b->nomap[b->m.nr_nomap++] = sr;
		else
			b->rsv[b->m.nr_reserved++] = sr;
	}
	return 0;
}

int sim_boot_dtb(const char *path, phys_addr_t mem_limit, struct sim_range *hidden)
{
	static struct sim_dt_boot b;
	static struct dt_info info;
	static char blob[1 << 20];
	char err[192];
	FILE *f = fopen(path, "rb");
	size_t len;
	int ret;

	if (!f) {
		printf("# sim: %s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	len = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	ret = dt_parse(blob, len, &info, err, sizeof(err));
	if (ret) {
		printf("# sim: %s: %s\n", path, err);
		return ret;
	}
	ret = sim_dt_ranges(&b, &info);
	if (ret)
		return ret;
	sim_mem_limit(&b, mem_limit, hidden);
	sim_boot(dt_paging_limit(dt_early_mmu_limit(blob), info.bootargs), &b.m);
	return 0;
}
