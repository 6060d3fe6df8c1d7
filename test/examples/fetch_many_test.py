#!/usr/bin/env python3
"""examples/fetch_many against Python's http.server on loopback: every file fetched and counted;
connection errors retried with backoff (a server that hangs up on first attempts, a server that
never answers, no server at all). Every wait is bounded; the servers stop at the end.

Usage: fetch_many_test.py FETCH_MANY_BINARY
"""
import argparse
import http.server
import os
import re
import socket
import sys
import tempfile
import threading

from programs import Failure, Program, check, main, run

args = None


def summary_of(result):
    line = [l for l in result.stdout.splitlines() if l.startswith("summary: ")]
    check(line, "no summary line; output: %r %r" % (result.stdout[-2000:], result.stderr[-2000:]))
    m = re.match(r"summary: (\d+) paths, (\d+) ok \((\d+) body bytes\), (\d+) other statuses, (\d+) failed, "
                 r"(\d+) retries", line[0])
    check(m, "unexpected summary %r" % line[0])
    return [int(x) for x in m.groups()]


def from_python_http_server():
    with tempfile.TemporaryDirectory() as root:
        sizes = {}
        for i in range(300):
            name = "/file-%03d.bin" % i
            size = (i * 7919) % 40000
            with open(root + name, "wb") as f:
                f.write(os.urandom(size))
            sizes[name] = size
        server = Program([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root],
                         stderr=open(os.devnull, "w"))
        try:
            port = int(re.search(r"port (\d+)", server.wait_for_line("Serving HTTP on")).group(1))
            paths = sorted(sizes) + ["/no-such-file"]
            r = run([args.fetch_many, "--port", str(port)] + paths, timeout=120)
            check(r.returncode == 0, "fetch_many exited with %d: %s %s" % (r.returncode, r.stdout[-2000:], r.stderr))
            total, ok, body_bytes, other, failed, _ = summary_of(r)
            check((total, ok, other, failed) == (301, 300, 1, 0), "counts: %r" % ((total, ok, other, failed),))
            check(body_bytes == sum(sizes.values()), "body bytes %d, files hold %d" % (body_bytes, sum(sizes.values())))
            check("/no-such-file: status 404" in r.stdout, "the 404 was not reported: %r" % r.stdout[-500:])
            check(re.search(r"\d+/301 fetched, \d+/s, \d+ errors, \d+ retries", r.stdout), "no progress line")
        finally:
            server.kill()


class HangUpFirst(http.server.BaseHTTPRequestHandler):
    """Hangs up without an answer on the first two requests for each path, then answers."""
    seen = {}
    lock = threading.Lock()

    def do_GET(self):
        with HangUpFirst.lock:
            n = HangUpFirst.seen.get(self.path, 0)
            HangUpFirst.seen[self.path] = n + 1
        if n < 2:
            self.close_connection = True
            return
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


def retries_until_the_server_answers():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HangUpFirst)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        paths = ["/retry-%d" % i for i in range(20)]
        r = run([args.fetch_many, "--port", str(httpd.server_address[1]), "--attempts", "3"] + paths, timeout=120)
        check(r.returncode == 0, "fetch_many exited with %d: %s" % (r.returncode, r.stdout[-2000:]))
        total, ok, body_bytes, other, failed, retries = summary_of(r)
        check((total, ok, failed, retries) == (20, 20, 0, 40), "counts: %r" % ((total, ok, failed, retries),))
        check(body_bytes == sum(len(p) for p in paths), "body bytes %d" % body_bytes)
        check(all(v == 3 for v in HangUpFirst.seen.values()), "requests per path: %r" % HangUpFirst.seen)
    finally:
        httpd.shutdown()
        httpd.server_close()


def a_silent_server_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)   # accepts (in the kernel) and never answers
    try:
        r = run([args.fetch_many, "--port", str(listener.getsockname()[1]), "--timeout-ms", "150", "--attempts", "2",
                 "/a", "/b", "/c"], timeout=60)
        check(r.returncode == 1, "fetch_many exited with %d" % r.returncode)
        total, ok, _, _, failed, retries = summary_of(r)
        check((total, ok, failed, retries) == (3, 0, 3, 3), "counts: %r" % ((total, ok, failed, retries),))
        check(r.stdout.count(": timed out") == 3, "each path's time-out is not reported: %r" % r.stdout)
    finally:
        listener.close()


def no_server_at_all():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nothing listens there now: every connect is refused
    r = run([args.fetch_many, "--port", str(port), "--attempts", "4", "/x", "/y"], timeout=60)
    check(r.returncode == 1, "fetch_many exited with %d" % r.returncode)
    total, ok, _, _, failed, retries = summary_of(r)
    check((total, ok, failed, retries) == (2, 0, 2, 6), "counts: %r" % ((total, ok, failed, retries),))
    check("Connection refused" in r.stdout, "the refusal was not reported: %r" % r.stdout)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("fetch_many")
    args = parser.parse_args()
    main([
        ("300 files from python3 -m http.server", from_python_http_server),
        ("hang-ups retried until the server answers", retries_until_the_server_answers),
        ("a silent server times out, retried", a_silent_server_times_out),
        ("no server: refused, retried, reported", no_server_at_all),
    ])
