/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_INIT_H
#define RVMM_INIT_H

#include <rvmm/types.h>

/*
 * Boot-only code and data. Everything that memory hotplug can reach must
 * NOT carry these (create_pgd_mapping was __init in Linux before "riscv:
 * mm: Change attribute from __init to __meminit for page functions", and
 * would have run from freed memory). The linker script groups them so that
 * free_initmem() can release and unmap them after boot.
 */
#define __init		__section(".init.text")
#define __initdata	__section(".init.data")

#endif
