// futura/stream/detail/result_items.hpp — what the try_ methods share: streams whose items are
// `boost::system::result<T, E>`.
//
// - check_result_items: the one static_assert a try_ method fires when the items are not results.
// - adapt_result_items<C>(s, g): a stream adapter made of a future combinator's function object
//   (and_then's, map_err's; see combinator/detail/then_with.hpp): `map` when the function object
//   returns a result, `then` when it returns a future of one. So map_ok, map_err and and_then on
//   streams are the future combinators applied item by item, not copies of them.
// - until_error_stream: the items up to and including the first error, after which the upstream
//   is destroyed and the stream ends; try_for_each and try_collect are folds over it.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/map.hpp>
#include <futura/stream/stream_ext.hpp>
#include <futura/stream/then.hpp>

#include <boost/system/result.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura::detail {

// The try_ methods' tags, named in their checks' messages' instantiation traces.
struct try_next_method;
struct try_filter_method;
struct try_for_each_method;
struct try_collect_method;

/// `boost::system::result<V, E>`, `E` the error type of the result `In`.
template <class In, class V>
using rebind_result_t = boost::system::result<V, result_error_t<In>>;

/// The items `In` of a stream given to a try_ method (`Method`, its tag): a result whose error
/// copies; with `NeedsValue`, a result that holds a value (not `result<void, E>`).
template <class Method, class In, bool NeedsValue = false>
constexpr bool check_result_items() {
  if constexpr (!is_result_v<In>) {
    static_assert(dependent_false<Method, In>,
                  "futura: the stream's items are not boost::system::result<T, E>: the try_ methods (try_next, "
                  "map_ok, map_err, and_then, try_filter, try_for_each, try_for_each_concurrent, try_collect) work "
                  "on streams of results; use next, map, then, filter, for_each, for_each_concurrent or collect");
    return false;
  } else if constexpr (NeedsValue && std::is_void_v<result_value_t<In>>) {
    static_assert(dependent_false<Method, In>,
                  "futura: the stream's items are boost::system::result<void, E>, which hold no value: try_next, "
                  "try_filter and try_collect need results with a value (use try_for_each)");
    return false;
  } else {
    return check_result_output<Method, In>();
  }
}

/// `s` adapted item by item with the function object `C::fn<G, T>` of a result combinator `C`:
/// a `map_stream`, or a `then_stream` when the function object returns a future.
template <class C, class S, class G>
auto adapt_result_items(S&& s, G&& g) {
  using D = std::decay_t<S>;
  if constexpr (check_stream<D>() && check_result_items<C, item_t<D>>()) {
    using In = item_t<D>;
    if constexpr (C::template check_result<In, std::decay_t<G>>() && check_function_argument<C, G>()) {
      using Fn = typename C::template fn<std::decay_t<G>, In>;
      if constexpr (is_future_v<std::invoke_result_t<Fn&, In&&>>) {
        return stream::then_stream<D, Fn>(std::forward<S>(s), Fn(std::forward<G>(g)));
      } else {
        return stream::map_stream<D, Fn>(std::forward<S>(s), Fn(std::forward<G>(g)));
      }
    }
  }
}

/// The items of a stream of results up to and including the first error; then the end.
///
///   passing(S) --value item--> item
///   passing(S) --error item: S destroyed--> item; then the end at every poll
///   passing(S) --S pending / end--> the same (a poll after S's end reaches S: rule 4)
template <class S>
class until_error_stream {
 public:
  using item_type = item_t<S>;

  explicit until_error_stream(S s) : s_(std::in_place, std::move(s)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (!s_) return std::optional<item_type>();
    poll_result<std::optional<item_type>> r = s_->poll_next(w);
    if (r.is_ready() && r.value() && !*r.value()) s_.reset();  // the first error: drop the rest now
    return r;
  }

 private:
  std::optional<S> s_;
};

}  // namespace futura::detail
