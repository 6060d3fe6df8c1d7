// bench/support/tasks.hpp — reading the outcome of a spawned task after its context ran.
#pragma once

#include <futura/asio/join_handle.hpp>
#include <futura/core/waker.hpp>

namespace futura_bench {

/// The output of the task behind `h`, which the benchmark's context has run to completion; or
/// `if_unfinished`, which the benchmark's result check then rejects.
template <class T>
T output_of(futura::join_handle<T>& h, T if_unfinished) {
  futura::waker w = futura::noop_waker();
  futura::poll_result<T> r = h.poll(w);
  return r.is_ready() ? r.take() : if_unfinished;
}

}  // namespace futura_bench
