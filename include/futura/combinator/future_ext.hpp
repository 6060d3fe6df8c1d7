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

template <class Derived>
class future_ext {
  FUTURA_ALWAYS_INLINE Derived&& consumed() { return static_cast<Derived&&>(*this); }

 public:
  /// `then(std::move(*this), g)`: see futura/combinator/then.hpp.
  template <class G>
  FUTURA_ALWAYS_INLINE auto then(G&& g) && {
    return futura::then(consumed(), std::forward<G>(g));
  }
  /// On a `boost::system::result<T, E>` output, runs `g` on the value: combinator/and_then.hpp.
  template <class G>
  FUTURA_ALWAYS_INLINE auto and_then(G&& g) && {
    return futura::and_then(consumed(), std::forward<G>(g));
  }
  /// On a `boost::system::result<T, E>` output, runs `g` on the error: combinator/or_else.hpp.
  template <class G>
  FUTURA_ALWAYS_INLINE auto or_else(G&& g) && {
    return futura::or_else(consumed(), std::forward<G>(g));
  }
  /// On a `boost::system::result<T, E>` output, maps the error: combinator/map_err.hpp.
  template <class G>
  FUTURA_ALWAYS_INLINE auto map_err(G&& g) && {
    return futura::map_err(consumed(), std::forward<G>(g));
  }
  /// Peeks at the output: combinator/inspect.hpp.
  template <class G>
  FUTURA_ALWAYS_INLINE auto inspect(G&& g) && {
    return futura::inspect(consumed(), std::forward<G>(g));
  }
  /// Safe to poll after completion: combinator/fuse.hpp.
  FUTURA_ALWAYS_INLINE auto fuse() && { return futura::fuse(consumed()); }
  /// Type-erased `boxed_future<output>`: combinator/boxed.hpp.
  auto boxed() && { return boxed_future<output_t<Derived>>(consumed()); }
  /// Copyable `shared_future<output>`: combinator/shared.hpp.
  auto shared() && { return shared_future<output_t<Derived>>(consumed()); }

  // Lvalue calls would have to copy the future: say what to write instead.
  template <class G>
  void then(G&&) & {
    static_assert(detail::dependent_false<G>, "futura: .then() consumes the future: write std::move(f).then(g)");
  }
  template <class G>
  void and_then(G&&) & {
    static_assert(detail::dependent_false<G>,
                  "futura: .and_then() consumes the future: write std::move(f).and_then(g)");
  }
  template <class G>
  void or_else(G&&) & {
    static_assert(detail::dependent_false<G>, "futura: .or_else() consumes the future: write std::move(f).or_else(g)");
  }
  template <class G>
  void map_err(G&&) & {
    static_assert(detail::dependent_false<G>, "futura: .map_err() consumes the future: write std::move(f).map_err(g)");
  }
  template <class G>
  void inspect(G&&) & {
    static_assert(detail::dependent_false<G>, "futura: .inspect() consumes the future: write std::move(f).inspect(g)");
  }
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

}  // namespace futura
