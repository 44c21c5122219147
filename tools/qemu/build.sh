#!/bin/bash
# Build qemu-system-riscv64 from Debian's QEMU source plus our patches
# (virtio-mem / virtio-pmem on the riscv virt machine; device tree files
# checked on load), cached by a hash of the source versions and patches.
#
# Usage: tools/qemu/build.sh [OUTPUT]     (default: build/qemu-system-riscv64
#                                          under the repository root)
#
# The binary is built once into ${RVMM_CACHE:-$HOME/.cache/rvmm}/qemu-KEY,
# KEY being the first 16 hex digits of the sha256 of the source versions and
# the patches; OUTPUT becomes a symlink to it. Firmware (-bios default) comes from Debian's /usr/share/qemu,
# which is compiled in as the firmware path. Needs what tools/deps.sh installs
# (deb-src entries, meson >= 1.5, python3-pycotap, build libraries). libfdt
# is built in, from Debian's device-tree-compiler source (no libfdt-dev
# needed, and the result does not depend on what else is installed).
#
# QEMU's own Python QMP library (python/qemu/qmp of the same source) is kept
# in ${RVMM_CACHE}/qemu-python-VERSION and linked as qemu-python beside
# OUTPUT: tools/rvmm_qemu.py imports it from there.
set -euo pipefail
# Progress goes to stderr: `make bench` promises only bench lines on stdout.
exec 1>&2

