#!/usr/bin/env python3
"""wrk against examples/http_server (futura) and its raw-Asio peer (bench/http/raw_asio_server.cpp).

Each round starts both servers on loopback ports, runs the same wrk load against each in turn
(the order alternates between rounds, so neither always runs on a warmer machine), stops them,
and records requests/s and the server's CPU time per request (user + system, from
/proc/PID/stat: what the server itself spent, less disturbed by other load than throughput is).
Prints every round and the medians of the per-round ratios raw/futura for requests/s (1.00 =
equal; above 1: raw Asio serves more) and futura/raw for CPU per request. Timing only: it
never fails on a figure.

Usage: wrk_compare.py --futura BIN --raw-asio BIN [--seconds 10] [--connections 50] [--rounds 3]
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys


def start(binary):
    proc = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.match(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not m:
        proc.kill()
        sys.exit("%s did not start: %r" % (binary, line))
    return proc, int(m.group(1))


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(proc, port, args):
    cpu_before = cpu_seconds(proc.pid)
    out = subprocess.run(["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % args.seconds,
                          "http://127.0.0.1:%d/" % port],
                         capture_output=True, text=True, timeout=args.seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not rps or "Non-2xx" in out:
        sys.exit("wrk failed against port %d:\n%s" % (port, out))
    latency = re.search(r"Latency\s+(\S+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu_us = (cpu_seconds(proc.pid) - cpu_before) * 1e6 / max(1, requests)
    return float(rps.group(1)), latency.group(1) if latency else "?", cpu_us


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--futura", required=True)
    p.add_argument("--raw-asio", required=True)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    print("wrk -t%d -c%d -d%ds against each server (one io_context thread each), %d rounds"
          % (args.threads, args.connections, args.seconds, args.rounds))
    print("%-6s %14s %9s %10s %14s %9s %10s %11s %11s" % ("round", "futura req/s", "latency", "CPU/req", "raw req/s",
                                                          "latency", "CPU/req", "raw/futura", "CPU f/raw"))
    ratios, cpu_ratios = [], []
    for round_ in range(args.rounds):
        servers = {"futura": start(args.futura), "raw": start(args.raw_asio)}
        try:
            order = ["futura", "raw"] if round_ % 2 == 0 else ["raw", "futura"]
            got = {name: load(servers[name][0], servers[name][1], args) for name in order}
        finally:
            for proc, _ in servers.values():
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
        ratio = got["raw"][0] / got["futura"][0]
        cpu_ratio = got["futura"][2] / got["raw"][2]
        ratios.append(ratio)
        cpu_ratios.append(cpu_ratio)
        print("%-6d %14.0f %9s %8.2fus %14.0f %9s %8.2fus %10.2fx %10.2fx" % (
            round_ + 1, got["futura"][0], got["futura"][1], got["futura"][2], got["raw"][0], got["raw"][1],
            got["raw"][2], ratio, cpu_ratio))
    print("median requests/s raw/futura: %.2fx (target: at most 1.20x); median CPU per request futura/raw: %.2fx"
          % (statistics.median(ratios), statistics.median(cpu_ratios)))


if __name__ == "__main__":
    main()
