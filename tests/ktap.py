"""The KTAP parser: counts the cases of a kernel (or host test) console log.

KTAP version 1 is the format of Linux KUnit (CONTRACT.md): `ok N name` /
`not ok N name` per case, suites nested by indentation, `# Totals:`.
"""

import re
from dataclasses import dataclass, field

import rvmm_qemu as rq

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
