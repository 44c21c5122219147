#!/bin/bash
# Compile the JH7110 boards' device trees (VisionFive 2 v1.2a and v1.3b,
# Milk-V Mars, Star64) from Debian's U-Boot source package, which carries
# Linux's upstream trees, into OUT (default build/boards):
#
#   OUT/<board>-4g.dtb, OUT/<board>-8g.dtb
#
# with the /memory node the board's U-Boot adds (4 or 8 GiB at 0x40000000)
# and a /chosen. Nothing of it is committed: the orig tarball is fetched
# with apt-get source, checked against the signed Sources index and cached
# in ${RVMM_CACHE:-~/.cache/rvmm}/u-boot (only the trees and the
# dt-bindings headers are kept unpacked).
set -euo pipefail

UBOOT_SRC_VERSION=2025.01-3+deb13u1
BOARDS=(jh7110-starfive-visionfive-2-v1.2a jh7110-starfive-visionfive-2-v1.3b
	jh7110-milkv-mars jh7110-pine64-star64)
RAM_BASE=0x40000000

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../build/boards}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${RVMM_CACHE:-$HOME/.cache/rvmm}/u-boot
trees=$cache/dts-${UBOOT_SRC_VERSION%%-*}

log() { echo "boardtrees: $*" >&2; }
die() { echo "boardtrees: error: $*" >&2; exit 1; }
. "$here/srcpkg.sh"

# The starfive trees and the dt-bindings headers, unpacked once.
unpack() {
	local orig top
	mkdir -p "$cache"
	cd "$cache"
	orig=$(fetch_orig u-boot "$UBOOT_SRC_VERSION")
	top=u-boot-${UBOOT_SRC_VERSION%%-*}
	rm -rf "$trees.tmp" && mkdir "$trees.tmp"
	log "unpacking the starfive trees from $orig"
	tar -xjf "$orig" -C "$trees.tmp" --strip-components=3 --wildcards \
		"$top/dts/upstream/src/riscv/starfive/*" "$top/dts/upstream/include/*"
	[ -f "$trees.tmp/src/riscv/starfive/jh7110.dtsi" ] || die "no jh7110.dtsi in $orig"
	mv "$trees.tmp" "$trees"
	cd - >/dev/null
}

# compile BOARD GIB: what U-Boot hands the kernel on a board with GIB GiB.
compile() {
	local dts=$trees/src/riscv/starfive/$1.dts dst=$out/$1-$2g.dtb
	[ -f "$dts" ] || die "$dts missing"
	{
		cpp -nostdinc -I "$trees/include" -I "$trees/src/riscv/starfive" -undef \
			-x assembler-with-cpp "$dts"
		printf '/ {\n\tmemory@40000000 {\n\t\tdevice_type = "memory";\n'
		printf '\t\treg = <0x0 %s 0x%x 0x0>;\n\t};\n' "$RAM_BASE" "$(($2 / 4))"
		printf '\tchosen {\n\t\tbootargs = "";\n\t};\n};\n'
	} >"$dst.dts"
	# -q: the upstream trees' own dtc warnings are not ours to fix.
	dtc -q -I dts -O dtb -o "$dst" "$dst.dts" || die "dtc failed on $dst.dts"
	rm -f "$dst.dts"
}

[ -d "$trees" ] || unpack
for b in "${BOARDS[@]}"; do
	for g in 4 8; do
		compile "$b" "$g"
	done
done
log "${#BOARDS[@]} boards x 4/8 GiB in $out"
