// futura/combinator/select_all.hpp — the first of a vector of futures, and the rest still running.
//
//   running(vector<F>) --futures[i] ready with v--> done   output: {v, i, the others in order}
//   running(vector<F>) --a child's poll throws----> done   every child dropped, exception propagates
//
// `select_all(std::move(futures))` completes with a `select_all_result<T, F>`: the winner's value,
// its index in the vector, and `rest`, the other futures in their original order, *not*
// cancelled: poll them again (for instance with another `select_all(std::move(result.rest))`)
// to get their outputs. A future in `rest` may already have been woken (its wake went to the
// select_all's task); repolling it is always correct (rule 3 holds for the new poller).
//
// Ordering: every poll polls each future, with the parent's waker, until one is ready; the
// one polled first rotates like `select`'s (a per-thread counter, detail/select_rotation.hpp),
// so no future starves even when every select_all is new. Cost: O(n) per poll; for thousands
// of futures that wake rarely, prefer a structure with per-child wakers.
// Threads: the futures are polled on the thread that polls the select_all, nowhere else.
// Destruction: the winner is destroyed before `poll` returns; the rest move into the result.
// Dropping a pending select_all drops every future. An exception thrown by a future's poll
// completes the select_all: every future is dropped, then the exception propagates (rule 6).
// Empty input: an empty select_all could never complete, so the constructor (and so
// `select_all(v)`) throws `std::invalid_argument`.
// Allocation: none; `rest` is the vector that was given (minus the winner). Removing the winner
// keeps the order in place when `F` is move-assignable or nothrow-move-constructible; only a
// future type with neither costs one allocation (the survivors move into a new vector).
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/select_vector.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/future_traits.hpp>

#include <cstddef>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura {
namespace detail {

/// select_all's tag (detail/argument_checks.hpp): any future goes.
struct select_all_combinator : any_future_goes {};

}  // namespace detail

/// The output of `select_all`: the winner's `value`, its `index` in the input vector, and the
/// other futures, still running, in their input order.
/// @code
///   // Handle replies in the order they arrive.
///   while (!pending_replies.empty()) {
///     auto [value, index, rest] = futura::block_on(futura::select_all(std::move(pending_replies)));
///     handle(value, index);   // index: position in this round's pending_replies
///     pending_replies = std::move(rest);
///   }
/// @endcode
template <class T, class F>
struct select_all_result {
  T value;
  std::size_t index;
  std::vector<F> rest;
};

/// The future of `select_all(std::move(futures))`.
template <class F>
class [[nodiscard]] select_all_future : public future_ext<select_all_future<F>> {
  static_assert(detail::check_future_vector_argument<detail::select_all_combinator, std::vector<F>>());

 public:
  using output_type = select_all_result<output_t<F>, F>;

  /// Throws `std::invalid_argument` when `futures` is empty (it would never complete).
  explicit select_all_future(std::vector<F> futures)
      : futures_(detail::select_nonempty(
            std::move(futures), "futura::select_all: the vector of futures is empty, so it would never complete")) {}

  poll_result<output_type> poll(waker& w) {
    std::size_t i = detail::select_first_position(futures_, "futura::select_all_future");
    const std::size_t n = futures_.size();
    FUTURA_TRY {
      for (std::size_t polled = 0; polled < n; ++polled, i = (i + 1 == n) ? 0 : i + 1) {
        poll_result<output_t<F>> r = futures_[i].poll(w);
        if (r.is_pending()) continue;
        detail::select_erase_keep_order(futures_, i);  // the winner is destroyed here
        std::vector<F> rest(std::move(futures_));
        futures_.clear();  // a moved-from vector is only "valid": make it empty, meaning done
        return output_type{std::move(r).value(), i, std::move(rest)};
      }
    }
    FUTURA_CATCH_ALL {
      futures_.clear();  // the exception completes the select_all: cancel every future
      FUTURA_RETHROW;
    }
    return pending;
  }

 private:
  std::vector<F> futures_;
};

/// Completes with the first of `futures` to be ready, its index, and the others still
/// running; see the top of this header. Throws `std::invalid_argument` if `futures` is empty.
/// @code
///   std::vector<futura::promise_future<int>> replies = ...;      // one per server
///   auto first = futura::block_on(futura::select_all(std::move(replies)));
///   use(first.value, first.index);
///   auto second = futura::block_on(futura::select_all(std::move(first.rest)));  // the next one
/// @endcode
template <class V>
auto select_all(V&& futures) {
  return detail::make_select_future<detail::select_all_combinator, select_all_future>(std::forward<V>(futures));
}

}  // namespace futura
