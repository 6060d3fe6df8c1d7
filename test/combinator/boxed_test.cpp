// boxed_future: type erasure with at most one allocation, and deep chains that neither poll nor
// destroy recursively.
#include <boost/test/unit_test.hpp>
#include <support/allocation_counter.hpp>
#include <support/probe.hpp>

#include <futura/combinator/boxed.hpp>
#include <futura/combinator/join.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/combinator/select.hpp>
#include <futura/combinator/select_all.hpp>

#include <array>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using futura_test::allocation_count;
using futura_test::counting_waker;
using futura_test::probe;
using futura_test::value_of;

using futura_test::plus_one_chain;

/// `f` boxed under `links_above` more boxes, such that the box directly inside `f` is polled at a
/// depth where the trampoline defers it, on the first descent and in every drive (boxes at
/// positions 1 + k * limit from the top are the deferred ones).
template <class F>
futura::boxed_future<int> with_child_at_deferral_point(F f, int k = 1) {
  const int links_above = static_cast<int>(futura::detail::boxed_poll_depth_limit) * k - 1;
  return plus_one_chain(futura::boxed_future<int>(std::move(f)), links_above);
}
constexpr int limit = static_cast<int>(futura::detail::boxed_poll_depth_limit);

/// A continuation capture that counts how many of it exist.
struct link_token {
  static inline int alive = 0;
  link_token() { ++alive; }
  link_token(const link_token&) { ++alive; }
  link_token(link_token&&) noexcept { ++alive; }
  ~link_token() { --alive; }
};

/// A future that needs more than the inline buffer.
struct big_future : futura::future_ext<big_future> {
  using output_type = int;
  std::array<char, 64> payload{};
  int value;
  explicit big_future(int v) : value(v) {}
  futura::poll_result<int> poll(futura::waker&) { return value + payload[0]; }
};

/// A small future with an output too big to cache inline.
struct big_output_future : futura::future_ext<big_output_future> {
  using output_type = std::array<int, 16>;
  futura::poll_result<output_type> poll(futura::waker&) {
    output_type a{};
    a[15] = 7;
    return a;
  }
};

/// A small future whose move may throw: kept on the heap.
struct throwing_move_future : futura::future_ext<throwing_move_future> {
  using output_type = int;
  throwing_move_future() = default;
  throwing_move_future(throwing_move_future&&) noexcept(false) {}
  futura::poll_result<int> poll(futura::waker&) { return 5; }
};

/// Test combinator: polls `child` and, while it is pending, relocates it to another address (the
/// old object destroyed) after every poll: whatever the child left behind must follow it.
template <class F>
class relocating : public futura::future_ext<relocating<F>> {
 public:
  using output_type = futura::output_t<F>;
  explicit relocating(F f) { slots_[0].emplace(std::move(f)); }
  futura::poll_result<output_type> poll(futura::waker& w) {
    futura::poll_result<output_type> r = slots_[current_]->poll(w);
    if (r.is_pending()) {
      slots_[1 - current_].emplace(std::move(*slots_[current_]));
      slots_[current_].reset();
      current_ = 1 - current_;
    }
    return r;
  }

 private:
  std::optional<F> slots_[2];
  int current_ = 0;
};

/// Test combinator: polls `child` twice per poll while it is pending (a second poll before the
/// trampoline has driven it).
template <class F>
class double_polling : public futura::future_ext<double_polling<F>> {
 public:
  using output_type = futura::output_t<F>;
  explicit double_polling(F f) : child_(std::move(f)) {}
  futura::poll_result<output_type> poll(futura::waker& w) {
    futura::poll_result<output_type> r = child_.poll(w);
    if (r.is_pending()) return child_.poll(w);
    return r;
  }

 private:
  F child_;
};

/// Test combinator: polls `slow` and then `fast`; the first ready wins and the other is dropped
/// at once (a biased select written here so that the order is fixed).
template <class A, class B>
class first_of : public futura::future_ext<first_of<A, B>> {
 public:
  using output_type = int;
  first_of(A a, B b) : a_(std::in_place, std::move(a)), b_(std::in_place, std::move(b)) {}
  futura::poll_result<int> poll(futura::waker& w) {
    futura::poll_result<int> ra = a_->poll(w);
    if (ra.is_ready()) {
      b_.reset();
      return ra;
    }
    futura::poll_result<int> rb = b_->poll(w);
    if (rb.is_ready()) a_.reset();
    return rb;
  }

