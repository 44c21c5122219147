"""virtio-mem end-to-end scenario, driven over QMP.

Called by tests/run.py as `run(qemu_path, log_dir)`; returns
(passed, failed, skipped). Standalone: `python3 tests/e2e_virtio_mem.py`.

For each block size (2 MiB, 128 MiB, 1 GiB) it boots the CONTRACT default
machine with a virtio-mem device and `-append rvmm.serve` (128 MiB: also
`rvmm.verify=full`), requested-size 0 at boot (1 GiB blocks: 2G, plugged at
boot in Big Block Mode), waits for the kernel's self-test summary, then:

* steps the requested size through 1G, 3G, 256M, 0, 2G, then sizes that
  leave a memory block with one block (2 MiB blocks: 2M, 678M, 2M, the
  issue's reproduction; 128 MiB blocks: 384M, 128M); 1 GiB blocks step
  through 1G, 3G, 0, 2G. Each step passes
  when query-memory-devices reports the device's `size` == requested and the
  kernel printed `rvmm: mem plugged=<requested> ...` (60 s per step; after
  a failed step the remaining steps are counted failed without running);
* checks that QEMU refuses a request larger than the 8 GiB backend and one
  that is not a multiple of the block size, and that the device keeps its
  size afterwards;
* quits QEMU over QMP and checks the console never showed `rvmm: PANIC`.

A third boot has two devices (vm0: 2 MiB blocks, vm1: 4 MiB blocks, 4 GiB
backends) and resizes them in turn (TWO_DEVICE_STEPS): each device must
reach its size while the kernel's total follows, the other device keeping
its own.

Two more boots hold data in plugged memory (`rvmm.store=`, the page store,
its checksum printed at fill and after every change): with 1 GiB plugged
and 512 MiB of data, requested-size 0 must be reached and every page must
verify with the same checksum; with 2 GiB plugged and 1.5 GiB of data (more
than the 1 GiB of boot RAM can take), the unplug must stop at the largest
reachable size (less than 128 MiB left free), say why, and lose nothing.

Every planned check is one test case, so the case count does not depend on
how far a run got: checks that could not run count as failed.
Without a virtio-mem capable QEMU every case is skipped (and said loudly).
"""

import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import rvmm_qemu as rq  # noqa: E402

BOOT_TIMEOUT = 120
STEP_TIMEOUT = 60
STEPS = [1 * rq.GiB, 3 * rq.GiB, 256 * rq.MiB, 0, 2 * rq.GiB]


@dataclass
class Variant:
    """One boot: block size, its steps, boot args, requested-size at boot."""
    block: str
    block_bytes: int
    steps: list
    append: str = "rvmm.serve"
    boot_request: str = "0"


# The 128M boot checks every plugged word and request (rvmm.verify=full);
# the 1G one (Big Block Mode) is plugged at boot.
VARIANTS = [Variant("2M", 2 * rq.MiB, STEPS + [2 * rq.MiB, 678 * rq.MiB, 2 * rq.MiB]),
            Variant("128M", 128 * rq.MiB, STEPS + [384 * rq.MiB, 128 * rq.MiB],
                    "rvmm.serve rvmm.verify=full"),
            Variant("1G", rq.GiB, [1 * rq.GiB, 3 * rq.GiB, 0, 2 * rq.GiB], boot_request="2G")]
TWO_DEVICE_STEPS = [("vm1", 1 * rq.GiB), ("vm0", 512 * rq.MiB), ("vm1", 256 * rq.MiB),
                    ("vm0", 0), ("vm1", 0)]


