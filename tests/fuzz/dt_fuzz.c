// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the device-tree parsers (`make fuzz`, rules in
 * tests/fuzz/fuzz.mk): boot/dt.c, the early helpers and the drivers' node
 * parsers (PLIC, ECAM host bridge).
 *
 * The input is handed to dt_parse() as is: libFuzzer passes an exactly
 * sized heap copy, so ASan flags any read past @size. The contract checked
 * is dt.h's: success, or a negative errno with a message. The early
 * helpers run on whatever dt_early_check() accepts, as head.S would, and
 * the node parsers on every PLIC and ECAM node of what dt_parse() accepts,
 * as the drivers would. A custom mutator edits properties of valid trees
 * through fdt_rw.
 *
 * Built with -DDT_FUZZ_SEEDGEN instead, it is a small program that writes
 * the test suites' trees (tests/common/dt_builders.h) into a corpus dir.
 */
#include "../common/dt_builders.h"
#include <stdint.h>
#include <stdlib.h>
#include <asm/fdt_early.h>
#include <rvmm/of_fdt.h>
#include <rvmm/pci-ecam.h>
#include <rvmm/plic.h>

#ifdef DT_FUZZ_SEEDGEN

static u8 seed_buf[DTB_BUF_SIZE] __aligned(8);

static int write_seed(const char *dir, const char *name, int ret)
{
	char path[512];
	FILE *f;

	if (ret) {
		fprintf(stderr, "dt_seedgen: %s: %s\n", name, fdt_strerror(ret));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s.dtb", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(seed_buf, 1, fdt_totalsize(seed_buf), f) != fdt_totalsize(seed_buf)) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	const int sz = sizeof(seed_buf);
	const char *dir = argc > 1 ? argv[1] : ".";
	int bad = 0;

	bad |= write_seed(dir, "virt", dtb_build_virt(seed_buf, sz, 0));
	bad |= write_seed(dir, "virt-aia-monitor",
			  dtb_build_virt(seed_buf, sz, DTB_VIRT_AIA | DTB_VIRT_MONITOR0));
	bad |= write_seed(dir, "two-mem", dtb_build_two_mem(seed_buf, sz));
	bad |= write_seed(dir, "mem32", dtb_build_mem32(seed_buf, sz));
	bad |= write_seed(dir, "rsv", dtb_build_rsv(seed_buf, sz));
	bad |= write_seed(dir, "cpus", dtb_build_cpus(seed_buf, sz));
	bad |= write_seed(dir, "virt-two-plics", dtb_build_virt(seed_buf, sz, DTB_VIRT_TWO_PLICS));
	return bad;
}

#else

static struct dt_info info;
static struct plic_dt plic;
static struct pci_host_dt pcih;
static u8 mut_buf[1 << 16] __aligned(8);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static void check_node(int ret, const char *err)
{
	if (ret && ((ret != -EINVAL && ret != -E2BIG && ret != -ENOENT) || !err[0])) {
		fprintf(stderr, "node parser: %d without a proper message: \"%s\"\n", ret, err);
		abort();
	}
}

/* Every PLIC and ECAM node, as their drivers would parse it. */
static void parse_device_nodes(const void *fdt)
{
	char err[256];

	for (int n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL)) {
		if (of_match_node(plic_of_match, fdt, n))
			check_node(plic_parse_node(fdt, n, &plic, err, sizeof(err)), err);
		else if (of_match_node(pci_host_ecam_of_match, fdt, n))
			check_node(pci_host_parse_node(fdt, n, &pcih, err, sizeof(err)), err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], bootargs[64];
	int ret, early;

	ret = dt_parse(data, size, &info, err, sizeof(err));
	if (ret && ((ret != -EINVAL && ret != -E2BIG && ret != -ENOENT) || !err[0])) {
		fprintf(stderr, "dt_parse: %d without a proper message: \"%s\"\n", ret, err);
		abort();
	}
	early = dt_early_check(data, size);
	if (!ret && early) {
		fprintf(stderr, "dt_parse accepted what dt_early_check refused\n");
		abort();
	}
	if (!early) {
		dt_early_mmu_limit(data);
		dt_early_bootargs(data, bootargs, sizeof(bootargs));
	}
	if (!ret)
		parse_device_nodes(data);
	return 0;
}

/* Properties dt.c reads: added to random nodes by the mutator. */
static const char *const fuzz_props[] = {
	"reg",
	"device_type",
	"status",
	"#address-cells",
	"#size-cells",
	"#interrupt-cells",
	"no-map",
	"size",
	"alignment",
	"mmu-type",
	"riscv,isa",
	"riscv,isa-extensions",
	"phandle",
	"compatible",
	"interrupts-extended",
	"ranges",
	"interrupt-map",
	"bus-range",
	"timebase-frequency",
	"bootargs",
};

/* The @k-th property of the tree and its node; -1 past the end. */
static int fuzz_nth_prop(const void *fdt, unsigned int k, int *node)
{
	int n, p;

	for (n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL)) {
		fdt_for_each_property_offset(p, fdt, n)
		{
			if (!k--) {
				*node = n;
				return p;
			}
		}
	}
	return -1;
}

/* Rewrite, delete or add one property of a valid tree in mut_buf. */
static int fuzz_edit_prop(unsigned int seed)
{
	u8 val[256];
	char name[64];
	const char *pname;
	const void *pval;
	int node, prop, len, vlen = 0;

	prop = fuzz_nth_prop(mut_buf, (seed >> 4) % 256, &node);
	if (prop < 0)
		return -1;
	pval = fdt_getprop_by_offset(mut_buf, prop, &pname, &len);
	if (!pval)
		return -1;
	/* Copied out: the edit moves the strings block under @pname. */
	snprintf(name, sizeof(name), "%s", pname);
	switch ((seed >> 1) & 7) {
	case 0:
		return fdt_delprop(mut_buf, node, name);
	case 1:
		snprintf(name, sizeof(name), "%s",
			 fuzz_props[(seed >> 12) % ARRAY_SIZE(fuzz_props)]);
		break;
	default:
		vlen = len < (int)sizeof(val) ? len : (int)sizeof(val);
		memcpy(val, pval, vlen);
		break;
	}
	vlen = LLVMFuzzerMutate(val, vlen, sizeof(val));
	return fdt_setprop(mut_buf, node, name, val, vlen);
}

/*
 * Raw byte mutations seldom survive fdt_check_full(), so half of the time
 * a valid input gets a structural edit through fdt_rw instead: the value
 * (and length) of a property changes and the walkers see it.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	size_t out;

	/* dt_early_check(), not bare fdt_check_full(): see its alignment test. */
	if ((seed & 1) || dt_early_check(data, size) ||
	    fdt_open_into(data, mut_buf, sizeof(mut_buf)) || fuzz_edit_prop(seed) ||
	    fdt_pack(mut_buf))
		return LLVMFuzzerMutate(data, size, max_size);
	out = fdt_totalsize(mut_buf);
	if (out > max_size)
		return LLVMFuzzerMutate(data, size, max_size);
	memcpy(data, mut_buf, out);
	return out;
}

#endif
