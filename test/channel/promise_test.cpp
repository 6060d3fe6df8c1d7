// promise / get_future and from_callback: the bridges from callback APIs.
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace futura_test;

namespace {

#if FUTURA_HAS_EXCEPTIONS
bool is(const futura::future_error& e, futura::error code) { return e.code() == code; }
#endif  // FUTURA_HAS_EXCEPTIONS

/// A worker thread that fulfils the promises it is handed, in order.
class promise_setter {
 public:
  promise_setter() : thread_([this] { run(); }) {}
  ~promise_setter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void hand_over(futura::promise<int> p, int value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.emplace_back(std::move(p), value);
    }
    cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job.first.set_value(job.second);
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<futura::promise<int>, int>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(promise)

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(value_set_before_the_first_poll_is_ready_at_once) {
  futura::promise<std::string> p;
  auto f = p.get_future();
  p.set_value("early");
  futura::waker w;
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == "early");
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::polled_after_completion); });
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(set_value_wakes_the_waiting_future_exactly_once) {
  futura::promise<int> p;
  auto f = p.get_future();
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(f.poll(w).is_pending());  // re-registering the same waker wakes nobody
  BOOST_TEST(target.wakes() == 0);
  p.set_value(3);
  BOOST_TEST(target.wakes() == 1);
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 3);
  BOOST_TEST(target.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(the_latest_registered_waker_is_the_one_woken) {
  futura::promise<int> p;
  auto f = p.get_future();
  counting_waker first;
  counting_waker second;
  futura::waker w1 = first.make();
  futura::waker w2 = second.make();
  BOOST_TEST(f.poll(w1).is_pending());
  BOOST_TEST(f.poll(w2).is_pending());
  BOOST_TEST(first.live_clones() == 1);  // the state released its clone of w1
  p.set_value(1);
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(set_value_from_another_thread_wakes_exactly_once) {
  futura::promise<int> p;
  auto f = p.get_future();
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  std::thread t([&] { p.set_value(11); });
  t.join();
  BOOST_TEST(target.wakes() == 1);
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 11);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(set_exception_is_rethrown_by_the_future) {
  futura::promise<int> p;
  auto f = p.get_future();
  p.set_exception(std::make_exception_ptr(std::out_of_range("nope")));
  BOOST_CHECK_THROW(futura::block_on(std::move(f)), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(destroyed_promise_breaks_its_future_and_wakes_it) {
  std::optional<futura::promise<int>> p(std::in_place);
  auto f = p->get_future();
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  p.reset();
  BOOST_TEST(target.wakes() == 1);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::broken_promise); });
}

BOOST_AUTO_TEST_CASE(setting_twice_throws_promise_already_satisfied) {
  futura::promise<int> p;
  auto f = p.get_future();
  p.set_value(1);
  BOOST_CHECK_EXCEPTION(p.set_value(2), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::promise_already_satisfied); });
  BOOST_CHECK_EXCEPTION(p.set_exception(std::make_exception_ptr(std::runtime_error("x"))), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::promise_already_satisfied); });
  BOOST_TEST(futura::block_on(std::move(f)) == 1);
}

BOOST_AUTO_TEST_CASE(get_future_twice_throws_future_already_retrieved) {
  futura::promise<int> p;
  auto f = p.get_future();
  BOOST_CHECK_EXCEPTION((void)p.get_future(), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::future_already_retrieved); });
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(void_promise_gives_unit) {
  futura::promise<void> p;
  auto f = p.get_future();
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  p.set_value();
  futura::block_on(std::move(f).then([] {}));
}

BOOST_AUTO_TEST_CASE(move_only_values_pass_through) {
  futura::promise<std::unique_ptr<int>> p;
  auto f = p.get_future();
  p.set_value(std::make_unique<int>(8));
  BOOST_TEST(*futura::block_on(std::move(f)) == 8);
}

