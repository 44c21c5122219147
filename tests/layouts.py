"""Device trees with awkward memory layouts, built from QEMU's own.

QEMU's riscv virt machine describes its RAM as one memory node. The kernel
must also cope with what boards and firmware hand over: several memory nodes
with holes between them, sizes that are not multiples of a 128 MiB section,
no-map and ordinary reserved-memory regions inside RAM, dynamic
reservations and /memreserve/ entries. We dump the machine's DTB, rewrite its
memory description with libfdt (tests/dtedit.py), and boot with -dtb;
OpenSBI adds its own reservations on top, as it would on a board.
"""
from pathlib import Path

import dtedit as dte

# 2 GiB of RAM at 0x80000000; the DT announces only parts of it.
LAYOUT = [
    dte.with_memory([[(0x80000000, 0x30000000)],
                     [(0xc0000000, 0x10000000), (0xd8000000, 0x2a00000)]]),
    dte.with_reserved("firmware@a0000000", (0xa0000000, 0x200000), nomap=True),
    dte.with_reserved("buffer@a8000000", (0xa8000000, 0x100000)),
    dte.with_reserved("pool", size=0x400000, alignment=0x200000),
    dte.with_memreserve(0x90000000, 0x100000),
]


def make_layout_dtb(qemu, out_dtb, smp=2, mem="2G"):
    """Write a DTB for `-M virt -m <mem>` with the awkward layout; return its path."""
    blob = dte.dump_dtb(qemu, "virt", mem, smp, Path(out_dtb + ".orig"))
    Path(out_dtb).write_bytes(dte.edit(blob, *LAYOUT))
    return out_dtb
