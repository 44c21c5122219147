#!/bin/bash
# Fetch libfdt from Debian's device-tree-compiler source package and build it
# freestanding for the kernel (rv64imac/lp64, medany) into $OUT/libfdt.a,
# with its headers in $OUT/libfdt/. Nothing of it lives in the repository:
# the source is cached outside the clone, verified against the signed index.
set -euo pipefail

OUT=${1:-build}
CACHE=${RVMM_CACHE:-$HOME/.cache/rvmm}
# tools/dtc-version, shared with tools/qemu/build.sh (one cached tarball).
# bookworm's 1.6.1 orig is not served; trixie's is.
VER=$(cat "$(dirname "$0")/dtc-version")
ORIG=device-tree-compiler_${VER%-*}.orig.tar.xz
CROSS=${CROSS:-riscv64-unknown-elf-}
PICOLIBC=/usr/lib/picolibc/riscv64-unknown-elf

mkdir -p "$CACHE/dtc" "$OUT/libfdt"
cd "$CACHE/dtc"
# The tarball's sha256 in the signed Sources index matches the file's?
orig_ok() {
	want=$(apt-cache showsrc device-tree-compiler |
		awk '/^Checksums-Sha256:/{f=1;next} /^[^ ]/{f=0} f && $3=="'"$ORIG"'"{print $1; exit}')
	have=$(sha256sum "$ORIG" 2>/dev/null | cut -d' ' -f1)
	[ -n "$want" ] && [ "$want" = "$have" ]
}

# tools/qemu/build.sh shares this tarball (it builds QEMU's libfdt from it).
if [ ! -d src ]; then
	if [ -f "$ORIG" ] && ! orig_ok; then
		echo "libfdt: discarding $CACHE/dtc/$ORIG (sha256 $have, want '$want')" >&2
		rm -f "$ORIG"
	fi
	if [ ! -f "$ORIG" ]; then
		# apt-get exits non-zero when the .dsc or .debian.tar.xz is
		# missing, but keeps what it fetched; the checksum decides.
		apt-get source --download-only "device-tree-compiler=$VER" >/dev/null 2>&1 || true
	fi
	if ! orig_ok; then
		echo "libfdt: $ORIG missing or checksum mismatch (want '$want', have '$have')" >&2
		exit 1
	fi
	rm -rf src.tmp && mkdir src.tmp
	tar -xJf "$ORIG" -C src.tmp --strip-components=1
	mv src.tmp src
fi
cd - >/dev/null

SRC=$CACHE/dtc/src/libfdt
CFLAGS="-march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -O2 -ffreestanding
	-fno-common -fno-pic -nostdinc -isystem $PICOLIBC/include
	-isystem $(${CROSS}gcc -print-file-name=include)
	-isystem $(${CROSS}gcc -print-file-name=include-fixed) -I$SRC"
objs=()
for f in fdt fdt_ro fdt_wip fdt_sw fdt_rw fdt_strerror fdt_empty_tree fdt_addresses fdt_check; do
	${CROSS}gcc $CFLAGS -c "$SRC/$f.c" -o "$OUT/libfdt/$f.o"
	objs+=("$OUT/libfdt/$f.o")
done
rm -f "$OUT/libfdt.a"
${CROSS}ar rcs "$OUT/libfdt.a" "${objs[@]}"
cp "$SRC"/libfdt.h "$SRC"/libfdt_env.h "$SRC"/fdt.h "$OUT/libfdt/"
# Host copy for tests and the fuzzer: same sources, native compiler.
echo "$SRC" > "$OUT/libfdt/srcdir"
echo "libfdt: built $OUT/libfdt.a from $ORIG"
