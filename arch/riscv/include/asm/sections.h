/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_SECTIONS_H
#define ASM_SECTIONS_H

/* Boundaries of the kernel image, from linker/kernel.lds. */
extern char _start[], _etext[], _srodata[], _erodata[], _sdata[], _end[];
extern char __init_begin[], __init_end[];

#endif
