#!/usr/bin/env python3
"""rvmm test driver: `make run|test|bench|debug` call `python3 tests/run.py <cmd>`.

Python 3.11 standard library only. The outside interface (targets, console
formats, default machine) is CONTRACT.md; QEMU facts are in NOTES.md.

  run    the CONTRACT default machine with `rvmm.serve`, console streamed
         live; with a virtio-mem capable QEMU, live resizes over QMP
         (build/qmp.sock) after the self-tests, then quit. Exit status 0 iff
         the kernel reported 0 failed, no panic (and the resizes worked).
  test   host unit tests (`make host-test`, ASan+UBSan), the boards' device
         trees through rvmm-dtinfo (tests/boards.py), kernel self-tests in
         every QEMU configuration of selftest_configs() (per paging mode: 4
         memory sizes, a hotplug + virtio-mem configuration, an awkward
         memory layout, virtio-mem with big blocks (128M/256M/1G); then two
         virtio-mem devices, a two-socket NUMA
         machine, `make run`'s machine, a DEBUG=1 kernel, no5lvl/no4lvl),
         the board's boot chain (`make vf2-sd`'s card and the FIT under
         Debian's S-mode U-Boot), OpenSBI 1.1, the sifive_u board and the
         U54 CPU (board_configs()), mem= boots hiding RAM mid-1 GiB region,
         hostile memory layouts (hostile_configs), the panic report, negative
         device-tree configurations, the virtio-mem end-to-end scenario
         (tests/e2e_virtio_mem.py) and the short seeded soak (tests/soak.py:
         one case per step, plus boot and quit per seed). Logs go to
         build/logs/.
         Ends with exactly one line `N passed, N failed, N skipped`; exit
         status 1 on any failure.
  bench  `bench: <name> <value> <unit>` lines only, on stdout (diagnostics on
         stderr), from deterministic (-icount) boots and the host benchmark.
  debug  the default machine halted with a gdb stub; prints the gdb command.

Shared QEMU/QMP plumbing lives in tests/rvmm_qemu.py.
"""

import argparse
import concurrent.futures
import re
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True   # keep tests/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
import rvmm_qemu as rq  # noqa: E402
import layouts  # noqa: E402
import hostile_dts as hdt  # noqa: E402
import e2e_virtio_mem  # noqa: E402
import soak  # noqa: E402
import boards  # noqa: E402

ROOT, BUILD = rq.ROOT, rq.BUILD
LOGS = BUILD / "logs"
TAIL_LINES = 30

# Paging modes: QEMU's `rv64` CPU offers Sv57; switching modes off caps it.
MODES = [("sv57", "rv64"), ("sv48", "rv64,sv57=off"), ("sv39", "rv64,sv48=off,sv57=off")]
# Memory sizes and the hart count used with each.
SIZES = [("512M", 1), ("3G", 4), ("8G", 1), ("16G", 4)]
# virtio-mem sizes of the hotplug configs: partly plugged memory blocks, and not.
VMEM_REQUEST = {"sv57": "1G", "sv48": "1000M", "sv39": "326M"}
# Big Block Mode configs: block size, requested-size at boot, boot args
# (one of them checks every plugged word and request: rvmm.verify=full).
BIG_BLOCKS = [("128M", "1G", "mem=1G"), ("256M", "1280M", "mem=1G rvmm.verify=full"),
              ("1G", "2G", "mem=1G")]
DEBUG_IMAGE = BUILD / "debug" / "Image"   # DEBUG=1 (page poisoning); `make test` builds it
NOSELFTESTS = BUILD / "noselftests"        # SELFTESTS=n; `make test` builds it
# The test hooks of include/rvmm/fault-inject.h and virtio-mem's self-test
# interface (queries, raw requests, injection): none may exist in SELFTESTS=n.
TEST_HOOKS = {"fail_alloc_nth", "nr_alloc_calls", "should_fail_alloc",
              "vmemmap_force_basepages", "printk_capture",
              "virtio_mem_inject_response", "virtio_mem_inject_target",
              "virtio_mem_nr_devices", "virtio_mem_get_info", "virtio_mem_block_plugged",
              "virtio_mem_raw_request", "virtio_mem_reconcile", "virtio_mem_unplug",
              "virtio_mem_audit_adds", "virtio_mem_test_added"}
LAYOUT_DTB = BUILD / "layout-holes.dtb"     # tests/layouts.py


# ---- KTAP ------------------------------------------------------------------

RESULT_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<status>ok|not ok)[ \t]+\d+\b"
                       r"[ \t]*(?:-[ \t]*)?(?P<name>[^#]*?)[ \t]*"
                       r"(?:#[ \t]*(?P<directive>\S+)[ \t]*(?P<reason>.*))?$")
SUBTEST_RE = re.compile(r"^(?P<indent>[ \t]*)# Subtest: (?P<name>.*\S)")
TOTALS_RE = re.compile(r"# Totals: pass:\d+ fail:\d+ skip:\d+")


@dataclass
class Ktap:
    """What one KTAP console log says."""
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failed_names: list = field(default_factory=list)
    seen: bool = False          # any "KTAP version" line
    totals: bool = False        # "# Totals:" line
    summary: tuple = None       # (passed, failed) of "rvmm: P passed, F failed"
    not_ok: bool = False        # any "not ok" line, suites included
    panic: str = None           # the first "rvmm: PANIC" line


def parse_ktap(text):
    """Count test cases in a KTAP log.

    A case is a result line with no deeper-indented result line right before
    it; a result line that closes a block of deeper ones is a suite's, and is
    not counted (a suite that printed no cases counts as one case).
    """
    k = Ktap()
    suite_at = {}               # indent -> name of the subtest block
    prev_indent = -1
    for raw in text.splitlines():
        line = raw.rstrip("\r").expandtabs(4)
        k.seen |= "KTAP version" in line
        k.totals |= bool(TOTALS_RE.search(line))
        if rq.PANIC in line and k.panic is None:
            k.panic = line.strip()
        m = rq.SUMMARY_RE.search(line)
        if m:
            k.summary = (int(m.group(1)), int(m.group(2)))
        m = SUBTEST_RE.match(line)
        if m:
            suite_at[len(m["indent"])] = m["name"]
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        indent, bad = len(m["indent"]), m["status"] == "not ok"
        k.not_ok |= bad
        leaf = prev_indent <= indent
        prev_indent = indent
        if not leaf:
            continue
        if (m["directive"] or "").upper() == "SKIP":
            k.skipped += 1
        elif bad:
            k.failed += 1
            suite = suite_at.get(indent)
            k.failed_names.append(f"{suite}.{m['name']}" if suite else m["name"])
        else:
            k.passed += 1
    return k


# ---- results -----------------------------------------------------------------

def shown(path):
    """A path relative to the repository when it is inside it."""
    path = Path(path)
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


@dataclass
class Result:
    """One line of the `test` report."""
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    reasons: list = field(default_factory=list)   # why it failed
    notes: list = field(default_factory=list)     # printed under the line
    failed_names: list = field(default_factory=list)
    log: Path = None
    tail: list = field(default_factory=list)
    cmd: list = None

    def fail(self, reason):
        """Mark failed; a failure with no failed case counts as one case."""
        self.reasons.append(reason)

    def finish(self):
        if self.reasons and not self.failed:
            self.failed = 1
            self.failed_names.append(f"<{self.name} itself>")
        return self

    def report(self, label="config"):
        prefix = f"{label} " if label else ""
        print(f"{prefix}{self.name}: {self.passed} passed, {self.failed} failed, "
              f"{self.skipped} skipped ({self.seconds:.1f} s)")
        for note in self.notes:
            print(f"    note: {note}")
        if self.reasons or self.failed:
            for reason in self.reasons:
                print(f"    FAILED: {reason}")
            if self.failed_names:
                print("    failing cases: " + ", ".join(self.failed_names))
            if self.cmd:
                print("    command: " + " ".join(self.cmd))
            if self.log:
                print(f"    last {len(self.tail)} lines of {shown(self.log)}:")
            for line in self.tail:
                print("    | " + line)
        sys.stdout.flush()


def boot(cmd, log, timeout, typing=None, stop=False):
    """Run one QEMU to completion (with @stop, to the kernel's last word).
    Returns (console, rc, timed_out, seconds); console.typing_error says
    why @typing could not be typed, if it could not."""
    t0 = time.monotonic()
    con = rq.Console(cmd, log_path=log, typing=typing is not None)
    con.typing_error = uboot_type(con, typing, timeout) if typing else None
    rc = stop_after_verdict(con, timeout) if stop else con.wait(timeout)
    timed_out = rc is None
    if timed_out:
        con.kill()
        rc = con.proc.returncode
    return con, rc, timed_out, time.monotonic() - t0


