// The mpsc channels: order per sender, exactly-once delivery, the end of the stream, close and the
// receiver's drop (every unsent value handed back), wake counts, cancel safety of next(),
// try_recv codes, moved-from handles, allocation in a steady state, and senders on many threads.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>
#include <support/probe_stream.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/core.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {

/// An item that counts its own destruction while armed: armed items are those still "in
/// flight" (not yet received by the consumer, nor handed back to a sender), so the count of
/// armed destructions is the number of items the channel destroyed.
class armed_item {
 public:
  armed_item(std::uint64_t id, std::atomic<long>* destroyed) : id_(id), destroyed_(destroyed) {}
  armed_item(armed_item&& o) noexcept : id_(o.id_), destroyed_(std::exchange(o.destroyed_, nullptr)) {}
  armed_item& operator=(armed_item&& o) noexcept {
    if (this != &o) {
      if (destroyed_) destroyed_->fetch_add(1, std::memory_order_relaxed);
      id_ = o.id_;
      destroyed_ = std::exchange(o.destroyed_, nullptr);
    }
    return *this;
  }
  armed_item(const armed_item&) = delete;
  ~armed_item() {
    if (destroyed_) destroyed_->fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t id() const { return id_; }
  /// The item reached its owner (the consumer, or the sender it was handed back to).
  void disarm() { destroyed_ = nullptr; }

 private:
  std::uint64_t id_;
  std::atomic<long>* destroyed_;
};

constexpr std::uint64_t item_id(std::uint64_t sender, std::uint64_t seq) { return sender << 32 | seq; }
constexpr std::size_t sender_of(std::uint64_t id) { return static_cast<std::size_t>(id >> 32); }
constexpr std::uint64_t seq_of(std::uint64_t id) { return id & 0xffffffffu; }

/// Checks per-sender order of received ids: each sender's sequence numbers strictly increase,
/// so no id is received twice either. Thread-free: call on the consumer.
class order_check {
 public:
  explicit order_check(std::size_t senders) : next_(senders, 0) {}
  /// False when `id` is out of order for its sender (a repeat counts as out of order).
  bool accept(std::uint64_t id) {
    const std::size_t s = sender_of(id);
    if (s >= next_.size() || seq_of(id) < next_[s]) return false;
    next_[s] = seq_of(id) + 1;
    ++received_;
    return true;
  }
  long received() const { return received_; }

