// Runs code that must end the program (an abort, an error handler) in a forked child.
#pragma once

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <string>

namespace futura_test {

/// How a child ended, and what it wrote to stderr.
struct child_result {
  bool aborted = false;  ///< killed by SIGABRT
  int exit_code = -1;    ///< the status passed to exit/_exit, or -1 if killed by a signal
  std::string err;       ///< its stderr
};

/// Runs `fn` in a forked child with stderr captured; a child that returns from `fn` exits with 0.
template <class Fn>
child_result run_in_child(Fn fn) {
  int pipe_fds[2];
  BOOST_REQUIRE(pipe(pipe_fds) == 0);
  const pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    std::signal(SIGABRT, SIG_DFL);  // Boost.Test's handler would turn the abort into a report
    fn();
    _exit(0);
  }
  close(pipe_fds[1]);
  child_result r;
  char buf[256];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) r.err.append(buf, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

}  // namespace futura_test
