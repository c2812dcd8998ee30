# lintrain — a command-line trainer for linear classifiers.
# Knobs: DEBUG=1 (no optimisation, -g), SANITIZE=1 (ASan + UBSan), PREFIX, DESTDIR.
# Release builds use -O2 -march=native: the binary is built on the machine that
# runs it. Never -Ofast/-ffast-math: divergence detection needs NaN and Inf.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man1
SHAREDIR ?= $(PREFIX)/share/lintrain
CC      ?= cc
PKGS     = openblas libcjson libpng
TESTPKGS = cmocka

ifeq ($(SANITIZE),1)
  BUILD  = build/sanitize
  # gcc leaves float-cast-overflow out of "undefined": a double too large for its integer
  # type is undefined behaviour all the same (a finding of fuzz_resume).
  OPT    = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,float-cast-overflow \
           -fno-sanitize-recover=undefined,float-cast-overflow
  LDOPT  = -fsanitize=address,undefined,float-cast-overflow
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
CHEAP     := -fvect-cost-model=cheap
VECTORIZE := $(shell $(CC) $(CHEAP) -E -x c /dev/null >/dev/null 2>&1 && echo $(CHEAP)) \
             -fno-math-errno -fno-trapping-math

WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
# Recursive (=) so pkg-config runs only after `make deps` has had its chance.
CFLAGS   = -std=c11 $(WARN) $(OPT) -D_POSIX_C_SOURCE=200809L -Iinclude \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS   = $(shell pkg-config --libs $(PKGS)) -lm -pthread
TESTCFLAGS = $(CFLAGS) $(shell pkg-config --cflags $(TESTPKGS))
TESTLIBS = $(shell pkg-config --libs $(TESTPKGS)) $(LDLIBS)

LIB_SRC  = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  = $(LIB_SRC:src/%.c=$(BUILD)/%.o)
LIB      = $(BUILD)/liblintrain.a
TEST_SRC = $(wildcard tests/test_*.c)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# Helpers every test program links: testutil, and the sgemm oracle the kernel is checked
# against (test code only: lintrain computes through the kernel).
TEST_UTIL = $(BUILD)/tests/testutil.o $(BUILD)/tests/sgemm_oracle.o

.PHONY: all deps run test check-tests reference sanitize fuzz fuzz-build memcheck bench \
        bench-features reproduce install uninstall clean test-slurm FORCE

all: lintrain

# ./lintrain is the binary of the last mode built (release, DEBUG or SANITIZE); replaced by
# a rename, so a ./lintrain still running keeps its file ("text file busy" otherwise).
lintrain: $(BUILD)/lintrain FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

$(BUILD)/lintrain: $(BUILD)/main.o $(LIB)
	$(CC) $(LDOPT) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^   # afresh: a renamed source leaves no stale member