 private:
  std::vector<std::uint64_t> next_;
  long received_ = 0;
};

/// Four threads send `per_thread` armed items each with `send(tx, item)` (a send_result) while
/// the consumer receives `receive_first` items and then drops the receiver: per-sender order
/// holds, no send succeeds after one of the same thread failed (closing is for good), and every
/// item is received, handed back in its send_result, or destroyed by the channel, exactly once.
/// `make(g)` makes the channel (from the round's generator).
template <class MakeChannel, class Send>
void check_receiver_dropped_midway(const char* name, long per_thread, long rounds_n, MakeChannel make, Send send) {
  constexpr int threads = 4;
  stress_seed seed(name);
  for (long round = 0; round < rounds_n; ++round) {
    auto g = seed.round(round);
    const long receive_first = pick(g, 0, static_cast<int>(threads * per_thread / 2));
    std::atomic<long> destroyed{0};
    std::atomic<long> handed_back{0};
    std::atomic<bool> order_kept{true};
    auto [tx, rx] = make(g);
    std::deque<joining_thread> producers;
    for (int t = 0; t < threads; ++t) {
      producers.emplace_back([&, t, tx = tx] {
        bool failed = false;
        for (long i = 0; i < per_thread; ++i) {
          auto r = send(
              tx, armed_item(item_id(static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(i)), &destroyed), i);
          if (!r) {
            if (r.code() != futura::error::closed) order_kept = false;
            r.value().disarm();
            handed_back.fetch_add(1, std::memory_order_relaxed);
            failed = true;
          } else if (failed) {
            order_kept = false;
          }
        }
      });
    }
    { auto gone = std::move(tx); }
    order_check order(threads);
    bool in_order = true;
    for (long i = 0; i < receive_first; ++i) {
      std::optional<armed_item> item = futura::block_on(rx.next());
      if (!item) break;
      item->disarm();
      in_order = order.accept(item->id()) && in_order;
    }
    { auto gone = std::move(rx); }
    producers.clear();  // joins: senders that waited were failed by the drop, none hangs
    BOOST_TEST_CONTEXT(seed.describe(round)) {
      BOOST_TEST(in_order);
      BOOST_TEST(order_kept.load());
      BOOST_TEST(order.received() == receive_first);
      BOOST_TEST(order.received() + handed_back.load() + destroyed.load() == threads * per_thread);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(send_result_type)

BOOST_AUTO_TEST_CASE(a_sent_result_is_true_with_an_empty_code_and_converts_to_success) {
  futura::mpsc::send_result<std::string> r;
  BOOST_TEST(static_cast<bool>(r));
  BOOST_TEST(!r.code());
  boost::system::result<void> plain = r;
  BOOST_TEST(plain.has_value());
}

BOOST_AUTO_TEST_CASE(a_failed_result_holds_the_value_and_its_code) {
  futura::mpsc::send_result<std::string> r(futura::error::full, std::string("back"));
  BOOST_TEST(!r);
  BOOST_TEST((r.code() == futura::error::full));
  BOOST_TEST(r.value() == "back");
  boost::system::result<void> plain = r;
  BOOST_TEST((plain.error() == futura::error::full));
  std::string taken = std::move(r).value();
  BOOST_TEST(taken == "back");
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(value_of_a_sent_result_throws_logic_error) {
  futura::mpsc::send_result<int> r;
  BOOST_CHECK_THROW(r.value(), std::logic_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(unbounded_channel)

BOOST_AUTO_TEST_CASE(items_arrive_in_send_order_and_the_stream_ends_when_every_sender_is_gone) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  auto tx2 = tx;
  for (int i = 0; i < 5; ++i) BOOST_TEST(static_cast<bool>(tx.send(i)));
  BOOST_TEST(static_cast<bool>(tx2.send(5)));
  { auto gone = std::move(tx); }
  futura::waker w;
  for (int i = 0; i <= 5; ++i) BOOST_TEST(yields(rx.poll_next(w), i));
  BOOST_TEST(rx.poll_next(w).is_pending());  // tx2 is alive
  { auto gone = std::move(tx2); }
  BOOST_TEST(ends(rx.poll_next(w)));
}

BOOST_AUTO_TEST_CASE(collect_through_block_on_gets_every_item_of_a_thread) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  std::thread producer([tx = std::move(tx)] {
    for (int i = 0; i < 1000; ++i) (void)tx.send(i);
  });
  std::vector<int> got = futura::block_on(std::move(rx).collect());
  producer.join();
  BOOST_REQUIRE_EQUAL(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) BOOST_TEST(got[static_cast<std::size_t>(i)] == i);
}

BOOST_AUTO_TEST_CASE(a_burst_of_sends_wakes_a_parked_receiver_once) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(rx.poll_next(w).is_pending());
  BOOST_TEST(target.wakes() == 0);
  for (int i = 0; i < 100; ++i) BOOST_TEST(static_cast<bool>(tx.send(i)));
  BOOST_TEST(target.wakes() == 1);
  for (int i = 0; i < 100; ++i) BOOST_TEST(yields(rx.poll_next(w), i));
  BOOST_TEST(rx.poll_next(w).is_pending());  // parks again
  (void)tx.send(100);
  (void)tx.send(101);
  BOOST_TEST(target.wakes() == 2);
  BOOST_TEST(yields(rx.poll_next(w), 100));
  (void)tx.send(102);  // not parked: the receiver still has work, no wake
  BOOST_TEST(target.wakes() == 2);
}

BOOST_AUTO_TEST_CASE(sends_to_a_receiver_that_is_not_parked_wake_nothing) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  strict_waker target;
  futura::waker w = target.make();
  (void)tx.send(1);
  BOOST_TEST(yields(rx.poll_next(w), 1));  // never parked
  for (int i = 0; i < 10; ++i) (void)tx.send(i);
  BOOST_TEST(target.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(dropping_the_last_sender_wakes_a_parked_receiver_and_ends_the_stream) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  auto tx2 = tx;
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(rx.poll_next(w).is_pending());
  { auto gone = std::move(tx); }
  BOOST_TEST(target.wakes() == 0);  // tx2 remains
  { auto gone = std::move(tx2); }
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(ends(rx.poll_next(w)));
}

BOOST_AUTO_TEST_CASE(the_waker_of_the_latest_poll_is_woken_also_after_the_receiver_moved) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  strict_waker first, second;
  futura::waker w1 = first.make(), w2 = second.make();
  BOOST_TEST(rx.poll_next(w1).is_pending());
  auto moved = std::move(rx);
  BOOST_TEST(moved.poll_next(w2).is_pending());
  (void)tx.send(7);
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
  BOOST_TEST(yields(moved.poll_next(w2), 7));
}

BOOST_AUTO_TEST_CASE(a_try_recv_after_a_pending_poll_keeps_that_polls_wake) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(rx.poll_next(w).is_pending());
  BOOST_TEST((rx.try_recv().error() == futura::error::empty));
  (void)tx.send(1);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(rx.try_recv().value() == 1);
}

BOOST_AUTO_TEST_CASE(close_wakes_a_parked_receiver_whose_stream_then_ends) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(rx.poll_next(w).is_pending());
  rx.close();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(ends(rx.poll_next(w)));
}

BOOST_AUTO_TEST_CASE(close_refuses_new_sends_with_the_value_back_and_still_delivers_the_buffered_items) {
  auto [tx, rx] = futura::mpsc::unbounded<std::string>();
  (void)tx.send("a");
  (void)tx.send("b");
  BOOST_TEST(!tx.is_closed());
  rx.close();
  BOOST_TEST(tx.is_closed());
  auto r = tx.send("c");
  BOOST_TEST(!r);
  BOOST_TEST((r.code() == futura::error::closed));
  BOOST_TEST(r.value() == "c");
  futura::waker w;
  BOOST_TEST(yields(rx.poll_next(w), std::string("a")));
  BOOST_TEST(yields(rx.poll_next(w), std::string("b")));
  BOOST_TEST(ends(rx.poll_next(w)));  // tx is still alive: close ends the stream
  rx.close();                         // closing again does nothing
}

BOOST_AUTO_TEST_CASE(dropping_the_receiver_destroys_the_buffered_items_and_later_sends_fail) {
  tracked::reset();
  auto [tx, rx] = futura::mpsc::unbounded<tracked>();
  for (int i = 0; i < 10; ++i) (void)tx.send(tracked(i));
  futura::waker w;
  BOOST_TEST(rx.poll_next(w).value()->value == 0);  // 1..9 in the receiver's batch
  (void)tx.send(tracked(10));                       // in the shared buffer
  { auto gone = std::move(rx); }
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(tx.is_closed());
  auto r = tx.send(tracked(11));
  BOOST_TEST((r.code() == futura::error::closed));
  BOOST_TEST(r.value().value == 11);
}

BOOST_AUTO_TEST_CASE(try_recv_answers_items_then_empty_while_senders_remain_then_closed) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  BOOST_TEST((rx.try_recv().error() == futura::error::empty));
  (void)tx.send(1);
  (void)tx.send(2);
  BOOST_TEST(rx.try_recv().value() == 1);
  BOOST_TEST(rx.try_recv().value() == 2);
  BOOST_TEST((rx.try_recv().error() == futura::error::empty));
  (void)tx.send(3);
  { auto gone = std::move(tx); }
  BOOST_TEST(rx.try_recv().value() == 3);  // buffered items outlive the senders
  BOOST_TEST((rx.try_recv().error() == futura::error::closed));
  BOOST_TEST((rx.try_recv().error() == futura::error::closed));
}

