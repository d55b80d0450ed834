# The thin front of the CMake build. `make demo` and `make test` install what
# is missing (scripts/deps.sh), build, and run.
JOBS ?= $(shell nproc)
RELEASE := build/release
TESTING := build/test

.PHONY: all demo test deps deps-test release testbuild format bench clean

all: release

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

release: deps
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DLATHE_TESTS=OFF >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

# Tests build with clang, ASan and UBSan, and libFuzzer instrumentation so the
# fuzz targets run under the same sanitizers.
testbuild: deps-test
	@CC=clang cmake -S . -B $(TESTING) -DCMAKE_BUILD_TYPE=Debug -DLATHE_SANITIZE=ON -DLATHE_FUZZ=ON >/dev/null
	@cmake --build $(TESTING) -j $(JOBS)

demo: release
	@sh scripts/demo.sh $(RELEASE)/lathe

test: testbuild
	@cd $(TESTING) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

bench: release
	@sh bench/read.sh $(RELEASE)

clean:
	rm -rf build
