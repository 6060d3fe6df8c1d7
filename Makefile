# futura — the two commands: `make demo` and `make test`. Both install what they need first.
#
#   make deps     install the Debian packages futura needs (no-op when present)
#   make build    Release build (GCC) of library, tests and examples
#   make test     GCC and Clang Release suites, the -fno-exceptions suites, then ASan+UBSan and TSan
#                 suites, all through CTest, and bench-check
#                 (the TSan build is a chaos build: thread timing perturbed in every lock-free protocol)
#   make bench-check     the instruction-count regression guard (part of make test): W1-W4, W7,
#                 W8, W10 under callgrind at smoke sizes against bench/callgrind_baseline.json;
#                 fails when a row costs more than 5% over its baseline or is gone
#   make bench-baseline  rewrite bench/callgrind_baseline.json (commit it alone, saying why)
#   make compile-time    compiler seconds and peak memory: a TU of futura against the same logic
#                 with boost::future (bench/compile_time/), with g++ and clang++
#   make demo     build and run the examples (http_server against curl and wrk, fetch_many against
#                 Python's http.server: scripts/demo-http.sh)
#   make bench    Release benchmarks, futura against its peers, one table and docs/img/bench.png
#                 (bench-callgrind: instructions; bench-http: examples/http_server against a
#                 raw-Asio server under wrk)
#   make fuzz     run a fuzzer until stopped (Clang, libFuzzer+ASan+UBSan, build/fuzz): FUZZ_TARGET=
#                 combinator_tree (default) or stream_pipeline (`make fuzz-streams`); new inputs go to
#                 test/fuzz/corpus/$(FUZZ_TARGET)/, crashes to test/fuzz/crashes/ (gitignored; copy
#                 each into test/fuzz/regressions/$(FUZZ_TARGET)/). FUZZ_ARGS="-jobs=2 -workers=2"
#   make lint     clang-tidy (.clang-tidy) on lib/ and every header; part of make test
#   make format   apply .clang-format to every source file
#   make install  install headers, library, CMake package and futura.pc (PREFIX=/usr/local)

SHELL := /bin/bash
JOBS ?= 2
PREFIX ?= /usr/local
BUILD ?= build
CTEST_JOBS ?= 2

DEBIAN_PACKAGES := cmake ninja-build make g++ clang libclang-rt-14-dev clang-tidy clang-format pkg-config ccache python3 valgrind \
  curl wrk \
  libboost1.81-dev libboost-test1.81-dev libboost-thread1.81-dev libspdlog-dev libbenchmark-dev
# The chart of `make bench` only. apt's resolver, asked for python3-matplotlib alone, reaches for
# python3-pythran and with it libboost-dev 1.74, which conflicts with libboost1.81-dev: its
# direct dependencies are named so that it has nothing left to choose.
BENCH_PACKAGES := python3-matplotlib python3-numpy python3-contourpy python3-cycler python3-dateutil python3-fonttools \
  python3-kiwisolver python3-packaging python3-pil python3-pyparsing python3-six python-matplotlib-data

CLANG_RELEASE = -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DFUTURA_TEST_CONSUMER=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
LAUNCHER = $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CONFIGURE = cmake -S . -G Ninja $(LAUNCHER)

FORMAT_FILES = find include lib test bench examples \( -name '*.hpp' -o -name '*.cpp' \) -not -path 'test/compile_fail/*'

.PHONY: format all deps bench-deps build test test-gcc test-clang test-noexcept test-asan test-tsan demo bench \
  bench-callgrind bench-http bench-check bench-baseline compile-time fuzz fuzz-streams lint install clean

all: build

# Waits (bounded, saying so) while another apt or dpkg process holds the package lock, as
# unattended upgrades do on a fresh machine: scripts/install-deps.sh.
deps:
	@bash scripts/install-deps.sh $(DEBIAN_PACKAGES)

bench-deps: deps
	@bash scripts/install-deps.sh $(BENCH_PACKAGES)

build: deps
	$(CONFIGURE) -B $(BUILD)/gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++
	cmake --build $(BUILD)/gcc -j$(JOBS)

