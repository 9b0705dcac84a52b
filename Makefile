# obs: build, test and install the suite.  Plain GNU make; dependencies come
# from pkg-config through variables a user can override.

VERSION    = 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SHAREDIR  ?= $(PREFIX)/share/obs
SYSCONFDIR ?= /etc
DESTDIR   ?=

CC        ?= cc
PKG_CONFIG ?= pkg-config
PROTOC_C  ?= protoc-c
CFLAGS    ?= -O2 -g
WARNFLAGS  = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CPPFLAGS  += -D_GNU_SOURCE -Ilib -DOBS_VERSION='"$(VERSION)"'
LDFLAGS   ?=
LDFLAGS   += -Wl,--as-needed
LDLIBS    += -lm -lpthread

# B is the object directory and BIN where programs land; check-asan and
# fuzz use their own so the builds never mix.
B   ?= build
BIN ?= bin

# pkg-config modules: libobs' own, then each program's extras.
# libcurl is loaded at run time (dlopen, for https and proxies): its
# headers are used, the library is never linked (DLOPEN_PKGS).
LIB_PKGS       = yaml-0.1 libpcre2-8 zlib libcurl
DLOPEN_PKGS    = libcurl
PKGS_rwsend    = libprotobuf-c
PKGS_lokipush  = libprotobuf-c
PKGS_snmpcol   = netsnmp
pkg_cflags = $(if $(1),$(shell $(PKG_CONFIG) --cflags $(1)))
pkg_libs   = $(if $(filter-out $(DLOPEN_PKGS),$(1)),$(shell $(PKG_CONFIG) --libs $(filter-out $(DLOPEN_PKGS),$(1))))