 private:
  std::optional<A> a_;
  std::optional<B> b_;
};

/// Recursion built while polling: each level's future is created by the level above.
futura::boxed_future<long> sum_down(long n, long acc) {
  if (n == 0) return futura::ready(acc);
  return futura::lazy([n, acc] { return sum_down(n - 1, acc + n); });
}

/// Like sum_down, but the innermost level waits for `bottom`.
futura::boxed_future<long> sum_down_to(long n, long acc, std::shared_ptr<probe<long>> bottom) {
  if (n == 0) return bottom->future().then([acc](long v) { return v + acc; });
  return futura::lazy([n, acc, bottom] { return sum_down_to(n - 1, acc + n, bottom); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(boxed)

// ---- type erasure and storage ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_small_future_is_stored_inline_without_allocating) {
  long n;
  bool heap;
  int v;
  {
    allocation_count count;
    futura::boxed_future<int> f = futura::ready(41).then([](int x) { return x + 1; }).boxed();
    heap = f.is_heap_allocated();
    futura::waker w = futura::noop_waker();
    v = value_of(f.poll(w));
    n = count();
  }
  BOOST_TEST(n == 0);
  BOOST_TEST(!heap);
  BOOST_TEST(v == 42);
}

BOOST_AUTO_TEST_CASE(a_boxed_future_is_six_pointers_big) {
  BOOST_TEST(sizeof(futura::boxed_future<int>) == 6 * sizeof(void*));
  BOOST_TEST(sizeof(futura::boxed_future<std::string>) == 6 * sizeof(void*));
}

BOOST_AUTO_TEST_CASE(a_large_future_is_allocated_exactly_once) {
  long n;
  bool heap;
  int v;
  {
    allocation_count count;
    futura::boxed_future<int> f = big_future(9).boxed();
    futura::boxed_future<int> moved = std::move(f);  // moving a heap box moves a pointer
    heap = moved.is_heap_allocated();
    futura::waker w = futura::noop_waker();
    v = value_of(moved.poll(w));
    n = count();
  }
  BOOST_TEST(n == 1);
  BOOST_TEST(heap);
  BOOST_TEST(v == 9);
}

BOOST_AUTO_TEST_CASE(a_small_future_with_a_large_output_is_allocated_once) {
  long n;
  bool heap;
  int last;
  {
    allocation_count count;
    futura::boxed_future<std::array<int, 16>> f = big_output_future().boxed();
    heap = f.is_heap_allocated();
    futura::waker w = futura::noop_waker();
    last = value_of(f.poll(w))[15];
    n = count();
  }
  BOOST_TEST(n == 1);
  BOOST_TEST(heap);
  BOOST_TEST(last == 7);
}

BOOST_AUTO_TEST_CASE(a_future_whose_move_may_throw_is_kept_on_the_heap) {
  futura::boxed_future<int> f = throwing_move_future().boxed();
  BOOST_TEST(f.is_heap_allocated());
  BOOST_TEST(futura::block_on(std::move(f)) == 5);
}

BOOST_AUTO_TEST_CASE(an_over_aligned_future_is_heap_allocated_and_aligned) {
  struct alignas(64) aligned_future : futura::future_ext<aligned_future> {
    using output_type = bool;
    futura::poll_result<bool> poll(futura::waker&) { return reinterpret_cast<std::uintptr_t>(this) % 64 == 0; }
  };
  futura::boxed_future<bool> f = aligned_future().boxed();
  BOOST_TEST(f.is_heap_allocated());
  BOOST_TEST(futura::block_on(std::move(f)));
}

BOOST_AUTO_TEST_CASE(boxing_a_boxed_future_does_not_box_it_again) {
  futura::boxed_future<int> f = big_future(3).boxed();
  long n;
  {
    allocation_count count;
    futura::boxed_future<int> again = std::move(f).boxed();
    n = count();
    f = std::move(again);
  }
  BOOST_TEST(n == 0);
  BOOST_TEST(futura::block_on(std::move(f)) == 3);
}

BOOST_AUTO_TEST_CASE(a_function_can_return_different_futures_as_one_boxed_type) {
  auto pick = [](int which) -> futura::boxed_future<std::string> {
    if (which == 0) return futura::ready(std::string("ready"));
    if (which == 1) return futura::lazy([] { return std::string("lazy"); });
    return futura::ready(2).then([](int x) { return std::to_string(x); });
  };
  BOOST_TEST(futura::block_on(pick(0)) == "ready");
  BOOST_TEST(futura::block_on(pick(1)) == "lazy");
  BOOST_TEST(futura::block_on(pick(2)) == "2");
}

BOOST_AUTO_TEST_CASE(a_boxed_future_is_a_future_so_then_works_on_it) {
  futura::boxed_future<int> f = futura::ready(20).boxed();
  BOOST_TEST(futura::block_on(std::move(f).then([](int x) { return x + 22; })) == 42);
}

BOOST_AUTO_TEST_CASE(move_only_outputs_pass_through_inline_and_heap_boxes) {
  futura::boxed_future<std::unique_ptr<int>> small = futura::lazy([] { return std::make_unique<int>(1); }).boxed();
  BOOST_TEST(!small.is_heap_allocated());
  BOOST_TEST(*futura::block_on(std::move(small)) == 1);
  std::array<char, 64> ballast{};
  futura::boxed_future<std::unique_ptr<int>> large =
      futura::lazy([ballast] { return std::make_unique<int>(2 + ballast[0]); }).boxed();
  BOOST_TEST(large.is_heap_allocated());
  BOOST_TEST(*futura::block_on(std::move(large)) == 2);
}

// ---- polling, moving, dropping ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_inner_future_is_polled_with_the_boxes_waker) {
  probe<int> p;
  futura::boxed_future<int> f = p.future().boxed();
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(p.polls() == 1);
  p.complete(8);
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(value_of(f.poll(w)) == 8);
  BOOST_TEST(p.polls() == 2);
}

BOOST_AUTO_TEST_CASE(a_boxed_future_can_be_moved_between_polls) {
  for (bool heap : {false, true}) {
    probe<int> p;
    std::array<char, 64> ballast{};
    futura::boxed_future<int> f =
        heap ? futura::boxed_future<int>(p.future().then([ballast](int x) { return x + ballast[0]; }))
             : futura::boxed_future<int>(p.future());
    BOOST_TEST(f.is_heap_allocated() == heap);
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
    futura::boxed_future<int> g(std::move(f));
    BOOST_TEST(!f.valid());
    futura::boxed_future<int> h;
    h = std::move(g);
    p.complete(4);
    BOOST_TEST(value_of(h.poll(w)) == 4);
    BOOST_TEST(p.drops() == 1);  // moved-from boxes released nothing twice
  }
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_boxed_future_drops_the_inner_exactly_once) {
  for (bool heap : {false, true}) {
    probe<int> p;
    counting_waker cw;
    {
      std::array<char, 64> ballast{};
      futura::boxed_future<int> f =
          heap ? futura::boxed_future<int>(p.future().then([ballast](int x) { return x + ballast[0]; }))
               : futura::boxed_future<int>(p.future());
      futura::waker w = cw.make();
      BOOST_TEST(f.poll(w).is_pending());
      futura::boxed_future<int> moved = std::move(f);
      BOOST_TEST(p.drops() == 0);
    }
    BOOST_TEST(p.drops() == 1);
  }
}

BOOST_AUTO_TEST_CASE(the_inner_future_is_destroyed_as_soon_as_it_completes) {
  probe<int> p;
  futura::boxed_future<int> f = p.future().boxed();
  p.complete(1);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(f.poll(w)) == 1);
  BOOST_TEST(p.drops() == 1);
  BOOST_TEST(!f.valid());
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(exceptions_propagate_and_complete_the_box) {
  probe<int> p;
  futura::boxed_future<int> f = p.future().boxed();
  p.fail("inner failed");
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_EXCEPTION((void)f.poll(w), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "inner failed"; });
  BOOST_TEST(p.drops() == 1);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}

