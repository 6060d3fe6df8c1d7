#!/usr/bin/env python3
"""Run futura's benchmark binaries and print one table: futura, its floor and its peers.

    report.py [options] BINARY...

Every benchmark is named "<workload>/<implementation>[/<arg>:<size>...]" (bench/support/bench.hpp).
Each binary runs once, with --benchmark_repetitions, and the table shows the median of the
repetitions: one row per workload (and size), one column per implementation, each peer with
its ratio peer/futura (above 1: futura is faster), then the design.md target of the row and
whether this run met it. The repetitions of a binary's benchmarks run interleaved in random
order (--benchmark_enable_random_interleaving), so the columns of a row sample the same
moments of a noisy machine instead of one column's five repetitions following the other's.

Modes:
    (default)     timing table from one run of every binary (Release build wanted)
    --smoke       tiny sizes, a few ms per benchmark, one repetition; fails (exit 1) when a
                  binary fails, which happens when a benchmark's result check fails
    --callgrind   instructions per operation under valgrind --tool=callgrind: each benchmark
                  runs twice with fixed iteration counts, and the difference divided by the
                  difference of iterations is the cost of one iteration, setup excluded.
                  Deterministic, so comparisons survive a noisy machine.

Only the Python standard library is used.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Column order of the table; implementations not listed here come after, in name order.
IMPLEMENTATIONS = [
    ("futura", "futura"),
    ("futura_channels", "futura over mpsc channels"),
    ("futura_shared_mailbox", "futura, thread-safe mailbox"),
    ("floor", "floor (by hand)"),
    ("floor_scalar", "floor, one item at a time"),
    ("floor_thread_safe", "floor + the contract's atomics"),
    ("asio", "raw Asio"),
    ("asio_thread_safe", "raw Asio + the contract's atomics"),
    ("boost_thread", "Boost.Thread"),
    ("boost_thread_sync", "Boost.Thread launch::sync"),
    ("std_future", "std::future"),
    ("join_all", "join_all"),
]
LABELS = dict(IMPLEMENTATIONS)
BOOST = ("boost_thread", "boost_thread_sync")

# Workload descriptions, in table order.
WORKLOADS = {
    "W1_then_chain_polled": "W1 then-chain x16, polled once",
    "W1_then_chain_block_on": "W1 then-chain x16, via block_on",
    "W1_block_on_entry": "W1 block_on(ready(x)) entry",
    "W2_join_all": "W2 join_all, reverse fulfil",
    "W3_select_race": "W3 select race, 2nd wins",
    "W4_ping_pong": "W4 ping-pong round trip",
    "W4_ping_pong_2_threads": "W4 ping-pong round trip, 2 threads",
    "W5_timers": "W5 timers 0–10 ms, time beyond 10 ms",
    "W6_echo": "W6 loopback echo, 64 B x 2000 per client",
    "W7_spawn": "W7 spawn + join",
    "W7_spawn_2_threads": "W7 spawn + join, 2 threads",
    "W8_stream_pipeline": "W8 stream iter.map.filter.fold",
    "W9_buffer_unordered": "W9 iter of ready futures.buffer_unordered(64).fold",
    "W9_futures_unordered": "W9 futures_unordered, reverse fulfil, drained",
    "W10_channel_task_to_task": "W10 mpsc::channel(1024), task to task",
    "W10_channel_task_to_task_2_threads": "W10 mpsc::channel(1024), task to task, 2 threads",
    "W10_channel_4_threads": "W10 mpsc::unbounded, 4 threads to a task",
    "W10_channel_4_threads_2_threads": "W10 mpsc::unbounded, 4 threads to a task on 2 threads",
}

# Rows measured on an io_context run by 2 threads (bench/support/tasks.hpp): design.md sets no
# target for them; they stand next to their 1-thread rows.
TWO_THREADS_SUFFIX = "_2_threads"


# What one operation is, per workload, when a run handles many ("items" counter).
UNITS = {
    "W2_join_all": "elem",
    "W4_ping_pong": "round trip",
    "W4_ping_pong_2_threads": "round trip",
    "W6_echo": "round trip",
    "W7_spawn": "task",
    "W7_spawn_2_threads": "task",
    "W8_stream_pipeline": "item",
    "W9_buffer_unordered": "item",
    "W10_channel_task_to_task": "item",
    "W10_channel_task_to_task_2_threads": "item",
    "W10_channel_4_threads": "item",
    "W10_channel_4_threads_2_threads": "item",
}


# ---------------------------------------------------------------------------------------------
# Running binaries


def run_binary(binary, args, json_path, echo):
    """Runs one benchmark binary with JSON output to json_path; returns its exit status."""
    cmd = [binary, "--benchmark_out=" + json_path, "--benchmark_out_format=json"] + args
    print("futura bench: " + " ".join(cmd), file=sys.stderr, flush=True)
    out = sys.stderr if echo else subprocess.DEVNULL
    return subprocess.run(cmd, stdout=out, stderr=sys.stderr).returncode


def load_runs(json_path, want_aggregate):
    """(name, entry) pairs of one JSON result file: medians, or plain runs without repetitions."""
    with open(json_path, encoding="utf-8") as f:
        data = json.load(f)
    runs = []
    for b in data.get("benchmarks", []):
        if want_aggregate:
            if b.get("run_type") != "aggregate" or b.get("aggregate_name") != "median":
                continue
        elif b.get("run_type") == "aggregate":
            continue
        runs.append((b.get("run_name", b["name"]), b))
    return data.get("context", {}), runs


# Name parts Google Benchmark adds that are not sizes.
NOT_SIZES = ("iterations", "min_time", "repeats", "threads")


def split_name(name):
    """'W2_join_all/futura/N:1000/real_time' -> ('W2_join_all', 'futura', 1000 or None).
    The size is the first '<arg>:<integer>' part (N:, messages:, tasks:, ...)."""
    parts = name.split("/")
    workload, implementation = parts[0], parts[1] if len(parts) > 1 else "?"
    size = None
    for p in parts[2:]:
        m = re.fullmatch(r"([A-Za-z_]+):(\d+)", p)
        if m and m.group(1) not in NOT_SIZES and size is None:
            size = int(m.group(2))
    return workload, implementation, size


def arg_selector(name):
    """The '<arg>:<integer>/' part of a benchmark name that says its size, or ''."""
    for p in name.split("/")[2:]:
        m = re.fullmatch(r"([A-Za-z_]+):(\d+)", p)
        if m and m.group(1) not in NOT_SIZES:
            return p + "/"
    return ""


TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class Result:
    """One benchmark's numbers: time per operation (ns) or instructions per operation."""

    def __init__(self, value, items=1.0, allocs=None, bytes_=None, sizeof=None, failed=None):
        self.value = value      # per operation (per item when items > 1)
        self.items = items
        self.allocs = allocs    # per operation (per item when items > 1)
        self.bytes = bytes_
        self.sizeof = sizeof
        self.failed = failed


