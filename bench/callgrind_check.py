#!/usr/bin/env python3
"""A regression guard on futura's instruction counts: `make bench-check`, part of `make test`.

    callgrind_check.py --baseline FILE [--out FILE] BINARY...      compare (exit 1 on a regression)
    callgrind_check.py --baseline FILE --update BINARY...          rewrite the baseline
    callgrind_check.py --baseline FILE --measured FILE             compare a saved measurement

Every row of the baseline is one futura benchmark (workload, implementation, smoke size) with
its instructions per operation under valgrind --tool=callgrind and the two iteration counts k1
and k2 it was measured with. The check runs each row again with the same k1 and k2 and the
smoke sizes, takes (Ir(k2) - Ir(k1)) / (k2 - k1) / items (start-up, warm-up and allocation
counting cancel out), and prints baseline and now side by side. It fails (exit 1) when a row
costs more than --tolerance times its baseline (1.05 by default), when a baseline row is not in
the binaries any more (renamed or removed: the baseline must follow, deliberately), or when a
row fails under callgrind. A row that got cheaper by more than the tolerance passes, with a
note that a new baseline would hold the gain.

Instruction counts are deterministic for a given binary: they depend on the compiler, the flags
and the C and C++ libraries, not on the machine's load. The baseline records the compiler and
flags it was made with, and the check warns when the binaries differ (CI: Debian 12, g++ 12,
the Release build of `make test`).

--update measures every benchmark the filter selects, choosing k2 so that the difference
between the two runs is at least 10M instructions, and rewrites the baseline. Updating the
baseline is a commit of its own whose message says why the counts moved.

--measured compares a file written by --out (or any file in the baseline's format) instead of
running valgrind: what test/bench/callgrind_check_test.py checks the comparison with.

Only the Python standard library is used.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (bench/report.py: running benchmarks under callgrind)

# The workloads the guard covers (W1-W4, W7, W8, W10) and futura's own implementations
# ("futura", "futura_channels", ...): floors and peers are not futura's code. W10 from 4 threads
# is left out: its count depends on how the producers and the consumer interleave (how often the
# consumer finds the channel empty and parks, how long a sender spins), which the kernel still
# decides under valgrind's serialised threads: runs of one binary spread over up to 4%. So are
# the rows on an io_context run by 2 threads (W4_ping_pong_2_threads, W7_spawn_2_threads, ...),
# for the same reason: W4 and W7 are named in full.
DEFAULT_FILTER = r"^(W1_[^/]*|W2_[^/]*|W3_[^/]*|W4_ping_pong|W7_spawn|W8_[^/]*|W10_channel_task_to_task)/futura"
DEFAULT_TOLERANCE = 1.05
# A valgrind run of one benchmark takes seconds; a run this long is a hang.
RUN_TIMEOUT_S = 300
SIZE_FLAGS = ["--smoke"]
# Threads take the valgrind lock in the order they ask for it: runs with several threads vary
# less.
VALGRIND_ARGS = ["--fair-sched=yes"]
# The baseline's iteration counts are grown until SAMPLES measurements agree within
# STABLE_WITHIN, at most MAX_GROWTHS times; a row whose samples still spread more is refused.
STABLE_WITHIN = 0.005
SAMPLES = 3
MAX_GROWTHS = 2
# A row whose baseline samples spread more than this depends on thread interleaving: the check
# compares the median of SAMPLES measurements for it (the others are exact to a few instructions
# per run).
DETERMINISTIC_WITHIN = 0.0005

REGENERATE = ("make bench-baseline (bench/callgrind_check.py --update on the binaries of the GCC "
              "Release build of make test); commit the new file alone, saying why the counts moved")


def row_key(listed_name):
    """'W2_join_all/futura/N:100/min_time:0.001/real_time' -> 'W2_join_all/futura/N:100'."""
    workload, implementation, _ = report.split_name(listed_name)
    return ("%s/%s/%s" % (workload, implementation, report.arg_selector(listed_name))).rstrip("/")


def list_rows(binaries, filter_regex):
    """{row key: binary path} of every benchmark the filter selects; exits on a broken binary."""
    rows = {}
    for binary in binaries:
        listing = subprocess.run([binary, "--benchmark_list_tests=true", "--benchmark_filter=" + filter_regex] +
                                 SIZE_FLAGS, capture_output=True, text=True)
        if listing.returncode != 0:
            sys.exit("callgrind_check: %s --benchmark_list_tests failed:\n%s" % (binary, listing.stderr))
        for name in listing.stdout.split():
            rows[row_key(name)] = binary
    return rows


def selector_of(key):
    """The --benchmark_filter regex that selects exactly the row `key` (a smoke-size name)."""
    return "^" + re.escape(key + "/")


def measure_row(valgrind, binary, key, work_dir, ks):
    """Measurement of one row with the iteration counts ks = [k1, k2]."""
    return report.instructions_at(valgrind, binary, selector_of(key), ks[0], ks[1], work_dir, SIZE_FLAGS,
                                  RUN_TIMEOUT_S, VALGRIND_ARGS)


def measure_median(valgrind, binary, key, work_dir, ks, samples):
    """The median of `samples` measurements of one row; None when a run failed."""
    runs = []
    for _ in range(samples):
        m = measure_row(valgrind, binary, key, work_dir, ks)
        if m is None:
            return None
        runs.append(m)
    runs.sort(key=lambda m: m.per_iteration)
    return runs[len(runs) // 2]


def measure_stable_row(valgrind, binary, key, work_dir):
    """Measurement of a row for the baseline, with its spread: k2 first chosen so that the two
    runs differ by at least 10M instructions; then SAMPLES measurements, and while they spread
    over more than STABLE_WITHIN, k2 grown fourfold (at most MAX_GROWTHS times: threads that park
    and wake vary from run to run, and more operations average some of that out). The value is
    the median of the last samples. None when a run failed, or when the samples still spread
    over more than STABLE_WITHIN: such a row would make the guard fail at random."""
    first = report.instructions_per_iteration(valgrind, binary, selector_of(key), work_dir, SIZE_FLAGS,
                                              RUN_TIMEOUT_S, VALGRIND_ARGS)
    if first is None:
        return None
    ks = [first.k1, first.k2]
    samples = [first]
    for growth in range(MAX_GROWTHS + 1):
        while len(samples) < SAMPLES:
            m = measure_row(valgrind, binary, key, work_dir, ks)
            if m is None:
                return None
            samples.append(m)
        samples.sort(key=lambda m: m.per_iteration)
        spread = samples[-1].per_iteration / samples[0].per_iteration - 1
        if spread <= STABLE_WITHIN or growth == MAX_GROWTHS:
            break
        ks = [ks[0], ks[0] + 4 * (ks[1] - ks[0])]
        print("callgrind_check: %s: %d runs spread over %.2f%%: trying %d iterations" %
              (key, len(samples), 100 * spread, ks[1]), file=sys.stderr, flush=True)
        samples = []
    if spread > STABLE_WITHIN:
        print("callgrind_check: %s: %d runs of %d iterations spread over %.2f%%, more than %.1f%%" %
              (key, SAMPLES, ks[1], 100 * spread, 100 * STABLE_WITHIN), file=sys.stderr)
        return None
    median = samples[len(samples) // 2]
    median.spread = spread
    return median


def measure(valgrind, binaries, filter_regex, work_dir, baseline_rows=None):
    """{row key: row} for every listed row: with the iteration counts of its baseline row (the
    median of SAMPLES measurements when the baseline saw it vary), or, when baseline_rows is
    None (making a baseline), with counts measure_stable_row chooses. A row that failed is
    {"failed": reason}."""
    os.makedirs(work_dir, exist_ok=True)
    measured = {}
    for key, binary in sorted(list_rows(binaries, filter_regex).items(), key=lambda kv: order_of(kv[0])):
        if baseline_rows is None:
            m = measure_stable_row(valgrind, binary, key, work_dir)
        elif key in baseline_rows:
            base = baseline_rows[key]
            samples = SAMPLES if float(base.get("spread", 0)) > DETERMINISTIC_WITHIN else 1
            m = measure_median(valgrind, binary, key, work_dir, base["iterations"], samples)
        else:
            measured[key] = {"binary": os.path.basename(binary), "not_measured": "not in the baseline"}
            continue
        if m is None:
            measured[key] = {"binary": os.path.basename(binary), "failed": "failed, hung or unstable under callgrind"}
            continue
        measured[key] = {
            "binary": os.path.basename(binary),
            "ir_per_op": round(m.per_iteration / m.items, 3),
            "items_per_iteration": m.items,
            "iterations": [m.k1, m.k2],
        }
        if hasattr(m, "spread"):
            measured[key]["spread"] = round(m.spread, 5)
        print("callgrind_check: %-50s %10.1f Ir/op" % (key, m.per_iteration / m.items), file=sys.stderr, flush=True)
    return measured


def order_of(key):
    """Table order: design.md's workload order (bench/report.py), then the key."""
    workload = key.split("/")[0]
    order = list(report.WORKLOADS)
    return (order.index(workload) if workload in order else len(order), key)


