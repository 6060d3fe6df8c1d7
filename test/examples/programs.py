"""Shared by the tests of examples/ programs: start a program, wait for a line it prints, stop it.

Every wait is bounded; a test that would hang fails instead, with what the program printed.
"""
import os
import selectors
import signal
import subprocess
import sys
import time


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Program:
    """A child process whose stdout is read line by line (stderr goes to ours)."""

    def __init__(self, argv, **kwargs):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, bufsize=1, **kwargs)
        self.lines = []

    def wait_for_line(self, prefix, timeout=20.0):
        """Returns the first line (read so far or next) that starts with prefix."""
        for line in self.lines:
            if line.startswith(prefix):
                return line
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = self.proc.stdout.readline()
            if line == "":
                break
            self.lines.append(line.rstrip("\n"))
            if line.startswith(prefix):
                return line.rstrip("\n")
        raise Failure("%s did not print a line starting with %r; it printed: %r"
                      % (os.path.basename(self.argv[0]), prefix, self.lines))

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends sig (None: nothing), waits for the exit (bounded) and returns (status, all output
        lines)."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise Failure("%s did not exit within %.0f s of signal %d; it printed: %r"
                          % (os.path.basename(self.argv[0]), timeout, sig, self.lines + out.splitlines()))
        self.lines += out.splitlines()
        return self.proc.returncode, self.lines

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def run(argv, timeout=60.0, **kwargs):
    """Runs a command to its end (bounded); returns the CompletedProcess (text mode)."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        raise Failure("%r did not finish within %.0f s" % (argv, timeout))


def main(cases):
    """Runs each (name, function) in order; prints one line per case; exit status 1 on a failure."""
    failed = 0
    for name, case in cases:
        start = time.monotonic()
        try:
            case()
            print("ok   %-48s %.2f s" % (name, time.monotonic() - start), flush=True)
        except Failure as e:
            failed += 1
            print("FAIL %-48s %s" % (name, e), flush=True)
    sys.exit(1 if failed else 0)
