// futura/combinator/detail/select_vector.hpp — the vector of futures of select_all / select_ok:
// checking and taking it (the factory and the constructor of both), where a poll starts in it,
// and removing one future without reordering the others and, where the type allows, without
// allocating.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/select_rotation.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>

#include <cstddef>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura::detail {

/// The factory of select_all and select_ok: `Future<F>(futures)` for a `std::vector<F>` handed
/// over, once check_future_vector_argument passed (nothing otherwise: its static_assert is the
/// one message).
template <class Combinator, template <class> class Future, class V>
auto make_select_future(V&& futures) {
  if constexpr (check_future_vector_argument<Combinator, V>()) {
    return Future<typename future_vector_t<V>::element_type>(std::forward<V>(futures));
  }
}

/// What the constructors of select_all and select_ok keep: `futures`, unless it is empty (the
/// select would never complete): then throws `std::invalid_argument(what)`.
template <class F>
std::vector<F> select_nonempty(std::vector<F>&& futures, const char* what) {
  if (futures.empty()) throw_standard<std::invalid_argument>(boost::system::errc::invalid_argument, what);
  return std::move(futures);
}

/// The position a poll of select_all / select_ok starts at: the child that rotates first
/// (select_rotation.hpp). An empty vector means the select is done: the input was not empty
/// (select_nonempty), and every way out of running leaves it empty; polling it then is rule 4's
/// violation, reported with `who`.
template <class F>
std::size_t select_first_position(const std::vector<F>& futures, const char* who) {
  if (futures.empty()) polled_after_completion(who);
  const std::size_t n = futures.size();
  return n == 1 ? 0 : select_first_child(n);
}

/// Removes element `i` of `v` and keeps the order of the others.
///
/// Most futures cannot be move-assigned (a future holding a lambda cannot: closure types have
/// no assignment), so `vector::erase` is only the first of three ways:
/// - move-assignable `F`: `erase`, in place;
/// - otherwise, `F` moved without throwing: each later element is destroyed-and-rebuilt one slot
///   down, in place (nothing can fail halfway, so the vector never holds a destroyed element);
/// - otherwise: the survivors move into a new vector (one allocation).
/// If a move throws, every element is still a live object (possibly moved-from), so the
/// caller may destroy the vector as usual.
template <class F>
void select_erase_keep_order(std::vector<F>& v, std::size_t i) {
  if constexpr (std::is_move_assignable_v<F>) {
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
  } else if constexpr (std::is_nothrow_move_constructible_v<F>) {
    F* slots = v.data();
    for (std::size_t j = i; j + 1 < v.size(); ++j) {
      slots[j].~F();
      ::new (static_cast<void*>(slots + j)) F(std::move(slots[j + 1]));
    }
    v.pop_back();  // destroys the moved-from last element
  } else {
    std::vector<F> kept;
    kept.reserve(v.size() - 1);
    for (std::size_t j = 0; j < v.size(); ++j) {
      if (j != i) kept.push_back(std::move(v[j]));
    }
    v.swap(kept);
  }
}

}  // namespace futura::detail
