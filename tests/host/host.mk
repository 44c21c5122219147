# Host build of the portable core (mm, page tables, DT parsing) against a
# simulated physical memory, under ASan and UBSan. See tests/host/README.
HOSTCC     ?= gcc
HB         := $(B)/host
LIBFDT_SRC  = $(shell cat $(B)/libfdt/srcdir 2>/dev/null)
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -DCONFIG_SELFTESTS \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-Iinclude -Itests/host/include -Iarch/riscv/include -Itests/host -I$(B)/libfdt -MMD -MP
HOST_LIBFDT = fdt fdt_ro fdt_wip fdt_sw fdt_rw fdt_strerror fdt_empty_tree fdt_addresses fdt_check

# The portable kernel sources: everything listed here must build unchanged
# for x86-64 (no inline asm, no CSRs: arch hooks live in tests/host/sim*.c).
# virtio-mem's Sub-Block Mode runs against a model device
# (tests/host/virtio_mem_sbm_test.c); the transport stays in the kernel.
# The device-tree parsers: boot/dt.c, the early helpers and every driver's
# node parser, with the driver model's matching and deferral.
HOST_DTSRC := boot/dt.c arch/riscv/mm/fdt_early.c drivers/of/fdt.c drivers/irq/plic_dt.c \
	drivers/pci/ecam_dt.c
HOST_KSRC := lib/ktest.c $(HOST_DTSRC) $(wildcard mm/*.c) arch/riscv/mm/pgtable.c \
	arch/riscv/mm/hotplug.c arch/riscv/mm/pgalloc.c arch/riscv/mm/layout.c \
	arch/riscv/mm/vmemmap.c lib/printk.c drivers/virtio/virtio_mem_sbm.c \
	drivers/base/platform.c drivers/irq/irqdomain.c
HOST_TSRC := $(filter-out tests/host/bench.c,$(wildcard tests/host/*.c))
HOST_OBJ := $(patsubst %,$(HB)/%.o,$(basename $(HOST_KSRC) $(HOST_TSRC))) \
	$(patsubst %,$(HB)/libfdt/%.o,$(HOST_LIBFDT))

$(HB)/%.o: %.c | $(B)/libfdt.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@
$(HB)/libfdt/%.o: $(B)/libfdt.a
	@mkdir -p $(dir $@)
	$(HOSTCC) -O1 -g -fsanitize=address,undefined -I$(LIBFDT_SRC) -c $(LIBFDT_SRC)/$*.c -o $@

# tests/host/garbage.c: every add_memory() call scribbles the range first.
HOST_LDFLAGS := -fsanitize=address,undefined -Wl,--wrap=add_memory_plugged

$(HB)/hosttest: $(HOST_OBJ)
	$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^

# The board suite (tests/host/board_test.c) boots the trees of
# tools/boardtrees.sh; RVMM_BOARDS tells it where they are.
$(B)/boards/.stamp: tools/boardtrees.sh tools/srcpkg.sh
	@bash tools/boardtrees.sh $(B)/boards
	@touch $@

host-test: $(HB)/hosttest $(B)/boards/.stamp
	RVMM_BOARDS=$(B)/boards $(HB)/hosttest

-include $(wildcard $(HOST_OBJ:.o=.d))

# host-test-poison: the same suites with CONFIG_PAGE_POISONING, as in DEBUG=1
# kernels (every freed page is written: slower, ~1.5 GB of host RAM).
HBP := $(B)/host-poison
HOSTP_OBJ := $(patsubst %,$(HBP)/%.o,$(basename $(HOST_KSRC) $(HOST_TSRC)))

$(HBP)/%.o: %.c | $(B)/libfdt.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -DCONFIG_PAGE_POISONING -c $< -o $@

$(HBP)/hosttest: $(HOSTP_OBJ) $(patsubst %,$(HB)/libfdt/%.o,$(HOST_LIBFDT))
	$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^

.PHONY: host-test-poison
host-test-poison: $(HBP)/hosttest $(B)/boards/.stamp
	RVMM_BOARDS=$(B)/boards $(HBP)/hosttest

-include $(wildcard $(HOSTP_OBJ:.o=.d))

# host-bench: the same mm core and simulated machine, without sanitizers,
# at -O2, in its own object directory (tests/host/bench.c has the main).
HBB := $(B)/hostbench
HOSTBENCH_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -DCONFIG_SELFTESTS \
	-Iinclude -Itests/host/include -Iarch/riscv/include -Itests/host -MMD -MP
HOSTBENCH_SRC := $(wildcard mm/*.c) arch/riscv/mm/pgtable.c arch/riscv/mm/hotplug.c \
	arch/riscv/mm/pgalloc.c arch/riscv/mm/layout.c arch/riscv/mm/vmemmap.c lib/printk.c \
	tests/host/sim.c tests/host/bench.c
HOSTBENCH_OBJ := $(patsubst %,$(HBB)/%.o,$(basename $(HOSTBENCH_SRC)))

$(HBB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTBENCH_CFLAGS) -c $< -o $@

$(HB)/hostbench: $(HOSTBENCH_OBJ)
	@mkdir -p $(dir $@)
	$(HOSTCC) -o $@ $^

.PHONY: host-bench
host-bench: $(HB)/hostbench
	$(HB)/hostbench

-include $(wildcard $(HOSTBENCH_OBJ:.o=.d))
