"""The self-test matrix of `make test`: per paging mode four memory sizes,
a hotplug + virtio-mem configuration and an awkward memory layout; then
virtio-mem with big blocks and two devices, a two-socket NUMA machine,
`make run`'s machine, a DEBUG=1 kernel, the SELFTESTS=n product, ptdump
and the no5lvl/no4lvl caps. Each boot must pass every self-test
(harness.judge_selftest), some with more to check.
"""

import re
import subprocess

import rvmm_qemu as rq
from harness import BUILD, Config, Result, expect_lines, judge_selftest


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
              "virtio_mem_audit_adds", "virtio_mem_test_added", "virtio_mem_change"}
LAYOUT_DTB = BUILD / "layout-holes.dtb"     # tests/layouts.py


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
    # DT (QEMU routes PCI INTx to the second PLIC, which has no context of
    # the boot hart, so virtio-mem is polled; memory is one node),
    # virtio-mem on node 1.
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
    # The bench suite (make bench's cases, on request only) must keep
    # working: each case fails when the operation it measures does. As
    # make bench boots it: the core's cases on RAM mem= hid, the device's
    # on a machine whose only movable memory is the device's.
    configs.append(Config("bench-suite-2G-mem1G-smp2",
                          rq.qemu_args(qemu, smp=2, mem="2G", append="mem=1G rvmm.tests=bench"),
                          timeout, judge_selftest))
    if rq.has_virtio_mem(qemu):
        configs.append(Config("bench-suite-virtio-mem-smp2",
                              rq.qemu_args(qemu, smp=2, mem=rq.DEFAULT_MEM,
                                           append="rvmm.tests=bench",
                                           extra=rq.virtio_mem_args(requested_size="1G")),
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
                          timeout, expect_lines(
                              judge_selftest,
                              r"^rvmm: smp: hart 3 joined from the entry spin-wait",
                              r"^rvmm: smp: 4 harts online")))
    # The boot arguments that cap the paging mode, on an Sv57-capable CPU.
    for arg, want in (("no5lvl", "Sv48"), ("no4lvl", "Sv39")):
        configs.append(Config(f"sv57-{arg}-smp2",
                              rq.qemu_args(qemu, smp=2, mem="1G", cpu="rv64", append=arg),
                              timeout, judge_mode(want)))
    return configs

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
