# lintrain — a command-line trainer for linear classifiers.
# Knobs: DEBUG=1 (no optimisation, -g), SANITIZE=1 (ASan + UBSan), PREFIX, DESTDIR.
# Release builds use -O2 -march=native: the binary is built on the machine that
# runs it. Never -Ofast/-ffast-math: divergence detection needs NaN and Inf.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
CC      ?= cc
PKGS     = openblas libcjson
TESTPKGS = cmocka

ifeq ($(SANITIZE),1)
  BUILD  = build/sanitize
  OPT    = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDOPT  = -fsanitize=address,undefined
else ifeq ($(DEBUG),1)
  BUILD  = build/debug
  OPT    = -O0 -g
else
  BUILD  = build/release
  OPT    = -O2 -march=native $(VECTORIZE)
endif
# GCC's -O2 vectorizes only loops that need no remainder: "cheap" also takes the flat
# elementwise loops (optimizer, penalty gradient). It never reorders a float sum, so
# results are the same bits. -fno-math-errno (sqrt and friends need not set errno) and
# -fno-trapping-math (no code here traps on FP exceptions) let loops with a sqrt or a
# conditional vectorize too (Adam's: 3.5x faster); neither changes a value, nor NaN and
# Inf, unlike the rest of -ffast-math. The cost-model flag is left out for compilers
# that do not know it.
VECTORIZE := $(shell $(CC) -fvect-cost-model=cheap -E -x c /dev/null >/dev/null 2>&1 && echo -fvect-cost-model=cheap) \
             -fno-math-errno -fno-trapping-math

WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
# Recursive (=) so pkg-config runs only after `make deps` has had its chance.
CFLAGS   = -std=c11 $(WARN) $(OPT) -D_POSIX_C_SOURCE=200809L -Iinclude $(shell pkg-config --cflags $(PKGS))
LDLIBS   = $(shell pkg-config --libs $(PKGS)) -lm -pthread
TESTCFLAGS = $(CFLAGS) $(shell pkg-config --cflags $(TESTPKGS))
TESTLIBS = $(shell pkg-config --libs $(TESTPKGS)) $(LDLIBS)

LIB_SRC  = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  = $(LIB_SRC:src/%.c=$(BUILD)/%.o)
LIB      = $(BUILD)/liblintrain.a
TEST_SRC = $(wildcard tests/test_*.c)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_UTIL = $(BUILD)/tests/testutil.o

.PHONY: all deps run test check-tests sanitize bench install uninstall clean FORCE

all: lintrain

# ./lintrain is the binary of the last mode built (release, DEBUG or SANITIZE).
lintrain: $(BUILD)/lintrain FORCE
	@cmp -s $< $@ || cp $< $@

$(BUILD)/lintrain: $(BUILD)/main.o $(LIB)
	$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c | $(BUILD)/.dir
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/testutil.o: tests/testutil.c | $(BUILD)/.dir
	$(CC) $(TESTCFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: tests/test_%.c $(TEST_UTIL) $(LIB) | $(BUILD)/.dir
	$(CC) $(TESTCFLAGS) $(LDOPT) -MMD -MP -o $@ $< $(TEST_UTIL) $(LIB) $(TESTLIBS)

$(BUILD)/.dir:
	mkdir -p $(BUILD)/tests
	touch $@

# Installs the Debian packages that are missing; a no-op when all are there.
deps:
	@scripts/deps.sh

# The quick start: dependencies, build, a few seconds of training on the sample.
run: deps
	$(MAKE) lintrain
	./lintrain --config configs/quickstart.json

test: deps
	$(MAKE) lintrain
	$(MAKE) check-tests

# Every test binary runs even when one fails; the target fails if any did.
check-tests: $(TEST_BIN)
	@scripts/run_tests.sh $(TEST_BIN)

sanitize: deps
	$(MAKE) SANITIZE=1 lintrain
	$(MAKE) SANITIZE=1 check-tests

# Speed on the full CIFAR-10 (scripts/get_cifar10.sh first); minutes, not part of test.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--threads 1 --only softmax/sgd/256".
bench: deps
	$(MAKE) lintrain $(BUILD)/bench
	$(BUILD)/bench $(BENCH_ARGS)

$(BUILD)/bench: scripts/bench.c $(LIB) | $(BUILD)/.dir
	$(CC) $(CFLAGS) $(LDOPT) -MMD -MP -o $@ $< $(LIB) $(LDLIBS)

install: lintrain
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 lintrain $(DESTDIR)$(BINDIR)/lintrain

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lintrain

clean:
	rm -rf build lintrain

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
