// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for boot/dt.c (`make fuzz`, rules in tests/fuzz/fuzz.mk).
 *
 * The input is handed to dt_parse() as is: libFuzzer passes an exactly
 * sized heap copy, so ASan flags any read past @size. The contract checked
 * is dt.h's: success, or a negative errno with a message. The early
 * helpers run on whatever dt_early_check() accepts, as head.S would.
 *
 * Built with -DDT_FUZZ_SEEDGEN instead, it is a small program that writes
 * the test suites' trees (tests/common/dt_builders.h) into a corpus dir.
 */
#include "../common/dt_builders.h"
#include <stdint.h>
#include <stdlib.h>

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
	if (!f || fwrite(seed_buf, 1, fdt_totalsize(seed_buf), f) !=
		  fdt_totalsize(seed_buf)) {
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
	bad |= write_seed(dir, "virt-aia-monitor", dtb_build_virt(seed_buf, sz,
			  DTB_VIRT_AIA | DTB_VIRT_MONITOR0));
	bad |= write_seed(dir, "two-mem", dtb_build_two_mem(seed_buf, sz));
	bad |= write_seed(dir, "mem32", dtb_build_mem32(seed_buf, sz));
	bad |= write_seed(dir, "rsv", dtb_build_rsv(seed_buf, sz));
	bad |= write_seed(dir, "cpus", dtb_build_cpus(seed_buf, sz));
	return bad;
}

#else

static struct dt_info info;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], bootargs[64];
	int ret, early;

	ret = dt_parse(data, size, &info, err, sizeof(err));
	if (ret && ((ret != -EINVAL && ret != -E2BIG && ret != -ENOENT) ||
		    !err[0])) {
		fprintf(stderr, "dt_parse: %d without a proper message: \"%s\"\n",
			ret, err);
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
	return 0;
}

#endif
