"""Device trees with awkward memory layouts, built from QEMU's own.

QEMU's riscv virt machine describes its RAM as one memory node. The kernel
must also cope with what boards and firmware hand over: several memory nodes
with holes between them, sizes that are not multiples of a 128 MiB section,
no-map and ordinary reserved-memory regions inside RAM, dynamic
reservations and /memreserve/ entries. We dump the machine's DTB, rewrite its
memory description with dtc, and boot with -dtb; OpenSBI adds its own
reservations on top, as it would on a board.
"""
import re
import subprocess

# 2 GiB of RAM at 0x80000000; the DT announces only parts of it.
LAYOUT_DTS = """
	memory@80000000 {
		device_type = "memory";
		reg = <0x00 0x80000000 0x00 0x30000000>;
	};

	memory@c0000000 {
		device_type = "memory";
		reg = <0x00 0xc0000000 0x00 0x10000000>,
		      <0x00 0xd8000000 0x00 0x2a00000>;
	};

	reserved-memory {
		#address-cells = <0x02>;
		#size-cells = <0x02>;
		ranges;

		firmware@a0000000 {
			reg = <0x00 0xa0000000 0x00 0x200000>;
			no-map;
		};

		buffer@a8000000 {
			reg = <0x00 0xa8000000 0x00 0x100000>;
		};

		pool {
			size = <0x00 0x400000>;
			alignment = <0x00 0x200000>;
		};
	};
"""
MEMRESERVE = "/memreserve/ 0x90000000 0x100000;\n"


def make_layout_dtb(qemu, out_dtb, smp=2, mem="2G"):
    """Write a DTB for `-M virt -m <mem>` with the awkward layout; return its path."""
    base = out_dtb + ".orig"
    subprocess.run([qemu, "-M", f"virt,dumpdtb={base}", "-smp", str(smp), "-m", mem,
                    "-nographic"], check=True, capture_output=True)
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", base], check=True,
                         capture_output=True, text=True).stdout
    dts = re.sub(r"\n\tmemory@[0-9a-f]+ \{.*?\n\t\};\n", "\n" + LAYOUT_DTS, dts,
                 count=1, flags=re.S)
    dts = dts.replace("/dts-v1/;\n", "/dts-v1/;\n" + MEMRESERVE, 1)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out_dtb, "-"], input=dts,
                   check=True, text=True)
    return out_dtb
