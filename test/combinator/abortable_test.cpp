// Suite abortable: a future and the handle that aborts it from any thread.
#include <futura/combinator/abortable.hpp>
#include <futura/combinator/and_then.hpp>

#include <support/allocation_counter.hpp>
#include <support/probe.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

namespace {

using futura_test::allocations_during;
using futura_test::counting_waker;
using futura_test::probe;

using futura_test::is_polled_after_completion;

template <class R>
bool is_aborted_result(const R& r) {
  return r.has_error() && r.error() == futura::error::aborted;
}

/// What a `recording_future` saw, shared with the test (and with another thread, through the
/// promise only).
struct recording {
  int polls = 0;
  int destructions = 0;
  std::thread::id destroyed_on;
  std::promise<void> first_poll;
};

/// A future that never completes by itself (it registers no waker: only the abort can end it),
/// signals its first poll, and records which thread destroyed it.
class recording_future : public futura::future_ext<recording_future> {
 public:
  using output_type = int;
  explicit recording_future(std::shared_ptr<recording> r) : rec_(std::move(r)) {}
  recording_future(recording_future&&) = default;
  ~recording_future() {
    if (rec_) {
      ++rec_->destructions;
      rec_->destroyed_on = std::this_thread::get_id();
    }
  }
  futura::poll_result<int> poll(futura::waker&) {
    if (rec_->polls++ == 0) rec_->first_poll.set_value();
    return futura::pending;
  }

 private:
  std::shared_ptr<recording> rec_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(abortable)

BOOST_AUTO_TEST_CASE(abortable_yields_the_inner_value_in_a_result_when_not_aborted) {
  auto [f, handle] = futura::abortable(futura::ready(5));
  static_assert(std::is_same_v<decltype(f), futura::abortable_future<futura::ready_future<int>>>);
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<int>>);
  static_assert(std::is_copy_constructible_v<futura::abort_handle>);
  BOOST_TEST(!handle.is_aborted());
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 5);
  BOOST_TEST(!handle.is_aborted());
}

BOOST_AUTO_TEST_CASE(abort_before_the_first_poll_completes_with_aborted_and_never_polls_the_inner) {
  probe<int> inner;
  inner.complete(1);  // even a ready inner future loses to an earlier abort
  auto [f, handle] = futura::abortable(inner.future());
  handle.abort();
  BOOST_TEST(handle.is_aborted());
  BOOST_TEST(!inner.dropped());  // destroyed by the poll, not by abort()
  counting_waker cw;
  futura::waker w = cw.make();
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(is_aborted_result(r.value()));
  BOOST_TEST(inner.polls() == 0);
  BOOST_TEST(inner.drops() == 1);
}

