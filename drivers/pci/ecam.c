// SPDX-License-Identifier: GPL-2.0
/*
 * Generic ECAM PCI host bridge: the firmware (OpenSBI on QEMU virt) leaves
 * every BAR unassigned, so we enumerate, size and place BARs ourselves in
 * the windows of the DT "ranges", depth first, with one bump allocator per
 * window. A bridge gets the 1 MiB-aligned span its subtree used. Each
 * function found is offered to the PCI drivers (pci_bus_bind()). One host
 * bridge is driven; its node is parsed by ecam_dt.c.
 */
#include <stdio.h>
#include <asm/layout.h>
#include <rvmm/driver.h>
#include <rvmm/io.h>
#include <rvmm/irqdomain.h>
#include <rvmm/memory_hotplug.h>
#include <rvmm/mm.h>
#include <rvmm/pci-ecam.h>
#include <rvmm/pci.h>
#include <rvmm/printk.h>

struct pci_window {
	u64 cpu, pci, size;	/* from the DT "ranges" entry */
	u64 next;		/* bump pointer (CPU address) */
};

static struct {
	u8 *cfg;		/* ECAM of buses bus_start..bus_end */
	u32 bus_start, bus_end, next_bus;
	struct pci_window mem32, mem64, io;
	struct pci_host_dt dt;
} host;

/* The bus address of CPU address @cpu inside window @w. */
static u64 bus_addr(const struct pci_window *w, u64 cpu)
{
	return cpu - w->cpu + w->pci;
}

static struct pci_dev devs[PCI_MAX_DEVICES];
static int dev_parent[PCI_MAX_DEVICES];	/* index of the upstream bridge, -1 */
static int nr_devs;

#define DEVFN(d) PCI_DEVFN((u32)(d)->dev, (u32)(d)->fn)

/* Register @off of @d, aligned down to its @size (1, 2 or 4 bytes). */
static volatile void *cfg_addr(const struct pci_dev *d, unsigned int off, unsigned int size)
{
	off &= 0xfff & ~(size - 1);
	return host.cfg + (((d->bus - host.bus_start) << 20) | (DEVFN(d) << 12) | off);
}

u8 pci_read8(const struct pci_dev *d, unsigned int off)
{
	return readb(cfg_addr(d, off, 1));
}

u16 pci_read16(const struct pci_dev *d, unsigned int off)
{
	return readw(cfg_addr(d, off, 2));
}

u32 pci_read32(const struct pci_dev *d, unsigned int off)
{
	return readl(cfg_addr(d, off, 4));
}

void pci_write8(const struct pci_dev *d, unsigned int off, u8 v)
{
	writeb(v, cfg_addr(d, off, 1));
}

void pci_write16(const struct pci_dev *d, unsigned int off, u16 v)
{
	writew(v, cfg_addr(d, off, 2));
}

void pci_write32(const struct pci_dev *d, unsigned int off, u32 v)
{
	writel(v, cfg_addr(d, off, 4));
}

u8 pci_find_next_capability(const struct pci_dev *d, u8 pos, u8 id)
{
	int ttl = 48;	/* a looping list must not hang us */

	if (!pos) {
		if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
			return 0;
		pos = pci_read8(d, PCI_CAPABILITY_LIST);
	} else {
		pos = pci_read8(d, pos + 1);
	}
	while (ttl-- && pos >= 0x40) {
		pos &= ~3;
		if (pci_read8(d, pos) == id)
			return pos;
		pos = pci_read8(d, pos + 1);
	}
	return 0;
}

void pci_intx(const struct pci_dev *d, bool enable)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);

	cmd = enable ? cmd & ~PCI_COMMAND_INTX_DISABLE : cmd | PCI_COMMAND_INTX_DISABLE;
	pci_write16(d, PCI_COMMAND, cmd);
}

/* ---- windows ---- */

