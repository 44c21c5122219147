#!/usr/bin/python3
"""rvmm launcher: `make run` and `make debug` call `tools/rvmm-run.py <cmd>`.

  run    the CONTRACT default machine with `rvmm.serve`, console streamed
         live; with a virtio-mem capable QEMU, live resizes over QMP
         (build/qmp.sock) after the self-tests, then quit. Exit status 0 iff
         the kernel reported 0 failed, no panic (and the resizes worked).
  debug  the default machine halted with a gdb stub; prints the gdb command.

QEMU plumbing and QMP live in tools/rvmm_qemu.py.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True   # keep tools/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
import rvmm_qemu as rq  # noqa: E402

ROOT, BUILD = rq.ROOT, rq.BUILD
LOGS = BUILD / "logs"

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


def cmd_debug(args):
    """`make debug`: halted at reset with a gdb stub on :1234."""
    qemu = rq.find_qemu()
    cmd = rq.default_args(qemu, extra=["-s", "-S"])
    print('gdb-multiarch build/kernel.elf -ex "target remote :1234"')
    print("(QEMU is halted until gdb continues; Ctrl-A x quits QEMU)", flush=True)
    return subprocess.call(cmd, cwd=ROOT)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["run", "debug"])
    ap.add_argument("--timeout", type=float, default=120,
                    help="`run`: seconds to the self-test summary (default 120)")
    args = ap.parse_args()
    commands = {"run": cmd_run, "debug": cmd_debug}
    try:
        sys.exit(commands[args.command](args))
    except KeyboardInterrupt:
        print("\nrvmm-run.py: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
