// futura/combinator/either.hpp — one of two future types, chosen at run time: an if/else
// between futures.
//
//   holding_left(L)  --L ready with v--> done    (built by either_future<L, R>::left(l))
//   holding_right(R) --R ready with v--> done    (built by either_future<L, R>::right(r))
//
// `either_future<L, R>` holds one future, of type `L` or of type `R`, and completes with its
// output; both must have the same output type. It lets one lambda return a future from both
// branches of an `if` (two different future types otherwise; see docs/guide.md, chapter 13).
// `branch(cond, make_if_true, make_if_false)` calls exactly one maker, at once (like an `if`),
// and wraps what it returns: a future as it is, a value `v` as `ready(v)`, `void` as `ready()`.
//
// Ordering and threads: each poll polls the held future once, on the polling thread, with the
// caller's waker itself (no wrapper: the held future's wake is the caller's wake). The maker
// runs inside `branch`, on the calling thread; the future it returns is lazy as always. The
// makers are not kept: the future a maker returns must not use what the maker's own captures
// own (capture by reference what must outlive the call).
// Destruction: the held future is destroyed as soon as it is ready, before `poll` returns (as
// then's children are); dropping a pending either_future drops the held future (rule 5). The
// branch not taken has no future to destroy: its maker is never called.
// Exceptions thrown by the held future's poll propagate out of `poll` (rule 6); the held future
// is kept until the either_future is destroyed. Polling again after `ready` is rule 4's violation.
// Allocation: none. The held future lives inside the either_future, which moves when `L` and `R`
// move.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/combinator/ready.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

namespace detail {

/// Every check of `either_future<L, R>`: one static_assert, the first that fails; returns
/// whether the class may be built.
template <class L, class R>
constexpr bool check_either() {
  if constexpr (!std::is_same_v<L, std::decay_t<L>> || !std::is_same_v<R, std::decay_t<R>>) {
    static_assert(dependent_false<L, R>,
                  "futura::either_future<L, R> owns its future: L and R must be plain future types, not "
                  "references, const or arrays (write either_future<std::decay_t<L>, std::decay_t<R>>)");
    return false;
  } else if constexpr (!is_future_v<L> || !std::is_move_constructible_v<L>) {
    check_future<L, 0>();  // fires the static_assert that names what L lacks
    return false;
  } else if constexpr (!is_future_v<R> || !std::is_move_constructible_v<R>) {
    check_future<R, 1>();  // fires the static_assert that names what R lacks
    return false;
  } else if constexpr (!std::is_same_v<output_t<L>, output_t<R>>) {
    static_assert(dependent_false<L, R>,
                  "futura::either_future / futura::branch: the two branches' futures have different output types: "
                  "make both branches yield the same type, e.g. with .then(convert) on one of them");
    return false;
  } else {
    return true;
  }
}

/// The output of `either_future<L, R>`, or `unit` when check_either failed: the class then still
/// declares its members, so that check_either's static_assert stays the one error.
template <class L, class R, bool = check_either<L, R>()>
struct either_output {
  using type = unit;
};
template <class L, class R>
struct either_output<L, R, true> {
  using type = output_t<L>;
};

/// What `branch` holds for a maker whose call returns `Made`: the future itself, `ready(v)` for
/// a value, `ready()` for `void`.
template <class Made, bool = is_future_v<Made>>
struct branch_future {
  using type = std::decay_t<Made>;
};
template <class Made>
struct branch_future<Made, false> {
  using type = ready_future<void_to_unit_t<std::decay_t<Made>>>;
};

/// Calls `make` and wraps its result as branch_future says.
template <class Made, class Make>
auto make_branch(Make&& make) {
  using F = typename branch_future<Made>::type;
  if constexpr (is_future_v<Made>) {
    return F(std::forward<Make>(make)());
  } else if constexpr (std::is_void_v<Made>) {
    std::forward<Make>(make)();
    return F(unit{});
  } else {
    return F(std::forward<Make>(make)());
  }
}

/// A maker of `branch` (as `Make&&` deduced it): a callable with no arguments, which returns a
/// future by value or a value. `Index` is its position (0: make_if_true, 1: make_if_false).
template <class Make, std::size_t Index>
constexpr bool check_branch_maker() {
  if constexpr (is_future_v<Make>) {
    static_assert(dependent_false<Make>,
                  "futura::branch takes makers, not futures: it calls only the chosen one; write "
                  "[&] { return std::move(f); } (or build the future inside the lambda)");
    return false;
  } else if constexpr (!std::is_invocable_v<Make&&>) {
    static_assert(dependent_false<Make>,
                  "futura::branch: each maker must be callable with no arguments: capture what it needs, e.g. "
                  "[&] { return read(n); }");
    return false;
  } else if constexpr (is_future_v<std::invoke_result_t<Make&&>> && std::is_reference_v<std::invoke_result_t<Make&&>>) {
    static_assert(dependent_false<Make>,
                  "futura::branch: a maker must return its future by value (the either_future owns it): drop the "
                  "reference from the lambda's return type");
    return false;
  } else if constexpr (is_future_v<std::invoke_result_t<Make&&>> &&
                       !std::is_move_constructible_v<std::decay_t<std::invoke_result_t<Make&&>>>) {
    check_future<std::invoke_result_t<Make&&>, Index>();  // futures move between polls (rule 2)
    return false;
  } else {
    return true;
  }
}

}  // namespace detail

