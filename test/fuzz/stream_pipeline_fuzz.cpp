// libFuzzer target over stream pipelines: the input bytes are decoded into a pipeline of sources,
// adapters and a consumer over driver-fed leaf streams and gate futures, and into a schedule (the
// order in which the driver delivers the leaves' items, ends and exceptions and opens the gates,
// the step of the first poll, and whether and when the pipeline is dropped mid-way). The run is
// checked after every step against the reference evaluator of support/stream_model.hpp (the one
// stream_model_test uses): the output and the step at which the root completes (it is polled only
// when woken), what every leaf gave and every logged node saw, drops, rule 4 and waker clones.
// ASan/UBSan catch the rest. A failed check prints the decoded case and aborts.
//
// Input format: every byte is one decision of `stream_model::generate`, in the order it makes
// them: a decision among n choices takes `byte % n` (a missing byte reads as 0, so every input
// is valid and a short one decodes to a small pipeline). The kinds and their parameters, a fed
// leaf's items and terminator, a gate's plan, a callable's throw plan, the interleaving of the
// events, the first poll, the drop and the spurious wakes are each one byte; the shape is capped (support/stream_model.hpp: max_depth,
// max_nodes). `stream_model_test -- --write-corpus=DIR` writes seeds as such bytes.
//
// Set FUTURA_FUZZ_PRINT=1 to print each decoded case (e.g. when replaying one input file);
// replay_main.cpp runs inputs without libFuzzer (any compiler, TSan).
#include <support/stream_model.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace futura_test::stream_model;
  std::size_t pos = 0;
  const test_case c = generate([&](int n) { return pos < size ? data[pos++] % n : 0; });
  static const bool print = std::getenv("FUTURA_FUZZ_PRINT") != nullptr;
  if (print) std::fprintf(stderr, "%s\n", describe(c).c_str());
  const std::string problem = check(c);
  if (!problem.empty()) {
    std::fprintf(stderr, "stream_pipeline_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