BOOST_AUTO_TEST_CASE(polling_after_completion_or_an_empty_box_is_reported) {
  futura::boxed_future<int> f = futura::ready(1).boxed();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(f.poll(w)) == 1);
  auto is_misuse = [](const futura::future_error& e) { return e.code() == futura::error::polled_after_completion; };
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_misuse);
  futura::boxed_future<int> empty;
  BOOST_TEST(!empty.valid());
  BOOST_CHECK_EXCEPTION((void)empty.poll(w), futura::future_error, is_misuse);
}
#endif  // FUTURA_HAS_EXCEPTIONS

// ---- deep chains: polling -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_100000_link_chain_of_ready_links_completes) {
  futura::boxed_future<int> f = futura::ready(0).boxed();
  for (int i = 0; i < 100000; ++i) f = std::move(f).then([](int x) { return x + 1; }).boxed();
  BOOST_TEST(futura::block_on(std::move(f)) == 100000);
}

BOOST_AUTO_TEST_CASE(a_1000000_link_chain_of_ready_links_completes) {
  BOOST_TEST(futura::block_on(plus_one_chain(futura::ready(0), 1000000)) == 1000000);
}

BOOST_AUTO_TEST_CASE(every_link_of_a_deep_chain_runs_once_in_order) {
  std::vector<int> order;
  futura::boxed_future<int> f = futura::ready(0).boxed();
  for (int i = 0; i < 5000; ++i) {
    f = std::move(f)
            .then([&order, i](int x) {
              order.push_back(i);
              return x + 1;
            })
            .boxed();
  }
  BOOST_TEST(futura::block_on(std::move(f)) == 5000);
  BOOST_REQUIRE(order.size() == 5000u);
  bool in_order = true;
  for (int i = 0; i < 5000; ++i) in_order = in_order && order[static_cast<std::size_t>(i)] == i;
  BOOST_TEST(in_order);
}