def compare(baseline_rows, measured_rows, tolerance):
    """(table lines, failures, notes): each baseline row against its measurement."""
    lines = ["| row | baseline Ir/op | now Ir/op | now / baseline | verdict |", "|---|---:|---:|---:|---|"]
    failures = []
    notes = []
    for key in sorted(baseline_rows, key=order_of):
        base = baseline_rows[key]
        now = measured_rows.get(key)
        b = float(base["ir_per_op"])
        if now is None:
            verdict = "MISSING: no benchmark %s in %s (renamed or removed?)" % (key, base.get("binary", "?"))
            failures.append("%s: in the baseline, not in the binaries (renamed or removed?): run "
                            "`make bench-baseline` and commit the new baseline saying why" % key)
            lines.append("| %s | %.1f | — | — | %s |" % (key, b, verdict))
            continue
        if "failed" in now:
            failures.append("%s: %s" % (key, now["failed"]))
            lines.append("| %s | %.1f | — | — | FAILED: %s |" % (key, b, now["failed"]))
            continue
        n = float(now["ir_per_op"])
        r = n / b if b else float("inf")
        if r > tolerance:
            verdict = "REGRESSION: %+.1f%% (limit %+.0f%%)" % (100 * (r - 1), 100 * (tolerance - 1))
            failures.append("%s: %.1f Ir/op against %.1f in the baseline (%+.1f%%)" % (key, n, b, 100 * (r - 1)))
        elif r < 1 / tolerance:
            verdict = "ok, cheaper: %+.1f%%" % (100 * (r - 1))
            notes.append("%s got %.1f%% cheaper: `make bench-baseline` (a commit saying why) keeps the gain"
                         % (key, 100 * (1 - r)))
        else:
            verdict = "ok (%+.1f%%)" % (100 * (r - 1))
        lines.append("| %s | %.1f | %.1f | %.3f× | %s |" % (key, b, n, r, verdict))
    for key in sorted(set(measured_rows) - set(baseline_rows), key=order_of):
        notes.append("%s is not in the baseline (a new benchmark): `make bench-baseline` adds it" % key)
    return lines, failures, notes


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data.get("rows"), dict):
        sys.exit("callgrind_check: %s has no \"rows\" object" % path)
    return data


