// from_callback_stream: a callback that fires many times, as a stream: laziness, call order, the end
// when every copy of the callback is gone, calls from several threads, moved-from callbacks, the
// drop of the stream, unit items, and init's exceptions.
#include <support/probe.hpp>
#include <support/probe_stream.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/core.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {

/// A legacy subscription API: stores its callback; the test fires it.
struct fake_subscription {
  std::function<void(int)> on_event;
  void subscribe(std::function<void(int)> cb) { on_event = std::move(cb); }
  void unsubscribe() { on_event = nullptr; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(from_callback_stream)

BOOST_AUTO_TEST_CASE(init_runs_at_the_first_poll_and_calls_arrive_in_call_order) {
  fake_subscription sub;
  int inits = 0;
  auto s = futura::from_callback_stream<int>([&](auto cb) {
    ++inits;
    sub.subscribe(cb);
  });
  BOOST_TEST(inits == 0);  // lazy
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(inits == 1);
  for (int i = 0; i < 5; ++i) sub.on_event(i);
  BOOST_TEST(target.wakes() == 1);
  for (int i = 0; i < 5; ++i) BOOST_TEST(yields(s.poll_next(w), i));
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(inits == 1);
}

BOOST_AUTO_TEST_CASE(the_stream_ends_when_every_copy_of_the_callback_is_destroyed_and_drained) {
  fake_subscription a, b;
  auto s = futura::from_callback_stream<int>([&](auto cb) {
    a.subscribe(cb);
    b.subscribe(cb);
  });
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(s.poll_next(w).is_pending());
  a.on_event(1);
  a.unsubscribe();
  b.on_event(2);
  BOOST_TEST(yields(s.poll_next(w), 1));
  BOOST_TEST(yields(s.poll_next(w), 2));
  BOOST_TEST(s.poll_next(w).is_pending());  // b's copy remains
  b.unsubscribe();
  BOOST_TEST(target.wakes() == 2);
  BOOST_TEST(ends(s.poll_next(w)));
}

BOOST_AUTO_TEST_CASE(an_init_that_keeps_no_copy_makes_a_stream_of_the_calls_it_made) {
  auto s = futura::from_callback_stream<std::string>([](auto cb) {
    cb("a");
    cb("b");
  });
  std::vector<std::string> got = futura::block_on(std::move(s).collect());
  BOOST_TEST((got == std::vector<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(calls_from_several_threads_all_arrive_in_call_order_per_thread) {
  constexpr int threads = 4;
  const long per_thread = rounds(100000, 5000);
  std::deque<joining_thread> producers;
  auto s = futura::from_callback_stream<std::uint64_t>([&](auto cb) {
    for (int t = 0; t < threads; ++t) {
      producers.emplace_back([t, per_thread, cb] {
        for (long i = 0; i < per_thread; ++i) cb(static_cast<std::uint64_t>(t) << 32 | static_cast<std::uint64_t>(i));
      });
    }
  });
  std::vector<std::uint64_t> next(threads, 0);
  bool in_order = true;
  long received = 0;
  futura::block_on(std::move(s).for_each([&](std::uint64_t id) {
    const auto t = static_cast<std::size_t>(id >> 32);
    in_order = in_order && t < next.size() && (id & 0xffffffffu) == next[t];
    if (t < next.size()) next[t] = (id & 0xffffffffu) + 1;
    ++received;
  }));
  BOOST_TEST(in_order);
  BOOST_TEST(received == threads * per_thread);
}

BOOST_AUTO_TEST_CASE(a_moved_from_callback_does_nothing_and_keeps_nothing_open) {
  std::optional<futura::callback_stream_handle<int>> moved_from;
  auto s = futura::from_callback_stream<int>([&](auto cb) {
    cb(1);
    auto taken = std::move(cb);
    cb(2);  // NOLINT(bugprone-use-after-move): a moved-from callback is specified to do nothing
    moved_from.emplace(std::move(cb));
    taken(3);
  });
  std::vector<int> got = futura::block_on(std::move(s).collect());
  BOOST_TEST((got == std::vector<int>{1, 3}));
  (*moved_from)(4);  // still does nothing
}

BOOST_AUTO_TEST_CASE(dropping_the_stream_destroys_its_items_and_later_calls_destroy_their_value) {
  tracked::reset();
  std::function<void(tracked)> keep;
  {
    auto s = futura::from_callback_stream<tracked>([&](auto cb) { keep = cb; });
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
    keep(tracked(1));
    keep(tracked(2));
  }
  BOOST_TEST(tracked::alive() == 0);
  keep(tracked(3));
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_void_callback_yields_unit_items) {
  auto s = futura::from_callback_stream<void>([](auto cb) {
    cb();
    cb();
  });
  const std::size_t n = futura::block_on(std::move(s).count());
  BOOST_TEST(n == 2u);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_init_propagates_out_of_the_first_poll_then_the_stream_ends) {
  auto s = futura::from_callback_stream<int>([](auto cb) {
    cb(1);
    throw std::runtime_error("subscribe failed");
  });
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  BOOST_TEST(yields(s.poll_next(w), 1));  // what was sent before the throw stays
  BOOST_TEST(ends(s.poll_next(w)));
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}
#endif

BOOST_AUTO_TEST_SUITE_END()
