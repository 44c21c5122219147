"""QEMU plumbing shared by tools/rvmm-run.py and the tests (tests/run.py,
tests/e2e_virtio_mem.py, tests/soak.py).

Python 3.11 standard library, and QEMU's own QMP library. What lives here:

* locating QEMU: the patched build/qemu-system-riscv64 (virtio-mem capable)
  when it exists and runs, else the stock qemu-system-riscv64;
* building QEMU command lines for the `virt` machine (CONTRACT.md);
* `Console`: a QEMU process whose console (stdout+stderr) is read by a
  thread, kept as a list of lines, optionally echoed live and logged;
* `QMP`: QEMU's own QMP client (python/qemu/qmp of the QEMU source we
  build), connected over a unix socket while QEMU starts;
* `resize()`: ask the virtio-mem device for a new size and wait until both
  QEMU and the kernel console agree that it has been reached.
"""

import asyncio
import functools
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
IMAGE = BUILD / "Image"
PATCHED_QEMU = BUILD / "qemu-system-riscv64"
STOCK_QEMU = "qemu-system-riscv64"

MiB = 1 << 20
GiB = 1 << 30

# Kernel console lines the scripts react to (see CONTRACT.md).
SUMMARY_RE = re.compile(r"rvmm: (\d+) passed, (\d+) failed")
PANIC = "rvmm: PANIC"
MEM_LINE_RE = re.compile(r"^rvmm: mem\b")
PLUGGED_RE = re.compile(r"^rvmm: mem plugged=(\d+)")

# The CONTRACT default machine: RAM and the virtio-mem device.
DEFAULT_SMP = 4
DEFAULT_MEM = "1G,maxmem=9G"
# A kernel that does not stay up for rvmm.serve exits this soon after its summary.
EXIT_GRACE = 2
VMEM_ID = "vm0"
VMEM_BACKEND_SIZE = 8 * GiB
DEFAULT_REQUEST = "1G"          # the CONTRACT machine's requested-size


# ---- QEMU binary ----------------------------------------------------------