def result_of(entry):
    if entry.get("error_occurred"):
        return Result(math.nan, failed=entry.get("error_message", "failed"))
    items = float(entry.get("items", 1.0)) or 1.0
    t = float(entry["real_time"]) * TIME_UNIT_NS[entry.get("time_unit", "ns")]
    allocs = entry.get("allocs")
    bytes_ = entry.get("bytes")
    return Result(
        t / items,
        items,
        None if allocs is None else float(allocs) / items,
        None if bytes_ is None else float(bytes_) / items,
        entry.get("sizeof"),
    )


# ---------------------------------------------------------------------------------------------
# Table


def fmt_ns(ns):
    if ns is None or math.isnan(ns):
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return fmt_num(ns / scale) + " " + unit
    return fmt_num(ns) + " ns"


def fmt_num(x):
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_count(x):
    if x is None:
        return None
    if x == round(x):
        return "%d" % round(x)
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 1:
        return "%.2f" % x
    return "%.2g" % x


def fmt_ir(ir):
    if ir is None or math.isnan(ir):
        return "—"
    if ir >= 1e6:
        return "%.2fM Ir" % (ir / 1e6)
    if ir >= 1e4:
        return "%.1fk Ir" % (ir / 1e3)
    return "%.0f Ir" % ir


def cell(r, metric, unit="elem"):
    if r is None:
        return ""
    if r.failed:
        return "FAILED (%s)" % r.failed
    text = fmt_ns(r.value) if metric == "time" else fmt_ir(r.value)
    if r.items > 1:
        text += "/" + unit
    extras = []
    if r.allocs is not None and metric == "time":
        extras.append(fmt_count(r.allocs) + " alloc")
        if r.items > 1 and r.bytes is not None:
            extras.append(fmt_count(r.bytes) + " B")
    if r.sizeof is not None and metric == "time":
        extras.append("sizeof %d B" % r.sizeof)
    return " · ".join([text] + extras)