/// One of the futures `L` and `R`; see the top of this header. Built by `left(l)`, `right(r)`
/// or `branch(cond, make_if_true, make_if_false)`.
template <class L, class R>
class [[nodiscard]] either_future : public future_ext<either_future<L, R>> {
  static_assert(detail::check_either<L, R>());
  struct holding_left {
    explicit holding_left(L&& inner) : f(std::move(inner)) {}
    L f;
  };
  struct holding_right {
    explicit holding_right(R&& inner) : f(std::move(inner)) {}
    R f;
  };
  struct done {};

 public:
  using output_type = typename detail::either_output<L, R>::type;

  /// An either_future that holds `l`, the left branch's future.
  /// @code
  ///   using either = futura::either_future<futura::promise_future<int>, futura::ready_future<int>>;
  ///   auto f = has_reply ? either::left(reply.get_future()) : either::right(futura::ready(0));
  ///   int v = futura::block_on(std::move(f));
  /// @endcode
  static either_future left(L l) { return either_future(std::in_place_type<holding_left>, std::move(l)); }

  /// An either_future that holds `r`, the right branch's future.
  static either_future right(R r) { return either_future(std::in_place_type<holding_right>, std::move(r)); }

  /// Whether this holds (or held, once complete) the left branch's future.
  bool is_left() const noexcept { return is_left_; }

  FUTURA_ALWAYS_INLINE poll_result<output_type> poll(waker& w) {
    if (auto* s = std::get_if<holding_left>(&state_)) return poll_held(s->f, w);
    if (auto* s = std::get_if<holding_right>(&state_)) return poll_held(s->f, w);
    detail::polled_after_completion("futura::either_future");
  }

 private:
  template <class State, class F>
  either_future(std::in_place_type_t<State> held, F&& f)
      : state_(held, std::forward<F>(f)), is_left_(std::is_same_v<State, holding_left>) {}

  template <class F>
  FUTURA_ALWAYS_INLINE poll_result<output_type> poll_held(F& f, waker& w) {
    poll_result<output_type> r = f.poll(w);
    if (r.is_ready()) state_.template emplace<done>();  // the held future is finished: release it now
    return r;
  }

  std::variant<holding_left, holding_right, done> state_;
  bool is_left_;
};

/// An `if` whose branches make futures of different types: calls `make_if_true()` when `cond`
/// holds, `make_if_false()` otherwise (exactly one of them, at once), and returns an
/// `either_future` of what they return. A maker that returns a value `v` gives `ready(v)`, one
/// that returns `void` gives `ready()`. Both branches must yield the same output type.
/// @code
///   // In an HTTP handler: read a body only when there is one.
///   auto body = futura::branch(
///       content_length > 0, [&] { return read_body(socket, content_length); },  // result<std::size_t>
///       [] { return boost::system::result<std::size_t>(0); });                  // ready at once
///   auto handled = std::move(body).then([](boost::system::result<std::size_t> n) { /* respond */ });
/// @endcode
template <class MakeTrue, class MakeFalse>
auto branch(bool cond, MakeTrue&& make_if_true, MakeFalse&& make_if_false) {
  if constexpr (detail::check_branch_maker<MakeTrue, 0>() && detail::check_branch_maker<MakeFalse, 1>()) {
    using made_if_true = std::invoke_result_t<MakeTrue&&>;
    using made_if_false = std::invoke_result_t<MakeFalse&&>;
    using L = typename detail::branch_future<made_if_true>::type;
    using R = typename detail::branch_future<made_if_false>::type;
    if constexpr (detail::check_either<L, R>()) {
      if (cond)
        return either_future<L, R>::left(detail::make_branch<made_if_true>(std::forward<MakeTrue>(make_if_true)));
      return either_future<L, R>::right(detail::make_branch<made_if_false>(std::forward<MakeFalse>(make_if_false)));
    }
  }
}

}  // namespace futura
