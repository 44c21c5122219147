#!/usr/bin/python3
"""rvmm test driver: `make test` calls `tests/run.py test`.

  test   host unit tests (`make host-test`, ASan+UBSan), the boards' device
         trees through rvmm-dtinfo (tests/boards.py), kernel self-tests in
         every QEMU configuration of the matrix (tests/matrix.py), the
         board's boot chain, old firmware and board proxies
         (tests/bootchain.py), the panic reports, broken device trees and
         hostile memory layouts (tests/negative.py), the virtio-mem
         end-to-end scenario (tests/e2e_virtio_mem.py) and the short seeded
         soak (tests/soak.py: one case per step, plus boot and quit per
         seed). Logs go to build/logs/.
         Ends with exactly one line `N passed, N failed, N skipped`; exit
         status 1 on any failure.

The KTAP parser is tests/ktap.py, the shared boot plumbing tests/harness.py;
`make bench` is tests/bench.py, `make run`/`make debug` tools/rvmm-run.py;
QEMU and QMP plumbing is tools/rvmm_qemu.py.
"""

import argparse
import concurrent.futures
import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path


sys.dont_write_bytecode = True   # keep tests/ free of __pycache__
sys.path[:0] = [str(Path(__file__).resolve().parent),
                str(Path(__file__).resolve().parent.parent / "tools")]


import rvmm_qemu as rq  # noqa: E402
import layouts  # noqa: E402
import e2e_virtio_mem  # noqa: E402
import soak  # noqa: E402
import boards  # noqa: E402
import bootchain  # noqa: E402
import matrix  # noqa: E402
import negative  # noqa: E402
from harness import LOGS, ROOT, BUILD, TAIL_LINES, Result, run_config  # noqa: E402
from ktap import parse_ktap  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3"


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


def prepared(configs, prepare, results):
    """@configs once prepare() has made their files (None: done); if it
    could not, each fails with its answer, at once, and none is returned."""
    why = prepare() if configs else None
    if not why:
        return configs
    for c in configs:
        results.append(Result(c.name, reasons=[why]).finish())
        results[-1].report()
    return []


def qemu_boots(qemu, timeout, wanted, results):
    """The QEMU configurations whose name is wanted, in report order, with
    their files made: the matrix, the boot chain, the panics, the hostile
    layouts and the broken trees."""
    def pick(configs):
        return [c for c in configs if wanted(c.name)]
    configs = pick(matrix.selftest_configs(qemu, timeout))
    if any("layout" in c.name for c in configs):
        layouts.make_layout_dtb(qemu, str(matrix.LAYOUT_DTB))
    configs += prepared(pick(bootchain.board_configs(qemu, timeout)),
                        lambda: bootchain.prepare_board_files(qemu), results)
    negatives = pick(negative.negative_configs(qemu))
    configs += pick(negative.crash_configs(qemu))
    hostile = pick(negative.hostile_configs(qemu, timeout))
    configs += prepared(hostile, lambda: negative.prepare_hostile(qemu, {c.name for c in hostile}),
                        results)
    return configs + prepared(negatives, lambda: negative.prepare_dtbs(qemu), results)


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
    configs = qemu_boots(qemu, args.timeout, wanted, results)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for r in pool.map(run_config, configs):   # in order
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


def in_debian_python():
    """Run again under Debian's python3 when this one (a pyenv one, say)
    cannot import libfdt: python3-libfdt installs where only that looks."""
    if (importlib.util.find_spec("libfdt") is None and Path(DEBIAN_PYTHON).exists()
            and sys.executable != DEBIAN_PYTHON):
        print(f"run.py: {sys.executable} has no libfdt; running {DEBIAN_PYTHON}",
              file=sys.stderr, flush=True)
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, *sys.argv])


def main():
    in_debian_python()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["test"])
    ap.add_argument("--timeout", type=float, default=120,
                    help="seconds per QEMU boot (default 120)")
    ap.add_argument("--host-timeout", type=float, default=900,
                    help="seconds for building and running the host tests (default 900)")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="QEMU boots run in parallel (default 2)")
    ap.add_argument("--only", metavar="REGEX",
                    help="only parts whose name matches (host-test, "
                         "sv57-512M-smp1, neg-dtb-..., e2e, soak)")
    args = ap.parse_args()
    try:
        sys.exit(cmd_test(args))
    except KeyboardInterrupt:
        print("\nrun.py: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