@functools.cache
def qemu_runs(qemu: str) -> bool:
    """True if `qemu --version` succeeds (the binary exists and starts)."""
    try:
        return subprocess.run([qemu, "--version"], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_qemu() -> str:
    """The patched QEMU if usable, else the stock one from PATH."""
    if PATCHED_QEMU.exists() and qemu_runs(str(PATCHED_QEMU)):
        return str(PATCHED_QEMU)
    return STOCK_QEMU


@functools.cache
def has_virtio_mem(qemu: str) -> bool:
    """True if this QEMU offers virtio-mem-pci on the riscv virt machine."""
    try:
        out = subprocess.run([qemu, "-M", "virt", "-device", "help"],
                             stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return '"virtio-mem-pci"' in out


# ---- command lines ---------------------------------------------------------

def qemu_args(qemu, *, smp, mem, cpu=None, machine="virt", append=None,
              extra=(), image=IMAGE, bios="default"):
    """A `virt` boot of build/Image (or @image) under OpenSBI (`-bios default`)."""
    cmd = [qemu, "-M", machine, "-smp", str(smp), "-m", mem,
           "-bios", str(bios), "-kernel", str(image), "-nographic",
           "-no-reboot"]
    if cpu:
        cmd += ["-cpu", cpu]
    cmd += list(extra)
    if append:
        cmd += ["-append", append]
    return cmd


def default_args(qemu, **kw):
    """qemu_args() for the CONTRACT default machine's CPUs and RAM."""
    return qemu_args(qemu, smp=DEFAULT_SMP, mem=DEFAULT_MEM, **kw)


def virtio_mem_args(*, block_size="2M", requested_size="0", deterministic=False,
                    index=0, backend_size=VMEM_BACKEND_SIZE):
    """The CONTRACT's virtio-mem device (8 GiB backend) with QEMU size syntax;
    `index` > 0 adds a further device vm<index> (with its own backend).

    `deterministic` turns ioeventfd off, so that a queue notification is
    handled inside the vCPU's MMIO write rather than later by QEMU's main
    loop: with ioeventfd, instruction counts under -icount varied from boot
    to boot (hotadd_1g: 2 of 5 boots differed; without: 12 of 12 equal).
    """
    dev = (f"virtio-mem-pci,id=vm{index},memdev=vmem{index},"
           f"block-size={block_size},requested-size={requested_size}")
    if deterministic:
        dev += ",ioeventfd=off"
    return ["-object", f"memory-backend-ram,id=vmem{index},size={backend_size}",
            "-device", dev]


def sd_args(image):
    """@image as a virtio-blk disk, as U-Boot's distro boot finds an SD
    card; snapshot=on: the file is never written."""
    return ["-drive", f"file={image},format=raw,if=none,id=sd0,snapshot=on",
            "-device", "virtio-blk-device,drive=sd0"]


def qmp_args(sock_path):
    """A QMP server on a unix socket that does not wait for a client."""
    return ["-qmp", f"unix:{sock_path},server=on,wait=off"]


def fmt_size(n: int) -> str:
    """Bytes as a short human string: 1 GiB, 256 MiB, 0 B."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB")):
        if n and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} B"


# ---- console ---------------------------------------------------------------

class Console:
    """A QEMU process whose console output is collected by a reader thread.

    stdin is /dev/null (so QEMU never touches the terminal and several can
    run at once), or a pipe for send() with `typing`; stdout and stderr are
    one pipe. Complete lines (without
    CR/LF) accumulate in `self.lines`; raw bytes are also written to
    `log_path` and, if `echo` is a binary stream, to it as they arrive.
    """

    def __init__(self, cmd, log_path=None, echo=None, typing=False):
        self.cmd = list(cmd)
        self.lines = []
        self._partial = ""
        self._eof = False
        self._cond = threading.Condition()
        self._echo = echo
        self._log = open(log_path, "wb") if log_path else None
        if self._log:
            self._log.write(("$ " + " ".join(self.cmd) + "\n").encode())
            self._log.flush()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT,
                                     stdin=subprocess.PIPE if typing else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    def _reader(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if self._echo is not None and chunk:
                self._echo.write(chunk)
                self._echo.flush()
            if self._log and chunk:
                self._log.write(chunk)
                self._log.flush()
            with self._cond:
                if chunk:
                    text = self._partial + chunk.decode("utf-8", "replace")
                    *done, self._partial = text.split("\n")
                    self.lines += [line.rstrip("\r") for line in done]
                else:
                    if self._partial:
                        self.lines.append(self._partial.rstrip("\r"))
                        self._partial = ""
                    self._eof = True
                self._cond.notify_all()
            if not chunk:
                break
        self.proc.stdout.close()
        if self._log:
            self._log.close()

    @property
    def alive(self) -> bool:
        """The process runs and its output has not ended."""
        return self.proc.poll() is None and not self._eof

    def wait_for(self, regex, timeout, start=0):
        """First line at index >= start matching `regex` (a compiled pattern).

        Returns (index, match), or None on timeout or once the output ended
        without a match.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    m = regex.search(self.lines[i])
                    if m:
                        return i, m
                start = max(start, len(self.lines))
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    return None
                self._cond.wait(min(left, 1.0))

    def send(self, text):
        """Type @text on the console (a Console made with `typing`)."""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_for_text(self, needle, timeout, start=0, prompt=False):
        """Wait until @needle appears at or after line @start, even in a
        line not yet ended (a countdown); with @prompt, only as the end of
        an unfinished line after line @start (an interactive prompt).
        True if it did."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if prompt:
                    if len(self.lines) > start and self._partial.endswith(needle):
                        return True
                elif needle in "\n".join(self.lines[start:] + [self._partial]):
                    return True
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    return False
                self._cond.wait(min(left, 1.0))

    def panic_line(self, start=0):
        """The first kernel panic line at or after line `start`, or None."""
        with self._cond:
            return next((line for line in self.lines[start:] if PANIC in line), None)

    def panicked(self, start=0) -> bool:
        """A kernel panic line appeared at or after line `start`."""
        return self.panic_line(start) is not None

    def why_gone(self, exc=None, grace=5):
        """Explain a lost QMP connection: panic, QEMU's exit, or `exc`."""
        rc = self.wait(grace)
        panic = self.panic_line()
        if panic:
            return panic
        if rc is not None:
            return f"QEMU exited (status {rc})"
        return f"{type(exc).__name__}: {exc}" if exc else "QEMU still running"

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines + ([self._partial] if self._partial else []))

    def wait(self, timeout):
        """Exit status, or None if still running after `timeout` seconds."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._thread.join(10)
        return rc

    def kill(self):
        """Kill this QEMU (only the process this object started)."""
        if self.proc.poll() is None:
            self.proc.kill()
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()
        self._thread.join(10)


# ---- QMP -------------------------------------------------------------------
#
# QEMU's own QMP library, python/qemu/qmp of the QEMU source that
# tools/qemu/build.sh builds from; `make qemu` links it as build/qemu-python.

QMP_LIB = BUILD / "qemu-python"
sys.path.append(str(QMP_LIB))
try:
    from qemu.qmp import ConnectError, ExecuteError, QMPError
    from qemu.qmp.legacy import QEMUMonitorProtocol
    QMP_MISSING = None
except ImportError as e:        # no `make qemu` yet: QMP() says so
    QEMUMonitorProtocol, QMP_MISSING = object, e

    class QMPError(Exception):
        """What QEMU's library raises: a failed command, a lost connection."""
    ConnectError = ExecuteError = QMPError


class QMP(QEMUMonitorProtocol):
    """QEMU's synchronous QMP client (qemu.qmp.legacy), connected to a QEMU
    that is starting up, with a timeout on every step and bursts of
    commands. A failed command raises QMPError (ExecuteError, its `desc` as
    the message), and so does a lost connection."""

    def __init__(self, path, timeout=30, console=None):
        """Connect (retrying while QEMU starts up) and negotiate capabilities.

        Gives up after `timeout` seconds, or at once if `console`'s process
        has exited.
        """
        if QMP_MISSING:
            raise QMPError(f"no QMP library in {QMP_LIB} (make qemu): {QMP_MISSING}")
        super().__init__(str(path))
        self.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                # connect() itself would wait for the greeting forever.
                self._sync(self._qmp.connect(self._address), timeout)
                return
            except ConnectError:
                if time.monotonic() > deadline or (console and not console.alive):
                    raise
                time.sleep(0.05)

    def pipelined(self, commands):
        """Send every (name, arguments) before reading any answer, so that
        QEMU runs them back to back; returns a list of results, an
        ExecuteError instance for each command that failed."""
        answers = self._sync(asyncio.gather(*(self._qmp.execute(name, arguments)
                                              for name, arguments in commands),
                                            return_exceptions=True), self._timeout)
        for answer in answers:
            if isinstance(answer, Exception) and not isinstance(answer, ExecuteError):
                raise answer
        return answers

    def quit(self):
        """Ask QEMU to exit; the connection may drop before the answer."""
        try:
            self.cmd("quit")
        except (QMPError, OSError, EOFError):
            pass

    def close(self):
        """Disconnect; how the connection ended (EOF after quit) is no error."""
        try:
            super().close()
        except (QMPError, OSError, EOFError):
            pass


# ---- virtio-mem ----------------------------------------------------------------

def vmem_device(qmp, dev_id=VMEM_ID):
    """The `data` dict of the virtio-mem device in query-memory-devices."""
    for dev in qmp.cmd("query-memory-devices"):
        if dev.get("type") == "virtio-mem" and dev["data"].get("id") == dev_id:
            return dev["data"]
    raise QMPError(f"no virtio-mem device {dev_id!r} in query-memory-devices")


def request_size(qmp, size, dev_id=VMEM_ID):
    """qom-set requested-size; raises QMPError if QEMU refuses it."""
    qmp.cmd("qom-set", path="/machine/peripheral/" + dev_id, property="requested-size",
            value=size)


def total_plugged(qmp):
    """Sum of the `size` of every virtio-mem device."""
    return sum(dev["data"]["size"] for dev in qmp.cmd("query-memory-devices")
               if dev.get("type") == "virtio-mem")


def last_plugged(console, start=0):
    """Values of `rvmm: mem plugged=` lines at or after line `start`."""
    found = []
    for line in console.lines[start:]:
        m = PLUGGED_RE.search(line)
        if m:
            found.append(int(m.group(1)))
    return found


def resize(qmp, console, size, timeout=60, dev_id=VMEM_ID):
    """Request `size` bytes of device `dev_id`; wait until both sides have it.

    Reached means: query-memory-devices reports the device's `size` (plugged
    bytes) == size, and the kernel printed `rvmm: mem plugged=<total> ...`
    (the total over all devices, `size` itself with one device) after the
    request (or before it, if the device already had that size, in which
    case the kernel has no reason to print again).
    Returns (ok, message).
    """
    before = vmem_device(qmp, dev_id)["size"]
    want_total = total_plugged(qmp) - before + size
    start = len(console.lines)
    request_size(qmp, size, dev_id)
    since = 0 if before == size else start
    deadline = time.monotonic() + timeout
    while True:
        dev_size = vmem_device(qmp, dev_id)["size"]
        plugged = last_plugged(console, since)
        if dev_size == size and want_total in plugged:
            return True, f"reached {fmt_size(size)}"
        if console.panicked(start):
            return False, "kernel panic"
        if not console.alive:
            return False, "QEMU exited"
        if time.monotonic() > deadline:
            seen = plugged[-1] if plugged else None
            return False, (f"timeout after {timeout} s: device size {dev_size} "
                           f"(wanted {size}), last console plugged={seen} "
                           f"(wanted total {want_total})")
        time.sleep(0.2)
