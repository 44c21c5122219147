/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel entry. OpenSBI (fw_dynamic) or U-Boot's booti jumps here in S-mode
 * with the MMU off: a0 = boot hart id, a1 = physical address of the DTB.
 * The image is linked at KERNEL_VA and may be loaded at any 2 MiB-aligned
 * physical address; everything before the jump to the virtual address is
 * PC-relative.
 */
#include <asm/csr.h>
#include <asm/smp.h>

	.section .head.text, "ax"
	.globl _start
_start:
	/* RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header.rst) */
	.option push
	.option norvc
	j	_start_kernel		/* code0 */
	.word	0			/* code1 */
	.option pop
	.balign 8
	.dword	0x200000		/* text_offset: U-Boot loads us at RAM + 2 MiB */
	.dword	__image_size		/* image_size, bss included */
	.dword	0			/* flags: little endian */
	.word	2			/* version 0.2 */
	.word	0			/* res1 */
	.dword	0			/* res2 */
	.ascii	"RISCV\0\0\0"		/* magic (deprecated) */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0			/* res3: no PE/COFF header */

_start_kernel:
	csrw	sie, zero
	csrw	sip, zero
	/*
	 * One boot hart. A loader may send every hart here (U-Boot's booti
	 * on an SMP board releases its held harts to the kernel's entry): the
	 * first to arrive wins; the others touch nothing but .data and wait
	 * in .Lspinwait until smp_init() hands them their boot data.
	 */
	lla	t0, hart_lottery
	li	t1, 1
	amoadd.w t1, t1, (t0)
	bnez	t1, .Lspinwait
	rdinstret s2			/* for the boot_mm_init benchmark */
	mv	s0, a0
	mv	s1, a1
	lla	sp, boot_stack_top

	/* Clear .bss: the early page-table pool and the stack live there. */
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* Probe the paging mode and turn the MMU on (identity map live). */
	mv	a0, s0
	mv	a1, s1
	call	setup_vm
	/* a0 = KERNEL_VA - load address: continue at the virtual address. */
	lla	t0, 3f
	add	t0, t0, a0
	add	sp, sp, a0
	jr	t0
3:
	la	t0, trap_entry
	csrw	stvec, t0
	csrw	sscratch, zero
	li	tp, 0			/* tp = logical cpu number */
	mv	a0, s0
	mv	a1, s1
	mv	a2, s2
	call	start_kernel
4:	wfi
	j	4b

	/* a0 = hart id. Interrupts are off: nothing but the slot wakes us. */
.Lspinwait:
	li	t0, SPINWAIT_MAX_HARTS
	bgeu	a0, t0, .Lpark
	lla	t0, spinwait_boot
	slli	t1, a0, 3
	add	t0, t0, t1
	li	t2, SPINWAIT_PARK
1:	ld	t1, 0(t0)
	beqz	t1, 1b
	beq	t1, t2, .Lpark
	amoswap.d.aq t1, zero, (t0)	/* claim; smp_init() may have withdrawn */
	beq	t1, t2, .Lpark
	beqz	t1, .Lpark
	mv	a1, t1
	lla	t0, secondary_entry
	jr	t0
.Lpark:
	wfi
	j	.Lpark

	/* In .data: the winner clears .bss while the others read these. */
	.section .data
	.balign 8
	.globl spinwait_boot
spinwait_boot:
	.fill	SPINWAIT_MAX_HARTS, 8, 0
hart_lottery:
	.word	0

/*
 * Secondary harts, started through SBI HSM with the MMU off:
 * a0 = hart id, a1 = physical address of a struct hart_boot
 * { satp, sp, va_pa_offset, cpu }. Writing satp makes the next fetch fault (its
 * physical address is not mapped), which lands on stvec: the virtual
 * address of the label below. No identity mapping is needed.
 */
	.section .text
	.globl secondary_entry
	.balign 4
secondary_entry:
	csrw	sie, zero
	ld	t0, 0(a1)		/* satp */
	ld	sp, 8(a1)		/* stack (virtual) */
	ld	t1, 16(a1)		/* va - pa of the kernel image */
	ld	tp, 24(a1)		/* logical cpu number */
	lla	t2, 5f
	add	t2, t2, t1
	csrw	stvec, t2
	sfence.vma
	csrw	satp, t0
	.balign 4
5:
	la	t0, trap_entry
	csrw	stvec, t0
	csrw	sscratch, zero
	call	secondary_start_kernel
6:	wfi
	j	6b

	.section .bss
	.balign 16
	.globl boot_stack, boot_stack_top
boot_stack:
	.space	16384
boot_stack_top:
