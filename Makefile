# teecloud: the two commands are `make demo` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# ccache hits across clones (CI builds a fresh clone in another path).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all deps configure build test demo demo-down clean format bench fuzz test-sanitize

all: build

deps:
	@bash scripts/deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test: unit, golden vectors, fuzz-corpus replay, CLI end to end, contracts.
test: build
	bash scripts/test.sh $(BUILD_DIR)

# Leaves the dev cloud running (node, engine, the hello app); demo-down removes all of it.
demo: build
	bash scripts/demo.sh $(BUILD_DIR)

demo-down:
	bash scripts/demo.sh down $(BUILD_DIR)

bench: build
	bash scripts/bench.sh $(BUILD_DIR)

format:
	find src include fuzz bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)

# libFuzzer builds (clang): `make fuzz FUZZ_SECONDS=60` runs each target for that long.
FUZZ_SECONDS ?= 30
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DTEECLOUD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target quote_fuzz collateral_fuzz ccel_fuzz manifest_fuzz ratls_fuzz secrets_fuzz
	for t in quote collateral ccel manifest ratls secrets; do \
	  mkdir -p build-fuzz/corpus/$$t && \
	  build-fuzz/bin/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

# ASan/UBSan build of everything, then every test.
test-sanitize: deps
	cmake -S . -B build-asan -G Ninja -DTEECLOUD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)
	bash scripts/test.sh build-asan