# ---- kernel self-test configurations -------------------------------------------

@dataclass
class Config:
    """One QEMU boot of the `test` matrix."""
    name: str
    cmd: list
    timeout: float
    judge: object               # function(Config, Console, rc, timed_out) -> Result
    expect: str = ""            # negative configs: "kernel" or "qemu" must stop it
    typing: list = None         # U-Boot commands typed after stopping autoboot
    stop: bool = False          # no test syscon: the runner stops QEMU at the end
    want: tuple = ()            # regexes the console must show (hostile configs)


def selftest_configs(qemu, timeout):
    """The self-test boots: per paging mode 4 memory sizes, hotplug with
    virtio-mem and an awkward layout; then the machine-wide extras."""
    configs = []
    for mode, cpu in MODES:
        for mem, smp in SIZES:
            configs.append(Config(f"{mode}-{mem}-smp{smp}",
                                  rq.qemu_args(qemu, smp=smp, mem=mem, cpu=cpu),
                                  timeout, judge_selftest))
        # RAM above 1 GiB stays out of the boot memory map, for hot-add tests;
        # with the patched QEMU a virtio-mem device plugs 1 GiB more meanwhile.
        if rq.has_virtio_mem(qemu):
            configs.append(Config(f"{mode}-2G-mem1G-virtio-mem-smp4",
                                  rq.qemu_args(qemu, smp=4, mem="2G,maxmem=10G", cpu=cpu,
                                               append="mem=1G",
                                               extra=rq.virtio_mem_args(
                                                   requested_size=VMEM_REQUEST[mode])),
                                  timeout, judge_selftest))
        else:
            configs.append(Config(f"{mode}-2G-mem1G-smp4",
                                  rq.qemu_args(qemu, smp=4, mem="2G", cpu=cpu,
                                               append="mem=1G"),
                                  timeout, judge_selftest))
        # Several memory nodes with holes, no-map, /memreserve/ (tests/layouts.py).
        configs.append(Config(f"{mode}-layout-holes-smp2",
                              rq.qemu_args(qemu, smp=2, mem="2G", cpu=cpu,
                                           extra=["-dtb", str(LAYOUT_DTB)]),
                              timeout, judge_selftest))
    # Two devices with different block sizes: every virtio_mem case runs
    # on each (every_other_device), device 0 untouched by device 1's work.
    if rq.has_virtio_mem(qemu):
        configs.append(Config("sv48-2G-mem1G-2x-virtio-mem-smp4",
                              rq.qemu_args(qemu, smp=4, mem="2G,maxmem=10G", cpu="rv64,sv57=off",
                                           append="mem=1G",
                                           extra=rq.virtio_mem_args(
                                               requested_size="512M", backend_size=4 * rq.GiB) +
                                           rq.virtio_mem_args(
                                               index=1, block_size="4M", requested_size="392M",
                                               backend_size=4 * rq.GiB)),
                              timeout, judge_selftest))
    # Big blocks (one device block per memory block, or more): Big Block
    # Mode, plugged at boot and resized by the virtio_mem cases.
    if rq.has_virtio_mem(qemu):
        for (mode, cpu), (block, request, append) in zip(MODES, BIG_BLOCKS):
            verify = "-verify" if "verify" in append else ""
            configs.append(Config(f"{mode}-2G-mem1G-virtio-mem-{block}-blocks{verify}-smp2",
                                  rq.qemu_args(qemu, smp=2, mem="2G,maxmem=10G", cpu=cpu,
                                               append=append,
                                               extra=rq.virtio_mem_args(
                                                   block_size=block, requested_size=request)),
                                  timeout, judge_selftest))
    # Two sockets, two NUMA nodes: two PLICs and two memory nodes in the
    # DT (rvmm uses the first PLIC, which QEMU routes PCI INTx to; memory
    # is one node), virtio-mem on node 1.
    if rq.has_virtio_mem(qemu):
        numa = ["-object", "memory-backend-ram,id=m0,size=1G",
                "-object", "memory-backend-ram,id=m1,size=1G",
                "-numa", "node,memdev=m0,cpus=0-1,nodeid=0",
                "-numa", "node,memdev=m1,cpus=2-3,nodeid=1"]
        configs.append(Config("sv57-2sockets-numa-virtio-mem-smp4",
                              rq.qemu_args(qemu, smp="4,sockets=2", mem="2G,maxmem=10G",
                                           extra=numa + rq.virtio_mem_args(
                                               requested_size="512M", backend_size=4 * rq.GiB)),
                              timeout, judge_selftest))
    # `make run`'s machine and device, as a new user first boots it (the
    # serve loop and the resizes are the e2e part's).
    if rq.has_virtio_mem(qemu):
        configs.append(Config("default-run-machine",
                              rq.default_args(qemu, extra=rq.virtio_mem_args(
                                  requested_size=rq.DEFAULT_REQUEST)),
                              timeout, judge_selftest))
    # DEBUG=1 kernel (page poisoning): every freed page is checked on reuse.
    if DEBUG_IMAGE.exists():
        configs.append(Config("sv48-debug-poison-2G-mem1G-smp4",
                              rq.qemu_args(qemu, smp=4, mem="2G", cpu="rv64,sv57=off",
                                           append="mem=1G", image=DEBUG_IMAGE),
                              timeout, judge_selftest))
    # SELFTESTS=n: the product alone boots, maps memory and serves devices.
    if (NOSELFTESTS / "Image").exists():
        configs.append(Config("selftests-n-2G-mem1G-smp2",
                              rq.qemu_args(qemu, smp=2, mem="2G", append="mem=1G",
                                           image=NOSELFTESTS / "Image"),
                              timeout, judge_no_selftests))
    # rvmm.ptdump: the address space as the README documents it.
    configs.append(Config("sv39-ptdump-smp2",
                          rq.qemu_args(qemu, smp=2, mem="1G", cpu="rv64,sv48=off,sv57=off",
                                       append="rvmm.ptdump rvmm.tests=mm"),
                          timeout, judge_ptdump))
    # Harts a loader sent to the image's entry (U-Boot's booti does on SMP
    # boards) join through the entry spin-wait; every suite runs on them.
    configs.append(Config("sv48-smp-entry-spinwait-2G-mem1G-smp4",
                          rq.qemu_args(qemu, smp=4, mem="2G", cpu="rv64,sv57=off",
                                       append="mem=1G rvmm.smp=entry"),
                          timeout, judge_hostile_boot,
                          want=(r"^rvmm: smp: hart 3 joined from the entry spin-wait",
                                r"^rvmm: smp: 4 harts online")))
    # The boot arguments that cap the paging mode, on an Sv57-capable CPU.
    for arg, want in (("no5lvl", "Sv48"), ("no4lvl", "Sv39")):
        configs.append(Config(f"sv57-{arg}-smp2",
                              rq.qemu_args(qemu, smp=2, mem="1G", cpu="rv64", append=arg),
                              timeout, judge_mode(want)))
    return configs


def check_lines(r, text, patterns):
    """Fail @r for each regex of @patterns the log does not match."""
    for pat in patterns:
        if not re.search(pat, text, re.M):
            r.fail(f"the log lacks /{pat}/")


def expect_lines(judge, *patterns):
    """@judge, and the log must match every regex of @patterns."""
    def judge_lines(cfg, con, rc, timed_out):
        r = judge(cfg, con, rc, timed_out)
        check_lines(r, con.text(), patterns)
        return r
    return judge_lines


PTDUMP_RE = re.compile(r"^rvmm: ptdump: 0x([0-9a-f]{16})-0x([0-9a-f]{16}) 0x([0-9a-f]{10}) +"
                       r"\d+[KMG] (pte|pmd|pud) ([r-][w-][x-][u-][g-][a-][d-]) (.+)$", re.M)