# Release suites with both compilers, the instruction-count guard, then the sanitizer builds CI
# must run.
test: deps
	$(MAKE) --no-print-directory test-gcc bench-check test-clang test-noexcept lint test-asan test-tsan

GCC_RELEASE_WITH_BENCH = -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DFUTURA_BUILD_BENCH=ON

# The GCC build also builds bench/ and runs its smoke test (tiny sizes, every result checked).
test-gcc: deps
	$(CONFIGURE) -B $(BUILD)/gcc $(GCC_RELEASE_WITH_BENCH)
	cmake --build $(BUILD)/gcc -j$(JOBS)
	ctest --test-dir $(BUILD)/gcc --output-on-failure -j$(CTEST_JOBS)

# Instructions per operation of futura's rows against bench/callgrind_baseline.json, with the
# benchmark binaries of test-gcc's build (built here if test-gcc did not run): about 8 s of valgrind.
bench-check: deps
	$(CONFIGURE) -B $(BUILD)/gcc $(GCC_RELEASE_WITH_BENCH)
	cmake --build $(BUILD)/gcc -j$(JOBS) --target bench_check

# Rewrites bench/callgrind_baseline.json from the same build (about 30 s). The baseline is
# CI's: Debian 12, g++ 12, this build's flags. Commit it alone, saying why the counts moved.
bench-baseline: deps
	$(CONFIGURE) -B $(BUILD)/gcc $(GCC_RELEASE_WITH_BENCH)
	cmake --build $(BUILD)/gcc -j$(JOBS) --target bench_baseline

test-clang: deps
	$(CONFIGURE) -B $(BUILD)/clang $(CLANG_RELEASE)
	cmake --build $(BUILD)/clang -j$(JOBS)
	ctest --test-dir $(BUILD)/clang --output-on-failure -j$(CTEST_JOBS)

# Library and suites with -fno-exceptions (GCC): the layers below Asio, their cases that throw
# or catch compiled out, and the error handler's suite.
test-noexcept: deps
	$(CONFIGURE) -B $(BUILD)/noexcept -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DFUTURA_NO_EXCEPTIONS=ON \
	  -DFUTURA_TEST_CONSUMER=OFF -DFUTURA_BUILD_EXAMPLES=OFF
	cmake --build $(BUILD)/noexcept -j$(JOBS)
	ctest --test-dir $(BUILD)/noexcept --output-on-failure -j$(CTEST_JOBS)

test-asan: deps
	$(CONFIGURE) -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DCMAKE_CXX_COMPILER=clang++ \
	  -DFUTURA_SANITIZE=address,undefined -DFUTURA_TEST_CONSUMER=OFF -DFUTURA_BUILD_EXAMPLES=OFF -DFUTURA_BUILD_FUZZ=ON
	cmake --build $(BUILD)/asan -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD)/asan --output-on-failure -j$(CTEST_JOBS)

