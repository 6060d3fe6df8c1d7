// bench/compile_time/futura_tu.cpp — design.md's compile-time workload written with futura: a
// 16-link then chain, a join, a select and a stream pipeline, with futura/core.hpp (no Asio).
// boost_future_tu.cpp is the same logic with boost::future; bench/compile_time/measure.py
// compiles both and reports the compiler's time and peak memory (`make compile-time`).
#include <futura/core.hpp>

#include <cstdint>
#include <variant>
#include <vector>

namespace {

// Sixteen links, each a lambda of its own, as a user writes a pipeline.
int then_chain(int x) {
  return futura::block_on(futura::ready(x)
                              .then([](int v) { return v + 1; })
                              .then([](int v) { return v + 2; })
                              .then([](int v) { return v + 3; })
                              .then([](int v) { return v + 4; })
                              .then([](int v) { return v + 5; })
                              .then([](int v) { return v + 6; })
                              .then([](int v) { return v + 7; })
                              .then([](int v) { return v + 8; })
                              .then([](int v) { return v + 9; })
                              .then([](int v) { return v + 10; })
                              .then([](int v) { return v + 11; })
                              .then([](int v) { return v + 12; })
                              .then([](int v) { return v + 13; })
                              .then([](int v) { return v + 14; })
                              .then([](int v) { return v + 15; })
                              .then([](int v) { return v + 16; }));
}

// Two promises joined; both values.
int join_two(int x) {
  futura::promise<int> a;
  futura::promise<int> b;
  auto both = futura::join(a.get_future(), b.get_future());
  b.set_value(x);
  a.set_value(x + 1);
  auto [first, second] = futura::block_on(std::move(both));
  return first + second;
}

// Two promises raced; the second wins, the first is dropped.
int select_two(int x) {
  futura::promise<int> a;
  futura::promise<int> b;
  auto race = futura::select(a.get_future(), b.get_future());
  b.set_value(x);
  std::variant<int, int> winner = futura::block_on(std::move(race));
  return winner.index() == 1 ? std::get<1>(winner) : -1;
}

// iter(v).map(+1).filter(even).fold(0, +).
std::int64_t pipeline(const std::vector<std::int64_t>& v) {
  return futura::block_on(futura::stream::iter(v.begin(), v.end())
                              .map([](std::int64_t x) { return x + 1; })
                              .filter([](std::int64_t x) { return x % 2 == 0; })
                              .fold(std::int64_t{0}, [](std::int64_t acc, std::int64_t x) { return acc + x; }));
}

}  // namespace

int main(int argc, char**) {
  const std::vector<std::int64_t> v{1, 2, 3, 4, 5, 6, 7, 8};
  const std::int64_t sum = then_chain(argc) + join_two(argc) + select_two(argc) + pipeline(v);
  // argc == 1: 137 + 3 + 1 + 20.
  return sum == 161 ? 0 : 1;
}