def judge_ptdump(cfg, con, rc, timed_out):
    """judge_selftest, and rvmm.ptdump's ranges: the image read-only in the
    linear map, its text R-X, two harts' stacks, nothing W+X or U."""
    r = judge_selftest(cfg, con, rc, timed_out)
    ranges = PTDUMP_RE.findall(con.text())
    if not re.search(r"^rvmm: ptdump: \d+ ranges$", con.text(), re.M) or not ranges:
        r.fail("no rvmm.ptdump output")
        return r
    have = {(attrs, area) for _, _, _, _, attrs, area in ranges}
    for want in [("r-x-gad", "kernel text"), ("r---gad", "kernel rodata"),
                 ("r---gad", "linear map"), ("rw--gad", "linear map"),
                 ("rw--gad", "stacks"), ("rw--gad", "vmemmap")]:
        if want not in have:
            r.fail(f"no {want[1]} range with {want[0]}")
    if sum(area == "stacks" for *_, area in ranges) < 4:
        r.fail("fewer than 4 stack ranges (2 harts: stack and overflow stack each)")
    for first, end, _, _, attrs, area in ranges:
        if "w" in attrs and "x" in attrs or "u" in attrs or int(first, 16) >= int(end, 16):
            r.fail(f"bad range {first}-{end} {attrs} {area}")
    return r


def judge_mode(want):
    """judge_selftest, and the boot log must name paging mode `want`."""
    def judge(cfg, con, rc, timed_out):
        r = judge_selftest(cfg, con, rc, timed_out)
        if f"rvmm: mm: {want}," not in con.text():
            r.fail(f"the boot log does not name {want}")
        return r
    return judge


def defined_symbols(paths, extern_only=False):
    """Names the objects or ELF files at `paths` define (riscv nm), without
    the compiler's numbered local statics (`buf.0`)."""
    opts = ["--defined-only"] + (["--extern-only"] if extern_only else [])
    out = subprocess.run(["riscv64-unknown-elf-nm", *opts, *map(str, paths)],
                         capture_output=True, text=True, check=True).stdout
    return {f.split()[-1] for f in out.splitlines()
            if len(f.split()) == 3 and "." not in f.split()[-1]}


def judge_no_selftests(cfg, con, rc, timed_out):
    """A SELFTESTS=n kernel: no symbol of tests/kernel nor any test hook in
    it, and it boots, prints its memory map, runs no suite, and exits 0."""
    text = con.text()
    r = Result(cfg.name)
    test_objs = sorted((BUILD / "k" / "tests" / "kernel").glob("*.o"))
    if not test_objs:
        r.fail("no tests/kernel objects in build/k to compare with")
    else:
        kernel = defined_symbols([NOSELFTESTS / "kernel.elf"])
        leaked = (defined_symbols(test_objs, extern_only=True) | TEST_HOOKS) & kernel
        leaked |= {s for s in kernel if s.startswith("__ktest_suite_")}
        if leaked:
            r.fail("test symbols in the SELFTESTS=n kernel: " + ", ".join(sorted(leaked)))
    for what, pat in [("memory map", r"rvmm: mm: Sv\d\d,"),
                      ("empty KTAP plan", r"^1\.\.0$"),
                      ("verdict", r"^rvmm: 0 passed, 0 failed$")]:
        if not re.search(pat, text, re.M):
            r.fail(f"no {what} in the log")
    if timed_out:
        r.fail(f"timeout after {cfg.timeout:.0f} s")
    elif rc != 0:
        r.fail(f"exit status {rc}")
    if not r.reasons:
        r.passed = 1
    return r


# rvmm.crash kinds: (config, boot argument, -smp, headline, sepc symbol, stval).
# On sifive_u (no syscon, no power-off device) a panic must end in
# `rvmm: halted`, never in what could read as success.
CRASHES = [
    ("neg-panic-report", "rvmm.crash=wild", 2,
     r"rvmm: PANIC: unexpected trap on hart 0: store/AMO page fault", "crash_store",
     r"0xffffffff7efff000"),
    ("neg-panic-null", "rvmm.crash", 2,
     r"rvmm: PANIC: NULL pointer dereference at 0x10 on hart 0: store/AMO page fault",
     "crash_store", r"0x0000000000000010"),
    # The guard below a stack is in the top 2 MiB: 0xffffffffffe00000 up.
    ("neg-panic-stack-boot-hart", "rvmm.crash=stack", 2,
     r"rvmm: PANIC: stack overflow on hart 0: sp 0xffffffffff[ef][0-9a-f]{5}, store/AMO page fault",
     "crash_recurse", r"0xffffffffff[ef][0-9a-f]{5}"),
    ("neg-panic-stack-secondary-hart", "rvmm.crash=stack@1", 2,
     r"rvmm: PANIC: stack overflow on hart 1: sp 0xffffffffff[ef][0-9a-f]{5}, store/AMO page fault",
     "crash_recurse", r"0xffffffffff[ef][0-9a-f]{5}"),
    ("neg-panic-report-sifive_u", "rvmm.crash=wild", 5,
     r"rvmm: PANIC: unexpected trap on hart \d+: store/AMO page fault", "crash_store",
     r"0xffffffff7efff000"),
    # Hart 1 panics while the boot hart waits for it in smp_call_all():
    # the boot hart must park too (no 'did not stop').
    ("neg-panic-stack-secondary-hart-sifive_u", "rvmm.crash=stack@1", 5,
     r"rvmm: PANIC: stack overflow on hart \d+: sp 0xffffffffff[ef][0-9a-f]{5}, store/AMO page fault",
     "crash_recurse", r"0xffffffffff[ef][0-9a-f]{5}"),
]


def crash_configs(qemu):
    """rvmm.crash=<kind>: each fault must produce its full panic report."""
    return [Config(name, rq.qemu_args(qemu, smp=smp, mem="512M", append=arg,
                                      machine="sifive_u" if "sifive_u" in name else "virt"),
                   NEG_TIMEOUT, judge_panic_report(head, sym, stval),
                   stop="sifive_u" in name)
            for name, arg, smp, head, sym, stval in CRASHES]


def judge_panic_report(head, sym, stval):
    """The cause by name, sepc with its symbol, stval, registers, exit 3."""
    def judge(cfg, con, rc, timed_out):
        text = con.text()
        r = Result(cfg.name)
        for what, pat in [("headline", head),
                          ("sepc symbol", rf"rvmm: sepc: 0x[0-9a-f]{{16}} <{sym}(\.\w+)*\+0x[0-9a-f]+>"),
                          ("stval", rf"rvmm: stval: {stval}\n"),
                          ("registers", r"rvmm:\s+ra: [0-9a-f]{16}\s+sp: [0-9a-f]{16}")]:
            if not re.search(pat, text):
                r.fail(f"panic report lacks the {what} ({pat})")
        if re.search(r"did not stop", text):
            r.fail("a hart did not stop after the panic")
        if timed_out:
            r.fail("hang after the panic")
        elif cfg.stop:
            if not any(HALTED_RE.match(ln) for ln in con.lines):
                r.fail("no 'rvmm: halted' after the panic")
        elif rc != 3:
            r.fail(f"exit status {rc}, want 3 (panic)")
        if not r.reasons:
            r.passed = 1
        return r
    return judge


def judge_selftest(cfg, con, rc, timed_out):
    """Passes only with exit status 0 (or, for a machine without a test
    syscon, `rvmm: halted` after the summary), totals, summary with 0
    failed, no `not ok`, no panic and no timeout."""
    k = parse_ktap(con.text())
    r = Result(cfg.name, k.passed, k.failed, k.skipped, failed_names=k.failed_names)
    if getattr(con, "typing_error", None):
        r.fail(con.typing_error)
    if timed_out:
        r.fail(f"timeout after {cfg.timeout:.0f} s")
    elif cfg.stop:
        if not any(HALTED_RE.match(ln) for ln in con.lines):
            r.fail("no 'rvmm: halted' at the end")
    elif rc != 0:
        r.fail(f"exit status {rc}")
    if k.panic:
        r.fail(f"kernel panic: {k.panic}")
    if not k.totals:
        r.fail("no '# Totals:' line")
    if k.summary is None:
        r.fail("no 'rvmm: N passed, N failed' line")
    elif k.summary[1]:
        r.fail(f"kernel reported {k.summary[1]} failed")
    if k.not_ok:
        r.fail("'not ok' in the log")
    return r


