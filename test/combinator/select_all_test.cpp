// select_all and select_ok: the first of a vector of futures (select_all hands back the rest
// still running, in order; select_ok skips failures and reports the last error).
#include <futura/combinator/select_all.hpp>
#include <futura/combinator/select_ok.hpp>

#include <support/probe.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using futura_test::counting_waker;
using futura_test::probe;
using futura_test::probe_future;
using futura_test::tracked;

using int_result = boost::system::result<int>;

using futura_test::is_polled_after_completion;

boost::system::error_code errc_code(boost::system::errc::errc_t e) { return boost::system::errc::make_error_code(e); }

// The three ways select_all/select_ok remove a future from the middle of their vector depend on
// the future type; each wrapper below forces one of them around a probe_future<int>.

/// Move-assignable (erase in place).
class assignable_future : public futura::future_ext<assignable_future> {
 public:
  using output_type = int;
  explicit assignable_future(probe_future<int> f) : inner_(std::make_unique<probe_future<int>>(std::move(f))) {}
  futura::poll_result<int> poll(futura::waker& w) { return inner_->poll(w); }

 private:
  std::unique_ptr<probe_future<int>> inner_;
};
static_assert(std::is_move_assignable_v<assignable_future>);

/// Not assignable, moved without throwing (shifted in place by destroy-and-rebuild). This is
/// probe_future itself, like any future holding a lambda.
using nothrow_unassignable_future = probe_future<int>;
static_assert(!std::is_move_assignable_v<nothrow_unassignable_future>);
static_assert(std::is_nothrow_move_constructible_v<nothrow_unassignable_future>);

/// Neither assignable nor nothrow-movable (the survivors move to a new vector).
class throwing_move_future : public futura::future_ext<throwing_move_future> {
 public:
  using output_type = int;
  explicit throwing_move_future(probe_future<int> f) : inner_(std::move(f)) {}
  throwing_move_future(throwing_move_future&& o) noexcept(false) : inner_(std::move(o.inner_)) {}
  throwing_move_future& operator=(throwing_move_future&&) = delete;
  futura::poll_result<int> poll(futura::waker& w) { return inner_.poll(w); }

 private:
  probe_future<int> inner_;
};
static_assert(!std::is_move_assignable_v<throwing_move_future>);
static_assert(!std::is_nothrow_move_constructible_v<throwing_move_future>);

using removal_strategies = std::tuple<assignable_future, nothrow_unassignable_future, throwing_move_future>;

template <class F>
std::vector<F> wrap_all(std::vector<probe<int>>& probes) {
  std::vector<F> v;
  v.reserve(probes.size());
  for (auto& p : probes) v.emplace_back(p.future());
  return v;
}

/// A future of `result<int>` that fails or succeeds at its first poll.
futura::ready_future<int_result> ready_ok(int v) { return futura::ready(int_result(v)); }
futura::ready_future<int_result> ready_error(boost::system::errc::errc_t e) {
  return futura::ready(int_result(errc_code(e)));
}

