#!/bin/bash
# Emit the kernel's text symbols, sorted, as assembly for the panic path
# (arch/riscv/trap.c names sepc with them). The table lands in .rodata,
# after all text, so the second link does not move any function. With
# /dev/null it emits an empty table for the first link, so that both links
# resolve the same symbols the same way.
set -euo pipefail
NM=$1 ELF=$2 OUT=$3
{
	echo '	.section .ksyms, "a"'
	echo '	.balign 8'
	echo '	.globl ksym_count, ksym_addrs, ksym_names'
	{ [ "$ELF" = /dev/null ] || "$NM" -n "$ELF"; } | awk '$2 ~ /^[tT]$/ && $3 !~ /^\./ && $3 !~ /^\$/' > "$OUT.list"
	echo "ksym_count: .dword $(wc -l < "$OUT.list")"
	echo 'ksym_addrs:'
	awk '{print "\t.dword 0x" $1}' "$OUT.list"
	echo 'ksym_names:'
	awk '{print "\t.dword .Lname" NR-1}' "$OUT.list"
	awk '{print ".Lname" NR-1 ": .asciz \"" $3 "\""}' "$OUT.list"
}  > "$OUT"
rm -f "$OUT.list"