BOOST_AUTO_TEST_CASE(values_are_destroyed_exactly_once_in_every_ending) {
  tracked::reset();
  {
    futura::promise<tracked> p;
    auto f = p.get_future();
    p.set_value(tracked(1));
    BOOST_TEST(futura::block_on(std::move(f)).value == 1);
  }
  {
    futura::promise<tracked> p;
    auto f = p.get_future();
    p.set_value(tracked(2));  // future dropped unpolled: the state frees the value
  }
  {
    futura::promise<tracked> p;  // promise without future
    p.set_value(tracked(3));
  }
  {
    futura::promise<tracked> p;  // neither set nor retrieved
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(dropping_the_future_releases_its_waker_and_a_later_set_is_harmless) {
  futura::promise<int> p;
  counting_waker target;
  {
    auto f = p.get_future();
    futura::waker w = target.make();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(target.live_clones() == 2);
  }
  BOOST_TEST(target.live_clones() == 0);
  p.set_value(5);
  BOOST_TEST(target.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(every_ending_of_a_promise_whose_future_left_first_frees_what_it_stored) {
  // The promise then owns the state alone and deletes it without a compare-and-swap: the value,
  // the exception and the state must still go exactly once (ASan reports a leak otherwise), and
  // nothing is woken.
  tracked::reset();
  counting_waker target;
  futura::waker w = target.make();
  auto left_future = [&](futura::promise<tracked>& p) {
    auto f = p.get_future();
    BOOST_REQUIRE(f.poll(w).is_pending());
  };
  {
    futura::promise<tracked> p;
    left_future(p);
    p.set_value(tracked(1));
    BOOST_TEST(tracked::alive() == 0);  // destroyed with the state, at once
  }
  {
    futura::promise<tracked> p;
    left_future(p);
    p.set_exception(std::make_exception_ptr(std::runtime_error("nobody reads this")));
  }
  {
    futura::promise<tracked> p;
    left_future(p);
  }  // broken
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(target.wakes() == 0);
  BOOST_TEST(target.live_clones() == 1);  // only w
}

BOOST_AUTO_TEST_CASE(promise_fulfilled_from_another_thread_100000_times) {
  promise_setter setter;
  long long sum = 0;
  constexpr int rounds = 100000;
  for (int i = 0; i < rounds; ++i) {
    futura::promise<int> p;
    auto f = p.get_future();
    setter.hand_over(std::move(p), i);
    int v = futura::block_on(std::move(f));
    BOOST_REQUIRE_EQUAL(v, i);
    sum += v;
  }
  BOOST_TEST(sum == static_cast<long long>(rounds) * (rounds - 1) / 2);
}

BOOST_AUTO_TEST_CASE(set_value_racing_the_first_poll_loses_no_wakeup) {
  // The setter starts together with the poll; block_on would hang on a lost wakeup.
  for (int i = 0; i < 2000; ++i) {
    futura::promise<int> p;
    auto f = p.get_future();
    std::thread t([p = std::move(p), i]() mutable { p.set_value(i); });
    BOOST_REQUIRE_EQUAL(futura::block_on(std::move(f)), i);
    t.join();
  }
}

BOOST_AUTO_TEST_CASE(the_promise_may_be_destroyed_as_soon_as_its_future_saw_the_value) {
  // The waiting side tears down while set_value may still be waking on the setter's thread.
  for (int i = 0; i < 2000; ++i) {
    auto p = std::make_unique<futura::promise<int>>();
    auto f = p->get_future();
    std::thread setter([raw = p.get(), i] { raw->set_value(i); });
    // Poll without parking, so the value is seen the moment it is stored (the widest window).
    futura::waker w;
    std::optional<int> got;
    while (!got) {
      auto r = f.poll(w);
      if (r.is_ready()) got = r.value();
    }
    BOOST_REQUIRE_EQUAL(*got, i);
    p.reset();
    setter.join();
  }
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_value_set_before_get_future_is_ready_at_the_first_poll) {
  futura::promise<std::string> p;
  p.set_value("before");
  auto f = p.get_future();
  futura::waker w;
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == "before");
  BOOST_CHECK_EXCEPTION(p.set_value("again"), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::promise_already_satisfied); });
}

BOOST_AUTO_TEST_CASE(a_promise_set_without_a_future_destroys_its_value) {
  tracked::reset();
  {
    futura::promise<tracked> p;
    p.set_value(tracked(3));
  }
  {
    futura::promise<tracked> p;
    p.set_exception(std::make_exception_ptr(std::runtime_error("unused")));
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_moved_promise_carries_its_state_and_flags) {
  futura::promise<int> p;
  auto f = p.get_future();
  futura::promise<int> q(std::move(p));
  BOOST_CHECK_EXCEPTION((void)q.get_future(), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::future_already_retrieved); });
  q.set_value(8);
  BOOST_CHECK_EXCEPTION(q.set_value(9), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::promise_already_satisfied); });
  futura::waker w;
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 8);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(switching_wakers_while_the_value_is_set_loses_no_wakeup_and_leaks_no_clone) {
  // The receiver rewrites its waker slot (two wakers, alternately) while another thread
  // completes: the sender must wake exactly the waker registered last before its completion,
  // once, and every clone must be released.
  for (int i = 0; i < 2000; ++i) {
    counting_waker a;
    counting_waker b;
    futura::waker wa = a.make();
    futura::waker wb = b.make();
    futura::promise<int> p;
    auto f = p.get_future();
    std::atomic<bool> go{false};
    std::thread setter([&] {
      while (!go.load()) std::this_thread::yield();
      p.set_value(i);
    });
    go = true;
    bool ready = false;
    bool last_was_b = false;
    for (int polls = 0; polls < 64 && !ready; ++polls) {
      last_was_b = (polls % 2) == 1;
      auto r = f.poll(last_was_b ? wb : wa);
      if (r.is_ready()) {
        BOOST_REQUIRE_EQUAL(r.value(), i);
        ready = true;
      }
    }
    if (!ready) {
      // Pending at the last poll: the waker registered by that poll must be woken.
      counting_waker& last = last_was_b ? b : a;
      while (last.wakes() == 0) std::this_thread::yield();
      auto r = f.poll(last_was_b ? wb : wa);
      BOOST_REQUIRE(r.is_ready());
      BOOST_REQUIRE_EQUAL(r.value(), i);
    }
    setter.join();
    BOOST_REQUIRE_LE(a.wakes() + b.wakes(), 1);
    BOOST_REQUIRE_EQUAL(a.live_clones(), 1);  // only wa
    BOOST_REQUIRE_EQUAL(b.live_clones(), 1);  // only wb
  }
}