BOOST_AUTO_TEST_CASE(try_recv_answers_closed_after_close_once_drained) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  (void)tx.send(1);
  rx.close();
  BOOST_TEST(rx.try_recv().value() == 1);
  BOOST_TEST((rx.try_recv().error() == futura::error::closed));
}

BOOST_AUTO_TEST_CASE(a_dropped_next_future_loses_no_item) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  futura::waker w;
  {
    auto next = rx.next();
    BOOST_TEST(next.poll(w).is_pending());
  }  // dropped while pending
  (void)tx.send(1);
  (void)tx.send(2);
  {
    auto unpolled = rx.next();  // dropped before its first poll
    static_cast<void>(unpolled);
  }
  auto next = rx.next();
  auto r = next.poll(w);
  BOOST_TEST((r.is_ready() && r.value() == std::optional<int>(1)));
  BOOST_TEST((futura::block_on(rx.next()) == std::optional<int>(2)));
}

BOOST_AUTO_TEST_CASE(a_moved_from_sender_is_closed_fails_its_sends_and_keeps_nothing_open) {
  auto [tx, rx] = futura::mpsc::unbounded<std::string>();
  auto moved = std::move(tx);
  BOOST_TEST(tx.is_closed());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  auto r = tx.send("x");       // NOLINT(bugprone-use-after-move)
  BOOST_TEST((r.code() == futura::error::closed));
  BOOST_TEST(r.value() == "x");
  futura::waker w;
  BOOST_TEST(rx.poll_next(w).is_pending());  // `moved` keeps it open
  { auto gone = std::move(moved); }
  BOOST_TEST(ends(rx.poll_next(w)));  // the moved-from tx does not
  futura::mpsc::unbounded_sender<std::string> empty;
  BOOST_TEST(empty.is_closed());
  BOOST_TEST(!empty.send("y"));
}

