/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ASM_SMP_H
#define ASM_SMP_H

/*
 * The entry spin-wait (head.S): a hart that a loader sent to the image's
 * entry after the boot hart waits on spinwait_boot[hartid] until
 * smp_init() stores there the physical address of its struct hart_boot
 * (or SPINWAIT_PARK). The hart claims its slot with a swap to 0, so that
 * smp_init() can withdraw an unclaimed offer without a race.
 */
#define SPINWAIT_MAX_HARTS	64
#define SPINWAIT_PARK		1

#ifndef __ASSEMBLY__
extern unsigned long spinwait_boot[SPINWAIT_MAX_HARTS];
#endif

#endif
