// futura/asio/detail/completion_handlers.hpp — the completion handlers behind `as_future`, one
// small class per completion-signature shape, chosen by the selector `handler_for<Args...>`:
//
//   void()                          unit_handler             -> futura::unit
//   void(T)                         value_handler<T>         -> T
//   void(T1, T2, ...)               tuple_handler<Ts...>     -> std::tuple<T1, T2, ...>
//   void(error_code)                error_handler            -> boost::system::result<void>
//   void(error_code, T)             error_value_handler<T>   -> boost::system::result<T>
//   void(error_code, T1, T2, ...)   error_tuple_handler<Ts...> -> result<std::tuple<T1, T2, ...>>
//
// Each handler owns one reference to the operation's `async_op_state`; calling it stores the
// output there and wakes the future; destroying it uncalled (io_context shutdown) marks the
// state abandoned. It exposes the state's cancellation slot, which is how the future's drop
// reaches the operation. Its associated allocator is the per-thread recycling cache
// (recycling_pool.hpp), so the operation Asio allocates for it (and each intermediate operation
// of a composed one) is recycled too. Handlers are move-only; a moved-from handler owns nothing.
#pragma once

#include <futura/asio/detail/async_op_state.hpp>
#include <futura/asio/detail/recycling_pool.hpp>
#include <futura/core/poll_result.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <tuple>
#include <utility>

namespace futura::detail {

/// What every shape's handler shares: the state reference and the cancellation slot.
template <class Output>
class async_op_handler_base {
 public:
  using output_type = Output;
  using cancellation_slot_type = boost::asio::cancellation_slot;
  using allocator_type = thread_cache_allocator<void>;

  /// Adopts one reference on `s`.
  explicit async_op_handler_base(async_op_state<Output>* s) noexcept : state_(s) {}
  async_op_handler_base(async_op_handler_base&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  async_op_handler_base(const async_op_handler_base&) = delete;
  async_op_handler_base& operator=(const async_op_handler_base&) = delete;
  async_op_handler_base& operator=(async_op_handler_base&&) = delete;
  ~async_op_handler_base() {
    if (auto* s = std::exchange(state_, nullptr)) {
      s->abandon();  // never called: Asio destroyed the operation (io_context shutdown)
      s->release();
    }
  }

  /// Asio's associated cancellation slot: the future's drop emits on it.
  cancellation_slot_type get_cancellation_slot() const noexcept {
    return state_ ? state_->cancellation_slot() : cancellation_slot_type();
  }

  /// Asio's associated allocator: the operation's memory is recycled per thread.
  allocator_type get_allocator() const noexcept { return {}; }

 protected:
  template <class... Args>
  void complete(Args&&... args) noexcept {
    async_op_state<Output>* s = std::exchange(state_, nullptr);
    s->complete(std::forward<Args>(args)...);
    s->release();
  }

 private:
  async_op_state<Output>* state_;
};

/// `void()` -> `unit`.
class unit_handler : public async_op_handler_base<unit> {
 public:
  using async_op_handler_base::async_op_handler_base;
  void operator()() { complete(); }
};

/// `void(T)` -> `T`.
template <class T>
class value_handler : public async_op_handler_base<T> {
 public:
  using async_op_handler_base<T>::async_op_handler_base;
  void operator()(T v) { this->complete(std::move(v)); }
};

/// `void(T1, T2, ...)` -> `std::tuple<T1, T2, ...>`.
template <class... Ts>
class tuple_handler : public async_op_handler_base<std::tuple<Ts...>> {
 public:
  using async_op_handler_base<std::tuple<Ts...>>::async_op_handler_base;
  void operator()(Ts... vs) { this->complete(std::move(vs)...); }
};

/// `void(error_code)` -> `boost::system::result<void>`.
class error_handler : public async_op_handler_base<boost::system::result<void>> {
 public:
  using async_op_handler_base::async_op_handler_base;
  void operator()(boost::system::error_code ec) {
    if (ec) {
      complete(boost::system::in_place_error, ec);
    } else {
      complete(boost::system::in_place_value);
    }
  }
};

/// `void(error_code, T)` -> `boost::system::result<T>` (the value is dropped on error).
template <class T>
class error_value_handler : public async_op_handler_base<boost::system::result<T>> {
 public:
  using async_op_handler_base<boost::system::result<T>>::async_op_handler_base;
  void operator()(boost::system::error_code ec, T v) {
    if (ec) {
      this->complete(boost::system::in_place_error, ec);
    } else {
      this->complete(boost::system::in_place_value, std::move(v));
    }
  }
};

/// `void(error_code, T1, T2, ...)` -> `boost::system::result<std::tuple<T1, T2, ...>>`.
template <class... Ts>
class error_tuple_handler : public async_op_handler_base<boost::system::result<std::tuple<Ts...>>> {
 public:
  using async_op_handler_base<boost::system::result<std::tuple<Ts...>>>::async_op_handler_base;
  void operator()(boost::system::error_code ec, Ts... vs) {
    if (ec) {
      this->complete(boost::system::in_place_error, ec);
    } else {
      this->complete(boost::system::in_place_value, std::move(vs)...);
    }
  }
};

/// The selector: the handler class for a completion signature's (decayed) argument types.
template <class... Args>
struct handler_for {
  using type = tuple_handler<Args...>;
};
template <>
struct handler_for<> {
  using type = unit_handler;
};
template <class T>
struct handler_for<T> {
  using type = value_handler<T>;
};
template <>
struct handler_for<boost::system::error_code> {
  using type = error_handler;
};
template <class T>
struct handler_for<boost::system::error_code, T> {
  using type = error_value_handler<T>;
};
template <class T1, class T2, class... Ts>
struct handler_for<boost::system::error_code, T1, T2, Ts...> {
  using type = error_tuple_handler<T1, T2, Ts...>;
};

}  // namespace futura::detail