class Tally:
    """Per-case pass/fail bookkeeping with one printed line per case."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.passed = self.failed = 0

    def case(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        tail = f" ({detail})" if detail else ""
        print(f"e2e {self.prefix}: {'ok' if ok else 'FAIL'} {name}{tail}", flush=True)


class Abort(Exception):
    """Stop a variant; the case that failed has been recorded already."""


def boot_problem(con, hit, rc):
    """Why the boot is unusable for the scenario, or None.

    `hit` is the summary match (or None), `rc` QEMU's exit status if it
    exited within rq.EXIT_GRACE seconds of the summary.
    """
    if con.panicked():
        return con.panic_line()
    if hit is None:
        return ("QEMU exited before the self-test summary" if not con.alive
                else f"no self-test summary within {BOOT_TIMEOUT} s")
    if rc is not None:
        return (f"QEMU exited (status {rc}) after the summary: the kernel did not "
                "stay up for rvmm.serve")
    return None


def case_names(steps):
    """The planned cases of one variant, in order."""
    names = ["boot"]
    names += [f"resize to {rq.fmt_size(s)}" for s in steps]
    names += ["refuse oversize request", "refuse unaligned request",
              "quit without panic"]
    return names


REFUSE_SETTLE = 1.0     # seconds the device must keep its size after a refusal


def refuse(qmp, con, size):
    """(ok, detail): QEMU must reject `size`; the request, the device's
    plugged size and the kernel's memory view stay as they were."""
    dev = rq.vmem_device(qmp)
    start = len(con.lines)
    try:
        rq.request_size(qmp, size)
    except rq.QMPError as e:
        time.sleep(REFUSE_SETTLE)
        after = rq.vmem_device(qmp)
        if after["requested-size"] != dev["requested-size"]:
            return False, f"refused but requested-size changed to {after['requested-size']}"
        if after["size"] != dev["size"]:
            return False, f"refused but the device's size went {dev['size']} -> {after['size']}"
        if rq.last_plugged(con, start):
            return False, "refused but the kernel changed its plugged memory"
        return True, f"refused: {e}"
    return False, f"qom-set accepted {size}"


def session(qemu, label, devices, log, names, steps, append="rvmm.serve"):
    """One boot with `devices` (QEMU args), rvmm.serve and QMP.

    `names` are the planned cases in order: "boot" first, "quit without
    panic" last; steps(qmp, con, done) records the ones between by calling
    done(ok, detail) once per case, and raises Abort after a failure that
    leaves the rest pointless. Returns (passed, failed).
    """
    tally = Tally(label)
    pending = list(names)
    sock_dir = tempfile.mkdtemp(prefix="rvmm-qmp-")
    sock = Path(sock_dir) / "qmp.sock"
    # rvmm.ptdump: the mappings are dumped and audited after every change.
    cmd = rq.default_args(qemu, append=append + " rvmm.ptdump",
                          extra=devices + rq.qmp_args(sock))
    con = rq.Console(cmd, log_path=log)
    qmp = None

    def done(ok, detail=""):
        tally.case(pending.pop(0), ok, detail)

    try:
        qmp = rq.QMP(sock, console=con)
        hit = con.wait_for(rq.SUMMARY_RE, BOOT_TIMEOUT)
        rc = con.wait(rq.EXIT_GRACE) if hit else None
        why = boot_problem(con, hit, rc)
        done(not why, why or hit[1].group(0))
        if why:
            raise Abort(why)
        steps(qmp, con, done)
        qmp.quit()
        rc = con.wait(30)
        if rc is None:
            con.kill()
        done(not con.panicked() and rc is not None,
             "panic" if con.panicked() else
             "QEMU did not exit after quit" if rc is None else f"exit status {rc}")
    except (OSError, rq.QMPError, Abort, ValueError) as e:
        # The case in progress fails with the root cause (a panic or an exit
        # shows up here as a dropped QMP connection); the rest did not run.
        if pending and not isinstance(e, Abort):
            done(False, con.why_gone(e))
        for name in list(pending):
            tally.case(name, False, "not run")
        pending.clear()
    finally:
        if qmp:
            qmp.close()
        con.kill()
        sock.unlink(missing_ok=True)
        Path(sock_dir).rmdir()
    if tally.failed:
        print(f"e2e {label}: log {log}; last lines:", flush=True)
        for line in con.lines[-30:]:
            print("    " + line)
    return tally.passed, tally.failed


