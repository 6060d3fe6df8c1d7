// Randomized model test of the mpsc channels: a driver runs a random schedule of sends, polls,
// drops, receives, closes and sender copies against one channel on one thread, and after every
// step compares what the channel did with a reference model of design.md's "Channels" section:
//
//   - a bounded channel of capacity C holds at most C items, counting the places set aside for
//     waiting sends; a send is ready at its first poll when nobody waits and a place is free,
//     otherwise it waits in FIFO order; a freed place goes to the oldest waiting send (which is
//     woken) and its value enters the channel at that send's next poll;
//   - a dropped waiting send destroys its value and hands its place (if one was set aside) on;
//   - close() fails every pending send with error::closed and the value back, and still delivers
//     what is buffered; the stream ends once the buffer is drained and the channel is closed or
//     every sender and every unfinished send future is gone;
//   - try_send succeeds only when open, nobody waits and there is room; try_recv says empty or
//     closed;
//   - every value is received exactly once, in send order per sender, or handed back, or
//     destroyed with its dropped send future or with the receiver (nothing else).
//
// Futures are polled only when woken, except for a planned share of spurious polls, so a lost
// wakeup shows up as a send or a receive that never completes in the final drain. A failing seed
// prints its schedule; rerun it with `channel_model_test -- --seed=N`.
#include <support/probe.hpp>
#include <support/seeds.hpp>

#include <futura/channel/mpsc.hpp>

#include <boost/test/unit_test.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

/// A move-only value that records its destruction while the library owns it.
class tracked {
 public:
  tracked(int id, std::vector<int>* destroyed) : id_(id), destroyed_(destroyed) {}
  tracked(tracked&& o) noexcept : id_(std::exchange(o.id_, -1)), destroyed_(o.destroyed_) {}
  tracked& operator=(tracked&& o) noexcept {
    record();
    id_ = std::exchange(o.id_, -1);
    destroyed_ = o.destroyed_;
    return *this;
  }
  tracked(const tracked&) = delete;
  tracked& operator=(const tracked&) = delete;
  ~tracked() { record(); }

  int id() const { return id_; }
  /// The test keeps this value: its destruction is no longer the library's.
  int release() { return std::exchange(id_, -1); }

 private:
  void record() {
    if (id_ >= 0) destroyed_->push_back(id_);
  }
  int id_;
  std::vector<int>* destroyed_;
};

struct value_info {
  int sender = 0;
  int seq = 0;
};

/// How one value ended.
enum class fate { none, received, handed_back, dropped_with_send, dropped_with_receiver };

using bounded_tx = futura::mpsc::sender<tracked>;
using bounded_rx = futura::mpsc::receiver<tracked>;
using send_future = decltype(std::declval<const bounded_tx&>().send(std::declval<tracked>()));

/// One send future of the schedule, with the model's view of it.
struct send_slot {
  int value = -1;
  std::optional<send_future> f;
  std::unique_ptr<futura_test::counting_waker> w = std::make_unique<futura_test::counting_waker>();
  int wakes_seen = 0;
  bool polled = false;
  bool waiting = false;   // model: in the FIFO queue
  bool assigned = false;  // model: a place is set aside for it

  bool woken() const { return w->wakes() > wakes_seen; }
};

class channel_run {
 public:
  channel_run(unsigned seed, bool bounded) : rng_(seed), bounded_(bounded) {}

  std::string run() {
    capacity_ = bounded_ ? 1 + static_cast<int>(rng_() % 4) : 0;
    log_ << (bounded_ ? "channel(" + std::to_string(capacity_) + ")" : std::string("unbounded")) << ":";
    if (bounded_) {
      auto [tx, rx] = futura::mpsc::channel<tracked>(static_cast<std::size_t>(capacity_));
      senders_.emplace_back(std::move(tx));
      rx_.emplace(std::move(rx));
    } else {
      auto [tx, rx] = futura::mpsc::unbounded<tracked>();
      usenders_.emplace_back(std::move(tx));
      urx_.emplace(std::move(rx));
    }
    sender_alive_.push_back(true);
    next_seq_.push_back(0);
    const int steps = 20 + static_cast<int>(rng_() % 60);
    for (int i = 0; i < steps && problem_.empty(); ++i) step();
    if (problem_.empty()) drain();
    if (problem_.empty()) check_fates();
    if (!problem_.empty()) return problem_ + "\n  schedule:" + log_.str();
    return "";
  }

