"""Hostile device trees: QEMU's own DTB with its memory description made
wrong in one way at a time.

Each tree is the `-M virt,dumpdtb=` output for the machine it boots, turned
into source by dtc, edited as text, and compiled back (as tests/layouts.py
does). What each one must produce, and from which layer, is in
tests/negative.py (HOSTILE) and in README's "Broken device trees".
"""
import re
import subprocess

MEMORY_NODE_RE = re.compile(r"\n\tmemory@[0-9a-f]+ \{.*?\n\t\};\n", re.S)


def dump_dts(qemu, mem, smp, scratch):
    """The dts of `-M virt -m <mem> -smp <smp>` as QEMU would pass it."""
    subprocess.run([qemu, "-M", f"virt,dumpdtb={scratch}", "-m", mem, "-smp", str(smp),
                    "-nographic"], check=True, capture_output=True, timeout=60)
    return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(scratch)], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def compile_dts(dts, out):
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(out), "-"],
                   input=dts.encode(), check=True, timeout=60)


def cells(n, cells_per_number=2):
    """A number as `cells_per_number` 32-bit cells."""
    words = [(n >> (32 * i)) & 0xffffffff for i in reversed(range(cells_per_number))]
    return " ".join(f"0x{w:x}" for w in words)


def memory_nodes(ranges_per_node, ac=2, sc=2):
    """Memory nodes, one per list of (base, size); entries in cells."""
    out = ""
    for ranges in ranges_per_node:
        reg = ", ".join(f"<{cells(b, ac)} {cells(s, sc)}>" for b, s in ranges)
        out += (f"\n\tmemory@{ranges[0][0]:x} {{\n\t\tdevice_type = \"memory\";\n"
                f"\t\treg = {reg};\n\t}};\n")
    return out


def with_memory(dts, ranges_per_node, ac=2, sc=2):
    """Replace QEMU's memory node by ours."""
    return MEMORY_NODE_RE.sub(lambda m: memory_nodes(ranges_per_node, ac, sc), dts, count=1)


def with_root_cells(dts, ac, sc):
    """The root's #address-cells/#size-cells (govern /memory's reg)."""
    dts = re.sub(r"(\n/ \{\n\t#address-cells = )<0x0?2>;", rf"\1<{ac}>;", dts, count=1)
    return re.sub(r"(\n/ \{\n.*?\n\t#size-cells = )<0x0?2>;", rf"\1<{sc}>;", dts, count=1,
                  flags=re.S)


def with_reserved(dts, name, base, size, nomap):
    """A /reserved-memory child (the node is added: QEMU's tree has none)."""
    node = (f"\treserved-memory {{\n\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n"
            f"\t\tranges;\n\n\t\t{name} {{\n\t\t\treg = <{cells(base)} {cells(size)}>;\n"
            + ("\t\t\tno-map;\n" if nomap else "") + "\t\t};\n\t};\n\n")
    return dts.replace("\tchosen {", node + "\tchosen {", 1)


def with_memreserve(dts, base, size):
    return dts.replace("/dts-v1/;\n", f"/dts-v1/;\n/memreserve/ 0x{base:x} 0x{size:x};\n", 1)
