"""What every boot of `make test` shares: one configuration (Config), its
verdict line (Result), booting QEMU to the kernel's last word, and the
judge of an ordinary self-test boot (judge_selftest).

The configurations themselves live in tests/matrix.py (the self-test
matrix), tests/bootchain.py (the board's boot chain and proxies) and
tests/negative.py (broken trees, hostile layouts, panics).
"""

import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import rvmm_qemu as rq
from ktap import parse_ktap

ROOT, BUILD = rq.ROOT, rq.BUILD
LOGS = BUILD / "logs"
TAIL_LINES = 30

HALTED_RE = re.compile(r"^rvmm: halted")
END_RE = re.compile(r"^rvmm: (halted|PANIC|\d+ passed, \d+ failed)")
HALT_GRACE = 10         # verdict -> "rvmm: halted": SRST refused at once
AUTOBOOT = "Hit any key to stop autoboot"
PROMPT = "=> "


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


def run_config(cfg):
    """Boot one configuration and judge it."""
    log = LOGS / f"{cfg.name}.log"
    con, rc, timed_out, secs = boot(cfg.cmd, log, cfg.timeout, cfg.typing, cfg.stop)
    r = cfg.judge(cfg, con, rc, timed_out)
    r.seconds, r.log = secs, log
    if r.reasons:
        r.tail, r.cmd = con.lines[-TAIL_LINES:], cfg.cmd
    return r.finish()