# ---- negative configurations: broken device trees ------------------------------
#
# What happens to a broken DTB given with `-dtb` (our QEMU 10.0.13 build,
# Debian's OpenSBI 1.5.1; the negative configs below re-check it on every run):
#
# * Structural damage never reaches the guest. Stock QEMU's
#   load_device_tree() reads the file into a zeroed buffer larger than it
#   and fdt_open_into() trusts the header, so a file cut in half boots with
#   its missing half zero-filled; OpenSBI then fails to parse it before its
#   console exists (the UART comes from the DT) and parks in a wfi loop:
#   no output, QEMU never exits. tools/qemu/0002 makes QEMU check the file
#   as it is (totalsize against the file's length, then fdt_check_full())
#   and refuse it with a message and exit status 1:
#     neg-dtb-cut-half       the second half of the file cut off;
#     neg-dtb-totalsize-cut  the same, with the header's totalsize patched to
#                            the cut length (the blocks now overrun it);
#     neg-dtb-bad-magic      the first byte changed.
# * What does reach the kernel is a structurally valid blob with bad
#   content. `neg-dtb-memreg-cut` truncates the /memory node's `reg` from 16
#   to 12 bytes (length field patched, the freed word turned into an FDT_NOP
#   tag so the structure block stays walkable). OpenSBI does not read
#   /memory and boots; the kernel must reject the blob with
#   "rvmm: PANIC: invalid device tree ... 'reg' length 12 not a multiple of 16".
#   The kernel's own handling of cut and corrupt blobs is covered in-kernel
#   (dt_test), on the host under ASan (dt_host) and by `make fuzz`.
#
# Each negative config is one test case: it passes when the boot fails
# cleanly (a kernel panic, or a clear QEMU/OpenSBI error), with a non-zero
# exit status, before the timeout.

FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9
DTB = BUILD / "virt.dtb"
DTB_CUT = BUILD / "virt-cut.dtb"
DTB_TOTALSIZE = BUILD / "virt-totalsize-cut.dtb"
DTB_MAGIC = BUILD / "virt-bad-magic.dtb"
DTB_MEMREG = BUILD / "virt-memreg-cut.dtb"
NEG_SMP, NEG_MEM = 4, "512M"
NEG_TIMEOUT = 30        # they fail in well under a second
OPENSBI_ERR_RE = re.compile(r"^(sbi_\w+|init_\w+|fw_\w+):.*(fail|error)", re.I)


def fdt_find_prop(blob, node_prefix, prop):
    """Offset of the length word of `prop` in the first node whose name
    starts with `node_prefix`, and that length."""
    off_struct, off_strings = struct.unpack_from(">II", blob, 8)
    pos, path = off_struct, []
    while True:
        (tag,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        if tag == FDT_BEGIN_NODE:
            end = blob.index(b"\0", pos)
            path.append(blob[pos:end].decode())
            pos = (end + 4) & ~3
        elif tag == FDT_END_NODE:
            path.pop()
        elif tag == FDT_PROP:
            length, nameoff = struct.unpack_from(">II", blob, pos)
            name_at = off_strings + nameoff
            name = blob[name_at:blob.index(b"\0", name_at)].decode()
            if path and path[-1].startswith(node_prefix) and name == prop:
                return pos, length
            pos = (pos + 8 + length + 3) & ~3
        elif tag == FDT_END:
            raise KeyError(f"{node_prefix}*/{prop} not in the DTB")
        elif tag != FDT_NOP:
            raise ValueError(f"bad FDT tag {tag} at {pos - 4}")


def truncate_prop(blob, node_prefix, prop):
    """Cut one 32-bit word off a property, keeping the blob walkable."""
    blob = bytearray(blob)
    pos, length = fdt_find_prop(blob, node_prefix, prop)
    struct.pack_into(">I", blob, pos, length - 4)
    struct.pack_into(">I", blob, pos + 8 + length - 4, FDT_NOP)
    return bytes(blob)


def prepare_dtbs(qemu):
    """Dump the virt machine's DTB and write the broken copies.
    Returns None, or why it could not."""
    DTB.unlink(missing_ok=True)
    cmd = rq.qemu_args(qemu, smp=NEG_SMP, mem=NEG_MEM, machine=f"virt,dumpdtb={DTB}")
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "dumpdtb timed out"
    if p.returncode or not DTB.exists():
        return f"dumpdtb failed (exit status {p.returncode}): {p.stderr.strip()}"
    blob = DTB.read_bytes()
    half = len(blob) // 2
    DTB_CUT.write_bytes(blob[:half])
    DTB_TOTALSIZE.write_bytes(blob[:4] + struct.pack(">I", half) + blob[8:half])
    DTB_MAGIC.write_bytes(bytes([blob[0] ^ 0xff]) + blob[1:])
    try:
        DTB_MEMREG.write_bytes(truncate_prop(blob, "memory@", "reg"))
    except (KeyError, ValueError, struct.error) as e:
        return f"cannot patch the dumped DTB: {e}"
    return None


def negative_configs(qemu):
    def neg(name, dtb, expect):
        cmd = rq.qemu_args(qemu, smp=NEG_SMP, mem=NEG_MEM, extra=["-dtb", str(dtb)])
        return Config(name, cmd, NEG_TIMEOUT, judge_negative, expect)
    return [neg("neg-dtb-cut-half", DTB_CUT, "qemu"),
            neg("neg-dtb-totalsize-cut", DTB_TOTALSIZE, "qemu"),
            neg("neg-dtb-bad-magic", DTB_MAGIC, "qemu"),
            neg("neg-dtb-memreg-cut", DTB_MEMREG, "kernel")]


def judge_negative(cfg, con, rc, timed_out):
    """One case: passes when the boot failed cleanly, with a message from
    the layer that should have caught it (cfg.expect)."""
    lines = con.lines
    r = Result(cfg.name)
    panic = con.panic_line()
    qemu_err = next((ln for ln in lines if ln.startswith("qemu-system-riscv64:")
                     and "terminating on signal" not in ln), None)
    sbi_err = next((ln for ln in lines if OPENSBI_ERR_RE.match(ln)), None)
    if panic:
        r.notes.append("stopped by the kernel: " + panic.strip())
    elif qemu_err:
        r.notes.append("refused by QEMU: " + qemu_err.strip())
    elif sbi_err:
        r.notes.append("stopped by OpenSBI: " + sbi_err.strip())
    else:
        booted = any(TOTALS_RE.search(ln) for ln in lines)
        r.fail("the kernel booted and ran its tests" if booted else
               "no kernel panic and no QEMU/OpenSBI error")
    stopper = "kernel" if panic else "qemu" if qemu_err else "opensbi" if sbi_err else None
    if stopper and stopper != cfg.expect:
        r.fail(f"stopped by {stopper}, expected {cfg.expect}")
    if timed_out:
        r.fail(f"hang: timeout after {cfg.timeout:.0f} s")
    elif rc == 0:
        r.fail("exit status 0" + (
            " (the panic came before the kernel knew the sifive,test syscon, so it "
            "shut down through SBI SRST, which QEMU always reports as 0)" if panic else ""))
    if not r.reasons:
        r.passed = 1
    return r


# ---- the board's boot chain, old firmware, board proxies -------------------------
#
# The VisionFive 2 boots OpenSBI -> U-Boot (from SPI flash) -> the card's
# boot.scr -> booti. Debian's S-mode U-Boot for QEMU virt is the same chain:
# `make vf2-sd`'s image, as a user flashes it, is its virtio disk, and
# distro boot must find the script with no typing. The FIT and the board's
# own device tree (${fdtfile}) go through typed U-Boot commands, as README
# documents them. OpenSBI 1.1 (SBI 1.0, no DBCN) is the firmware boards
# shipped with. sifive_u is the nearest QEMU board (an E51 without MMU and
# four U54, Sv39, no Zicboz, 1 MHz timebase, no PCI, no test syscon: the
# runner stops it after `rvmm: halted`), and virt with the U54 CPU runs the
# hotplug and virtio-mem suites without Zicboz.

UBOOT = Path("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin")
SD_IMAGE = BUILD / "rvmm-vf2-sd.img"       # `make vf2-sd`, unchanged
SD_TEST_IMAGE = BUILD / "sd-test.img"      # the same + a FIT and a DTB for virt
QEMU_FIT = "rvmm-qemu.itb"                 # tools/mkfit.sh for RAM at 0x80000000
VIRT_DTB = BUILD / "qemu-virt.dtb"         # on the card as starfive/qemu-virt.dtb
SIFIVE_U_E51_DTB = BUILD / "sifive_u-e51-okay.dtb"
BOARD_SMP, BOARD_MEM = 2, "2G"             # virt under U-Boot; VIRT_DTB matches
HALTED_RE = re.compile(r"^rvmm: halted")
END_RE = re.compile(r"^rvmm: (halted|PANIC|\d+ passed, \d+ failed)")
HALT_GRACE = 10         # verdict -> "rvmm: halted": SRST refused at once
AUTOBOOT = "Hit any key to stop autoboot"
PROMPT = "=> "
FIT_COMMANDS = [f"load virtio 0:1 ${{kernel_addr_r}} {QEMU_FIT}",
                "bootm ${kernel_addr_r} - ${fdtcontroladdr}"]
FDTFILE_COMMANDS = ["setenv fdtfile starfive/qemu-virt.dtb", "boot"]


def uboot_type(con, commands, timeout):
    """Stop U-Boot's autoboot and type @commands, each at a fresh prompt
    (the last one boots, so no prompt follows it). None, or why not."""
    if not con.wait_for_text(AUTOBOOT, timeout):
        return f"no '{AUTOBOOT}' from U-Boot"
    start = len(con.lines)
    con.send("\n")
    for cmd in commands:
        if not con.wait_for_text(PROMPT, 30, start, prompt=True):
            return f"no U-Boot prompt before '{cmd}'"
        start = len(con.lines)
        con.send(cmd + "\n")
    return None


def stop_after_verdict(con, timeout):
    """A machine without a test syscon never exits: stop QEMU once the
    kernel has given its verdict (or panicked) and halted. Returns QEMU's
    exit status, the kill's when it was stopped, None on timeout."""
    hit = con.wait_for(END_RE, timeout)
    if hit is None:
        return con.wait(0)
    con.wait_for(HALTED_RE, HALT_GRACE, hit[0])
    con.kill()
    return con.proc.returncode


def run_tool(cmd):
    """Run a build helper; None, or why it failed."""
    p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, errors="replace")
    if p.returncode:
        return f"{' '.join(map(str, cmd))}: exit status {p.returncode}: " + \
            (p.stderr.strip().splitlines() or ["?"])[-1]
    return None