def valgrind_version(valgrind):
    return subprocess.run([valgrind, "--version"], capture_output=True, text=True).stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="*", help="benchmark binaries (bench/*_bench)")
    ap.add_argument("--baseline", required=True, help="the baseline (bench/callgrind_baseline.json)")
    ap.add_argument("--update", action="store_true", help="measure and rewrite the baseline")
    ap.add_argument("--measured", help="compare this saved measurement instead of running valgrind")
    ap.add_argument("--out", help="also write this run's measurement here (baseline format)")
    ap.add_argument("--build-info", default="", help="compiler and flags of the binaries (recorded, compared)")
    ap.add_argument("--work-dir", default=".", help="where callgrind's scratch files go")
    ap.add_argument("--tolerance", type=float, help="fail above baseline × this (default: the baseline's, else 1.05)")
    args = ap.parse_args()

    if args.measured:
        baseline = load(args.baseline)
        saved = load(args.measured)
        measured = saved["rows"]
        now_info = saved.get("build", "")
    else:
        valgrind = shutil.which("valgrind")
        if not valgrind:
            sys.exit("callgrind_check: needs valgrind (make deps installs it)")
        if not args.binaries:
            sys.exit("callgrind_check: no benchmark binaries given")
        now_info = args.build_info
        if args.update:
            rows = measure(valgrind, args.binaries, DEFAULT_FILTER, args.work_dir)
            broken = sorted(k for k, r in rows.items() if "failed" in r)
            if broken:
                sys.exit("callgrind_check: not updating the baseline, these rows failed: " + ", ".join(broken))
            data = {
                "regenerate": REGENERATE,
                "why": "a regression guard: make bench-check fails when a row costs more than tolerance × "
                       "ir_per_op; rows whose samples spread (thread interleaving) are compared by the median "
                       "of %d runs" % SAMPLES,
                "what": "instructions per operation (valgrind --tool=callgrind, all threads, user space) of "
                        "futura's benchmarks at smoke sizes: (Ir(k2) - Ir(k1)) / (k2 - k1) / items, "
                        "k1 and k2 being the iteration counts of each row",
                "build": args.build_info,
                "valgrind": valgrind_version(valgrind),
                "date": datetime.date.today().isoformat(),
                "filter": DEFAULT_FILTER,
                "tolerance": DEFAULT_TOLERANCE,
                "rows": rows,  # in table order (measure() lists them so)
            }
            with open(args.baseline, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print("callgrind_check: wrote %d rows to %s; commit it alone, saying why" % (len(rows), args.baseline))
            return 0
        baseline = load(args.baseline)
        measured = measure(valgrind, args.binaries, baseline.get("filter", DEFAULT_FILTER), args.work_dir,
                           baseline["rows"])
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump({"build": now_info, "valgrind": valgrind_version(valgrind), "rows": measured}, f, indent=1,
                          ensure_ascii=False)
                f.write("\n")

    tolerance = args.tolerance or float(baseline.get("tolerance", DEFAULT_TOLERANCE))
    print("## futura bench-check: instructions per operation against %s" % args.baseline)
    print()
    print("- baseline: %s, %s, %s" % (baseline.get("build", "?"), baseline.get("valgrind", "?"),
                                       baseline.get("date", "?")))
    print("- now: %s" % (now_info or "?"))
    if now_info and baseline.get("build") and now_info != baseline.get("build"):
        print("- WARNING: the binaries were built with another compiler or flags than the baseline: a "
              "difference may be the build's, not futura's")
    print()
    lines, failures, notes = compare(baseline["rows"], measured, tolerance)
    print("\n".join(lines))
    print()
    for n in notes:
        print("note: " + n)
    if failures:
        print("bench-check FAILED (more than %+.0f%% instructions per operation, or a row gone):" %
              (100 * (tolerance - 1)))
        for f in failures:
            print("  " + f)
        print("If the change is intended: %s." % REGENERATE)
        return 1
    print("bench-check passed: %d rows within %+.0f%% of the baseline" % (len(baseline["rows"]), 100 * (tolerance - 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
