// either_future and branch: the sentences of the top of combinator/either.hpp, with instrumented
// leaves (only the chosen maker runs, the caller's waker is the one registered, the held future
// is destroyed once and nothing of the other branch exists).
#include <futura/combinator/either.hpp>
#include <support/allocation_counter.hpp>
#include <support/probe.hpp>
#include <support/strict_waker.hpp>

#include <boost/system/result.hpp>
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

using namespace futura_test;

namespace {

/// A maker that counts its calls and returns a probe's future.
struct counted_maker {
  const probe<int>* source;
  int* calls;
  probe_future<int> operator()() const {
    ++*calls;
    return source->future();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(either)

BOOST_AUTO_TEST_CASE(branch_calls_only_the_chosen_maker_at_once) {
  for (bool cond : {true, false}) {
    probe<int> a;
    probe<int> b;
    int a_calls = 0;
    int b_calls = 0;
    auto f = futura::branch(cond, counted_maker{&a, &a_calls}, counted_maker{&b, &b_calls});
    BOOST_TEST(a_calls == (cond ? 1 : 0));  // called inside branch, before any poll
    BOOST_TEST(b_calls == (cond ? 0 : 1));
    BOOST_TEST(a.polls() == 0);  // the future it made is lazy
    BOOST_TEST(b.polls() == 0);
    BOOST_TEST(f.is_left() == cond);
    (cond ? a : b).complete(cond ? 1 : 2);
    counting_waker target;
    futura::waker w = target.make();
    BOOST_TEST(value_of(f.poll(w)) == (cond ? 1 : 2));
    BOOST_TEST(a_calls + b_calls == 1);
    BOOST_TEST(a.polls() + b.polls() == 1);
  }
}

BOOST_AUTO_TEST_CASE(left_and_right_give_their_future_s_output) {
  auto later = futura::yield_now().then([] { return std::string("right"); });
  using text_either = futura::either_future<futura::ready_future<std::string>, decltype(later)>;
  static_assert(std::is_same_v<futura::output_t<text_either>, std::string>);
  auto l = text_either::left(futura::ready(std::string("left")));
  auto r = text_either::right(std::move(later));
  BOOST_TEST(l.is_left());
  BOOST_TEST(!r.is_left());
  BOOST_TEST(futura::block_on(std::move(l)) == "left");
  BOOST_TEST(futura::block_on(std::move(r)) == "right");
}

BOOST_AUTO_TEST_CASE(combinator_methods_work_on_it) {
  probe<int> a;
  auto f = futura::branch(
               true, [&] { return a.future(); }, [] { return 0; })
               .then([](int x) { return x * 2; });
  a.complete(21);
  BOOST_TEST(futura::block_on(std::move(f)) == 42);
}

BOOST_AUTO_TEST_CASE(a_pending_held_future_registers_the_caller_s_own_waker) {
  for (bool cond : {true, false}) {
    probe<int> a;
    probe<int> b;
    auto f = futura::branch(
        cond, [&] { return a.future(); }, [&] { return b.future(); });
    strict_waker target;
    {
      futura::waker w = target.make();
      BOOST_TEST(f.poll(w).is_pending());
      probe<int>& held = cond ? a : b;
      BOOST_TEST(target.is_target_of(held.waker()));  // not a wrapper: the caller's waker itself
      held.complete(7);
      BOOST_TEST(target.wakes() == 1);  // one wake of the held future, one wake of the caller
      BOOST_TEST(value_of(f.poll(w)) == 7);
      BOOST_TEST(held.polls() == 2);
    }
    BOOST_TEST(a.drops() + b.drops() == 1);
    BOOST_TEST(target.underflows() == 0);
  }
}

BOOST_AUTO_TEST_CASE(the_held_future_is_destroyed_as_soon_as_it_is_ready) {
  probe<int> a;
  auto f = futura::branch(
      true, [&] { return a.future(); }, [] { return 0; });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(a.drops() == 0);
  a.complete(3);
  BOOST_TEST(value_of(f.poll(w)) == 3);
  BOOST_TEST(a.drops() == 1);  // before the either_future itself goes
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_either_destroys_the_held_future_exactly_once_and_nothing_else) {
  for (bool cond : {true, false}) {
    probe<int> a;
    probe<int> b;
    int a_calls = 0;
    int b_calls = 0;
    {
      auto f = futura::branch(cond, counted_maker{&a, &a_calls}, counted_maker{&b, &b_calls});
      counting_waker target;
      futura::waker w = target.make();
      BOOST_TEST(f.poll(w).is_pending());
      BOOST_TEST(a.drops() + b.drops() == 0);
    }
    probe<int>& held = cond ? a : b;
    probe<int>& other = cond ? b : a;
    BOOST_TEST(held.drops() == 1);
    BOOST_TEST(other.drops() == 0);  // its maker never ran: no future of it ever existed
    BOOST_TEST((cond ? b_calls : a_calls) == 0);
  }
}

BOOST_AUTO_TEST_CASE(dropping_an_either_destroys_the_values_it_holds_exactly_once) {
  tracked::reset();
  {
    auto f = futura::branch(
        false, [] { return futura::pending_forever<tracked>(); }, [] { return tracked(5); });
    static_assert(std::is_same_v<futura::output_t<decltype(f)>, tracked>);
    BOOST_TEST(tracked::alive() == 1);  // the right branch's ready value
  }
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(tracked::destroyed.load() == tracked::constructed.load());
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_held_future_s_poll_propagates) {
  probe<int> a;
  {
    auto f = futura::branch(
        false, [] { return 0; }, [&] { return a.future(); });
    counting_waker target;
    futura::waker w = target.make();
    BOOST_TEST(f.poll(w).is_pending());
    a.fail("read failed");
    BOOST_CHECK_EXCEPTION((void)f.poll(w), std::runtime_error,
                          [](const std::runtime_error& e) { return std::string(e.what()) == "read failed"; });
  }
  BOOST_TEST(a.drops() == 1);  // kept after the throw, destroyed with the either_future
}

BOOST_AUTO_TEST_CASE(an_exception_from_the_chosen_maker_propagates_out_of_branch) {
  int other_calls = 0;
  BOOST_CHECK_THROW((void)futura::branch(
                        true, []() -> futura::ready_future<int> { throw std::runtime_error("maker failed"); },
                        [&] {
                          ++other_calls;
                          return 0;
                        }),
                    std::runtime_error);
  BOOST_TEST(other_calls == 0);
}

BOOST_AUTO_TEST_CASE(polling_after_completion_is_a_contract_violation) {
  for (bool cond : {true, false}) {
    probe<int> a;
    probe<int> b;
    a.complete(1);
    b.complete(2);
    auto f = futura::branch(
        cond, [&] { return a.future(); }, [&] { return b.future(); });
    counting_waker target;
    futura::waker w = target.make();
    BOOST_TEST(value_of(f.poll(w)) == (cond ? 1 : 2));
    BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
    BOOST_TEST(a.polls() + b.polls() == 1);  // the either_future itself reports it
  }
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(a_maker_returning_a_value_gives_a_ready_future_of_it) {
  probe<boost::system::result<std::size_t>> body;
  std::size_t content_length = 0;
  auto read_body = [&] { return body.future(); };
  auto f = futura::branch(
      content_length > 0, [&] { return read_body(); }, [] { return boost::system::result<std::size_t>(0); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<std::size_t>>);
  static_assert(
      std::is_same_v<decltype(f), futura::either_future<probe_future<boost::system::result<std::size_t>>,
                                                        futura::ready_future<boost::system::result<std::size_t>>>>);
  counting_waker target;
  futura::waker w = target.make();
  auto r = value_of(f.poll(w));  // ready at the first poll
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 0u);
  BOOST_TEST(body.polls() == 0);
}

BOOST_AUTO_TEST_CASE(a_maker_returning_void_gives_a_ready_future_of_unit) {
  int ran = 0;
  auto f = futura::branch(
      true, [&] { ++ran; }, [] { return futura::yield_now(); });
  static_assert(
      std::is_same_v<decltype(f), futura::either_future<futura::ready_future<futura::unit>, futura::yield_now_future>>);
  BOOST_TEST(ran == 1);  // at once, as an `if` would
  futura::block_on(std::move(f));
  BOOST_TEST(ran == 1);
}

BOOST_AUTO_TEST_CASE(both_branches_may_make_the_same_future_type) {
  probe<int> a;
  probe<int> b;
  auto f = futura::branch(
      false, [&] { return a.future(); }, [&] { return b.future(); });
  static_assert(std::is_same_v<decltype(f), futura::either_future<probe_future<int>, probe_future<int>>>);
  BOOST_TEST(!f.is_left());
  b.complete(9);
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(value_of(f.poll(w)) == 9);
  BOOST_TEST(a.polls() == 0);
  BOOST_TEST(b.polls() == 1);
}

BOOST_AUTO_TEST_CASE(moved_between_polls) {
  probe<std::unique_ptr<int>> a;
  auto first = futura::branch(
      true, [&] { return a.future(); }, [] { return std::unique_ptr<int>(); });
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(first.poll(w).is_pending());
  auto second = std::move(first);
  BOOST_TEST(second.is_left());
  a.complete(std::make_unique<int>(11));
  BOOST_TEST(target.wakes() == 1);
  std::unique_ptr<int> v = value_of(second.poll(w));
  BOOST_REQUIRE(v);
  BOOST_TEST(*v == 11);
  BOOST_TEST(a.drops() == 1);  // the moved-from future counted nothing
  BOOST_TEST(a.polls() == 2);
}

BOOST_AUTO_TEST_CASE(a_then_continuation_returns_branch_from_both_paths) {
  for (int n : {0, 4}) {
    probe<int> reads;
    int read_calls = 0;
    auto f = futura::ready(n).then([&](int len) {
      return futura::branch(
          len > 0,
          [&] {
            ++read_calls;
            return reads.future().then([len](int got) { return got + len; });
          },
          [] { return -1; });
    });
    if (n > 0) reads.complete(10);
    BOOST_TEST(futura::block_on(std::move(f)) == (n > 0 ? 14 : -1));
    BOOST_TEST(read_calls == (n > 0 ? 1 : 0));
  }
}

BOOST_AUTO_TEST_CASE(a_loop_step_returns_branch_from_both_paths) {
  using step = futura::loop_step<int, int>;
  int waits = 0;
  auto f = futura::loop_fn(0, [&](int i) {
    return futura::branch(
        i % 3 == 0,
        [&waits, i] {
          ++waits;
          return futura::yield_now().then([i]() -> step { return futura::loop_continue(i + 1); });
        },
        [i]() -> step {
          if (i == 10) return futura::loop_break(i * 2);
          return futura::loop_continue(i + 1);
        });
  });
  BOOST_TEST(futura::block_on(std::move(f)) == 20);
  BOOST_TEST(waits == 4);  // i = 0, 3, 6, 9
}

BOOST_AUTO_TEST_CASE(neither_building_nor_polling_allocates) {
  counting_waker target;
  futura::waker w = target.make();
  int out = 0;
  long allocations = allocations_during([&] {
    for (bool cond : {true, false}) {
      auto f = futura::branch(
          cond, [] { return futura::yield_now().then([] { return 1; }); }, [] { return 2; });
      for (int polls = 0; polls < 3; ++polls) {  // yield_now: pending once, then ready
        auto r = f.poll(w);
        if (r.is_ready()) {
          out += r.take();
          break;
        }
      }
    }
  });
  BOOST_TEST(out == 3);
  BOOST_TEST(allocations == 0);
}

BOOST_AUTO_TEST_SUITE_END()
