// The per-thread trampoline of boxed_future: deferred polls and deferred destructions (the
// algorithm is drawn at the top of futura/combinator/detail/boxed_trampoline.hpp).
#include <futura/combinator/detail/boxed_trampoline.hpp>
#include <futura/core/detail/exceptions.hpp>

#include <cassert>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

namespace futura::detail {
namespace {

struct deferred_poll {
  enum class phase : std::uint8_t { deferred, waiting };

  boxed_base* box;  // nullptr once the box is gone or settled
  boxed_drive_fn drive;
  waker w;               // a clone of the waker the box was polled with
  std::uint32_t parent;  // 1 + index of the entry whose drive deferred this one; 0: the root
  phase state;
  bool redrive;  // an entry deferred by this one's drive completed
};

struct deferred_destroy {
  void* block;
  boxed_destroy_fn destroy;
};

struct boxed_lists {
  std::vector<deferred_poll> polls;
  std::vector<deferred_destroy> destroys;
};

// The counters are boxed_this_thread_counters (an inline thread_local of the header, so that
// boxed_future and block_on reach them without a call). Like them, the lists pointer is
// constant-initialised and trivially destructible: valid until the thread is gone.
thread_local boxed_lists* this_thread_lists = nullptr;

struct lists_owner {
  ~lists_owner() { delete std::exchange(this_thread_lists, nullptr); }
};

boxed_lists& lists() {
  if (!this_thread_lists) {
    // Registered at first use, so it runs at thread exit. A box that needs the lists after that
    // (a thread_local destroyed later) gets new ones, which then stay allocated.
    static thread_local lists_owner owner;
    this_thread_lists = new boxed_lists();
  }
  return *this_thread_lists;
}

void pop_poll(std::vector<deferred_poll>& polls) noexcept {
  deferred_poll& e = polls.back();
  if (e.box) e.box->trampoline_slot_ = 0;
  polls.pop_back();
  --boxed_this_thread_counters.deferred;
}

}  // namespace

std::uint32_t boxed_defer_poll(boxed_base& box, boxed_drive_fn drive, const waker& w) {
  std::vector<deferred_poll>& polls = lists().polls;
  polls.push_back(
      deferred_poll{&box, drive, w, boxed_this_thread_counters.current, deferred_poll::phase::deferred, false});
  ++boxed_this_thread_counters.deferred;
  return static_cast<std::uint32_t>(polls.size());
}

void boxed_update_deferred_waker(std::uint32_t slot, const waker& w) {
  this_thread_lists->polls[slot - 1].w = w;  // waker's assignment skips the clone when it will_wake
}

void boxed_relocate_deferred(std::uint32_t slot, boxed_base& to) noexcept {
  this_thread_lists->polls[slot - 1].box = &to;
}

void boxed_forget_deferred(std::uint32_t slot) noexcept { this_thread_lists->polls[slot - 1].box = nullptr; }

void boxed_drain_polls(std::size_t base) noexcept {
  boxed_thread& t = boxed_this_thread_counters;
  std::vector<deferred_poll>& polls = this_thread_lists->polls;
  const std::uint32_t saved_current = t.current;
  while (polls.size() > base) {
    const std::size_t i = polls.size() - 1;
    deferred_poll& top = polls[i];
    const bool run = top.box && (top.state == deferred_poll::phase::deferred || top.redrive);
    if (!run) {
      pop_poll(polls);
      continue;
    }
    top.redrive = false;
    // The vector may grow during the drive: keep the waker and the box out of it meanwhile.
    waker w = std::move(top.w);
    boxed_base* box = top.box;
    const std::size_t mark = polls.size();
    t.current = static_cast<std::uint32_t>(i + 1);
    t.poll_depth = 1;
    const bool completed = top.drive(*box, w);
    t.current = saved_current;

    deferred_poll& e = polls[i];
    if (completed) {
      // The output waits in the box: whoever polled it gets a wake, and the driver that
      // deferred it descends again to collect it.
      if (e.parent == 0) {
        t.root_redrive = true;
      } else {
        polls[e.parent - 1].redrive = true;
      }
      box->trampoline_slot_ = 0;
      e.box = nullptr;
      std::move(w).wake_and_drop();
    } else if (polls.size() == mark) {
      // Pending for its own reasons: its inner registered `w` (rule 3).
      pop_poll(polls);
    } else {
      e.state = deferred_poll::phase::waiting;
      e.w = std::move(w);
    }
  }
  t.current = saved_current;
}

bool boxed_defer_destroy(void* block, boxed_destroy_fn destroy) noexcept {
  FUTURA_TRY {
    lists().destroys.push_back(deferred_destroy{block, destroy});
    return true;
  }
  FUTURA_CATCH_ALL {
    return false;
  }
}

void boxed_drain_destroys() noexcept {
  boxed_lists* l = this_thread_lists;
  if (!l) return;
  while (!l->destroys.empty()) {
    const deferred_destroy d = l->destroys.back();
    l->destroys.pop_back();
    d.destroy(d.block);  // may defer more
  }
}

}  // namespace futura::detail
