# libFuzzer target for the device-tree parsers (HOST_DTSRC): `make fuzz`.
#
# Needs clang-14 and its runtime (libclang-rt-14-dev, Debian bookworm); they
# are installed with apt-get when missing. The corpus lives in
# $(B)/fuzz/corpus and grows across runs; it is seeded with QEMU's own virt
# blobs and the test suites' trees (tests/common/dt_builders.h). Crashes are
# written to $(B)/fuzz/crash-*; replay one with `$(B)/fuzz/dt_fuzz FILE`.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_CC      ?= clang-14
FB           := $(B)/fuzz
# libfdt's sources and file list as tests/host/host.mk names them.
FUZZ_LIBFDT_OBJ := $(patsubst %,$(FB)/libfdt/%.o,$(HOST_LIBFDT))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -Werror $(FUZZ_SAN) \
	-Iinclude -Itests/host/include -Iarch/riscv/include -I$(B)/libfdt
FUZZ_DEPS    := tests/fuzz/dt_fuzz.c $(HOST_DTSRC) tests/common/dt_builders.h \
	include/rvmm/dt.h include/rvmm/of_fdt.h include/rvmm/plic.h include/rvmm/pci-ecam.h \
	include/rvmm/types.h $(FUZZ_LIBFDT_OBJ)

.PHONY: fuzz fuzz-deps

fuzz-deps:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	    ! dpkg-query -W -f='$${Status}\n' libclang-rt-14-dev 2>/dev/null | \
	      grep -q 'install ok installed'; then \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		export DEBIAN_FRONTEND=noninteractive; \
		$$SUDO apt-get install -y clang-14 libclang-rt-14-dev || \
		{ $$SUDO apt-get update -qq && \
		  $$SUDO apt-get install -y clang-14 libclang-rt-14-dev; }; \
	fi

# libfdt gets coverage instrumentation too: the walk goes through it.
$(FB)/libfdt/%.o: $(B)/libfdt.a | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		-I$(LIBFDT_SRC) -c $(LIBFDT_SRC)/$*.c -o $@

$(FB)/dt_fuzz: $(FUZZ_DEPS) | fuzz-deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ tests/fuzz/dt_fuzz.c \
		$(HOST_DTSRC) $(FUZZ_LIBFDT_OBJ)

$(FB)/dt_seedgen: $(FUZZ_DEPS) | fuzz-deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -DDT_FUZZ_SEEDGEN \
		-o $@ tests/fuzz/dt_fuzz.c $(FUZZ_LIBFDT_OBJ)

# Names and values dt.c looks for, so mutations can splice them in.
$(FB)/dt.dict:
	@mkdir -p $(dir $@)
	@printf '"%s"\n' reg device_type memory cpu cpus status okay ok disabled \
		'#address-cells' '#size-cells' '#interrupt-cells' no-map size \
		alignment reserved-memory chosen bootargs stdout-path \
		timebase-frequency mmu-type riscv,sv39 riscv,sv48 riscv,sv57 \
		riscv,none riscv,isa riscv,isa-extensions riscv,cpu-intc phandle \
		compatible sifive,test1 sifive,test0 riscv,plic0 sifive,plic-1.0.0 \
		riscv,ndev interrupts-extended pci-host-ecam-generic bus-range \
		ranges interrupt-map interrupt-map-mask > $@
	@printf '"\\xd0\\x0d\\xfe\\xed"\n"\\x00\\x00\\x00\\x01"\n"\\x00\\x00\\x00\\x02"\n"\\x00\\x00\\x00\\x03"\n"\\x00\\x00\\x00\\x09"\n' >> $@

fuzz: $(FB)/dt_fuzz $(FB)/dt_seedgen $(FB)/dt.dict
	@mkdir -p $(FB)/corpus
	$(FB)/dt_seedgen $(FB)/corpus
	@$(STOCK_QEMU) -M virt,dumpdtb=$(FB)/corpus/qemu-virt.dtb -smp 4 -m 1G \
		-nographic >/dev/null 2>&1 || echo "fuzz: no QEMU virt seed"
	@$(STOCK_QEMU) -M virt,aia=aplic-imsic,dumpdtb=$(FB)/corpus/qemu-virt-aia.dtb \
		-smp 2 -m 512M -nographic >/dev/null 2>&1 || echo "fuzz: no QEMU AIA seed"
	$(FB)/dt_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-dict=$(FB)/dt.dict -artifact_prefix=$(FB)/ $(FUZZ_FLAGS) $(FB)/corpus