static u64 window_alloc(struct pci_window *w, u64 size, u64 align)
{
	u64 a;

	if (!w->size)
		return 0;
	a = ALIGN(w->next, align);
	if (a < w->next || a + size > w->cpu + w->size || a + size < a)
		return 0;
	w->next = a + size;
	return a;
}

static void windows_init(const struct pci_host_dt *dt)
{
	for (int i = 0; i < dt->nr_ranges; i++) {
		const struct pci_range *r = &dt->ranges[i];
		struct pci_window *w = r->space == PCI_SPACE_IO ? &host.io :
				       r->space == PCI_SPACE_MEM64 ? &host.mem64 : &host.mem32;

		/* First range of each kind wins; MEM32 must sit below 4 GiB. */
		if (w->size || (w == &host.mem32 && r->pci_addr + r->size > (1ULL << 32)))
			continue;
		w->cpu = w->next = r->cpu_addr;
		w->pci = r->pci_addr;
		w->size = r->size;
	}
	/* PCI address 0 in a memory window would read as "unassigned". */
	if (host.mem32.size && !host.mem32.pci)
		host.mem32.next += PAGE_SIZE;
	if (host.io.size && host.io.pci < 0x1000)	/* legacy ISA ports */
		host.io.next += 0x1000 - host.io.pci;
}

/* ---- INTx routing: swizzle up to the root bus, then the interrupt-map ---- */

/* The interrupt-map entry of @idx's INTx, or NULL. */
static const struct pci_irq_map *route_intx(int idx)
{
	const struct pci_dev *d = &devs[idx];
	u32 pin = d->pin;

	if (!pin || pin > 4)
		return NULL;
	/* Each bridge rotates the pin by the device number below it. */
	while (dev_parent[idx] >= 0) {
		pin = ((pin - 1 + devs[idx].dev) % 4) + 1;
		idx = dev_parent[idx];
	}
	return pci_host_map_intx(&host.dt, devs[idx].bus, DEVFN(&devs[idx]), pin);
}

/* A routed INTx counts only where its controller is driven. */
static void setup_intx(struct pci_dev *d, int idx)
{
	const struct pci_irq_map *m = route_intx(idx);

	d->irq = -1;
	if (!m)
		return;
	d->irq = (int)m->hwirq;
	if (irq_find_host(m->parent, &d->irq_domain))
		d->irq_domain = NULL;
	pci_write8(d, PCI_INTERRUPT_LINE, (u8)d->irq);
}

/* ---- BARs ---- */

/* Size every BAR with decoding off: write all-ones, read the mask back. */
static void size_bars(struct pci_dev *d, int nbars)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);

	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (int i = 0; i < nbars; i++) {
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		struct pci_bar *b = &d->bar[i];
		u32 orig = pci_read32(d, off), lo, hi = ~0u;
		u64 mask;

		pci_write32(d, off, ~0u);
		lo = pci_read32(d, off);
		pci_write32(d, off, orig);
		if (!lo || lo == ~0u)
			continue;	/* not implemented (or the device vanished) */
		if (orig & PCI_BASE_ADDRESS_SPACE_IO) {
			lo &= ~3u;
			if (!(lo & 0xffff0000))	/* 16-bit decoder */
				lo |= 0xffff0000;
			b->io = true;
			b->size = (u32)(~lo + 1);
			continue;
		}
		b->mem64 = (orig & 6) == PCI_BASE_ADDRESS_MEM_TYPE_64;
		b->prefetch = orig & PCI_BASE_ADDRESS_MEM_PREFETCH;
		if (b->mem64 && i + 1 < nbars) {
			u32 ohi = pci_read32(d, off + 4);

			pci_write32(d, off + 4, ~0u);
			hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, ohi);
		}
		mask = (u64)hi << 32 | (lo & ~0xfu);
		b->size = b->mem64 ? ~mask + 1 : (u32)(~(lo & ~0xfu) + 1);
		if (b->mem64)
			i++;	/* the upper half is not a BAR of its own */
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

