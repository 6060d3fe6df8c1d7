// futura/combinator/detail/basic_join.hpp — the future types of join / try_join (children of
// different types) and join_all / try_join_all (a vector of one type).
//
// The two of each pair run one core (join_core.hpp, join_all_core.hpp) in different modes
// (join_mode.hpp, join_try_mode.hpp) and check different things of their children; the future
// around the core, its construction and its argument checks are the same. A combinator of this
// family is a tag:
//
//   struct join_combinator {
//     static constexpr const char* name = "futura::join_future";  // rule 4's error names it
//     template <class... Fs> using mode = join_collect_mode;       // the core's mode
//     template <class... Fs> static constexpr bool check();         // its own checks of the children
//   };
//
// (join_all's tag takes the one child type `F` instead of `Fs...`). `check` runs once every
// child is known to be a future, fires at most one static_assert per problem, and returns
// whether the core may be instantiated. The four tags stand beside the bases they derive from
// (join_mode.hpp, join_try_mode.hpp); each public header holds its alias and factory.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/join_all_core.hpp>
#include <futura/combinator/detail/join_core.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/future_traits.hpp>

#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura::detail {

/// Every check of a join of `Fs` (as the factory's `Fs&&` deduced them).
template <class C, class... Fs>
constexpr bool check_join() {
  if constexpr (sizeof...(Fs) == 0) {
    static_assert(dependent_false<C>, "futura: a join needs at least one future");
    return false;
  } else if constexpr (!check_future_arguments<C, Fs...>(std::index_sequence_for<Fs...>{})) {
    return false;
  } else {
    return C::template check<std::decay_t<Fs>...>();
  }
}

/// The future of `join(fs...)` and `try_join(fs...)`; users name it `join_future<Fs...>` or
/// `try_join_future<Fs...>`.
template <class C, class... Fs>
class [[nodiscard]] basic_join_future : public future_ext<basic_join_future<C, Fs...>> {
  static_assert(check_join<C, Fs...>());
  using core_type = join_core<typename C::template mode<Fs...>, Fs...>;

 public:
  using output_type = typename core_type::output_type;

  explicit basic_join_future(Fs&&... fs) : core_(std::move(fs)...) {}

  poll_result<output_type> poll(waker& w) { return core_.poll(w, C::name); }

 private:
  core_type core_;
};

template <class C, class... Fs>
auto make_join(Fs&&... fs) {
  if constexpr (check_join<C, Fs...>()) {
    return basic_join_future<C, std::decay_t<Fs>...>(std::forward<Fs>(fs)...);
  }
}

/// The future of `join_all(v)` and `try_join_all(v)`; users name it `join_all_future<F>` or
/// `try_join_all_future<F>`.
template <class C, class F>
class [[nodiscard]] basic_join_all_future : public future_ext<basic_join_all_future<C, F>> {
  static_assert(check_future_vector_argument<C, std::vector<F>, vector_lvalue::copy>());
  using core_type = join_all_core<typename C::template mode<F>, F>;

 public:
  using output_type = typename core_type::output_type;

  explicit basic_join_all_future(std::vector<F>&& children) noexcept : core_(std::move(children)) {}

  poll_result<output_type> poll(waker& w) { return core_.poll(w, C::name); }

 private:
  core_type core_;
};

/// An lvalue vector is copied, which only futures that can be copied (shared_future) allow.
template <class C, class V>
auto make_join_all(V&& children) {
  if constexpr (check_future_vector_argument<C, V, vector_lvalue::copy>()) {
    using F = typename future_vector_t<V>::element_type;
    if constexpr (std::is_lvalue_reference_v<V> || std::is_const_v<std::remove_reference_t<V>>) {
      return basic_join_all_future<C, F>(std::vector<F>(children));
    } else {
      return basic_join_all_future<C, F>(std::forward<V>(children));
    }
  }
}

/// The futures of `[first, last)`, moved out of the range into a vector.
template <class It>
auto move_into_vector(It first, It last) {
  using F = std::decay_t<typename std::iterator_traits<It>::reference>;
  return std::vector<F>(std::make_move_iterator(first), std::make_move_iterator(last));
}

}  // namespace futura::detail
