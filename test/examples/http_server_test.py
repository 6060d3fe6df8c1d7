#!/usr/bin/env python3
"""examples/http_server against clients nobody here wrote: curl and wrk, plus raw sockets for what
curl will not send (garbage, a huge header line, a client that stops mid-request, pipelining).
Loopback only; every wait is bounded; the servers stop by themselves at the end.

Usage: http_server_test.py HTTP_SERVER_BINARY [--wrk-seconds N]
"""
import argparse
import os
import re
import signal
import socket
import tempfile

from programs import Failure, Program, check, main, run

args = None
server = None   # the server most cases talk to
base = None     # its URL


def start_server(*extra):
    s = Program([args.server, "--port", "0", "--idle-ms", "3000", "--request-ms", "700"] + list(extra))
    line = s.wait_for_line("listening on ")
    port = int(line.rsplit(":", 1)[1])
    return s, port


def curl(*argv, timeout=30.0):
    r = run(["curl", "--silent", "--show-error", "--max-time", "20"] + list(argv), timeout=timeout)
    check(r.returncode == 0, "curl %s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return r.stdout


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def read_until_closed(sock, limit=1 << 20):
    """Everything the server sends until it closes (or resets) the connection; bounded by the socket's
    timeout and by limit."""
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            raise Failure("the server neither answered nor closed within the socket timeout; got %r" % data[:200])
        if not chunk:
            break
        data += chunk
    return data


def read_response(sock, buffered=b""):
    """One response (head + Content-Length body) from sock; returns (status, headers, body, leftover)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        check(chunk, "the connection closed before a whole response head; got %r" % data[:200])
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        check(chunk, "the connection closed mid-body")
        rest += chunk
    return status, headers, rest[:length], rest[length:]


def wait_for_continue(sock):
    """Reads the interim "100 Continue" the server sends once it has read a head that asks for it:
    the event that says the request is in flight."""
    interim = b""
    while not interim.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        check(chunk, "no 100 Continue: %r" % interim)
        interim += chunk
    check(interim.startswith(b"HTTP/1.1 100"), "expected 100 Continue, got %r" % interim)


# ---- what curl sees ---------------------------------------------------------------------------

def page_and_404():
    body = curl(base + "/")
    check("Hello from futura" in body, "GET / answered %r" % body[:200])
    codes = curl("-o", "/dev/null", "-w", "%{http_code}", base + "/no/such/page")
    check(codes == "404", "GET /no/such/page answered %s, not 404" % codes)
    head = curl("--head", base + "/")
    check(head.startswith("HTTP/1.1 200"), "HEAD / answered %r" % head[:100])
    length = re.search(r"Content-Length: (\d+)", head)
    check(length and int(length.group(1)) == len(body.encode()), "HEAD's Content-Length %r differs from GET's body (%d)"
          % (length and length.group(1), len(body.encode())))


def keep_alive_reuses_the_connection():
    # One curl, three URLs: curl reuses its connection when the server keeps it open.
    out = curl("-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
               "-w", "%{http_code} %{num_connects}\n", base + "/", base + "/echo", base + "/")
    check(out.split("\n")[:3] == ["200 1", "200 0", "200 0"],
          "expected one connection for three requests (code, new connections per request): %r" % out)


def echo_bodies():
    with tempfile.TemporaryDirectory() as tmp:
        for size in (0, 1, 5000, 300000):   # 300 kB: curl asks for "100 Continue" first
            path = os.path.join(tmp, "body%d" % size)
            with open(path, "wb") as f:
                f.write(os.urandom(size))
            out = os.path.join(tmp, "out%d" % size)
            curl("--data-binary", "@" + path, "-o", out, base + "/echo")
            with open(path, "rb") as a, open(out, "rb") as b:
                check(a.read() == b.read(), "/echo of %d bytes did not answer the same bytes" % size)
        # Two bodies over one connection.
        out = curl("-w", "|%{num_connects}", "--data-binary", "first", base + "/echo",
                   "--next", "-w", "|%{num_connects}", "--data-binary", "second", base + "/echo")
        check(out == "first|1second|0", "two /echo over one connection answered %r" % out)


def pipelined_requests():
    s = connect(port)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\n\r\n"
              b"POST /echo HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 3\r\nCONNECTION: Close\r\n\r\nbye")  # names and values ignore case
    status, _, body, left = read_response(s)
    check((status, body) == (200, b"hello"), "first pipelined answer: %d %r" % (status, body[:50]))
    status, _, body, left = read_response(s, left)
    check(status == 200 and b"Hello from futura" in body, "second pipelined answer: %d %r" % (status, body[:50]))
    status, headers, body, left = read_response(s, left)
    check((status, body) == (200, b"bye"), "third pipelined answer: %d %r" % (status, body[:50]))
    check(headers.get("connection") == "close", "Connection: close was not honoured: %r" % headers)
    check(read_until_closed(s) == b"", "the server did not close after Connection: close")
    s.close()


# ---- what misbehaving clients get ----------------------------------------------------------------

def garbage_gets_400():
    s = connect(port)
    s.sendall(b"\x16\x03\x01 definitely not http\r\n\r\n")
    data = read_until_closed(s)
    check(data.startswith(b"HTTP/1.1 400"), "garbage got %r" % data[:100])
    s.close()


def huge_header_line_gets_400_or_close():
    s = connect(port)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nX-Huge: " + b"a" * 200000 + b"\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass   # the server gave up on the line before it was all sent: also an answer
    data = read_until_closed(s)
    check(data == b"" or data.startswith(b"HTTP/1.1 400"), "a 200 kB header line got %r" % data[:100])
    s.close()


def stalled_client_does_not_stop_others():
    s = connect(port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Half: a hea")   # and nothing more
    body = curl(base + "/")   # another client is served meanwhile
    check("Hello from futura" in body, "a second client was not served while one stalled")
    data = read_until_closed(s)   # --request-ms 700: the server gives up
    check(data == b"" or data.startswith(b"HTTP/1.1 408"), "a stalled request got %r" % data[:100])
    s.close()
    s = connect(port)
    s.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly part of it")
    data = read_until_closed(s)
    check(data == b"" or data.startswith(b"HTTP/1.1 408"), "a stalled body got %r" % data[:100])
    s.close()


def unsupported_and_oversized():
    for request, status in ((b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"501"),
                            (b"POST /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", b"413"),
                            (b"GET / HTTP/2.0\r\n\r\n", b"400"),
                            (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", b"400")):
        s = connect(port)
        s.sendall(request)
        data = read_until_closed(s)
        check(data.startswith(b"HTTP/1.1 " + status), "%r got %r, not %s" % (request[:40], data[:60], status))
        s.close()


def peer_reset_mid_request():
    s = connect(port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()   # RST
    body = curl(base + "/")
    check("Hello from futura" in body, "the server stopped serving after a reset")


def wrk_load():
    r = run(["wrk", "-t1", "-c16", "-d%ds" % args.wrk_seconds, base + "/"], timeout=args.wrk_seconds + 60)
    check(r.returncode == 0, "wrk failed: %s %s" % (r.stdout, r.stderr))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    total = re.search(r"(\d+) requests in", r.stdout)
    check(rps and total and int(total.group(1)) > 0, "wrk made no request: %s" % r.stdout)
    check("Non-2xx" not in r.stdout, "wrk got answers other than 2xx: %s" % r.stdout)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", r.stdout)
    check(not errors or errors.group(1, 2, 3) == ("0", "0", "0"), "wrk saw socket errors: %s" % r.stdout)
    print("     wrk: %s requests, %s requests/s" % (total.group(1), rps.group(1)))
    check("Hello from futura" in curl(base + "/"), "the server stopped serving after the load")


# ---- shutdown ----------------------------------------------------------------------------------

def graceful_shutdown_finishes_requests_in_flight():
    global server
    idle = connect(port)   # a kept-alive connection, idle when the signal comes
    idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, _, _ = read_response(idle)
    check(status == 200, "the idle connection's first request failed")
    busy = connect(port)   # a request in flight when the signal comes
    busy.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    wait_for_continue(busy)   # the server has read the head: the request is in flight
    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_line("signal ")
    check(read_until_closed(idle) == b"", "the idle connection was not closed at shutdown")
    busy.sendall(b"abcd")
    status, headers, body, _ = read_response(busy)
    check((status, body) == (200, b"abcd"), "the request in flight got %d %r" % (status, body))
    check(headers.get("connection") == "close", "a response during shutdown must say Connection: close: %r" % headers)
    code, lines = server.stop(sig=None, timeout=20)   # it exits by itself once its connections are done
    check(code == 0, "the server exited with %d: %r" % (code, lines))
    summary = [l for l in lines if l.startswith("served ")]
    check(summary and summary[0].endswith("0 aborted after the grace period"), "unexpected summary %r" % lines)
    check(re.search(r"served (\d+) requests", summary[0]) and int(re.search(r"served (\d+)", summary[0]).group(1)) > 10,
          "the summary does not count the requests: %r" % summary)
    idle.close()
    busy.close()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        raise Failure("the server still accepts connections after shutting down")
    except OSError:
        pass


def second_signal_ends_the_grace_period():
    s, p = start_server("--grace-ms", "60000", "--request-ms", "60000")
    try:
        stuck = connect(p)
        stuck.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
        wait_for_continue(stuck)
        s.proc.send_signal(signal.SIGINT)
        s.wait_for_line("signal ")
        code, lines = s.stop(sig=signal.SIGINT, timeout=20)   # a minute of grace, cut short
        check(code == 0, "the server exited with %d" % code)
        check(any(l.endswith("1 aborted after the grace period") for l in lines), "unexpected summary %r" % lines)
        stuck.close()
    finally:
        s.kill()


def grace_period_then_abort():
    s, p = start_server("--grace-ms", "200", "--request-ms", "60000")
    try:
        stuck = connect(p)   # a request in flight (its head read: 100 Continue) whose body never comes
        stuck.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
        wait_for_continue(stuck)
        check("Hello from futura" in curl("http://127.0.0.1:%d/" % p), "the second server does not serve")
        s.proc.send_signal(signal.SIGTERM)
        code, lines = s.stop(sig=None, timeout=20)
        check(code == 0, "the server exited with %d" % code)
        check(any(l.endswith("1 aborted after the grace period") for l in lines),
              "the stuck request was not aborted after the grace period: %r" % lines)
        check(read_until_closed(stuck) == b"", "the aborted request's connection was not closed")
        stuck.close()
    finally:
        s.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--wrk-seconds", type=int, default=2)
    args = parser.parse_args()
    server, port = start_server("--grace-ms", "5000")
    base = "http://127.0.0.1:%d" % port
    try:
        main([
            ("GET / and 404 and HEAD (curl)", page_and_404),
            ("keep-alive reuses the connection (curl)", keep_alive_reuses_the_connection),
            ("/echo bodies, 100-continue (curl)", echo_bodies),
            ("pipelined requests", pipelined_requests),
            ("garbage gets 400", garbage_gets_400),
            ("a huge header line gets 400 or a close", huge_header_line_gets_400_or_close),
            ("a stalled client does not stop others", stalled_client_does_not_stop_others),
            ("chunked 501, too large 413, bad version 400", unsupported_and_oversized),
            ("a peer reset mid-request", peer_reset_mid_request),
            ("wrk load (%d s)" % args.wrk_seconds, wrk_load),
            ("SIGTERM: in-flight finishes, idle closes", graceful_shutdown_finishes_requests_in_flight),
            ("SIGTERM: after the grace period, abort", grace_period_then_abort),
            ("a second signal ends the grace period", second_signal_ends_the_grace_period),
        ])
    finally:
        server.kill()
