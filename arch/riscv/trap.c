// SPDX-License-Identifier: GPL-2.0
/*
 * Trap handling: interrupts are dispatched, expected faults are fixed up
 * through __ex_table, anything else is a panic with the cause, sepc (with
 * its symbol), stval and every register.
 */
#include <stdarg.h>
#include <stdio.h>
#include <asm/csr.h>
#include <asm/pgtable.h>
#include <asm/sbi.h>
#include <rvmm/printk.h>
#include <rvmm/smp.h>
#include <rvmm/trap.h>

struct exception_table_entry {
	unsigned long insn, fixup;
};
extern const struct exception_table_entry __start___ex_table[];
extern const struct exception_table_entry __stop___ex_table[];

extern const unsigned long ksym_count;
extern const unsigned long ksym_addrs[];
extern const char *const ksym_names[];

unsigned long last_fixup_cause, last_fixup_addr;
static bool exec_probe_armed[NR_CPUS];
static irq_handler_t ext_handler, timer_handler, soft_handler;

static const char *const exc_names[] = {
	[EXC_INST_MISALIGNED] = "instruction address misaligned",
	[EXC_INST_ACCESS] = "instruction access fault",
	[EXC_ILLEGAL_INST] = "illegal instruction",
	[EXC_BREAKPOINT] = "breakpoint",
	[EXC_LOAD_MISALIGNED] = "load address misaligned",
	[EXC_LOAD_ACCESS] = "load access fault",
	[EXC_STORE_MISALIGNED] = "store/AMO address misaligned",
	[EXC_STORE_ACCESS] = "store/AMO access fault",
	[EXC_ECALL_U] = "environment call from U-mode",
	[EXC_ECALL_S] = "environment call from S-mode",
	[EXC_INST_PAGE_FAULT] = "instruction page fault",
	[EXC_LOAD_PAGE_FAULT] = "load page fault",
	[EXC_STORE_PAGE_FAULT] = "store/AMO page fault",
};

static const char *const reg_names[] = {
	"sepc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
	"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
	"s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
	"t3", "t4", "t5", "t6",
};

const char *ksym_lookup(unsigned long addr, unsigned long *off)
{
	unsigned long lo = 0, hi;

	if (!ksym_count)
		return NULL;
	hi = ksym_count;
	if (addr < ksym_addrs[0])
		return NULL;
	while (hi - lo > 1) {		/* last symbol <= addr */
		unsigned long mid = (lo + hi) / 2;

		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*off = addr - ksym_addrs[lo];
	return ksym_names[lo];
}

static void print_sym(const char *what, unsigned long addr)
{
	unsigned long off = 0;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		printk("rvmm: %s: 0x%016lx <%s+0x%lx>\n", what, addr, name, off);
	else
		printk("rvmm: %s: 0x%016lx\n", what, addr);
}

static const char *trap_name(unsigned long cause)
{
	if (!(cause & CAUSE_IRQ_FLAG) && cause < ARRAY_SIZE(exc_names) && exc_names[cause])
		return exc_names[cause];
	return "unknown";
}

static bool is_mem_fault(unsigned long cause)
{
	return cause == EXC_LOAD_PAGE_FAULT || cause == EXC_STORE_PAGE_FAULT ||
	       cause == EXC_INST_PAGE_FAULT || cause == EXC_LOAD_ACCESS ||
	       cause == EXC_STORE_ACCESS || cause == EXC_INST_ACCESS;
}

/* Every panic from a trap ends here: sepc, stval, every register, exit 3. */
static __noreturn void die(struct pt_regs *regs)
{
	const unsigned long *r = (const unsigned long *)regs;

	print_sym("sepc", regs->sepc);
	printk("rvmm: stval: 0x%016lx\n", regs->stval);
	print_sym("ra", regs->ra);
	for (int i = 1; i < 32; i += 3) {
		char line[128];
		int n = 0;

		for (int j = i; j < i + 3 && j < 32; j++)
			n += snprintf(line + n, sizeof(line) - n, " %4s: %016lx",
				      reg_names[j], r[j]);
		printk("rvmm:%s\n", line);
	}
	printk("rvmm: sstatus: 0x%016lx\n", regs->sstatus);
	machine_shutdown(true, 3);
}

static __noreturn void trap_panic(struct pt_regs *regs)
{
	unsigned long cause = regs->scause;

	/* The first page is never mapped: a fault there is a NULL pointer. */
	if (is_mem_fault(cause) && regs->stval < PAGE_SIZE)
		printk("rvmm: PANIC: NULL pointer dereference at 0x%lx on hart %d: %s (scause 0x%lx)\n",
		       regs->stval, smp_processor_id(), trap_name(cause), cause);
	else
		printk("rvmm: PANIC: unexpected trap on hart %d: %s (scause 0x%lx)\n",
		       smp_processor_id(), trap_name(cause), cause);
	die(regs);
}

/*
 * entry.S found the stack pointer in a guard page and moved to this hart's
 * overflow stack; regs->sp is the stack pointer at the trap.
 */
__noreturn void do_stack_overflow(struct pt_regs *regs)
{
	printk("rvmm: PANIC: stack overflow on hart %d: sp 0x%lx, %s (scause 0x%lx)\n",
	       smp_processor_id(), regs->sp, trap_name(regs->scause), regs->scause);
	die(regs);
}

static bool fixup_exception(struct pt_regs *regs)
{
	const struct exception_table_entry *e;
	int cpu = smp_processor_id();

	for (e = __start___ex_table; e < __stop___ex_table; e++) {
		if (e->insn == regs->sepc) {
			regs->sepc = e->fixup;
			goto fixed;
		}
	}
	if (exec_probe_armed[cpu] &&
	    (regs->scause == EXC_INST_PAGE_FAULT || regs->scause == EXC_INST_ACCESS)) {
		regs->sepc = regs->ra;	/* back into probe_exec */
		regs->a0 = -EFAULT;
		goto fixed;
	}
	return false;
fixed:
	last_fixup_cause = regs->scause;
	last_fixup_addr = regs->stval;
	return true;
}

void probe_exec_arm(bool on)
{
	exec_probe_armed[smp_processor_id()] = on;
}

void set_external_irq_handler(irq_handler_t h) { ext_handler = h; }
void set_timer_handler(irq_handler_t h) { timer_handler = h; }
void set_soft_irq_handler(irq_handler_t h) { soft_handler = h; }

void do_trap(struct pt_regs *regs)
{
	unsigned long cause = regs->scause;

	if (cause & CAUSE_IRQ_FLAG) {
		unsigned long irq = cause & ~CAUSE_IRQ_FLAG;
		irq_handler_t h = irq == IRQ_S_EXT ? ext_handler :
				  irq == IRQ_S_TIMER ? timer_handler :
				  irq == IRQ_S_SOFT ? soft_handler : NULL;

		if (irq == IRQ_S_SOFT)
			csr_clear(sip, SIE_SSIE);
		if (h) {
			h();
			return;
		}
		if (irq == IRQ_S_TIMER) {	/* nobody asked: silence it */
			csr_clear(sie, SIE_STIE);
			return;
		}
		trap_panic(regs);
	}
	if (is_mem_fault(cause) || cause == EXC_ILLEGAL_INST) {
		if (fixup_exception(regs))
			return;
	}
	trap_panic(regs);
}

void trap_init(void)
{
	extern char trap_entry[];

	csr_write(stvec, (unsigned long)trap_entry);
}
