// loop_fn: the sentences of design.md's "Loops" and the cooperative budget, with instrumented
// step futures.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/probe.hpp>

#include <futura/combinator/loop_fn.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {
using int_step = futura::loop_step<int, int>;

/// Counts to `n` with always-ready steps: the output is the number of iterations.
auto count_to(int n) {
  return futura::loop_fn(0, [n](int i) -> int_step {
    if (i == n) return futura::loop_break(i);
    return futura::loop_continue(i + 1);
  });
}
}  // namespace

BOOST_AUTO_TEST_SUITE(loop_fn)

BOOST_AUTO_TEST_CASE(the_example_of_the_design_breaks_with_its_output) {
  auto f = futura::loop_fn(0, [](int i) -> futura::loop_step<std::string, int> {
    if (i == 10) return futura::loop_break(std::string("done"));
    return futura::loop_continue(i + 1);
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, std::string>);
  BOOST_TEST(futura::block_on(std::move(f)) == "done");
}

BOOST_AUTO_TEST_CASE(state_and_output_may_be_the_same_type_and_move_only) {
  using step = futura::loop_step<std::unique_ptr<int>, std::unique_ptr<int>>;
  auto f = futura::loop_fn(std::make_unique<int>(0), [](std::unique_ptr<int> p) -> step {
    if (*p == 5) return futura::loop_break(std::move(p));
    ++*p;
    return futura::loop_continue(std::move(p));
  });
  BOOST_TEST(*futura::block_on(std::move(f)) == 5);
}

BOOST_AUTO_TEST_CASE(loop_break_without_a_value_gives_unit) {
  int runs = 0;
  auto f = futura::loop_fn(3, [&](int left) -> futura::loop_step<futura::unit, int> {
    ++runs;
    if (left == 0) return futura::loop_break();
    return futura::loop_continue(left - 1);
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  futura::block_on(std::move(f));
  BOOST_TEST(runs == 4);
}

BOOST_AUTO_TEST_CASE(nothing_runs_before_the_first_poll) {
  int runs = 0;
  {
    [[maybe_unused]] auto f = futura::loop_fn(0, [&](int) -> int_step {
      ++runs;
      return futura::loop_break(0);
    });
  }
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(ten_million_ready_iterations_run_through_block_on_in_flat_memory) {
  // The same allocations (block_on's parker, at most) for 10^3 and for 10^7 iterations: nothing
  // per iteration, and no stack growth either (10^7 nested calls would overflow the stack).
  int small = 0;
  long small_allocations = allocations_during([&] { small = futura::block_on(count_to(1000)); });
  int large = 0;
  long large_allocations = allocations_during([&] { large = futura::block_on(count_to(10'000'000)); });
  BOOST_TEST(small == 1000);
  BOOST_TEST(large == 10'000'000);
  BOOST_TEST(large_allocations == small_allocations);
  BOOST_TEST(large_allocations <= 1);
}

BOOST_AUTO_TEST_CASE(an_always_ready_loop_wakes_itself_once_per_budget_and_keeps_its_state) {
  int runs = 0;
  auto f = futura::loop_fn(0, [&](int i) -> int_step {
    ++runs;
    return futura::loop_continue(i + 1);
  });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(runs == static_cast<int>(futura::detail::coop_budget));
  BOOST_TEST(target.wakes() == 1);  // the budget's self-wake: rule 3 without any leaf
  auto moved = std::move(f);        // futures move between polls (rule 2)
  BOOST_TEST(moved.poll(w).is_pending());
  BOOST_TEST(runs == 2 * static_cast<int>(futura::detail::coop_budget));
  BOOST_TEST(target.wakes() == 2);
}

BOOST_AUTO_TEST_CASE(a_loop_shorter_than_the_budget_finishes_in_one_poll_without_waking) {
  auto f = count_to(static_cast<int>(futura::detail::coop_budget) - 1);
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(value_of(f.poll(w)) == static_cast<int>(futura::detail::coop_budget) - 1);
  BOOST_TEST(target.wakes() == 0);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(steps_whose_futures_are_ready_at_once_count_against_the_budget) {
  int runs = 0;
  auto f = futura::loop_fn(0, [&](int i) {
    ++runs;
    return futura::ready(int_step(futura::loop_continue(i + 1)));
  });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(runs == static_cast<int>(futura::detail::coop_budget));
  BOOST_TEST(target.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(a_pending_step_is_woken_by_its_leaf_not_by_the_loop) {
  std::vector<probe<int_step>> steps(3);
  auto f = futura::loop_fn(0, [&](int i) { return steps[static_cast<std::size_t>(i)].future(); });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(target.wakes() == 0);
  BOOST_TEST(steps[0].polls() == 1);
  steps[0].complete(futura::loop_continue(1));
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(steps[0].drops() == 1);  // one iteration's future is gone before the next step
  BOOST_TEST(steps[1].polls() == 1);
  steps[1].complete(futura::loop_continue(2));
  steps[2].complete(futura::loop_break(42));  // ready at its first poll: same poll
  BOOST_TEST(value_of(f.poll(w)) == 42);
  BOOST_TEST(target.wakes() == 2);
  BOOST_TEST(steps[1].drops() == 1);
  BOOST_TEST(steps[2].drops() == 1);
  BOOST_TEST(steps[2].polls() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_mid_loop_drops_the_step_future_in_flight_exactly_once) {
  probe<futura::loop_step<int, tracked>> step;
  tracked::reset();
  {
    auto f = futura::loop_fn(tracked(1), [&](tracked) { return step.future(); });
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(step.drops() == 0);
  }
  BOOST_TEST(step.drops() == 1);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(dropping_an_idle_loop_drops_its_state) {
  tracked::reset();
  {
    auto f = futura::loop_fn(
        tracked(1), [](tracked t) -> futura::loop_step<int, tracked> { return futura::loop_continue(std::move(t)); });
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());  // out of budget, holding its state
  }
  BOOST_TEST(tracked::alive() == 0);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_step_propagates_and_finishes_the_loop) {
  auto f = futura::loop_fn(0, [](int i) -> int_step {
    if (i == 3) throw std::runtime_error("step failed");
    return futura::loop_continue(i + 1);
  });
  futura::waker w;
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(an_exception_from_a_step_that_returns_a_future_finishes_the_loop) {
  auto f = futura::loop_fn(0, [](int i) {
    if (i == 2) throw std::runtime_error("step failed");
    return futura::ready(int_step(futura::loop_continue(i + 1)));
  });
  futura::waker w;
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(an_exception_from_the_step_future_propagates_through_block_on) {
  probe<int_step> step;
  step.fail("future failed");
  auto f = futura::loop_fn(0, [&](int) { return step.future(); });
  BOOST_CHECK_THROW(futura::block_on(std::move(f)), std::runtime_error);
  BOOST_TEST(step.drops() == 1);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
