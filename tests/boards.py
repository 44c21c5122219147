"""The JH7110 boards' device trees through build/host/rvmm-dtinfo.

tools/boardtrees.sh compiles Linux's upstream trees (from Debian's U-Boot
source package) with the /memory node U-Boot adds; rvmm-dtinfo prints what
the kernel takes from each. run() checks those facts, one case per fact and
tree, and that a tree which leaves the S7 monitor hart enabled still gets it
skipped. Python 3.11 standard library only (and dtc's fdtput).
"""

import shutil
import subprocess
from pathlib import Path

BOARDS = ["jh7110-starfive-visionfive-2-v1.2a", "jh7110-starfive-visionfive-2-v1.3b",
          "jh7110-milkv-mars", "jh7110-pine64-star64"]
RAM_BASE = 0x40000000


def dtinfo(tool, dtb):
    """{key: [value lines]} from rvmm-dtinfo, or raise with its stderr."""
    p = subprocess.run([str(tool), str(dtb)], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"rvmm-dtinfo {dtb.name}: exit {p.returncode}: {p.stderr.strip()}")
    facts = {}
    for line in p.stdout.splitlines():
        key, _, rest = line.partition(" ")
        facts.setdefault(key, []).append(rest)
    return facts


def harts(facts):
    """{hartid: {field: value}, 'used': 'yes' | 'no: <why>'}."""
    out = {}
    for rest in facts.get("hart", []):
        head, _, used = rest.partition(" used ")
        w = head.split()
        h = dict(zip(w[1::2], w[2::2]))
        h["used"] = used
        out[int(w[0])] = h
    return out


def expectations(facts, gib):
    """(name, got, want) for one tree with `gib` GiB."""
    h = harts(facts)
    checks = [
        ("format", facts.get("rvmm-dtinfo"), ["1"]),
        ("ram", facts.get("ram"), [f"{RAM_BASE:#x} {gib << 30:#x}"]),
        ("reserved", facts.get("reserved"), None),
        ("paging", facts.get("paging"), ["sv39"]),
        ("timebase", facts.get("timebase"), ["4000000"]),
        ("test-syscon", facts.get("test-syscon"), ["none"]),
        ("pci-host", facts.get("pci-host"), ["none"]),
        ("harts", sorted(h), [0, 1, 2, 3, 4]),
        ("hart0-skipped", h.get(0, {}).get("used", "").startswith("no: "), True),
        ("hart0-mmu", h.get(0, {}).get("mmu"), "none"),
    ]
    for i in range(1, 5):
        hi = h.get(i, {})
        checks += [(f"hart{i}-used", hi.get("used"), "yes"),
                   (f"hart{i}-mmu", hi.get("mmu"), "sv39"),
                   (f"hart{i}-plic-s-context", hi.get("plic-s-context"), str(2 * i)),
                   (f"hart{i}-zicboz", hi.get("zicboz"), "none")]
    return checks


def s7_enabled(tool, dtb, work):
    """The monitor hart left enabled: reported, and skipped for its MMU."""
    copy = work / f"{dtb.stem}-s7-okay.dtb"
    shutil.copyfile(dtb, copy)
    subprocess.run(["fdtput", "-t", "s", str(copy), "/cpus/cpu@0", "status", "okay"],
                   check=True)
    h = harts(dtinfo(tool, copy))
    return [("s7-okay-hart0-skipped", h.get(0, {}).get("used", "").startswith("no: no MMU"),
             True),
            ("s7-okay-hart1-used", h.get(1, {}).get("used"), "yes")]


def run(build, log):
    """Returns (passed, failed, failure lines); writes every check to `log`."""
    tool, trees = Path(build) / "host" / "rvmm-dtinfo", Path(build) / "boards"
    passed, failures, lines = 0, [], []
    for board in BOARDS:
        for gib in (4, 8):
            dtb = trees / f"{board}-{gib}g.dtb"
            checks = expectations(dtinfo(tool, dtb), gib)
            if board.endswith("v1.3b") and gib == 8:
                checks += s7_enabled(tool, dtb, trees)
            for name, got, want in checks:
                ok = got == want
                lines.append(f"{'ok' if ok else 'not ok'} {dtb.stem} {name}: {got!r}")
                if ok:
                    passed += 1
                else:
                    failures.append(f"{dtb.stem} {name}: got {got!r}, want {want!r}")
    Path(log).write_text("\n".join(lines) + "\n")
    return passed, len(failures), failures
