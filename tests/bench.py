#!/usr/bin/python3
"""`make bench`: `bench: <name> <value> <unit>` lines only, on stdout
(diagnostics on stderr), from deterministic (-icount) boots and the host
benchmark (CONTRACT.md names the figures that must exist)."""

import argparse
import re
import subprocess
import sys
from pathlib import Path


sys.dont_write_bytecode = True   # keep tests/ free of __pycache__
sys.path[:0] = [str(Path(__file__).resolve().parent),
                str(Path(__file__).resolve().parent.parent / "tools")]


import rvmm_qemu as rq  # noqa: E402
from harness import BUILD, LOGS, ROOT, TAIL_LINES, boot  # noqa: E402

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=120,
                    help="seconds per QEMU boot (default 120)")
    try:
        sys.exit(cmd_bench(ap.parse_args()))
    except KeyboardInterrupt:
        print("\nbench.py: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