def run_variant(qemu, log_dir, v):
    """One boot with one block size. Returns (passed, failed)."""
    sizes, block_bytes = v.steps, v.block_bytes

    def steps(qmp, con, done):
        # After a failed step the device state is unknown: the remaining
        # steps count as failed without spending another timeout each.
        failed_step = None
        for size in sizes:
            if failed_step:
                done(False, f"not run: {failed_step}")
                continue
            t0 = time.monotonic()
            ok, msg = rq.resize(qmp, con, size, timeout=STEP_TIMEOUT)
            done(ok, f"{msg}, {time.monotonic() - t0:.1f} s")
            if not ok:
                if not con.alive:
                    raise Abort(msg)
                failed_step = f"resize to {rq.fmt_size(size)} failed"
        done(*refuse(qmp, con, rq.VMEM_BACKEND_SIZE + block_bytes))
        done(*refuse(qmp, con, 1 * rq.GiB + block_bytes // 2))

    return session(qemu, f"block-size={v.block}",
                   rq.virtio_mem_args(block_size=v.block, requested_size=v.boot_request),
                   Path(log_dir) / f"e2e-virtio-mem-{v.block}.log", case_names(sizes),
                   steps, v.append)


def two_device_case_names():
    return (["boot"] + [f"{dev} to {rq.fmt_size(size)}" for dev, size in TWO_DEVICE_STEPS] +
            ["quit without panic"])


def run_two_devices(qemu, log_dir):
    """One boot with two devices resized in turn. Returns (passed, failed)."""
    def steps(qmp, con, done):
        for dev, size in TWO_DEVICE_STEPS:
            other = "vm0" if dev == "vm1" else "vm1"
            other_before = rq.vmem_device(qmp, other)["size"]
            ok, msg = rq.resize(qmp, con, size, timeout=STEP_TIMEOUT, dev_id=dev)
            other_after = rq.vmem_device(qmp, other)["size"]
            if ok and other_after != other_before:
                ok, msg = False, f"{other} changed from {other_before} to {other_after}"
            done(ok, msg)
            if not ok:
                raise Abort(msg)

    devices = (rq.virtio_mem_args(block_size="2M", backend_size=4 * rq.GiB) +
               rq.virtio_mem_args(index=1, block_size="4M", backend_size=4 * rq.GiB))
    return session(qemu, "two devices", devices,
                   Path(log_dir) / "e2e-virtio-mem-two-devices.log", two_device_case_names(),
                   steps)


# ---- memory in use: the page store (rvmm.store=) over plugged memory ----------

STORE_RE = re.compile(r"^rvmm: page store: (filled|verified): (\d+) pages, (\d+) in "
                      r"ZONE_MOVABLE, (\d+) bad, checksum (0x[0-9a-f]+)")
STOP_RE = re.compile(r"virtio-mem: unplug stops at (\d+) bytes plugged: (.*)")
FREE_RE = re.compile(r"^rvmm: mem plugged=(\d+) .*free=(\d+)")
STORE_STEP_TIMEOUT = 120        # 512 MiB to move in emulation (and checks)
SETTLE = 3.0                    # seconds the device size must hold still


def store_case_names(what):
    return ["boot", "store filled over plugged memory", what,
            "every page verified, checksum unchanged", "quit without panic"]


def store_filled(con, done, want_pages):
    """The boot's fill line: all pages there and in plugged (movable) memory."""
    hit = con.wait_for(STORE_RE, BOOT_TIMEOUT)
    if not hit or hit[1].group(1) != "filled":
        done(False, "no `rvmm: page store: filled` line")
        raise Abort("no fill")
    m = hit[1]
    pages, movable, bad = int(m.group(2)), int(m.group(3)), int(m.group(4))
    done(pages == want_pages and movable == pages and bad == 0, m.group(0))
    return m.group(5)


def store_verified(con, done, start, checksum, timeout=STORE_STEP_TIMEOUT):
    """The last verification after line `start`: nothing bad, same checksum."""
    hit, last = con.wait_for(STORE_RE, timeout, start), None
    while hit and hit[1].group(1) == "verified":
        last = hit
        hit = con.wait_for(STORE_RE, 5, hit[0] + 1)
    if not last:
        done(False, "no `rvmm: page store: verified` line")
        return
    m = last[1]
    done(int(m.group(4)) == 0 and m.group(5) == checksum,
         f"{m.group(0)} (filled: {checksum})")


def wait_settled(qmp, timeout):
    """The device's size once it held still for SETTLE seconds."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        size = rq.vmem_device(qmp)["size"]
        if size != last:
            last, since = size, time.monotonic()
        elif time.monotonic() - since >= SETTLE:
            return size
        time.sleep(0.5)
    return last


def run_store_unplug_all(qemu, log_dir):
    """1 GiB plugged, 512 MiB of it page-store data: unplug everything."""
    def steps(qmp, con, done):
        checksum = store_filled(con, done, 512 * rq.MiB // 4096)
        start = len(con.lines)
        t0 = time.monotonic()
        ok, msg = rq.resize(qmp, con, 0, timeout=STORE_STEP_TIMEOUT)
        done(ok, f"{msg}, {time.monotonic() - t0:.1f} s")
        store_verified(con, done, start, checksum)

    return session(qemu, "store 512M, unplug 1G", rq.virtio_mem_args(requested_size="1G"),
                   Path(log_dir) / "e2e-virtio-mem-store.log",
                   store_case_names("unplug 1 GiB to 0 with 512 MiB in use"), steps,
                   append="rvmm.serve rvmm.store=512M")


def run_store_too_big(qemu, log_dir):
    """2 GiB plugged, 1.5 GiB of it data, 1 GiB of boot RAM: 0 is out of
    reach. The unplug must stop at the largest size it can reach (what is
    left free is less than a memory block), say why, and lose nothing."""
    def steps(qmp, con, done):
        checksum = store_filled(con, done, 1536 * rq.MiB // 4096)
        start = len(con.lines)
        rq.request_size(qmp, 0)
        size = wait_settled(qmp, STORE_STEP_TIMEOUT)
        why = con.wait_for(STOP_RE, 10, start)
        free = [int(m.group(2)) for m in map(FREE_RE.search, con.lines[start:]) if m]
        ok = (why is not None and size is not None and 0 < size < 2 * rq.GiB and free and
              free[-1] < 128 * rq.MiB and why[1].group(1) == str(size))
        done(ok, f"device at {size}, free {free[-1] if free else None}: "
             f"{why[1].group(0) if why else 'no reason given'}")
        store_verified(con, done, start, checksum)

    return session(qemu, "store 1.5G, unplug 2G", rq.virtio_mem_args(requested_size="2G"),
                   Path(log_dir) / "e2e-virtio-mem-store-too-big.log",
                   store_case_names("unplug stops at the largest reachable size, says why"),
                   steps, append="rvmm.serve rvmm.store=1536M")


STORE_SCENARIOS = [(run_store_unplug_all, "unplug 1 GiB to 0 with 512 MiB in use"),
                   (run_store_too_big, "unplug stops at the largest reachable size, says why")]


def run(qemu_path, log_dir):
    """Run every variant. Returns (passed, failed, skipped)."""
    if not rq.has_virtio_mem(qemu_path):
        n = (sum(len(case_names(v.steps)) for v in VARIANTS) +
             len(two_device_case_names()) +
             sum(len(store_case_names(what)) for _, what in STORE_SCENARIOS))
        print("!" * 72)
        print(f"e2e: SKIPPED: {qemu_path} has no virtio-mem-pci device "
              f"(build the patched QEMU with `make qemu`); {n} cases not run")
        print("!" * 72, flush=True)
        return 0, 0, n
    passed = failed = 0
    for v in VARIANTS:
        p, f = run_variant(qemu_path, log_dir, v)
        passed += p
        failed += f
    p, f = run_two_devices(qemu_path, log_dir)
    passed, failed = passed + p, failed + f
    for scenario, _ in STORE_SCENARIOS:
        p, f = scenario(qemu_path, log_dir)
        passed, failed = passed + p, failed + f
    return passed, failed, 0


if __name__ == "__main__":
    rq.BUILD.joinpath("logs").mkdir(parents=True, exist_ok=True)
    p, f, s = run(rq.find_qemu(), rq.BUILD / "logs")
    print(f"{p} passed, {f} failed, {s} skipped")
    sys.exit(1 if f else 0)
