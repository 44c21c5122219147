// SPDX-License-Identifier: GPL-2.0
/*
 * Host test runner: every KTEST_SUITE linked in (the "ktest_suites"
 * section), under ASan and UBSan, against the simulated machine of sim.c.
 *
 *   build/host/hosttest [suite,suite...]
 *   RVMM_SEED=0x1234 build/host/hosttest host_pgtable   # repeat a run
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <rvmm/ktest.h>
#include "sim.h"

int main(int argc, char **argv)
{
	const char *env = getenv("RVMM_SEED");
	int passed, failed, skipped;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* nothing lost if a test crashes */
	if (env && *env)
		sim_seed = strtoull(env, NULL, 0);
	else
		sim_seed = ((u64)time(NULL) << 20) ^ ((u64)getpid() << 4) ^ (u64)clock();
	printf("# RVMM_SEED=0x%llx (set it to repeat this run)\n",
	       (unsigned long long)sim_seed);
	fflush(stdout);
	if (ktest_run_all(argc > 1 ? argv[1] : NULL, false, &passed, &failed, &skipped) || !passed) {
		printf("# FAILED with RVMM_SEED=0x%llx\n", (unsigned long long)sim_seed);
		return 1;
	}
	return 0;
}
