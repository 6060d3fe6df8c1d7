// Replays inputs of a fuzz target without libFuzzer, so any compiler and any sanitizer (TSan
// included, where libFuzzer's coverage counters would themselves be reported as races) can run
// the corpus and the regression inputs:
//
//   combinator_tree_replay [--repeat=N] <file or directory>...
//
// Runs every file given and every file in every directory given (not recursively), N times each
// (default 1), in name order. A failed check aborts the program, as under libFuzzer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  long repeat = 1;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--repeat=", 9) == 0) {
      repeat = std::strtol(argv[i] + 9, nullptr, 10);
      continue;
    }
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      std::vector<fs::path> files;
      for (const fs::directory_entry& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (fs::is_regular_file(p)) {
      inputs.push_back(p);
    } else {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (long r = 0; r < repeat; ++r) {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
  }
  std::printf("replay: %zu inputs, %ld time(s) each: every check passed\n", inputs.size(), repeat);
  return 0;
}
