// SPDX-License-Identifier: GPL-2.0
/*
 * Cache-block geometry the mm core's clear_pages() reads (asm/page.h);
 * start_kernel() sets it once it has probed Zicboz. Kept alone, as
 * Linux's riscv_cboz_block_size is, so that reading it reaches nothing.
 */
#include <asm/page.h>

unsigned int cboz_block_size;
