// futura/stream/try_collect.hpp — a future of the values of a stream of results, or its first error.
//
//   fold(until_error(s), result<vector<T>, E>{}, push):
//     collecting(v) --item value x: v gets x--> collecting(v) (same poll, within the budget)
//     collecting(v) --item error e: the stream and v destroyed--> done: result<vector<T>, E>(e)
//     collecting(v) --end--> done: result<vector<T>, E>(v)
//
// `std::move(s).try_collect()`, where `s`'s items are `boost::system::result<T, E>`: a future of
// `boost::system::result<std::vector<T>, E>`: every value in order, or the first error. At the
// first error the future stops: the stream and the values collected so far are destroyed at once
// and no further item is polled for. Budget, threads, drops and exceptions are `collect`'s
// (futura/stream/collect.hpp). Allocation: what the vector does.
//
// Example:
//   boost::system::result<std::vector<std::string>> all = futura::block_on(std::move(lines).try_collect());
#pragma once

#include <futura/stream/detail/result_items.hpp>
#include <futura/stream/fold.hpp>

#include <boost/system/result.hpp>  // in_place_value

#include <utility>
#include <vector>

namespace futura::detail {

/// try_collect's fold step: the value joins the vector; an error replaces it (and is the last item).
template <class In>
struct collect_values {
  using output = rebind_result_t<In, std::vector<result_value_t<In>>>;
  output operator()(output&& acc, In&& item) const {
    if (!item) return pass_error<output>(item);
    acc->push_back(std::move(*item));
    return std::move(acc);
  }
};

template <class S>
auto start_try_collect(S&& s) {
  using D = std::decay_t<S>;
  if constexpr (check_stream<D>() && check_result_items<try_collect_method, item_t<D>, true>()) {
    using step = collect_values<item_t<D>>;
    using until = until_error_stream<D>;
    return stream::fold_future<until, typename step::output, step>(
        until(std::forward<S>(s)), typename step::output(boost::system::in_place_value), step{});
  }
}

}  // namespace futura::detail
