"""Device-tree edits for the test boots, through libfdt's Python binding
(python3-libfdt, which `make deps` installs; Debian's /usr/bin/python3
finds it, hence the Makefile's PYTHON).

Each tree is QEMU's own (`-M <machine>,dumpdtb=`) for the machine it
boots, with one thing changed: the memory description made wrong or
awkward (tests/negative.py HOSTILE, tests/layouts.py), a property cut
short (negative.py), a CPU's mmu-type (tests/bootchain.py). What each
hostile tree must produce, and from which layer, is in negative.py and in
README's "Broken device trees".
"""
import subprocess
import sys

ROOT_NODE = 0
ROOM = 64 << 10         # bytes an edited tree may grow by


def libfdt():
    """The binding; OSError saying what to do when this python lacks it."""
    try:
        import libfdt as binding
    except ImportError as e:
        raise OSError(f"{sys.executable} cannot import libfdt ({e}): install "
                      "python3-libfdt (make deps) and run /usr/bin/python3") from e
    return binding


def dump_dtb(qemu, machine, mem, smp, out):
    """The DTB of `-M <machine> -m <mem> -smp <smp>` as QEMU would pass it,
    also written to @out."""
    subprocess.run([qemu, "-M", f"{machine},dumpdtb={out}", "-m", mem, "-smp", str(smp),
                    "-nographic"], check=True, capture_output=True, timeout=60)
    return out.read_bytes() if hasattr(out, "read_bytes") else open(out, "rb").read()


def edit(blob, *edits):
    """@blob with each of @edits (functions of an open Fdt that return it)
    applied in turn, packed again. ValueError if libfdt refuses one."""
    lib = libfdt()
    try:
        fdt = lib.Fdt(blob)
        fdt.resize(fdt.totalsize() + ROOM)
        for e in edits:
            fdt = e(fdt)
        fdt.pack()
    except lib.FdtException as e:
        raise ValueError(f"libfdt: {e}") from e
    return bytes(fdt.as_bytearray())


def cells(n, count):
    """A number as @count big-endian 32-bit cells."""
    return n.to_bytes(4 * count, "big")


def children(fdt, parent=ROOT_NODE):
    """Offsets and names of @parent's subnodes."""
    lib, out = libfdt(), []
    node = fdt.first_subnode(parent, [lib.NOTFOUND])
    while node >= 0:
        out.append((node, fdt.get_name(node)))
        node = fdt.next_subnode(node, [lib.NOTFOUND])
    return out


def subnode(fdt, parent, name):
    """@parent's subnode @name, added (as its first subnode) if missing."""
    node = fdt.subnode_offset(parent, name, [libfdt().NOTFOUND])
    return node if node >= 0 else fdt.add_subnode(parent, name)


def node_first(path):
    """Edit: the leaf node at @path becomes its parent's first subnode (its
    properties and phandle kept), so that it comes before its siblings in
    tree order: a driver probed before what it depends on."""
    def move(fdt):
        lib = libfdt()
        node = fdt.path_offset(path)
        if fdt.first_subnode(node, [lib.NOTFOUND]) >= 0:
            raise lib.FdtException(-lib.BADSTRUCTURE)
        props, off = [], fdt.first_property_offset(node, [lib.NOTFOUND])
        while off >= 0:
            prop = fdt.get_property_by_offset(off)
            props.append((prop.name, bytes(prop)))
            off = fdt.next_property_offset(off, [lib.NOTFOUND])
        parent, name = fdt.parent_offset(node), fdt.get_name(node)
        fdt.del_node(node)
        node = fdt.add_subnode(parent, name)
        for prop, value in props:
            fdt.setprop(node, prop, value)
        return fdt
    return move


def truncate_prop(node_prefix, prop):
    """Edit: cut one 32-bit word off @prop of the first root child whose
    name starts with @node_prefix (libfdt moves what follows)."""
    def cut(fdt):
        node = next(n for n, name in children(fdt) if name.startswith(node_prefix))
        fdt.setprop(node, prop, bytes(fdt.getprop(node, prop))[:-4])
        return fdt
    return cut


def with_memory(ranges_per_node, ac=2, sc=2):
    """Edit: QEMU's memory node replaced by ours, one per list of (base, size),
    in that order; `reg` in @ac/@sc cells."""
    def replace(fdt):
        for node, name in reversed(children(fdt)):
            if name.startswith("memory@"):
                fdt.del_node(node)
        for ranges in reversed(ranges_per_node):    # each goes first
            node = fdt.add_subnode(ROOT_NODE, f"memory@{ranges[0][0]:x}")
            fdt.setprop_str(node, "device_type", "memory")
            fdt.setprop(node, "reg", b"".join(cells(b, ac) + cells(s, sc) for b, s in ranges))
        return fdt
    return replace


def with_root_cells(ac, sc):
    """Edit: the root's #address-cells/#size-cells (govern /memory's reg)."""
    def set_cells(fdt):
        fdt.setprop_u32(ROOT_NODE, "#address-cells", ac)
        fdt.setprop_u32(ROOT_NODE, "#size-cells", sc)
        return fdt
    return set_cells


def with_reserved(name, reg=None, nomap=False, **props):
    """Edit: a /reserved-memory child @name (the parent is added if QEMU's
    tree has none): `reg` (base, size), `no-map`, and 64-bit @props such as
    size= and alignment= (a dynamic reservation)."""
    def reserve(fdt):
        parent = fdt.subnode_offset(ROOT_NODE, "reserved-memory", [libfdt().NOTFOUND])
        if parent < 0:
            parent = fdt.add_subnode(ROOT_NODE, "reserved-memory")
            fdt.setprop_u32(parent, "#address-cells", 2)
            fdt.setprop_u32(parent, "#size-cells", 2)
            fdt.setprop(parent, "ranges", b"")
        node = subnode(fdt, parent, name)
        if reg:
            fdt.setprop(node, "reg", cells(reg[0], 2) + cells(reg[1], 2))
        if nomap:
            fdt.setprop(node, "no-map", b"")
        for prop, value in props.items():
            fdt.setprop_u64(node, prop, value)
        return fdt
    return reserve


def with_memreserve(base, size):
    """Edit: a /memreserve/ entry."""
    def add(fdt):
        lib = libfdt()
        blob = fdt.as_bytearray()
        lib.check_err(lib.fdt_add_mem_rsv(blob, base, size))
        return lib.Fdt(blob)
    return add


def with_prop_str(path, prop, value):
    """Edit: a string property of the node at @path."""
    def set_str(fdt):
        fdt.setprop_str(fdt.path_offset(path), prop, value)
        return fdt
    return set_str