QEMU_SRC_VERSION=1:10.0.13+ds-0+deb13u1
# The same dtc source as tools/libfdt.sh builds the kernel's libfdt from.
DTC_SRC_VERSION=$(cat "$(dirname "$0")/../dtc-version")
FIRMWARE_DIR=/usr/share/qemu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# Our patches, applied in the order of their numbers.
patches=("$here"/[0-9][0-9][0-9][0-9]-*.patch)
out=${1:-$root/build/qemu-system-riscv64}
case $out in /*) ;; *) out=$PWD/$out ;; esac

log() { echo "qemu: $*"; }
die() { echo "qemu: error: $*" >&2; exit 1; }

[ -f "${patches[0]}" ] || die "no patches in $here"
# The key covers every patch, their order and the source versions.
key=$( (printf '%s\n' "$QEMU_SRC_VERSION" "$DTC_SRC_VERSION"; cat "${patches[@]}") |
	sha256sum | cut -c1-16)
cache_root=${RVMM_CACHE:-$HOME/.cache/rvmm}
cache=$cache_root/qemu-$key
bin=$cache/qemu-system-riscv64

works() { [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; }

# fetch_orig and friends, shared with tools/boardtrees.sh.
. "$here/../srcpkg.sh"
qmp_py=$cache_root/qemu-python-$(upstream_version "$QEMU_SRC_VERSION")

link_output() {
	local d
	mkdir -p "$(dirname "$out")"
	ln -sfn "$bin" "$out"
	log "$out -> $bin"
	ln -sfn "$qmp_py" "$(dirname "$out")/qemu-python"
	log "$(dirname "$out")/qemu-python -> $qmp_py (QEMU's QMP library)"
	log "firmware search path: $("$bin" -L help | tr '\n' ' ')"
	for d in $("$bin" -L help); do
		if [ -r "$d/opensbi-riscv64-generic-fw_dynamic.bin" ]; then
			log "-bios default: $d/opensbi-riscv64-generic-fw_dynamic.bin"
			return 0
		fi
	done
	die "opensbi-riscv64-generic-fw_dynamic.bin not found (install opensbi)"
}

# keep_qmp_lib SRC: QEMU's Python QMP package from the source tree SRC.
keep_qmp_lib() {
	[ -f "$1/python/qemu/qmp/legacy.py" ] || die "no python/qemu/qmp in $1"
	rm -rf "$qmp_py.tmp"
	mkdir -p "$qmp_py.tmp/qemu"
	cp -r "$1/python/qemu/qmp" "$qmp_py.tmp/qemu/"
	rm -rf "$qmp_py"
	mv "$qmp_py.tmp" "$qmp_py"
}

# A cached binary built before the QMP library was kept: take the library
# alone from the source tarball.
fetch_qmp_lib() {
	local tmp orig
	tmp=$(mktemp -d "$cache_root/qemu-python.XXXXXX")
	(
		cd "$tmp"
		orig=$(fetch_orig qemu "$QEMU_SRC_VERSION" "$cache_root/qemu-src")
		tar xf "$orig" --wildcards '*/python/qemu/qmp/*'
		keep_qmp_lib "$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*')"
	)
	rm -rf "$tmp"
	log "kept QEMU's QMP library in $qmp_py"
}

build() {
	local tmp orig src t0 p
	t0=$(date +%s)

	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache_root/qemu-build.XXXXXX")
	# shellcheck disable=SC2064
	trap "[ \$? -eq 0 ] || echo 'qemu: failed; work tree kept in $tmp' >&2" EXIT
	cd "$tmp"

	log "fetching source qemu=$QEMU_SRC_VERSION into $tmp"
	orig=$(fetch_orig qemu "$QEMU_SRC_VERSION" "$cache_root/qemu-src")
	log "unpacking $orig"
	tar xf "$orig"
	src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*')
	[ -f "$src/VERSION" ] || die "no single qemu source tree in $orig"
	keep_qmp_lib "$src"

	# The +ds tarball has an empty subprojects/dtc, which meson would try
	# to git-clone: fill it from Debian's dtc source instead.
	log "fetching source device-tree-compiler=$DTC_SRC_VERSION (for libfdt)"
	# tools/libfdt.sh keeps the same tarball in $cache_root/dtc: share it.
	orig=$(fetch_orig device-tree-compiler "$DTC_SRC_VERSION" "$cache_root/dtc")
	rm -rf "$src/subprojects/dtc"
	mkdir "$src/subprojects/dtc"
	tar xf "$orig" -C "$src/subprojects/dtc" --strip-components=1
	[ -f "$src/subprojects/dtc/libfdt/libfdt.h" ] || die "no libfdt in $orig"

	cd "$src"
	for p in "${patches[@]}"; do
		log "applying $(basename "$p")"
		patch -p1 -s <"$p"
	done

	# Debian's +ds tarball lacks the EDK2 blobs that pc-bios/meson.build
	# unpacks; skip that step as Debian's own skip-unpack-edk2-blobs does.
	sed -i 's/^if unpack_edk2_blobs$/if unpack_edk2_blobs and false/' pc-bios/meson.build
	grep -q '^if unpack_edk2_blobs and false$' pc-bios/meson.build ||
		die "could not disable EDK2 blob unpacking in pc-bios/meson.build"

	log "configuring"
	mkdir build
	cd build
	../configure --target-list=riscv64-softmmu --python=/usr/bin/python3 \
		--firmwarepath="$FIRMWARE_DIR" --enable-fdt=internal \
		-Ddtc:tests=false --disable-download \
		--disable-docs --disable-werror --disable-rust --disable-gtk \
		--disable-sdl --disable-vnc --disable-opengl --disable-spice \
		--disable-install-blobs >configure.log 2>&1 ||
		{ tail -40 configure.log >&2; die "configure failed"; }

	log "building qemu-system-riscv64 (takes a few minutes)"
	ninja qemu-system-riscv64 >ninja.log 2>&1 ||
		{ tail -40 ninja.log >&2; die "build failed"; }

	cp qemu-system-riscv64 "$cache/.qemu-system-riscv64.tmp"
	mv -f "$cache/.qemu-system-riscv64.tmp" "$bin"
	cp "${patches[@]}" configure.log ninja.log "$cache/"
	echo "qemu=$QEMU_SRC_VERSION device-tree-compiler=$DTC_SRC_VERSION" >"$cache/build-info"
	cd /
	rm -rf "$tmp"
	trap - EXIT
	log "built $bin in $(($(date +%s) - t0)) s"
}

mkdir -p "$cache_root"
exec 9>"$cache_root/qemu-$key.lock"
flock 9

if works; then
	log "cached: $bin"
else
	build
	works || die "$bin does not run"
fi
[ -f "$qmp_py/qemu/qmp/legacy.py" ] || fetch_qmp_lib
link_output
