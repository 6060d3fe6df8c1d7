// futura/asio/impl/as_future.hpp — the `async_result` machinery behind `futura::as_future`.
// Users read futura/asio/as_future.hpp; this header only teaches Asio what to do with the token.
#pragma once

#include <futura/asio/as_future.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/asio/async_result.hpp>

#include <type_traits>
#include <utility>

namespace boost::asio {

/// Any initiating function given `futura::as_future` returns an `async_op_future` holding the
/// initiation and its arguments; the handler class is chosen by the signature's shape.
template <class R, class... Args>
class async_result<futura::as_future_t, R(Args...)> {
 public:
  template <class Initiation, class... InitArgs>
  using future_type = futura::async_op_future<typename futura::detail::handler_for<std::decay_t<Args>...>::type,
                                              std::decay_t<Initiation>, std::decay_t<InitArgs>...>;

  template <class Initiation, class... InitArgs>
  static future_type<Initiation, InitArgs...> initiate(Initiation&& initiation, futura::as_future_t,
                                                       InitArgs&&... args) {
    return future_type<Initiation, InitArgs...>(futura::detail::store_initiation, std::forward<Initiation>(initiation),
                                                std::forward<InitArgs>(args)...);
  }
};

/// Operations with several completion signatures (experimental channels) have no single output.
template <class... Signatures>
class async_result<futura::as_future_t, Signatures...> {
 public:
  template <class Initiation, class... InitArgs>
  static void initiate(Initiation&&, futura::as_future_t, InitArgs&&...) {
    static_assert(futura::detail::dependent_false<Initiation>,
                  "futura::as_future maps exactly one completion signature to an output type; this operation has "
                  "several: use another completion token for it");
  }
};

}  // namespace boost::asio
