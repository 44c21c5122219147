"""The boots of `make test` that must fail cleanly or warn: rvmm.crash
panic reports, broken device trees, hostile memory layouts (and mem=
hiding RAM mid-region, which must still run the hotplug suites)."""

import re
import subprocess

import rvmm_qemu as rq
import dtedit as dte
from harness import BUILD, HALTED_RE, Config, Result, check_lines, judge_selftest
from ktap import TOTALS_RE
from matrix import MODES


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
#   to 12 bytes (with libfdt, so the blob stays valid). OpenSBI does not read
#   /memory and boots; the kernel must reject the blob with
#   "rvmm: PANIC: invalid device tree ... 'reg' length 12 not a multiple of 16".
#   The kernel's own handling of cut and corrupt blobs is covered in-kernel
#   (dt_test), on the host under ASan (dt_host) and by `make fuzz`.
#
# Each negative config is one test case: it passes when the boot fails
# cleanly (a kernel panic, or a clear QEMU/OpenSBI error), with a non-zero
# exit status, before the timeout.

DTB = BUILD / "virt.dtb"
DTB_CUT = BUILD / "virt-cut.dtb"
DTB_TOTALSIZE = BUILD / "virt-totalsize-cut.dtb"
DTB_MAGIC = BUILD / "virt-bad-magic.dtb"
DTB_MEMREG = BUILD / "virt-memreg-cut.dtb"
NEG_SMP, NEG_MEM = 4, "512M"
NEG_TIMEOUT = 30        # they fail in well under a second
OPENSBI_ERR_RE = re.compile(r"^(sbi_\w+|init_\w+|fw_\w+):.*(fail|error)", re.I)


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
    DTB_TOTALSIZE.write_bytes(blob[:4] + half.to_bytes(4, "big") + blob[8:half])
    DTB_MAGIC.write_bytes(bytes([blob[0] ^ 0xff]) + blob[1:])
    try:
        DTB_MEMREG.write_bytes(dte.edit(blob, dte.truncate_prop("memory@", "reg")))
    except (OSError, ValueError) as e:
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


# ---- hostile memory layouts ------------------------------------------------------
#
# Device trees and machines that describe memory wrongly or awkwardly
# (tests/dtedit.py edits the trees). Each config states the layer
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


# name, -m, cpu, DT edits (tests/dtedit.py, or None), expect, messages; then
# keyword extras.
HOSTILE = [
    ("hostile-nomap-over-kernel-sv57", "1G", "rv64",
     [dte.with_reserved("fw@80200000", (0x80200000, 2 * M), nomap=True)], "boot",
     [r"warning: reserved-memory fw@80200000: no-map \[0x80200000-0x803fffff\] overlaps "
      r"the kernel, the DTB or an earlier reservation: no-map refused"]),
    ("hostile-unaligned-sv48", "1G", "rv64,sv57=off",
     [dte.with_memory([[(0x80000800, G - 0x1000)], [(0xc0000800, 0x400)]]),
      dte.with_reserved("fw@90000800", (0x90000800, 0x1000), nomap=True)], "boot",
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
    # The PCI host before its interrupt parent in tree order: the ECAM
    # driver defers until the PLIC has probed, then INTx works.
    ("hostile-pci-before-plic-sv48", "2G,maxmem=4G", "rv64,sv57=off",
     [dte.node_first("/soc/pci@30000000")], "boot",
     [r"rvmm: virtio-mem: 00:01\.0 region .* config changes by INTx"],
     dict(append="mem=1G", extra=vmem_dev(0, "2G", "512M"))),
    ("hostile-mem-overlap-sv39", "1G", "rv64,sv48=off,sv57=off",
     [dte.with_memory([[(0x80000000, 768 * M)],
                       [(0xa0000000, 512 * M), (0x80000000, 64 * M)]])], "boot",
     [r"rvmm: mm: total 1024 MiB"]),
    ("hostile-address-cells-1-sv57", "1G", "rv64",
     [dte.with_root_cells(1, 1), dte.with_memory([[(0x80000000, G)]], 1, 1)],
     "boot", [r"rvmm: mm: total 1024 MiB"]),
    ("hostile-32-mem-ranges-sv48", "1G", "rv64,sv57=off",
     [dte.with_memory([[(0x80000000 + i * 32 * M, 16 * M) for i in range(32)]])],
     "boot", [r"rvmm: memblock memory: 33 regions, 524288 KiB", r"rvmm: mm: total 512 MiB"]),
    ("neg-dt-33-mem-ranges", "1G", "rv64",
     [dte.with_memory([[(0x80000000 + i * 16 * M, 16 * M) for i in range(33)]])],
     "kernel", [r"PANIC: invalid device tree .*: dt: /memory@80000000: more than 32 memory "
                r"ranges"]),
    ("neg-tiny-ram", "1G", "rv64",
     [dte.with_memory([[(0x80000000, 4 * M)]])], "kernel",
     [r"PANIC: mm: only \d+ KiB of RAM free after boot \(4096 KiB in the memory map\): "
      r"rvmm needs 8 MiB"]),
    ("neg-memmap-out-of-memory", "8G", "rv64",
     [dte.with_memreserve(0x80400000, 8 * G - 4 * M)], "kernel",
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
                # (QEMU's -M options are comma-separated: none in the name.)
                file = HOSTILE_DIR / f"virt-{mem.replace(',', '-').replace('=', '')}.dtb"
                dumps[mem] = dte.dump_dtb(qemu, "virt", mem, 2, file)
            (HOSTILE_DIR / f"{name}.dtb").write_bytes(dte.edit(dumps[mem], *edit))
    except (subprocess.SubprocessError, OSError, ValueError) as e:
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