BOOST_AUTO_TEST_CASE(a_shallow_ready_chain_completes_in_one_poll_without_waking) {
  futura::boxed_future<int> f = plus_one_chain(futura::ready(0), 100);
  counting_waker cw;
  futura::waker w = cw.make();
  futura::poll_result<int> r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 100);
  BOOST_TEST(cw.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(a_deep_ready_chain_completes_in_one_poll) {
  futura::boxed_future<int> f = plus_one_chain(futura::ready(0), 30000);
  counting_waker cw;
  futura::waker w = cw.make();
  futura::poll_result<int> r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 30000);
  BOOST_TEST(cw.live_clones() == 1);  // ours: the trampoline kept no clone
}

BOOST_AUTO_TEST_CASE(a_deep_chain_whose_bottom_completes_later_is_woken_and_completes) {
  probe<int> bottom;
  futura::boxed_future<int> f = plus_one_chain(bottom.future(), 100000);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(bottom.polls() == 1);
  BOOST_TEST(cw.live_clones() >= 2);  // rule 3: our waker is registered (at the bottom)
  const int wakes_before = cw.wakes();
  bottom.complete(7);
  BOOST_TEST(cw.wakes() == wakes_before + 1);
  futura::poll_result<int> r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 100007);
  BOOST_TEST(bottom.polls() == 2);
}

BOOST_AUTO_TEST_CASE(a_deep_chain_over_a_promise_set_from_another_thread_completes_in_block_on) {
  futura::promise<int> p;
  futura::boxed_future<int> f = plus_one_chain(p.get_future(), 30000);
  std::thread setter([&p] { p.set_value(1); });
  BOOST_TEST(futura::block_on(std::move(f)) == 30001);
  setter.join();
}

BOOST_AUTO_TEST_CASE(deep_chains_on_several_threads_do_not_share_trampolines) {
  std::vector<int> results(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&results, t] {
      results[static_cast<std::size_t>(t)] = futura::block_on(plus_one_chain(futura::ready(t), 20000));
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) BOOST_TEST(results[static_cast<std::size_t>(t)] == 20000 + t);
}

BOOST_AUTO_TEST_CASE(a_chain_grown_while_polling_100000_levels_deep_completes) {
  BOOST_TEST(futura::block_on(sum_down(100000, 0)) == 100000L * 100001L / 2);
}

BOOST_AUTO_TEST_CASE(a_chain_grown_while_polling_that_waits_at_the_bottom_completes_later) {
  auto bottom = std::make_shared<probe<long>>();
  futura::boxed_future<long> f = sum_down_to(30000, 0, bottom);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(bottom->polls() == 1);
  bottom->complete(1);
  BOOST_TEST(cw.wakes() >= 1);
  BOOST_TEST(value_of(f.poll(w)) == 30000L * 30001L / 2 + 1);
}

