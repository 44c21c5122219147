#!/bin/bash
# Old board firmware for `make test`: OpenSBI 1.1 from Debian 12's main
# archive (SBI 1.0, no DBCN console), the generation VisionFive 2 boards
# shipped with. Fetched with apt-get download (checked against the signed
# index by apt), unpacked with dpkg-deb into the cache, never installed:
# the system's OpenSBI 1.5.1 stays what `-bios default` runs.
#
#   tools/oldfw.sh          fetches it once; prints the path of fw_dynamic.bin
#   tools/oldfw.sh --path   only prints where it is (or will be)
set -euo pipefail
VER=1.1-2
DIR=${RVMM_CACHE:-$HOME/.cache/rvmm}/opensbi-${VER%-*}
FW=$DIR/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
if [ "${1:-}" != --path ] && [ ! -f "$FW" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# apt drops to the _apt user for downloads: let it write here.
	chmod 755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true
	(cd "$tmp" && apt-get download -q "opensbi=$VER" >&2)
	mkdir -p "$DIR.new"
	dpkg-deb -x "$tmp"/opensbi_"${VER}"_all.deb "$DIR.new"
	rm -rf "$DIR" && mv "$DIR.new" "$DIR"
fi
echo "$FW"
