// futura/combinator/detail/wake_tree.hpp — which children of a join were woken since its last poll,
// and when the join's own waker must hear of it: the one wake algorithm of join, try_join,
// join_all and try_join_all (docs/design.md, "Wake tree").
//
// One bit per child in the leaf words, and above them one bit per word of the level below, up to a
// single top word:
//
//   child wake:  set the child's bit; if its word was 0, set that word's bit one level up, and so
//                on; if the top word was 0, the tree was empty: the caller wakes the parent. A
//                word that was not 0 is already reachable from the top, so a wake is one fetch_or
//                nearly always, and the parent is woken once per batch of wakes between two polls.
//   poll:        from the top, take each word with one exchange and descend into its set bits;
//                visit each woken child once, in input order. A child woken during its own poll
//                sets its bit again, for the next poll, never this one.
//
// The poll takes the bits after it registered the parent's waker, so a wake either lands before
// the take (its child is polled now) or finds the tree empty after it (and wakes the new waker):
// no wake is lost (rule 3). The storage is the caller's (a join keeps it beside its children in
// one block); wakes may come from any thread, takes only from the poller.
#pragma once

#include <futura/core/detail/chaos.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

namespace futura::detail {

class wake_tree {
 public:
  /// 2^32 children need six levels: 2^26, 2^20, 2^14, 2^8, 4 and 1 words.
  static constexpr std::size_t max_levels = 6;
  static_assert(std::uint64_t{1} << (6 * max_levels) >= (std::uint64_t{1} << 32),
                "wake_tree: max_levels levels of 64-bit words must cover 2^32 children");

  /// Words a tree of n children needs (n >= 1).
  static constexpr std::size_t words_for(std::size_t n) noexcept {
    std::size_t words = 0;
    do {
      n = (n + 63) / 64;
      words += n;
    } while (n > 1);
    return words;
  }

  explicit constexpr wake_tree(std::size_t n) noexcept {
    std::size_t count = n;
    std::size_t offset = 0;
    do {
      count = (count + 63) / 64;
      offset_[levels_++] = static_cast<std::uint32_t>(offset);
      offset += count;
    } while (count > 1);
  }

  /// Every word zero: nothing woken.
  static void construct(std::atomic<std::uint64_t>* storage, std::size_t words) noexcept {
    for (std::size_t i = 0; i < words; ++i) ::new (static_cast<void*>(storage + i)) std::atomic<std::uint64_t>(0);
  }

  /// Marks child `i` woken. True when the tree was empty: the caller wakes the parent.
  bool set(std::atomic<std::uint64_t>* storage, std::size_t i) const noexcept {
    for (std::size_t level = 0; level < levels_; ++level) {
      const std::uint64_t bit = std::uint64_t{1} << (i & 63);
      i >>= 6;
      // acq_rel: a poll that takes this word sees what the waking thread did before; a word
      // that was not 0 is reachable from the top already (its first bit's waker climbed).
      if (storage[offset_[level] + i].fetch_or(bit, std::memory_order_acq_rel) != 0) return false;
      FUTURA_CHAOS_POINT("wake_tree.set.climbing");
    }
    return true;
  }

  /// Takes every woken bit, top down, and calls fn(i) for each woken child in input order
  /// until fn returns false (the rest of the taken bits are dropped: the join is finishing).
  template <class Fn>
  bool take(std::atomic<std::uint64_t>* storage, Fn&& fn) const {
    return take_word(storage, levels_ - 1, 0, fn);
  }

 private:
  template <class Fn>
  bool take_word(std::atomic<std::uint64_t>* storage, std::size_t level, std::size_t word, Fn& fn) const {
    std::uint64_t bits = storage[offset_[level] + word].exchange(0, std::memory_order_acq_rel);
    FUTURA_CHAOS_POINT("wake_tree.take.word_taken");
    while (bits != 0) {
      const std::size_t i = word * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
      bits &= bits - 1;
      if (!(level == 0 ? fn(i) : take_word(storage, level - 1, i, fn))) return false;
    }
    return true;
  }

  std::uint32_t offset_[max_levels] = {};
  std::size_t levels_ = 0;
};

}  // namespace futura::detail