/*
 * 64-bit BARs go to the 64-bit window when that is allowed: on the root
 * bus always, behind a bridge only if prefetchable (a bridge's
 * non-prefetchable window is 32-bit).
 */
static struct pci_window *bar_window(const struct pci_dev *d, const struct pci_bar *b)
{
	if (b->io)
		return &host.io;
	if (b->mem64 && host.mem64.size && (b->prefetch || d->bus == host.bus_start))
		return &host.mem64;
	return &host.mem32;
}

static u16 assign_bars(struct pci_dev *d, int nbars)
{
	u16 enable = 0;

	for (int i = 0; i < nbars; i++) {
		struct pci_bar *b = &d->bar[i];
		struct pci_window *w;
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		u64 cpu, pci;

		if (!b->size)
			continue;
		w = bar_window(d, b);
		/* Memory BARs get whole pages so ioremap never shares one. */
		cpu = window_alloc(w, b->size, b->io ? b->size : max(b->size, PAGE_SIZE));
		if (!cpu) {
			pr_err("pci %02x:%02x.%x: no room for BAR%d (0x%llx bytes)\n",
			       d->bus, d->dev, d->fn, i, (unsigned long long)b->size);
			if (b->mem64)
				i++;
			continue;
		}
		pci = bus_addr(w, cpu);
		pci_write32(d, off, (u32)pci);
		if (b->mem64)
			pci_write32(d, off + 4, (u32)(pci >> 32));
		b->phys = cpu;
		enable |= b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		if (b->mem64)
			i++;
	}
	return enable;
}

/* ---- bridges ---- */

static u32 scan_bus(u32 bus, int parent);

struct span { u64 mem32, mem64, io; };

static void spans_align(struct span *s)
{
	host.mem32.next = ALIGN(host.mem32.next, 1UL << 20);
	host.mem64.next = ALIGN(host.mem64.next, 1UL << 20);
	host.io.next = ALIGN(host.io.next, 0x1000);
	s->mem32 = host.mem32.next;
	s->mem64 = host.mem64.next;
	s->io = host.io.next;
}

/* Program a bridge's windows to [start, end) of what its subtree took. */
static void bridge_windows(struct pci_dev *d, const struct span *a, const struct span *e)
{
	u64 s, l;

	if (e->mem32 > a->mem32) {
		s = bus_addr(&host.mem32, a->mem32);
		l = bus_addr(&host.mem32, e->mem32 - 1);
		pci_write16(d, PCI_MEMORY_BASE, (s >> 16) & 0xfff0);
		pci_write16(d, PCI_MEMORY_LIMIT, (l >> 16) & 0xfff0);
	} else {
		pci_write16(d, PCI_MEMORY_BASE, 0xfff0);
		pci_write16(d, PCI_MEMORY_LIMIT, 0);
	}
	if (e->mem64 > a->mem64) {
		s = bus_addr(&host.mem64, a->mem64);
		l = bus_addr(&host.mem64, e->mem64 - 1);
		pci_write16(d, PCI_PREF_MEMORY_BASE, (s >> 16) & 0xfff0);
		pci_write16(d, PCI_PREF_MEMORY_LIMIT, (l >> 16) & 0xfff0);
		pci_write32(d, PCI_PREF_BASE_UPPER32, (u32)(s >> 32));
		pci_write32(d, PCI_PREF_LIMIT_UPPER32, (u32)(l >> 32));
		if ((s >> 32 || l >> 32) && (pci_read16(d, PCI_PREF_MEMORY_BASE) & 0xf) != 1)
			pr_err("pci %02x:%02x.%x: prefetchable window above 4 GiB unsupported\n",
			       d->bus, d->dev, d->fn);
	} else {
		pci_write16(d, PCI_PREF_MEMORY_BASE, 0xfff0);
		pci_write16(d, PCI_PREF_MEMORY_LIMIT, 0);
		pci_write32(d, PCI_PREF_BASE_UPPER32, 0);
		pci_write32(d, PCI_PREF_LIMIT_UPPER32, 0);
	}
	if (e->io > a->io) {
		s = bus_addr(&host.io, a->io);
		l = bus_addr(&host.io, e->io - 1);
		pci_write8(d, PCI_IO_BASE, (s >> 8) & 0xf0);
		pci_write8(d, PCI_IO_LIMIT, (l >> 8) & 0xf0);
		pci_write16(d, PCI_IO_BASE_UPPER16, (u16)(s >> 16));
		pci_write16(d, PCI_IO_LIMIT_UPPER16, (u16)(l >> 16));
	} else {
		pci_write8(d, PCI_IO_BASE, 0xf0);
		pci_write8(d, PCI_IO_LIMIT, 0);
	}
}