BOOST_AUTO_TEST_CASE(a_deep_chain_of_move_only_outputs_completes) {
  futura::boxed_future<std::unique_ptr<int>> f = futura::lazy([] { return std::make_unique<int>(0); }).boxed();
  for (int i = 0; i < 20000; ++i) {
    f = std::move(f)
            .then([](std::unique_ptr<int> p) {
              ++*p;
              return p;
            })
            .boxed();
  }
  BOOST_TEST(*futura::block_on(std::move(f)) == 20000);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_at_the_bottom_of_a_deep_chain_reaches_block_on) {
  int ran = 0;
  futura::boxed_future<int> f = futura::lazy([]() -> int { throw std::runtime_error("bottom"); }).boxed();
  for (int i = 0; i < 30000; ++i) {
    f = std::move(f)
            .then([&ran](int x) {
              ++ran;
              return x + 1;
            })
            .boxed();
  }
  BOOST_CHECK_EXCEPTION(futura::block_on(std::move(f)), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "bottom"; });
  BOOST_TEST(ran == 0);
}

BOOST_AUTO_TEST_CASE(an_exception_in_the_middle_of_a_deep_chain_skips_the_links_above) {
  int above = 0;
  int below = 0;
  futura::boxed_future<int> f = futura::ready(0).boxed();
  for (int i = 0; i < 30000; ++i) {
    f = std::move(f)
            .then([&, i](int x) {
              if (i == 15000) throw std::logic_error("middle");
              ++(i < 15000 ? below : above);
              return x + 1;
            })
            .boxed();
  }
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_CHECK_THROW((void)f.poll(w), std::logic_error);
  BOOST_TEST(below == 15000);
  BOOST_TEST(above == 0);
  BOOST_TEST(!f.valid());
  BOOST_TEST(cw.live_clones() == 1);  // nothing deferred survived the throw
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(polling_a_deep_chain_allocates_nothing_once_the_thread_is_warm) {
  BOOST_TEST(futura::block_on(plus_one_chain(futura::ready(0), 20000)) == 20000);  // warms the trampoline
  futura::boxed_future<int> f = plus_one_chain(futura::ready(0), 20000);
  long n;
  int v;
  {
    allocation_count count;
    futura::waker w = futura::noop_waker();
    v = value_of(f.poll(w));
    n = count();
  }
  BOOST_TEST(v == 20000);
  BOOST_TEST(n == 0);
}

BOOST_AUTO_TEST_CASE(building_a_chain_allocates_once_per_link) {
  long n;
  {
    allocation_count count;
    futura::boxed_future<int> f = plus_one_chain(futura::ready(0), 1000);
    n = count();
  }
  BOOST_TEST(n == 1000);
}

// ---- deep chains: the trampoline's corner cases ---------------------------------------------

BOOST_AUTO_TEST_CASE(a_deferred_box_that_is_moved_before_its_turn_is_driven_where_it_went) {
  for (int k : {1, 3}) {  // deferred by the root's descent, and by a drive
    probe<int> bottom;
    futura::boxed_future<int> f =
        with_child_at_deferral_point(relocating<futura::boxed_future<int>>(plus_one_chain(bottom.future(), 1000)), k);
    counting_waker cw;
    futura::waker w = cw.make();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(bottom.polls() == 1);  // reached through the relocated box
    bottom.complete(5);
    BOOST_TEST(cw.wakes() == 1);
    BOOST_TEST(value_of(f.poll(w)) == 5 + 1000 + limit * k - 1);
  }
}

BOOST_AUTO_TEST_CASE(a_ready_deferred_box_that_is_moved_before_its_turn_completes_where_it_went) {
  futura::boxed_future<int> f =
      with_child_at_deferral_point(relocating<futura::boxed_future<int>>(plus_one_chain(futura::ready(0), 1000)), 2);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(f.poll(w)) == 1000 + 2 * limit - 1);
}