BOOST_AUTO_TEST_CASE(dropping_the_future_while_the_value_is_set_releases_everything_once) {
  tracked::reset();
  for (int i = 0; i < 2000; ++i) {
    counting_waker target;
    futura::promise<tracked> p;
    auto f = std::make_optional(p.get_future());
    futura::waker w = target.make();
    BOOST_REQUIRE(f->poll(w).is_pending());
    std::atomic<bool> go{false};
    std::thread setter([&] {
      while (!go.load()) std::this_thread::yield();
      p.set_value(tracked(i));
    });
    go = true;
    f.reset();
    setter.join();
    BOOST_REQUIRE_LE(target.wakes(), 1);
    BOOST_REQUIRE_EQUAL(target.live_clones(), 1);  // only w
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(destroying_the_promise_while_the_future_is_dropped_frees_the_state_once) {
  // Both sides leave at once without a value: exactly one of them deletes the state (ASan
  // reports a double free or a leak otherwise).
  for (int i = 0; i < 2000; ++i) {
    counting_waker target;
    auto p = std::make_optional<futura::promise<int>>();
    auto f = std::make_optional(p->get_future());
    futura::waker w = target.make();
    BOOST_REQUIRE(f->poll(w).is_pending());
    std::atomic<bool> go{false};
    std::thread other([&] {
      while (!go.load()) std::this_thread::yield();
      p.reset();
    });
    go = true;
    f.reset();
    other.join();
    BOOST_REQUIRE_EQUAL(target.live_clones(), 1);
  }
}

#if FUTURA_CHAOS_ENABLED
namespace {
// Wakers whose every clone is a distinct object (its id in the data pointer), of which the
// receiver holds exactly one at a time: waking or dropping any other clone is a use of a waker
// the receiver already dropped (a use after free, for a real waker).
struct distinct_clones {
  static inline std::atomic<std::uintptr_t> next_id{16};
  static inline std::atomic<std::uintptr_t> held{0};  // the one clone alive (0: none)
  static inline std::atomic<int> stale_uses{0};
  static inline std::atomic<int> wakes{0};

  static futura::raw_waker clone(void*) noexcept {
    const std::uintptr_t id = next_id.fetch_add(1);
    held.store(id);
    return {&vtable, reinterpret_cast<void*>(id)};
  }
  static void use(void* p) noexcept {
    std::uintptr_t expected = reinterpret_cast<std::uintptr_t>(p);
    if (!held.compare_exchange_strong(expected, 0)) ++stale_uses;
  }
  static void wake(void* p) noexcept {
    ++wakes;
    use(p);
  }
  static void wake_by_ref(void*) noexcept { ++wakes; }
  static void drop(void* p) noexcept { use(p); }
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};
  /// A borrowed waker of this family (the test's own; never dropped through the vtable).
  static futura::raw_waker borrowed(std::uintptr_t id) noexcept { return {&vtable, reinterpret_cast<void*>(id)}; }
};
}  // namespace

BOOST_AUTO_TEST_CASE(a_sender_preempted_across_2_pow_25_registrations_still_takes_the_current_waker) {
  // Reliability I, defect 5: the sender reads the slot, then CASes the word expecting it
  // unchanged; the generation in the word tells it that the receiver rewrote the slot
  // meanwhile. With 25 bits of generation, 2^25 registrations brought the word back to the
  // value the sender read, its CAS succeeded, and it woke and dropped a waker the receiver had
  // dropped long ago. Held at its CAS by a gate, the sender must take the current waker.
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& at_cas = gates.add("oneshot.complete.before_cas");
  futura::promise<int> p;
  auto f = p.get_future();
  futura::detail::borrowed_waker a(distinct_clones::borrowed(1));
  futura::detail::borrowed_waker b(distinct_clones::borrowed(2));
  BOOST_REQUIRE(f.poll(a.get()).is_pending());
  std::thread sender([&] {
    at_cas.bind_this_thread();
    p.set_value(42);
  });
  at_cas.wait_reached();  // the sender has read the slot (a clone of `a`) and waits at its CAS
  constexpr std::uint32_t registrations = std::uint32_t{1} << 25;  // a full cycle of the old count
  for (std::uint32_t i = 0; i < registrations; ++i) {
    BOOST_REQUIRE(f.poll((i % 2 == 0 ? b : a).get()).is_pending());  // a different waker each time
  }
  at_cas.open();
  sender.join();
  BOOST_TEST(distinct_clones::stale_uses.load() == 0);
  BOOST_TEST(distinct_clones::held.load() == 0);  // the registered clone was woken and dropped
  BOOST_TEST(distinct_clones::wakes.load() == 1);
  BOOST_TEST(value_of(f.poll(a.get())) == 42);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(from_callback)

BOOST_AUTO_TEST_CASE(init_runs_at_the_first_poll_only) {
  int inits = 0;
  auto f = futura::from_callback<int>([&](auto cb) {
    ++inits;
    cb(4);
  });
  BOOST_TEST(inits == 0);
  BOOST_TEST(futura::block_on(std::move(f)) == 4);
  BOOST_TEST(inits == 1);
}

BOOST_AUTO_TEST_CASE(first_call_wins_and_later_calls_are_ignored) {
  std::function<void(int)> saved;
  auto f = futura::from_callback<int>([&](std::function<void(int)> cb) { saved = std::move(cb); });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  saved(1);
  saved(2);
  BOOST_TEST(target.wakes() == 1);
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 1);
  saved(3);  // after completion: still harmless
}

BOOST_AUTO_TEST_CASE(callback_called_from_another_thread) {
  std::thread worker;
  auto f = futura::from_callback<std::string>(
      [&](futura::callback_handle<std::string> cb) { worker = std::thread([cb] { cb("from a thread"); }); });
  BOOST_TEST(futura::block_on(std::move(f)) == "from a thread");
  worker.join();
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(every_copy_dropped_uncalled_breaks_the_future) {
  std::function<void(int)> saved;
  auto f = futura::from_callback<int>([&](std::function<void(int)> cb) { saved = cb; });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  saved = nullptr;
  BOOST_TEST(target.wakes() == 1);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error,
                        [](const futura::future_error& e) { return is(e, futura::error::broken_promise); });
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(void_callback_gives_unit) {
  auto f = futura::from_callback<void>([](auto cb) { cb(); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  futura::block_on(std::move(f));
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(exception_from_init_propagates) {
  auto f = futura::from_callback<int>([](auto) { throw std::runtime_error("init failed"); });
  BOOST_CHECK_THROW(futura::block_on(std::move(f)), std::runtime_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(a_call_racing_the_drop_of_the_other_copy_always_delivers_the_value) {
  // The calling copy is alive during its call, so the future never breaks, whichever of the
  // call and the other copy's drop comes first.
  for (int i = 0; i < 2000; ++i) {
    std::optional<futura::callback_handle<int>> mine;
    auto f = futura::from_callback<int>([&](futura::callback_handle<int> cb) { mine.emplace(std::move(cb)); });
    futura::waker w;
    BOOST_REQUIRE(f.poll(w).is_pending());
    std::atomic<bool> go{false};
    std::thread caller([&, cb = *mine]() mutable {
      while (!go.load()) std::this_thread::yield();
      cb(i);
    });
    go = true;
    mine.reset();
    caller.join();
    auto r = f.poll(w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_REQUIRE_EQUAL(r.value(), i);
  }
}

BOOST_AUTO_TEST_CASE(a_moved_from_callback_handle_may_be_copied_destroyed_and_called) {
  // Reliability I, defect 4: copying a moved-from handle dereferenced a null state.
  std::optional<futura::callback_handle<int>> kept;
  std::optional<futura::callback_handle<int>> husk;
  auto f = futura::from_callback<int>([&](futura::callback_handle<int> cb) {
    kept.emplace(std::move(cb));
    husk.emplace(std::move(cb));  // cb is moved-from: husk is empty
  });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_REQUIRE(f.poll(w).is_pending());
  {
    futura::callback_handle<int> copy(*husk);  // copy of an empty handle: empty
    futura::callback_handle<int> assigned(*kept);
    assigned = *husk;  // assigning an empty handle releases a sender
    copy(7);           // a call on an empty handle does nothing
    (*husk)(8);
    std::function<void(int)> as_function = copy;  // and it still fits a std::function
    as_function(9);
  }
  husk.reset();
  BOOST_TEST(target.wakes() == 0);  // none of that completed or broke the future
  BOOST_TEST(f.poll(w).is_pending());
  (*kept)(5);  // the live handle still delivers
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(value_of(f.poll(w)) == 5);
}

BOOST_AUTO_TEST_CASE(dropping_the_future_before_the_callback_fires_is_safe) {
  std::function<void(tracked)> saved;
  tracked::reset();
  {
    auto f = futura::from_callback<tracked>([&](std::function<void(tracked)> cb) { saved = std::move(cb); });
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
  }
  saved(tracked(1));
  saved = nullptr;
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
