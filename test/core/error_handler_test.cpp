// The error handler (core/error.hpp): what code compiled without exceptions gets where futura
// would throw. This suite is compiled with -fno-exceptions (test/CMakeLists.txt); each error
// ends the program, so it runs in a child process whose handler reports and exits.
#include <futura/core.hpp>

#include <support/child_process.hpp>

#include <boost/test/unit_test.hpp>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static_assert(!FUTURA_HAS_EXCEPTIONS, "error_handler_test checks the build without exceptions");

#ifdef FUTURA_TEST_MIXED_MODE
// error_handler_throwing.cpp, compiled with exceptions.
bool poll_after_completion_throws_with_exceptions();
bool second_get_future_throws_with_exceptions();
#endif

namespace {

constexpr int handler_exit_code = 42;

/// Reports what it was called with on stderr and ends the child with handler_exit_code.
void exiting_handler(boost::system::error_code code, const char* what) noexcept {
  char line[512];
  const int n = std::snprintf(line, sizeof line, "handler %s:%d %s\n", code.category().name(), code.value(), what);
  if (n > 0) (void)!write(STDERR_FILENO, line, static_cast<std::size_t>(n));
  _exit(handler_exit_code);
}

/// Writes a marker and returns: futura must abort after it.
void returning_handler(boost::system::error_code, const char*) noexcept {
  (void)!write(STDERR_FILENO, "returned\n", 9);
}

void break_a_promise() {
  futura::promise<int> p;
  auto f = p.get_future();
  { futura::promise<int> gone(std::move(p)); }
  (void)futura::block_on(std::move(f));
}

/// Runs `fn` in a child with exiting_handler installed; checks that the handler ended it with `expected`.
template <class Fn>
void check_handler_called(Fn fn, const std::string& expected) {
  const futura_test::child_result r = futura_test::run_in_child([&] {
    futura::set_error_handler(&exiting_handler);
    fn();
    std::fputs("no error reported\n", stderr);
  });
  BOOST_TEST(!r.aborted, r.err);
  BOOST_TEST(r.exit_code == handler_exit_code, r.err);
  BOOST_TEST(r.err == expected + "\n");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(error_handler)

BOOST_AUTO_TEST_CASE(a_broken_promise_calls_the_handler) {
  check_handler_called(&break_a_promise, "handler futura:1 broken promise: the promise was destroyed without a value");
}

BOOST_AUTO_TEST_CASE(a_poll_after_completion_calls_the_handler_in_release_builds) {
  check_handler_called(
      [] {
        auto f = futura::ready(1).then([](int x) { return x; });
        futura::waker w;
        (void)f.poll(w);
        (void)f.poll(w);
      },
      "handler futura:3 futura::then_future: future polled after completion");
}

BOOST_AUTO_TEST_CASE(setting_a_promise_twice_calls_the_handler) {
  check_handler_called(
      [] {
        futura::promise<int> p;
        auto f = p.get_future();
        p.set_value(1);
        p.set_value(2);
      },
      "handler futura:2 promise already satisfied: a value or exception was already set");
}

BOOST_AUTO_TEST_CASE(a_second_get_future_calls_the_handler) {
  check_handler_called(
      [] {
        futura::promise<int> p;
        auto f = p.get_future();
        auto g = p.get_future();
      },
      "handler futura:6 future already retrieved: get_future() was called twice");
}

BOOST_AUTO_TEST_CASE(an_empty_select_all_calls_the_handler_with_invalid_argument) {
  check_handler_called(
      [] { auto f = futura::select_all(std::vector<futura::promise_future<int>>()); },
      "handler generic:22 futura::select_all: the vector of futures is empty, so it would never complete");
}

BOOST_AUTO_TEST_CASE(futura_aborts_when_the_handler_returns) {
  const futura_test::child_result r = futura_test::run_in_child([] {
    futura::set_error_handler(&returning_handler);
    break_a_promise();
  });
  BOOST_TEST(r.aborted);
  BOOST_TEST(r.err == "returned\n");
}

BOOST_AUTO_TEST_CASE(the_default_handler_prints_and_aborts) {
  const futura_test::child_result r = futura_test::run_in_child(&break_a_promise);
  BOOST_TEST(r.aborted);
  BOOST_TEST(r.err == "futura: broken promise: the promise was destroyed without a value\n");
}

BOOST_AUTO_TEST_CASE(set_returns_the_previous_handler_and_null_restores_the_default) {
  const futura::error_handler default_handler = futura::get_error_handler();
  BOOST_TEST(default_handler != nullptr);
  BOOST_TEST(futura::set_error_handler(&exiting_handler) == default_handler);
  BOOST_TEST(futura::get_error_handler() == &exiting_handler);
  BOOST_TEST(futura::set_error_handler(nullptr) == &exiting_handler);
  BOOST_TEST(futura::get_error_handler() == default_handler);
}

BOOST_AUTO_TEST_CASE(futures_complete_without_exceptions) {
  futura::promise<int> p;
  auto f = futura::join(p.get_future(), futura::ready(2).then([](int x) { return x * 10; }));
  p.set_value(1);
  auto [a, b] = futura::block_on(std::move(f));
  BOOST_TEST(a == 1);
  BOOST_TEST(b == 20);
}

#ifdef FUTURA_TEST_MIXED_MODE
// A program may hold translation units of both modes (docs/design.md, section 5): the helpers
// whose bodies differ by mode have one symbol per mode, so the linker cannot give this file's
// copy to the other or the other's to this one.
BOOST_AUTO_TEST_CASE(a_translation_unit_with_exceptions_still_throws) {
  const futura_test::child_result r = futura_test::run_in_child([] {
    futura::set_error_handler(&exiting_handler);
    if (!poll_after_completion_throws_with_exceptions()) std::fputs("no throw: poll after completion\n", stderr);
    if (!second_get_future_throws_with_exceptions()) std::fputs("no throw: get_future\n", stderr);
  });
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.empty(), r.err);
  check_handler_called(
      [] {
        futura::promise<int> p;
        auto f = p.get_future();
        p.set_value(1);
        (void)futura::block_on(std::move(f));
        futura::waker w;
        (void)f.poll(w);
      },
      "handler futura:3 futura::promise_future: future polled after completion");
}
#endif

BOOST_AUTO_TEST_SUITE_END()
