/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_SETUP_H
#define ASM_SETUP_H

#include <rvmm/types.h>

/* arch/riscv/mm/init.c */
void paging_init(phys_addr_t dtb);
void map_linear(void);		/* hotplug.c: boot RAM's linear map */
void free_initmem(void);
unsigned long satp_value(void);	/* satp of swapper_pg_dir, for other harts */

/* arch/riscv/mm/pageattr.c: the linear map's alias of the image. */
void protect_kernel_alias(void);
int kernel_alias_init_rw(void);
extern unsigned long kernel_alias_pt_pages;

/* arch/riscv/console.c: DBCN wants physical addresses. */
phys_addr_t console_virt_to_phys(const void *p);

#endif
