// futura/combinator/future_ext.hpp — the method-call syntax of the combinators (CRTP).
//
// Derive a hand-written future from `future_ext<Self>` to get `.then()` and friends:
// @code
//   struct countdown : futura::future_ext<countdown> {
//     using output_type = int;
//     int left;
//     explicit countdown(int n) : left(n) {}
//     futura::poll_result<int> poll(futura::waker& w) {
//       if (left == 0) return 42;
//       --left;
//       w.wake();
//       return futura::pending;
//     }
//   };
//   int v = futura::block_on(countdown(3).then([](int x) { return x + 1; }));  // 43
// @endcode
//
// Every method consumes the future (call it on an rvalue: `std::move(f).then(g)`), as Rust's
// `FutureExt` methods take `self`. This class is the table of contents: each method calls the
// combinator that its comment names (`futura/combinator/then.hpp` defines `then`, ...);
// `futura/core.hpp` includes them all.
#pragma once

#include <futura/core/detail/config.hpp>
#include <futura/core/future_traits.hpp>

#include <utility>

namespace futura {

// What the methods call or return, each defined in the header the method's comment names.
template <class F, class G>
auto then(F&& f, G&& g);
template <class F, class G>
auto and_then(F&& f, G&& g);
template <class F, class G>
auto or_else(F&& f, G&& g);
template <class F, class G>
auto map_err(F&& f, G&& g);
template <class F, class G>
auto inspect(F&& f, G&& g);
template <class F>
auto fuse(F&& f);
template <class T>
class boxed_future;
template <class T>
class shared_future;

// The methods of the then family, each a pair: on an rvalue, `name(g)` calls the factory
// `futura::name(std::move(*this), g)`; on an lvalue, which it would have to copy, it says what to
// write instead. Defined and undefined here, for the five declarations below. (The list is member
// declarations, not an expression: there is nothing to parenthesise.)
// NOLINTBEGIN(bugprone-macro-parentheses)
#define FUTURA_THEN_FAMILY_METHOD(name)                                                         \
  template <class G>                                                                            \
  FUTURA_ALWAYS_INLINE auto name(G&& g)&& {                                                     \
    return futura::name(consumed(), std::forward<G>(g));                                        \
  }                                                                                             \
  template <class G>                                                                            \
  void name(G&&)& {                                                                             \
    static_assert(detail::dependent_false<G>,                                                   \
                  "futura: ." #name "() consumes the future: write std::move(f)." #name "(g)"); \
  }
// NOLINTEND(bugprone-macro-parentheses)

template <class Derived>
class future_ext {
  FUTURA_ALWAYS_INLINE Derived&& consumed() { return static_cast<Derived&&>(*this); }

 public:
  /// `then(std::move(*this), g)`: see futura/combinator/then.hpp.
  FUTURA_THEN_FAMILY_METHOD(then)
  /// On a `boost::system::result<T, E>` output, runs `g` on the value: combinator/and_then.hpp.
  FUTURA_THEN_FAMILY_METHOD(and_then)
  /// On a `boost::system::result<T, E>` output, runs `g` on the error: combinator/or_else.hpp.
  FUTURA_THEN_FAMILY_METHOD(or_else)
  /// On a `boost::system::result<T, E>` output, maps the error: combinator/map_err.hpp.
  FUTURA_THEN_FAMILY_METHOD(map_err)
  /// Peeks at the output: combinator/inspect.hpp.
  FUTURA_THEN_FAMILY_METHOD(inspect)
  /// Safe to poll after completion: combinator/fuse.hpp.
  FUTURA_ALWAYS_INLINE auto fuse() && { return futura::fuse(consumed()); }
  /// Type-erased `boxed_future<output>`: combinator/boxed.hpp.
  auto boxed() && { return boxed_future<output_t<Derived>>(consumed()); }
  /// Copyable `shared_future<output>`: combinator/shared.hpp.
  auto shared() && { return shared_future<output_t<Derived>>(consumed()); }

  // Lvalue calls would have to copy the future: say what to write instead.
  template <class D = Derived>
  void fuse() & {
    static_assert(detail::dependent_false<D>, "futura: .fuse() consumes the future: write std::move(f).fuse()");
  }
  template <class D = Derived>
  void boxed() & {
    static_assert(detail::dependent_false<D>, "futura: .boxed() consumes the future: write std::move(f).boxed()");
  }
  template <class D = Derived>
  void shared() & {
    static_assert(detail::dependent_false<D>, "futura: .shared() consumes the future: write std::move(f).shared()");
  }
};

#undef FUTURA_THEN_FAMILY_METHOD

}  // namespace futura
