// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's virtual layout for the paging mode setup_vm() found (see
 * the map in asm/layout.h). Portable: the host build runs this same code
 * and then moves only the vmemmap onto its host reservation.
 */
#include <asm/layout.h>

struct kernel_layout kl;

void layout_init(int va_bits)
{
	kl.va_bits = va_bits;
	kl.levels = (va_bits - 12) / 9;
	kl.page_offset = LAYOUT_PAGE_OFFSET(va_bits);
	kl.linear_size = LAYOUT_LINEAR_SIZE(va_bits);
	kl.vmemmap_start = LAYOUT_VMEMMAP(va_bits);
	kl.vmemmap_size = LAYOUT_VMEMMAP_SIZE(va_bits);
	kl.ioremap_start = kl.page_offset + kl.linear_size;
}
