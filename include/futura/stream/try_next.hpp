// futura/stream/try_next.hpp — a future of the next value of a stream of results, or its error.
//
//   then(next_future(&s), transpose):
//     polling(&s) --item value v--> done: result<optional<T>, E>(v)
//     polling(&s) --item error e--> done: result<optional<T>, E>(e)
//     polling(&s) --end---------> done: result<optional<T>, E>(std::nullopt)
//
// `s.try_next()`, where `s`'s items are `boost::system::result<T, E>`: a future of
// `boost::system::result<std::optional<T>, E>`: the next value, the next error, or an empty
// optional at the end. It is `s.next()` (futura/stream/next.hpp) with its output transposed, so it
// *refers* to the stream as `next()` does: `s` must outlive the future and must not move while it
// is pending. The stream may be polled again after an error (whether it yields more is the
// stream's business). Dropping a pending try_next loses nothing. Allocation: none.
//
// Example:
//   while (true) {
//     auto line = futura::block_on(lines.try_next());   // result<optional<std::string>, error_code>
//     if (!line) return line.error();
//     if (!*line) break;                                // the end
//     handle(**line);
//   }
#pragma once

#include <futura/combinator/then.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/stream/detail/result_items.hpp>
#include <futura/stream/next.hpp>

#include <optional>

namespace futura::detail {

/// next()'s `std::optional<result<T, E>>` as try_next's `result<std::optional<T>, E>`.
template <class In>
struct transpose_next {
  using output = rebind_result_t<In, std::optional<result_value_t<In>>>;
  output operator()(std::optional<In>&& item) const {
    if (!item) return output(boost::system::in_place_value);  // the end: an empty optional
    if (!*item) return pass_error<output>(*item);
    return pass_value<output>(*item);
  }
};

template <class S>
auto start_try_next(S& s) {
  if constexpr (check_stream<S>() && check_result_items<try_next_method, item_t<S>, true>()) {
    return futura::then(stream::next_future<S>(s), transpose_next<item_t<S>>{});
  }
}

}  // namespace futura::detail
