/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trap entry: save every register into a struct pt_regs on the current
 * stack, call do_trap(regs), restore (do_trap may change sepc and a0 for an
 * expected-fault fixup) and sret. rvmm has no user mode, so the kernel
 * stack is always the right one, unless it has overflowed: a frame that
 * would land in a guard page of the stacks area (asm/layout.h) goes to the
 * hart's overflow stack instead, and do_stack_overflow() reports it.
 */
#include <asm/csr.h>
#include <asm/layout.h>

#define REG(n)	(8 * (n))
#define FRAME	(8 * 36)

/* Store x1, x3..x31, sp + FRAME as the sp at the trap, then sepc and the CSRs. */
.macro SAVE_REGS
	sd	x1, REG(1)(sp)
	sd	x3, REG(3)(sp)
	sd	x4, REG(4)(sp)
	sd	x5, REG(5)(sp)
	sd	x6, REG(6)(sp)
	sd	x7, REG(7)(sp)
	sd	x8, REG(8)(sp)
	sd	x9, REG(9)(sp)
	sd	x10, REG(10)(sp)
	sd	x11, REG(11)(sp)
	sd	x12, REG(12)(sp)
	sd	x13, REG(13)(sp)
	sd	x14, REG(14)(sp)
	sd	x15, REG(15)(sp)
	sd	x16, REG(16)(sp)
	sd	x17, REG(17)(sp)
	sd	x18, REG(18)(sp)
	sd	x19, REG(19)(sp)
	sd	x20, REG(20)(sp)
	sd	x21, REG(21)(sp)
	sd	x22, REG(22)(sp)
	sd	x23, REG(23)(sp)
	sd	x24, REG(24)(sp)
	sd	x25, REG(25)(sp)
	sd	x26, REG(26)(sp)
	sd	x27, REG(27)(sp)
	sd	x28, REG(28)(sp)
	sd	x29, REG(29)(sp)
	sd	x30, REG(30)(sp)
	sd	x31, REG(31)(sp)
	addi	t0, sp, FRAME
	sd	t0, REG(2)(sp)		/* sp before the trap */
	csrr	t0, sepc
	sd	t0, REG(0)(sp)		/* slot 0 holds sepc (x0 needs none) */
	csrr	t0, sstatus
	sd	t0, REG(32)(sp)
	csrr	t0, scause
	sd	t0, REG(33)(sp)
	csrr	t0, stval
	sd	t0, REG(34)(sp)

.endm

	.section .text
	.globl trap_entry
	.balign 4
trap_entry:
	/*
	 * Only t0 may be touched before the frame is saved; sscratch holds it
	 * meanwhile (rvmm has no user mode and no other use for sscratch).
	 */
	csrw	sscratch, t0
	addi	t0, sp, -FRAME
	srai	t0, t0, STACKS_SHIFT
	addi	t0, t0, 1		/* 0: the frame is in the stacks area */
	bnez	t0, 1f
	addi	t0, sp, -FRAME
	srli	t0, t0, STACK_SHIFT
	andi	t0, t0, 1		/* 0: in the lower half of a slot, a guard */
	beqz	t0, stack_overflow
1:	csrr	t0, sscratch
	addi	sp, sp, -FRAME
	SAVE_REGS

	mv	a0, sp
	call	do_trap

	ld	t0, REG(0)(sp)
	csrw	sepc, t0
	ld	t0, REG(32)(sp)
	csrw	sstatus, t0
	ld	x1, REG(1)(sp)
	ld	x3, REG(3)(sp)
	ld	x4, REG(4)(sp)
	ld	x5, REG(5)(sp)
	ld	x6, REG(6)(sp)
	ld	x7, REG(7)(sp)
	ld	x8, REG(8)(sp)
	ld	x9, REG(9)(sp)
	ld	x10, REG(10)(sp)
	ld	x11, REG(11)(sp)
	ld	x12, REG(12)(sp)
	ld	x13, REG(13)(sp)
	ld	x14, REG(14)(sp)
	ld	x15, REG(15)(sp)
	ld	x16, REG(16)(sp)
	ld	x17, REG(17)(sp)
	ld	x18, REG(18)(sp)
	ld	x19, REG(19)(sp)
	ld	x20, REG(20)(sp)
	ld	x21, REG(21)(sp)
	ld	x22, REG(22)(sp)
	ld	x23, REG(23)(sp)
	ld	x24, REG(24)(sp)
	ld	x25, REG(25)(sp)
	ld	x26, REG(26)(sp)
	ld	x27, REG(27)(sp)
	ld	x28, REG(28)(sp)
	ld	x29, REG(29)(sp)
	ld	x30, REG(30)(sp)
	ld	x31, REG(31)(sp)
	addi	sp, sp, FRAME
	sret

/*
 * The top of this hart's overflow stack is slot STACK_SLOTS / 2 + tp, i.e.
 * (tp + 1 - STACK_SLOTS / 2) << STACK_SLOT_SHIFT: from tp and immediates
 * alone. The sp at the trap goes in its top word, then into the frame.
 */
stack_overflow:
	addi	t0, tp, 1 - STACK_SLOTS / 2
	slli	t0, t0, STACK_SLOT_SHIFT
	sd	sp, -8(t0)
	addi	sp, t0, -16 - FRAME
	csrr	t0, sscratch
	SAVE_REGS
	ld	t0, FRAME + 8(sp)
	sd	t0, REG(2)(sp)
	mv	a0, sp
	call	do_stack_overflow
2:	wfi
	j	2b

/* void call_on_stack(fn, sp): switch to the stack below @sp and run @fn. */
	.globl call_on_stack
call_on_stack:
	mv	sp, a1
	li	ra, 0			/* @fn never returns; end backtraces here */
	jr	a0

/*
 * Probes for tests: access @a0 and return 0, or -EFAULT (-14) if the access
 * faulted. The faulting instruction and its fixup are listed in __ex_table.
 */
#define EX_ENTRY(insn, fixup)		\
	.pushsection __ex_table, "a";	\
	.balign 8;			\
	.dword insn, fixup;		\
	.popsection

	.globl probe_read
probe_read:				/* int probe_read(addr, unsigned long *val) */
1:	ld	t0, 0(a0)
	sd	t0, 0(a1)
	li	a0, 0
	ret
	EX_ENTRY(1b, 9f)

	.globl probe_write
probe_write:				/* int probe_write(addr, unsigned long val) */
2:	sd	a1, 0(a0)
	li	a0, 0
	ret
	EX_ENTRY(2b, 9f)

	.globl probe_read_byte
probe_read_byte:			/* int probe_read_byte(addr) */
3:	lbu	t0, 0(a0)
	li	a0, 0
	ret
	EX_ENTRY(3b, 9f)

9:	li	a0, -14
	ret

/*
 * int probe_exec(addr): call @addr (which must hold a "ret"). An instruction
 * fault there has sepc == addr, outside any table: trap.c sees the armed
 * exec probe and returns to our caller with -EFAULT.
 */
	.globl probe_exec
probe_exec:
	addi	sp, sp, -16
	sd	ra, 8(sp)
	mv	t0, a0
	li	a0, 0
	jalr	t0
	ld	ra, 8(sp)
	addi	sp, sp, 16
	ret

/* int probe_cbo_zero(addr): 0, or -EFAULT if cbo.zero is illegal here. */
	.globl probe_cbo_zero
probe_cbo_zero:
4:	.insn i 0x0f, 2, x0, 4(a0)
	li	a0, 0
	ret
	EX_ENTRY(4b, 9b)