BOOST_AUTO_TEST_CASE(a_moved_from_receiver_answers_closed_to_try_recv_and_its_close_does_nothing) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  (void)tx.send(1);
  auto moved = std::move(rx);
  BOOST_TEST((rx.try_recv().error() == futura::error::closed));  // NOLINT(bugprone-use-after-move)
  rx.close();                                                    // NOLINT(bugprone-use-after-move)
  BOOST_TEST(!tx.is_closed());
  BOOST_TEST(moved.try_recv().value() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(polling_a_moved_from_receiver_or_one_that_ended_is_a_contract_violation) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  auto moved = std::move(rx);
  futura::waker w;
  BOOST_CHECK_EXCEPTION((void)rx.poll_next(w), futura::future_error, [](const futura::future_error& e) {  // NOLINT
    return e.code() == futura::error::polled_after_completion;
  });
  { auto gone = std::move(tx); }
  BOOST_TEST(ends(moved.poll_next(w)));
  BOOST_CHECK_EXCEPTION((void)moved.poll_next(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}
#endif

BOOST_AUTO_TEST_CASE(a_steady_state_allocates_nothing) {
  auto channel = futura::mpsc::unbounded<std::uint64_t>();
  auto& tx = channel.first;
  auto& rx = channel.second;
  futura::waker w;
  auto round = [&](bool& ok) {
    for (std::uint64_t i = 0; i < 64; ++i) ok = static_cast<bool>(tx.send(i)) && ok;
    for (std::uint64_t i = 0; i < 64; ++i) ok = yields(rx.poll_next(w), i) && ok;
    ok = rx.poll_next(w).is_pending() && ok;
  };
  bool ok = true;
  for (int i = 0; i < 3; ++i) round(ok);  // both vectors grow to the burst
  long allocations = 0;
  {
    allocation_count count;
    for (int i = 0; i < 100; ++i) round(ok);
    allocations = count.this_thread();
  }
  BOOST_TEST(ok);
  BOOST_TEST(allocations == 0);
}

#if FUTURA_CHAOS_ENABLED
BOOST_AUTO_TEST_CASE(a_send_between_the_receivers_registration_and_its_second_take_is_received) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  strict_waker target;
  chaos_gates gates;
  chaos_gate& g = gates.add("mpsc.receiver.registered");
  std::optional<int> got;
  bool pending = false;
  joining_thread consumer([&, &rx = rx] {
    g.bind_this_thread();
    futura::waker w = target.make();
    auto r = rx.poll_next(w);
    pending = r.is_pending();
    if (r.is_ready()) got = r.value();
  });
  BOOST_REQUIRE_MESSAGE(reached_within(g), "mpsc.receiver.registered never reached");
  (void)tx.send(5);  // the receiver is registered but not parked: no wake needed
  g.open();
  consumer.join();
  BOOST_TEST(!pending);
  BOOST_TEST((got == std::optional<int>(5)));
  BOOST_TEST(target.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(the_receiver_may_end_and_go_while_the_last_sender_is_between_its_announcement_and_leaving) {
  auto [tx, rx] = futura::mpsc::unbounded<int>();
  chaos_gates gates;
  chaos_gate& g = gates.add("mpsc.last_sender.announced");
  joining_thread dropper([&g, tx = std::move(tx)]() mutable {
    g.bind_this_thread();
    auto gone = std::move(tx);
  });
  BOOST_REQUIRE_MESSAGE(reached_within(g), "mpsc.last_sender.announced never reached");
  futura::waker w;
  BOOST_TEST(ends(rx.poll_next(w)));
  { auto gone = std::move(rx); }  // the state survives: the sender still owns it
  g.open();
  dropper.join();  // the sender deletes it (ASan: no leak, no use after free)
}

BOOST_AUTO_TEST_CASE(the_channel_may_go_while_a_send_that_left_its_count_there_finishes) {
  auto [tx, rx] = futura::mpsc::channel<std::string>(1);
  auto f = tx.send("last");
  { auto gone = std::move(tx); }  // f holds the only sender count
  chaos_gates gates;
  chaos_gate& g = gates.add("mpsc.send.left");
  bool sent = false;
  joining_thread sender_thread([&] {
    g.bind_this_thread();
    futura::waker w;
    auto r = f.poll(w);  // the receiver is not parked: the count stays in the channel
    sent = r.is_ready() && static_cast<bool>(r.value());
  });
  BOOST_REQUIRE_MESSAGE(reached_within(g), "mpsc.send.left never reached");
  BOOST_TEST(rx.try_recv().value() == "last");
  BOOST_TEST((rx.try_recv().error() == futura::error::closed));  // the left count was the last
  { auto gone = std::move(rx); }  // the last owner: the state goes while the send is still in poll
  g.open();
  sender_thread.join();  // ASan: the send touches nothing of the channel any more
  BOOST_TEST(sent);
}
#endif

BOOST_AUTO_TEST_CASE(four_threads_of_senders_into_one_consumer_keep_order_per_sender_and_lose_nothing) {
  constexpr int threads = 4;
  const long per_thread = rounds(1000000, 20000);
  auto [tx, rx] = futura::mpsc::unbounded<std::uint64_t>();
  std::deque<joining_thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([t, per_thread, tx = tx] {
      for (long i = 0; i < per_thread; ++i) {
        (void)tx.send(item_id(static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(i)));
      }
    });
  }
  { auto gone = std::move(tx); }
  order_check order(threads);
  bool in_order = true;
  futura::block_on(std::move(rx).for_each([&](std::uint64_t id) { in_order = order.accept(id) && in_order; }));
  BOOST_TEST(in_order);
  BOOST_TEST(order.received() == threads * per_thread);
}

BOOST_AUTO_TEST_CASE(dropping_the_receiver_midway_hands_every_unsent_value_back_to_the_racing_senders) {
  check_receiver_dropped_midway(
      "unbounded receiver drop midway", rounds(200000, 5000), rounds(20, 4),
      [](auto&) { return futura::mpsc::unbounded<armed_item>(); },
      [](const auto& tx, armed_item item, long) { return tx.send(std::move(item)); });
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

using bounded_send = futura::mpsc::send_future<int>;

/// Polls `f` once with `w`; true when it completed with success.
template <class F>
bool sent_now(F& f, futura::waker& w) {
  auto r = f.poll(w);
  return r.is_ready() && static_cast<bool>(r.value());
}

/// How many try_sends a bounded channel accepts before it answers full (then drains them): the
/// places free now, as the senders see them.
int free_places(futura::mpsc::sender<int>& tx, futura::mpsc::receiver<int>& rx, int at_most) {
  int n = 0;
  while (n < at_most && tx.try_send(n)) ++n;
  for (int i = 0; i < n; ++i) (void)rx.try_recv();
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bounded_channel)

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(capacity_zero_throws_invalid_argument) {
  BOOST_CHECK_THROW(futura::mpsc::channel<int>(0), std::invalid_argument);
}
#endif

BOOST_AUTO_TEST_CASE(it_holds_exactly_its_capacity_and_try_send_answers_full_beyond) {
  auto [tx, rx] = futura::mpsc::channel<int>(2);
  BOOST_TEST(static_cast<bool>(tx.try_send(1)));
  BOOST_TEST(static_cast<bool>(tx.try_send(2)));
  auto r = tx.try_send(3);
  BOOST_TEST((r.code() == futura::error::full));
  BOOST_TEST(r.value() == 3);
  BOOST_TEST(rx.try_recv().value() == 1);  // frees a place
  BOOST_TEST(static_cast<bool>(tx.try_send(3)));
  futura::waker w;
  BOOST_TEST(yields(rx.poll_next(w), 2));
  BOOST_TEST(yields(rx.poll_next(w), 3));
  BOOST_TEST((rx.try_recv().error() == futura::error::empty));
}

BOOST_AUTO_TEST_CASE(a_send_completes_at_its_first_poll_when_there_is_room) {
  auto [tx, rx] = futura::mpsc::channel<int>(1);
  futura::waker w;
  auto f = tx.send(7);
  BOOST_TEST(sent_now(f, w));
  BOOST_TEST(rx.try_recv().value() == 7);
}

BOOST_AUTO_TEST_CASE(waiting_sends_are_served_in_fifo_order_and_a_freed_place_wakes_only_the_oldest) {
  auto [tx, rx] = futura::mpsc::channel<int>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send(0)));
  strict_waker t1, t2, t3;
  futura::waker w1 = t1.make(), w2 = t2.make(), w3 = t3.make();
  auto f1 = tx.send(1);
  auto f2 = tx.send(2);
  auto f3 = tx.send(3);
  BOOST_TEST(f1.poll(w1).is_pending());
  BOOST_TEST(f2.poll(w2).is_pending());
  BOOST_TEST(f3.poll(w3).is_pending());
  BOOST_TEST((tx.try_send(9).code() == futura::error::full));  // others wait
  futura::waker rw;
  BOOST_TEST(yields(rx.poll_next(rw), 0));  // the place goes to f1, set aside
  BOOST_TEST(t1.wakes() == 1);
  BOOST_TEST(t2.wakes() == 0);
  BOOST_TEST(t3.wakes() == 0);
  BOOST_TEST((rx.try_recv().error() == futura::error::empty));  // f1's value enters at its next poll
  BOOST_TEST(f3.poll(w3).is_pending());                         // polling a later one does not jump the queue
  BOOST_TEST(sent_now(f1, w1));
  BOOST_TEST(yields(rx.poll_next(rw), 1));
  BOOST_TEST(t2.wakes() == 1);
  BOOST_TEST(t3.wakes() == 0);
  BOOST_TEST(sent_now(f2, w2));
  BOOST_TEST(yields(rx.poll_next(rw), 2));
  BOOST_TEST(sent_now(f3, w3));
  BOOST_TEST(yields(rx.poll_next(rw), 3));
}

BOOST_AUTO_TEST_CASE(a_dropped_send_with_a_place_set_aside_destroys_its_value_and_hands_the_place_on) {
  tracked::reset();
  auto [tx, rx] = futura::mpsc::channel<tracked>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send(tracked(0))));
  strict_waker t1, t2;
  futura::waker w1 = t1.make(), w2 = t2.make();
  std::optional<futura::mpsc::send_future<tracked>> f1(tx.send(tracked(1)));
  auto f2 = tx.send(tracked(2));
  BOOST_TEST(f1->poll(w1).is_pending());
  BOOST_TEST(f2.poll(w2).is_pending());
  BOOST_TEST(rx.try_recv().value().value == 0);  // the place is set aside for f1
  BOOST_TEST(t1.wakes() == 1);
  const int destroyed_before = tracked::destroyed.load();
  f1.reset();  // dropped with its place
  BOOST_TEST(tracked::destroyed.load() - destroyed_before == 1);
  BOOST_TEST(t2.wakes() == 1);
  auto r = f2.poll(w2);
  BOOST_TEST((r.is_ready() && static_cast<bool>(r.value())));
  BOOST_TEST(rx.try_recv().value().value == 2);
}