def dump_dtb(qemu, machine, smp, mem, out):
    """The DTB QEMU would pass; None, or why not."""
    out.unlink(missing_ok=True)
    return run_tool([qemu, "-M", f"{machine},dumpdtb={out}", "-smp", str(smp), "-m", mem,
                     "-nographic"])


def e51_okay_dtb(qemu):
    """sifive_u's tree with the E51 "okay" and mmu-type "riscv,none", as a
    board tree may leave its monitor core: OpenSBI disables harts with no
    mmu-type, not this one, so the kernel itself must skip it."""
    raw = BUILD / "sifive_u.dtb"
    why = dump_dtb(qemu, "sifive_u", 5, "2G", raw)
    if why:
        return why
    p = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(raw)],
                       capture_output=True, text=True)
    head, sep, tail = p.stdout.partition("cpu@0 {")
    if p.returncode or not sep:
        return "dtc could not read the sifive_u DTB"
    dts = head + sep + '\n\t\t\tmmu-type = "riscv,none";' + tail
    p = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(SIFIVE_U_E51_DTB)],
                       input=dts, capture_output=True, text=True)
    return f"dtc failed: {p.stderr.strip()}" if p.returncode else None


def prepare_board_files(qemu):
    """The FIT and card image for virt, the sifive_u tree, the old
    firmware. Returns None, or why they could not be made."""
    steps = [lambda: None if UBOOT.exists() else f"{UBOOT} missing (make deps)",
             lambda: None if SD_IMAGE.exists() else f"{shown(SD_IMAGE)} missing (make vf2-sd)",
             lambda: run_tool(["bash", "tools/mkfit.sh", str(BUILD), "0x80000000", QEMU_FIT]),
             lambda: dump_dtb(qemu, "virt", BOARD_SMP, BOARD_MEM, VIRT_DTB),
             lambda: run_tool(["bash", "tools/mksd.sh", "-o", str(SD_TEST_IMAGE),
                               "-d", str(VIRT_DTB), "-f", str(BUILD / QEMU_FIT), str(BUILD)]),
             lambda: e51_okay_dtb(qemu)]
    for step in steps:
        why = step()
        if why:
            return why
    return run_tool(["bash", "tools/oldfw.sh"])


