#!/bin/bash
# Wrap build/Image in a U-Boot FIT image.
#
#   tools/mkfit.sh [BUILD_DIR] [RAM_BASE] [OUT]
#
# RAM_BASE defaults to the VisionFive 2's (JH7110: 0x40000000); QEMU virt's
# is 0x80000000 (`make test` builds one for it). The kernel is loaded at
# RAM_BASE + 4 MiB, not at the usual kernel_addr_r (RAM_BASE + 2 MiB), so
# the .itb itself can be loaded at ${kernel_addr_r} without being
# overwritten while bootm copies the kernel out of it:
#
#   load mmc 1:1 ${kernel_addr_r} rvmm.itb
#   bootm ${kernel_addr_r} - ${fdtcontroladdr}
#
# The FIT carries no device tree: the third bootm argument passes the one
# U-Boot runs on (without it bootm stops: "Device tree not found").
# The kernel runs from any 2 MiB-aligned address, so only the load
# address is board-specific.
set -euo pipefail
B=${1:-build}
RAM_BASE=${2:-0x40000000}
OUT=${3:-rvmm.itb}
LOAD=$(printf '0x%x' $((RAM_BASE + 0x400000)))
ITS=${OUT%.itb}.its
cat > "$B/$ITS" <<EOT
/dts-v1/;
/ {
	description = "rvmm kernel (RAM at $RAM_BASE)";
	#address-cells = <1>;
	images {
		kernel {
			description = "rvmm";
			data = /incbin/("Image");
			type = "kernel";
			arch = "riscv";
			os = "linux";
			compression = "none";
			load = <$LOAD>;
			entry = <$LOAD>;
			hash { algo = "sha256"; };
		};
	};
	configurations {
		default = "rvmm";
		rvmm {
			description = "rvmm; the device tree comes from bootm's third argument";
			kernel = "kernel";
		};
	};
};
EOT
(cd "$B" && mkimage -f "$ITS" "$OUT" >/dev/null)
echo "fit: $B/$OUT (kernel load and entry $LOAD; bootm <addr> - \${fdtcontroladdr})"
