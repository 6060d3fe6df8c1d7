// Writing a future by hand: the one example with a hand-written poll(), because it teaches how.
//
//   countdown(n)      ready after n polls; each pending poll wakes its own waker (rule 3:
//                     whoever returns pending arranges to be woken)
//   one_shot_event    set once, by any thread; a future waits for it. The waker is kept in heap
//                     state shared with the setter (rule 2: the future may move between polls,
//                     so nobody may point into it), registered under the same lock that the
//                     setter takes to publish, so a set between "not yet" and "wake me" is
//                     never lost
//
// Both derive from futura::future_ext, so .then(), select and the rest work on them. In real
// code, reach for futura::promise or futura::from_callback before writing the second one: they
// do the same without a lock. See docs/guide.md, chapters 2 and 3.
#include <futura/core.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <variant>

namespace {

/// Ready with 42 after `n` pending polls.
struct countdown : futura::future_ext<countdown> {
  using output_type = int;

  explicit countdown(int n) : left(n) {}

  futura::poll_result<int> poll(futura::waker& w) {
    if (left == 0) return 42;
    --left;
    w.wake();  // pending, so someone must wake us: here, we do, at once
    return futura::pending;
  }

  int left;
};

/// The state a waiting future and the thread that sets the event share.
struct event_state {
  std::mutex lock;
  std::optional<int> value;             // set once
  std::optional<futura::waker> waiter;  // the waker of the last pending poll
};

/// A value that another thread sets once; `wait()` is a future of it.
class one_shot_event {
 public:
  /// The future of the value. Each poll either finds the value or leaves its waker.
  class wait_future : public futura::future_ext<wait_future> {
   public:
    using output_type = int;

    explicit wait_future(std::shared_ptr<event_state> s) : state_(std::move(s)) {}

    futura::poll_result<int> poll(futura::waker& w) {
      std::lock_guard<std::mutex> guard(state_->lock);
      if (state_->value) return *state_->value;
      // Keep a clone only if the stored one would wake someone else (a future polled by a new
      // task, or moved into a select, gets a new waker).
      if (!state_->waiter || !state_->waiter->will_wake(w)) state_->waiter = w;
      return futura::pending;
    }

   private:
    std::shared_ptr<event_state> state_;
  };

  one_shot_event() : state_(std::make_shared<event_state>()) {}

  wait_future wait() const { return wait_future(state_); }

  /// Publishes `v` and wakes the waiter, if any. Call once, from any thread.
  void set(int v) {
    std::optional<futura::waker> to_wake;
    {
      std::lock_guard<std::mutex> guard(state_->lock);
      state_->value = v;
      to_wake = std::move(state_->waiter);  // woken outside the lock: the waker may poll at once
      state_->waiter.reset();
    }
    if (to_wake) to_wake->wake();
  }

 private:
  std::shared_ptr<event_state> state_;
};

}  // namespace

int main() {
  // A future that wakes itself: block_on polls it four times.
  const int counted = futura::block_on(countdown(3).then([](int v) { return v + 1; }));
  std::printf("countdown(3).then(+1): %d\n", counted);

  // A future woken from another thread.
  one_shot_event event;
  std::thread setter([&event] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // some work elsewhere
    event.set(7);
  });
  const int got = futura::block_on(event.wait().then([](int v) { return v * 6; }));
  setter.join();
  std::printf("an event set by another thread, .then(*6): %d\n", got);

  // Hand-written futures compose like any other: the first of two to be ready wins.
  one_shot_event never_set;
  auto first = futura::block_on(futura::select(never_set.wait(), countdown(2)));
  std::printf("select(an event never set, countdown(2)): child %zu won with %d\n", first.index(), std::get<1>(first));
  return counted == 43 && got == 42 && first.index() == 1 ? 0 : 1;
}
