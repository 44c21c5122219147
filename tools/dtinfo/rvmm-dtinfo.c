// SPDX-License-Identifier: GPL-2.0
/*
 * rvmm-dtinfo <dtb>: what the kernel takes from a device tree, through the
 * kernel's own parsers built for the host: boot/dt.c, the early helpers,
 * and the node parsers of the PLIC and ECAM host bridge drivers (the first
 * enabled node each driver matches). One fact per line,
 * "<key> <values...>", in the order below; the format is versioned by the
 * first line and documented in README.md ("rvmm-dtinfo").
 *
 * Exit status: 0, 1 when the tree is refused (the kernel would panic with
 * the same message), 2 on a usage or file error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>
#include <asm/fdt_early.h>
#include <rvmm/dt.h>
#include <rvmm/of_fdt.h>
#include <rvmm/pci-ecam.h>
#include <rvmm/plic.h>

#define DTINFO_FORMAT 1
#define DTB_MAX (2u << 20) /* the kernel maps 2 MiB for the tree */

static struct dt_info info;
static struct plic_dt plic;
static struct pci_host_dt pci;
static bool has_plic, has_pci;

static void *read_blob(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;

	if (!f)
		return NULL;
	buf = malloc(DTB_MAX);
	*len = buf ? fread(buf, 1, DTB_MAX, f) : 0;
	fclose(f);
	return buf;
}

static const char *mode_name(int mmu)
{
	switch (mmu) {
	case DT_MMU_SV39:
		return "sv39";
	case DT_MMU_SV48:
		return "sv48";
	case DT_MMU_SV57:
		return "sv57";
	default:
		return "none";
	}
}

static void print_memory(void)
{
	for (int i = 0; i < info.nr_mem; i++)
		printf("ram 0x%llx 0x%llx\n", (unsigned long long)info.mem[i].base,
		       (unsigned long long)info.mem[i].size);
	for (int i = 0; i < info.nr_rsv; i++) {
		const struct dt_reserved *r = &info.rsv[i];
		const char *map = r->nomap ? "no-map" : "map";

		if (r->dynamic)
			printf("reserved dynamic 0x%llx align 0x%llx %s %s\n",
			       (unsigned long long)r->size, (unsigned long long)r->align, map,
			       r->name);
		else
			printf("reserved 0x%llx 0x%llx %s %s\n", (unsigned long long)r->base,
			       (unsigned long long)r->size, map, r->name);
	}
}

/*
 * The modes setup_vm() tries, largest first, as it would cap them. Returns
 * the first: the mode the kernel runs in where the hart accepts it.
 */
static int print_paging(const void *fdt)
{
	static const int modes[] = { DT_MMU_SV57, DT_MMU_SV48, DT_MMU_SV39 };
	int limit = dt_paging_limit(dt_early_mmu_limit(fdt), info.bootargs);

	printf("paging");
	for (unsigned int i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i] <= limit)
			printf(" %s", mode_name(modes[i]));
	printf("\n");
	return limit;
}

/* "used" is smp_init()'s rule, in the mode the kernel would run. */
static void print_harts(int va_bits)
{
	for (int i = 0; i < info.nr_cpus; i++) {
		const struct dt_cpu *c = &info.cpus[i];
		const char *why = dt_cpu_unusable(c, va_bits);
		u32 bs = dt_cpu_cboz_block(c);

		int ctx = has_plic ? plic_s_context(&plic, c->hartid) : -1;

		printf("hart %u mmu %s plic-s-context ", c->hartid, mode_name(c->mmu));
		if (ctx < 0)
			printf("none");
		else
			printf("%d", ctx);
		if (bs)
			printf(" zicboz %u", bs);
		else
			printf(" zicboz none");
		printf(" isa %s used %s%s\n", c->isa[0] ? c->isa : "-", why ? "no: " : "yes",
		       why ? why : "");
	}
}

static void print_devices(void)
{
	if (info.test_syscon)
		printf("test-syscon 0x%llx\n", (unsigned long long)info.test_syscon);
	else
		printf("test-syscon none\n");
	if (has_plic)
		printf("plic 0x%llx ndev %u\n", (unsigned long long)plic.base, plic.ndev);
	else
		printf("plic none\n");
	if (has_pci)
		printf("pci-host 0x%llx 0x%llx bus %u-%u\n", (unsigned long long)pci.ecam_base,
		       (unsigned long long)pci.ecam_size, pci.bus_start, pci.bus_end);
	else
		printf("pci-host none\n");
}

/* The first enabled node @table's driver would take, or -1. */
static int driver_node(const void *fdt, const struct of_device_id *table)
{
	for (int n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL))
		if (dt_node_enabled(fdt, n) && of_match_node(table, fdt, n))
			return n;
	return -1;
}

/* The drivers refuse a node the kernel still boots without: so does this tool. */
static int parse_devices(const void *fdt, const char *path, char *err, size_t errlen)
{
	int node = driver_node(fdt, plic_of_match), ret = 0;

	if (node >= 0) {
		ret = plic_parse_node(fdt, node, &plic, err, errlen);
		has_plic = !ret;
	}
	node = driver_node(fdt, pci_host_ecam_of_match);
	if (!ret && node >= 0) {
		ret = pci_host_parse_node(fdt, node, &pci, err, errlen);
		has_pci = !ret;
	}
	if (ret)
		fprintf(stderr, "%s: refused: %s (%d)\n", path, err, ret);
	return ret;
}

int main(int argc, char **argv)
{
	char err[192];
	size_t len;
	void *fdt;
	int ret, va_bits;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <dtb>\n", argv[0]);
		return 2;
	}
	fdt = read_blob(argv[1], &len);
	if (!fdt) {
		perror(argv[1]);
		return 2;
	}
	ret = dt_parse(fdt, len, &info, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: refused: %s (%d)\n", argv[1], err, ret);
		return 1;
	}
	if (parse_devices(fdt, argv[1], err, sizeof(err)))
		return 1;
	printf("rvmm-dtinfo %d\n", DTINFO_FORMAT);
	print_memory();
	va_bits = print_paging(fdt);
	printf("timebase %llu\n", (unsigned long long)info.timebase_freq);
	print_harts(va_bits);
	print_devices();
	printf("bootargs%s%s\n", info.bootargs[0] ? " " : "", info.bootargs);
	free(fdt);
	return 0;
}