BOOST_AUTO_TEST_CASE(a_deferred_box_polled_again_before_its_turn_is_driven_once) {
  for (int k : {1, 2}) {
    probe<int> bottom;
    futura::boxed_future<int> f = with_child_at_deferral_point(
        double_polling<futura::boxed_future<int>>(plus_one_chain(bottom.future(), 500)), k);
    counting_waker cw;
    futura::waker w = cw.make();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(bottom.polls() == 1);
    bottom.complete(0);
    BOOST_TEST(value_of(f.poll(w)) == 500 + limit * k - 1);
    BOOST_TEST(bottom.polls() == 2);
  }
}

BOOST_AUTO_TEST_CASE(a_deferred_box_dropped_before_its_turn_is_never_driven) {
  // first_of polls the deep chain (its top box deferred), then a ready future, and drops the chain.
  for (int k : {1, 2}) {
    probe<int> bottom;
    link_token::alive = 0;
    futura::boxed_future<int> deep = futura::boxed_future<int>(bottom.future());
    for (int i = 0; i < 5000; ++i) deep = std::move(deep).then([t = link_token()](int x) { return x + 1; }).boxed();
    futura::boxed_future<int> f = with_child_at_deferral_point(first_of(std::move(deep), futura::ready(100)), k);
    counting_waker cw;
    futura::waker w = cw.make();
    BOOST_TEST(value_of(f.poll(w)) == 100 + limit * k - 1);
    BOOST_TEST(bottom.polls() == 0);  // the deferred chain never ran
    BOOST_TEST(bottom.drops() == 1);
    BOOST_TEST(link_token::alive == 0);
    BOOST_TEST(cw.live_clones() == 1);  // the dead entry's waker clone was released
  }
}

BOOST_AUTO_TEST_CASE(select_over_two_deep_chains_returns_the_ready_one_and_drops_the_other) {
  probe<int> never;
  futura::boxed_future<int> waiting = plus_one_chain(never.future(), 20000);
  futura::boxed_future<int> ready = plus_one_chain(futura::ready(0), 20000);
  auto won = futura::block_on(futura::select(std::move(waiting), std::move(ready)));
  BOOST_TEST(won.index() == 1u);
  BOOST_TEST(std::get<1>(won) == 20000);
  BOOST_TEST(never.drops() == 1);
}

BOOST_AUTO_TEST_CASE(join_over_deep_chains_completing_later_gets_every_output) {
  probe<int> a;
  probe<int> b;
  auto both = futura::join(plus_one_chain(a.future(), 30000), plus_one_chain(b.future(), 30000));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(both.poll(w).is_pending());
  b.complete(2);
  BOOST_TEST(cw.wakes() >= 1);
  BOOST_TEST(both.poll(w).is_pending());
  const int polls_of_a = a.polls();
  a.complete(1);
  auto r = both.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(std::get<0>(r.value()) == 30001);
  BOOST_TEST(std::get<1>(r.value()) == 30002);
  BOOST_TEST(a.polls() == polls_of_a + 1);
}

BOOST_AUTO_TEST_CASE(join_all_over_many_deep_chains_completes) {
  std::vector<futura::boxed_future<int>> chains;
  for (int i = 0; i < 20; ++i) chains.push_back(plus_one_chain(futura::ready(i), 5000));
  std::vector<int> outs = futura::block_on(futura::join_all(std::move(chains)));
  BOOST_REQUIRE(outs.size() == 20u);
  for (int i = 0; i < 20; ++i) BOOST_TEST(outs[static_cast<std::size_t>(i)] == 5000 + i);
}

BOOST_AUTO_TEST_CASE(a_nested_chain_of_inline_boxes_through_join_all_completes_and_is_destroyed) {
  // join_all keeps its children in a vector, so each level's box is small (inline): the nesting
  // goes through heap memory the boxes do not own directly.
  futura::boxed_future<int> f = futura::ready(0).boxed();
  for (int i = 0; i < 3000; ++i) {
    std::vector<futura::boxed_future<int>> one;
    one.push_back(std::move(f));
    f = futura::join_all(std::move(one)).then([](std::vector<int> v) { return v[0] + 1; }).boxed();
  }
  BOOST_TEST(futura::block_on(std::move(f)) == 3000);
}

