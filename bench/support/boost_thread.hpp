// bench/support/boost_thread.hpp — Boost.Thread futures configured the same way for every peer.
//
// Version 5 gives `future::then`, `when_all` and `when_any`. BOOST_THREAD_FUTURE_BLOCKING
// makes the shared state of an asynchronous continuation, `when_all` or `when_any` join the
// thread it started when the state is released, instead of detaching it (unless that thread
// releases the state itself, last): the threads a peer starts finish within the iteration that
// started them, so their work does not leak into the next measurement.
#pragma once

#ifdef BOOST_THREAD_VERSION
#error "bench/support/boost_thread.hpp must be the first Boost.Thread header of the translation unit"
#endif
#define BOOST_THREAD_VERSION 5
#define BOOST_THREAD_FUTURE_BLOCKING
#include <boost/thread/future.hpp>