BOOST_AUTO_TEST_CASE(abort_while_pending_wakes_the_waiting_waker_exactly_once_and_the_next_poll_drops_the_inner) {
  probe<int> inner;
  auto [f, handle] = futura::abortable(inner.future());
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(inner.polls() == 1);
  BOOST_TEST(cw.wakes() == 0);

  handle.abort();
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(!inner.dropped());

  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(is_aborted_result(r.value()));
  BOOST_TEST(inner.polls() == 1);  // not polled again
  BOOST_TEST(inner.drops() == 1);
  BOOST_TEST(cw.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(aborting_many_times_through_copies_of_the_handle_wakes_once) {
  probe<int> inner;
  auto [f, handle] = futura::abortable(inner.future());
  futura::abort_handle copy = handle;
  futura::abort_handle another = copy;
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  copy.abort();
  another.abort();
  handle.abort();
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(handle.is_aborted());
  BOOST_TEST(copy.is_aborted());
  BOOST_TEST(another.is_aborted());
  BOOST_TEST(is_aborted_result(futura::block_on(std::move(f))));
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(abort_after_completion_has_no_effect) {
  probe<int> inner;
  auto [f, handle] = futura::abortable(inner.future());
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  inner.complete(8);
  BOOST_TEST(cw.wakes() == 1);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(*r.value() == 8);

  handle.abort();
  BOOST_TEST(cw.wakes() == 1);  // nobody to wake: the future released its waker when it completed
  BOOST_TEST(handle.is_aborted());
  BOOST_TEST(*r.value() == 8);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(abort_wakes_the_waker_of_the_latest_poll) {
  probe<int> inner;
  auto [f, handle] = futura::abortable(inner.future());
  counting_waker first;
  counting_waker second;
  futura::waker w1 = first.make();
  futura::waker w2 = second.make();
  BOOST_TEST(f.poll(w1).is_pending());
  BOOST_TEST(f.poll(w2).is_pending());
  handle.abort();
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
  BOOST_TEST(is_aborted_result(f.poll(w2).value()));
}

BOOST_AUTO_TEST_CASE(the_abortable_releases_its_waker_when_it_completes_while_the_handle_lives_on) {
  // The inner future keeps no waker of its own, so every clone left is the abortable's.
  bool inner_done = false;
  auto inner = futura::poll_fn<int>([&](futura::waker&) -> futura::poll_result<int> {
    if (inner_done) return 2;
    return futura::pending;
  });
  auto [f, handle] = futura::abortable(std::move(inner));
  counting_waker cw;
  {
    futura::waker w = cw.make();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(cw.live_clones() == 2);  // ours, and the one registered for abort()
    inner_done = true;
    BOOST_TEST(f.poll(w).is_ready());
  }
  BOOST_TEST(cw.live_clones() == 0);
  BOOST_TEST(!handle.is_aborted());
}

BOOST_AUTO_TEST_CASE(dropping_the_abortable_without_abort_drops_the_inner_once_and_releases_its_waker) {
  auto rec = std::make_shared<recording>();
  counting_waker cw;
  futura::abort_handle kept = [&] {
    auto [f, handle] = futura::abortable(recording_future(rec));
    futura::waker w = cw.make();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(cw.live_clones() == 2);
    return handle;
  }();
  BOOST_TEST(rec->destructions == 1);
  BOOST_TEST(cw.live_clones() == 0);
  kept.abort();  // the future is gone: harmless
  BOOST_TEST(kept.is_aborted());
  BOOST_TEST(cw.wakes() == 0);
  BOOST_TEST(rec->destructions == 1);
}

BOOST_AUTO_TEST_CASE(dropping_every_handle_lets_the_future_run_to_completion) {
  probe<int> inner;
  auto pair = futura::abortable(inner.future());
  auto f = std::move(pair.first);
  { futura::abort_handle gone = std::move(pair.second); }
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  inner.complete(6);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(*r.value() == 6);
}

BOOST_AUTO_TEST_CASE(a_moved_from_handle_does_nothing) {
  auto [f, handle] = futura::abortable(futura::ready(1));
  futura::abort_handle taken = std::move(handle);
  handle.abort();  // NOLINT(bugprone-use-after-move): the documented no-op
  BOOST_TEST(!handle.is_aborted());
  BOOST_TEST(!taken.is_aborted());
  BOOST_TEST(*futura::block_on(std::move(f)) == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_inner_future_propagates_and_completes_the_abortable) {
  probe<int> inner;
  auto [f, handle] = futura::abortable(inner.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  inner.fail("inner broke");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(inner.drops() == 1);
  handle.abort();
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(polling_an_aborted_abortable_again_is_rule_4s_error) {
  auto [f, handle] = futura::abortable(futura::pending_forever<int>());
  handle.abort();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(is_aborted_result(f.poll(w).value()));
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(abortable_moves_move_only_outputs) {
  auto [f, handle] = futura::abortable(futura::ready(std::make_unique<int>(3)));
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<std::unique_ptr<int>>>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(**r == 3);
}

BOOST_AUTO_TEST_CASE(abortable_of_a_unit_future_has_output_result_of_unit) {
  auto [f, handle] = futura::abortable(futura::yield_now());
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<futura::unit>>);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());  // yield_now woke itself
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(f.poll(w).value().has_value());
}

BOOST_AUTO_TEST_CASE(an_abortable_moved_between_polls_still_sees_the_abort) {
  probe<int> inner;
  auto [f, handle] = futura::abortable(inner.future());
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  handle.abort();
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(is_aborted_result(moved.poll(w).value()));
  BOOST_TEST(inner.drops() == 1);
}

BOOST_AUTO_TEST_CASE(assigning_over_an_abortable_drops_its_inner_and_releases_its_waker) {
  auto old_rec = std::make_shared<recording>();
  auto [target, old_handle] = futura::abortable(recording_future(old_rec));
  auto new_rec = std::make_shared<recording>();
  auto [source, handle] = futura::abortable(recording_future(new_rec));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(target.poll(w).is_pending());
  BOOST_TEST(cw.live_clones() == 2);

  target = std::move(source);
  BOOST_TEST(old_rec->destructions == 1);
  BOOST_TEST(cw.live_clones() == 1);
  old_handle.abort();  // reaches nothing any more
  BOOST_TEST(cw.wakes() == 0);

  BOOST_TEST(target.poll(w).is_pending());
  handle.abort();
  BOOST_TEST(is_aborted_result(target.poll(w).value()));
  BOOST_TEST(new_rec->polls == 1);
  BOOST_TEST(new_rec->destructions == 1);
}

BOOST_AUTO_TEST_CASE(abortable_output_composes_with_and_then) {
  auto [f, handle] = futura::abortable(futura::pending_forever<int>());
  int calls = 0;
  auto g = std::move(f).and_then([&](int x) { return ++calls + x; });
  handle.abort();
  futura::waker w = futura::noop_waker();
  auto r = g.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(is_aborted_result(r.value()));
  BOOST_TEST(calls == 0);
}

#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK  // exact operator new counts: not under TSan (see the header)
BOOST_AUTO_TEST_CASE(abortable_allocates_once_and_polling_and_aborting_allocate_nothing) {
  probe<int> inner;  // made outside the counted regions: the probe itself allocates
  auto fut = inner.future();
  std::optional<std::pair<futura::abortable_future<futura_test::probe_future<int>>, futura::abort_handle>> pair;
  long building = allocations_during([&] { pair.emplace(futura::abortable(std::move(fut))); });
  counting_waker cw;
  futura::waker w = cw.make();
  bool pending = false;
  bool aborted = false;
  long running = allocations_during([&] {
    pending = pair->first.poll(w).is_pending();
    pair->second.abort();
    futura::abort_handle copy = pair->second;
    aborted = is_aborted_result(pair->first.poll(w).value());
  });
  BOOST_TEST(building == 1);
  BOOST_TEST(running == 0);
  BOOST_TEST(pending);
  BOOST_TEST(aborted);
}
#endif

BOOST_AUTO_TEST_CASE(abort_from_another_thread_while_block_on_waits_ends_it_and_the_polling_thread_destroys_the_inner) {
  for (int i = 0; i < 100; ++i) {
    auto rec = std::make_shared<recording>();
    std::future<void> first_poll = rec->first_poll.get_future();
    auto [f, handle] = futura::abortable(recording_future(rec));
    std::thread aborter([h = handle, &first_poll] {
      first_poll.wait();  // abort while (or just before) block_on parks
      h.abort();
    });
    auto r = futura::block_on(std::move(f));
    aborter.join();
    BOOST_TEST_REQUIRE(is_aborted_result(r));
    // At least the poll the aborter waited for; block_on may poll again on a wake left over
    // from the previous round (an abort that raced with a registration wakes the parker
    // itself), and futures must tolerate such extra polls.
    BOOST_TEST(rec->polls >= 1);
    BOOST_TEST(rec->destructions == 1);
    BOOST_TEST((rec->destroyed_on == std::this_thread::get_id()));
  }
}

BOOST_AUTO_TEST_CASE(abort_racing_with_the_first_poll_always_ends_the_future_with_aborted) {
  for (int i = 0; i < 200; ++i) {
    auto [f, handle] = futura::abortable(futura::pending_forever<int>());
    std::thread aborter([h = handle] { h.abort(); });
    auto r = futura::block_on(std::move(f));
    aborter.join();
    BOOST_TEST_REQUIRE(is_aborted_result(r));
  }
}

BOOST_AUTO_TEST_CASE(abort_from_another_thread_reaches_a_future_that_is_polled_with_a_counting_waker) {
  // No block_on: the test thread polls by hand and waits for the wake as an event.
  for (int i = 0; i < 100; ++i) {
    auto [f, handle] = futura::abortable(futura::pending_forever<int>());
    counting_waker cw;
    futura::waker w = cw.make();
    std::promise<void> go;
    std::thread aborter([h = handle, started = go.get_future()]() mutable {
      started.wait();
      h.abort();
    });
    auto first = f.poll(w);  // registers before the aborter may run
    go.set_value();
    aborter.join();
    if (first.is_ready()) {
      BOOST_FAIL("not aborted yet: the first poll must be pending");
    }
    BOOST_TEST(cw.wakes() == 1);
    BOOST_TEST(is_aborted_result(f.poll(w).value()));
  }
}

BOOST_AUTO_TEST_SUITE_END()
