// futura/combinator/poll_fn.hpp — a future from a poll function.
//
//   polling(f) --f returned ready--> done
//
// `poll_fn<T>(f)`: each poll calls `f(waker&)`, which returns `poll_result<T>`; `f` obeys
// the rules of a hand-written poll (rule 3: register the waker or wake before returning
// pending). `f` runs on the polling thread. Allocation: none.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/misuse.hpp>

#include <type_traits>
#include <utility>

namespace futura {

template <class T, class Fn>
class [[nodiscard]] poll_fn_future : public future_ext<poll_fn_future<T, Fn>> {
  static_assert(std::is_invocable_r_v<poll_result<T>, Fn&, waker&>,
                "futura::poll_fn<T>(f): f must be callable as f(futura::waker&) and return futura::poll_result<T>");

 public:
  using output_type = T;

  explicit poll_fn_future(Fn fn) : fn_(std::move(fn)) {}

  FUTURA_ALWAYS_INLINE poll_result<T> poll(waker& w) {
    if (done_) detail::polled_after_completion("futura::poll_fn_future");
    poll_result<T> r = fn_(w);
    done_ = r.is_ready();
    return r;
  }

 private:
  Fn fn_;
  bool done_ = false;
};

/// A future whose poll is `f(waker&)`.
/// @code
///   int n = 0;
///   auto f = futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
///     if (++n < 3) { w.wake(); return futura::pending; }
///     return n;
///   });
/// @endcode
template <class T, class Fn>
poll_fn_future<T, std::decay_t<Fn>> poll_fn(Fn&& fn) {
  return poll_fn_future<T, std::decay_t<Fn>>(std::forward<Fn>(fn));
}

}  // namespace futura