def ratio(peer, futura):
    if peer is None or futura is None or peer.failed or futura.failed or not futura.value:
        return None
    return peer.value / futura.value


def fmt_ratio(x):
    if x is None:
        return ""
    if x >= 10:
        return "%.0f×" % x
    if x >= 0.1:
        return "%.2f×" % x
    return "%.2g×" % x


# What the size of a workload counts, when it is not N elements.
SIZE_NAMES = {"W4_ping_pong": "messages", "W4_ping_pong_2_threads": "messages", "W5_timers": "timers",
              "W6_echo": "clients", "W7_spawn": "tasks", "W7_spawn_2_threads": "tasks"}


def size_label(n, workload=""):
    if n is None:
        return ""
    name = SIZE_NAMES.get(workload, "N")
    for suffix, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale and n % scale == 0:
            return " %s=%d%s" % (name, n // scale, suffix)
    return " %s=%d" % (name, n)


def judge(workload, size, sizes, row, metric):
    """(target text, verdict) for one row, from design.md's performance targets."""
    fut = row.get("futura")
    if fut is None:
        return "", "futura not measured"
    if fut.failed:
        return "", "✗ futura failed"
    if workload.endswith(TWO_THREADS_SUFFIX):
        return "none: 2 threads, beside the 1-thread row", ""
    checks = []  # (description, ok)
    text = []
    floor = row.get("floor")
    boosts = [row[b] for b in BOOST if b in row and not row[b].failed]
    if workload in ("W1_then_chain_polled", "W8_stream_pipeline"):
        text.append("≤1.5× floor, 0 alloc")
        if floor and not floor.failed:
            checks.append(("%.2f× floor" % (fut.value / floor.value), fut.value <= 1.5 * floor.value))
        if fut.allocs is not None:
            checks.append(("%s alloc" % fmt_count(fut.allocs), fut.allocs == 0))
    if workload in ("W1_then_chain_block_on",):
        text.append("0 alloc")
        if fut.allocs is not None:
            checks.append(("%s alloc" % fmt_count(fut.allocs), fut.allocs == 0))
    if workload == "W1_block_on_entry" and metric == "time":
        text.append("<5 ns")
        checks.append((fmt_ns(fut.value), fut.value < 5.0))
    if workload == "W2_join_all" and size == max(sizes):
        text.append("≤2× floor at the largest N")
        if floor and not floor.failed:
            checks.append(("%.2f× floor" % (fut.value / floor.value), fut.value <= 2 * floor.value))
    if workload == "W9_futures_unordered":
        join_all = row.get("join_all")
        text.append("≤1.3× join_all")
        if join_all and not join_all.failed:
            checks.append(("%.2f× join_all" % (fut.value / join_all.value), fut.value <= 1.3 * join_all.value))
    if workload in ("W4_ping_pong", "W6_echo", "W7_spawn"):
        asio = row.get("asio")
        text.append("≤1.3× raw Asio")
        if asio and not asio.failed:
            checks.append(("%.2f× Asio" % (fut.value / asio.value), fut.value <= 1.3 * asio.value))
    if workload == "W5_timers":
        asio = row.get("asio")
        text.append("≤1.1× raw Asio")
        if asio and not asio.failed:
            checks.append(("%.2f× Asio" % (fut.value / asio.value), fut.value <= 1.1 * asio.value))
    if workload in ("W10_channel_task_to_task", "W10_channel_4_threads"):
        asio = row.get("asio")
        text.append("≥2× faster than raw Asio")
        if asio and not asio.failed:
            checks.append(("%.2f× Asio" % (fut.value / asio.value), 2 * fut.value <= asio.value))
    if workload == "W3_select_race":
        text.append("≤2× floor")
        if floor and not floor.failed:
            checks.append(("%.2f× floor" % (fut.value / floor.value), fut.value <= 2 * floor.value))
    if boosts and workload.startswith(("W1_then", "W2", "W3")):
        text.append("≥10× ahead of Boost.Thread")
        best = min(boosts, key=lambda r: r.value)
        checks.append(("Boost %.0f× slower" % (best.value / fut.value), best.value >= 10 * fut.value))
    if not checks:
        return "; ".join(text), ""
    verdict = ("✓ " if all(ok for _, ok in checks) else "✗ ") + ", ".join(
        d + ("" if ok else " (missed)") for d, ok in checks)
    return "; ".join(text), verdict + contract_bound(workload, size, sizes, row)


# Targets against a floor or a peer with no synchronisation (W2, W3 against their floors; W4, W7,
# W10 against raw Asio on one thread) sit beside a column that adds only the atomic
# read-modify-writes design.md's contract needs (promises set, tasks woken, channels used from
# any thread). The ratio of that column to the target's reference (its time over the reference's)
# is the least any implementation of the contract can reach.
CONTRACT_BOUNDS = {"W2_join_all": ("floor", "floor_thread_safe", 2.0),
                   "W3_select_race": ("floor", "floor_thread_safe", 2.0),  # issue #15's target
                   "W4_ping_pong": ("asio", "asio_thread_safe", 1.3),
                   "W7_spawn": ("asio", "asio_thread_safe", 1.3),
                   # ≥2× faster than Asio: at most 0.5× its time; the bound is a hand-written channel.
                   "W10_channel_task_to_task": ("asio", "floor_thread_safe", 0.5)}


def contract_bound(workload, size, sizes, row):
    """'; contract's least: X× floor' for the rows of CONTRACT_BOUNDS, empty otherwise."""
    if workload not in CONTRACT_BOUNDS or (sizes and size != max(sizes)):
        return ""
    reference, bound, target = CONTRACT_BOUNDS[workload]
    ref, low = row.get(reference), row.get(bound)
    if ref is None or low is None or ref.failed or low.failed or not ref.value:
        return ""
    least = low.value / ref.value
    name = "Asio" if reference == "asio" else reference
    note = "; the contract's least: %.2f× %s" % (least, name)
    if least > target:
        note += " (over the target)"
    boosts = [row[b] for b in BOOST if b in row and not row[b].failed]
    if boosts and reference == "floor":
        # 10× ahead of Boost.Thread is out of reach when the floor itself is not.
        note += "; the floor is %s ahead of Boost.Thread" % fmt_ratio(min(b.value for b in boosts) / ref.value)
    return note


def build_table(results, metric, judged):
    """results: {(workload, size): {implementation: Result}} -> list of markdown lines."""
    impls = set()
    for row in results.values():
        impls.update(row)
    ordered = [i for i, _ in IMPLEMENTATIONS if i in impls] + sorted(impls - set(LABELS))
    peers = [i for i in ordered if i != "futura"]

    header = ["workload", "futura"]
    for p in peers:
        header += [LABELS.get(p, p), LABELS.get(p, p) + " / futura"]
    if judged:
        header += ["target", "this run"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    order = list(WORKLOADS)
    def row_key(k):
        w, n = k
        return (order.index(w) if w in order else len(order), w, n or 0)

    sizes_of = {}
    for w, n in results:
        if n is not None:
            sizes_of.setdefault(w, []).append(n)

    for key in sorted(results, key=row_key):
        w, n = key
        row = results[key]
        unit = UNITS.get(w, "elem")
        cells = [WORKLOADS.get(w, w) + size_label(n, w), cell(row.get("futura"), metric, unit)]
        for p in peers:
            cells += [cell(row.get(p), metric, unit), fmt_ratio(ratio(row.get(p), row.get("futura")))]
        if judged:
            cells += list(judge(w, n, sorted(sizes_of.get(w, [])), row, metric))
        lines.append("| " + " | ".join(cells) + " |")
        # Growth row after the largest size: total time at the largest N over the next one.
        sizes = sorted(sizes_of.get(w, []))
        if n is not None and len(sizes) >= 2 and n == sizes[-1]:
            lines.append(growth_row(w, sizes[-2], sizes[-1], results, peers, judged, metric))
    return lines


def growth_row(w, small, large, results, peers, judged, metric):
    def growth(impl):
        a = results.get((w, small), {}).get(impl)
        b = results.get((w, large), {}).get(impl)
        if a is None or b is None or a.failed or b.failed or not a.value:
            return None
        return (b.value * large) / (a.value * small)
    label = "%s %s(%s)/%s(%s)" % (WORKLOADS.get(w, w), "t" if metric == "time" else "Ir", size_label(large, w).split("=")[1],
                                   "t" if metric == "time" else "Ir", size_label(small, w).split("=")[1])
    g_fut = growth("futura")
    cells = [label, "" if g_fut is None else "%.1f×" % g_fut]
    for p in peers:
        g = growth(p)
        cells += ["" if g is None else "%.1f×" % g, ""]
    if judged:
        g_floor = growth("floor")
        verdict = ""
        if g_fut is not None and g_floor is not None:
            ok = g_fut <= 1.1 * g_floor
            verdict = ("✓ " if ok else "✗ ") + "futura %.1f×, floor %.1f×" % (g_fut, g_floor)
        cells += ["grows no faster than the floor (10% noise margin)", verdict]
    return "| " + " | ".join(cells) + " |"


# ---------------------------------------------------------------------------------------------
# Modes


def timing(args):
    os.makedirs(args.json_dir, exist_ok=True)
    results = {}
    failures = []
    context = {}
    for binary in args.binaries:
        base = os.path.basename(binary)
        json_path = os.path.join(args.json_dir, base + ".json")
        extra = []
        if args.smoke:
            extra.append("--smoke")
        reps = 1 if args.smoke else args.repetitions
        if reps > 1:
            extra += ["--benchmark_repetitions=%d" % reps, "--benchmark_report_aggregates_only=true",
                      "--benchmark_enable_random_interleaving=true"]
        if args.filter:
            extra.append("--benchmark_filter=" + args.filter)
        if os.path.exists(json_path):
            os.unlink(json_path)  # a crash must not leave the previous run's results in place
        status = run_binary(binary, extra, json_path, args.verbose)
        if status != 0:
            failures.append("%s exited with status %d" % (base, status))
        try:
            ctx, runs = load_runs(json_path, reps > 1)
        except (OSError, ValueError):
            failures.append("%s wrote no complete results" % base)
            continue
        context = context or ctx
        for name, entry in runs:
            w, impl, n = split_name(name)
            r = result_of(entry)
            if ctx.get("futura_alloc_counting") == "off":
                r.allocs = r.bytes = None  # sanitizer build: nothing was counted
            results.setdefault((w, n), {})[impl] = r

    print_header(context, args, "time")
    print("\n".join(build_table(results, "time", judged=not args.smoke)))
    print()
    print_legend("time", args)
    for f in failures:
        print("FAILED: " + f, file=sys.stderr)
    return 1 if failures else 0


def callgrind(args):
    valgrind = shutil.which("valgrind")
    if not valgrind:
        print("report.py --callgrind needs valgrind", file=sys.stderr)
        return 2
    os.makedirs(args.json_dir, exist_ok=True)
    results = {}
    failures = []
    for binary in args.binaries:
        listing = subprocess.run([binary, "--benchmark_list_tests=true"] + size_flags(args) +
                                 (["--benchmark_filter=" + args.filter] if args.filter else []),
                                 capture_output=True, text=True)
        if listing.returncode != 0:
            failures.append("%s --benchmark_list_tests failed" % binary)
            continue
        for name in listing.stdout.split():
            w, impl, n = split_name(name)
            # The listed name ends in "/real_time" and gains "/iterations:K" when the iteration
            # count is fixed: select the benchmark by its workload, implementation and size.
            selector = "^" + re.escape("%s/%s/" % (w, impl) + arg_selector(name))
            measured = instructions_per_iteration(valgrind, binary, selector, args.json_dir, size_flags(args))
            if measured is None:
                failures.append("%s under callgrind" % name)
                continue
            per_iteration, items = measured.per_iteration, measured.items
            r = Result(per_iteration / items, items)
            results.setdefault((w, n), {})[impl] = r
            print("futura bench: %s: %.0f instructions per iteration" % (name, per_iteration),
                  file=sys.stderr, flush=True)
    print_header({}, args, "ir")
    print("\n".join(build_table(results, "ir", judged=False)))
    print()
    print_legend("ir", args)
    for f in failures:
        print("FAILED: " + f, file=sys.stderr)
    return 1 if failures else 0


# A run's instruction count varies by a few thousand from run to run (start-up, timer
# calibration), independently of the iteration count: the iteration counts are chosen so that
# the difference between the two runs is at least this many instructions.
CALLGRIND_MIN_DELTA = 10_000_000


def size_flags(args):
    """Under callgrind the smoke sizes are used unless --callgrind-full-sizes: instruction
    counts per element hardly depend on N, and valgrind runs some 50 times slower."""
    return [] if args.callgrind_full_sizes else ["--smoke"]


class Measurement:
    """Instructions of one iteration of a benchmark, from runs of k1 and k2 iterations."""

    def __init__(self, per_iteration, items, k1, k2):
        self.per_iteration = per_iteration  # (Ir(k2) - Ir(k1)) / (k2 - k1)
        self.items = items                  # operations per iteration ("items" counter, else 1)
        self.k1 = k1
        self.k2 = k2


def instructions_per_iteration(valgrind, binary, selector, work_dir, extra, timeout=None, valgrind_args=()):
    """Measurement of (Ir(k2) - Ir(k1)) / (k2 - k1), k2 grown until the difference dwarfs the
    run-to-run noise; None when a run failed."""
    k1 = 1
    first = instructions(valgrind, binary, selector, k1, work_dir, extra, timeout, valgrind_args)
    if first is None:
        return None
    base, items = first
    k2 = k1 + 10
    while True:
        second = instructions(valgrind, binary, selector, k2, work_dir, extra, timeout, valgrind_args)
        if second is None:
            return None
        delta = second[0] - base
        if delta >= CALLGRIND_MIN_DELTA or k2 - k1 >= 10_000_000:
            return Measurement(delta / (k2 - k1), items, k1, k2)
        estimate = max(delta / (k2 - k1), 1.0)
        k2 = k1 + min(10_000_000, max(2 * (k2 - k1), int(1.2 * CALLGRIND_MIN_DELTA / estimate)))


def instructions_at(valgrind, binary, selector, k1, k2, work_dir, extra, timeout=None, valgrind_args=()):
    """Measurement from exactly k1 and k2 iterations (k2 > k1); None when a run failed."""
    first = instructions(valgrind, binary, selector, k1, work_dir, extra, timeout, valgrind_args)
    second = first and instructions(valgrind, binary, selector, k2, work_dir, extra, timeout, valgrind_args)
    if not second:
        return None
    return Measurement((second[0] - first[0]) / (k2 - k1), first[1], k1, k2)


def instructions(valgrind, binary, selector, iterations, work_dir, extra, timeout=None, valgrind_args=()):
    """Total instructions (all threads) of one run of the benchmark `selector` (a regex) picks,
    with a fixed iteration count; None when it failed, ran longer than `timeout` seconds, or did
    not run exactly one benchmark. `valgrind_args` go before the tool's own options."""
    fd, out_file = tempfile.mkstemp(prefix="callgrind.", dir=work_dir)
    os.close(fd)
    json_file = out_file + ".json"
    cmd = [valgrind, "--tool=callgrind"] + list(valgrind_args) + ["--callgrind-out-file=" + out_file, binary,
           "--benchmark_filter=" + selector, "--iterations=%d" % iterations,
           "--benchmark_out=" + json_file, "--benchmark_out_format=json"] + extra
    try:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            print("futura bench: %s ran longer than %d s under callgrind" % (selector, timeout), file=sys.stderr)
            return None
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-2000:])
            return None
        try:
            _, runs = load_runs(json_file, want_aggregate=False)
        except (OSError, ValueError):
            return None
        if len(runs) != 1 or int(runs[0][1].get("iterations", 0)) != iterations:
            print("futura bench: %s matched %d benchmarks" % (selector, len(runs)), file=sys.stderr)
            return None
        items = float(runs[0][1].get("items", 1.0)) or 1.0
        with open(out_file, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1]), items
        return None
    finally:
        for f in (out_file, json_file):
            if os.path.exists(f):
                os.unlink(f)


