// futura/combinator/select.hpp — the first of several futures to complete.
//
//   running(F0, ..., Fn-1) --child i ready with v--> done    output: variant{in_place_index<i>, v}
//   running(F0, ..., Fn-1) --a child's poll throws--> done   the exception propagates
//
// `select(fs...)` completes with the output of whichever child is ready first, as a
// `std::variant<output_t<Fs>...>` built with `std::in_place_index`, so `index()` says which child
// won even when several children have the same output type.
//
// Ordering: each poll polls the children one after another, in a cyclic order, with the
// parent's waker (so any child's wake wakes the select), and stops at the first that is ready:
// it wins, and the children after it in that poll's order are not polled. `select` is fair:
// the child polled first is drawn from a per-thread counter (scrambled) that every fair poll
// advances (detail/select_rotation.hpp), so it changes across polls of one select *and* across
// select objects, and no child starves even when every select is new. When several children
// are ready at once, each has the same chance to win. `select_biased(fs...)` always polls in
// argument order, so the earliest ready argument wins (cheaper, and deterministic; use it for
// priorities, such as a shutdown signal that must beat work).
// Threads: children are polled on the thread that polls the select, nowhere else.
// Destruction: when a child wins, every child (the winner included) is destroyed before `poll`
// returns, so the losers are cancelled at once (rule 5). Dropping a pending select drops every
// child. An exception thrown by a child's poll completes the select: every child is destroyed,
// then the exception propagates out of `poll` (rule 6); polling again is rule 4's violation.
// Allocation: none. The children live inside the select object.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/select_rotation.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

namespace detail {

/// Fair order: the first child is drawn from the per-thread rotation.
struct select_fair_order {
  static constexpr const char* name = "futura::select_future";
  static std::size_t first_child(std::size_t n) noexcept { return select_first_child(n); }
};

/// Biased order: argument order, always.
struct select_biased_order {
  static constexpr const char* name = "futura::select_biased_future";
  static constexpr std::size_t first_child(std::size_t) noexcept { return 0; }
};

/// Every check of a select of `Fs` (as the factory's `Fs&&` deduced them).
template <class Order, class... Fs>
constexpr bool check_select() {
  if constexpr (sizeof...(Fs) == 0) {
    static_assert(dependent_false<Order>,
                  "futura: select and select_biased need at least one future: an empty select never completes");
    return false;
  } else {
    return check_future_arguments<Order, Fs...>(std::index_sequence_for<Fs...>{});
  }
}

}  // namespace detail

/// The future of `select(fs...)` (`Order` = fair) and of `select_biased(fs...)` (`Order` =
/// argument order); name it through the aliases `select_future` and `select_biased_future`.
template <class Order, class... Fs>
class [[nodiscard]] basic_select_future : public future_ext<basic_select_future<Order, Fs...>> {
  static_assert(detail::check_select<Order, Fs...>());
  static constexpr std::size_t child_count = sizeof...(Fs);
  struct running {
    explicit running(Fs&&... fs) : children(std::move(fs)...) {}
    std::tuple<Fs...> children;
  };
  struct done {};

 public:
  using output_type = std::variant<output_t<Fs>...>;

  explicit basic_select_future(Fs... fs) : state_(std::in_place_type<running>, std::move(fs)...) {}

  poll_result<output_type> poll(waker& w) {
    auto* r = std::get_if<running>(&state_);
    if (!r) detail::polled_after_completion(Order::name);
    std::size_t first = 0;
    if constexpr (child_count > 1) first = Order::first_child(child_count);
    // Built where it is returned (one named result): a std::optional beside it, moved into the
    // result at the end, costs a copy through the stack that stalls (docs/performance.md,
    // "Change 14").
    poll_result<output_type> out = pending;
    FUTURA_TRY {
      poll_children(r->children, first, w, out, std::index_sequence_for<Fs...>{});
    }
    FUTURA_CATCH_ALL {
      state_.template emplace<done>();  // the exception completes the select: cancel every child
      FUTURA_RETHROW;
    }
    return out;
  }

 private:
  // Polls children first..n-1, then 0..first-1, stopping at the first ready one.
  template <std::size_t... I>
  void poll_children(std::tuple<Fs...>& children, std::size_t first, waker& w, poll_result<output_type>& out,
                     std::index_sequence<I...>) {
    if (((I >= first && poll_child<I>(children, w, out)) || ...)) return;
    (void)((I < first && poll_child<I>(children, w, out)) || ...);
  }

  template <std::size_t I>
  bool poll_child(std::tuple<Fs...>& children, waker& w, poll_result<output_type>& out) {
    poll_result<std::variant_alternative_t<I, output_type>> r = std::get<I>(children).poll(w);
    if (r.is_pending()) return false;
    state_.template emplace<done>();  // the value is out of the winner: drop every child now
    out = poll_result<output_type>(std::in_place, std::in_place_index<I>, std::move(r).value());
    return true;
  }

  std::variant<running, done> state_;
};

/// The future of `select(fs...)`.
template <class... Fs>
using select_future = basic_select_future<detail::select_fair_order, Fs...>;

/// The future of `select_biased(fs...)`.
template <class... Fs>
using select_biased_future = basic_select_future<detail::select_biased_order, Fs...>;

/// Completes with the output of the first child to be ready; the others are dropped (cancelled)
/// before that poll returns. Fair: the child polled first rotates (see the top of this header).
/// @code
///   futura::promise<std::string> reply;     // set by a network callback
///   futura::promise<void> cancel;           // set by a "Cancel" button
///   auto race = futura::select(reply.get_future(), cancel.get_future());
///   std::variant<std::string, futura::unit> v = futura::block_on(std::move(race));
///   if (v.index() == 1) { /* cancelled: the reply's future is already dropped */ }
/// @endcode
template <class... Fs>
auto select(Fs&&... fs) {
  if constexpr (detail::check_select<detail::select_fair_order, Fs...>()) {
    return select_future<std::decay_t<Fs>...>(std::forward<Fs>(fs)...);
  }
}

/// Like `select`, but always polls in argument order: when several children are ready, the
/// earliest argument wins.
/// @code
///   futura::promise<void> shutdown;
///   auto next = futura::select_biased(shutdown.get_future(), std::move(work));
///   auto v = futura::block_on(std::move(next));   // index 0 whenever shutdown is set
/// @endcode
template <class... Fs>
auto select_biased(Fs&&... fs) {
  if constexpr (detail::check_select<detail::select_biased_order, Fs...>()) {
    return select_biased_future<std::decay_t<Fs>...>(std::forward<Fs>(fs)...);
  }
}

}  // namespace futura
