# Host build of the portable core (mm, page tables, DT parsing) against a
# simulated physical memory, under ASan and UBSan. See tests/host/README.
HOSTCC     ?= gcc
HB         := $(B)/host
LIBFDT_SRC  = $(shell cat $(B)/libfdt/srcdir 2>/dev/null)
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -DRVMM_HOST \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-Iinclude -Iarch/riscv/include -Itests/host -I$(B)/libfdt -MMD -MP
HOST_LIBFDT = fdt fdt_ro fdt_wip fdt_sw fdt_rw fdt_strerror fdt_empty_tree fdt_addresses fdt_check

# The portable kernel sources: everything listed here must build unchanged
# for x86-64 (no inline asm, no CSRs: arch hooks live in tests/host/sim*.c).
HOST_KSRC := lib/ktest.c boot/dt.c $(wildcard mm/*.c) arch/riscv/mm/pgtable.c \
	arch/riscv/mm/hotplug.c
HOST_TSRC := $(wildcard tests/host/*.c)
HOST_OBJ := $(patsubst %,$(HB)/%.o,$(basename $(HOST_KSRC) $(HOST_TSRC))) \
	$(patsubst %,$(HB)/libfdt/%.o,$(HOST_LIBFDT))

$(HB)/%.o: %.c $(B)/libfdt.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@
$(HB)/libfdt/%.o: $(B)/libfdt.a
	@mkdir -p $(dir $@)
	$(HOSTCC) -O1 -g -fsanitize=address,undefined -I$(LIBFDT_SRC) -c $(LIBFDT_SRC)/$*.c -o $@

$(HB)/hosttest: $(HOST_OBJ)
	$(HOSTCC) -fsanitize=address,undefined -o $@ $^

host-test: $(HB)/hosttest
	$(HB)/hosttest

-include $(wildcard $(HOST_OBJ:.o=.d))
