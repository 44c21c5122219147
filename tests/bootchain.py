"""The board's boot chain, old firmware and board proxies of `make test`."""

import subprocess
from pathlib import Path

import dtedit as dte
import rvmm_qemu as rq
from harness import BUILD, ROOT, Config, expect_lines, judge_selftest, shown


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

FIT_COMMANDS = [f"load virtio 0:1 ${{kernel_addr_r}} {QEMU_FIT}",
                "bootm ${kernel_addr_r} - ${fdtcontroladdr}"]
FDTFILE_COMMANDS = ["setenv fdtfile starfive/qemu-virt.dtb", "boot"]


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
    try:
        SIFIVE_U_E51_DTB.write_bytes(dte.edit(raw.read_bytes(), dte.with_prop_str(
            "/cpus/cpu@0", "mmu-type", "riscv,none")))
    except (OSError, ValueError) as e:
        return f"cannot edit the sifive_u DTB: {e}"
    return None


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