$(BUILD)/%.o: src/%.c | $(BUILD)/.dir
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(TEST_UTIL): $(BUILD)/tests/%.o: tests/%.c | $(BUILD)/.dir
	$(CC) $(TESTCFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: tests/test_%.c $(TEST_UTIL) $(LIB) | $(BUILD)/.dir
	$(CC) $(TESTCFLAGS) $(LDOPT) -MMD -MP -o $@ $< $(TEST_UTIL) $(LIB) $(TESTLIBS)

$(BUILD)/.dir:
	mkdir -p $(BUILD)/tests
	touch $@

# Installs the Debian packages that are missing; a no-op when all are there.
deps:
	@scripts/deps.sh

# The quick start: dependencies, build, a few seconds of training on the sample into
# runs/quickstart. A demo, so --force: each make run replaces the previous one's run.
run: deps
	$(MAKE) lintrain
	./lintrain --config configs/quickstart.json --force

test: deps
	$(MAKE) lintrain
	$(MAKE) check-tests

# Every test binary runs even when one fails; the target fails if any did.
check-tests: $(TEST_BIN)
	@scripts/run_tests.sh $(TEST_BIN)

# make reference: docs/config.md and the key list of lintrain.1 (between its KEYS
# markers), generated from the schema (lintrain config --reference); make test fails
# (test_reference) when either is out of date.
reference: lintrain
	./lintrain config --reference > docs/config.md
	./lintrain config --reference --man > $(BUILD)/keys.roff
	awk -v keys=$(BUILD)/keys.roff '/END KEYS/ {skip = 0} !skip {print} \
	    /BEGIN KEYS/ {while ((getline l < keys) > 0) print l; skip = 1}' lintrain.1 > lintrain.1.tmp
	mv lintrain.1.tmp lintrain.1

sanitize: deps
	$(MAKE) SANITIZE=1 lintrain
	$(MAKE) SANITIZE=1 check-tests

# ---- reliability tools (docs/reliability.md) ------------------------------------------
# make fuzz FUZZ_SECONDS=N: builds each libFuzzer harness of tests/fuzz/ with clang,
# ASan and UBSan, and runs it N seconds on its committed seeds and past findings. New
# inputs go to build/fuzz/corpus/, crashes to build/fuzz/crash-<harness>-*; a crash is
# fixed and its input kept in tests/fuzz/regress/<harness>/ (make test replays them).
FUZZ_SECONDS ?= 60
FUZZ_CC    ?= clang
FUZZ_PKGS  ?= clang libclang-rt-14-dev
FUZZERS     = config cifar checkpoint resume npy cifar100 names png
FUZZ_BUILD  = build/fuzz
FUZZ_CFLAGS = -std=c11 $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -D_POSIX_C_SOURCE=200809L -Iinclude \
              $(shell pkg-config --cflags $(PKGS))
FUZZ_OBJ    = $(LIB_SRC:src/%.c=$(FUZZ_BUILD)/%.o)

$(FUZZ_BUILD)/%.o: src/%.c
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

fuzz-build:
	@scripts/deps.sh $(FUZZ_PKGS)
	$(MAKE) $(FUZZERS:%=$(FUZZ_BUILD)/fuzz_%)

fuzz: fuzz-build
	@for h in $(FUZZERS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$h tests/fuzz/regress/$$h; \
	    echo "== fuzz_$$h for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crash-$$h- \
	        $(FUZZ_BUILD)/corpus/$$h tests/fuzz/seeds/$$h tests/fuzz/regress/$$h || exit 1; \
	done

# make memcheck: the quick start under valgrind's memcheck (DEBUG build: valgrind does
# not know every instruction -march=native may pick; one OpenBLAS thread, since valgrind
# runs threads one at a time); any error or leak fails.
MEMCHECK_OUT = build/memcheck-run
memcheck:
	@scripts/deps.sh valgrind
	$(MAKE) DEBUG=1 lintrain
	rm -rf $(MEMCHECK_OUT)
	valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
	    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
	    ./lintrain --config configs/quickstart.json --out $(MEMCHECK_OUT) --quiet \
	    --set train.threads=1

# make test-slurm: a one-node Slurm cluster on this machine (scripts/slurm_local.sh, in
# build/test-slurm on its own ports), a sweep submitted through sbatch with one array task
# cancelled by scancel and the array resubmitted (tests/cluster/test_slurm.c). The
# cluster is stopped whatever happens. Needs root (the daemons run as root).
SLURM_PKGS = munge slurmctld slurmd slurm-client
SLURM_TEST_ENV = LINTRAIN_SLURM_DIR=$(CURDIR)/build/test-slurm LINTRAIN_SLURM_PORT=6917
test-slurm: deps
	@scripts/deps.sh $(SLURM_PKGS)
	$(MAKE) lintrain $(BUILD)/tests/cluster/test_slurm
	@trap '$(SLURM_TEST_ENV) scripts/slurm_local.sh stop >/dev/null' EXIT; trap 'exit 130' INT TERM; \
	    $(SLURM_TEST_ENV) $(BUILD)/tests/cluster/test_slurm

$(BUILD)/tests/cluster/test_%: tests/cluster/test_%.c $(TEST_UTIL) $(LIB) | $(BUILD)/.dir
	@mkdir -p $(@D)
	$(CC) $(TESTCFLAGS) -Itests $(LDOPT) -MMD -MP -o $@ $< $(TEST_UTIL) $(LIB) $(TESTLIBS)

# make reproduce: every claim of the lecture measured (scripts/reproduce): on the
# committed sample, a few minutes, the report and its figures go to runs/reproduce/ (not
# tracked); FULL=1 uses the full CIFAR-10 in data/cifar-10-batches-bin and replaces the
# committed docs/lecture/. Its packages are its own, not make test's (deps installs gnuplot).
REPRO_PKGS = python3-numpy
reproduce: deps
	@scripts/deps.sh $(REPRO_PKGS)
	$(MAKE) lintrain
	scripts/reproduce

# Speed on the full CIFAR-10 (scripts/get_cifar10.sh first); minutes, not part of test.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--threads 1 --only softmax/sgd/256";
# BENCH_FEATURES_ARGS to the feature extractors' table (scripts/bench_features.c).
bench: deps
	$(MAKE) lintrain $(BUILD)/bench $(BUILD)/bench_load $(BUILD)/bench_features
	$(BUILD)/bench --md docs/perf/bench.md --json docs/perf/bench.json $(BENCH_ARGS)
	$(BUILD)/bench_load --md docs/perf/load.md
	$(BUILD)/bench_features --md docs/perf/features.md --json docs/perf/features.json \
	    $(BENCH_FEATURES_ARGS)

BENCH_SRC = scripts/bench.c scripts/bench_report.c scripts/bench_kernel.c scripts/featbench.c
$(BUILD)/bench: $(BENCH_SRC) $(LIB) | $(BUILD)/.dir
	$(CC) $(CFLAGS) $(LDOPT) -MMD -MP -o $@ $(BENCH_SRC) $(LIB) $(LDLIBS)

$(BUILD)/bench_load: scripts/bench_load.c $(LIB) | $(BUILD)/.dir
	$(CC) $(CFLAGS) $(LDOPT) -MMD -MP -o $@ $< $(LIB) $(LDLIBS)

# The feature extractors' table of make bench (docs/perf/features.md), printed only: hog,
# hue_histogram, both, and the k-means encoding beside its sgemm floor; a few minutes.
# BENCH_FEATURES_ARGS passes options, e.g. "--threads 2" or "--data data/cifar-10-sample".
bench-features: deps
	$(MAKE) $(BUILD)/bench_features
	$(BUILD)/bench_features $(BENCH_FEATURES_ARGS)

BENCH_FEATURES_SRC = scripts/bench_features.c scripts/featbench.c
$(BUILD)/bench_features: $(BENCH_FEATURES_SRC) $(LIB) | $(BUILD)/.dir
	$(CC) $(CFLAGS) $(LDOPT) -MMD -MP -o $@ $(BENCH_FEATURES_SRC) $(LIB) $(LDLIBS)

# The k-means features on the full CIFAR-10, timed (docs/features.md); not part of test.
KMEANS_BENCH_SRC = scripts/kmeans_bench.c scripts/featbench.c
$(BUILD)/kmeans_bench: $(KMEANS_BENCH_SRC) $(LIB) | $(BUILD)/.dir
	$(CC) $(CFLAGS) $(LDOPT) -MMD -MP -o $@ $(KMEANS_BENCH_SRC) $(LIB) $(LDLIBS)

install: lintrain
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 lintrain $(DESTDIR)$(BINDIR)/lintrain
	install -d $(DESTDIR)$(MANDIR) $(DESTDIR)$(SHAREDIR)
	install -m 644 lintrain.1 $(DESTDIR)$(MANDIR)/lintrain.1
	install -m 755 scripts/plot_curves $(DESTDIR)$(SHAREDIR)/plot_curves

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lintrain
	rm -f $(DESTDIR)$(MANDIR)/lintrain.1 $(DESTDIR)$(SHAREDIR)/plot_curves

clean:
	rm -rf build lintrain

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d $(BUILD)/tests/cluster/*.d $(FUZZ_BUILD)/*.d)
