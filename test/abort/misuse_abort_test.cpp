// Rule 4 in debug builds: polling after completion stops the program with a message that
// names the future. Runs the violation in a child process.
#include <futura/core.hpp>

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <string>

namespace {

/// Runs `fn` in a forked child with stderr captured; returns {terminated by SIGABRT, stderr}.
template <class Fn>
std::pair<bool, std::string> run_in_child(Fn fn) {
  int pipe_fds[2];
  BOOST_REQUIRE(pipe(pipe_fds) == 0);
  pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    std::signal(SIGABRT, SIG_DFL);  // Boost.Test's handler would turn the abort into a report
    fn();
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, out};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(misuse)

BOOST_AUTO_TEST_CASE(poll_after_ready_aborts_naming_the_future) {
  auto [aborted, message] = run_in_child([] {
    auto f = futura::ready(1).then([](int x) { return x; });
    futura::waker w;
    (void)f.poll(w);
    (void)f.poll(w);
  });
  BOOST_TEST(aborted);
  BOOST_TEST(message.find("futura::then_future polled after completion") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(a_correct_program_does_not_abort) {
  auto [aborted, message] = run_in_child([] {
    auto f = futura::ready(1).then([](int x) { return x; });
    (void)futura::block_on(std::move(f));
  });
  BOOST_TEST(!aborted);
  BOOST_TEST(message.empty(), message);
}

BOOST_AUTO_TEST_SUITE_END()