 private:
  // ---- the model ------------------------------------------------------------------------------
  int free_places() const {
    int set_aside = 0;
    for (const send_slot& s : sends_) set_aside += (s.f && s.assigned) ? 1 : 0;
    return capacity_ - static_cast<int>(buffer_.size()) - set_aside;
  }
  bool anyone_waits() const {
    for (const send_slot& s : sends_) {
      if (s.f && s.waiting && !s.assigned) return true;
    }
    return false;
  }
  int live_senders() const {
    int n = 0;
    for (bool a : sender_alive_) n += a ? 1 : 0;
    return n;
  }
  int live_send_futures() const {
    int n = 0;
    for (const send_slot& s : sends_) n += s.f ? 1 : 0;
    return n;
  }
  bool stream_ended() const { return buffer_.empty() && (closed_ || (live_senders() == 0 && live_send_futures() == 0)); }
  bool receiver_alive() const { return bounded_ ? rx_.has_value() : urx_.has_value(); }

  /// A place was freed (an item left, or a set-aside place came back): to the oldest waiter.
  void place_freed() {
    for (std::size_t i : queue_) {
      send_slot& s = sends_[i];
      if (s.f && s.waiting && !s.assigned) {
        s.assigned = true;
        expect_woken_.push_back(static_cast<int>(i));
        return;
      }
    }
  }

  // ---- the schedule ---------------------------------------------------------------------------
  void step() {
    check_expected_wakes();
    switch (rng_() % 10) {
      case 0:
      case 1:
        start_send();
        break;
      case 2:
      case 3:
        poll_a_send();
        break;
      case 4:
        drop_a_send();
        break;
      case 5:
      case 6:
        receive(false);
        break;
      case 7:
        try_send();
        break;
      case 8:
        senders_change();
        break;
      case 9:
        // Rare enough that most schedules run long before it (a closed channel refuses all).
        if (rng_() % 12 == 0) close();
        else try_recv();
        break;
    }
  }

  int new_value(int sender) {
    const int id = static_cast<int>(values_.size());
    values_.push_back({sender, next_seq_[static_cast<std::size_t>(sender)]++});
    fates_.push_back(fate::none);
    return id;
  }

  int pick_live_sender() {
    std::vector<int> live;
    for (std::size_t j = 0; j < sender_alive_.size(); ++j) {
      if (sender_alive_[j]) live.push_back(static_cast<int>(j));
    }
    if (live.empty()) return -1;
    return live[rng_() % live.size()];
  }

  void start_send() {
    const int j = pick_live_sender();
    if (j < 0) return;
    const int id = new_value(j);
    if (!bounded_) {
      log_ << " usend(" << j << ",v" << id << ")";
      futura::mpsc::send_result<tracked> r = usenders_[static_cast<std::size_t>(j)].send(tracked(id, &destroyed_));
      settle_immediate(r, id, closed_ || !receiver_alive() ? futura::error::closed : std::optional<futura::error>{});
      return;
    }
    log_ << " send(" << j << ",v" << id << ")";
    send_slot& s = sends_.emplace_back();
    s.value = id;
    s.f.emplace(senders_[static_cast<std::size_t>(j)].send(tracked(id, &destroyed_)));
    if (rng_() % 2 == 0) poll_send(sends_.size() - 1);
  }

  /// Checks a result that was due at once: `expected_error` empty means sent.
  template <class Result>
  void settle_immediate(Result& r, int id, std::optional<futura::error> expected_error) {
    if (!expected_error) {
      if (!r) return fail("v" + std::to_string(id) + " was refused (" + r.code().message() + ") but the model sends it");
      buffer_.push_back(id);
      return;
    }
    if (r) return fail("v" + std::to_string(id) + " was sent but the model expects " +
                       futura::make_error_code(*expected_error).message());
    if (r.code() != *expected_error) {
      return fail("v" + std::to_string(id) + " failed with " + r.code().message() + ", the model says " +
                  futura::make_error_code(*expected_error).message());
    }
    take_back(r.value(), id);
  }

  void take_back(tracked& t, int id) {
    if (t.id() != id) return fail("a failed send handed back v" + std::to_string(t.id()) + " instead of v" + std::to_string(id));
    t.release();
    set_fate(id, fate::handed_back);
  }

  void set_fate(int id, fate f) {
    if (fates_[static_cast<std::size_t>(id)] != fate::none) return fail("v" + std::to_string(id) + " ended twice");
    fates_[static_cast<std::size_t>(id)] = f;
  }

