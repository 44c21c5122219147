# build/host/rvmm-dtinfo: the kernel's DT parsers (boot/dt.c, the early
# helpers, the PLIC's and the ECAM host's node parsers; HOST_DTSRC of
# tests/host/host.mk) on the host, printing what the kernel takes from a tree. No sanitizers: it is a tool
# (the host tests run the same parser under ASan and UBSan).
HBD := $(B)/host/dtinfo
DTINFO_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-Iinclude -Itests/host/include -Iarch/riscv/include -I$(B)/libfdt -MMD -MP
DTINFO_OBJ := $(patsubst %.c,$(HBD)/%.o,$(HOST_DTSRC)) $(HBD)/tools/dtinfo/rvmm-dtinfo.o \
	$(patsubst %,$(HBD)/libfdt/%.o,$(HOST_LIBFDT))

$(HBD)/%.o: %.c | $(B)/libfdt.a
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(DTINFO_CFLAGS) -c $< -o $@
$(HBD)/libfdt/%.o: $(B)/libfdt.a
	@mkdir -p $(dir $@)
	@$(HOSTCC) -O2 -I$(LIBFDT_SRC) -c $(LIBFDT_SRC)/$*.c -o $@

$(B)/host/rvmm-dtinfo: $(DTINFO_OBJ)
	@echo "  HOSTLD  $@"
	@$(HOSTCC) -o $@ $^

-include $(wildcard $(DTINFO_OBJ:.o=.d))
