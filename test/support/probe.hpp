// Instrumented futures and values shared by every suite: a leaf future that counts its polls,
// records its waker and flags its destruction; a waker that counts wakes and live clones; a
// value type that counts constructions and destructions.
#pragma once

#include <futura/core.hpp>
#include <futura/core/detail/exceptions.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace futura_test {

/// The value of a ready poll result; a pending one fails the test (instead of reading nothing).
template <class T>
T value_of(futura::poll_result<T> r) {
  if (r.is_pending()) {
    futura::detail::throw_standard<std::logic_error>(boost::system::errc::invalid_argument,
                                                     "expected a ready poll_result, got pending");
  }
  return r.take();
}

/// A waker target that counts wakes and outstanding clones (checks that nothing leaks a waker).
/// The counters live in a reference-counted block, so wakers may outlive this object (rule 7).
class counting_waker {
 public:
  counting_waker() : block_(new block) {}
  counting_waker(const counting_waker&) = delete;
  counting_waker& operator=(const counting_waker&) = delete;
  ~counting_waker() { release(block_); }

  /// An owning waker (one clone) of this target.
  futura::waker make() {
    clone(block_);
    return futura::waker(futura::raw_waker{&vtable, block_});
  }
  int wakes() const { return block_->wakes.load(); }
  int live_clones() const { return block_->refs.load() - 1; }

 private:
  struct block {
    std::atomic<int> wakes{0};
    std::atomic<int> refs{1};  // this object's own reference
  };
  static futura::raw_waker clone(void* p) {
    static_cast<block*>(p)->refs.fetch_add(1);
    return {&vtable, p};
  }
  static void wake(void* p) {
    wake_by_ref(p);
    release(p);
  }
  static void wake_by_ref(void* p) { static_cast<block*>(p)->wakes.fetch_add(1); }
  static void release(void* p) {
    if (static_cast<block*>(p)->refs.fetch_sub(1) == 1) delete static_cast<block*>(p);
  }
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake_by_ref, &release};

  block* block_;
};

template <class T>
struct probe_state {
  int polls = 0;
  int drops = 0;
  futura::waker last_waker;
  std::optional<T> value;
  std::exception_ptr error;
};

/// The future end of a probe: pending until its probe completes or fails it.
template <class T>
class probe_future : public futura::future_ext<probe_future<T>> {
 public:
  using output_type = T;
  explicit probe_future(std::shared_ptr<probe_state<T>> s) : state_(std::move(s)) {}
  probe_future(probe_future&& o) noexcept : state_(std::move(o.state_)) {}
  probe_future& operator=(probe_future&&) = delete;
  ~probe_future() {
    if (state_) ++state_->drops;
  }

  futura::poll_result<T> poll(futura::waker& w) {
    ++state_->polls;
    state_->last_waker = w;
    if (state_->error) futura::detail::rethrow(state_->error);
    if (state_->value) {
      futura::poll_result<T> r(std::in_place, std::move(*state_->value));
      state_->value.reset();
      return r;
    }
    return futura::pending;
  }

 private:
  std::shared_ptr<probe_state<T>> state_;
};

/// The controlling end: `future()` makes the leaf; `complete(v)` / `fail(e)` finish it and wake
/// the last waker it was polled with. Single-threaded: for ordering and count tests.
template <class T>
class probe {
 public:
  probe() : state_(std::make_shared<probe_state<T>>()) {}

  probe_future<T> future() const { return probe_future<T>(state_); }

  /// Makes the future ready at once (before any poll, it is "ready at first poll").
  void complete(T v) {
    state_->value.emplace(std::move(v));
    state_->last_waker.wake();
  }
  void fail(std::exception_ptr e) {
    state_->error = std::move(e);
    state_->last_waker.wake();
  }
  void fail(const char* what = "probe failure") { fail(std::make_exception_ptr(std::runtime_error(what))); }

  int polls() const { return state_->polls; }
  int drops() const { return state_->drops; }
  /// A clone of the waker the future was last polled with.
  futura::waker waker() const { return state_->last_waker; }
  bool dropped() const { return state_->drops > 0; }

 private:
  std::shared_ptr<probe_state<T>> state_;
};

/// A value that counts how many of it exist, to prove every one is destroyed exactly once.
struct tracked {
  static inline std::atomic<int> constructed{0};
  static inline std::atomic<int> destroyed{0};
  static int alive() { return constructed.load() - destroyed.load(); }
  static void reset() {
    constructed = 0;
    destroyed = 0;
  }

  int value = 0;
  explicit tracked(int v = 0) : value(v) { ++constructed; }
  tracked(const tracked& o) : value(o.value) { ++constructed; }
  tracked(tracked&& o) noexcept : value(o.value) { ++constructed; }
  tracked& operator=(const tracked&) = default;
  tracked& operator=(tracked&&) = default;
  ~tracked() { ++destroyed; }
};

/// Polls `f` once with `w`.
template <class F>
auto poll_once(F& f, futura::waker& w) {
  return f.poll(w);
}

/// The futures of `probes`, in order (for join_all, select_all and friends).
template <class T>
std::vector<probe_future<T>> futures_of(const std::vector<probe<T>>& probes) {
  std::vector<probe_future<T>> v;
  for (const auto& p : probes) v.push_back(p.future());
  return v;
}

/// `n` links of `+1` over `f`, each link boxed: a chain as deep as `n` (the boxed trampoline's
/// suites build them past its depth limit).
inline futura::boxed_future<int> plus_one_chain(futura::boxed_future<int> f, int n) {
  for (int i = 0; i < n; ++i) f = std::move(f).then([](int x) { return x + 1; }).boxed();
  return f;
}

/// For BOOST_CHECK_EXCEPTION: the future_error of polling a completed future.
inline bool is_polled_after_completion(const futura::future_error& e) {
  return e.code() == futura::error::polled_after_completion;
}

/// For BOOST_CHECK_EXCEPTION: the future_error of a future whose completion was destroyed
/// uncalled (an Asio handler with its execution context, a promise dropped unset).
inline bool is_broken_promise(const futura::future_error& e) { return e.code() == futura::error::broken_promise; }

}  // namespace futura_test