BOOST_AUTO_TEST_CASE(select_all_hands_back_deep_chains_that_were_deferred) {
  probe<int> slow;
  std::vector<futura::boxed_future<int>> v;
  v.push_back(plus_one_chain(slow.future(), 20000));
  v.push_back(plus_one_chain(futura::ready(0), 20000));
  auto first = futura::block_on(futura::select_all(std::move(v)));
  BOOST_TEST(first.value == 20000);
  BOOST_TEST(first.index == 1u);
  BOOST_REQUIRE(first.rest.size() == 1u);
  slow.complete(1);
  auto second = futura::block_on(futura::select_all(std::move(first.rest)));
  BOOST_TEST(second.value == 20001);
}

BOOST_AUTO_TEST_CASE(a_blocking_poll_inside_a_deep_chain_completes_a_deep_chain_under_a_trampoline_barrier) {
  // A continuation deep in one chain blocks on another deep chain. Its boxes must not defer to
  // the outer chain's root (which cannot run while the continuation blocks): the barrier gives
  // them a context of their own. (block_on nests, so it should open this barrier itself.)
  futura::boxed_future<int> outer =
      with_child_at_deferral_point(futura::lazy([] {
                                     futura::detail::root_poll_scope root;
                                     return futura::block_on(plus_one_chain(futura::ready(0), 1000));
                                   }),
                                   2);
  BOOST_TEST(futura::block_on(std::move(outer)) == 1000 + 2 * limit - 1);
}

// ---- deep chains: destruction ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(destroying_an_unpolled_100000_link_chain_destroys_every_link_iteratively) {
  link_token::alive = 0;
  {
    futura::boxed_future<int> f = futura::ready(0).boxed();
    for (int i = 0; i < 100000; ++i) f = std::move(f).then([t = link_token()](int x) { return x + 1; }).boxed();
    BOOST_TEST(link_token::alive == 100000);
  }
  BOOST_TEST(link_token::alive == 0);
}

BOOST_AUTO_TEST_CASE(destroying_an_unpolled_1000000_link_chain_completes) {
  probe<int> bottom;
  { futura::boxed_future<int> f = plus_one_chain(bottom.future(), 1000000); }
  BOOST_TEST(bottom.drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_deep_chain_drops_every_link_and_releases_the_waker) {
  probe<int> bottom;
  counting_waker cw;
  link_token::alive = 0;
  {
    futura::boxed_future<int> f = bottom.future().boxed();
    for (int i = 0; i < 30000; ++i) f = std::move(f).then([t = link_token()](int x) { return x + 1; }).boxed();
    futura::waker w = cw.make();
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(bottom.drops() == 1);
  BOOST_TEST(link_token::alive == 0);
  // The probe's state still holds the last waker it saw; nothing else does.
  BOOST_TEST(cw.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_chain_grown_while_polling_destroys_every_level) {
  auto bottom = std::make_shared<probe<long>>();
  {
    futura::boxed_future<long> f = sum_down_to(30000, 0, bottom);
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(bottom->drops() == 1);
  BOOST_TEST(bottom.use_count() == 1);  // every level's lambda, which held a copy, is gone
}

BOOST_AUTO_TEST_CASE(a_shallow_nesting_is_destroyed_in_its_natural_order_before_the_destructor_returns) {
  // Each level owns a tag and (destroyed first, as the later member) the box of the level below,
  // so the natural, recursive order records the innermost tag first. Deferred destruction only
  // kicks in beyond the depth limit.
  struct tag {
    std::vector<int>* order;
    int id;
    tag(std::vector<int>* o, int i) : order(o), id(i) {}
    tag(tag&& o) noexcept : order(std::exchange(o.order, nullptr)), id(o.id) {}
    ~tag() {
      if (order) order->push_back(id);
    }
  };
  struct level : futura::future_ext<level> {
    using output_type = int;
    tag t;
    futura::boxed_future<int> below;
    level(tag tg, futura::boxed_future<int> b) : t(std::move(tg)), below(std::move(b)) {}
    futura::poll_result<int> poll(futura::waker& w) { return below.poll(w); }
  };
  std::vector<int> order;
  {
    probe<int> bottom;
    futura::boxed_future<int> f = bottom.future().boxed();
    for (int i = 0; i < 3; ++i) f = level(tag(&order, i), std::move(f)).boxed();
    BOOST_TEST(order.empty());
  }
  BOOST_TEST(order == (std::vector<int>{0, 1, 2}));
}

BOOST_AUTO_TEST_SUITE_END()
