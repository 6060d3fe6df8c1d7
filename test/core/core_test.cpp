// Core contract: poll_result, waker, future traits, and the leaf futures.
#include <support/probe.hpp>

#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

using namespace futura_test;

namespace {

struct countdown : futura::future_ext<countdown> {
  using output_type = int;
  int left;
  explicit countdown(int n) : left(n) {}
  futura::poll_result<int> poll(futura::waker& w) {
    if (left == 0) return 42;
    --left;
    w.wake();
    return futura::pending;
  }
};

struct not_a_future {};
struct no_poll {
  using output_type = int;
};
struct wrong_poll_type {
  using output_type = int;
  futura::poll_result<long> poll(futura::waker&);
};

}  // namespace

BOOST_AUTO_TEST_SUITE(poll_result)

BOOST_AUTO_TEST_CASE(is_implicitly_ready_from_a_value_and_pending_from_the_tag) {
  futura::poll_result<int> ready = 5;
  futura::poll_result<int> not_yet = futura::pending;
  BOOST_TEST(ready.is_ready());
  BOOST_TEST(!ready.is_pending());
  BOOST_TEST(ready.value() == 5);
  BOOST_TEST(not_yet.is_pending());
  BOOST_TEST(!not_yet.is_ready());
}

BOOST_AUTO_TEST_CASE(take_moves_a_move_only_value_out) {
  futura::poll_result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  std::unique_ptr<int> p = r.take();
  BOOST_REQUIRE(p);
  BOOST_TEST(*p == 3);
}

// poll_result keeps a scalar or an empty value in a union of its own and everything else in a
// std::optional (a select's variant in one returned through memory): each kind behaves alike.
template <class T>
T sample();
template <>
int sample<int>() {
  return 7;
}
template <>
const char* sample<const char*>() {
  return "seven";
}
template <>
futura::unit sample<futura::unit>() {
  return {};
}
template <>
std::variant<int, int> sample<std::variant<int, int>>() {
  return std::variant<int, int>(std::in_place_index<1>, 7);
}
template <>
std::optional<long> sample<std::optional<long>>() {
  return 7L;
}
template <>
std::string sample<std::string>() {
  return std::string(40, 's');  // beyond the small-string buffer: a heap-owning value
}

using storage_kinds =
    boost::mpl::list<int, const char*, futura::unit, std::variant<int, int>, std::optional<long>, std::string>;

BOOST_AUTO_TEST_CASE_TEMPLATE(every_storage_kind_holds_pending_or_the_value_through_copies_and_moves, T,
                              storage_kinds) {
  static_assert(std::is_nothrow_constructible_v<futura::poll_result<T>, futura::pending_t>);
  futura::poll_result<T> not_yet = futura::pending;
  BOOST_TEST(not_yet.is_pending());
  futura::poll_result<T> ready(std::in_place, sample<T>());
  BOOST_TEST(ready.is_ready());
  BOOST_TEST((ready.value() == sample<T>()));

  futura::poll_result<T> copy = ready;  // a copy of a ready result holds an equal value
  BOOST_TEST(copy.is_ready());
  BOOST_TEST((copy.value() == sample<T>()));
  copy = not_yet;  // and assigning pending makes it pending again
  BOOST_TEST(copy.is_pending());
  copy = ready;
  BOOST_TEST((copy.value() == sample<T>()));

  futura::poll_result<T> moved = std::move(ready);
  BOOST_TEST(moved.is_ready());
  BOOST_TEST((moved.take() == sample<T>()));
  BOOST_TEST((std::move(copy).value() == sample<T>()));
}

BOOST_AUTO_TEST_CASE(a_scalar_or_empty_result_stays_as_small_and_trivial_as_its_value) {
  // What lets a poll that returns one across a call do it in registers (docs/performance.md,
  // "Change 14"): two words at most, trivially copyable.
  static_assert(std::is_trivially_copyable_v<futura::poll_result<int>>);
  static_assert(std::is_trivially_copyable_v<futura::poll_result<futura::unit>>);
  static_assert(std::is_trivially_copyable_v<futura::poll_result<void*>>);
  static_assert(sizeof(futura::poll_result<int>) == 2 * sizeof(int));
  static_assert(sizeof(futura::poll_result<futura::unit>) == 2);
  static_assert(sizeof(futura::poll_result<void*>) == 2 * sizeof(void*));
  // A select's variant is not trivially copyable, so the ABI returns it through memory.
  static_assert(!std::is_trivially_copyable_v<futura::poll_result<std::variant<int, int>>>);
  constexpr futura::poll_result<int> at_compile_time = 3;  // still usable in constant expressions
  static_assert(at_compile_time.is_ready() && at_compile_time.value() == 3);
  BOOST_TEST(at_compile_time.value() == 3);
}

