// bench/compile_time/boost_future_tu.cpp — futura_tu.cpp's logic with boost::future (Boost.Thread
// version 5, the bench peers' configuration), with <boost/thread/future.hpp> alone. Boost has no
// streams: the pipeline is three continuations over the vector (map, filter, fold).
#define BOOST_THREAD_VERSION 5
#define BOOST_THREAD_FUTURE_BLOCKING
#include <boost/thread/future.hpp>

#include <cstdint>
#include <tuple>
#include <vector>

namespace {

using link = boost::future<int>;

int then_chain(int x) {
  return boost::make_ready_future(x)
      .then(boost::launch::sync, [](link f) { return f.get() + 1; })
      .then(boost::launch::sync, [](link f) { return f.get() + 2; })
      .then(boost::launch::sync, [](link f) { return f.get() + 3; })
      .then(boost::launch::sync, [](link f) { return f.get() + 4; })
      .then(boost::launch::sync, [](link f) { return f.get() + 5; })
      .then(boost::launch::sync, [](link f) { return f.get() + 6; })
      .then(boost::launch::sync, [](link f) { return f.get() + 7; })
      .then(boost::launch::sync, [](link f) { return f.get() + 8; })
      .then(boost::launch::sync, [](link f) { return f.get() + 9; })
      .then(boost::launch::sync, [](link f) { return f.get() + 10; })
      .then(boost::launch::sync, [](link f) { return f.get() + 11; })
      .then(boost::launch::sync, [](link f) { return f.get() + 12; })
      .then(boost::launch::sync, [](link f) { return f.get() + 13; })
      .then(boost::launch::sync, [](link f) { return f.get() + 14; })
      .then(boost::launch::sync, [](link f) { return f.get() + 15; })
      .then(boost::launch::sync, [](link f) { return f.get() + 16; })
      .get();
}

int join_two(int x) {
  boost::promise<int> a;
  boost::promise<int> b;
  auto both = boost::when_all(a.get_future(), b.get_future());
  b.set_value(x);
  a.set_value(x + 1);
  auto futures = both.get();
  return std::get<0>(futures).get() + std::get<1>(futures).get();
}

int select_two(int x) {
  boost::promise<int> a;
  boost::promise<int> b;
  auto race = boost::when_any(a.get_future(), b.get_future());
  b.set_value(x);
  auto futures = race.get();
  return std::get<1>(futures).is_ready() ? std::get<1>(futures).get() : -1;
}

std::int64_t pipeline(const std::vector<std::int64_t>& v) {
  using items = boost::future<std::vector<std::int64_t>>;
  return boost::make_ready_future(v)
      .then(boost::launch::sync,
            [](items f) {
              auto xs = f.get();
              for (auto& x : xs) x += 1;
              return xs;
            })
      .then(boost::launch::sync,
            [](items f) {
              std::vector<std::int64_t> even;
              for (auto x : f.get())
                if (x % 2 == 0) even.push_back(x);
              return even;
            })
      .then(boost::launch::sync,
            [](items f) {
              std::int64_t acc = 0;
              for (auto x : f.get()) acc += x;
              return acc;
            })
      .get();
}

}  // namespace

int main(int argc, char**) {
  const std::vector<std::int64_t> v{1, 2, 3, 4, 5, 6, 7, 8};
  const std::int64_t sum = then_chain(argc) + join_two(argc) + select_two(argc) + pipeline(v);
  // argc == 1: 137 + 3 + 1 + 20.
  return sum == 161 ? 0 : 1;
}
