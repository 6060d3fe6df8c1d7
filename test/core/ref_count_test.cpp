// The reference counts of futura's shared states (core/detail/ref_count.hpp): the lending count
// of the join states, whose owner lends its children's waker clones references without an atomic
// operation. Its state must be destroyed exactly once, by whichever reference goes last, however
// lent and counted references mix (ASan and TSan run this suite too).
#include <futura/core/detail/ref_count.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace {

/// A state with a reserve of 3, so that a few clones spend it and take a new one.
struct small_reserve_state : futura::detail::lending_ref_count<small_reserve_state, 3> {
  static inline std::atomic<int> destroyed{0};
  static void destroy_last(small_reserve_state* s) noexcept {
    ++destroyed;
    delete s;
  }
};

using state = small_reserve_state;

}  // namespace

BOOST_AUTO_TEST_SUITE(lending_ref_count)

BOOST_AUTO_TEST_CASE(clones_lent_beyond_the_reserve_keep_the_state_until_the_last_one_goes) {
  state::destroyed = 0;
  auto* s = new state();
  {
    state::poll_scope polling(*s);
    for (int i = 0; i < 10; ++i) s->add_clone_ref();  // three refills of the reserve
  }
  s->release_owner_refs();
  for (int i = 0; i < 9; ++i) {
    s->release();
    BOOST_REQUIRE_EQUAL(state::destroyed.load(), 0);
  }
  s->release();
  BOOST_TEST(state::destroyed.load() == 1);
}

BOOST_AUTO_TEST_CASE(only_clones_made_on_the_owners_thread_during_its_poll_are_lent) {
  // What the lending is for: those clones take no atomic operation, so they come out of the
  // owner's reserve; every other clone must not (it would race the owner on its plain field).
  state::destroyed = 0;
  auto* s = new state();
  BOOST_REQUIRE_EQUAL(s->owner_held(), 3u);
  s->add_clone_ref();  // before any poll: counted
  BOOST_TEST(s->owner_held() == 3u);
  {
    state::poll_scope polling(*s);
    s->add_clone_ref();  // lent
    std::thread([s] { s->add_clone_ref(); }).join();  // another thread during the poll: counted
    BOOST_TEST(s->owner_held() == 2u);
  }
  s->add_clone_ref();  // after the poll: counted
  BOOST_TEST(s->owner_held() == 2u);
  for (int i = 0; i < 4; ++i) s->release();
  BOOST_REQUIRE_EQUAL(state::destroyed.load(), 0);
  s->release_owner_refs();
  BOOST_TEST(state::destroyed.load() == 1);
}

BOOST_AUTO_TEST_CASE(the_owner_leaving_last_destroys_the_state) {
  state::destroyed = 0;
  auto* s = new state();
  {
    state::poll_scope polling(*s);
    s->add_clone_ref();
    s->add_clone_ref();
  }
  s->add_clone_ref();  // after the poll: counted
  s->release();
  s->release();
  s->release();
  BOOST_REQUIRE_EQUAL(state::destroyed.load(), 0);
  s->release_owner_refs();
  BOOST_TEST(state::destroyed.load() == 1);
}

BOOST_AUTO_TEST_CASE(clones_made_on_other_threads_during_the_poll_are_counted_not_lent) {
  // The owner lends on its thread while other threads clone the same state during its poll:
  // only the owner's thread may touch the lent count (TSan reports a race otherwise), and the
  // state goes exactly once, after every reference, whichever order they go in.
  constexpr int per_thread = 2000;
  for (int round = 0; round < 20; ++round) {
    state::destroyed = 0;
    auto* s = new state();
    std::vector<std::thread> cloners;
    {
      state::poll_scope polling(*s);
      std::atomic<int> started{0};
      for (int t = 0; t < 2; ++t) {
        s->add_clone_ref();  // the clone handed to the thread, which clones it in turn
        cloners.emplace_back([s, &started] {
          ++started;
          for (int i = 0; i < per_thread; ++i) s->add_clone_ref();
          for (int i = 0; i < per_thread + 1; ++i) s->release();
        });
      }
      while (started.load() < 2) std::this_thread::yield();
      for (int i = 0; i < per_thread; ++i) s->add_clone_ref();
    }
    std::thread dropper([s] {
      for (int i = 0; i < per_thread; ++i) s->release();
    });
    if (round % 2 == 0) s->release_owner_refs();
    for (auto& t : cloners) t.join();
    dropper.join();
    if (round % 2 == 1) {
      BOOST_REQUIRE_EQUAL(state::destroyed.load(), 0);
      s->release_owner_refs();
    }
    BOOST_REQUIRE_EQUAL(state::destroyed.load(), 1);
  }
}

BOOST_AUTO_TEST_SUITE_END()