static void setup_bridge(struct pci_dev *d, int idx)
{
	struct span a, e;
	u32 sec, sub;

	if (host.next_bus >= host.bus_end) {
		pr_err("pci %02x:%02x.%x: no bus number left for the bridge\n",
		       d->bus, d->dev, d->fn);
		return;
	}
	sec = ++host.next_bus;
	pci_write8(d, PCI_PRIMARY_BUS, d->bus);
	pci_write8(d, PCI_SECONDARY_BUS, sec);
	pci_write8(d, PCI_SUBORDINATE_BUS, host.bus_end);	/* until scanned */
	spans_align(&a);
	sub = scan_bus(sec, idx);
	spans_align(&e);
	pci_write8(d, PCI_SUBORDINATE_BUS, sub);
	bridge_windows(d, &a, &e);
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_MEMORY |
		    PCI_COMMAND_IO | PCI_COMMAND_MASTER);
}

/* ---- enumeration ---- */

static void print_dev(const struct pci_dev *d)
{
	char irq[24] = "";

	if (d->pin)
		snprintf(irq, sizeof(irq), " INT%c->irq %d", 'A' + d->pin - 1, d->irq);
	printk("rvmm: pci %02x:%02x.%x [%04x:%04x] class %06x%s%s\n", d->bus, d->dev, d->fn,
	       d->vendor, d->device, d->class_rev >> 8,
	       (d->hdr_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE ? " bridge" : "",
	       irq);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (!b->size)
			continue;
		printk("rvmm:   BAR%d %s 0x%llx-0x%llx%s%s%s\n", i, b->io ? "io " : "mem",
		       (unsigned long long)b->phys,
		       (unsigned long long)(b->phys + b->size - 1),
		       b->mem64 ? " 64-bit" : "", b->prefetch ? " pref" : "",
		       b->phys ? "" : " (unassigned)");
	}
}

/* @f has bus, dev and fn filled in. */
static void setup_function(const struct pci_dev *f, int parent)
{
	struct pci_dev *d;
	int idx = nr_devs, nbars;
	u16 en;

	if (nr_devs == PCI_MAX_DEVICES) {
		pr_warn("pci: more than %d functions, ignoring %02x:%02x.%x\n",
			PCI_MAX_DEVICES, f->bus, f->dev, f->fn);
		return;
	}
	d = &devs[nr_devs++];
	dev_parent[idx] = parent;
	*d = *f;
	d->vendor = pci_read16(d, PCI_VENDOR_ID);
	d->device = pci_read16(d, PCI_DEVICE_ID);
	d->class_rev = pci_read32(d, PCI_CLASS_REVISION);
	d->hdr_type = pci_read8(d, PCI_HEADER_TYPE);
	d->pin = pci_read8(d, PCI_INTERRUPT_PIN);
	setup_intx(d, idx);
	switch (d->hdr_type & PCI_HEADER_TYPE_MASK) {
	case PCI_HEADER_TYPE_NORMAL:
		nbars = 6;
		break;
	case PCI_HEADER_TYPE_BRIDGE:
		nbars = 2;
		break;
	default:
		nbars = 0;	/* CardBus: not supported */
	}
	size_bars(d, nbars);
	en = assign_bars(d, nbars);
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | en | PCI_COMMAND_MASTER);
	print_dev(d);
	if ((d->hdr_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE)
		setup_bridge(d, idx);
}

