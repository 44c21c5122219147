#!/bin/bash
# Install everything rvmm needs from Debian's own registry.
#
# Idempotent. Works as root or through sudo. The extra apt entries
# (bookworm-backports, deb-src for bookworm and trixie) are derived at run
# time from the machine's existing deb822 configuration: we copy its URIs and
# Signed-By fields, so no registry host name lives in this repository.
set -euo pipefail

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# make, gcc and libc6-dev (the host tests, QEMU's build) and patch (QEMU's
# build) are not on a minimal Debian 12 system either. u-boot-tools (mkimage),
# mtools, dosfstools and fdisk build the FIT and the SD-card image;
# u-boot-qemu is the S-mode U-Boot `make test` boots them with;
# python3-libfdt edits device trees in tests/negative.py.
PKGS=(make gcc libc6-dev patch
      gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf device-tree-compiler
      u-boot-tools u-boot-qemu mtools dosfstools fdisk gdb-multiarch dpkg-dev xz-utils bzip2 python3
      ninja-build libglib2.0-dev libpixman-1-dev libslirp-dev flex bison
      python3-venv pkg-config python3-libfdt)
BPO_PKGS=(qemu-system-misc opensbi meson python3-pycotap)

have_all() {
	local st
	# dpkg-query fails if it has never heard of a package; a package it
	# knows but that is not installed shows another status.
	st=$(dpkg-query -W -f='${Status}\n' "${PKGS[@]}" "${BPO_PKGS[@]}" 2>/dev/null) ||
		return 1
	! grep -qv '^install ok installed$' <<<"$st" || return 1
	# QEMU 10 (backports) is required: bookworm's 7.2 lacks what we rely on.
	dpkg-query -W -f='${Version}' qemu-system-misc | grep -q '^1:10\.'
}

add_sources() {
	local src=/etc/apt/sources.list.d/debian.sources
	local out=/etc/apt/sources.list.d/rvmm.sources
	[ -f "$out" ] && return 0
	[ -f "$src" ] || { echo "deps: $src not found; cannot derive apt entries" >&2; exit 1; }
	# First stanza whose Suites contain plain "bookworm".
	local uris signed
	uris=$(awk -v RS= '/Suites:[^\n]*bookworm( |\n|$)/ {print; exit}' "$src" |
		sed -n 's/^URIs:[[:space:]]*//p')
	signed=$(awk -v RS= '/Suites:[^\n]*bookworm( |\n|$)/ {print; exit}' "$src" |
		sed -n 's/^Signed-By:[[:space:]]*//p')
	[ -n "$uris" ] || { echo "deps: no bookworm URIs in $src" >&2; exit 1; }
	$SUDO tee "$out" >/dev/null <<EOT
Types: deb deb-src
URIs: $uris
Suites: bookworm-backports
Components: main
Signed-By: $signed

Types: deb-src
URIs: $uris
Suites: bookworm trixie
Components: main
Signed-By: $signed
EOT
	echo "deps: added bookworm-backports and deb-src entries ($out)"
}

if have_all && [ -f /etc/apt/sources.list.d/rvmm.sources ]; then
	exit 0
fi
add_sources
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BPO_PKGS[@]}" >/dev/null
echo "deps: installed; $(qemu-system-riscv64 --version | head -1)"