def oldfw_path():
    """Where tools/oldfw.sh keeps OpenSBI 1.1's fw_dynamic.bin."""
    return subprocess.run(["bash", "tools/oldfw.sh", "--path"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


def board_configs(qemu, timeout):
    """The boot chain, old firmware and board proxies (see above)."""
    oldfw = oldfw_path()
    def uboot(name, disk, patterns, typing=None, bios="default", append=None):
        cmd = rq.qemu_args(qemu, smp=BOARD_SMP, mem=BOARD_MEM, image=UBOOT, bios=bios,
                           append=append, extra=rq.sd_args(disk))
        return Config(name, cmd, timeout, expect_lines(judge_selftest, *patterns),
                      typing=typing)

    def sifive_u(name, mem, hart0, extra=(), append=None):
        cmd = rq.qemu_args(qemu, smp=5, mem=mem, machine="sifive_u", append=append,
                           extra=list(extra))
        return Config(name, cmd, timeout, expect_lines(
            judge_selftest, rf"^rvmm: smp: hart 0 skipped: {hart0}",
            r"^rvmm: smp: 4 harts online", r"^rvmm: clear_pages: 8-byte stores",
            r"^rvmm: halted"), stop=True)

    distro = r"^Found U-Boot script /boot\.scr"
    configs = [
        uboot("vf2-sd-uboot-distro-boot", SD_IMAGE, append="mem=1G",
              patterns=[distro, r"^rvmm: device tree from U-Boot", r"^rvmm: mem=1024M"]),
        uboot("vf2-sd-uboot-fdtfile", SD_TEST_IMAGE, typing=FDTFILE_COMMANDS,
              patterns=[distro, r"^rvmm: device tree /starfive/qemu-virt\.dtb"]),
        uboot("fit-uboot-bootm", SD_TEST_IMAGE, typing=FIT_COMMANDS,
              patterns=[r"Loading kernel from FIT Image", r"^rvmm: booting"]),
        uboot("vf2-sd-uboot-opensbi-1.1", SD_IMAGE, bios=oldfw,
              patterns=[r"^OpenSBI v1\.1", distro, r"SBI 1\.0 \(legacy console\)"]),
        Config("opensbi-1.1-2G-mem1G-smp4",
               rq.qemu_args(qemu, smp=4, mem="2G", bios=oldfw, append="mem=1G"),
               timeout, expect_lines(judge_selftest, r"SBI 1\.0 \(legacy console\)")),
        sifive_u("sifive_u-e51-okay-2G-mem1G-smp5", "2G", "no MMU", append="mem=1G",
                 extra=["-dtb", str(SIFIVE_U_E51_DTB)]),
        # OpenSBI itself disables the E51 (no mmu-type) in the tree it passes
        sifive_u("sifive_u-8G-smp5", "8G", "disabled"),
        # No power-off device, but a reboot one: rvmm.reboot ends the run there
        # (-no-reboot makes QEMU exit).
        Config("sifive_u-rvmm.reboot-1G-smp5",
               rq.qemu_args(qemu, smp=5, mem="1G", machine="sifive_u",
                            append="rvmm.reboot rvmm.tests=base"),
               timeout, expect_lines(judge_selftest,
                                     r"^rvmm: SRST shutdown refused \(-95\); rebooting")),
    ]
    u54 = "virt-sifive-u54-2G-mem1G-smp4"
    vmem = []
    if rq.has_virtio_mem(qemu):
        u54, vmem = "virt-sifive-u54-2G-mem1G-virtio-mem-smp4", rq.virtio_mem_args(
            requested_size="326M")
    configs.append(Config(u54, rq.qemu_args(qemu, smp=4, mem="2G,maxmem=10G" if vmem else "2G",
                                            cpu="sifive-u54", append="mem=1G", extra=vmem),
                          timeout, expect_lines(judge_selftest,
                                                r"^rvmm: clear_pages: 8-byte stores",
                                                r"^rvmm: mm: Sv39,")))
    return configs


# ---- hostile memory layouts ------------------------------------------------------
#
# Device trees and machines that describe memory wrongly or awkwardly
# (tests/hostile_dts.py builds the trees). Each config states the layer
# that must handle it and the message it must print: "boot" ones must boot
# and pass every self-test after warning; "kernel" ones must stop with a
# clear panic. README's "Broken device trees" lists what each one does.

HOSTILE_DIR = BUILD / "hostile"
G, M = rq.GiB, rq.MiB


def big_ram(size):
    """-m beyond host RAM: a backend that reserves nothing up front."""
    return ("virt,memory-backend=ram",
            ["-object", f"memory-backend-ram,id=ram,size={size},reserve=off"])


def vmem_dev(i, size, req):
    return ["-object", f"memory-backend-ram,id=vmem{i},size={size},reserve=off",
            "-device", f"virtio-mem-pci,id=vm{i},memdev=vmem{i},block-size=2M,"
                       f"requested-size={req}"]


# name, -m, cpu, DT edit (or None), expect, messages; then keyword extras.
HOSTILE = [
    ("hostile-nomap-over-kernel-sv57", "1G", "rv64",
     lambda d: hdt.with_reserved(d, "fw@80200000", 0x80200000, 2 * M, True), "boot",
     [r"warning: reserved-memory fw@80200000: no-map \[0x80200000-0x803fffff\] overlaps "
      r"the kernel, the DTB or an earlier reservation: no-map refused"]),
    ("hostile-unaligned-sv48", "1G", "rv64,sv57=off",
     lambda d: hdt.with_reserved(hdt.with_memory(d, [[(0x80000800, G - 0x1000)],
                                                     [(0xc0000800, 0x400)]]),
                                 "fw@90000800", 0x90000800, 0x1000, True), "boot",
     [r"warning: memory \[0x80000800-0xbffff7ff\] not page-aligned: using "
      r"\[0x80001000-0xbfffefff\]",
      r"warning: memory \[0xc0000800-0xc0000bff\] holds no whole page: ignored",
      r"warning: reserved-memory fw@90000800: \[0x90000800-0x900017ff\] not page-aligned: "
      r"reserving \[0x90000000-0x90001fff\]"]),
    ("hostile-130G-sv39", "130G", "rv64", None, "boot",
     [r"warning: memory \[0x80000000-0x20ffffffff\] beyond the Sv39 linear map \(128 GiB\): "
      r"clipped", r"rvmm: mm: total 129024 MiB"],
     dict(append="no4lvl", big=True)),
    ("hostile-virtio-mem-beyond-sv39", "125G,maxmem=135G", "rv64", None, "boot",
     [r"warning: virtio-mem: only 0x1fc0000000-0x1fffffffff of the region is usable",
      r"error: virtio-mem: region 0x2040000000-0x20bfffffff holds no whole 128 MiB memory "
      r"block below the Sv39 linear-map limit 0x2000000000: not used",
      r"rvmm: mem plugged=1073741824 requested=2147483648 "],
     dict(append="mem=1G no4lvl", big=True,
          extra=vmem_dev(0, "2G", "2G") + vmem_dev(1, "2G", "1G"))),
    ("hostile-mem-overlap-sv39", "1G", "rv64,sv48=off,sv57=off",
     lambda d: hdt.with_memory(d, [[(0x80000000, 768 * M)],
                                   [(0xa0000000, 512 * M), (0x80000000, 64 * M)]]), "boot",
     [r"rvmm: mm: total 1024 MiB"]),
    ("hostile-address-cells-1-sv57", "1G", "rv64",
     lambda d: hdt.with_memory(hdt.with_root_cells(d, 1, 1), [[(0x80000000, G)]], 1, 1),
     "boot", [r"rvmm: mm: total 1024 MiB"]),
    ("hostile-32-mem-ranges-sv48", "1G", "rv64,sv57=off",
     lambda d: hdt.with_memory(d, [[(0x80000000 + i * 32 * M, 16 * M) for i in range(32)]]),
     "boot", [r"rvmm: memblock memory: 33 regions, 524288 KiB", r"rvmm: mm: total 512 MiB"]),
    ("neg-dt-33-mem-ranges", "1G", "rv64",
     lambda d: hdt.with_memory(d, [[(0x80000000 + i * 16 * M, 16 * M) for i in range(33)]]),
     "kernel", [r"PANIC: invalid device tree .*: dt: /memory@80000000: more than 32 memory "
                r"ranges"]),
    ("neg-tiny-ram", "1G", "rv64",
     lambda d: hdt.with_memory(d, [[(0x80000000, 4 * M)]]), "kernel",
     [r"PANIC: mm: only \d+ KiB of RAM free after boot \(4096 KiB in the memory map\): "
      r"rvmm needs 8 MiB"]),
    ("neg-memmap-out-of-memory", "8G", "rv64",
     lambda d: hdt.with_memreserve(d, 0x80400000, 8 * G - 4 * M), "kernel",
     [r"PANIC: sparse_init: no memory for the memmap of section \d+"]),
]
# mem= that hides RAM starting mid-1 GiB region: the hotplug self-tests
# must compute their expectations from the layout (paging modes alternate).
HIDDEN_MEM = [("1G", "128M", "sv57"), ("1G", "384M", "sv39"), ("1G", "768M", "sv48"),
              ("2G", "128M", "sv39"), ("2G", "384M", "sv48"), ("2G", "768M", "sv57")]


def hostile_configs(qemu, timeout):
    """The hostile boots; their DTBs are written by prepare_hostile()."""
    configs = []
    for name, mem, cpu, edit, expect, want, *kw in HOSTILE:
        kw = kw[0] if kw else {}
        machine, extra = big_ram(mem.split(",")[0]) if kw.get("big") else ("virt", [])
        if edit:
            extra = extra + ["-dtb", str(HOSTILE_DIR / f"{name}.dtb")]
        cmd = rq.qemu_args(qemu, smp=2, mem=mem, cpu=cpu, machine=machine,
                           append=kw.get("append"), extra=extra + kw.get("extra", []))
        judge = judge_hostile_boot if expect == "boot" else judge_hostile_stop
        configs.append(Config(name, cmd, timeout if expect == "boot" else NEG_TIMEOUT,
                              judge, "kernel", want=tuple(want)))
    cpus = dict(MODES)
    for ram, hide, mode in HIDDEN_MEM:
        configs.append(Config(f"{mode}-{ram}-mem{hide}-smp2",
                              rq.qemu_args(qemu, smp=2, mem=ram, cpu=cpus[mode],
                                           append=f"mem={hide}"),
                              timeout, judge_hidden_mem))
    return configs


def prepare_hostile(qemu, names):
    """Write the DTBs of the hostile configs in @names. None, or why not."""
    HOSTILE_DIR.mkdir(parents=True, exist_ok=True)
    dumps = {}
    try:
        for name, mem, _cpu, edit, *_ in HOSTILE:
            if not edit or name not in names:
                continue
            if mem not in dumps:
                dumps[mem] = hdt.dump_dts(qemu, mem, 2, HOSTILE_DIR / f"virt-{mem}.dtb")
            hdt.compile_dts(edit(dumps[mem]), HOSTILE_DIR / f"{name}.dtb")
    except (subprocess.SubprocessError, OSError) as e:
        return f"cannot build the hostile DTBs: {e}"
    return None


def judge_hostile_boot(cfg, con, rc, timed_out):
    """Boots, passes its self-tests, and printed the expected warnings."""
    r = judge_selftest(cfg, con, rc, timed_out)
    check_lines(r, con.text(), cfg.want)
    return r


def judge_hostile_stop(cfg, con, rc, timed_out):
    """Stopped by the kernel (judge_negative), with the expected message."""
    r = judge_negative(cfg, con, rc, timed_out)
    check_lines(r, con.text(), cfg.want)
    if r.reasons:
        r.passed = 0
    return r


def judge_hidden_mem(cfg, con, rc, timed_out):
    """judge_selftest, and the hotplug suite must have run, not skipped."""
    r = judge_selftest(cfg, con, rc, timed_out)
    if re.search(r"ok \d+ hp_\w+ # SKIP", con.text()):
        r.fail("hotplug self-tests skipped: no hidden RAM")
    return r


# ---- running configurations ------------------------------------------------------

def run_config(cfg):
    """Boot one configuration and judge it."""
    log = LOGS / f"{cfg.name}.log"
    con, rc, timed_out, secs = boot(cfg.cmd, log, cfg.timeout, cfg.typing, cfg.stop)
    r = cfg.judge(cfg, con, rc, timed_out)
    r.seconds, r.log = secs, log
    if r.reasons:
        r.tail, r.cmd = con.lines[-TAIL_LINES:], cfg.cmd
    return r.finish()


def host_tests(timeout):
    """`make host-test`: KTAP from the sanitized host build of the mm core."""
    t0 = time.monotonic()
    log = LOGS / "host.log"
    r = Result("host-test", log=log)
    try:
        p = subprocess.run(["make", "--no-print-directory", "host-test"], cwd=ROOT,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=timeout)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        rc = None
    log.write_text(out)
    k = parse_ktap(out)
    r.passed, r.failed, r.skipped, r.failed_names = k.passed, k.failed, k.skipped, k.failed_names
    if rc is None:
        r.fail(f"timeout after {timeout} s")
    elif rc and not k.seen:
        r.fail(f"make host-test failed to build (exit status {rc})")
    elif rc:
        r.fail(f"host test binary exited with status {rc} (sanitizer report?)")
    if k.seen and not k.totals:
        r.fail("no '# Totals:' line")
    if k.not_ok:
        r.fail("'not ok' in the output")
    r.seconds = time.monotonic() - t0
    if r.reasons:
        r.tail = out.splitlines()[-TAIL_LINES:]
    return r.finish()


def board_trees():
    """rvmm-dtinfo on the JH7110 boards' trees (tests/boards.py)."""
    t0 = time.monotonic()
    r = Result("board-trees", log=LOGS / "board-trees.log")
    p = subprocess.run(["make", "--no-print-directory", "build/boards/.stamp",
                        "build/host/rvmm-dtinfo"], cwd=ROOT, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, errors="replace")
    if p.returncode:
        r.fail("building the board trees or rvmm-dtinfo failed: "
               + (p.stderr.strip().splitlines() or ["?"])[-1])
    else:
        try:
            r.passed, r.failed, r.failed_names = boards.run(BUILD, r.log)
        except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
            r.fail(f"tests/boards.py: {e}")
    r.seconds = time.monotonic() - t0
    return r.finish()


def e2e(qemu):
    """The virtio-mem scenario of tests/e2e_virtio_mem.py."""
    t0 = time.monotonic()
    r = Result("e2e")
    try:
        r.passed, r.failed, r.skipped = e2e_virtio_mem.run(qemu, str(LOGS))
    except Exception as e:  # a broken scenario script is a failure, not a crash
        r.fail(f"e2e_virtio_mem.py raised {type(e).__name__}: {e}")
    if not (r.reasons or r.passed or r.failed or r.skipped):
        r.skipped = 1
        r.notes.append("the scenario reported no cases")
    r.seconds = time.monotonic() - t0
    return r.finish()


def soak_part(qemu, jobs):
    """The short seeded soak of tests/soak.py: fixed seeds and a new one."""
    t0 = time.monotonic()
    r = Result("soak")
    try:
        r.passed, r.failed, r.skipped = soak.run_short(qemu, str(LOGS), jobs)
    except Exception as e:  # a broken soak script is a failure, not a crash
        r.fail(f"soak.py raised {type(e).__name__}: {e}")
    r.seconds = time.monotonic() - t0
    return r.finish()


def cmd_test(args):
    """`make test`. Returns the exit status."""
    LOGS.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    qemu = rq.find_qemu()
    vmem = rq.has_virtio_mem(qemu)
    print(f"test: QEMU {qemu} (virtio-mem: {'yes' if vmem else 'NO'}), "
          f"timeout {args.timeout:.0f} s, {args.jobs} at a time, logs in build/logs/",
          flush=True)
    if not rq.IMAGE.exists():
        print("test: build/Image is missing (run `make`)")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    want = re.compile(args.only) if args.only else None

    def wanted(name):
        return want is None or want.search(name)

    results = []
    if wanted("host-test"):
        results.append(host_tests(args.host_timeout))
        results[-1].report(None)
    if wanted("board-trees"):
        results.append(board_trees())
        results[-1].report(None)
    configs = [c for c in selftest_configs(qemu, args.timeout) if wanted(c.name)]
    if any("layout" in c.name for c in configs):
        layouts.make_layout_dtb(qemu, str(LAYOUT_DTB))
    boards = [c for c in board_configs(qemu, args.timeout) if wanted(c.name)]
    why = prepare_board_files(qemu) if boards else None
    if why:
        for c in boards:
            results.append(Result(c.name, reasons=[why]).finish())
            results[-1].report()
    else:
        configs += boards
    negatives = [c for c in negative_configs(qemu) if wanted(c.name)]
    configs += [c for c in crash_configs(qemu) if wanted(c.name)]
    hostile = [c for c in hostile_configs(qemu, args.timeout) if wanted(c.name)]
    why = prepare_hostile(qemu, {c.name for c in hostile})
    if why:
        for c in hostile:
            results.append(Result(c.name, reasons=[why]).finish())
            results[-1].report()
        hostile = []
    if negatives:
        why = prepare_dtbs(qemu)
        if why:
            for c in negatives:
                results.append(Result(c.name, reasons=[why]).finish())
                results[-1].report()
            negatives = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for r in pool.map(run_config, configs + hostile + negatives):   # in order
            r.report()
            results.append(r)
    if wanted("e2e"):
        results.append(e2e(qemu))
        results[-1].report(None)
    if wanted("soak"):
        results.append(soak_part(qemu, args.jobs))
        results[-1].report(None)

    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(f"test: {time.monotonic() - t0:.1f} s in all")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


# ---- run ---------------------------------------------------------------------------

RUN_STEPS = [2 * rq.GiB, 512 * rq.MiB, 1 * rq.GiB]
MEM_LINE_WAIT = 30      # no `rvmm: mem` line this long after the summary: no demo


def say(msg):
    """A driver message between console output (which is streamed raw)."""
    sys.stdout.buffer.write(f"\nrun: {msg}\n".encode())
    sys.stdout.buffer.flush()


def boot_plain(qemu):
    """The default machine without virtio-mem; QEMU's exit status."""
    return subprocess.call(rq.default_args(qemu), cwd=ROOT, stdin=subprocess.DEVNULL)


def cmd_run(args):
    """`make run`. Returns the exit status."""
    LOGS.mkdir(parents=True, exist_ok=True)
    qemu = rq.find_qemu()
    if not rq.has_virtio_mem(qemu):
        print(f"run: {qemu} has no virtio-mem-pci (build it with `make qemu`); "
              "booting without the device", file=sys.stderr)
        return boot_plain(qemu)
    sock = BUILD / "qmp.sock"
    sock.unlink(missing_ok=True)
    # 256 MiB of page-store data over the plugged memory: every shrink below
    # moves it, and the kernel verifies it after each change.
    cmd = rq.default_args(qemu, append="rvmm.serve rvmm.store=256M",
                          extra=rq.virtio_mem_args(requested_size=rq.DEFAULT_REQUEST) +
                          rq.qmp_args(sock))
    con = rq.Console(cmd, log_path=LOGS / "run.log", echo=sys.stdout.buffer)
    qmp = None
    try:
        qmp = rq.QMP(sock, console=con)
        return serve_session(con, qmp, args.timeout)
    except (OSError, ValueError, rq.QMPError) as e:
        say("QMP failed: " + con.why_gone(e))
        return 1
    finally:
        if qmp:
            qmp.close()
        con.kill()
        sock.unlink(missing_ok=True)


def serve_session(con, qmp, timeout):
    """After the self-tests: live resizes, then quit. Returns the exit status."""
    hit = con.wait_for(rq.SUMMARY_RE, timeout)
    if hit is None:
        if con.alive:
            say(f"no self-test summary within {timeout:.0f} s; stopping QEMU")
            return 1
        rc = con.wait(10)
        say(f"QEMU exited with status {rc} before the self-test summary")
        return rc or 1
    verdict = 0 if int(hit[1].group(2)) == 0 and not con.panicked() else 1
    rc = con.wait(rq.EXIT_GRACE)
    if rc is not None:
        # The kernel shut down instead of serving: no rvmm.serve support
        # (or it does not serve after failed self-tests). QEMU's status is
        # the kernel's verdict then.
        say(f"QEMU exited with status {rc} after the self-tests; no resize demo")
        return verdict or rc
    if not con.wait_for(rq.MEM_LINE_RE, MEM_LINE_WAIT):
        say(f"no 'rvmm: mem' line within {MEM_LINE_WAIT} s of the summary: the kernel "
            "does not service virtio-mem yet; skipping the resize demo")
        qmp.quit()
        con.wait(30)
        return verdict
    for size in RUN_STEPS:
        say(f"requesting {rq.fmt_size(size)} ...")
        t0 = time.monotonic()
        ok, msg = rq.resize(qmp, con, size)
        say(f"{msg} ({time.monotonic() - t0:.1f} s)")
        if not ok:
            verdict = 1
            break
    say("quitting QEMU")
    qmp.quit()
    con.wait(30)
    if con.panicked():
        verdict = 1
    return verdict


# ---- bench -------------------------------------------------------------------------

BENCH_RE = re.compile(r"^bench: (\S+) (\S+) (\S+)\s*$")
ICOUNT = ["-icount", "shift=0,sleep=off", "-seed", "1", "-rtc", "clock=vm"]
BENCH_APPEND = "rvmm.bench rvmm.tests=bench"
# The VisionFive 2's U74 has no Zicboz: the kernel zeroes with stores.
NOZICBOZ_CPU = "rv64,zicboz=false"
REQUIRED_BENCH = ["boot_mm_init_8g", "hotadd_1g", "hotremove_1g", "vmemmap_bytes_per_gib",
                  "boot_mm_init_8g_nozicboz", "hotadd_1g_nozicboz",
                  "vmemmap_pt_pages_per_gib", "dax_vmemmap_pages_per_2m",
                  "dax_vmemmap_pages_per_1g", "host_memmap_init_vs_memset",
                  "tlb_syncs_per_gib_add",
                  "serve_plug_1g", "serve_unplug_1g", "vmem_requests_per_gib_plug",
                  "vmem_requests_per_gib_unplug", "migrate_page", "hotremove_1g_half_used"]
# The serve benchmarks: make run's path, 1 GiB up then down over QMP.
SERVE_BENCH_STEPS = [2 * rq.GiB, 1 * rq.GiB]


def warn(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def emit_bench(text, emitted, rename, only=False):
    """Print the well-formed `bench:` lines of `text` not printed yet
    (with `only`, just those that `rename` names)."""
    for line in text.splitlines():
        m = BENCH_RE.match(line.strip())
        if not m or (only and m[1] not in rename):
            continue
        name = rename.get(m[1], m[1])
        if name in emitted:
            continue
        emitted.add(name)
        print(f"bench: {name} {m[2]} {m[3]}", flush=True)


def bench_boot(name, cmd, timeout, emitted, rename, only=False):
    """One deterministic boot; print its bench lines. False on panic/hang."""
    con, rc, timed_out, secs = boot(cmd, LOGS / f"{name}.log", timeout)
    emit_bench(con.text(), emitted, rename, only)
    warn(f"{name}: exit status {rc}, {secs:.1f} s, log build/logs/{name}.log")
    if con.panicked() or timed_out:
        warn(f"{name}: " + ("kernel panic" if con.panicked() else f"timeout after {timeout} s"))
        for line in con.lines[-TAIL_LINES:]:
            print("    | " + line, file=sys.stderr)
        return False
    return True


def bench_serve(qemu, timeout, emitted):
    """The default device under -icount with rvmm.serve: the probe-time
    figures (hotadd_1g, ...), then 1 GiB more and 1 GiB less over QMP for
    the serve_* figures the kernel prints. False on panic/hang/failure."""
    name = "bench-virtio-mem"
    sock = BUILD / "bench-qmp.sock"
    sock.unlink(missing_ok=True)
    # sleep=on: an idle guest (wfi, no timer armed) with sleep=off keeps
    # QEMU from answering QMP. Counts stay exact; only the clock follows
    # the host, and nothing on this path reads it.
    icount = ["-icount", "shift=0,sleep=on"] + ICOUNT[2:]
    cmd = rq.qemu_args(qemu, smp=1, mem=rq.DEFAULT_MEM, append="rvmm.serve " + BENCH_APPEND,
                       extra=icount + rq.virtio_mem_args(requested_size=rq.DEFAULT_REQUEST,
                                                         deterministic=True) +
                       rq.qmp_args(sock))
    con, qmp, ok = rq.Console(cmd, log_path=LOGS / f"{name}.log"), None, False
    try:
        qmp = rq.QMP(sock, console=con)
        if con.wait_for(re.compile("serving devices"), timeout):
            ok = all(rq.resize(qmp, con, size)[0] for size in SERVE_BENCH_STEPS)
        qmp.quit()
        con.wait(30)
    except (OSError, ValueError, rq.QMPError) as e:
        warn(f"{name}: QMP failed: " + con.why_gone(e))
    finally:
        if qmp:
            qmp.close()
        con.kill()
        sock.unlink(missing_ok=True)
    # Its boot figure is for 1 GiB of boot RAM, not 8: keep it apart.
    emit_bench(con.text(), emitted, {"boot_mm_init": "boot_mm_init_1g"})
    warn(f"{name}: {'ok' if ok else 'FAILED'}, log build/logs/{name}.log")
    if not ok or con.panicked():
        for line in con.lines[-TAIL_LINES:]:
            print("    | " + line, file=sys.stderr)
    return ok and not con.panicked()


def cmd_bench(args):
    """`make bench`. Returns the exit status."""
    LOGS.mkdir(parents=True, exist_ok=True)
    qemu = rq.find_qemu()
    emitted, ok = set(), True
    # 8 GiB of boot RAM, plus 1 GiB kept out by mem= for the hotplug figures.
    cmd = rq.qemu_args(qemu, smp=1, mem="9G", append="mem=8G " + BENCH_APPEND, extra=ICOUNT)
    ok &= bench_boot("bench-8g", cmd, args.timeout, emitted,
                     {"boot_mm_init": "boot_mm_init_8g"})
    # The same boot on the board's CPU; the bench suite's figures are not needed.
    cmd = rq.qemu_args(qemu, smp=1, mem="9G", cpu=NOZICBOZ_CPU,
                       append="mem=8G rvmm.bench rvmm.tests=none", extra=ICOUNT)
    ok &= bench_boot("bench-8g-nozicboz", cmd, args.timeout, emitted,
                     {"boot_mm_init": "boot_mm_init_8g_nozicboz"}, only=True)
    p = subprocess.run(["make", "--no-print-directory", "host-bench"], cwd=ROOT,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       errors="replace")
    if p.returncode == 0:
        emit_bench(p.stdout, emitted, {})
    else:
        warn(f"host-bench: make failed (exit status {p.returncode}): "
             + (p.stderr.strip().splitlines() or ["?"])[-1])
    if rq.has_virtio_mem(qemu):
        ok &= bench_serve(qemu, args.timeout, emitted)
        cmd = rq.qemu_args(qemu, smp=1, mem=rq.DEFAULT_MEM, append=BENCH_APPEND,
                           cpu=NOZICBOZ_CPU,
                           extra=ICOUNT + rq.virtio_mem_args(requested_size="1G",
                                                             deterministic=True))
        ok &= bench_boot("bench-virtio-mem-nozicboz", cmd, args.timeout, emitted,
                         {"hotadd_1g": "hotadd_1g_nozicboz"}, only=True)
    else:
        warn(f"{qemu} has no virtio-mem: no hot-add/hot-remove figures")
    missing = [n for n in REQUIRED_BENCH if n not in emitted]
    if missing:
        warn("missing figures: " + ", ".join(missing))
    return 0 if ok else 1


# ---- debug -------------------------------------------------------------------------

def cmd_debug(args):
    """`make debug`: halted at reset with a gdb stub on :1234."""
    qemu = rq.find_qemu()
    cmd = rq.default_args(qemu, extra=["-s", "-S"])
    print('gdb-multiarch build/kernel.elf -ex "target remote :1234"')
    print("(QEMU is halted until gdb continues; Ctrl-A x quits QEMU)", flush=True)
    return subprocess.call(cmd, cwd=ROOT)


# ---- main --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["run", "test", "bench", "debug"])
    ap.add_argument("--timeout", type=float, default=120,
                    help="seconds per QEMU boot (default 120)")
    ap.add_argument("--host-timeout", type=float, default=900,
                    help="seconds for building and running the host tests (default 900)")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="QEMU boots run in parallel by `test` (default 2)")
    ap.add_argument("--only", metavar="REGEX",
                    help="`test`: only parts whose name matches (host-test, "
                         "sv57-512M-smp1, neg-dtb-..., e2e, soak)")
    args = ap.parse_args()
    commands = {"run": cmd_run, "test": cmd_test, "bench": cmd_bench, "debug": cmd_debug}
    try:
        sys.exit(commands[args.command](args))
    except KeyboardInterrupt:
        print("\nrun.py: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
