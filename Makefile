# rvmm — see `make help`. Outside interface: CONTRACT.md.
MAKEFLAGS += -rR
CROSS    ?= riscv64-unknown-elf-
CC       := $(CROSS)gcc
OBJCOPY  := $(CROSS)objcopy
NM       := $(CROSS)nm
B        := build
PICOLIBC := /usr/lib/picolibc/riscv64-unknown-elf
PICOLIB  := $(PICOLIBC)/lib/release/rv64imac/lp64
LIBGCC   := $(shell $(CC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name)
QEMU     ?= $(B)/qemu-system-riscv64
STOCK_QEMU ?= qemu-system-riscv64
# Debian's own python3 (python3-libfdt and the like install where only it
# looks; a python3 earlier on PATH, e.g. a pyenv one, cannot import them).
PYTHON   ?= /usr/bin/python3

ARCHFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
CFLAGS := $(ARCHFLAGS) -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-common -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-strict-aliasing -mstrict-align \
	-nostdinc -isystem $(PICOLIBC)/include \
	-isystem $(shell $(CC) -print-file-name=include) \
	-isystem $(shell $(CC) -print-file-name=include-fixed) \
	-Iinclude -Iarch/riscv/include -I$(B)/libfdt -MMD -MP
LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,-T,linker/kernel.lds \
	-Wl,--no-warn-rwx-segments -Wl,--no-relax

ifeq ($(DEBUG),1)
CFLAGS += -DCONFIG_PAGE_POISONING
endif

# SELFTESTS=n: the product alone, no object of tests/kernel and no test
# hook (include/rvmm/fault-inject.h). The default keeps the self-tests:
# users run them on every boot.
SELFTESTS ?= y
KSRC := $(wildcard arch/riscv/*.S arch/riscv/*.c arch/riscv/mm/*.c mm/*.c boot/*.c \
	lib/*.c drivers/*/*.c)
ifeq ($(SELFTESTS),y)
CFLAGS += -DCONFIG_SELFTESTS
KSRC += $(wildcard tests/kernel/*.c)
endif
KSRC := $(filter-out $(EXCLUDE),$(KSRC))
KOBJ := $(patsubst %,$(B)/k/%.o,$(basename $(KSRC)))

.PHONY: all deps run test bench soak fit vf2-sd qemu debug help clean host-test fuzz format FORCE
all: $(B)/Image $(B)/host/rvmm-dtinfo

# The flags and the object list: a change (DEBUG=1, EXCLUDE=...) rebuilds
# and relinks without `make clean`.
KCONFIG := $(CFLAGS) | $(LDFLAGS) | $(KOBJ)
$(B)/k/.config: FORCE
	@mkdir -p $(dir $@)
	@echo '$(KCONFIG)' | cmp -s - $@ || echo '$(KCONFIG)' > $@

deps:
	@bash tools/deps.sh >&2

$(B)/libfdt.a: tools/libfdt.sh
	@bash tools/libfdt.sh $(B)

# libfdt.a comes first for its headers; -MMD tracks their use.
$(B)/k/%.o: %.c $(B)/k/.config | $(B)/libfdt.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@
$(B)/k/%.o: %.S $(B)/k/.config
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(CFLAGS) -D__ASSEMBLY__ -c $< -o $@

# Two links: the second embeds the symbol table that the panic path uses
# to name sepc (tools/ksyms.sh). --no-relax keeps every function where the
# first link put it (relaxation would otherwise depend on symbol values).
$(B)/kernel.elf: $(KOBJ) $(B)/k/.config $(B)/libfdt.a linker/kernel.lds tools/ksyms.sh
	@echo "  LD      $@"
	@bash tools/ksyms.sh $(NM) /dev/null $(B)/ksyms0.S
	@$(CC) $(CFLAGS) -D__ASSEMBLY__ -c $(B)/ksyms0.S -o $(B)/ksyms0.o
	@$(CC) $(ARCHFLAGS) $(LDFLAGS) -o $@.pre $(KOBJ) $(B)/ksyms0.o $(B)/libfdt.a $(PICOLIB)/libc.a $(LIBGCC)
	@bash tools/ksyms.sh $(NM) $@.pre $(B)/ksyms.S
	@$(CC) $(CFLAGS) -D__ASSEMBLY__ -c $(B)/ksyms.S -o $(B)/ksyms.o
	@$(CC) $(ARCHFLAGS) $(LDFLAGS) -o $@ $(KOBJ) $(B)/ksyms.o $(B)/libfdt.a $(PICOLIB)/libc.a $(LIBGCC)

$(B)/Image: $(B)/kernel.elf
	@echo "  OBJCOPY $@"
	@$(OBJCOPY) -O binary $< $@

-include $(wildcard $(KOBJ:.o=.d))
include tests/host/host.mk
include tools/dtinfo/dtinfo.mk
-include tests/fuzz/fuzz.mk

qemu:
	@bash tools/qemu/build.sh $(B)/qemu-system-riscv64

# deps first, also under -j: the build needs what it installs.
run: deps
	@$(MAKE) --no-print-directory all qemu
	@$(PYTHON) tools/rvmm-run.py run

test: deps
	@$(MAKE) --no-print-directory all qemu vf2-sd
	@$(MAKE) --no-print-directory DEBUG=1 B=$(B)/debug $(B)/debug/Image
	@$(MAKE) --no-print-directory SELFTESTS=n B=$(B)/noselftests $(B)/noselftests/Image
	@$(PYTHON) tests/run.py test

bench: deps
	@$(MAKE) --no-print-directory all qemu >&2
	@$(PYTHON) tests/bench.py

# The long seeded virtio-mem soak (tests/soak.py); SEED= replays a config.
SOAK_ARGS := $(if $(SEED),--seed $(SEED)) $(if $(STEPS),--steps $(STEPS)) \
	$(if $(MAX_PLUGGED),--max-plugged $(MAX_PLUGGED))
soak: deps
	@$(MAKE) --no-print-directory all qemu
	@$(PYTHON) tests/soak.py $(SOAK_ARGS)

debug: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tools/rvmm-run.py debug

fit: $(B)/Image
	@bash tools/mkfit.sh $(B)

vf2-sd: $(B)/rvmm-vf2-sd.img
$(B)/rvmm-vf2-sd.img: $(B)/Image tools/mksd.sh
	@bash tools/mksd.sh $(B)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

help:
	@echo "make          build build/kernel.elf, build/Image and build/host/rvmm-dtinfo"
	@echo "make run      install deps, build, boot the default machine (CONTRACT.md)"
	@echo "make test     host tests (ASan+UBSan), kernel self-tests in every QEMU config, virtio-mem e2e, short soak"
	@echo "make bench    print 'bench: <name> <value> <unit>' lines"
	@echo "make soak     long seeded random virtio-mem soak over QMP (SEED=, STEPS=, MAX_PLUGGED=)"
	@echo "make qemu     build the patched QEMU (tools/qemu/) into $(B)/qemu-system-riscv64"
	@echo "make fit      U-Boot FIT image for the VisionFive 2: $(B)/rvmm.itb"
	@echo "make vf2-sd   SD-card image U-Boot's distro boot boots: $(B)/rvmm-vf2-sd.img"
	@echo "make debug    boot halted with a gdb stub and print the gdb-multiarch command"
	@echo "make SELFTESTS=n  the kernel without self-tests, benchmarks or test hooks"
	@echo "make fuzz     fuzz the device-tree parser for FUZZ_SECONDS (default 60)"
	@echo "make host-test  only the host build of the mm core (ASan+UBSan)"
	@echo "make format   clang-format every C file in place (.clang-format)"
	@echo "make deps     install the Debian packages (idempotent)"
	@echo "make clean    remove $(B)/ (the QEMU and libfdt caches stay)"
	@echo "make help     this list"
