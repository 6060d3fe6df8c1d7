// Tests of futura/combinator/join.hpp and join_all.hpp: the contract sentences of their header
// comments and of design.md's join rows.
#include <support/allocation_counter.hpp>
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>

#include <futura/combinator/join.hpp>
#include <futura/combinator/join_all.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <list>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using futura_test::counting_waker;
using futura_test::probe;
using futura_test::tracked;

using futura_test::is_polled_after_completion;

/// A leaf whose stored waker the test can wake at will (probe wakes only when completing).
template <class T>
struct stub_state {
  int polls = 0;
  int drops = 0;
  futura::waker last_waker;
  std::optional<T> value;
};

template <class T>
class stub_future : public futura::future_ext<stub_future<T>> {
 public:
  using output_type = T;
  explicit stub_future(std::shared_ptr<stub_state<T>> s) : state_(std::move(s)) {}
  stub_future(stub_future&& o) noexcept : state_(std::move(o.state_)) {}
  stub_future& operator=(stub_future&&) = delete;
  ~stub_future() {
    if (state_) ++state_->drops;
  }
  futura::poll_result<T> poll(futura::waker& w) {
    ++state_->polls;
    state_->last_waker = w;
    if (!state_->value) return futura::pending;
    futura::poll_result<T> r(std::in_place, std::move(*state_->value));
    state_->value.reset();
    return r;
  }

 private:
  std::shared_ptr<stub_state<T>> state_;
};

template <class T>
class stub {
 public:
  stub() : state_(std::make_shared<stub_state<T>>()) {}
  stub_future<T> future() const { return stub_future<T>(state_); }
  /// Wakes the last waker the future was polled with, without completing it.
  void wake() const { state_->last_waker.wake(); }
  void set(T v) const { state_->value.emplace(std::move(v)); }
  int polls() const { return state_->polls; }
  int drops() const { return state_->drops; }
  /// A clone of the last waker, for waking from another thread.
  futura::waker waker_clone() const { return state_->last_waker; }
  /// Drops the stored waker clone (a leaf that no longer needs it).
  void forget_waker() const { state_->last_waker = futura::waker(); }

 private:
  std::shared_ptr<stub_state<T>> state_;
};

/// A child that wakes itself and stays pending for `k` polls, then is ready with `k`.
auto self_waking(int k, std::shared_ptr<int> polls) {
  return futura::poll_fn<int>([k, polls](futura::waker& w) -> futura::poll_result<int> {
    if ((*polls)++ < k) {
      w.wake();
      return futura::pending;
    }
    return k;
  });
}

template <std::size_t N, std::size_t... Is>
auto join_of_probes(std::array<probe<int>, N>& probes, std::index_sequence<Is...>) {
  return futura::join(probes[Is].future()...);
}

}  // namespace

namespace {
/// A child that completes after `target` wakes sent from another thread.
struct repeated_wakes {
  std::atomic<int> count{0};
  futura::detail::atomic_waker waker;
};
auto counted_child(repeated_wakes& s, int target) {
  return futura::poll_fn<int>([&s, target](futura::waker& w) -> futura::poll_result<int> {
    s.waker.register_waker(w);
    if (s.count.load(std::memory_order_acquire) >= target) return target;
    return futura::pending;
  });
}
}  // namespace

namespace {
/// A waker target whose wake blocks until the test opens its gate: holds a wake "in flight" so
/// the test can act on the join meanwhile, deterministically.
class gate_waker {
 public:
  futura::waker make() {
    clones_.fetch_add(1);
    return futura::waker(futura::raw_waker{&vtable, this});
  }
  void close_gate() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = false;
  }
  void open_gate() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  /// Blocks until a wake is inside (blocked on the closed gate).
  void wait_for_wake_inside() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return inside_ > 0; });
  }
  int wakes() const { return wakes_.load(); }
  int live_clones() const { return clones_.load(); }

 private:
  static futura::raw_waker clone(void* p) {
    static_cast<gate_waker*>(p)->clones_.fetch_add(1);
    return {&vtable, p};
  }
  static void wake(void* p) {
    wake_by_ref(p);
    drop(p);
  }
  static void wake_by_ref(void* p) {
    auto* g = static_cast<gate_waker*>(p);
    g->wakes_.fetch_add(1);
    std::unique_lock<std::mutex> lock(g->mutex_);
    ++g->inside_;
    g->cv_.notify_all();
    g->cv_.wait(lock, [&] { return g->open_; });
    --g->inside_;
  }
  static void drop(void* p) { static_cast<gate_waker*>(p)->clones_.fetch_sub(1); }
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};

  std::atomic<int> wakes_{0};
  std::atomic<int> clones_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = true;
  int inside_ = 0;
};
}  // namespace

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(join)

