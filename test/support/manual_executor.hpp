// The smallest executor a task can run on, driven by hand: no io_context, no scheduler, no
// threads of its own. Every post is counted and queued; the test runs the queue one function at
// a time (run_one), so each step of a task's state machine (lib/asio/detail/task_header.cpp) can be observed
// between two steps: how many posts a wake made, what is queued, whether the task counts as
// outstanding work.
//
// It is an Asio standard executor only in the sense that spawn needs (execute, query of the
// execution context, require(blocking.never), the outstanding_work property): spawn registers
// a task with an asio::execution_context, so manual_context derives from one. Its destructor
// behaves like io_context's: services (the live-task list) shut down first, then the queued
// functions are destroyed without running.
#pragma once

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace futura_test {

class manual_context;

template <bool Tracked>
class basic_manual_executor;

/// What posts go to, and the test's handle on them.
class manual_context : public boost::asio::execution_context {
 public:
  manual_context() = default;
  ~manual_context() {
    shutdown();  // the task service closes the tasks it lists, as io_context's destructor does
    std::deque<std::unique_ptr<op>> left;
    {
      std::lock_guard<std::mutex> lock(m_);
      left.swap(queue_);
    }
    left.clear();  // runners destroyed without running
    destroy();
  }
  manual_context(const manual_context&) = delete;
  manual_context& operator=(const manual_context&) = delete;

  inline basic_manual_executor<false> get_executor() noexcept;

  /// Runs the oldest queued function; false when nothing is queued.
  bool run_one() {
    std::unique_ptr<op> next;
    {
      std::lock_guard<std::mutex> lock(m_);
      if (queue_.empty()) return false;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    ++runs_;
    next->invoke();
    return true;
  }
  /// Runs queued functions (also those queued meanwhile) until none is left; how many ran.
  std::size_t run_all() {
    std::size_t n = 0;
    while (run_one()) ++n;
    return n;
  }
  /// Destroys the oldest queued function without running it (as a shut-down executor would).
  bool drop_one() {
    std::unique_ptr<op> next;
    {
      std::lock_guard<std::mutex> lock(m_);
      if (queue_.empty()) return false;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    next.reset();
    return true;
  }

  std::size_t queued() const {
    std::lock_guard<std::mutex> lock(m_);
    return queue_.size();
  }
  /// Functions posted since construction.
  long posts() const { return posts_.load(); }
  /// Functions run since construction.
  long runs() const { return runs_.load(); }
  /// Executors alive that track outstanding work (what io_context::run() would wait for).
  long outstanding_work() const { return work_.load(); }

 private:
  template <bool>
  friend class basic_manual_executor;

  struct op {
    virtual ~op() = default;
    virtual void invoke() = 0;
  };
  template <class F>
  struct op_for final : op {
    explicit op_for(F&& f) : f(std::move(f)) {}
    void invoke() override { std::move(f)(); }
    F f;
  };

  template <class F>
  void post(F&& f) {
    auto o = std::make_unique<op_for<std::decay_t<F>>>(std::forward<F>(f));
    std::lock_guard<std::mutex> lock(m_);
    queue_.push_back(std::move(o));
    ++posts_;
  }

  mutable std::mutex m_;
  std::deque<std::unique_ptr<op>> queue_;
  std::atomic<long> posts_{0};
  std::atomic<long> runs_{0};
  std::atomic<long> work_{0};
};

/// The executor of a manual_context; `Tracked` ones count as outstanding work while they live.
template <bool Tracked>
class basic_manual_executor {
 public:
  explicit basic_manual_executor(manual_context& ctx) noexcept : ctx_(&ctx) { on_make(); }
  basic_manual_executor(const basic_manual_executor& o) noexcept : ctx_(o.ctx_) { on_make(); }
  basic_manual_executor& operator=(const basic_manual_executor& o) noexcept {
    basic_manual_executor copy(o);
    std::swap(ctx_, copy.ctx_);
    return *this;
  }
  ~basic_manual_executor() {
    if (Tracked) ctx_->work_.fetch_sub(1);
  }

  friend bool operator==(const basic_manual_executor& a, const basic_manual_executor& b) noexcept {
    return a.ctx_ == b.ctx_;
  }
  friend bool operator!=(const basic_manual_executor& a, const basic_manual_executor& b) noexcept {
    return a.ctx_ != b.ctx_;
  }

  template <class F>
  void execute(F&& f) const {
    ctx_->post(std::forward<F>(f));
  }

  manual_context& query(boost::asio::execution::context_t) const noexcept { return *ctx_; }
  static constexpr boost::asio::execution::blocking_t query(boost::asio::execution::blocking_t) noexcept {
    return boost::asio::execution::blocking.never;
  }
  static constexpr boost::asio::execution::outstanding_work_t query(
      boost::asio::execution::outstanding_work_t) noexcept {
    return Tracked ? boost::asio::execution::outstanding_work_t(boost::asio::execution::outstanding_work.tracked)
                   : boost::asio::execution::outstanding_work_t(boost::asio::execution::outstanding_work.untracked);
  }
  basic_manual_executor require(boost::asio::execution::blocking_t::never_t) const noexcept { return *this; }
  basic_manual_executor<true> require(boost::asio::execution::outstanding_work_t::tracked_t) const noexcept {
    return basic_manual_executor<true>(*ctx_);
  }
  basic_manual_executor<false> require(boost::asio::execution::outstanding_work_t::untracked_t) const noexcept {
    return basic_manual_executor<false>(*ctx_);
  }

 private:
  void on_make() noexcept {
    if (Tracked) ctx_->work_.fetch_add(1);
  }

  manual_context* ctx_;
};

using manual_executor = basic_manual_executor<false>;

inline basic_manual_executor<false> manual_context::get_executor() noexcept {
  return basic_manual_executor<false>(*this);
}

}  // namespace futura_test
