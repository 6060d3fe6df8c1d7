// futura/combinator/shared.hpp — a copyable future: shared_future<T>.
//
//   every copy: waiting --begin_poll: another copy polls--> waiting (its waker registered)
//               waiting --begin_poll: it polls the inner F--> waiting (F pending) | done
//               waiting --F completed (by any copy)--> done: a copy of the value, or the exception
//
// `f.shared()` / `shared_future<T>(std::move(f))` turns any future into one that can be copied;
// every copy yields a copy of the output, or rethrows the same exception (the same
// std::exception_ptr). Each copy may be polled from its own task or thread. T must be
// copy-constructible.
//
// Ordering and threads: exactly one copy polls the inner future at a time, on the thread that
// polls that copy, with a waker that wakes every waiting copy; when the inner completes, every
// waiting copy is woken. A copy made after completion is ready at its first poll. A copy that
// returned its output (or threw) is complete (rule 4) and has released the shared state; when
// it is the only copy left, it receives the output by move instead of by copy.
// Destruction: the inner future is destroyed as soon as it completes (on the polling thread),
// or when the last copy is dropped, pending (rule 5: cancellation, on the dropping thread). The
// output lives until the last copy is gone.
// Exceptions thrown by the inner future's poll are stored and rethrown to every copy (rule 6).
//
// Cost: one allocation (the shared state, in `shared()`); copies allocate nothing (a reference
// count), and so do polls while at most four copies wait at once (more spill into a vector).
// Each poll of a copy takes the mutex once, twice when it is the copy that polls the inner
// future (to start that poll and to end it); registering its waker clones it only when it changed;
// waking the copies is O(number of waiting copies), done outside the mutex. The inner future is
// polled in its own trampoline context (futura/combinator/detail/boxed_trampoline.hpp): a deep boxed chain
// inside is driven to the end before the poll returns, never by another copy's thread.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/root_poll.hpp>
#include <futura/combinator/detail/shared_state.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>

#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {
struct shared_combinator;  // shared's tag (detail/argument_checks.hpp)
}  // namespace detail

/// A copyable future of `T`: every copy yields the output; see the top of this header.
/// @code
///   futura::promise<int> p;
///   futura::shared_future<int> s = p.get_future().shared();
///   std::thread a([s] { assert(futura::block_on(s) == 42); });   // each thread its own copy
///   std::thread b([s] { assert(futura::block_on(s) == 42); });
///   p.set_value(42);                                            // wakes both
///   a.join();
///   b.join();
/// @endcode
template <class T>
class [[nodiscard]] shared_future : public future_ext<shared_future<T>> {
  static_assert(!std::is_reference_v<T> && !std::is_void_v<T>,
                "futura::shared_future<T>: T must be a value type (futura::unit for no value)");
  static_assert(std::is_copy_constructible_v<T>,
                "futura::shared_future<T>: every copy receives its own copy of the output, so T must be "
                "copy-constructible; share a move-only output as std::shared_ptr (e.g. "
                "std::move(f).then([](T v) { return std::make_shared<T>(std::move(v)); }).shared())");

 public:
  using output_type = T;

  /// An empty copy (like a moved-from one): assign a shared future to it before polling.
  shared_future() noexcept = default;

  /// Shares `f` (any future whose output is `T`); allocates the shared state once.
  template <class F, std::enable_if_t<!std::is_same_v<std::decay_t<F>, shared_future> && is_future_v<F>, int> = 0>
  explicit shared_future(F&& f) {
    using D = std::decay_t<F>;
    static_assert(std::is_same_v<output_t<D>, T>,
                  "futura::shared_future<T>: the future's output_type must be exactly T");
    if constexpr (detail::check_future_argument<detail::shared_combinator, F>() && std::is_same_v<output_t<D>, T>) {
      state_ = new detail::shared_state_impl<D>(std::forward<F>(f));
    }
  }

  /// Another copy of the same shared future: it will yield the same output.
  shared_future(const shared_future& other) noexcept : state_(other.state_) {
    if (state_) state_->add_copy();
  }
  shared_future(shared_future&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), key_(std::exchange(other.key_, 0)) {}
  shared_future& operator=(const shared_future& other) noexcept {
    if (this != &other) shared_future(other).swap(*this);
    return *this;
  }
  shared_future& operator=(shared_future&& other) noexcept {
    shared_future(std::move(other)).swap(*this);
    return *this;
  }
  ~shared_future() { drop(); }

  /// False for a moved-from copy and for one that already returned its output.
  bool valid() const noexcept { return state_ != nullptr; }

  poll_result<T> poll(waker& w) {
    if (!state_) detail::polled_after_completion("futura::shared_future");
    switch (state_->begin_poll(key_, w)) {
      case detail::shared_core::begin_result::complete:
        return take_output();
      case detail::shared_core::begin_result::busy:
        return pending;
      case detail::shared_core::begin_result::poll:
        break;
    }
    FUTURA_TRY {
      poll_result<T> r = poll_inner();
      if (r.is_pending()) {
        state_->end_poll_pending();
        return pending;
      }
      state_->destroy_inner();  // completed: release it before anyone is woken
      state_->value.emplace(std::move(r).value());
    }
    FUTURA_CATCH_ALL {
      state_->destroy_inner();
      state_->error = std::current_exception();
    }
    state_->end_poll_complete(key_);
    return take_output();
  }

  void swap(shared_future& other) noexcept {
    std::swap(state_, other.state_);
    std::swap(key_, other.key_);
  }

 private:
  poll_result<T> poll_inner() {
    // A root (detail/root_poll.hpp): the inner future may next be polled by another copy on
    // another thread, so what this poll deferred must be finished before it returns.
    detail::borrowed_waker notifier(state_->notifier());
    detail::root_poll_scope root;
    return state_->poll_inner(notifier.get());
  }

  // After completion: this copy yields the output and releases the state.
  poll_result<T> take_output() {
    struct releaser {
      shared_future& self;
      ~releaser() { self.drop(); }
    } release_on_exit{*this};
    if (state_->error) detail::rethrow(state_->error);
    if (state_->sole_copy()) return poll_result<T>(std::in_place, std::move(*state_->value));
    return poll_result<T>(std::in_place, *state_->value);
  }

  void drop() noexcept {
    detail::shared_state<T>* s = std::exchange(state_, nullptr);
    if (!s) return;
    if (key_ != 0) s->unregister(std::exchange(key_, 0));
    if (s->release_copy()) {
      s->last_copy_gone();
      s->release();  // the copies' one memory reference
    }
  }

  detail::shared_state<T>* state_ = nullptr;
  std::uint32_t key_ = 0;  // this copy's waker slot in the state; 0: none yet
};

}  // namespace futura