def print_header(context, args, metric):
    if metric == "time":
        title = "futura benchmarks — median of %d repetitions" % (1 if args.smoke else args.repetitions)
        if args.smoke:
            title = "futura benchmarks — SMOKE RUN (tiny sizes, one repetition: not numbers to quote)"
    else:
        title = "futura benchmarks — instructions per operation (callgrind)"
    print("## " + title)
    print()
    if context:
        bits = [
            "host %s, %s CPUs @ %s MHz" % (context.get("host_name", "?"), context.get("num_cpus", "?"),
                                          context.get("mhz_per_cpu", "?")),
            "%s, %s build, flags `%s`" % (context.get("futura_compiler", "?"), context.get("futura_build_type", "?"),
                                         context.get("futura_flags", "?")),
            "assertions %s" % context.get("futura_assertions", "?"),
        ]
        if context.get("futura_sanitize"):
            bits.append("SANITIZERS %s: not numbers to quote" % context["futura_sanitize"])
        if context.get("futura_alloc_counting") == "off":
            bits.append("allocations not counted (sanitizer runtime owns the allocator)")
        load = context.get("load_avg")
        if load:
            bits.append("load average %s" % ", ".join("%.2f" % x for x in load))
        print("- " + "; ".join(bits))
        if context.get("futura_build_type") not in ("Release", "RelWithDebInfo") or context.get(
                "futura_assertions") == "on":
            print("- WARNING: not an optimised NDEBUG build: these numbers do not measure futura")
        print()


