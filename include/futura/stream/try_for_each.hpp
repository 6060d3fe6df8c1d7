// futura/stream/try_for_each.hpp — a future that runs a fallible function on every value of a
// stream of results, until the first error.
//
//   fold(until_error(s.and_then(f)), no error, keep the error), then as result<void, E>:
//     holding --item value v: f(v) is ok (or its future is)--> holding (same poll, within the budget)
//     holding --item error e, or f(v) fails with e: the stream destroyed--> done: result<void, E>(e)
//     holding --end--> done: result<void, E>() (success)
//
// `std::move(s).try_for_each(f)`, where `s`'s items are `boost::system::result<T, E>`: `f(T&&)`
// returns `void`, `boost::system::result<void, E>` or a future of one (what `.and_then(f)` takes,
// with no value). The output is `result<void, E>`: the first error, from the stream or from `f`,
// or success at the end. At the first error the future stops: the stream is destroyed at once and
// no further item is polled for or handed to `f`. One item at a time, in order, as `for_each`
// (futura/stream/for_each.hpp: budget, threads, drops and exceptions are its).
// Not `try_for_each_concurrent`. Allocation: none.
//
// Example:
//   auto r = futura::block_on(std::move(lines).try_for_each([&](std::string l) { return write_line(sock, l); }));
//   if (!r) log(r.error());
#pragma once

#include <futura/combinator/and_then.hpp>
#include <futura/combinator/then.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/stream/detail/result_items.hpp>
#include <futura/stream/fold.hpp>

#include <boost/system/result.hpp>

#include <type_traits>
#include <utility>

namespace futura::detail {

/// try_for_each's fold step: the accumulator says whether an error came, and which (the stream
/// ends after one). Not an optional or a `result<void, E>`: GCC 12 reports their unset error
/// bytes as read when the fold moves (a false -Wuninitialized, with -fno-exceptions at -O3); E is
/// default-constructible (check_result_output), so every member here is set.
template <class R>
struct keep_error {
  using error = std::pair<bool, result_error_t<R>>;  // {failed, the error}
  error operator()(error&&, R&& r) const {
    if (r) return error();
    return error(true, r.error());
  }
};

/// The fold's error, as try_for_each's output.
template <class R>
struct error_to_result {
  R operator()(typename keep_error<R>::error&& e) const {
    if (e.first) return R(boost::system::in_place_error, std::move(e.second));
    return R(boost::system::in_place_value);
  }
};

template <class S, class F>
auto start_try_for_each(S&& s, F&& f) {
  using D = std::decay_t<S>;
  if constexpr (check_stream<D>() && check_result_items<try_for_each_method, item_t<D>>()) {
    using In = item_t<D>;
    if constexpr (and_then_combinator::check_result<In, std::decay_t<F>>()) {
      using R = typename and_then_traits<std::decay_t<F>, In>::output;
      static_assert(std::is_void_v<result_value_t<R>>,
                    "futura: .try_for_each(f): f must return void, boost::system::result<void, E> or a future of "
                    "one (to transform the values, use .map_ok(f) or .and_then(f))");
      if constexpr (std::is_void_v<result_value_t<R>>) {
        auto steps = adapt_result_items<and_then_combinator>(std::forward<S>(s), std::forward<F>(f));
        using until = until_error_stream<decltype(steps)>;
        using fold = stream::fold_future<until, typename keep_error<R>::error, keep_error<R>>;
        return futura::then(fold(until(std::move(steps)), {}, keep_error<R>{}), error_to_result<R>{});
      }
    }
  }
}

}  // namespace futura::detail
