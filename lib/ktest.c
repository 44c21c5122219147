// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test runner: walks the "ktest_suites" section and prints KTAP v1
 * (the format of Linux KUnit): one subtest block per suite, then a top-level
 * result line per suite. Suites flagged check_leaks also assert that free
 * pages and page-table pages are unchanged around every case.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <rvmm/ktest.h>
#include <rvmm/printk.h>

extern const struct ktest_suite __start_ktest_suites[];
extern const struct ktest_suite __stop_ktest_suites[];

/* Provided by mm (or the host environment): counters for leak checks. */
unsigned long ktest_free_pages(void);
unsigned long ktest_pt_pages(void);
/* The kernel's page-table audit after every case (arch/riscv/mm/ptdump.c). */
void ktest_audit(void) __attribute__((weak));

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("    # %s: %s:%d: %s\n", t->name, file, line, buf);
	t->failed++;
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = 1;
	t->skip_reason = reason;
}

static bool suite_named(const char *filter, const char *name)
{
	size_t n = strlen(name);
	const char *p = filter;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

static bool suite_selected(const char *filter, bool requested, const struct ktest_suite *s)
{
	if (s->on_request && requested)
		return true;
	if (!filter || !*filter)
		return !s->on_request;
	return suite_named(filter, s->name);
}

static int run_suite(const struct ktest_suite *s, int idx, int *passed,
		     int *failed, int *skipped)
{
	int bad = 0;

	printk("    KTAP version 1\n");
	printk("    # Subtest: %s\n", s->name);
	printk("    1..%u\n", (unsigned int)s->nr_cases);
	for (size_t i = 0; i < s->nr_cases; i++) {
		struct ktest t = { .name = s->cases[i].name };
		unsigned long fp = 0, pt = 0;

		if (s->check_leaks) {
			fp = ktest_free_pages();
			pt = ktest_pt_pages();
		}
		s->cases[i].run(&t);
		if (ktest_audit)
			ktest_audit();
		if (s->check_leaks && !t.skipped) {
			if (ktest_free_pages() != fp)
				ktest_fail(&t, __FILE__, __LINE__,
					   "free pages leaked: %lu before, %lu after",
					   fp, ktest_free_pages());
			if (ktest_pt_pages() != pt)
				ktest_fail(&t, __FILE__, __LINE__,
					   "page-table pages leaked: %lu before, %lu after",
					   pt, ktest_pt_pages());
		}
		if (t.failed) {
			printk("    not ok %u %s\n", (unsigned int)i + 1, t.name);
			(*failed)++;
			bad = 1;
		} else if (t.skipped) {
			printk("    ok %u %s # SKIP %s\n", (unsigned int)i + 1, t.name,
			       t.skip_reason ? t.skip_reason : "");
			(*skipped)++;
		} else {
			printk("    ok %u %s\n", (unsigned int)i + 1, t.name);
			(*passed)++;
		}
	}
	printk("%s %d %s\n", bad ? "not ok" : "ok", idx, s->name);
	return bad;
}

int ktest_run_all(const char *filter, bool requested, int *passed, int *failed, int *skipped)
{
	const struct ktest_suite *s;
	int n = 0, idx = 0;

	*passed = *failed = *skipped = 0;
	for (s = __start_ktest_suites; s < __stop_ktest_suites; s++)
		n += suite_selected(filter, requested, s);
	printk("KTAP version 1\n1..%d\n", n);
	for (s = __start_ktest_suites; s < __stop_ktest_suites; s++)
		if (suite_selected(filter, requested, s))
			run_suite(s, ++idx, passed, failed, skipped);
	printk("# Totals: pass:%d fail:%d skip:%d\n", *passed, *failed, *skipped);
	return *failed ? -1 : 0;
}