def print_legend(metric, args):
    unit = "wall-clock time" if metric == "time" else "instructions (all threads)"
    print("Each cell: %s per operation (a chain, a race, or one element of a join: `/elem`)" % unit, end="")
    if metric == "time":
        print(", heap allocations per operation (`alloc`), bytes allocated per element (`B`), "
              "and sizeof of futura's combinator where it matters.")
    else:
        print(", from two runs with fixed iteration counts (setup cancels out); user-space "
              "instructions only (system calls are not counted); smoke sizes unless "
              "--callgrind-full-sizes.")
    print("`peer / futura` above 1 means futura is faster. Growth rows: total time at the largest N "
          "over the next size (10× is linear).")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="+", help="benchmark binaries (bench/*_bench.cpp)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition, no verdicts")
    ap.add_argument("--callgrind", action="store_true", help="instructions per operation under callgrind")
    ap.add_argument("--callgrind-full-sizes", action="store_true",
                    help="under callgrind, use the full sizes instead of the smoke sizes (slow)")
    ap.add_argument("--repetitions", type=int, default=5, help="repetitions per benchmark (median shown)")
    ap.add_argument("--filter", help="a --benchmark_filter regex passed to every binary")
    ap.add_argument("--json-dir", default=".", help="where the JSON results are written")
    ap.add_argument("--verbose", action="store_true", help="show Google Benchmark's console output")
    args = ap.parse_args()
    return callgrind(args) if args.callgrind else timing(args)


if __name__ == "__main__":
    sys.exit(main())