/// Maps an int to a result: negative numbers are errors.
struct negative_is_error {
  int_result operator()(int x) const {
    return x < 0 ? int_result(errc_code(boost::system::errc::io_error)) : int_result(x);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(select_all)

BOOST_AUTO_TEST_CASE(the_output_is_the_winners_value_and_index_and_the_others_in_order_at_each_position) {
  for (std::size_t winner = 0; winner < 4; ++winner) {
    BOOST_TEST_CONTEXT("winner " << winner) {
      std::vector<probe<int>> probes(4);
      auto s = futura::select_all(wrap_all<nothrow_unassignable_future>(probes));
      futura::waker w = futura::noop_waker();
      BOOST_TEST(s.poll(w).is_pending());
      probes[winner].complete(100 + static_cast<int>(winner));
      auto r = s.poll(w);
      BOOST_REQUIRE(r.is_ready());
      futura::select_all_result<int, nothrow_unassignable_future> out = std::move(r).take();
      BOOST_TEST(out.value == 100 + static_cast<int>(winner));
      BOOST_TEST(out.index == winner);
      BOOST_REQUIRE(out.rest.size() == 3u);
      // Which probe is rest[k]? Complete them all and poll each directly.
      for (std::size_t p = 0; p < 4; ++p) {
        if (p != winner) probes[p].complete(static_cast<int>(p));
      }
      std::vector<int> rest_values;
      for (auto& f : out.rest) {
        auto v = f.poll(w);
        BOOST_REQUIRE(v.is_ready());
        rest_values.push_back(v.value());
      }
      std::vector<int> expected;
      for (int p = 0; p < 4; ++p) {
        if (p != static_cast<int>(winner)) expected.push_back(p);
      }
      BOOST_TEST(rest_values == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_rest_keeps_running_in_input_order_until_every_future_completes, F,
                              removal_strategies) {
  std::vector<probe<int>> probes(5);
  std::vector<F> remaining = wrap_all<F>(probes);
  const F* buffer = remaining.data();
  std::vector<int> original_position = {0, 1, 2, 3, 4};  // input position of remaining[k]
  futura::waker w = futura::noop_waker();
  for (int next : {3, 0, 4, 1, 2}) {
    BOOST_TEST_CONTEXT("completing " << next) {
      auto s = futura::select_all(std::move(remaining));
      BOOST_TEST(s.poll(w).is_pending());
      probes[static_cast<std::size_t>(next)].complete(next * 10);
      auto r = s.poll(w);
      BOOST_REQUIRE(r.is_ready());
      auto out = std::move(r).take();
      BOOST_TEST(out.value == next * 10);
      BOOST_REQUIRE(out.index < original_position.size());
      BOOST_TEST(original_position[out.index] == next);
      original_position.erase(original_position.begin() + static_cast<std::ptrdiff_t>(out.index));
      BOOST_TEST(probes[static_cast<std::size_t>(next)].drops() == 1);  // the winner is gone
      for (int p : original_position) BOOST_TEST(probes[static_cast<std::size_t>(p)].drops() == 0);  // the rest is not
      remaining = std::move(out.rest);
      BOOST_TEST(remaining.size() == original_position.size());
    }
  }
  BOOST_TEST(remaining.empty());
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
  if constexpr (!std::is_same_v<F, throwing_move_future>) {
    BOOST_TEST(remaining.data() == buffer);  // in place: the rest is the vector that was given
  }
}

BOOST_AUTO_TEST_CASE(a_future_ready_at_once_completes_the_first_poll) {
  std::vector<futura::ready_future<int>> v;
  v.push_back(futura::ready(7));
  auto s = futura::select_all(std::move(v));
  futura::waker w = futura::noop_waker();
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().value == 7);
  BOOST_TEST(r.value().index == 0u);
  BOOST_TEST(r.value().rest.empty());
}

BOOST_AUTO_TEST_CASE(a_future_completing_later_wakes_the_select_all) {
  counting_waker target;
  futura::waker w = target.make();
  std::vector<probe<int>> probes(3);
  auto s = futura::select_all(wrap_all<nothrow_unassignable_future>(probes));
  BOOST_TEST(s.poll(w).is_pending());
  probes[1].complete(1);
  BOOST_TEST(target.wakes() == 1);
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().index == 1u);
}

BOOST_AUTO_TEST_CASE(every_poll_polls_every_pending_future_with_the_parents_waker) {
  counting_waker target;
  futura::waker parent = target.make();
  int checked = 0;
  auto child = [&] {
    return futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
      BOOST_TEST(w.will_wake(parent));
      ++checked;
      return futura::pending;
    });
  };
  std::vector<decltype(child())> v;
  for (int i = 0; i < 4; ++i) v.push_back(child());
  auto s = futura::select_all(std::move(v));
  BOOST_TEST(s.poll(parent).is_pending());
  BOOST_TEST(checked == 4);
  BOOST_TEST(s.poll(parent).is_pending());
  BOOST_TEST(checked == 8);
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_select_all_drops_every_future_exactly_once) {
  std::vector<probe<int>> probes(3);
  {
    auto s = futura::select_all(wrap_all<nothrow_unassignable_future>(probes));
    futura::waker w = futura::noop_waker();
    BOOST_TEST(s.poll(w).is_pending());
  }
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_future_throwing_at_once_propagates_and_drops_every_future) {
  std::vector<probe<int>> probes(3);
  probes[2].fail("third failed");
  auto s = futura::select_all(wrap_all<nothrow_unassignable_future>(probes));
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_EXCEPTION((void)s.poll(w), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "third failed"; });
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(a_future_throwing_later_propagates_out_of_that_poll) {
  std::vector<probe<int>> probes(2);
  auto s = futura::select_all(wrap_all<nothrow_unassignable_future>(probes));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  probes[0].fail("late");
  BOOST_CHECK_THROW((void)s.poll(w), std::runtime_error);
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
}

BOOST_AUTO_TEST_CASE(an_empty_vector_throws_invalid_argument) {
  BOOST_CHECK_THROW((void)futura::select_all(std::vector<futura::ready_future<int>>{}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(polling_after_completion_throws_polled_after_completion) {
  std::vector<futura::ready_future<int>> v;
  v.push_back(futura::ready(1));
  v.push_back(futura::ready(2));
  auto s = futura::select_all(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_ready());
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(each_of_two_always_ready_futures_wins_at_least_40_percent_of_10000_new_select_alls) {
  constexpr int rounds = 10000;
  int zero = 0;
  futura::waker w = futura::noop_waker();
  for (int i = 0; i < rounds; ++i) {
    std::vector<futura::ready_future<int>> v;
    v.push_back(futura::ready(0));
    v.push_back(futura::ready(1));
    auto s = futura::select_all(std::move(v));
    auto r = s.poll(w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_TEST(r.value().value == static_cast<int>(r.value().index));
    if (r.value().index == 0) ++zero;
  }
  BOOST_TEST(zero >= rounds * 4 / 10);
  BOOST_TEST(rounds - zero >= rounds * 4 / 10);
}

BOOST_AUTO_TEST_CASE(move_only_outputs_and_values_destroyed_exactly_once) {
  tracked::reset();
  {
    std::vector<probe_future<std::unique_ptr<tracked>>> v;
    probe<std::unique_ptr<tracked>> a, b;
    v.push_back(a.future());
    v.push_back(b.future());
    auto s = futura::select_all(std::move(v));
    futura::waker w = futura::noop_waker();
    BOOST_TEST(s.poll(w).is_pending());
    b.complete(std::make_unique<tracked>(5));
    auto r = s.poll(w);
    BOOST_REQUIRE(r.is_ready());
    auto out = std::move(r).take();
    BOOST_REQUIRE(out.value);
    BOOST_TEST(out.value->value == 5);
    BOOST_TEST(out.index == 1u);
    BOOST_TEST(tracked::alive() == 1);
  }
  BOOST_TEST(tracked::constructed.load() == 1);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(promises_set_on_other_threads_complete_select_all_in_block_on_one_by_one) {
  constexpr int count = 4;
  std::vector<futura::promise<int>> promises(count);
  std::vector<futura::promise_future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  static_assert(std::is_move_assignable_v<futura::promise_future<int>>);
  std::vector<int> seen;
  for (int round = 0; round < count; ++round) {
    // Set the last remaining promise from another thread: the rest stays in input order, so it
    // is always at the back.
    const int target = count - 1 - round;
    std::thread setter([&promises, target] { promises[static_cast<std::size_t>(target)].set_value(target); });
    auto out = futura::block_on(futura::select_all(std::move(futures)));
    setter.join();
    BOOST_TEST(out.value == target);
    BOOST_TEST(out.index == static_cast<std::size_t>(target));
    seen.push_back(out.value);
    futures = std::move(out.rest);
  }
  BOOST_TEST(futures.empty());
  BOOST_TEST(seen == (std::vector<int>{3, 2, 1, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(select_ok)

BOOST_AUTO_TEST_CASE(the_first_success_wins_after_failures) {
  std::vector<probe<int_result>> probes(3);
  probes[0].complete(int_result(errc_code(boost::system::errc::connection_refused)));
  probes[2].complete(int_result(errc_code(boost::system::errc::host_unreachable)));
  std::vector<probe_future<int_result>> v;
  for (auto& p : probes) v.push_back(p.future());
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  probes[1].complete(int_result(42));
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST(*r.value() == 42);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(failed_futures_are_destroyed_in_the_poll_that_sees_them_fail, F, removal_strategies) {
  // Int futures that fail (as a result) when their probe completes with a negative number.
  std::vector<probe<int>> probes(4);
  std::vector<futura::then_future<F, negative_is_error>> v;
  for (auto& p : probes) v.push_back(F(p.future()).then(negative_is_error{}));
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  probes[1].complete(-1);
  BOOST_TEST(s.poll(w).is_pending());
  BOOST_TEST(probes[1].drops() == 1);
  BOOST_TEST((probes[0].drops() == 0 && probes[2].drops() == 0 && probes[3].drops() == 0));
  probes[3].complete(-1);
  probes[0].complete(-1);
  BOOST_TEST(s.poll(w).is_pending());
  BOOST_TEST((probes[0].drops() == 1 && probes[3].drops() == 1));
  BOOST_TEST(probes[2].drops() == 0);
  const int polls_before = probes[2].polls();
  BOOST_TEST(s.poll(w).is_pending());
  BOOST_TEST(probes[2].polls() == polls_before + 1);  // the survivor is still polled, alone
  probes[2].complete(8);
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST(*r.value() == 8);
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
}

BOOST_AUTO_TEST_CASE(a_success_drops_every_other_future_before_the_poll_returns) {
  std::vector<probe<int_result>> probes(3);
  std::vector<probe_future<int_result>> v;
  for (auto& p : probes) v.push_back(p.future());
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  probes[2].complete(int_result(1));
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);  // the select_ok object is still alive
}

BOOST_AUTO_TEST_CASE(when_every_future_fails_the_output_is_the_last_error) {
  std::vector<probe<int_result>> probes(3);
  std::vector<probe_future<int_result>> v;
  for (auto& p : probes) v.push_back(p.future());
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  probes[0].complete(int_result(errc_code(boost::system::errc::connection_refused)));
  BOOST_TEST(s.poll(w).is_pending());
  probes[2].complete(int_result(errc_code(boost::system::errc::timed_out)));
  BOOST_TEST(s.poll(w).is_pending());
  probes[1].complete(int_result(errc_code(boost::system::errc::host_unreachable)));
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_error());
  BOOST_TEST(r.value().error() == errc_code(boost::system::errc::host_unreachable));
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
}

BOOST_AUTO_TEST_CASE(when_every_future_fails_at_once_the_output_is_one_of_their_errors) {
  std::vector<futura::ready_future<int_result>> v;
  v.push_back(ready_error(boost::system::errc::connection_refused));
  v.push_back(ready_error(boost::system::errc::timed_out));
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_error());
  BOOST_TEST((r.value().error() == errc_code(boost::system::errc::connection_refused) ||
              r.value().error() == errc_code(boost::system::errc::timed_out)));
}

BOOST_AUTO_TEST_CASE(a_success_ready_at_once_completes_the_first_poll) {
  std::vector<futura::ready_future<int_result>> v;
  v.push_back(ready_error(boost::system::errc::connection_refused));
  v.push_back(ready_ok(3));
  v.push_back(ready_error(boost::system::errc::timed_out));
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST(*r.value() == 3);
}

BOOST_AUTO_TEST_CASE(a_future_completing_later_wakes_the_select_ok) {
  counting_waker target;
  futura::waker w = target.make();
  std::vector<probe<int_result>> probes(2);
  std::vector<probe_future<int_result>> v;
  for (auto& p : probes) v.push_back(p.future());
  auto s = futura::select_ok(std::move(v));
  BOOST_TEST(s.poll(w).is_pending());
  probes[0].complete(int_result(errc_code(boost::system::errc::io_error)));
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(s.poll(w).is_pending());
  probes[1].complete(int_result(6));
  BOOST_TEST(target.wakes() == 2);
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(*r.value() == 6);
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_select_ok_drops_every_future_exactly_once) {
  std::vector<probe<int_result>> probes(3);
  {
    std::vector<probe_future<int_result>> v;
    for (auto& p : probes) v.push_back(p.future());
    auto s = futura::select_ok(std::move(v));
    futura::waker w = futura::noop_waker();
    BOOST_TEST(s.poll(w).is_pending());
    probes[1].complete(int_result(errc_code(boost::system::errc::io_error)));
    BOOST_TEST(s.poll(w).is_pending());
  }
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_future_throwing_propagates_and_drops_every_future) {
  std::vector<probe<int_result>> probes(3);
  std::vector<probe_future<int_result>> v;
  for (auto& p : probes) v.push_back(p.future());
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  probes[1].fail("thrown, not returned");
  BOOST_CHECK_EXCEPTION((void)s.poll(w), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "thrown, not returned"; });
  for (auto& p : probes) BOOST_TEST(p.drops() == 1);
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(an_empty_vector_throws_invalid_argument) {
  BOOST_CHECK_THROW((void)futura::select_ok(std::vector<futura::ready_future<int_result>>{}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(polling_after_completion_throws_polled_after_completion) {
  std::vector<futura::ready_future<int_result>> v;
  v.push_back(ready_ok(1));
  auto s = futura::select_ok(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_ready());
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(move_only_values_and_custom_error_types) {
  using result_t = boost::system::result<std::unique_ptr<int>, std::string>;
  std::vector<probe<result_t>> probes(2);
  std::vector<probe_future<result_t>> v;
  for (auto& p : probes) v.push_back(p.future());
  auto s = futura::select_ok(std::move(v));
  static_assert(std::is_same_v<futura::output_t<decltype(s)>, result_t>);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  probes[0].complete(result_t(boost::system::in_place_error, "no"));
  probes[1].complete(result_t(std::make_unique<int>(12)));
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  result_t out = std::move(r).take();
  BOOST_REQUIRE(out.has_value());
  BOOST_TEST(**out == 12);
}

BOOST_AUTO_TEST_CASE(each_of_two_always_succeeding_futures_wins_at_least_40_percent_of_10000_new_select_oks) {
  constexpr int rounds = 10000;
  int zero = 0;
  futura::waker w = futura::noop_waker();
  for (int i = 0; i < rounds; ++i) {
    std::vector<futura::ready_future<int_result>> v;
    v.push_back(ready_ok(0));
    v.push_back(ready_ok(1));
    auto s = futura::select_ok(std::move(v));
    auto r = s.poll(w);
    BOOST_REQUIRE((r.is_ready() && r.value().has_value()));
    if (*r.value() == 0) ++zero;
  }
  BOOST_TEST(zero >= rounds * 4 / 10);
  BOOST_TEST(rounds - zero >= rounds * 4 / 10);
}

BOOST_AUTO_TEST_CASE(promises_set_on_other_threads_fail_and_succeed_in_block_on) {
  constexpr int rounds = 100;
  for (int i = 0; i < rounds; ++i) {
    futura::promise<int_result> failing, succeeding;
    std::vector<futura::promise_future<int_result>> v;
    v.push_back(failing.get_future());
    v.push_back(succeeding.get_future());
    std::thread t1([&failing] { failing.set_value(int_result(errc_code(boost::system::errc::io_error))); });
    std::thread t2([&succeeding] { succeeding.set_value(int_result(77)); });
    int_result r = futura::block_on(futura::select_ok(std::move(v)));
    t1.join();
    t2.join();
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(*r == 77);
  }
}

BOOST_AUTO_TEST_CASE(promises_all_failing_on_other_threads_give_an_error_in_block_on) {
  futura::promise<int_result> a, b;
  std::vector<futura::promise_future<int_result>> v;
  v.push_back(a.get_future());
  v.push_back(b.get_future());
  std::thread ta([&a] { a.set_value(int_result(errc_code(boost::system::errc::io_error))); });
  std::thread tb([&b] { b.set_value(int_result(errc_code(boost::system::errc::io_error))); });
  int_result r = futura::block_on(futura::select_ok(std::move(v)));
  ta.join();
  tb.join();
  BOOST_REQUIRE(r.has_error());
  BOOST_TEST(r.error() == errc_code(boost::system::errc::io_error));
}

BOOST_AUTO_TEST_SUITE_END()
