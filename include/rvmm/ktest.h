/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_KTEST_H
#define RVMM_KTEST_H

/*
 * A KUnit-like self-test harness. Suites live in the ".ktest_suites" linker
 * section, so adding a test file is enough to run it. Output is KTAP v1.
 * The same header builds on the host (tests/host) with the same macros.
 */
#include <rvmm/types.h>

struct ktest {
	const char *name;
	int failed;
	int skipped;
	const char *skip_reason;
};

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	size_t nr_cases;
	/* Optional: check counters around every case (free pages, PT pages). */
	bool check_leaks;
	/* Only when named (rvmm.tests=) or asked for (rvmm.bench): benchmarks. */
	bool on_request;
};

#define KTEST_CASE(fn) { #fn, fn }

#define __KTEST_SUITE(sname, leaks, request, ...)				\
	static const struct ktest_case __ktest_cases_##sname[] = { __VA_ARGS__ };	\
	static const struct ktest_suite __ktest_suite_##sname			\
		__section("ktest_suites") __used __aligned(8) = {		\
		.name = #sname, .cases = __ktest_cases_##sname,			\
		.nr_cases = ARRAY_SIZE(__ktest_cases_##sname),			\
		.check_leaks = leaks, .on_request = request,			\
	}
#define KTEST_SUITE(sname, leaks, ...) __KTEST_SUITE(sname, leaks, false, __VA_ARGS__)
/* A suite that runs only on request: the benchmarks. */
#define KTEST_SUITE_ON_REQUEST(sname, leaks, ...)				\
	__KTEST_SUITE(sname, leaks, true, __VA_ARGS__)

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
	__printf(4, 5);
void ktest_skip(struct ktest *t, const char *reason);
/*
 * Run the suites @filter names (comma-separated; empty: every suite not on
 * request), plus those on request when @requested. KTAP on the console.
 */
int ktest_run_all(const char *filter, bool requested, int *passed, int *failed, int *skipped);

#define KEXPECT_TRUE(t, c) do {							\
	if (!(c)) ktest_fail(t, __FILE__, __LINE__, "expected %s", #c);	\
} while (0)
#define KASSERT_TRUE(t, c) do {							\
	if (!(c)) { ktest_fail(t, __FILE__, __LINE__, "expected %s", #c); return; } \
} while (0)
#define __KCMP(t, a, op, b, ret) do {						\
	long long __a = (long long)(a), __b = (long long)(b);			\
	if (!(__a op __b)) {							\
		ktest_fail(t, __FILE__, __LINE__,				\
			   "expected %s %s %s, got %lld (0x%llx) vs %lld (0x%llx)", \
			   #a, #op, #b, __a, (unsigned long long)__a, __b,	\
			   (unsigned long long)__b);				\
		ret;								\
	}									\
} while (0)
#define KEXPECT_EQ(t, a, b) __KCMP(t, a, ==, b, (void)0)
#define KEXPECT_NE(t, a, b) __KCMP(t, a, !=, b, (void)0)
#define KEXPECT_LT(t, a, b) __KCMP(t, a, <, b, (void)0)
#define KEXPECT_LE(t, a, b) __KCMP(t, a, <=, b, (void)0)
#define KEXPECT_GE(t, a, b) __KCMP(t, a, >=, b, (void)0)
#define KEXPECT_GT(t, a, b) __KCMP(t, a, >, b, (void)0)
#define KASSERT_EQ(t, a, b) __KCMP(t, a, ==, b, return)
#define KASSERT_NE(t, a, b) __KCMP(t, a, !=, b, return)
#define KASSERT_GE(t, a, b) __KCMP(t, a, >=, b, return)

#endif
