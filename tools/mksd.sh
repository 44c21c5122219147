#!/bin/bash
# Build build/rvmm-vf2-sd.img: an SD-card image that U-Boot's distro boot
# boots with no typing, on the VisionFive 2 and in QEMU alike.
#
#   tools/mksd.sh [-o IMG] [-d DTB] [-f FILE]... [BUILD_DIR]
#
# Layout: an MBR partition table with one bootable FAT32 partition at 1 MiB
# holding Image and boot.scr; -d adds a device tree at starfive/<its name>
# (the path the board's ${fdtfile} names), -f any other file at the top.
# Distro boot scans a bootable partition of each boot device for boot.scr
# and runs it.
#
# Only user-level Debian tools: sfdisk (fdisk) writes the table into the
# file, mkfs.vfat (dosfstools) makes the file system in a file of its own,
# mtools copies into it, dd places it. No loop device, no mount, no root.
set -euo pipefail
IMG= DTB= FILES=()
while getopts o:d:f: opt; do
	case $opt in
	o) IMG=$OPTARG ;;
	d) DTB=$OPTARG ;;
	f) FILES+=("$OPTARG") ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
B=${1:-build}
IMG=${IMG:-$B/rvmm-vf2-sd.img}
FAT=$IMG.fat
START_MIB=1		# partition start: 1 MiB, the usual alignment
FAT_MIB=64		# FAT32 needs 32 MiB at least on 512-byte sectors

for tool in sfdisk mkfs.vfat mcopy mmd mkimage; do
	command -v "$tool" >/dev/null ||
		{ echo "mksd: $tool not found (make deps installs it)" >&2; exit 1; }
done
[ -f "$B/Image" ] || { echo "mksd: $B/Image not found (run make)" >&2; exit 1; }

# The script works from U-Boot's own variables, so the same card boots on
# any board whose U-Boot sets kernel_addr_r/fdt_addr_r (distro boot sets
# devtype, devnum, distro_bootpart and prefix before running it). The
# board's own tree (${fdtfile}) is used when the card carries it; else the
# tree U-Boot itself runs on (${fdtcontroladdr}), which it fixes up with
# the memory size and the firmware's reserved region. Boot arguments are
# U-Boot's own `bootargs` (booti writes it into /chosen; unset, the tree's
# stay): the script leaves it alone.
cat > "$B/boot.cmd" <<'EOT'
echo "rvmm: loading ${prefix}Image from ${devtype} ${devnum}:${distro_bootpart} to ${kernel_addr_r}"
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} ${prefix}Image || exit
if test -n "${fdtfile}" && test -e ${devtype} ${devnum}:${distro_bootpart} ${prefix}${fdtfile}; then
	load ${devtype} ${devnum}:${distro_bootpart} ${fdt_addr_r} ${prefix}${fdtfile}
	echo "rvmm: device tree ${prefix}${fdtfile}"
	booti ${kernel_addr_r} - ${fdt_addr_r}
else
	echo "rvmm: device tree from U-Boot (${fdtcontroladdr})"
	booti ${kernel_addr_r} - ${fdtcontroladdr}
fi
EOT
mkimage -A riscv -O linux -T script -C none -n "rvmm boot script" \
	-d "$B/boot.cmd" "$B/boot.scr" >/dev/null

rm -f "$FAT"
mkfs.vfat -F 32 -n RVMM -i 52564d4d -C "$FAT" $((FAT_MIB * 1024)) >/dev/null
mcopy -i "$FAT" "$B/Image" "$B/boot.scr" ${FILES[@]+"${FILES[@]}"} ::/
if [ -n "$DTB" ]; then
	mmd -i "$FAT" ::/starfive
	mcopy -i "$FAT" "$DTB" "::/starfive/$(basename "$DTB")"
fi

rm -f "$IMG"
truncate -s $(((START_MIB + FAT_MIB) * 1024 * 1024)) "$IMG"
# type c = W95 FAT32 (LBA), '*' = bootable (distro boot looks there first)
printf 'label: dos\nlabel-id: 0x52564d4d\nstart=%d, size=%d, type=c, bootable\n' \
	$((START_MIB * 2048)) $((FAT_MIB * 2048)) | sfdisk --quiet "$IMG"
dd if="$FAT" of="$IMG" bs=1M seek=$START_MIB conv=notrunc status=none
rm -f "$FAT"
echo "vf2-sd: $IMG ($((START_MIB + FAT_MIB)) MiB: $(mdir -b -/ -i "$IMG@@${START_MIB}M" :: | sed 's|^::/||' | tr '\n' ' '))"
