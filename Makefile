# A thin, friendly front over CMake and the local cluster. The real build is CMakeLists.txt.
BUILD ?= build
JOBS  ?= $(shell nproc)
# The conformance corpus of real job specs, not part of the repository: its suite runs when
# this folder exists (it does beside the project in CI) and `make test` says so when it does not.
CONFORMANCE ?= $(abspath ../shared/conformance)
CLUSTER = contrib/cluster/mljob-cluster
# Warnings are errors in builds made here (and so in CI): the supported compiler is Debian 12's
# GCC. WERROR=OFF for another compiler whose new warnings should not stop the build.
WERROR ?= ON
# The sanitized build of the unit tests (make sanitized-test).
SANITIZED_BUILD ?= build-sanitized
# The libFuzzer targets (make fuzz-test), built with clang, AddressSanitizer and UBSan.
FUZZ_BUILD ?= build-fuzz
# Seconds a test may run when it sets no TIMEOUT of its own (every unit test): a unit test that
# hangs fails in minutes instead of CTest's default 25, naming itself.
TEST_TIMEOUT ?= 300

.PHONY: all build deps test unit-test sanitized-build sanitized-test fuzz-build fuzz-test cluster-test demo install cluster-up cluster-down cluster-status clean

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLJOB_CONFORMANCE_DIR=$(CONFORMANCE) -DMLJOB_WERROR=$(WERROR)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Installs every build and run-time dependency from Debian's packages (idempotent, fast when done).
deps:
	contrib/deps.sh

# Every test: unit tests, then the integration tests against a real local Slurm cluster
# (started if none is up) and its fault suites, then every unit test again built with
# AddressSanitizer and UndefinedBehaviorSanitizer (sanitized-test), then every fuzz target on
# its corpus and for 30 s more (fuzz-test). Fails if any test fails or is skipped, and then
# ends by naming each failed test with the end of its output (tests/print-failures.sh).
# The sanitized and fuzz builds run meanwhile at the lowest CPU priority (nice 19): the
# integration tests mostly wait on Slurm, and a compiler at nice 19 gets about 1.5% of a core
# they want, so the tests keep their pace and the builds are done in their idle time (their
# logs: $(SANITIZED_BUILD).log and $(FUZZ_BUILD).log, printed if they fail).
test: deps build
	@( nice -n 19 $(MAKE) --no-print-directory sanitized-build >$(SANITIZED_BUILD).log 2>&1; \
	   echo $$? >$(SANITIZED_BUILD).status ) & \
	  ( nice -n 19 $(MAKE) --no-print-directory fuzz-build >$(FUZZ_BUILD).log 2>&1; \
	   echo $$? >$(FUZZ_BUILD).status ) & \
	  cd $(BUILD) && status=0 && rm -f Testing/Temporary/LastTestsFailed.log && ctest --output-on-failure --no-tests=error --timeout $(TEST_TIMEOUT) -j 1 || status=$$?; \
	  echo "make test: $$(cat conformance-suite.txt)"; \
	  cd $(CURDIR) && wait; \
	  for side in $(SANITIZED_BUILD) $(FUZZ_BUILD); do \
	    if [ "$$(cat $$side.status)" != 0 ]; then \
	      tail -n 100 $$side.log; echo "make test: the build $$side failed"; exit 1; fi; done; \
	  $(MAKE) --no-print-directory sanitized-test || status=1; \
	  $(MAKE) --no-print-directory fuzz-test || status=1; \
	  for side in $(BUILD) $(SANITIZED_BUILD) $(FUZZ_BUILD); do tests/print-failures.sh $$side; done; exit $$status

unit-test: build
	cd $(BUILD) && ctest --output-on-failure --timeout $(TEST_TIMEOUT) -L unit

# Every unit test built and run under AddressSanitizer and UndefinedBehaviorSanitizer, in a
# build of its own (a sanitized plugin cannot be loaded by slurmd, so no cluster tests here).
sanitized-build: deps
	cmake -S . -B $(SANITIZED_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMLJOB_SANITIZE=address,undefined \
	  -DMLJOB_WERROR=$(WERROR) -DMLJOB_CONFORMANCE_DIR=
	cmake --build $(SANITIZED_BUILD) -j $(JOBS)

sanitized-test: sanitized-build
	cd $(SANITIZED_BUILD) && rm -f Testing/Temporary/LastTestsFailed.log && ctest --output-on-failure --no-tests=error --timeout $(TEST_TIMEOUT) -L unit -LE cluster -j $(JOBS)

# The libFuzzer targets of fuzz/ (clang), every library instrumented, with ASan and UBSan; only
# the libraries they need are built (BUILD_TESTING=OFF). Long runs: docs/reliability.md.
fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLJOB_FUZZ=ON \
	  -DMLJOB_SANITIZE=address,undefined -DBUILD_TESTING=OFF -DMLJOB_CONFORMANCE_DIR=
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz

# Each fuzz target replays its corpus (fuzz/corpus/NAME), then fuzzes for 30 s more.
fuzz-test: fuzz-build
	cd $(FUZZ_BUILD) && rm -f Testing/Temporary/LastTestsFailed.log && ctest --output-on-failure --no-tests=error -L fuzz -j $(JOBS)

cluster-test: build
	cd $(BUILD) && ctest --output-on-failure -L cluster

# The walking path: deps, build, local cluster up, the example job submitted, waited for, described.
demo: deps build
	contrib/demo.sh

install: build
	cmake --install $(BUILD)

cluster-up: build
	$(CLUSTER) up
cluster-down:
	$(CLUSTER) down
cluster-status:
	$(CLUSTER) status

clean:
	-$(CLUSTER) down
	rm -rf $(BUILD)