BOOST_AUTO_TEST_CASE(unit_values_compare_equal) {
  BOOST_TEST((futura::unit{} == futura::unit{}));
  BOOST_TEST(!(futura::unit{} != futura::unit{}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(waker)

BOOST_AUTO_TEST_CASE(copy_clones_and_destruction_drops) {
  counting_waker target;
  {
    futura::waker w = target.make();
    BOOST_TEST(target.live_clones() == 1);
    futura::waker copy = w;
    BOOST_TEST(target.live_clones() == 2);
    BOOST_TEST(copy.will_wake(w));
    futura::waker moved = std::move(copy);
    BOOST_TEST(target.live_clones() == 2);
    BOOST_TEST(copy.is_noop());  // NOLINT(bugprone-use-after-move): moved-from is a no-op waker
    copy.wake();                 // harmless
  }
  BOOST_TEST(target.live_clones() == 0);
  BOOST_TEST(target.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(wake_keeps_the_handle_and_wake_and_drop_releases_it) {
  counting_waker target;
  futura::waker w = target.make();
  w.wake();
  w.wake();
  BOOST_TEST(target.wakes() == 2);
  BOOST_TEST(target.live_clones() == 1);
  std::move(w).wake_and_drop();
  BOOST_TEST(target.wakes() == 3);
  BOOST_TEST(target.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(assignment_from_the_same_target_skips_the_clone) {
  counting_waker target;
  futura::waker a = target.make();
  futura::waker b = target.make();
  BOOST_TEST(target.live_clones() == 2);
  a = b;
  BOOST_TEST(target.live_clones() == 2);
  counting_waker other;
  a = other.make();
  BOOST_TEST(target.live_clones() == 1);
  BOOST_TEST(other.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(assignments_release_what_they_replace_and_survive_self_assignment) {
  counting_waker first;
  counting_waker second;
  futura::waker a = first.make();
  futura::waker b = second.make();
  a = std::move(b);  // a's old clone goes, b's moves over
  BOOST_TEST(first.live_clones() == 0);
  BOOST_TEST(second.live_clones() == 1);
  BOOST_TEST(b.is_noop());  // NOLINT(bugprone-use-after-move): moved-from is a no-op waker
  futura::waker& alias = a;
  a = alias;  // self copy: the same target, nothing cloned or dropped
  BOOST_TEST(second.live_clones() == 1);
  a = std::move(alias);  // self move: still holds its handle
  BOOST_TEST(second.live_clones() == 1);
  BOOST_TEST(!a.is_noop());
  a.wake();
  BOOST_TEST(second.wakes() == 1);
  a = futura::waker();  // a no-op replaces it: the clone is dropped
  BOOST_TEST(second.live_clones() == 0);
  BOOST_TEST(second.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(noop_waker_does_nothing_and_will_wake_other_noops) {
  futura::waker a = futura::noop_waker();
  futura::waker b;
  a.wake();
  BOOST_TEST(a.is_noop());
  BOOST_TEST(a.will_wake(b));
  counting_waker target;
  BOOST_TEST(!a.will_wake(target.make()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(future_traits)

BOOST_AUTO_TEST_CASE(is_future_v_recognises_futures_only) {
  static_assert(futura::is_future_v<countdown>);
  static_assert(futura::is_future_v<futura::ready_future<int>>);
  static_assert(futura::is_future_v<countdown&>);
  static_assert(!futura::is_future_v<int>);
  static_assert(!futura::is_future_v<not_a_future>);
  static_assert(!futura::is_future_v<no_poll>);
  static_assert(!futura::is_future_v<wrong_poll_type>);
  static_assert(std::is_same_v<futura::output_t<countdown>, int>);
  static_assert(std::is_same_v<futura::output_t<futura::yield_now_future>, futura::unit>);
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(hand_written_future_from_the_design_brief_yields_42) {
  BOOST_TEST(futura::block_on(countdown(3)) == 42);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(leaves)

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(ready_is_ready_at_first_poll_then_reports_misuse) {
  auto f = futura::ready(std::string("hi"));
  futura::waker w;
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == "hi");
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(ready_without_argument_is_unit) {
  static_assert(std::is_same_v<futura::output_t<decltype(futura::ready())>, futura::unit>);
  futura::waker w;
  auto f = futura::ready();
  BOOST_TEST(f.poll(w).is_ready());
}

BOOST_AUTO_TEST_CASE(pending_forever_stays_pending_and_wakes_nobody) {
  counting_waker target;
  futura::waker w = target.make();
  auto f = futura::pending_forever<int>();
  for (int i = 0; i < 3; ++i) BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(target.wakes() == 0);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(lazy_runs_nothing_before_the_first_poll) {
  int calls = 0;
  auto f = futura::lazy([&] { return ++calls; });
  BOOST_TEST(calls == 0);
  futura::waker w;
  auto r = f.poll(w);
  BOOST_TEST(calls == 1);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 1);
  BOOST_CHECK_THROW((void)f.poll(w), futura::future_error);
  BOOST_TEST(calls == 1);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(lazy_returning_void_gives_unit) {
  bool ran = false;
  auto f = futura::lazy([&] { ran = true; });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  futura::block_on(std::move(f));
  BOOST_TEST(ran);
}

BOOST_AUTO_TEST_CASE(lazy_flattens_a_returned_future_and_keeps_its_captures_alive) {
  probe<int> inner;
  auto owned = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owned;
  auto f = futura::lazy([inner, owned = std::move(owned)] { return inner.future(); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, int>);
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(!watch.expired());  // captures live while the returned future runs
  inner.complete(9);
  BOOST_TEST(target.wakes() == 1);
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 9);
}

BOOST_AUTO_TEST_CASE(lazy_drops_the_running_future_before_the_function_it_came_from) {
  // The future may use what f captured: f must outlive it, also when cancelled.
  struct watcher : futura::future_ext<watcher> {
    using output_type = int;
    std::weak_ptr<int> owned;
    bool* alive_at_drop;
    watcher(std::weak_ptr<int> o, bool* a) : owned(std::move(o)), alive_at_drop(a) {}
    watcher(watcher&& o) noexcept : owned(std::move(o.owned)), alive_at_drop(std::exchange(o.alive_at_drop, nullptr)) {}
    ~watcher() {
      if (alive_at_drop) *alive_at_drop = !owned.expired();
    }
    futura::poll_result<int> poll(futura::waker&) { return futura::pending; }
  };
  bool alive_at_drop = false;
  {
    auto f =
        futura::lazy([owned = std::make_shared<int>(1), &alive_at_drop] { return watcher(owned, &alive_at_drop); });
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(alive_at_drop);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(lazy_exception_propagates_out_of_poll) {
  auto f = futura::lazy([]() -> int { throw std::runtime_error("boom"); });
  BOOST_CHECK_THROW(futura::block_on(std::move(f)), std::runtime_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(poll_fn_is_polled_until_ready) {
  int polls = 0;
  auto f = futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
    if (++polls < 4) {
      w.wake();
      return futura::pending;
    }
    return polls * 10;
  });
  BOOST_TEST(futura::block_on(std::move(f)) == 40);
  BOOST_TEST(polls == 4);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(poll_fn_reports_a_poll_after_ready) {
  auto f = futura::poll_fn<int>([](futura::waker&) -> futura::poll_result<int> { return 1; });
  futura::waker w;
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_CHECK_THROW((void)f.poll(w), futura::future_error);
}

BOOST_AUTO_TEST_CASE(yield_now_is_pending_once_after_waking_itself) {
  counting_waker target;
  futura::waker w = target.make();
  auto f = futura::yield_now();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(target.wakes() == 1);
  BOOST_CHECK_THROW((void)f.poll(w), futura::future_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(error_codes)

BOOST_AUTO_TEST_CASE(future_error_code_compares_equal_to_the_enumerators) {
  futura::future_error e(futura::error::broken_promise);
  BOOST_TEST((e.code() == futura::error::broken_promise));
  BOOST_TEST((e.code() != futura::error::timed_out));
  BOOST_TEST(std::string(e.code().category().name()) == "futura");
  const boost::system::system_error& base = e;  // catchable as a Boost.System error
  BOOST_TEST(base.code().value() == static_cast<int>(futura::error::broken_promise));
}

BOOST_AUTO_TEST_CASE(every_code_has_its_own_message) {
  using futura::error;
  const error all[] = {
      error::broken_promise, error::promise_already_satisfied, error::polled_after_completion, error::aborted,
      error::timed_out,      error::future_already_retrieved, error::closed, error::full, error::empty};
  for (error a : all) {
    boost::system::error_code ca = a;
    BOOST_TEST(!ca.message().empty());
    BOOST_TEST(ca.message() != "unknown futura error");
    for (error b : all) {
      if (a != b) BOOST_TEST(ca.message() != boost::system::error_code(b).message());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
