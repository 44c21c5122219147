#!/bin/bash
# Wrap build/Image in a U-Boot FIT image for the VisionFive 2 (JH7110).
# U-Boot: load the .itb, then `bootm <addr>`; the kernel runs wherever it
# is loaded (any 2 MiB-aligned address) and takes the board's DTB.
set -euo pipefail
B=${1:-build}
LOAD=0x40200000		# JH7110 RAM starts at 0x40000000; +2 MiB text_offset
cat > "$B/rvmm.its" <<EOT
/dts-v1/;
/ {
	description = "rvmm kernel for the StarFive VisionFive 2";
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
			description = "rvmm with the board's own device tree";
			kernel = "kernel";
		};
	};
};
EOT
(cd "$B" && mkimage -f rvmm.its rvmm.itb >/dev/null)
echo "fit: $B/rvmm.itb (load and entry $LOAD)"
