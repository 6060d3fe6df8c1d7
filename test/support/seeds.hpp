// Runs a seeded randomized check over many seeds, as the model tests do: seeds 1..count (the
// count from an environment variable when set), or only seed N when the test runs with
// `-- --seed=N`. A failing seed is reported with what `run_seed` said (its case, printed);
// after 10 failures the rest is skipped.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

namespace futura_test {

/// `run_seed(seed)` returns "" when the seed passes, else what went wrong.
template <class RunSeed>
void run_seeds(RunSeed run_seed, unsigned default_count, const char* count_variable) {
  unsigned first = 1;
  unsigned count = default_count;
  if (const char* env = std::getenv(count_variable)) count = static_cast<unsigned>(std::strtoul(env, nullptr, 10));
  const auto& suite = boost::unit_test::framework::master_test_suite();
  for (int i = 1; i < suite.argc; ++i) {
    if (std::strncmp(suite.argv[i], "--seed=", 7) == 0) {
      first = static_cast<unsigned>(std::strtoul(suite.argv[i] + 7, nullptr, 10));
      count = 1;
    }
  }
  int failures = 0;
  for (unsigned seed = first; seed < first + count; ++seed) {
    const std::string problem = run_seed(seed);
    if (!problem.empty()) {
      BOOST_ERROR("seed " << seed << ": " << problem);
      if (++failures == 10) break;
    }
  }
  BOOST_TEST(failures == 0);
}

}  // namespace futura_test
