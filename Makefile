# hermitkv: build guest images.
#
#   make image             every app in guest-c/apps/<app>/ -> images/<app>.elf
#   make image APP=<dir>   the .c files in <dir> (an out-of-tree app) -> images/<basename>.elf
#   make clean             remove guest-c/build and images
#
# The kernel and libc are compiled once into guest-c/build/ and linked into every image.
# Toolchain: CROSS=i686-linux-gnu- by default (gcc and ld); CC=clang uses --target=i686-elf and
# ld.lld. CROSS, CC and LD can all be overridden on the command line.

CROSS ?= i686-linux-gnu-
ifeq ($(origin CC),default)
CC := $(CROSS)gcc
endif
ifneq ($(findstring clang,$(CC)),)
TARGET_FLAGS := --target=i686-elf
ifeq ($(origin LD),default)
LD := ld.lld
endif
endif
ifeq ($(origin LD),default)
LD := $(CROSS)ld
endif
ifeq ($(origin AR),default)
AR := $(if $(TARGET_FLAGS),llvm-ar,$(CROSS)ar)
endif

# Short build lines; V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @echo "  $(1)	$(2)"
endif

G := guest-c
B := $(G)/build
IMAGES := images

CFLAGS := $(TARGET_FLAGS) -m32 -march=i686 -std=c11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -nostdlib -nostdinc -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -mno-mmx -mno-sse -mno-sse2 -I$(G)/include -I$(G) -MMD -MP
# gcc would otherwise turn the loops in memset/memcpy into calls to themselves.
ifeq ($(TARGET_FLAGS),)
CFLAGS += -fno-tree-loop-distribute-patterns
endif
ASFLAGS := $(TARGET_FLAGS) -m32 -I$(G)/include -MMD -MP
LDFLAGS := -m elf_i386 -nostdlib -static -T $(G)/link.ld
# 64-bit division on i686 (__udivdi3 and friends) comes from the compiler's runtime library.
# clang's own may be missing for i686-elf: fall back to the Debian cross gcc's libgcc.
LIBGCC = $(firstword $(wildcard $(shell $(CC) $(TARGET_FLAGS) -m32 -print-libgcc-file-name 2>/dev/null) \
	$(shell $(CROSS)gcc -m32 -print-libgcc-file-name 2>/dev/null)))

KSRC := $(wildcard $(G)/kernel/*.c $(G)/kernel/*.S) $(wildcard $(G)/libc/*.c)
KOBJ := $(patsubst $(G)/%,$(B)/%.o,$(KSRC))
KLIB := $(B)/libhermit.a
BOOT := $(B)/kernel/boot.S.o

ifdef APP
APPDIR := $(patsubst %/,%,$(APP))
APPNAMES := $(notdir $(APPDIR))
$(APPNAMES)_SRC := $(wildcard $(APPDIR)/*.c)
$(APPNAMES)_OBJDIR := $(B)/ext/$(APPNAMES)
# Someone else's code: warn, but do not fail the build over a warning.
APP_CFLAGS := -Wno-error
else
APPNAMES := $(notdir $(patsubst %/,%,$(dir $(wildcard $(G)/apps/*/*.c))))
APPNAMES := $(sort $(APPNAMES))
$(foreach a,$(APPNAMES),$(eval $(a)_SRC := $(wildcard $(G)/apps/$(a)/*.c)))
$(foreach a,$(APPNAMES),$(eval $(a)_OBJDIR := $(B)/apps/$(a)))
endif
ELFS := $(APPNAMES:%=$(IMAGES)/%.elf)

.PHONY: image build clean
# Install what a fresh machine lacks, then build (a sub-make, so that the check runs first).
image:
	@CC="$(CC)" LD="$(LD)" sh scripts/ensure-toolchain.sh
	@$(MAKE) --no-print-directory build

build: $(ELFS)

ifdef APP
ifeq ($(strip $($(APPNAMES)_SRC)),)
$(error APP=$(APP): no .c files in that directory)
endif
endif

# The app's objects; its sources may live anywhere, so each gets an object named after its file.
define APP_RULES
$(1)_OBJ := $$(addprefix $$($(1)_OBJDIR)/,$$(notdir $$($(1)_SRC:.c=.c.o)))
$$($(1)_OBJDIR)/%.c.o: $$(dir $$(firstword $$($(1)_SRC)))%.c $(B)/flags
	@mkdir -p $$(@D)
	$$(call say,CC,$$<)
	$(Q)$$(CC) $$(CFLAGS) $$(APP_CFLAGS) -c $$< -o $$@
$(IMAGES)/$(1).elf: $$($(1)_OBJ) $(BOOT) $(KLIB) $(G)/link.ld
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)
	$(Q)$$(LD) $$(LDFLAGS) -o $$@ $(BOOT) $$($(1)_OBJ) --start-group $(KLIB) $$(LIBGCC) --end-group
	@echo "hermitkv: built $$@"
-include $$($(1)_OBJ:.o=.d)
endef
$(foreach a,$(APPNAMES),$(eval $(call APP_RULES,$(a))))

$(KLIB): $(filter-out $(BOOT),$(KOBJ))
	@rm -f $@
	$(call say,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(B)/%.c.o: $(G)/%.c $(B)/flags
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/%.S.o: $(G)/%.S $(B)/flags
	@mkdir -p $(@D)
	$(call say,AS,$<)
	$(Q)$(CC) $(ASFLAGS) -c $< -o $@

# Rebuild everything when the compiler or flags change.
$(B)/flags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CFLAGS) $(LD)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LD)' > $@
.PHONY: FORCE

-include $(KOBJ:.o=.d)

clean:
	rm -rf $(B) $(IMAGES)
