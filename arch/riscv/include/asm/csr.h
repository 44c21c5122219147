/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_CSR_H
#define ASM_CSR_H

#define SR_SIE		(1UL << 1)
#define SR_SPIE		(1UL << 5)
#define SR_SPP		(1UL << 8)
#define SR_SUM		(1UL << 18)

#define SATP_MODE_SHIFT	60
#define SATP_MODE_SV39	8UL
#define SATP_MODE_SV48	9UL
#define SATP_MODE_SV57	10UL

#define IRQ_S_SOFT	1
#define IRQ_S_TIMER	5
#define IRQ_S_EXT	9
#define SIE_SSIE	(1UL << IRQ_S_SOFT)
#define SIE_STIE	(1UL << IRQ_S_TIMER)
#define SIE_SEIE	(1UL << IRQ_S_EXT)
#define CAUSE_IRQ_FLAG	(1UL << 63)

#define EXC_INST_MISALIGNED	0
#define EXC_INST_ACCESS		1
#define EXC_ILLEGAL_INST	2
#define EXC_BREAKPOINT		3
#define EXC_LOAD_MISALIGNED	4
#define EXC_LOAD_ACCESS		5
#define EXC_STORE_MISALIGNED	6
#define EXC_STORE_ACCESS	7
#define EXC_ECALL_U		8
#define EXC_ECALL_S		9
#define EXC_INST_PAGE_FAULT	12
#define EXC_LOAD_PAGE_FAULT	13
#define EXC_STORE_PAGE_FAULT	15

#ifndef __ASSEMBLY__
#define csr_read(csr) ({ unsigned long __v;				\
	__asm__ __volatile__("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, val) ({ unsigned long __v = (unsigned long)(val);	\
	__asm__ __volatile__("csrw " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_set(csr, val) ({ unsigned long __v = (unsigned long)(val);	\
	__asm__ __volatile__("csrs " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_clear(csr, val) ({ unsigned long __v = (unsigned long)(val);	\
	__asm__ __volatile__("csrc " #csr ", %0" :: "rK"(__v) : "memory"); })

static inline void local_flush_tlb_all(void)
{
	__asm__ __volatile__("sfence.vma" ::: "memory");
}

static inline unsigned long rdinstret(void)
{
	unsigned long v;

	__asm__ __volatile__("rdinstret %0" : "=r"(v));
	return v;
}

static inline unsigned long rdtime(void)
{
	unsigned long v;

	__asm__ __volatile__("rdtime %0" : "=r"(v));
	return v;
}

/*
 * Barriers as in Linux's riscv barrier.h: mb/rmb/wmb order device I/O too;
 * dma_* order ordinary memory shared with a device (virtio rings); the
 * doorbell write after publishing a ring needs wmb().
 */
#define mb()	 __asm__ __volatile__("fence iorw, iorw" ::: "memory")
#define rmb()	 __asm__ __volatile__("fence ir, ir" ::: "memory")
#define wmb()	 __asm__ __volatile__("fence ow, ow" ::: "memory")
#define dma_rmb() __asm__ __volatile__("fence r, r" ::: "memory")
#define dma_wmb() __asm__ __volatile__("fence w, w" ::: "memory")
#define iomb()	 mb()
#endif
#endif