  std::vector<std::size_t> live_sends() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < sends_.size(); ++i) {
      if (sends_[i].f) out.push_back(i);
    }
    return out;
  }

  void poll_a_send() {
    std::vector<std::size_t> live = live_sends();
    if (live.empty()) return;
    // Mostly a woken one; sometimes any (a spurious poll must be harmless).
    std::vector<std::size_t> woken;
    for (std::size_t i : live) {
      if (sends_[i].woken() || !sends_[i].polled) woken.push_back(i);
    }
    if (!woken.empty() && rng_() % 5 != 0) return poll_send(woken[rng_() % woken.size()]);
    poll_send(live[rng_() % live.size()]);
  }

  void poll_send(std::size_t i) {
    send_slot& s = sends_[i];
    log_ << " poll(v" << s.value << ")";
    s.wakes_seen = s.w->wakes();
    const bool first = !s.polled;
    s.polled = true;
    // The model's answer.
    enum { sent, refused, waits } expect;
    if (closed_ || !receiver_alive()) {
      expect = refused;
    } else if (first) {
      expect = (!anyone_waits() && free_places() > 0) ? sent : waits;
    } else {
      expect = s.assigned ? sent : waits;
    }
    futura::waker w = s.w->make();
    futura::poll_result<futura::mpsc::send_result<tracked>> r = s.f->poll(w);
    if (expect == waits) {
      if (r.is_ready()) return fail("the send of v" + std::to_string(s.value) + " completed but the model says it waits");
      if (!s.waiting) queue_.push_back(i);
      s.waiting = true;
      return;
    }
    if (r.is_pending()) return fail("the send of v" + std::to_string(s.value) + " is pending but the model says it " +
                                    (expect == sent ? "is sent" : "fails with error::closed"));
    futura::mpsc::send_result<tracked> out = r.take();
    const int id = s.value;
    s.f.reset();  // a completed send no longer keeps the channel open
    s.waiting = s.assigned = false;
    if (expect == sent) {
      if (!out) return fail("the send of v" + std::to_string(id) + " failed (" + out.code().message() + ")");
      buffer_.push_back(id);
      wake_receiver_expected();
      return;
    }
    if (out) return fail("the send of v" + std::to_string(id) + " succeeded on a closed channel");
    if (out.code() != futura::error::closed) return fail("the send of v" + std::to_string(id) + " failed with " + out.code().message());
    take_back(out.value(), id);
  }

  void drop_a_send() {
    std::vector<std::size_t> live = live_sends();
    if (live.empty()) return;
    send_slot& s = sends_[live[rng_() % live.size()]];
    log_ << " drop(v" << s.value << ")";
    const int id = s.value;
    const bool had_place = s.assigned;
    const std::size_t destroyed_before = destroyed_.size();
    s.f.reset();
    s.waiting = s.assigned = false;
    if (destroyed_.size() != destroyed_before + 1 || destroyed_.back() != id) {
      return fail("dropping the send of v" + std::to_string(id) + " did not destroy exactly its value");
    }
    set_fate(id, fate::dropped_with_send);
    if (had_place && !closed_) place_freed();
    if (live_senders() == 0 && live_send_futures() == 0) wake_receiver_expected();
  }

  void try_send() {
    const int j = pick_live_sender();
    if (j < 0) return;
    const int id = new_value(j);
    log_ << " try_send(" << j << ",v" << id << ")";
    if (!bounded_) {
      futura::mpsc::send_result<tracked> r = usenders_[static_cast<std::size_t>(j)].send(tracked(id, &destroyed_));
      settle_immediate(r, id, closed_ || !receiver_alive() ? futura::error::closed : std::optional<futura::error>{});
      return;
    }
    std::optional<futura::error> expected;
    if (closed_ || !receiver_alive()) {
      expected = futura::error::closed;
    } else if (anyone_waits() || free_places() <= 0) {
      expected = futura::error::full;
    }
    futura::mpsc::send_result<tracked> r = senders_[static_cast<std::size_t>(j)].try_send(tracked(id, &destroyed_));
    settle_immediate(r, id, expected);
    if (!expected) wake_receiver_expected();
  }

  void senders_change() {
    const int j = pick_live_sender();
    if (j < 0) return;
    if (rng_() % 2 == 0) {
      log_ << " clone(" << j << ")";
      if (bounded_) {
        senders_.push_back(senders_[static_cast<std::size_t>(j)]);
      } else {
        usenders_.push_back(usenders_[static_cast<std::size_t>(j)]);
      }
      sender_alive_.push_back(true);
      next_seq_.push_back(0);
      return;
    }
    log_ << " drop_sender(" << j << ")";
    if (bounded_) {
      bounded_tx gone = std::move(senders_[static_cast<std::size_t>(j)]);
    } else {
      futura::mpsc::unbounded_sender<tracked> gone = std::move(usenders_[static_cast<std::size_t>(j)]);
    }
    sender_alive_[static_cast<std::size_t>(j)] = false;
    if (live_senders() == 0 && live_send_futures() == 0) wake_receiver_expected();
  }

  void close() {
    if (!receiver_alive() || closed_) return;
    log_ << " close";
    if (bounded_) {
      rx_->close();
    } else {
      urx_->close();
    }
    closed_ = true;
    // Every waiting send must hear of it.
    for (std::size_t i = 0; i < sends_.size(); ++i) {
      if (sends_[i].f && sends_[i].waiting) expect_woken_.push_back(static_cast<int>(i));
    }
    wake_receiver_expected();
  }

  void wake_receiver_expected() {
    if (rx_parked_) expect_rx_woken_ = true;
  }

  /// One poll_next of the receiver (the stream itself: a registered waker stays registered until
  /// it is woken): an item, the end, or pending.
  void receive(bool final_drain) {
    if (!receiver_alive() || ended_) return;  // a stream is not polled after its end (contract)
    if (!final_drain && rx_parked_ && rx_waker_.wakes() == rx_wakes_seen_ && rng_() % 5 != 0) return;
    log_ << " next";
    rx_wakes_seen_ = rx_waker_.wakes();
    futura::waker w = rx_waker_.make();
    futura::poll_result<std::optional<tracked>> r =
        bounded_ ? rx_->poll_next(w) : urx_->poll_next(w);
    expect_rx_woken_ = false;
    if (r.is_pending()) {
      if (!buffer_.empty()) return fail("next() is pending with v" + std::to_string(buffer_.front()) + " buffered");
      if (stream_ended()) return fail("next() is pending but the stream has ended");
      rx_parked_ = true;
      return;
    }
    rx_parked_ = false;
    std::optional<tracked> item = r.take();
    if (!item) {
      if (!stream_ended()) return fail("the stream ended early (" + std::to_string(buffer_.size()) + " buffered)");
      ended_ = true;
      return;
    }
    receive_item(*item);
  }

  void receive_item(tracked& t) {
    if (buffer_.empty()) return fail("received v" + std::to_string(t.id()) + " but the model's buffer is empty");
    const int id = t.id();
    if (id != buffer_.front()) {
      // Per-sender order is what the contract promises; the model's buffer order is the order
      // in which sends completed, which must also be the receive order on one thread.
      return fail("received v" + std::to_string(id) + ", the model expects v" + std::to_string(buffer_.front()));
    }
    buffer_.pop_front();
    t.release();
    set_fate(id, fate::received);
    // Send order per sender: the unbounded sends of one sender complete in call order, so the
    // buffer check above covers it; two bounded send futures of one sender are concurrent, and
    // their order is the order in which they completed, which is what the buffer holds.
    const value_info& v = values_[static_cast<std::size_t>(id)];
    if (!bounded_) {
      const auto [it, first] = last_seq_.try_emplace(v.sender, v.seq);
      if (!first && v.seq <= it->second) return fail("sender " + std::to_string(v.sender) + " out of order at v" + std::to_string(id));
      it->second = v.seq;
    }
    if (bounded_ && !closed_) place_freed();
  }

  void try_recv() {
    if (!receiver_alive()) return;
    log_ << " try_recv";
    boost::system::result<tracked> r = bounded_ ? rx_->try_recv() : urx_->try_recv();
    if (r) return receive_item(*r);
    if (!buffer_.empty()) return fail("try_recv failed with v" + std::to_string(buffer_.front()) + " buffered");
    const futura::error expected = stream_ended() ? futura::error::closed : futura::error::empty;
    if (r.error() != expected) return fail("try_recv said " + r.error().message());
  }

  /// Wakes the model demanded since the last step must have happened.
  void check_expected_wakes() {
    for (int i : expect_woken_) {
      const send_slot& s = sends_[static_cast<std::size_t>(i)];
      if (s.f && !s.woken()) return fail("the send of v" + std::to_string(s.value) + " was not woken");
    }
    expect_woken_.clear();
    if (expect_rx_woken_ && rx_waker_.wakes() == rx_wakes_seen_) return fail("the parked receiver was not woken");
    expect_rx_woken_ = false;
  }

  /// The end: every sender goes; woken futures are polled until nothing is woken; then every
  /// send must be done and the stream must have ended. Sometimes the receiver is dropped first.
  void drain() {
    log_ << " | drain";
    for (std::size_t j = 0; j < sender_alive_.size(); ++j) {
      if (!sender_alive_[j]) continue;
      sender_alive_[j] = false;
      if (bounded_) {
        bounded_tx gone = std::move(senders_[j]);
      } else {
        futura::mpsc::unbounded_sender<tracked> gone = std::move(usenders_[j]);
      }
    }
    if (live_send_futures() == 0) wake_receiver_expected();
    if (rng_() % 6 == 0) return drop_receiver();
    for (int round = 0; round < 10'000 && problem_.empty(); ++round) {
      check_expected_wakes();
      if (!problem_.empty()) return;
      bool progressed = false;
      for (std::size_t i = 0; i < sends_.size() && problem_.empty(); ++i) {
        if (sends_[i].f && (sends_[i].woken() || !sends_[i].polled)) {
          poll_send(i);
          progressed = true;
        }
      }
      if (!ended_ && (!rx_parked_ || rx_waker_.wakes() > rx_wakes_seen_)) {
        receive(true);
        progressed = true;
      }
      if (!progressed) break;
    }
    if (!problem_.empty()) return;
    for (const send_slot& s : sends_) {
      if (s.f) return fail("the send of v" + std::to_string(s.value) + " never completed (lost wakeup?)");
    }
    if (!ended_) return fail("the stream never ended (lost wakeup?)");
  }

  void drop_receiver() {
    log_ << " drop_receiver";
    const std::size_t before = destroyed_.size();
    if (bounded_) {
      rx_.reset();
    } else {
      urx_.reset();
    }
    // The buffered values are destroyed with it.
    std::vector<int> gone(destroyed_.begin() + static_cast<std::ptrdiff_t>(before), destroyed_.end());
    if (gone.size() != buffer_.size()) {
      return fail("dropping the receiver destroyed " + std::to_string(gone.size()) + " values, " +
                  std::to_string(buffer_.size()) + " were buffered");
    }
    for (int id : gone) set_fate(id, fate::dropped_with_receiver);
    buffer_.clear();
    // Pending sends now fail with their value back.
    for (std::size_t i = 0; i < sends_.size() && problem_.empty(); ++i) {
      if (!sends_[i].f) continue;
      if (sends_[i].waiting && !sends_[i].woken()) return fail("a waiting send was not woken by the receiver's drop");
      poll_send(i);
    }
  }

  void check_fates() {
    for (std::size_t id = 0; id < fates_.size(); ++id) {
      if (fates_[id] == fate::none) return fail("v" + std::to_string(id) + " was lost");
    }
    for (int id : destroyed_) {
      const fate f = fates_[static_cast<std::size_t>(id)];
      if (f != fate::dropped_with_send && f != fate::dropped_with_receiver) {
        return fail("v" + std::to_string(id) + " was destroyed by the channel but not dropped with a send or the receiver");
      }
    }
  }

  void fail(const std::string& what) {
    if (problem_.empty()) problem_ = what;
  }

  // First, so that it outlives the channel and the send futures: their values record here.
  std::vector<int> destroyed_;
  std::mt19937 rng_;
  bool bounded_;
  int capacity_ = 0;
  std::vector<bounded_tx> senders_;
  std::vector<futura::mpsc::unbounded_sender<tracked>> usenders_;
  std::vector<bool> sender_alive_;
  std::vector<int> next_seq_;
  std::optional<bounded_rx> rx_;
  std::optional<futura::mpsc::unbounded_receiver<tracked>> urx_;
  futura_test::counting_waker rx_waker_;
  int rx_wakes_seen_ = 0;
  bool rx_parked_ = false;
  bool expect_rx_woken_ = false;
  bool closed_ = false;
  bool ended_ = false;

  std::vector<send_slot> sends_;
  std::vector<std::size_t> queue_;  // indices of sends_, in the order they started waiting
  std::vector<int> expect_woken_;
  std::deque<int> buffer_;  // model: values in the channel, in receive order
  std::vector<value_info> values_;
  std::vector<fate> fates_;
  std::map<int, int> last_seq_;  // per sender: the seq of its last received value
  std::string problem_;
  std::ostringstream log_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(channel_model)

BOOST_AUTO_TEST_CASE(bounded_channel_matches_the_model) {
  futura_test::run_seeds([](unsigned seed) { return channel_run(seed, true).run(); }, 10000, "FUTURA_CHANNEL_MODEL_SEEDS");
}

BOOST_AUTO_TEST_CASE(unbounded_channel_matches_the_model) {
  futura_test::run_seeds([](unsigned seed) { return channel_run(seed, false).run(); }, 3000, "FUTURA_CHANNEL_MODEL_SEEDS");
}

BOOST_AUTO_TEST_SUITE_END()
