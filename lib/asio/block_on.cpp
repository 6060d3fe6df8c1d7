// The parker behind block_on(io_context&, f): wakes a thread that sleeps inside run_one.
//
// Per block_on call, guarded by the parker's mutex:
//   notified    the waker was woken since the owner last consumed a wake-up
//   in_run_one  the owner is inside ctx.run_one() (and may be asleep there)
//   generation  bumped each time the owner consumes a wake-up: tells stale no-ops apart
//
//   owner:  poll f --pending--> [notified?] --no--> run_one --returns--> [notified?] ...
//                                           --yes-> poll_one (fairness) --> consume, poll f
//   wake:   notified = true; if the owner is in run_one (and this is not the owner running a
//           handler, after which run_one returns anyway): post wake_op(generation)
//   wake_op on the owner's thread: nothing (run_one returns after it)
//   wake_op elsewhere, the owner still in run_one for that wake-up: post it again, yield, return
//
// A handler never waits for another thread: the owner may itself be running a handler that
// waits for one only this other thread can run, and a wait here would stop both threads for
// good. The no-op posted again goes behind the handlers already queued, which run first; it
// circulates until the owner's thread takes it, which that thread does as soon as it is back
// in run_one's queue: at once when it sleeps there (the post wakes an idle thread, and the
// yield lets it in), otherwise when the handler it is running returns.
#include <futura/asio/block_on.hpp>

#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/ref_count.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace futura::detail {
namespace {

thread_local io_parker* current_io_parker = nullptr;  // this thread's innermost block_on(ctx, f)

}  // namespace

class io_parker : public intrusive_ref_count<io_parker> {
 public:
  explicit io_parker(boost::asio::io_context& ctx) : ctx_(ctx), work_(ctx.get_executor()) {}

  /// The waker's wake: may run on any thread, also after block_on returned.
  void wake() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_ || notified_) return;
    notified_ = true;
    FUTURA_CHAOS_POINT("block_on_io.wake.notified");
    // Posted under the lock: the owner cannot leave run_one (and then block_on, after which
    // ctx may be destroyed) before the post is done.
    if (in_run_one_ && current_io_parker != this) post_wake_op();
  }

  /// The owner: runs ctx's handlers until woken, then consumes the wake-up.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (notified_) {
      // Woken during its own poll (a future that yields): let one ready handler run first so
      // the IO it shares this thread with is not starved.
      lock.unlock();
      ctx_.poll_one();
      lock.lock();
    }
    while (!notified_) {
      in_run_one_ = true;
      lock.unlock();
      FUTURA_CHAOS_POINT("block_on_io.wait.entering_run_one");
      std::size_t ran = 0;
      try {
        ran = ctx_.run_one();
      } catch (...) {
        lock.lock();
        in_run_one_ = false;
        throw;
      }
      lock.lock();
      in_run_one_ = false;
      // The work guard keeps ctx from running dry, so 0 means someone called stop(): f is
      // still pending, so carry on.
      if (ran == 0 && ctx_.stopped()) ctx_.restart();
    }
    notified_ = false;
    ++generation_;
  }

  /// The owner leaves block_on: later wakes and no-ops do nothing.
  void finish() noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
    }
    work_.reset();
  }

  /// The no-op posted by wake(), run by whichever thread runs ctx.
  void on_wake_op(std::uint64_t generation) {
    if (current_io_parker == this) return;  // the owner: its run_one returns after this
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (finished_ || generation != generation_ || !notified_ || !in_run_one_) return;  // nothing to deliver
      // This thread took the owner's wake-up while the owner is in run_one: hand it on.
      FUTURA_CHAOS_POINT("block_on_io.wake_op.handing_on");
      post_wake_op();
    }
    // Give the owner's thread, woken by that post if it sleeps, the chance to take it before
    // this thread is back in the queue.
    std::this_thread::yield();
  }

 private:
  class wake_op {
   public:
    wake_op(io_parker* p, std::uint64_t generation) noexcept : parker_(p), generation_(generation) { p->add_ref(); }
    wake_op(wake_op&& o) noexcept : parker_(std::exchange(o.parker_, nullptr)), generation_(o.generation_) {}
    wake_op(const wake_op&) = delete;
    wake_op& operator=(const wake_op&) = delete;
    wake_op& operator=(wake_op&&) = delete;
    ~wake_op() {
      if (parker_) parker_->release();
    }
    void operator()() { parker_->on_wake_op(generation_); }

   private:
    io_parker* parker_;
    std::uint64_t generation_;
  };

  void post_wake_op() { boost::asio::post(ctx_, wake_op(this, generation_)); }

  friend class intrusive_ref_count<io_parker>;
  ~io_parker() = default;

  boost::asio::io_context& ctx_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::mutex mutex_;
  // Guarded by mutex_:
  bool notified_ = false;
  bool in_run_one_ = false;
  bool finished_ = false;
  std::uint64_t generation_ = 0;
};

namespace {
using io_parker_waker = ref_counted_waker<io_parker>;
}  // namespace

io_block_on_scope::io_block_on_scope(boost::asio::io_context& ctx) {
  if (ctx.get_executor().running_in_this_thread()) {
    throw std::logic_error(
        "futura::block_on(io_context&, f) called from a handler of that io_context: it would wait for handlers "
        "that only this thread could run (deadlock). Spawn the future, or chain it with .then(), instead.");
  }
  if (ctx.stopped()) ctx.restart();
  parker_ = new io_parker(ctx);
  outer_ = current_io_parker;
  current_io_parker = parker_;
}

io_block_on_scope::~io_block_on_scope() {
  current_io_parker = outer_;
  parker_->finish();
  parker_->release();
}

raw_waker io_block_on_scope::raw() const noexcept { return {&io_parker_waker::vtable, parker_}; }

void io_block_on_scope::wait() { parker_->wait(); }

}  // namespace futura::detail