test-tsan: deps
	$(CONFIGURE) -B $(BUILD)/tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DCMAKE_CXX_COMPILER=clang++ \
	  -DFUTURA_SANITIZE=thread -DFUTURA_CHAOS=ON -DFUTURA_TEST_CONSUMER=OFF -DFUTURA_BUILD_EXAMPLES=OFF
	cmake --build $(BUILD)/tsan -j$(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --test-dir $(BUILD)/tsan --output-on-failure -j$(CTEST_JOBS)

demo: deps
	$(CONFIGURE) -B $(BUILD)/gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++
	cmake --build $(BUILD)/gcc -j$(JOBS) --target add custom_future legacy_callback callback_stream spawn echo select_fetch \
	  line_reader http_server fetch_many
	./$(BUILD)/gcc/examples/add
	./$(BUILD)/gcc/examples/custom_future
	./$(BUILD)/gcc/examples/legacy_callback
	./$(BUILD)/gcc/examples/callback_stream
	./$(BUILD)/gcc/examples/spawn
	./$(BUILD)/gcc/examples/select_fetch
	./$(BUILD)/gcc/examples/line_reader
	./$(BUILD)/gcc/examples/echo
	bash scripts/demo-http.sh $(BUILD)/gcc/examples

# Release -O2 as design.md's targets say; prints one table (medians, peer/futura ratios, verdicts)
# and draws it, log scale, into docs/img/bench.png (Debian's matplotlib, so /usr/bin/python3).
bench: bench-deps
	$(CONFIGURE) -B $(BUILD)/bench -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
	  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
	  -DFUTURA_BUILD_BENCH=ON -DFUTURA_BUILD_TESTS=OFF -DFUTURA_BUILD_EXAMPLES=OFF
	cmake --build $(BUILD)/bench -j$(JOBS)
	cmake --build $(BUILD)/bench --target bench_report
	/usr/bin/python3 bench/chart.py --json-dir $(BUILD)/bench/bench/results --out docs/img/bench.png

# examples/http_server against its raw-Asio peer under wrk (bench/http/wrk_compare.py):
# WRK_ARGS="--seconds 10 --connections 50 --rounds 3".
WRK_ARGS ?=
bench-http: deps
	$(CONFIGURE) -B $(BUILD)/bench -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
	  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
	  -DFUTURA_BUILD_BENCH=ON -DFUTURA_BUILD_TESTS=OFF -DFUTURA_BUILD_EXAMPLES=OFF
	cmake --build $(BUILD)/bench -j$(JOBS) --target http_server_futura http_server_raw_asio
	python3 bench/http/wrk_compare.py --futura $(BUILD)/bench/bench/http/http_server_futura \
	  --raw-asio $(BUILD)/bench/bench/http/http_server_raw_asio $(WRK_ARGS)

# Instructions per operation under callgrind: repeatable on a noisy machine.
bench-callgrind: bench
	cmake --build $(BUILD)/bench --target bench_callgrind

# design.md's compile-time comparison, -O2, best of 3 per file; docs/performance.md has the figures.
compile-time: deps
	python3 bench/compile_time/measure.py --cxx g++
	python3 bench/compile_time/measure.py --cxx clang++

# A fuzzer without a bound (Ctrl-C stops it); `make test-asan` runs each briefly. FUZZ_TARGET names
# it: test/fuzz/$(FUZZ_TARGET)_fuzz.cpp, with its corpus and regressions in test/fuzz/*/$(FUZZ_TARGET).
# ASan's stack depot grows with every distinct allocation stack (about 1.3 GB after 3M inputs, no
# leak): shorter malloc stacks and a higher RSS limit keep long runs going.
FUZZ_ARGS ?=
FUZZ_TARGET ?= combinator_tree
fuzz: deps
	$(CONFIGURE) -B $(BUILD)/fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DCMAKE_CXX_COMPILER=clang++ \
	  -DFUTURA_SANITIZE=address,undefined -DFUTURA_BUILD_FUZZ=ON -DFUTURA_TEST_CONSUMER=OFF -DFUTURA_BUILD_EXAMPLES=OFF
	cmake --build $(BUILD)/fuzz -j$(JOBS) --target $(FUZZ_TARGET)_fuzz
	mkdir -p test/fuzz/crashes
	ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:malloc_context_size=10 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ./$(BUILD)/fuzz/test/$(FUZZ_TARGET)_fuzz -artifact_prefix=test/fuzz/crashes/ -rss_limit_mb=4096 $(FUZZ_ARGS) \
	  test/fuzz/corpus/$(FUZZ_TARGET) test/fuzz/regressions/$(FUZZ_TARGET)

# The stream-pipeline fuzzer, without a bound.
fuzz-streams:
	$(MAKE) --no-print-directory fuzz FUZZ_TARGET=stream_pipeline

install: build
	cmake --install $(BUILD)/gcc --prefix $(PREFIX)

# clang-tidy with .clang-tidy on the library's sources and, through one translation unit that
# includes them all, its headers. Uses the Clang build's compile commands; any finding fails.
lint: deps
	$(CONFIGURE) -B $(BUILD)/clang $(CLANG_RELEASE)
	clang-tidy -p $(BUILD)/clang --quiet $$(find lib -name '*.cpp' | sort) test/lint/all_headers.cpp

# Applies .clang-format to the sources (compile_fail cases keep their expected-message line).
format:
	$(FORMAT_FILES) -print0 | xargs -0 clang-format -i

clean:
	rm -rf $(BUILD)
