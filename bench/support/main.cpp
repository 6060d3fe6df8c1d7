// bench/support/main.cpp — the main of every benchmark binary.
//
// Adds two options to Google Benchmark's: `--smoke` (tiny sizes, a few milliseconds per
// benchmark: the bench_smoke test) and `--iterations=N` (exactly N iterations per benchmark:
// bench/report.py --callgrind counts instructions with it). Records the build in the JSON
// context, and exits with status 1 when a benchmark's check failed.
#include <support/bench.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#ifndef FUTURA_BENCH_COMPILER
#define FUTURA_BENCH_COMPILER "unknown"
#endif
#ifndef FUTURA_BENCH_FLAGS
#define FUTURA_BENCH_FLAGS "unknown"
#endif
#ifndef FUTURA_BENCH_BUILD_TYPE
#define FUTURA_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef FUTURA_BENCH_SANITIZE
#define FUTURA_BENCH_SANITIZE ""
#endif

int main(int argc, char** argv) {
  futura_bench::config cfg;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--smoke") == 0) {
      cfg.smoke = true;
    } else if (std::strncmp(arg, "--iterations=", 13) == 0) {
      char* end = nullptr;
      cfg.iterations = std::strtoll(arg + 13, &end, 10);
      if (*end != '\0' || cfg.iterations <= 0) {
        std::fprintf(stderr, "%s: --iterations wants a positive number, got '%s'\n", argv[0], arg + 13);
        return 2;
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::AddCustomContext("futura_compiler", FUTURA_BENCH_COMPILER);
  benchmark::AddCustomContext("futura_build_type", FUTURA_BENCH_BUILD_TYPE);
  benchmark::AddCustomContext("futura_flags", FUTURA_BENCH_FLAGS);
  benchmark::AddCustomContext("futura_sanitize", FUTURA_BENCH_SANITIZE);
#ifdef NDEBUG
  benchmark::AddCustomContext("futura_assertions", "off");
#else
  benchmark::AddCustomContext("futura_assertions", "on");
#endif
  benchmark::AddCustomContext("futura_mode", cfg.smoke ? "smoke" : "full");
  benchmark::AddCustomContext("futura_alloc_counting", futura_bench::allocation_counting_available() ? "on" : "off");

  futura_bench::register_all(cfg);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  if (int failed = futura_bench::failed_checks()) {
    std::fprintf(stderr, "%s: %d check(s) failed\n", argv[0], failed);
    return 1;
  }
  return 0;
}