/* Scan @bus depth first; returns the highest bus number below it. */
static u32 scan_bus(u32 bus, int parent)
{
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			const struct pci_dev f = { .bus = bus, .dev = dev, .fn = fn };
			u16 vendor = pci_read16(&f, PCI_VENDOR_ID);

			if (vendor == 0xffff || vendor == 0) {
				if (!fn)
					break;	/* no function 0: no device */
				continue;
			}
			setup_function(&f, parent);
			if (!fn && !(pci_read8(&f, PCI_HEADER_TYPE) & PCI_HEADER_MULTI_FUNC))
				break;
		}
	}
	return host.next_bus;
}

/*
 * Every interrupt parent the interrupt-map names must have probed first,
 * if a driver will probe it at all (the APLIC of virt,aia=aplic-imsic has
 * none: its devices are polled).
 */
static int intx_parents_ready(const struct pci_host_dt *dt)
{
	struct irq_domain *d;

	for (int i = 0; i < dt->nr_irq_map; i++)
		if (irq_find_host(dt->irq_map[i].parent, &d) == -EPROBE_DEFER)
			return -EPROBE_DEFER;
	return 0;
}

/* The ECAM registers are known MMIO already (drivers_init: every reg). */
static void register_windows(const struct pci_host_dt *dt)
{
	for (int i = 0; i < dt->nr_ranges; i++)
		iomem_register(dt->ranges[i].cpu_addr, dt->ranges[i].size, "pci-window");
}

/* Map only the buses in range: 1 MiB of ECAM each. */
static int map_ecam(const struct pci_host_dt *dt)
{
	u64 nbus = dt->bus_end - dt->bus_start + 1;
	u64 len = min(nbus << 20, dt->ecam_size);

	if (len < (1UL << 20)) {
		pr_err("pci: ECAM window of 0x%llx bytes is too small\n",
		       (unsigned long long)dt->ecam_size);
		return -EINVAL;
	}
	host.bus_start = dt->bus_start;
	host.bus_end = dt->bus_start + (len >> 20) - 1;
	host.cfg = ioremap(dt->ecam_base, len);
	return host.cfg ? 0 : -ENOMEM;
}

static int ecam_probe(struct platform_device *pdev)
{
	char err[160];
	int ret;

	if (host.cfg) {
		pr_warn("pci: a second host bridge is not supported\n");
		return -ENODEV;
	}
	ret = pci_host_parse_node(pdev->fdt, pdev->node, &host.dt, err, sizeof(err));
	if (ret) {
		pr_err("pci: %s\n", err);
		return ret;
	}
	ret = intx_parents_ready(&host.dt);
	if (ret)
		return ret;
	register_windows(&host.dt);
	ret = map_ecam(&host.dt);
	if (ret)
		return ret;
	windows_init(&host.dt);
	pr_info("pci: ECAM at 0x%llx, buses %02x-%02x, mem32 0x%llx+0x%llx, mem64 0x%llx+0x%llx\n",
		(unsigned long long)host.dt.ecam_base, host.bus_start, host.bus_end,
		(unsigned long long)host.mem32.cpu, (unsigned long long)host.mem32.size,
		(unsigned long long)host.mem64.cpu, (unsigned long long)host.mem64.size);
	host.next_bus = host.bus_start;
	scan_bus(host.bus_start, -1);
	for (int i = 0; i < nr_devs; i++)
		pci_bus_bind(&devs[i]);
	return 0;
}

static const struct platform_driver ecam_driver = {
	.name = "pci-host-ecam",
	.of_match_table = pci_host_ecam_of_match,
	.probe = ecam_probe,
};
module_platform_driver(ecam_driver);
