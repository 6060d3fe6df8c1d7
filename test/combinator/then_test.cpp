// then: every case of the table in design.md, with instrumented children.
#include <support/probe.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

using namespace futura_test;

BOOST_AUTO_TEST_SUITE(then)

BOOST_AUTO_TEST_CASE(value_to_value) {
  auto f = futura::ready(20).then([](int x) { return std::to_string(x + 1); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, std::string>);
  BOOST_TEST(futura::block_on(std::move(f)) == "21");
}

BOOST_AUTO_TEST_CASE(free_function_form_matches_the_method) {
  auto f = futura::then(futura::ready(2), [](int x) { return x * 21; });
  BOOST_TEST(futura::block_on(std::move(f)) == 42);
}

BOOST_AUTO_TEST_CASE(value_to_void_gives_unit) {
  int seen = 0;
  auto f = futura::ready(5).then([&](int x) { seen = x; });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  futura::block_on(std::move(f));
  BOOST_TEST(seen == 5);
}

BOOST_AUTO_TEST_CASE(value_to_future_is_flattened) {
  auto f = futura::ready(3).then([](int x) { return futura::ready(x * 2); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, int>);
  BOOST_TEST(futura::block_on(std::move(f)) == 6);
}

BOOST_AUTO_TEST_CASE(unit_future_takes_a_continuation_without_argument) {
  auto f = futura::yield_now().then([] { return 7; });
  BOOST_TEST(futura::block_on(std::move(f)) == 7);
  auto g = futura::ready().then([](futura::unit) { return 8; });  // or with the unit
  BOOST_TEST(futura::block_on(std::move(g)) == 8);
}

BOOST_AUTO_TEST_CASE(move_only_values_and_move_only_callables) {
  auto owned = std::make_unique<int>(4);
  auto f = futura::ready(std::make_unique<int>(10)).then([owned = std::move(owned)](std::unique_ptr<int> p) {
    return std::make_unique<int>(*p + *owned);
  });
  std::unique_ptr<int> r = futura::block_on(std::move(f));
  BOOST_TEST(*r == 14);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(continuation_runs_once_when_the_child_is_ready_later) {
  probe<int> child;
  int calls = 0;
  auto f = child.future().then([&](int x) {
    ++calls;
    return x + 1;
  });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 0);
  BOOST_TEST(child.polls() == 2);
  child.complete(1);
  BOOST_TEST(target.wakes() == 1);  // the child's wake reaches the caller's waker
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 2);
  BOOST_TEST(calls == 1);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
  BOOST_TEST(calls == 1);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(first_future_is_destroyed_before_the_continuation_runs) {
  probe<int> child;
  bool dropped_when_called = false;
  auto f = child.future().then([&](int) { dropped_when_called = child.dropped(); });
  child.complete(0);
  futura::waker w;
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(dropped_when_called);
  BOOST_TEST(child.drops() == 1);
}

BOOST_AUTO_TEST_CASE(continuation_lives_until_the_future_it_returned_completes) {
  probe<int> second;
  auto buffer = std::make_shared<int>(1);
  std::weak_ptr<int> watch = buffer;
  auto f = futura::ready(0).then([second, buffer = std::move(buffer)](int) { return second.future(); });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(!watch.expired());
  second.complete(5);
  BOOST_TEST(target.wakes() == 1);
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 5);
  BOOST_TEST(second.drops() == 1);  // the second stage is released at completion
}

namespace {
/// A pending future that records, when destroyed, whether what it points at was still alive.
struct uses_buffer : futura::future_ext<uses_buffer> {
  using output_type = int;
  std::weak_ptr<int> buffer;
  bool* buffer_alive_at_drop;
  uses_buffer(std::weak_ptr<int> b, bool* alive) : buffer(std::move(b)), buffer_alive_at_drop(alive) {}
  uses_buffer(uses_buffer&& o) noexcept
      : buffer(std::move(o.buffer)), buffer_alive_at_drop(std::exchange(o.buffer_alive_at_drop, nullptr)) {}
  ~uses_buffer() {
    if (buffer_alive_at_drop) *buffer_alive_at_drop = !buffer.expired();
  }
  futura::poll_result<int> poll(futura::waker&) { return futura::pending; }
};
}  // namespace

BOOST_AUTO_TEST_CASE(cancelling_the_second_stage_happens_while_the_continuation_captures_live) {
  // An Asio read into a buffer captured by g is cancelled (dropped) before the buffer goes.
  bool alive_at_drop = false;
  {
    auto f = futura::ready(0).then(
        [buffer = std::make_shared<int>(1), &alive_at_drop](int) { return uses_buffer(buffer, &alive_at_drop); });
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(alive_at_drop);
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_then_drops_the_running_stage) {
  probe<int> first;
  probe<int> second;
  {
    auto f = first.future().then([second](int) { return second.future(); });
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(first.drops() == 1);
  BOOST_TEST(second.drops() == 0);  // never created

  probe<int> a;
  probe<int> b;
  {
    auto f = a.future().then([b](int) { return b.future(); });
    a.complete(1);
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());  // now running b
    BOOST_TEST(a.drops() == 1);
  }
  BOOST_TEST(b.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(exception_from_the_continuation_propagates_and_completes_the_future) {
  auto f = futura::ready(1).then([](int) -> int { throw std::runtime_error("bad"); });
  futura::waker w;
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_CHECK_THROW((void)f.poll(w), futura::future_error);  // complete: rule 4
}

BOOST_AUTO_TEST_CASE(exception_in_a_chain_skips_later_links) {
  int later = 0;
  auto f = futura::ready(1)
               .then([](int x) { return x + 1; })
               .then([](int) -> int { throw std::logic_error("link 2"); })
               .then([&](int x) {
                 ++later;
                 return x;
               });
  BOOST_CHECK_THROW(futura::block_on(std::move(f)), std::logic_error);
  BOOST_TEST(later == 0);
}

BOOST_AUTO_TEST_CASE(exception_from_the_child_or_second_stage_propagates) {
  probe<int> child;
  child.fail("child");
  auto f = child.future().then([](int x) { return x; });
  BOOST_CHECK_THROW(futura::block_on(std::move(f)), std::runtime_error);

  probe<int> second;
  second.fail("second");
  auto g = futura::ready(1).then([second](int) { return second.future(); });
  BOOST_CHECK_THROW(futura::block_on(std::move(g)), std::runtime_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(then_future_moves_between_polls) {
  probe<int> child;
  auto f = child.future().then([](int x) { return x * 3; });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  child.complete(3);
  BOOST_TEST(target.wakes() == 1);
  auto r = moved.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 9);
}

BOOST_AUTO_TEST_CASE(values_and_futures_are_destroyed_exactly_once) {
  tracked::reset();
  {
    auto f = futura::ready(tracked(1)).then([](tracked t) { return tracked(t.value + 1); }).then([](tracked t) {
      return futura::ready(tracked(t.value * 10));
    });
    tracked out = futura::block_on(std::move(f));
    BOOST_TEST(out.value == 20);
  }
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(tracked::constructed.load() > 0);
  {
    // A chain dropped unpolled also destroys everything once.
    auto f = futura::ready(tracked(1)).then([](tracked t) { return t; });
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(sixteen_link_chain_polled_once_with_noop_waker) {
  volatile int seed = 1;
  auto f = futura::ready(int(seed))
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; })
               .then([](int x) { return x + 1; });
  futura::waker w = futura::noop_waker();
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 17);
}

BOOST_AUTO_TEST_SUITE_END()
