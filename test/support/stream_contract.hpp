// The contract every stream adapter keeps over an instrumented upstream (pending and its wake,
// exceptions, the end and a poll after it, drops): one check that every adapter's suite runs.
#pragma once

#include <support/probe.hpp>
#include <support/probe_stream.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <utility>

namespace futura_test {

/// The contract every adapter keeps over a probe upstream of ints, `make` building the adapter
/// around it. `item` is fed and must come out (possibly transformed) in one poll.
template <class Make>
void check_adapter_contract(Make make, int item = 1) {
  {  // pending: the poller's waker reaches the upstream, and the upstream's wake reaches it
    probe_stream_source<int> src;
    auto s = make(src.stream());
    counting_waker target;
    futura::waker w = target.make();
    BOOST_TEST(s.poll_next(w).is_pending());
    BOOST_TEST(target.wakes() == 0);
    src.push(item);
    BOOST_TEST(target.wakes() == 1);
    BOOST_TEST(next_of(s.poll_next(w)).has_value());
    BOOST_TEST(target.wakes() == 1);
  }
#if FUTURA_HAS_EXCEPTIONS
  {  // an exception from the upstream propagates
    probe_stream_source<int> src;
    auto s = make(src.stream());
    src.fail();
    futura::waker w;
    BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  }
#endif
  {  // the end, then a poll after it is rule 4's error (from the adapter or its upstream)
    probe_stream_source<int> src;
    auto s = make(src.stream());
    src.end();
    futura::waker w;
    BOOST_TEST(!next_of(s.poll_next(w)).has_value());
#if FUTURA_HAS_EXCEPTIONS
    BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
  }
  {  // dropping mid-stream drops the upstream exactly once, also after a move
    probe_stream_source<int> src;
    {
      auto s = make(src.stream());
      futura::waker w;
      BOOST_TEST(s.poll_next(w).is_pending());
      auto moved = std::move(s);
      BOOST_TEST(src.drops() == 0);
    }
    BOOST_TEST(src.drops() == 1);
  }
}

}  // namespace futura_test