BOOST_AUTO_TEST_CASE(a_dropped_waiting_send_destroys_its_value_and_the_others_keep_their_turn) {
  tracked::reset();
  auto [tx, rx] = futura::mpsc::channel<tracked>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send(tracked(0))));
  futura::waker w;
  auto f1 = tx.send(tracked(1));
  std::optional<futura::mpsc::send_future<tracked>> f2(tx.send(tracked(2)));
  auto f3 = tx.send(tracked(3));
  BOOST_TEST(f1.poll(w).is_pending());
  BOOST_TEST(f2->poll(w).is_pending());
  BOOST_TEST(f3.poll(w).is_pending());
  f2.reset();
  BOOST_TEST(rx.try_recv().value().value == 0);
  auto r1 = f1.poll(w);
  BOOST_TEST((r1.is_ready() && static_cast<bool>(r1.value())));
  BOOST_TEST(f3.poll(w).is_pending());
  BOOST_TEST(rx.try_recv().value().value == 1);
  auto r3 = f3.poll(w);
  BOOST_TEST((r3.is_ready() && static_cast<bool>(r3.value())));
  BOOST_TEST(rx.try_recv().value().value == 3);
}

BOOST_AUTO_TEST_CASE(close_fails_waiting_and_later_sends_with_their_value_and_delivers_the_buffered_items) {
  auto [tx, rx] = futura::mpsc::channel<std::string>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send("a")));
  strict_waker target;
  futura::waker w = target.make();
  auto f = tx.send("b");
  BOOST_TEST(f.poll(w).is_pending());
  rx.close();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(tx.is_closed());
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST((r.value().code() == futura::error::closed));
  BOOST_TEST(r.value().value() == "b");
  BOOST_TEST((tx.try_send("c").code() == futura::error::closed));
  auto later = tx.send("d");
  auto rd = later.poll(w);
  BOOST_TEST((rd.is_ready() && rd.value().code() == futura::error::closed && rd.value().value() == "d"));
  futura::waker rw;
  BOOST_TEST(yields(rx.poll_next(rw), std::string("a")));
  BOOST_TEST(ends(rx.poll_next(rw)));
}

BOOST_AUTO_TEST_CASE(dropping_the_receiver_fails_waiting_sends_with_their_value_and_destroys_the_buffered_items) {
  tracked::reset();
  auto [tx, rx] = futura::mpsc::channel<tracked>(2);
  BOOST_TEST(static_cast<bool>(tx.try_send(tracked(0))));
  BOOST_TEST(static_cast<bool>(tx.try_send(tracked(1))));
  strict_waker target;
  futura::waker w = target.make();
  auto f = tx.send(tracked(2));
  BOOST_TEST(f.poll(w).is_pending());
  { auto gone = std::move(rx); }
  BOOST_TEST(target.wakes() == 1);
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST((r.value().code() == futura::error::closed));
  BOOST_TEST(r.value().value().value == 2);
  BOOST_TEST(tracked::alive() == 1);  // only the value handed back
}

BOOST_AUTO_TEST_CASE(a_pending_send_keeps_the_channel_open_after_every_sender_is_gone_and_needs_no_sender) {
  auto [tx, rx] = futura::mpsc::channel<int>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send(1)));
  futura::waker w;
  auto f = tx.send(2);
  BOOST_TEST(f.poll(w).is_pending());
  { auto gone = std::move(tx); }  // the future does not refer to it
  BOOST_TEST(yields(rx.poll_next(w), 1));
  BOOST_TEST(rx.poll_next(w).is_pending());  // the send future is a sender
  BOOST_TEST(sent_now(f, w));
  BOOST_TEST(yields(rx.poll_next(w), 2));
  BOOST_TEST(ends(rx.poll_next(w)));  // it left when it completed
}

BOOST_AUTO_TEST_CASE(the_stream_ends_after_the_last_sender_was_a_send_that_completed_while_the_receiver_was_busy) {
  auto [tx, rx] = futura::mpsc::channel<int>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send(1)));
  auto f = tx.send(2);
  futura::waker w;
  BOOST_TEST(f.poll(w).is_pending());
  { auto gone = std::move(tx); }
  BOOST_TEST(rx.try_recv().value() == 1);  // not parked: the send leaves without a wake
  BOOST_TEST(sent_now(f, w));
  BOOST_TEST(rx.try_recv().value() == 2);
  BOOST_TEST((rx.try_recv().error() == futura::error::closed));
  BOOST_TEST(ends(rx.poll_next(w)));
}

BOOST_AUTO_TEST_CASE(a_receiver_dropped_after_such_a_send_frees_the_channel) {
  tracked::reset();
  auto [tx, rx] = futura::mpsc::channel<tracked>(2);
  {
    auto f = tx.send(tracked(1));
    futura::waker w;
    BOOST_TEST(sent_now(f, w));  // the receiver never polled: not parked
  }
  { auto gone = std::move(tx); }
  BOOST_TEST(tracked::alive() == 1);
  { auto gone = std::move(rx); }  // the last owner: the state goes (ASan: no leak)
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(dropping_the_last_pending_send_ends_the_stream) {
  auto [tx, rx] = futura::mpsc::channel<int>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send(1)));
  std::optional<bounded_send> f(tx.send(2));
  futura::waker w;
  BOOST_TEST(f->poll(w).is_pending());
  { auto gone = std::move(tx); }
  strict_waker target;
  futura::waker rw = target.make();
  BOOST_TEST(yields(rx.poll_next(rw), 1));
  BOOST_TEST(rx.poll_next(rw).is_pending());
  f.reset();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(ends(rx.poll_next(rw)));
}

