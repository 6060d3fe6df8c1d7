// futura/combinator/try_join_all.hpp — join_all over futures of boost::system::result; the first
// error wins.
//
//   unpolled(vector<F>) --first poll: one block, children moved in--> polling
//   polling --a child is ready with a value: destroy it, keep the value--> polling
//   polling --the last child is ready with a value--> done (result with the vector of values)
//   polling --a child is ready with an error--> destroy every other child and value --> done (that error)
//   polling --a child's poll throws--> done (the exception propagates)
//
// `try_join_all(std::move(v))` / `try_join_all(first, last)`: each child outputs
// `boost::system::result<T, E>`; the output is `boost::system::result<std::vector<T>, E>` (a
// `result<void, E>` child contributes `futura::unit`), values in input order.
//
// Polling, cost, threads and moves are join_all's (combinator/join_all.hpp): O(n) total work
// for n children each woken once, at most one poll per child per poll, only woken children
// re-polled (the first poll polls all, in input order; later polls in the order of the wakes).
// The first error seen wins: the children not polled yet in that poll are not polled, and every
// other child (running or finished) is destroyed (cancelled) before `poll` returns the error.
// A child's poll that throws makes `poll` throw; the join is then complete and the other
// children are destroyed with it.
// Allocation: join_all's (one block at the first poll, the output vector at completion).
#pragma once

#include <futura/combinator/detail/join_all_core.hpp>
#include <futura/combinator/detail/join_try_mode.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura {

namespace detail {
/// try_join_all's error type (error_code when the output is not a result, so that only the
/// static_assert of check_try_join_output reports the mistake).
template <class F>
using try_join_all_error_t =
    std::conditional_t<join_result_traits<output_t<F>>::is_result, typename join_result_traits<output_t<F>>::error_type,
                       boost::system::error_code>;
}  // namespace detail

/// The future of `futura::try_join_all(...)`; see the top of this header.
template <class F>
class [[nodiscard]] try_join_all_future : public future_ext<try_join_all_future<F>> {
  static_assert(detail::check_future<F>());
  static_assert(detail::check_try_join_output<output_t<F>, output_t<F>>());
  using core_type = detail::join_all_core<detail::join_try_mode<detail::try_join_all_error_t<F>>, F>;

 public:
  /// `boost::system::result<std::vector<T>, E>`.
  using output_type = typename core_type::output_type;

  explicit try_join_all_future(std::vector<F>&& children) noexcept : core_(std::move(children)) {}

  poll_result<output_type> poll(waker& w) { return core_.poll(w, "futura::try_join_all_future"); }

 private:
  core_type core_;
};

/// Runs every future of `children` concurrently; ready with all values in input order, or with
/// the first error (the other futures are then dropped, so cancelled).
/// @code
///   using boost::system::result;
///   std::vector<futura::ready_future<result<int>>> v;
///   v.push_back(futura::ready(result<int>(1)));
///   v.push_back(futura::ready(result<int>(boost::system::errc::make_error_code(boost::system::errc::io_error))));
///   result<std::vector<int>> r = futura::block_on(futura::try_join_all(std::move(v)));   // the io_error
/// @endcode
template <class F>
try_join_all_future<F> try_join_all(std::vector<F>&& children) {
  static_assert(detail::check_future<F>());
  return try_join_all_future<F>(std::move(children));
}

/// Copies `children` (for copyable futures, such as shared_future); prefer `std::move(v)`.
template <class F>
try_join_all_future<F> try_join_all(const std::vector<F>& children) {
  static_assert(detail::check_future<F>());
  static_assert(std::is_copy_constructible_v<F>,
                "futura::try_join_all consumes the vector of futures: pass std::move(v)");
  return try_join_all_future<F>(std::vector<F>(children));
}

/// The futures of `[first, last)`, moved from (the range keeps moved-from futures).
template <class It>
auto try_join_all(It first, It last) {
  using F = std::decay_t<typename std::iterator_traits<It>::reference>;
  static_assert(detail::check_future<F>());
  return try_join_all_future<F>(std::vector<F>(std::make_move_iterator(first), std::make_move_iterator(last)));
}

}  // namespace futura
