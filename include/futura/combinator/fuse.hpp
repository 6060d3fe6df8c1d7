// futura/combinator/fuse.hpp — a future that may be polled again after it completed.
//
//   running(F) --F ready with v (or F throws)--> terminated --poll--> pending, forever
//
// `f.fuse()` / `fuse(f)`: polls `f` until it is ready and yields its output; from then on
// `is_terminated()` is true and every further poll returns `pending` without touching anything
// (no rule-4 error, no waker registered: a terminated fuse is never woken again). The use is a
// loop that polls several futures and may poll a finished one again, as a hand-written `select`
// over a future that already won does.
//
// Destruction: `F` is destroyed inside the poll that saw it ready, before that poll returns (also
// when its poll threw: the exception propagates and the fuse is terminated); dropping the fuse
// before that drops `F`. Threads: `F` is polled on the polling thread. Allocation: none; the
// size is `F`'s plus a flag.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/future_traits.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {
struct fuse_combinator;  // fuse's tag (detail/argument_checks.hpp)
}  // namespace detail

template <class F>
class [[nodiscard]] fuse_future : public future_ext<fuse_future<F>> {
  static_assert(detail::check_future<F>());

 public:
  using output_type = output_t<F>;

  explicit fuse_future(F f) : inner_(std::in_place, std::move(f)) {}

  /// True once the inner future completed (or threw): polls return `pending` from then on.
  bool is_terminated() const noexcept { return !inner_.has_value(); }

  FUTURA_ALWAYS_INLINE poll_result<output_type> poll(waker& w) {
    if (!inner_) return pending;
    FUTURA_TRY {
      poll_result<output_type> r = inner_->poll(w);
      if (r.is_ready()) inner_.reset();
      return r;
    }
    FUTURA_CATCH_ALL {
      inner_.reset();  // a future that threw is finished (rule 6): release it as if it completed
      FUTURA_RETHROW;
    }
  }

 private:
  std::optional<F> inner_;
};

/// `f`, made safe to poll after completion: see the top of this header.
/// @code
///   auto f = futura::ready(7).fuse();
///   futura::waker w = futura::noop_waker();
///   f.poll(w);            // ready: 7
///   f.is_terminated();    // true
///   f.poll(w);            // pending (not an error)
/// @endcode
template <class F>
FUTURA_ALWAYS_INLINE auto fuse(F&& f) {
  if constexpr (detail::check_future_argument<detail::fuse_combinator, F>()) {
    return fuse_future<std::decay_t<F>>(std::forward<F>(f));
  }
}

}  // namespace futura
