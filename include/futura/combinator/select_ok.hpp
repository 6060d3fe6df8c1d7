// futura/combinator/select_ok.hpp — the first success among a vector of fallible futures.
//
//   running(vector<F>) --futures[i] ready with a value------> done  output: that result; the others dropped
//   running(vector<F>) --futures[i] ready with an error-----> running(vector<F> without i)  (i dropped)
//   running(last one)  --it is ready with an error----------> done  output: that (the last) error
//   running(vector<F>) --a child's poll throws--------------> done  every child dropped, exception propagates
//
// `select_ok(std::move(futures))`, for futures whose output is `boost::system::result<T, E>`,
// completes with the first result that holds a value. Failed futures leave the race: the
// select_ok is an error only when every future failed, and then it is the error of the one
// that failed last (in time; within one poll, the one polled last).
//
// Ordering: every poll polls each future still running, with the parent's waker, until one
// succeeds; the one polled first rotates like `select`'s (a per-thread counter,
// detail/select_rotation.hpp), so when several succeed at once none is always preferred.
// Cost: O(n) per poll.
// Threads: the futures are polled on the thread that polls the select_ok, nowhere else.
// Destruction: a future that fails is destroyed at once, inside the poll that saw it fail;
// when one succeeds, every other future is destroyed (cancelled) before `poll` returns.
// Dropping a pending select_ok drops every future still running. An exception thrown by a
// future's poll completes the select_ok: every future is dropped, then the exception
// propagates (rule 6).
// Empty input: it could never complete, so the constructor throws `std::invalid_argument`.
// Allocation: none; it keeps the vector it was given (removing a failed future keeps the order
// in place, except for a future type that can neither be move-assigned nor moved without
// throwing, which costs one allocation per removal).
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/select_vector.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura {

namespace detail {

/// select_ok's tag (detail/argument_checks.hpp): the futures' output must be a result.
struct select_ok_combinator {
  template <class F>
  static constexpr bool check() {
    if constexpr (!is_result_v<output_t<F>>) {
      static_assert(dependent_false<F>,
                    "futura::select_ok: the futures' output must be boost::system::result<T, E> (for other outputs, "
                    "use select_all, or map the output to a result with .then)");
      return false;
    } else {
      return true;
    }
  }
};

}  // namespace detail

/// The future of `select_ok(std::move(futures))`.
template <class F>
class [[nodiscard]] select_ok_future : public future_ext<select_ok_future<F>> {
  static_assert(detail::check_future_vector_argument<detail::select_ok_combinator, std::vector<F>>());

 public:
  using output_type = output_t<F>;

  /// Throws `std::invalid_argument` when `futures` is empty (it would never complete).
  explicit select_ok_future(std::vector<F> futures)
      : futures_(detail::select_nonempty(
            std::move(futures), "futura::select_ok: the vector of futures is empty, so it would never complete")) {}

  poll_result<output_type> poll(waker& w) {
    const std::size_t first = detail::select_first_position(futures_, "futura::select_ok_future");
    FUTURA_TRY {
      // Positions first..end, then 0..first-1. A failed future is erased at once, which shifts
      // the later ones down, so the walk stays at the same position after an erasure. Erasures
      // of the first pass are all at positions >= first: positions 0..first-1 are untouched.
      {
        poll_result<output_type> r = poll_range(first, futures_.size(), w);
        if (r.is_ready() || first == 0) return r;
      }
      return poll_range(0, first, w);
    }
    FUTURA_CATCH_ALL {
      futures_.clear();  // the exception completes the select_ok: cancel every future
      FUTURA_RETHROW;
    }
  }

 private:
  // Polls positions [from, to) of the shrinking vector; ready means select_ok is done.
  poll_result<output_type> poll_range(std::size_t from, std::size_t to, waker& w) {
    for (std::size_t i = from; i < to;) {
      poll_result<output_type> r = futures_[i].poll(w);
      if (r.is_pending()) {
        ++i;
      } else if (r.value().has_value()) {
        std::vector<F>().swap(futures_);  // success: drop (cancel) every other future now
        return r;
      } else {
        detail::select_erase_keep_order(futures_, i);  // failure: this one leaves the race now
        --to;
        if (futures_.empty()) return r;  // every future failed: this is the last error
      }
    }
    return pending;
  }

  std::vector<F> futures_;
};

/// Completes with the first `result` that holds a value; an error only when every future
/// failed (the last error). See the top of this header. Throws `std::invalid_argument` if
/// `futures` is empty.
/// @code
///   // Ask every mirror; the first that answers wins, failures are dropped as they happen.
///   std::vector<futura::promise_future<boost::system::result<std::string>>> mirrors = ...;
///   boost::system::result<std::string> page = futura::block_on(futura::select_ok(std::move(mirrors)));
///   if (!page) log(page.error());   // every mirror failed: the error of the last one
/// @endcode
template <class V>
auto select_ok(V&& futures) {
  return detail::make_select_future<detail::select_ok_combinator, select_ok_future>(std::forward<V>(futures));
}

}  // namespace futura