PROGS    := $(notdir $(wildcard src/*))
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(wildcard tests/unit/t_*.c)
UNITS    := $(UNIT_SRCS:%.c=$(B)/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRCS := $(wildcard bench/*.c)
MAN1     := $(wildcard man/man1/*.1)
MAN5     := $(wildcard man/man5/*.5)
MAN8     := $(wildcard man/man8/*.8)

ALL_CFLAGS = $(WARNFLAGS) $(CFLAGS) $(call pkg_cflags,$(LIB_PKGS))

.PHONY: all deps deps-test check check-asan check-run fuzz fuzz-build fuzz-smoke bench demo install \
        uninstall clean units lint
all: $(PROGS:%=$(BIN)/%)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libobs.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# One template per program: its C files, its .proto files compiled with
# protoc-c into the object tree, linked against libobs and its extras.
define prog_template
$(1)_SRCS   := $$(wildcard src/$(1)/*.c)
$(1)_PROTOS := $$(wildcard src/$(1)/*.proto)
$(1)_GENC   := $$($(1)_PROTOS:src/$(1)/%.proto=$(B)/gen/$(1)/%.pb-c.c)
$(1)_OBJS   := $$($(1)_SRCS:%.c=$(B)/%.o) $$($(1)_GENC:%.c=%.o)
$$($(1)_SRCS:%.c=$(B)/%.o): EXTRA_CFLAGS = -I$(B)/gen/$(1) $$(call pkg_cflags,$$(PKGS_$(1)))
$$($(1)_SRCS:%.c=$(B)/%.o): | $$($(1)_GENC)
$(B)/gen/$(1)/%.pb-c.c: src/$(1)/%.proto
	@mkdir -p $$(@D)
	$$(PROTOC_C) --proto_path=src/$(1) --c_out=$(B)/gen/$(1) $$<
$(B)/gen/$(1)/%.pb-c.o: $(B)/gen/$(1)/%.pb-c.c
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) -I$(B)/gen/$(1) $$(call pkg_cflags,$$(PKGS_$(1))) -c -o $$@ $$<
$(BIN)/$(1): $$($(1)_OBJS) $(B)/libobs.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$($(1)_OBJS) $(B)/libobs.a \
		$$(call pkg_libs,$$(PKGS_$(1)) $(LIB_PKGS)) $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_template,$(p))))

# Unit tests: small TAP programs, one per lib/ module.
$(B)/tests/unit/%: $(B)/tests/unit/%.o $(B)/libobs.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libobs.a $(call pkg_libs,$(LIB_PKGS)) $(LDLIBS)
units: $(UNITS)

# Debian packages: installed with apt-get only when missing.
deps:
	@sh tests/deps.sh build
deps-test:
	@sh tests/deps.sh build test

check: deps-test
	@$(MAKE) --no-print-directory all units
	@B=$(B) BIN=$(BIN) sh tests/run

# The same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build.
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
check-asan: deps-test
	@$(MAKE) --no-print-directory B=build-asan BIN=build-asan/bin \
		CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" all units
	@B=build-asan BIN=build-asan/bin OBS_ASAN=1 sh tests/run

# libFuzzer harnesses, clang only; FUZZ_TIME seconds per harness.  lib/ is
# compiled once for all of them; a program's harness #includes its own .c
# files.  fuzz-smoke only builds each harness and runs its seed corpus
# (tests/fuzz/corpus/NAME), so make check notices a harness that no longer
# builds or a seed that crashes.
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
FUZZ_B     = build-fuzz
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJS = $(LIB_SRCS:%.c=$(FUZZ_B)/%.o)
FUZZ_BINS  = $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_B)/%)

$(FUZZ_B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) $(CPPFLAGS) \
		$(call pkg_cflags,$(LIB_PKGS)) -MMD -MP -c -o $@ $<
$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(call pkg_cflags,$(LIB_PKGS) $(PKGS_snmpcol)) \
		-MMD -MP -o $@ $< $(FUZZ_LIB_OBJS) $(call pkg_libs,$(LIB_PKGS)) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)
# kept between runs: make would take them for intermediates of the chain
.SECONDARY: $(FUZZ_LIB_OBJS)

fuzz: deps fuzz-build
	@set -e; for n in $(FUZZ_BINS:$(FUZZ_B)/%=%); do \
		mkdir -p $(FUZZ_B)/corpus-$$n; \
		seed=tests/fuzz/corpus/$$n; [ -d $$seed ] || seed=; \
		echo "fuzz: $$n for $(FUZZ_TIME)s"; \
		$(FUZZ_B)/$$n -max_total_time=$(FUZZ_TIME) -max_len=65536 \
			$(FUZZ_B)/corpus-$$n $$seed; \
	done

fuzz-smoke: fuzz-build
	@set -e; for n in $(FUZZ_BINS:$(FUZZ_B)/%=%); do \
		seed=tests/fuzz/corpus/$$n; \
		if [ -d $$seed ]; then \
			$(FUZZ_B)/$$n -runs=0 $$seed 2>$(FUZZ_B)/$$n.log || \
				{ tail -n 30 $(FUZZ_B)/$$n.log; exit 1; }; \
		else \
			$(FUZZ_B)/$$n -runs=200 2>$(FUZZ_B)/$$n.log || \
				{ tail -n 30 $(FUZZ_B)/$$n.log; exit 1; }; \
		fi; \
		echo "fuzz-smoke: $$n ok"; \
	done

bench: deps-test all
	@B=$(B) BIN=$(BIN) sh bench/run

demo: deps-test all
	@BIN=$(BIN) sh share/demo/run

lint:
	@mandoc -Tlint -Wwarning $(MAN1) $(MAN5) $(MAN8)

# The files of share/systemd and share/cron name /usr/local/bin and
# /etc/obs; the installed copies name $(BINDIR) and $(SYSCONFDIR)/obs
# (SYSCONFDIR is /etc unless given, whatever the PREFIX).
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SHAREDIR)
	install -m 755 $(PROGS:%=$(BIN)/%) $(DESTDIR)$(BINDIR)
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8)
	cp -R share/. $(DESTDIR)$(SHAREDIR)
	sed -i -e 's#/usr/local/bin#$(BINDIR)#g' \
		-e 's#/etc/obs\b#$(SYSCONFDIR)/obs#g' \
		$(DESTDIR)$(SHAREDIR)/systemd/* $(DESTDIR)$(SHAREDIR)/cron/*

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(patsubst %,$(DESTDIR)$(MANDIR)/man1/%,$(notdir $(MAN1)))
	rm -f $(patsubst %,$(DESTDIR)$(MANDIR)/man5/%,$(notdir $(MAN5)))
	rm -f $(patsubst %,$(DESTDIR)$(MANDIR)/man8/%,$(notdir $(MAN8)))
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build build-asan build-fuzz bin tests/out

-include $(shell find $(B) -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_B) -name '*.d' 2>/dev/null)