BOOST_AUTO_TEST_CASE(join_yields_outputs_in_argument_order_whatever_order_the_children_complete) {
  std::array<int, 3> order{0, 1, 2};
  int permutations = 0;
  do {
    std::array<probe<int>, 3> p;
    auto j = futura::join(p[0].future(), p[1].future(), p[2].future());
    counting_waker cw;
    futura::waker w = cw.make();
    BOOST_TEST(j.poll(w).is_pending());
    for (std::size_t k = 0; k < 3; ++k) {
      int i = order[k];
      p[i].complete((i + 1) * 10);
      auto r = j.poll(w);
      BOOST_TEST(r.is_ready() == (k == 2));
      if (r.is_ready()) {
        auto [a, b, c] = r.take();
        BOOST_TEST(a == 10);
        BOOST_TEST(b == 20);
        BOOST_TEST(c == 30);
      }
    }
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  BOOST_TEST(permutations == 6);
}

BOOST_AUTO_TEST_CASE(join_of_children_ready_at_once_is_ready_at_the_first_poll) {
  auto j = futura::join(futura::ready(1), futura::ready(std::string("two")), futura::ready());
  static_assert(std::is_same_v<futura::output_t<decltype(j)>, std::tuple<int, std::string, futura::unit>>);
  futura::waker w = futura::noop_waker();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(std::get<0>(r.value()) == 1);
  BOOST_TEST(std::get<1>(r.value()) == "two");
}

BOOST_AUTO_TEST_CASE(join_waits_for_a_child_completing_later_beside_one_ready_at_once) {
  probe<int> later;
  auto j = futura::join(futura::ready(std::string("now")), later.future());
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(cw.wakes() == 0);
  later.complete(5);
  BOOST_TEST(cw.wakes() == 1);
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(std::get<0>(r.value()) == "now");
  BOOST_TEST(std::get<1>(r.value()) == 5);
}

BOOST_AUTO_TEST_CASE(join_is_a_future_of_block_on) {
  futura::promise<int> p;
  auto j = futura::join(p.get_future(), futura::ready(2));
  p.set_value(1);
  auto [a, b] = futura::block_on(std::move(j));
  BOOST_TEST(a == 1);
  BOOST_TEST(b == 2);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(join_poll_throws_when_a_child_fails_at_the_first_poll_and_is_then_complete) {
  probe<int> failing, other;
  failing.fail("at once");
  {
    auto j = futura::join(other.future(), failing.future());
    futura::waker w = futura::noop_waker();
    BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
    BOOST_TEST(other.polls() == 1);  // argument order: the first child was polled before
    BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
    BOOST_TEST(!other.dropped());  // the others are destroyed with the join, not before
  }
  BOOST_TEST(other.drops() == 1);
  BOOST_TEST(failing.drops() == 1);
}

BOOST_AUTO_TEST_CASE(join_poll_throws_when_a_child_throws_later_and_the_others_die_with_the_join) {
  probe<int> a, b, c;
  {
    auto j = futura::join(a.future(), b.future(), c.future());
    futura::waker w = futura::noop_waker();
    BOOST_TEST(j.poll(w).is_pending());
    b.fail("later");
    BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
    BOOST_TEST(a.polls() == 1);  // not woken: not polled
    BOOST_TEST(c.polls() == 1);
    BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
    BOOST_TEST(a.drops() == 0);
  }
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
  BOOST_TEST(c.drops() == 1);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(join_wakes_its_waker_once_per_batch_of_child_wakes) {
  // join and join_all share one wake algorithm (wake_tree.hpp): child wakes between two polls of
  // the join are one batch; the first wakes the parent, the others only mark their children for
  // the poll that wake causes.
  stub<int> a, b;
  auto j = futura::join(a.future(), b.future());
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(cw.wakes() == 0);
  a.wake();
  BOOST_TEST(cw.wakes() == 1);
  b.wake();
  a.wake();  // a second wake of a child already marked
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(a.polls() == 2);  // polled once for its two wakes
  BOOST_TEST(b.polls() == 2);
  b.wake();  // the poll drained the batch: the next child wake wakes the parent again
  BOOST_TEST(cw.wakes() == 2);
}

BOOST_AUTO_TEST_CASE(join_repolls_only_the_children_that_were_woken) {
  stub<int> a, b, c;
  auto j = futura::join(a.future(), b.future(), c.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(a.polls() == 1);
  BOOST_TEST(b.polls() == 1);
  BOOST_TEST(c.polls() == 1);
  BOOST_TEST(j.poll(w).is_pending());  // nothing woken: nothing polled
  BOOST_TEST(a.polls() + b.polls() + c.polls() == 3);
  b.wake();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(a.polls() == 1);
  BOOST_TEST(b.polls() == 2);
  BOOST_TEST(c.polls() == 1);
  c.wake();
  a.wake();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(a.polls() == 2);
  BOOST_TEST(b.polls() == 2);
  BOOST_TEST(c.polls() == 2);
}

BOOST_AUTO_TEST_CASE(join_polls_woken_children_in_argument_order) {
  std::vector<int> polled;
  std::array<stub<int>, 3> s;
  auto child = [&](int i) {
    return futura::poll_fn<int>([&polled, i, f = s[i].future()](futura::waker& w) mutable {
      polled.push_back(i);
      return f.poll(w);
    });
  };
  auto j = futura::join(child(0), child(1), child(2));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST((polled == std::vector<int>{0, 1, 2}));
  polled.clear();
  s[2].wake();
  s[0].wake();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST((polled == std::vector<int>{0, 2}));
}

BOOST_AUTO_TEST_CASE(join_of_more_than_64_children_repolls_only_the_woken_ones) {
  std::array<probe<int>, 70> p;
  auto j = join_of_probes(p, std::make_index_sequence<70>{});
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  for (auto& x : p) BOOST_TEST(x.polls() == 1);
  p[66].complete(66);
  p[3].complete(3);
  BOOST_TEST(j.poll(w).is_pending());
  for (std::size_t i = 0; i < p.size(); ++i) BOOST_TEST(p[i].polls() == (i == 66 || i == 3 ? 2 : 1));
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i != 66 && i != 3) p[i].complete(static_cast<int>(i));
  }
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(std::get<0>(r.value()) == 0);
  BOOST_TEST(std::get<3>(r.value()) == 3);
  BOOST_TEST(std::get<66>(r.value()) == 66);
  BOOST_TEST(std::get<69>(r.value()) == 69);
}

BOOST_AUTO_TEST_CASE(join_destroys_a_finished_child_at_once) {
  probe<int> a, b;
  auto j = futura::join(a.future(), b.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  a.complete(1);
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(a.drops() == 1);  // finished: gone before the join completes
  BOOST_TEST(b.drops() == 0);
}

BOOST_AUTO_TEST_CASE(dropping_a_join_drops_every_child_and_kept_output_exactly_once) {
  tracked::reset();
  {
    probe<tracked> a, b;
    { auto never_polled = futura::join(a.future(), b.future()); }
    BOOST_TEST(a.drops() == 1);
    BOOST_TEST(b.drops() == 1);
  }
  {
    probe<tracked> a, b, c;
    {
      auto j = futura::join(a.future(), b.future(), c.future());
      futura::waker w = futura::noop_waker();
      BOOST_TEST(j.poll(w).is_pending());
      b.complete(tracked(2));
      BOOST_TEST(j.poll(w).is_pending());
      BOOST_TEST(tracked::alive() == 1);  // b's output, kept in the join
    }
    BOOST_TEST(a.drops() == 1);
    BOOST_TEST(b.drops() == 1);
    BOOST_TEST(c.drops() == 1);
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(join_carries_move_only_outputs) {
  probe<std::unique_ptr<int>> a;
  auto j = futura::join(a.future(), futura::ready(std::make_unique<int>(2)));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  a.complete(std::make_unique<int>(1));
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  auto [x, y] = r.take();
  BOOST_TEST(*x == 1);
  BOOST_TEST(*y == 2);
}

BOOST_AUTO_TEST_CASE(join_moved_between_polls_is_woken_through_the_wakers_its_children_kept) {
  probe<int> a, b;
  auto first = futura::join(a.future(), b.future());
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(first.poll(w).is_pending());
  auto moved = std::move(first);
  a.complete(1);  // wakes the waker handed out before the move
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(moved.poll(w).is_pending());
  BOOST_TEST(a.polls() == 2);
  BOOST_TEST(b.polls() == 1);
  auto again = std::move(moved);
  b.complete(2);
  BOOST_TEST(cw.wakes() == 2);
  auto r = again.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(std::get<0>(r.value()) == 1);
  BOOST_TEST(std::get<1>(r.value()) == 2);
}

BOOST_AUTO_TEST_CASE(a_child_waker_outliving_the_join_is_harmless_and_the_parent_waker_is_released) {
  stub<int> a;
  counting_waker cw;
  {
    auto j = futura::join(a.future(), futura::ready(1));
    futura::waker w = cw.make();
    BOOST_TEST(j.poll(w).is_pending());
    BOOST_TEST(cw.live_clones() == 2);  // ours and the join's
  }
  BOOST_TEST(cw.live_clones() == 0);  // the dropped join no longer holds its parent's waker
  a.wake();                           // the stub still holds a clone of its child waker
  BOOST_TEST(cw.wakes() == 0);
  a.forget_waker();  // the last reference: frees the wake state (ASan checks the rest)
}

BOOST_AUTO_TEST_CASE(a_completed_join_releases_the_parent_waker_and_ignores_late_wakes) {
  stub<int> a;
  counting_waker cw;
  auto j = futura::join(a.future());
  {
    futura::waker w = cw.make();
    BOOST_TEST(j.poll(w).is_pending());
    a.set(4);
    a.wake();
    auto r = j.poll(w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_TEST(std::get<0>(r.value()) == 4);
  }
  BOOST_TEST(cw.live_clones() == 0);
  int wakes = cw.wakes();
  a.wake();  // the finished child's waker: nothing happens
  BOOST_TEST(cw.wakes() == wakes);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(polling_a_completed_join_throws_polled_after_completion) {
  auto j = futura::join(futura::ready(1));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_ready());
  BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(join_polls_a_self_waking_child_once_per_poll) {
  auto polls = std::make_shared<int>(0);
  probe<int> other;
  auto j = futura::join(self_waking(3, polls), other.future());
  counting_waker cw;
  futura::waker w = cw.make();
  for (int i = 1; i <= 3; ++i) {
    BOOST_TEST(j.poll(w).is_pending());
    BOOST_TEST(*polls == i);
    BOOST_TEST(cw.wakes() == i);  // its self-wake reached the parent
    BOOST_TEST(other.polls() == 1);
  }
  other.complete(9);
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(std::get<0>(r.value()) == 3);
  BOOST_TEST(*polls == 4);
}

BOOST_AUTO_TEST_CASE(join_forwards_child_wakes_to_the_waker_of_the_latest_poll) {
  stub<int> a;
  auto j = futura::join(a.future());
  counting_waker first, second;
  {
    futura::waker w1 = first.make();
    BOOST_TEST(j.poll(w1).is_pending());
  }
  {
    futura::waker w2 = second.make();
    BOOST_TEST(j.poll(w2).is_pending());
  }
  BOOST_TEST(first.live_clones() == 0);  // replaced, so released
  a.wake();
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(a_poll_with_a_new_waker_while_a_wake_is_in_flight_polls_the_woken_child_and_keeps_the_new_waker) {
  // The wake in flight took the old waker out of the parent slot: the new poll finds the slot
  // free, stores its waker without a spurious wake, and polls the child that wake marked. Later
  // child wakes reach only the new waker.
  stub<int> a, b;
  gate_waker gate;
  counting_waker cw;
  auto j = futura::join(a.future(), b.future());
  {
    futura::waker g = gate.make();
    BOOST_TEST(j.poll(g).is_pending());
  }
  gate.close_gate();
  std::thread waking([child = a.waker_clone()] { child.wake(); });  // held in the gate waker
  gate.wait_for_wake_inside();
  futura::waker w = cw.make();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(cw.wakes() == 0);
  BOOST_TEST(a.polls() == 2);  // the in-flight wake had marked a: polled now
  gate.open_gate();
  waking.join();
  BOOST_TEST(gate.live_clones() == 0);
  BOOST_TEST(gate.wakes() == 1);
  b.wake();
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(gate.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(a_join_dropped_while_a_wake_is_in_flight_releases_the_parent_waker_when_that_wake_ends) {
  stub<int> a;
  gate_waker gate;
  std::optional<futura::join_future<stub_future<int>>> j(futura::join(a.future()));
  {
    futura::waker g = gate.make();
    BOOST_TEST(j->poll(g).is_pending());
  }
  gate.close_gate();
  std::thread waking([child = a.waker_clone()] { child.wake(); });
  gate.wait_for_wake_inside();
  j.reset();                            // never blocks, even with a wake reading the parent waker
  BOOST_TEST(gate.live_clones() == 1);  // still being read: the wake in flight releases it
  gate.open_gate();
  waking.join();
  BOOST_TEST(gate.live_clones() == 0);
  BOOST_TEST(gate.wakes() == 1);
  a.wake();  // later wakes reach nothing
  BOOST_TEST(gate.wakes() == 1);
}

#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK  // exact operator new counts: not under TSan (see the header)
BOOST_AUTO_TEST_CASE(join_allocates_once_at_the_first_poll_and_never_after) {
  probe<int> a, b;
  futura_test::allocation_count allocations;
  auto j = futura::join(a.future(), b.future(), futura::ready(3));
  BOOST_TEST(allocations.this_thread() == 0);  // lazy: nothing before the first poll
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(allocations.this_thread() == 1);
  a.complete(1);
  BOOST_TEST(j.poll(w).is_pending());
  b.complete(2);
  BOOST_TEST(j.poll(w).is_ready());
  BOOST_TEST(allocations.this_thread() == 1);
}
#endif

BOOST_AUTO_TEST_CASE(join_under_block_on_gets_values_set_by_other_threads) {
  for (int round = 0; round < 50; ++round) {
    futura::promise<int> p1, p2;
    futura::promise<std::string> p3;
    auto j = futura::join(p1.get_future(), p2.get_future(), p3.get_future());
    std::thread t1([p = std::move(p1)]() mutable { p.set_value(1); });
    std::thread t2([p = std::move(p2)]() mutable { p.set_value(2); });
    std::thread t3([p = std::move(p3)]() mutable { p.set_value("three"); });
    auto [a, b, c] = futura::block_on(std::move(j));
    t1.join();
    t2.join();
    t3.join();
    BOOST_TEST(a == 1);
    BOOST_TEST(b == 2);
    BOOST_TEST(c == "three");
  }
}

BOOST_AUTO_TEST_CASE(join_loses_no_wake_while_its_poller_changes_wakers_under_concurrent_child_wakes) {
  // The poller alternates between two wakers, so each poll re-registers the parent waker while
  // another thread is waking the children; after `pending`, the waker of that poll must be woken.
  constexpr int target = 2000;
  repeated_wakes s1, s2;
  auto j = futura::join(counted_child(s1, target), counted_child(s2, target));
  std::thread waker_thread([&] {
    for (int i = 0; i < target; ++i) {
      s1.count.fetch_add(1, std::memory_order_release);
      s1.waker.wake();
      s2.count.fetch_add(1, std::memory_order_release);
      s2.waker.wake();
    }
  });
  std::array<counting_waker, 2> targets;
  int polls = 0;
  for (;;) {
    counting_waker& cw = targets[polls++ % 2];
    int before = cw.wakes();
    futura::waker w = cw.make();
    auto r = j.poll(w);
    if (r.is_ready()) {
      BOOST_TEST(std::get<0>(r.value()) == target);
      BOOST_TEST(std::get<1>(r.value()) == target);
      break;
    }
    while (cw.wakes() == before) std::this_thread::yield();  // rule 3: this waker will be woken
  }
  waker_thread.join();
  BOOST_TEST(targets[0].live_clones() == 0);
  BOOST_TEST(targets[1].live_clones() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
namespace {

/// A light probe for large joins: the children share one poll counter; the test completes a
/// child by setting its value and waking the waker it kept.
struct light_slot {
  futura::waker waker;
  std::optional<int> value;
};

class light_child : public futura::future_ext<light_child> {
 public:
  using output_type = int;
  light_child(light_slot* slot, long* polls) : slot_(slot), polls_(polls) {}
  futura::poll_result<int> poll(futura::waker& w) {
    ++*polls_;
    if (slot_->value) return *slot_->value;
    if (!slot_->waker.will_wake(w)) slot_->waker = w;
    return futura::pending;
  }

 private:
  light_slot* slot_;
  long* polls_;
};

using futura_test::futures_of;

}  // namespace

BOOST_AUTO_TEST_SUITE(join_all)

BOOST_AUTO_TEST_CASE(join_all_yields_outputs_in_input_order_whatever_order_the_children_complete) {
  std::array<int, 4> order{0, 1, 2, 3};
  int permutations = 0;
  do {
    std::vector<probe<int>> p(4);
    auto j = futura::join_all(futures_of(p));
    futura::waker w = futura::noop_waker();
    BOOST_TEST(j.poll(w).is_pending());
    for (std::size_t k = 0; k < order.size(); ++k) {
      p[order[k]].complete(order[k] * 10);
      auto r = j.poll(w);
      BOOST_TEST(r.is_ready() == (k + 1 == order.size()));
      if (r.is_ready()) BOOST_TEST((r.value() == std::vector<int>{0, 10, 20, 30}));
    }
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  BOOST_TEST(permutations == 24);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(join_all_of_an_empty_vector_is_ready_at_the_first_poll_and_allocates_nothing) {
#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK
  futura_test::allocation_count allocations;
#endif
  auto j = futura::join_all(std::vector<futura::ready_future<int>>{});
  futura::waker w = futura::noop_waker();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().empty());
#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK
  BOOST_TEST(allocations.this_thread() == 0);
#endif
  BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(join_all_of_children_ready_at_once_is_ready_at_the_first_poll) {
  std::vector<futura::ready_future<std::string>> v;
  for (int i = 0; i < 5; ++i) v.push_back(futura::ready(std::to_string(i)));
  auto j = futura::join_all(std::move(v));
  futura::waker w = futura::noop_waker();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST((r.value() == std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

BOOST_AUTO_TEST_CASE(join_all_of_a_range_moves_the_futures_out_of_it) {
  std::list<probe<int>> probes(3);
  std::list<futura_test::probe_future<int>> futures;
  for (auto& p : probes) futures.push_back(p.future());
  auto j = futura::join_all(futures.begin(), futures.end());
  futures.clear();  // moved-from husks: not the children
  for (auto& p : probes) BOOST_TEST(p.drops() == 0);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  int i = 0;
  for (auto& p : probes) p.complete(++i);
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST((r.value() == std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(join_all_of_a_million_ready_futures_completes_under_block_on) {
  constexpr int n = 1'000'000;
  std::vector<futura::ready_future<int>> v;
  v.reserve(n);
  for (int i = 0; i < n; ++i) v.push_back(futura::ready(i));
  std::vector<int> out = futura::block_on(futura::join_all(std::move(v)));
  BOOST_REQUIRE(out.size() == static_cast<std::size_t>(n));
  bool in_order = true;
  for (int i = 0; i < n; ++i) in_order = in_order && out[i] == i;
  BOOST_TEST(in_order);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(join_all_poll_throws_when_a_child_fails_at_the_first_poll_and_is_then_complete) {
  std::vector<probe<int>> p(3);
  p[1].fail("at once");
  {
    auto j = futura::join_all(futures_of(p));
    futura::waker w = futura::noop_waker();
    BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
    BOOST_TEST(p[0].polls() == 1);
    BOOST_TEST(p[2].polls() == 0);  // input order: the poll stopped at the throw
    BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
    BOOST_TEST(p[0].drops() == 0);  // destroyed with the join
  }
  for (auto& x : p) BOOST_TEST(x.drops() == 1);
}

BOOST_AUTO_TEST_CASE(join_all_poll_throws_when_a_child_throws_later_and_the_others_die_with_the_join) {
  tracked::reset();
  {
    std::vector<probe<tracked>> p(3);
    {
      auto j = futura::join_all(futures_of(p));
      counting_waker cw;
      futura::waker w = cw.make();
      BOOST_TEST(j.poll(w).is_pending());
      p[0].complete(tracked(0));
      BOOST_TEST(j.poll(w).is_pending());
      p[2].fail("later");
      BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
      BOOST_TEST(p[1].polls() == 1);
      BOOST_TEST(cw.live_clones() == 1);  // complete: the parent waker is released at once
      BOOST_TEST(tracked::alive() == 1);  // p[0]'s output, destroyed with the join
    }
    for (auto& x : p) BOOST_TEST(x.drops() == 1);
  }
  BOOST_TEST(tracked::alive() == 0);
}
#endif  // FUTURA_HAS_EXCEPTIONS

#if FUTURA_CHAOS_ENABLED
#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_child_throwing_while_a_wake_is_in_flight_then_the_drop_release_the_parent_waker_once) {
  // Reliability I, defect 3: the throw released the parent slot once, the drop released it again
  // while a child's wake was still using the parent's waker, so two threads moved it out at once
  // (a data race under TSan; for a task waker, a reference count dropped twice). The wake now
  // takes the parent's waker out of its slot (atomic_waker): the throw and the drop find the slot
  // taken and leave it, and the waker goes once, when the wake ends.
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& in_wake = gates.add("atomic_waker.take.taken");
  counting_waker cw;
  std::vector<probe<int>> p(2);
  std::thread waker_thread;
  {
    auto j = futura::join_all(futures_of(p));
    {
      futura::waker w = cw.make();
      BOOST_REQUIRE(j.poll(w).is_pending());
    }
    BOOST_REQUIRE_EQUAL(cw.live_clones(), 1);  // the join's registration
    waker_thread = std::thread([&, child = p[1].waker()] {
      in_wake.bind_this_thread();
      child.wake();  // the parent's waker taken out of its slot, then held at the gate
    });
    in_wake.wait_reached();
    p[0].fail("child 0 fails");
    futura::waker w = cw.make();
    BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);  // first release, a wake in flight
  }  // the join is dropped here: the second release must not touch the waker the wake holds
  in_wake.open();
  waker_thread.join();
  BOOST_TEST(cw.live_clones() == 0);
  BOOST_TEST(cw.wakes() >= 1);
  for (auto& x : p) BOOST_TEST(x.drops() == 1);
}
#endif  // FUTURA_HAS_EXCEPTIONS
#endif

BOOST_AUTO_TEST_CASE(join_all_wakes_its_waker_once_per_batch_of_child_wakes) {
  // Child wakes between two polls of the join are one batch: the first wakes the parent, the
  // others join the ready queue that the poll caused by that wake will drain anyway.
  std::vector<stub<int>> s(3);
  std::vector<stub_future<int>> v;
  for (auto& x : s) v.push_back(x.future());
  auto j = futura::join_all(std::move(v));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(j.poll(w).is_pending());
  s[2].wake();
  BOOST_TEST(cw.wakes() == 1);
  s[0].wake();
  s[2].wake();
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(s[0].polls() == 2);
  BOOST_TEST(s[1].polls() == 1);
  BOOST_TEST(s[2].polls() == 2);  // once for its two wakes
  // After the poll drained the batch, the next child wake wakes the parent again.
  s[1].wake();
  BOOST_TEST(cw.wakes() == 2);
  s[1].wake();
  BOOST_TEST(cw.wakes() == 2);
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(s[1].polls() == 2);
}

BOOST_AUTO_TEST_CASE(join_all_repolls_only_the_children_that_were_woken_in_input_order) {
  std::vector<int> polled;
  std::vector<stub<int>> s(4);
  auto child = [&](int i) {
    return futura::poll_fn<int>([&polled, i, f = s[i].future()](futura::waker& w) mutable {
      polled.push_back(i);
      return f.poll(w);
    });
  };
  using child_t = decltype(child(0));
  std::vector<child_t> v;
  for (int i = 0; i < 4; ++i) v.push_back(child(i));
  auto j = futura::join_all(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST((polled == std::vector<int>{0, 1, 2, 3}));  // first poll: all, in input order
  polled.clear();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(polled.empty());
  s[3].wake();
  s[1].wake();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST((polled == std::vector<int>{1, 3}));  // woken 3 then 1: polled in input order
}

BOOST_AUTO_TEST_CASE(join_all_polls_exactly_the_woken_running_children_at_every_level_of_its_wake_tree) {
  // 70,000 children: three levels of woken bits (1,094 leaf words, 18 above them, 1 top word).
  // Each round wakes a seeded random subset (word and level boundaries included, some children
  // twice, some already finished); the next poll must poll exactly the woken children that are
  // still running, once each, in input order, and the join's waker must be woken once per round.
  constexpr int n = 70000;
  struct shared_slots {
    std::vector<futura::waker> wakers = std::vector<futura::waker>(n);
    std::vector<char> done = std::vector<char>(n, 0);
    std::vector<int> polled;
  } slots;
  auto child = [&slots](int i) {
    return futura::poll_fn<int>([&slots, i](futura::waker& w) -> futura::poll_result<int> {
      slots.polled.push_back(i);
      if (slots.done[i]) return i;
      if (!slots.wakers[i].will_wake(w)) slots.wakers[i] = w;
      return futura::pending;
    });
  };
  using child_t = decltype(child(0));
  std::vector<child_t> v;
  for (int i = 0; i < n; ++i) v.push_back(child(i));
  auto j = futura::join_all(std::move(v));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_REQUIRE(j.poll(w).is_pending());
  BOOST_REQUIRE_EQUAL(slots.polled.size(), static_cast<std::size_t>(n));
  std::vector<char> finished(n, 0);
  std::mt19937 rng(20261126);
  const std::vector<int> boundaries{0, 1, 63, 64, 65, 4095, 4096, 4097, 65535, 65536, n - 1};
  for (int round = 0; round < 200; ++round) {
    std::vector<int> woken;
    const int count = 1 + static_cast<int>(rng() % 300);
    for (int k = 0; k < count; ++k) woken.push_back(static_cast<int>(rng() % n));
    woken.push_back(boundaries[static_cast<std::size_t>(round) % boundaries.size()]);
    for (int i : woken) {
      if (rng() % 4 == 0) slots.done[i] = 1;  // completes at its next poll
      slots.wakers[i].wake();
      if (rng() % 8 == 0) slots.wakers[i].wake();  // twice: still one poll
    }
    BOOST_REQUIRE_EQUAL(cw.wakes(), round + 1);
    std::vector<int> expected;
    for (int i : woken) {
      if (!finished[i]) expected.push_back(i);
    }
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    slots.polled.clear();
    BOOST_REQUIRE(j.poll(w).is_pending());
    BOOST_REQUIRE(slots.polled == expected);
    for (int i : expected) {
      if (slots.done[i]) finished[i] = 1;
    }
  }
  for (int i = 0; i < n; ++i) {
    slots.done[i] = 1;
    slots.wakers[i].wake();
  }
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  for (int i = 0; i < n; ++i) BOOST_REQUIRE_EQUAL(r.value()[static_cast<std::size_t>(i)], i);
}

BOOST_AUTO_TEST_CASE(join_all_child_wakers_cloned_on_any_thread_outlive_the_join_and_free_it_once) {
  // Clones made by the polling thread during its poll are counted without atomics, the others
  // atomically: the block must be freed exactly once, by whichever reference goes last, however
  // the two kinds mix (ASan reports a leak, a double free or a use after free otherwise).
  for (int round = 0; round < 200; ++round) {
    std::vector<futura::waker> kept;  // clones made inside child polls
    std::mutex others_mutex;
    std::vector<futura::waker> others;  // clones made on other threads
    std::vector<int> hits;
    auto child = [&](int i) {
      return futura::poll_fn<int>([&, i](futura::waker& w) -> futura::poll_result<int> {
        kept.push_back(w);  // the poller's clone
        if (i % 3 == 0) {   // a clone made on another thread while the poll waits for it
          std::thread([&] {
            std::lock_guard<std::mutex> lock(others_mutex);
            others.push_back(w);
          }).join();
        }
        return futura::pending;
      });
    };
    using child_t = decltype(child(0));
    std::vector<child_t> v;
    for (int i = 0; i < 7; ++i) v.push_back(child(i));
    auto j = std::make_optional(futura::join_all(std::move(v)));
    futura::waker w = futura::noop_waker();
    BOOST_REQUIRE(j->poll(w).is_pending());
    // Clones of the poller's clones, on another thread, racing the join's destruction.
    std::thread cloner([&] {
      std::vector<futura::waker> mine(kept.begin(), kept.end());
      for (auto& x : mine) x.wake();
      std::lock_guard<std::mutex> lock(others_mutex);
      for (auto& x : mine) others.push_back(std::move(x));
    });
    if (round % 2 == 0) j.reset();
    cloner.join();
    if (round % 3 == 0) kept.clear();
    if (round % 2 == 1) {
      BOOST_REQUIRE(j->poll(w).is_pending());  // every child woken: polled again, clones again
      j.reset();
    }
    for (auto& x : others) x.wake();  // after the join is gone: does nothing (rule 7)
    others.clear();
    kept.clear();
  }
}

BOOST_AUTO_TEST_CASE(join_all_of_100000_children_woken_once_each_in_reverse_order_polls_at_most_2n_children) {
  constexpr std::size_t n = 100'000;
  std::vector<light_slot> slots(n);
  long polls = 0;
  std::vector<light_child> v;
  v.reserve(n);
  for (auto& s : slots) v.emplace_back(&s, &polls);
  auto j = futura::join_all(std::move(v));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(polls == static_cast<long>(n));
  bool one_child_per_poll = true;
  for (std::size_t i = n; i-- > 1;) {
    slots[i].value = static_cast<int>(i);
    slots[i].waker.wake();
    long before = polls;
    bool pending = j.poll(w).is_pending();
    one_child_per_poll = one_child_per_poll && pending && polls == before + 1;
  }
  BOOST_TEST(one_child_per_poll);
  slots[0].value = 0;
  slots[0].waker.wake();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(polls == static_cast<long>(2 * n));
  BOOST_TEST(cw.wakes() == static_cast<int>(n));
  bool in_order = true;
  for (std::size_t i = 0; i < n; ++i) in_order = in_order && r.value()[i] == static_cast<int>(i);
  BOOST_TEST(in_order);
}

BOOST_AUTO_TEST_CASE(join_all_of_100000_children_all_woken_in_reverse_before_one_poll_polls_2n_children) {
  constexpr std::size_t n = 100'000;
  std::vector<light_slot> slots(n);
  long polls = 0;
  std::vector<light_child> v;
  v.reserve(n);
  for (auto& s : slots) v.emplace_back(&s, &polls);
  auto j = futura::join_all(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  for (std::size_t i = n; i-- > 0;) {
    slots[i].value = static_cast<int>(i) * 2;
    slots[i].waker.wake();
  }
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(polls == static_cast<long>(2 * n));
  bool in_order = true;
  for (std::size_t i = 0; i < n; ++i) in_order = in_order && r.value()[i] == static_cast<int>(i) * 2;
  BOOST_TEST(in_order);
}

BOOST_AUTO_TEST_CASE(join_all_polls_each_child_at_most_once_per_poll_so_self_waking_children_cannot_livelock_it) {
  constexpr int k = 5;
  std::vector<std::shared_ptr<int>> polls;
  std::vector<decltype(self_waking(0, nullptr))> v;
  for (int i = 0; i < 3; ++i) {
    polls.push_back(std::make_shared<int>(0));
    v.push_back(self_waking(k + i, polls.back()));
  }
  auto j = futura::join_all(std::move(v));
  futura::waker w = futura::noop_waker();
  for (int round = 1; round <= k; ++round) {
    BOOST_TEST(j.poll(w).is_pending());
    for (auto& p : polls) BOOST_TEST(*p == round);  // each child once per poll, never more
  }
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(j.poll(w).is_pending());
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST((r.value() == std::vector<int>{k, k + 1, k + 2}));
}

BOOST_AUTO_TEST_CASE(join_all_of_a_self_waking_child_completes_under_block_on) {
  auto polls = std::make_shared<int>(0);
  std::vector<decltype(self_waking(0, nullptr))> v;
  v.push_back(self_waking(1000, polls));
  std::vector<int> out = futura::block_on(futura::join_all(std::move(v)));
  BOOST_TEST((out == std::vector<int>{1000}));
  BOOST_TEST(*polls == 1001);
}

BOOST_AUTO_TEST_CASE(join_all_destroys_a_finished_child_at_once) {
  std::vector<probe<int>> p(2);
  auto j = futura::join_all(futures_of(p));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  p[1].complete(1);
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(p[1].drops() == 1);
  BOOST_TEST(p[0].drops() == 0);
}

BOOST_AUTO_TEST_CASE(dropping_a_join_all_drops_every_child_and_kept_output_exactly_once) {
  tracked::reset();
  {
    std::vector<probe<tracked>> p(3);
    { auto never_polled = futura::join_all(futures_of(p)); }
    for (auto& x : p) BOOST_TEST(x.drops() == 1);
  }
  {
    std::vector<probe<tracked>> p(3);
    {
      auto j = futura::join_all(futures_of(p));
      futura::waker w = futura::noop_waker();
      BOOST_TEST(j.poll(w).is_pending());
      p[1].complete(tracked(1));
      BOOST_TEST(j.poll(w).is_pending());
      BOOST_TEST(tracked::alive() == 1);
    }
    for (auto& x : p) BOOST_TEST(x.drops() == 1);
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(join_all_carries_move_only_outputs) {
  std::vector<probe<std::unique_ptr<int>>> p(3);
  auto j = futura::join_all(futures_of(p));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  for (int i = 2; i >= 0; --i) p[i].complete(std::make_unique<int>(i));
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  std::vector<std::unique_ptr<int>> out = r.take();
  for (int i = 0; i < 3; ++i) BOOST_TEST(*out[i] == i);
}

BOOST_AUTO_TEST_CASE(join_all_moved_between_polls_is_woken_through_the_wakers_its_children_kept) {
  std::vector<probe<int>> p(2);
  auto first = futura::join_all(futures_of(p));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(first.poll(w).is_pending());
  auto moved = std::move(first);
  p[0].complete(1);
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(moved.poll(w).is_pending());
  auto again = std::move(moved);
  p[1].complete(2);
  BOOST_TEST(cw.wakes() == 2);
  auto r = again.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST((r.value() == std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_CASE(a_child_waker_outliving_the_join_all_is_harmless_and_the_parent_waker_is_released) {
  stub<tracked> s;
  counting_waker cw;
  tracked::reset();
  {
    std::vector<stub_future<tracked>> v;
    v.push_back(s.future());
    auto j = futura::join_all(std::move(v));
    futura::waker w = cw.make();
    BOOST_TEST(j.poll(w).is_pending());
  }
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(cw.live_clones() == 0);
  s.wake();  // pushes onto the ready stack of a block nobody owns any more
  BOOST_TEST(cw.wakes() == 0);
  s.forget_waker();  // the last reference frees the block
}

BOOST_AUTO_TEST_CASE(a_join_all_dropped_while_a_wake_is_in_flight_releases_the_parent_waker_when_that_wake_ends) {
  std::vector<stub<int>> s(2);
  gate_waker gate;
  std::vector<stub_future<int>> v;
  for (auto& x : s) v.push_back(x.future());
  std::optional<futura::join_all_future<stub_future<int>>> j(futura::join_all(std::move(v)));
  {
    futura::waker g = gate.make();
    BOOST_TEST(j->poll(g).is_pending());
  }
  gate.close_gate();
  std::thread waking([child = s[1].waker_clone()] { child.wake(); });
  gate.wait_for_wake_inside();
  j.reset();
  BOOST_TEST(s[0].drops() == 1);
  BOOST_TEST(s[1].drops() == 1);
  BOOST_TEST(gate.live_clones() == 1);
  gate.open_gate();
  waking.join();
  BOOST_TEST(gate.live_clones() == 0);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(polling_a_completed_join_all_throws_polled_after_completion) {
  std::vector<futura::ready_future<int>> v;
  v.push_back(futura::ready(1));
  auto j = futura::join_all(std::move(v));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_ready());
  BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK  // exact operator new counts: not under TSan (see the header)
BOOST_AUTO_TEST_CASE(join_all_allocates_one_block_at_the_first_poll_and_the_output_vector_at_completion) {
  std::vector<probe<int>> p(100);
  auto futures = futures_of(p);
  futura_test::allocation_count allocations;
  auto j = futura::join_all(std::move(futures));
  BOOST_TEST(allocations.this_thread() == 0);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(allocations.this_thread() == 1);
  for (std::size_t i = 0; i + 1 < p.size(); ++i) p[i].complete(static_cast<int>(i));
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(allocations.this_thread() == 1);  // wakes and polls allocate nothing
  p.back().complete(99);
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(allocations.this_thread() == 2);  // + the output vector
  BOOST_TEST(r.value()[99] == 99);
}
#endif

BOOST_AUTO_TEST_CASE(join_all_under_block_on_gets_values_set_by_other_threads) {
  constexpr int n = 2000;
  constexpr int threads = 4;
  std::vector<futura::promise<int>> promises(n);
  std::vector<futura::promise_future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  auto j = futura::join_all(std::move(futures));
  std::vector<std::thread> setters;
  for (int t = 0; t < threads; ++t) {
    setters.emplace_back([&promises, t] {
      for (int i = n - 1 - t; i >= 0; i -= threads) promises[i].set_value(i);  // reverse order
    });
  }
  std::vector<int> out = futura::block_on(std::move(j));
  for (auto& t : setters) t.join();
  BOOST_REQUIRE(out.size() == static_cast<std::size_t>(n));
  bool in_order = true;
  for (int i = 0; i < n; ++i) in_order = in_order && out[i] == i;
  BOOST_TEST(in_order);
}

BOOST_AUTO_TEST_CASE(join_all_loses_no_wake_while_its_poller_changes_wakers_under_concurrent_child_wakes) {
  constexpr int target = 1000;
  std::array<repeated_wakes, 3> states;
  std::vector<decltype(counted_child(states[0], 0))> v;
  for (auto& s : states) v.push_back(counted_child(s, target));
  auto j = futura::join_all(std::move(v));
  std::thread waker_thread([&] {
    for (int i = 0; i < target; ++i) {
      for (auto& s : states) {
        s.count.fetch_add(1, std::memory_order_release);
        s.waker.wake();
      }
    }
  });
  std::array<counting_waker, 2> targets;
  int polls = 0;
  for (;;) {
    counting_waker& cw = targets[polls++ % 2];
    int before = cw.wakes();
    futura::waker w = cw.make();
    auto r = j.poll(w);
    if (r.is_ready()) {
      BOOST_TEST((r.value() == std::vector<int>{target, target, target}));
      break;
    }
    while (cw.wakes() == before) std::this_thread::yield();  // rule 3: this waker will be woken
  }
  waker_thread.join();
  BOOST_TEST(targets[0].live_clones() == 0);
  BOOST_TEST(targets[1].live_clones() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
