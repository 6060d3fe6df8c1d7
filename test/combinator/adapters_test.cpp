// Suites and_then, or_else, map_err, inspect: the adapters over then_future.

#include <futura/combinator/and_then.hpp>
#include <futura/combinator/inspect.hpp>
#include <futura/combinator/map_err.hpp>
#include <futura/combinator/or_else.hpp>

#include <support/allocation_counter.hpp>
#include <support/probe.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace {

using futura_test::allocations_during;
using futura_test::counting_waker;
using futura_test::probe;
using res = boost::system::result<int>;
using res_void = boost::system::result<void>;
using error_code = boost::system::error_code;

error_code io_error() { return boost::system::errc::make_error_code(boost::system::errc::io_error); }
error_code timed_out() { return boost::system::errc::make_error_code(boost::system::errc::timed_out); }

using futura_test::is_polled_after_completion;

struct plus_one {
  int operator()(int x) const { return x + 1; }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(and_then)

BOOST_AUTO_TEST_CASE(and_then_runs_the_continuation_on_the_value_and_wraps_a_plain_return_in_the_result) {
  auto f = futura::ready(res(20)).and_then([](int x) { return x + 1; });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, res>);
  counting_waker cw;
  futura::waker w = cw.make();
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST_REQUIRE(r.value().has_value());
  BOOST_TEST(*r.value() == 21);
  BOOST_TEST(cw.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(and_then_passes_the_error_through_without_calling_the_continuation) {
  int calls = 0;
  auto f = futura::ready(res(io_error())).and_then([&](int x) {
    ++calls;
    return std::to_string(x);
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<std::string>>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_error());
  BOOST_TEST(r.error() == io_error());
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(and_then_continuation_returning_a_result_gives_that_result_value_or_error) {
  auto check = [](int x) -> res {
    if (x < 0) return timed_out();
    return x * 2;
  };
  auto ok = futura::block_on(futura::ready(res(4)).and_then(check));
  auto failed = futura::block_on(futura::ready(res(-4)).and_then(check));
  static_assert(std::is_same_v<decltype(ok), res>);
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(*ok == 8);
  BOOST_TEST_REQUIRE(failed.has_error());
  BOOST_TEST(failed.error() == timed_out());
}

BOOST_AUTO_TEST_CASE(and_then_continuation_returning_a_future_of_a_value_is_flattened_into_the_result) {
  auto f = futura::ready(res(3)).and_then(
      [](int x) { return futura::ready(std::string(static_cast<std::size_t>(x), 'a')); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<std::string>>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == "aaa");
}

BOOST_AUTO_TEST_CASE(and_then_continuation_returning_a_future_of_a_result_is_flattened_to_that_result) {
  auto ok = futura::block_on(futura::ready(res(3)).and_then([](int x) { return futura::ready(res(x + 1)); }));
  auto failed = futura::block_on(futura::ready(res(3)).and_then([](int) { return futura::ready(res(io_error())); }));
  static_assert(std::is_same_v<decltype(ok), res>);
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(*ok == 4);
  BOOST_TEST_REQUIRE(failed.has_error());
  BOOST_TEST(failed.error() == io_error());
}

BOOST_AUTO_TEST_CASE(and_then_waits_for_a_later_input_then_polls_the_continuation_future_with_the_same_waker) {
  probe<res> input;
  probe<int> second;
  int calls = 0;
  auto f = input.future().and_then([&](int x) {
    ++calls;
    BOOST_TEST(x == 5);
    return second.future();
  });
  counting_waker cw;
  futura::waker w = cw.make();

  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 0);
  BOOST_TEST(second.polls() == 0);

  input.complete(res(5));
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 1);
  BOOST_TEST(input.dropped());
  BOOST_TEST(second.polls() == 1);

  second.complete(6);
  BOOST_TEST(cw.wakes() == 2);  // the continuation's future was polled with the caller's waker
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(*r.value() == 6);
  BOOST_TEST(calls == 1);
  BOOST_TEST(input.polls() == 2);
  BOOST_TEST(second.polls() == 2);
  BOOST_TEST(second.dropped());  // destroyed in the poll that saw it ready
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(and_then_on_an_error_never_calls_a_future_returning_continuation) {
  probe<int> second;
  int calls = 0;
  auto f = futura::ready(res(io_error())).and_then([&](int) {
    ++calls;
    return second.future();
  });
  futura::waker w = futura::noop_waker();
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().error() == io_error());
  BOOST_TEST(calls == 0);
  BOOST_TEST(second.polls() == 0);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(and_then_on_result_void_calls_a_continuation_without_argument) {
  int calls = 0;
  auto f = futura::ready(res_void()).and_then([&] {
    ++calls;
    return 7;
  });
  auto r = futura::block_on(std::move(f));
  static_assert(std::is_same_v<decltype(r), res>);
  BOOST_TEST(calls == 1);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 7);

  auto e = futura::block_on(futura::ready(res_void(io_error())).and_then([&] { return ++calls; }));
  BOOST_TEST(calls == 1);
  BOOST_TEST(e.error() == io_error());
}

BOOST_AUTO_TEST_CASE(and_then_on_a_unit_value_may_take_no_argument) {
  auto r =
      futura::block_on(futura::ready(boost::system::result<futura::unit>(futura::unit{})).and_then([] { return 3; }));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 3);
}

BOOST_AUTO_TEST_CASE(and_then_continuation_returning_void_gives_result_void) {
  int seen = 0;
  auto f = futura::ready(res(9)).and_then([&](int x) { seen = x; });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, res_void>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST(r.has_value());
  BOOST_TEST(seen == 9);
}

BOOST_AUTO_TEST_CASE(and_then_continuation_returning_a_unit_future_gives_result_void) {
  auto f = futura::ready(res(1)).and_then([](int) { return futura::yield_now(); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, res_void>);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(cw.wakes() == 1);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().has_value());
}

BOOST_AUTO_TEST_CASE(and_then_destroys_the_input_future_before_the_continuation_runs) {
  probe<res> input;
  input.complete(res(1));
  bool input_gone_when_called = false;
  auto f = input.future().and_then([&](int x) {
    input_gone_when_called = input.dropped();
    return x;
  });
  (void)futura::block_on(std::move(f));
  BOOST_TEST(input_gone_when_called);
  BOOST_TEST(input.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(and_then_propagates_an_exception_from_the_input_without_calling_the_continuation) {
  probe<res> input;
  int calls = 0;
  auto f = input.future().and_then([&](int x) { return calls += x; });
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  input.fail("input broke");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(and_then_propagates_an_exception_thrown_by_the_continuation_and_is_then_complete) {
  auto f = futura::ready(res(1)).and_then([](int) -> int { throw std::logic_error("g failed"); });
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_THROW((void)f.poll(w), std::logic_error);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(and_then_propagates_an_exception_from_the_continuations_future) {
  probe<res> second;
  auto f = futura::ready(res(1)).and_then([&](int) { return second.future(); });
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  second.fail("second broke");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(dropping_and_then_while_its_continuation_future_runs_drops_that_future_once) {
  probe<res> input;
  probe<int> second;
  input.complete(res(1));
  {
    auto f = input.future().and_then([&](int) { return second.future(); });
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(!second.dropped());
  }
  BOOST_TEST(second.drops() == 1);
  BOOST_TEST(input.drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_and_then_before_its_input_completed_drops_the_input_and_never_calls_the_continuation) {
  probe<res> input;
  int calls = 0;
  {
    auto f = input.future().and_then([&](int x) { return calls += x; });
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(input.drops() == 1);
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(and_then_moves_move_only_values_and_continuations) {
  using ptr_res = boost::system::result<std::unique_ptr<int>>;
  auto owned = std::make_unique<int>(10);
  auto f = futura::ready(ptr_res(std::make_unique<int>(5)))
               .and_then([owned = std::move(owned)](std::unique_ptr<int> p) {
                 *p += *owned;
                 return p;
               })
               .and_then([](std::unique_ptr<int> p) { return futura::ready(ptr_res(std::move(p))); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, ptr_res>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(**r == 15);
}

BOOST_AUTO_TEST_CASE(and_then_free_function_and_method_build_the_same_future) {
  using via_method = decltype(futura::ready(res(1)).and_then(plus_one{}));
  using via_function = decltype(futura::and_then(futura::ready(res(1)), plus_one{}));
  static_assert(std::is_same_v<via_method, via_function>);
  static_assert(std::is_same_v<via_method, futura::and_then_future<futura::ready_future<res>, plus_one>>);
  auto r = futura::block_on(futura::and_then(futura::ready(res(1)), plus_one{}));
  BOOST_TEST(*r == 2);
}

BOOST_AUTO_TEST_CASE(and_then_completes_under_block_on_when_the_input_is_set_from_another_thread) {
  for (int i = 0; i < 50; ++i) {
    futura::promise<res> p;
    auto f = p.get_future().and_then([](int x) { return futura::ready(res(x * 2)); });
    std::thread t([p = std::move(p), i]() mutable { p.set_value(res(i)); });
    auto r = futura::block_on(std::move(f));
    t.join();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(*r == 2 * i);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(or_else)

BOOST_AUTO_TEST_CASE(or_else_recovers_from_an_error_with_the_value_the_continuation_returns) {
  error_code seen;
  auto f = futura::ready(res(io_error())).or_else([&](error_code ec) -> res {
    seen = ec;
    return 0;
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, res>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST(seen == io_error());
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 0);
}

BOOST_AUTO_TEST_CASE(or_else_may_fail_again_with_another_error_type) {
  using res_str = boost::system::result<int, std::string>;
  auto f = futura::ready(res(io_error())).or_else([](error_code ec) {
    return res_str(boost::system::in_place_error, "wrapped: " + ec.message());
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, res_str>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_error());
  BOOST_TEST(r.error() == "wrapped: " + io_error().message());
}

BOOST_AUTO_TEST_CASE(or_else_passes_the_value_through_without_calling_the_continuation) {
  using res_str = boost::system::result<int, std::string>;
  int calls = 0;
  auto f = futura::ready(res(5)).or_else([&](error_code) {
    ++calls;
    return res_str(0);
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, res_str>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 5);
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(or_else_continuation_returning_a_future_of_a_result_is_flattened) {
  auto r = futura::block_on(futura::ready(res(io_error())).or_else([](error_code) { return futura::ready(res(42)); }));
  static_assert(std::is_same_v<decltype(r), res>);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 42);
}

BOOST_AUTO_TEST_CASE(or_else_continuation_future_completing_later_is_polled_with_the_callers_waker) {
  probe<res> input;
  probe<res> retry;
  int calls = 0;
  auto f = input.future().or_else([&](error_code ec) {
    ++calls;
    BOOST_TEST(ec == timed_out());
    return retry.future();
  });
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  input.complete(res(timed_out()));
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 1);
  BOOST_TEST(input.dropped());
  retry.complete(res(8));
  BOOST_TEST(cw.wakes() == 2);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(*r.value() == 8);
  BOOST_TEST(retry.polls() == 2);
}

BOOST_AUTO_TEST_CASE(or_else_on_a_value_never_calls_a_future_returning_continuation) {
  probe<res> retry;
  int calls = 0;
  auto f = futura::ready(res(3)).or_else([&](error_code) {
    ++calls;
    return retry.future();
  });
  futura::waker w = futura::noop_waker();
  auto r = f.poll(w);  // by hand: a wrongly called continuation would leave it pending, not hang
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(*r.value() == 3);
  BOOST_TEST(calls == 0);
  BOOST_TEST(retry.polls() == 0);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(or_else_propagates_exceptions_from_the_input_the_continuation_and_its_future) {
  futura::waker w = futura::noop_waker();
  {
    probe<res> input;
    int calls = 0;
    auto f = input.future().or_else([&](error_code) { return res(++calls); });
    input.fail("input broke");
    BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
    BOOST_TEST(calls == 0);
  }
  {
    auto f = futura::ready(res(io_error())).or_else([](error_code) -> res { throw std::logic_error("g failed"); });
    BOOST_CHECK_THROW((void)f.poll(w), std::logic_error);
    BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
  }
  {
    probe<res> retry;
    auto f = futura::ready(res(io_error())).or_else([&](error_code) { return retry.future(); });
    BOOST_TEST(f.poll(w).is_pending());
    retry.fail("retry broke");
    BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  }
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(or_else_on_result_void_recovers_and_passes_values) {
  auto recovered = futura::block_on(futura::ready(res_void(io_error())).or_else([](error_code) { return res_void(); }));
  BOOST_TEST(recovered.has_value());
  int calls = 0;
  auto passed = futura::block_on(futura::ready(res_void()).or_else([&](error_code ec) {
    ++calls;
    return res_void(ec);
  }));
  BOOST_TEST(passed.has_value());
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(or_else_moves_a_move_only_value_through) {
  using ptr_res = boost::system::result<std::unique_ptr<int>>;
  auto f = futura::ready(ptr_res(std::make_unique<int>(4))).or_else([](error_code) { return ptr_res(nullptr); });
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST_REQUIRE(static_cast<bool>(*r));
  BOOST_TEST(**r == 4);
}

BOOST_AUTO_TEST_CASE(dropping_or_else_while_its_continuation_future_runs_drops_that_future_once) {
  probe<res> retry;
  {
    auto f = futura::ready(res(io_error())).or_else([&](error_code) { return retry.future(); });
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(retry.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(map_err)

BOOST_AUTO_TEST_CASE(map_err_replaces_the_error_with_what_the_function_returns) {
  auto f = futura::ready(res(io_error())).map_err([](error_code ec) { return ec.value(); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<int, int>>);
  auto r = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(r.has_error());
  BOOST_TEST(r.error() == io_error().value());
}

BOOST_AUTO_TEST_CASE(map_err_passes_the_value_through_without_calling_the_function) {
  int calls = 0;
  auto f = futura::ready(res(6)).map_err([&](error_code ec) {
    ++calls;
    return ec.message();
  });
  auto r = futura::block_on(std::move(f));
  static_assert(std::is_same_v<decltype(r), boost::system::result<int, std::string>>);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 6);
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(map_err_waits_for_a_later_input_and_forwards_its_wake) {
  probe<res> input;
  int calls = 0;
  auto f = input.future().map_err([&](error_code ec) {
    ++calls;
    return ec == timed_out();
  });
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 0);
  input.complete(res(timed_out()));
  BOOST_TEST(cw.wakes() == 1);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().error() == true);
  BOOST_TEST(calls == 1);
  BOOST_TEST(input.dropped());
}

BOOST_AUTO_TEST_CASE(map_err_on_result_void_maps_the_error_and_keeps_the_value) {
  auto mapped = futura::block_on(futura::ready(res_void(io_error())).map_err([](error_code) { return 1; }));
  static_assert(std::is_same_v<decltype(mapped), boost::system::result<void, int>>);
  BOOST_TEST(mapped.error() == 1);
  auto kept = futura::block_on(futura::ready(res_void()).map_err([](error_code) { return 1; }));
  BOOST_TEST(kept.has_value());
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(map_err_propagates_exceptions_from_the_input_and_the_function) {
  futura::waker w = futura::noop_waker();
  {
    probe<res> input;
    auto f = input.future().map_err([](error_code) { return 0; });
    input.fail("input broke");
    BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  }
  {
    auto f = futura::ready(res(io_error())).map_err([](error_code) -> int { throw std::logic_error("g failed"); });
    BOOST_CHECK_THROW((void)f.poll(w), std::logic_error);
    BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
  }
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(map_err_moves_a_move_only_value_through) {
  using ptr_res = boost::system::result<std::unique_ptr<int>>;
  auto r = futura::block_on(futura::ready(ptr_res(std::make_unique<int>(2))).map_err([](error_code) { return 0; }));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(**r == 2);
}

BOOST_AUTO_TEST_CASE(dropping_map_err_before_its_input_completed_drops_the_input_once) {
  probe<res> input;
  {
    auto f = input.future().map_err([](error_code) { return 0; });
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(input.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(inspect)

BOOST_AUTO_TEST_CASE(inspect_shows_the_value_to_the_function_and_yields_it_unchanged) {
  int seen = 0;
  auto f = futura::ready(42).inspect([&](const int& v) { seen = v; });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, int>);
  BOOST_TEST(futura::block_on(std::move(f)) == 42);
  BOOST_TEST(seen == 42);
}

BOOST_AUTO_TEST_CASE(inspect_calls_the_function_once_when_a_later_input_completes) {
  probe<std::string> input;
  int calls = 0;
  auto f = input.future().inspect([&](const std::string& s) {
    ++calls;
    BOOST_TEST(s == "hello");
  });
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 0);
  input.complete("hello");
  BOOST_TEST(cw.wakes() == 1);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == "hello");
  BOOST_TEST(calls == 1);
  BOOST_TEST(input.dropped());
}

BOOST_AUTO_TEST_CASE(inspect_moves_a_move_only_output_through_without_copying_it) {
  auto p = std::make_unique<int>(7);
  const int* address = p.get();
  const int* seen = nullptr;
  auto f = futura::ready(std::move(p)).inspect([&](const std::unique_ptr<int>& v) { seen = v.get(); });
  auto out = futura::block_on(std::move(f));
  BOOST_TEST(seen == address);
  BOOST_TEST(out.get() == address);
}

BOOST_AUTO_TEST_CASE(inspect_of_a_unit_future_may_take_no_argument) {
  int calls = 0;
  auto f = futura::yield_now().inspect([&] { ++calls; });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  futura::block_on(std::move(f));
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(inspect_sees_a_result_output_whole) {
  error_code seen;
  auto r = futura::block_on(futura::ready(res(io_error())).inspect([&](const res& v) { seen = v.error(); }));
  BOOST_TEST(seen == io_error());
  BOOST_TEST(r.error() == io_error());
}

BOOST_AUTO_TEST_CASE(inspect_does_not_flatten_an_output_that_is_itself_a_future) {
  int seen_polls = -1;
  auto f = futura::ready(futura::ready(5)).inspect([&](const futura::ready_future<int>&) { seen_polls = 0; });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::ready_future<int>>);
  futura::ready_future<int> inner = futura::block_on(std::move(f));
  BOOST_TEST(seen_polls == 0);
  BOOST_TEST(futura::block_on(std::move(inner)) == 5);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(inspect_propagates_an_exception_from_the_function_and_destroys_the_value) {
  futura_test::tracked::reset();
  {
    auto f = futura::ready(futura_test::tracked(1)).inspect([](const futura_test::tracked&) {
      throw std::logic_error("inspector failed");
    });
    futura::waker w = futura::noop_waker();
    BOOST_CHECK_THROW((void)f.poll(w), std::logic_error);
    BOOST_TEST(futura_test::tracked::alive() == 0);
    BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
  }
  BOOST_TEST(futura_test::tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(inspect_propagates_an_exception_from_the_input_without_calling_the_function) {
  probe<int> input;
  int calls = 0;
  auto f = input.future().inspect([&](const int&) { ++calls; });
  futura::waker w = futura::noop_waker();
  input.fail("input broke");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(calls == 0);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(inspect_free_function_and_method_build_the_same_future) {
  struct peek {
    void operator()(const int&) const {}
  };
  static_assert(
      std::is_same_v<decltype(futura::ready(1).inspect(peek{})), decltype(futura::inspect(futura::ready(1), peek{}))>);
  static_assert(std::is_same_v<decltype(futura::ready(1).inspect(peek{})),
                               futura::inspect_future<futura::ready_future<int>, peek>>);
  BOOST_TEST(futura::block_on(futura::inspect(futura::ready(1), peek{})) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK  // exact operator new counts: not under TSan (see the header)
BOOST_AUTO_TEST_SUITE(adapters_together)

BOOST_AUTO_TEST_CASE(a_pipeline_of_adapters_allocates_nothing_to_build_or_to_poll) {
  int inspected = 0;
  bool ready = false;
  int value = 0;
  long n = allocations_during([&] {
    auto f = futura::ready(res(1))
                 .and_then([](int x) { return futura::ready(res(x + 1)); })
                 .and_then([](int x) -> res { return x > 1 ? res(io_error()) : res(x); })
                 .map_err([](error_code ec) { return ec.value(); })
                 .or_else([](int code) {
                   return futura::ready(boost::system::result<int, long>(boost::system::in_place_value, code));
                 })
                 .inspect([&](const boost::system::result<int, long>& r) { inspected = *r; });
    futura::waker w = futura::noop_waker();
    auto r = f.poll(w);
    ready = r.is_ready();
    if (ready) value = *r.value();
  });
  BOOST_TEST(n == 0);
  BOOST_TEST_REQUIRE(ready);
  BOOST_TEST(value == io_error().value());
  BOOST_TEST(inspected == io_error().value());
}

BOOST_AUTO_TEST_CASE(the_allocation_counter_sees_allocations) {
  // Guards the test above: a counter that never counts would make it pass vacuously.
  // An explicit call of the replaceable function: unlike a new-expression, the optimiser may
  // not elide it.
  void* p = nullptr;
  long n = allocations_during([&] { p = ::operator new(sizeof(int)); });
  ::operator delete(p);
  BOOST_TEST(n == 1);
}

BOOST_AUTO_TEST_SUITE_END()
#endif