BOOST_AUTO_TEST_CASE(a_moved_from_sender_fails_its_sends_with_the_value_back) {
  auto [tx, rx] = futura::mpsc::channel<int>(4);
  auto moved = std::move(tx);
  BOOST_TEST(tx.is_closed());                                    // NOLINT(bugprone-use-after-move)
  BOOST_TEST((tx.try_send(1).code() == futura::error::closed));  // NOLINT(bugprone-use-after-move)
  auto f = tx.send(2);                                           // NOLINT(bugprone-use-after-move)
  futura::waker w;
  auto r = f.poll(w);
  BOOST_TEST((r.is_ready() && r.value().code() == futura::error::closed && r.value().value() == 2));
  BOOST_TEST(!moved.is_closed());
  futura::mpsc::sender<int> empty;
  BOOST_TEST(empty.is_closed());
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(polling_a_completed_send_is_a_contract_violation) {
  auto [tx, rx] = futura::mpsc::channel<int>(1);
  auto f = tx.send(1);
  futura::waker w;
  BOOST_TEST(sent_now(f, w));
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}
#endif

BOOST_AUTO_TEST_CASE(a_burst_of_sends_wakes_a_parked_receiver_once) {
  auto [tx, rx] = futura::mpsc::channel<int>(16);
  strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(rx.poll_next(w).is_pending());
  for (int i = 0; i < 16; ++i) BOOST_TEST(static_cast<bool>(tx.try_send(i)));
  BOOST_TEST(target.wakes() == 1);
  for (int i = 0; i < 16; ++i) BOOST_TEST(yields(rx.poll_next(w), i));
  BOOST_TEST(rx.poll_next(w).is_pending());
}

BOOST_AUTO_TEST_CASE(try_recv_codes_and_places_coming_back_per_item) {
  auto [tx, rx] = futura::mpsc::channel<int>(3);
  BOOST_TEST((rx.try_recv().error() == futura::error::empty));
  for (int i = 0; i < 3; ++i) BOOST_TEST(static_cast<bool>(tx.try_send(i)));
  BOOST_TEST(rx.try_recv().value() == 0);
  BOOST_TEST(free_places(tx, rx, 10) == 1);  // one item handed out: one place back
  { auto gone = std::move(tx); }
  BOOST_TEST(rx.try_recv().value() == 2);  // free_places sent 0 again, after 1 and 2
  BOOST_TEST(rx.try_recv().value() == 0);
  BOOST_TEST((rx.try_recv().error() == futura::error::closed));
}

BOOST_AUTO_TEST_CASE(it_allocates_at_creation_only_and_a_steady_state_allocates_nothing) {
  long at_creation = 0;
  long steady = 0;
  bool ok = true;
  {
    allocation_count count;
    auto channel = futura::mpsc::channel<std::uint64_t>(64);
    at_creation = count.this_thread();
    auto& tx = channel.first;
    auto& rx = channel.second;
    futura::waker w;
    auto round = [&] {
      for (std::uint64_t i = 0; i < 64; ++i) ok = static_cast<bool>(tx.try_send(i)) && ok;
      auto waiting = tx.send(64);  // full: waits, with a queue node from the semaphore's pool
      ok = waiting.poll(w).is_pending() && ok;
      for (std::uint64_t i = 0; i < 32; ++i) ok = yields(rx.poll_next(w), i) && ok;
      ok = sent_now(waiting, w) && ok;
      for (std::uint64_t i = 0; i < 31; ++i) {
        auto f = tx.send(i);
        ok = sent_now(f, w) && ok;
      }
      for (std::uint64_t i = 32; i < 64; ++i) ok = yields(rx.poll_next(w), i) && ok;
      ok = yields(rx.poll_next(w), std::uint64_t{64}) && ok;
      for (std::uint64_t i = 0; i < 31; ++i) ok = yields(rx.poll_next(w), i) && ok;
      ok = rx.poll_next(w).is_pending() && ok;
    };
    round();  // the semaphore's pool gets its node
    allocation_count steady_count;
    for (int i = 0; i < 50; ++i) round();
    steady = steady_count.this_thread();
  }
  BOOST_TEST(ok);
  BOOST_TEST(at_creation == 3);  // the state and the two buffers
  BOOST_TEST(steady == 0);
}

BOOST_AUTO_TEST_CASE(dropping_waiting_sends_at_random_leaks_no_place_keeps_fifo_and_accounts_for_every_item) {
  const long rounds_n = rounds(300, 60);
  stress_seed seed("bounded random drops of waiting sends");
  for (long round = 0; round < rounds_n; ++round) {
    auto g = seed.round(round);
    const int capacity = pick(g, 1, 4);
    const int total = pick(g, 1, 40);
    auto [tx, rx] = futura::mpsc::channel<int>(static_cast<std::size_t>(capacity));
    futura::waker w;
    std::vector<std::optional<bounded_send>> sends;
    sends.reserve(static_cast<std::size_t>(total));
    for (int i = 0; i < total; ++i) sends.emplace_back(tx.send(i));
    int resolved = 0, dropped = 0;
    std::vector<int> received;
    bool ok = true;
    auto poll_all = [&] {
      for (auto& f : sends) {
        if (!f) continue;
        auto r = f->poll(w);
        if (r.is_pending()) continue;
        ok = static_cast<bool>(r.value()) && ok;
        f.reset();
        ++resolved;
      }
    };
    poll_all();
    for (int step = 0; step < 10 * total + 100 && (resolved < total || !received.empty()); ++step) {
      const int action = pick(g, 0, 2);
      if (action == 0) {
        auto item = rx.try_recv();
        if (item) received.push_back(*item);
      } else if (action == 1) {
        std::vector<std::size_t> live;
        for (std::size_t i = 0; i < sends.size(); ++i) {
          if (sends[i]) live.push_back(i);
        }
        if (!live.empty()) {
          sends[live[static_cast<std::size_t>(pick(g, 0, static_cast<int>(live.size()) - 1))]].reset();
          ++dropped;
          ++resolved;
        }
      } else {
        poll_all();
      }
      if (resolved == total) break;
    }
    for (auto item = rx.try_recv(); item; item = rx.try_recv()) received.push_back(*item);
    BOOST_TEST_CONTEXT(seed.describe(round) << " capacity " << capacity << " sends " << total) {
      BOOST_TEST(ok);
      BOOST_TEST(resolved == total);
      BOOST_TEST(static_cast<int>(received.size()) + dropped == total);
      BOOST_TEST(std::is_sorted(received.begin(), received.end()));  // FIFO among the survivors
      BOOST_TEST(free_places(tx, rx, capacity + 1) == capacity);     // every place came back
    }
  }
}

BOOST_AUTO_TEST_CASE(four_threads_of_waiting_senders_into_one_consumer_keep_order_per_sender_and_lose_nothing) {
  constexpr int threads = 4;
  const long per_thread = rounds(1000000, 20000);
  auto [tx, rx] = futura::mpsc::channel<std::uint64_t>(1024);
  std::atomic<long> failed{0};
  std::deque<joining_thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([t, per_thread, &failed, tx = tx] {
      for (long i = 0; i < per_thread; ++i) {
        auto r = futura::block_on(tx.send(item_id(static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(i))));
        if (!r) failed.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  { auto gone = std::move(tx); }
  order_check order(threads);
  bool in_order = true;
  futura::block_on(std::move(rx).for_each([&](std::uint64_t id) { in_order = order.accept(id) && in_order; }));
  producers.clear();
  BOOST_TEST(in_order);
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST(order.received() == threads * per_thread);
}

BOOST_AUTO_TEST_CASE(dropping_the_receiver_midway_hands_every_unsent_value_back_to_the_waiting_senders) {
  // Sends mix try_send (a third of them; on error::full they wait instead) and send futures.
  check_receiver_dropped_midway(
      "bounded receiver drop midway", rounds(50000, 2000), rounds(10, 3),
      [](auto& g) { return futura::mpsc::channel<armed_item>(static_cast<std::size_t>(pick(g, 1, 64))); },
      [](const auto& tx, armed_item item, long i) {
        auto r = (i % 3 == 0) ? tx.try_send(std::move(item)) : futura::block_on(tx.send(std::move(item)));
        if (!r && r.code() == futura::error::full) {
          r = futura::block_on(tx.send(std::move(r).value()));  // try_send said full: wait instead
        }
        return r;
      });
}

#if FUTURA_CHAOS_ENABLED
// A send takes its place from the places the channel took from the semaphore ahead. A send
// that found none free and queues meanwhile must get them: here another send takes two places
// ahead (using one) while the first is between "full" and its queueing. Without the give-back
// after queueing, the first would wait for a place that is free.
BOOST_AUTO_TEST_CASE(a_send_that_queues_while_places_were_taken_ahead_gets_one_of_them) {
  auto [tx, rx] = futura::mpsc::channel<int>(2);
  BOOST_TEST(static_cast<bool>(tx.try_send(1)));
  BOOST_TEST(static_cast<bool>(tx.try_send(2)));  // full
  strict_waker target;
  chaos_gates gates;
  chaos_gate& found_full = gates.add("mpsc.send.full");
  bool first_pending = false;
  bool sent = false;
  joining_thread sender_thread([&, &tx = tx] {
    found_full.bind_this_thread();
    auto f = tx.send(3);
    futura::waker w = target.make();
    first_pending = f.poll(w).is_pending();
    if (target.wakes() == 1) {
      auto r = f.poll(w);
      sent = r.is_ready() && static_cast<bool>(r.value());
    }
  });
  BOOST_REQUIRE_MESSAGE(reached_within(found_full), "mpsc.send.full never reached");
  BOOST_TEST(rx.try_recv().value() == 1);
  BOOST_TEST(rx.try_recv().value() == 2);         // two places free
  BOOST_TEST(static_cast<bool>(tx.try_send(4)));  // takes both ahead, uses one
  found_full.open();
  sender_thread.join();
  BOOST_TEST(first_pending);
  BOOST_TEST(target.wakes() == 1);  // the place taken ahead went to the queued send
  BOOST_TEST(sent);
  BOOST_TEST(rx.try_recv().value() == 4);
  BOOST_TEST(rx.try_recv().value() == 3);
}

// FIFO with places taken ahead: while a send waits, a send that finds a place taken ahead does
// not overtake it (try_send answers full), and the waiting send gets that place.
BOOST_AUTO_TEST_CASE(a_place_taken_ahead_does_not_let_a_later_send_overtake_a_queued_one) {
  auto [tx, rx] = futura::mpsc::channel<int>(2);
  BOOST_TEST(static_cast<bool>(tx.try_send(1)));
  BOOST_TEST(static_cast<bool>(tx.try_send(2)));
  strict_waker target;
  chaos_gates gates;
  chaos_gate& found_full = gates.add("mpsc.send.full");
  chaos_gate& queued = gates.add("mpsc.send.queued");
  bool sent = false;
  joining_thread sender_thread([&, &tx = tx] {
    found_full.bind_this_thread();
    queued.bind_this_thread();
    auto f = tx.send(3);
    futura::waker w = target.make();
    if (f.poll(w).is_pending() && target.wakes() == 1) {
      auto r = f.poll(w);
      sent = r.is_ready() && static_cast<bool>(r.value());
    }
  });
  BOOST_REQUIRE_MESSAGE(reached_within(found_full), "mpsc.send.full never reached");
  BOOST_TEST(rx.try_recv().value() == 1);
  BOOST_TEST(rx.try_recv().value() == 2);
  BOOST_TEST(static_cast<bool>(tx.try_send(4)));  // one place left ahead
  found_full.open();
  BOOST_REQUIRE_MESSAGE(reached_within(queued), "mpsc.send.queued never reached");
  auto later = tx.try_send(5);  // a send waits: the place ahead is not for this one
  BOOST_TEST((later.code() == futura::error::full));
  queued.open();
  sender_thread.join();
  BOOST_TEST(sent);
  BOOST_TEST(rx.try_recv().value() == 4);
  BOOST_TEST(rx.try_recv().value() == 3);
  BOOST_TEST((rx.try_recv().error() == futura::error::empty));
}
#endif

BOOST_AUTO_TEST_SUITE_END()

#if FUTURA_HAS_EXCEPTIONS
namespace {
/// Its move constructor throws while `fail` is set.
struct fragile {
  static inline bool fail = false;
  int value = 0;
  explicit fragile(int v) : value(v) {}
  fragile(fragile&& o) : value(o.value) {  // NOLINT(performance-noexcept-move-constructor): on purpose
    if (fail) throw std::runtime_error("move failed");
  }
  fragile& operator=(fragile&&) = default;
  fragile(const fragile&) = delete;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(channel_exceptions)

BOOST_AUTO_TEST_CASE(a_send_whose_move_throws_gives_its_place_back_and_is_finished) {
  auto [tx, rx] = futura::mpsc::channel<fragile>(1);
  futura::waker w;
  auto f = tx.send(fragile(1));
  fragile::fail = true;
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_CHECK_THROW((void)tx.try_send(fragile(2)), std::runtime_error);
  fragile::fail = false;
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
  BOOST_TEST(static_cast<bool>(tx.try_send(fragile(3))));  // the place came back
  BOOST_TEST(rx.try_recv().value().value == 3);
}

BOOST_AUTO_TEST_CASE(an_item_whose_move_throws_out_of_the_receiver_stays_in_the_channel) {
  auto [tx, rx] = futura::mpsc::unbounded<fragile>();
  (void)tx.send(fragile(1));
  futura::waker w;
  fragile::fail = true;
  BOOST_CHECK_THROW((void)rx.poll_next(w), std::runtime_error);
  fragile::fail = false;
  auto r = rx.poll_next(w);
  BOOST_TEST((r.is_ready() && r.value() && r.value()->value == 1));
}

BOOST_AUTO_TEST_SUITE_END()
#endif

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_SUITE(bounded_send_moves)

BOOST_AUTO_TEST_CASE(a_waiting_send_moved_between_polls_keeps_its_turn_and_the_moved_from_one_is_finished) {
  auto [tx, rx] = futura::mpsc::channel<int>(1);
  BOOST_TEST(static_cast<bool>(tx.try_send(0)));
  strict_waker target;
  futura::waker w = target.make();
  auto f = tx.send(1);
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  BOOST_TEST(rx.try_recv().value() == 0);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(sent_now(moved, w));
  BOOST_TEST(rx.try_recv().value() == 1);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, [](const futura::future_error& e) {  // NOLINT
    return e.code() == futura::error::polled_after_completion;
  });
}

BOOST_AUTO_TEST_SUITE_END()
#endif

BOOST_AUTO_TEST_SUITE(channel_end_races)

// Rounds of two sender threads racing to the end of the stream against a receiver that parks:
// every item arrives in order per sender, the stream ends (no lost end-of-stream wake), and the
// state goes (ASan).
BOOST_AUTO_TEST_CASE(senders_finishing_while_the_receiver_parks_always_end_the_stream_after_every_item) {
  const long rounds_n = rounds(2000, 200);
  stress_seed seed("channel end races");
  thread_team team(2);
  watchdog dog(60);
  for (long round = 0; round < rounds_n; ++round) {
    dog.round(seed.describe(round));
    auto g = seed.round(round);
    const int per_sender = pick(g, 0, 20);
    const bool bounded = chance(g, 50);
    const auto capacity = static_cast<std::size_t>(pick(g, 1, 4));
    order_check order(2);
    bool in_order = true;
    std::atomic<int> failed{0};
    // One round over either kind: two senders (copies of one) race to the end of the stream.
    auto race = [&](auto channel, auto send) {
      auto& [tx, rx] = channel;
      std::vector<std::decay_t<decltype(tx)>> txs{tx, tx};
      { auto gone = std::move(tx); }
      std::vector<std::function<void()>> jobs;
      for (std::size_t t = 0; t < 2; ++t) {
        jobs.emplace_back([&, t, spins = pick(g, 0, 200)] {
          spin_for(spins);
          auto mine = std::move(txs[t]);
          for (int i = 0; i < per_sender; ++i) {
            if (!send(mine, item_id(t, static_cast<std::uint64_t>(i)))) ++failed;
          }
        });
      }
      std::thread consumer([&, rx = std::move(rx)]() mutable {
        futura::block_on(std::move(rx).for_each([&](std::uint64_t id) { in_order = order.accept(id) && in_order; }));
      });
      team.run(std::move(jobs));
      consumer.join();
    };
    if (bounded) {
      race(futura::mpsc::channel<std::uint64_t>(capacity),
           [](auto& tx, std::uint64_t v) { return static_cast<bool>(futura::block_on(tx.send(v))); });
    } else {
      race(futura::mpsc::unbounded<std::uint64_t>(),
           [](auto& tx, std::uint64_t v) { return static_cast<bool>(tx.send(v)); });
    }
    if (!in_order || failed.load() != 0 || order.received() != 2L * per_sender) {
      BOOST_TEST_CONTEXT(seed.describe(round) << (bounded ? " bounded" : " unbounded")) {
        BOOST_TEST(in_order);
        BOOST_TEST(failed.load() == 0);
        BOOST_TEST(order.received() == 2L * per_sender);
      }
      break;
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
