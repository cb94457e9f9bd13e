# SPDX-License-Identifier: MIT
# GNU make file for the libFuzzer targets, run by "make fuzz" (Makefile.am)
# and by scripts/fuzz; independent of configure and libtool:
#   make -f SRCDIR/fuzz/fuzz.mk srcdir=SRCDIR O=OUTDIR [FUZZ_CC=clang] [-j N]
# Every shared/ source is compiled again with clang, instrumented for
# coverage (-fsanitize=fuzzer-no-link) and with AddressSanitizer and
# UndefinedBehaviorSanitizer (any UB report aborts), into OUTDIR/obj; each
# fuzz/fuzz_<name>.c is linked with them and libFuzzer's main into
# OUTDIR/bin/fuzz_<name>. fuzz_cfg_<plugin>.c targets include their plugin
# source and link tests/glue/mock_collectd.c and plugins/hl_plugin.c, like
# the glue tests. Library flags default to pkg-config's answers; "make fuzz"
# passes configure's.
srcdir ?= .
O ?= fuzz-build
FUZZ_CC ?= clang
AR ?= ar
PKG_CONFIG ?= pkg-config
YAJL_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags yajl 2>/dev/null)
YAJL_LIBS ?= $(shell $(PKG_CONFIG) --libs yajl 2>/dev/null || echo -lyajl)
XML2_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libxml-2.0)
XML2_LIBS ?= $(shell $(PKG_CONFIG) --libs libxml-2.0)
NVME_LIBS ?= -lnvme
COLLECTD_CPPFLAGS ?= -DHAVE_CONFIG_H -I/usr/include/collectd
FUZZ_CFLAGS ?= -g -O1 -fno-omit-frame-pointer

SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# Code under test gets coverage instrumentation; the checks of the targets
# (fuzz_*.c, apart from the plugin sources the cfg targets include) do not,
# so loops over a rendered report add no time and no false features.
COV := -fsanitize=fuzzer-no-link
CFLAGS_ALL := -std=gnu11 -D_GNU_SOURCE -DHOMELAB_VERSION='"fuzz"' \
	-I$(srcdir)/shared -I$(srcdir)/fuzz -Wall -Wextra -Wno-unused-parameter \
	$(FUZZ_CFLAGS) $(SAN) -MMD -MP
LIBS := $(YAJL_LIBS) $(XML2_LIBS) $(NVME_LIBS) -ldl -lm -lpthread

SHARED := $(sort $(basename $(notdir $(wildcard $(srcdir)/shared/*.c))))
SHARED_OBJS := $(SHARED:%=$(O)/obj/shared/%.o)
GLUE_OBJS := $(O)/obj/glue/mock_collectd.o $(O)/obj/glue/hl_plugin.o
GLUE_FLAGS := $(COLLECTD_CPPFLAGS) -I$(srcdir)/plugins -I$(srcdir)/tests/glue

TARGETS := $(sort $(patsubst $(srcdir)/fuzz/fuzz_%.c,%, \
	$(wildcard $(srcdir)/fuzz/fuzz_*.c)))
BINS := $(TARGETS:%=$(O)/bin/fuzz_%)

all: $(BINS)

$(O)/obj/shared/%.o: $(srcdir)/shared/%.c $(srcdir)/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_ALL) $(COV) $(YAJL_CFLAGS) $(XML2_CFLAGS) -c $< -o $@

$(O)/obj/libhomelab_fuzz.a: $(SHARED_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(O)/obj/glue/mock_collectd.o: $(srcdir)/tests/glue/mock_collectd.c \
		$(srcdir)/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_ALL) $(COV) $(GLUE_FLAGS) -c $< -o $@

$(O)/obj/glue/hl_plugin.o: $(srcdir)/plugins/hl_plugin.c $(srcdir)/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_ALL) $(COV) $(GLUE_FLAGS) -c $< -o $@

$(O)/obj/fuzz/fuzz_cfg_%.o: $(srcdir)/fuzz/fuzz_cfg_%.c $(srcdir)/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_ALL) $(COV) $(GLUE_FLAGS) $(YAJL_CFLAGS) \
	  $(XML2_CFLAGS) -c $< -o $@

$(O)/obj/fuzz/fuzz_%.o: $(srcdir)/fuzz/fuzz_%.c $(srcdir)/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_ALL) $(YAJL_CFLAGS) $(XML2_CFLAGS) -c $< -o $@

$(O)/bin/fuzz_cfg_%: $(O)/obj/fuzz/fuzz_cfg_%.o $(GLUE_OBJS) \
		$(O)/obj/libhomelab_fuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SAN) -fsanitize=fuzzer $^ $(LIBS) -o $@

$(O)/bin/fuzz_%: $(O)/obj/fuzz/fuzz_%.o $(O)/obj/libhomelab_fuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SAN) -fsanitize=fuzzer $^ $(LIBS) -o $@

# Prints the target names, one a line (scripts/fuzz asks).
list:
	@printf '%s\n' $(TARGETS)

clean:
	rm -rf $(O)/bin $(O)/obj

.PHONY: all list clean
.SECONDARY:
-include $(wildcard $(O)/obj/*/*.d)
