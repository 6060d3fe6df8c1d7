#!/usr/bin/env python3
"""Compile time of design.md's compile-time workload: futura against boost::future.

    measure.py [--cxx g++] [--flags "-std=c++17 -O2"] [--runs 3] [--include DIR]

Compiles futura_tu.cpp (futura/core.hpp) and boost_future_tu.cpp (<boost/thread/future.hpp>),
the same logic (a 16-link then chain, a join, a select, a stream pipeline), to object files,
`--runs` times each, and prints a markdown table of the best wall-clock time and the
compiler's peak resident memory (the largest of the driver and the compiler proper it starts,
from the rusage of the waited-for process). Each file is also compiled with its `#define` and
`#include` lines alone, which splits its cost into the headers' and the code's (templates
instantiated, code generated). Runs alternate between the files so that a change in the
machine's load hits all alike.

Only the Python standard library is used.
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
UNITS = [
    ("futura_tu.cpp", "futura (`futura/core.hpp`)"),
    ("boost_future_tu.cpp", "boost::future (`boost/thread/future.hpp`)"),
]


def headers_only(source, tmp):
    """A copy of `source` with only its #define and #include lines: the cost of its headers."""
    with open(os.path.join(HERE, source), encoding="utf-8") as f:
        lines = [line for line in f if line.startswith(("#define", "#include"))]
    path = os.path.join(tmp, "headers_of_" + source)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)
    return path


def compile_once(cmd):
    """(wall seconds, peak RSS in MiB) of one compilation; exits when it fails."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    output = proc.stdout.read().decode(errors="replace")
    proc.stdout.close()
    if status != 0:
        sys.exit("measure.py: compilation failed: %s\n%s" % (" ".join(cmd), output))
    return wall, usage.ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", default="g++", help="the compiler (default g++)")
    ap.add_argument("--flags", default="-std=c++17 -O2", help="compiler flags (default: -std=c++17 -O2)")
    ap.add_argument("--include", default=os.path.join(ROOT, "include"), help="futura's include directory")
    ap.add_argument("--runs", type=int, default=3, help="compilations per file; the best is shown")
    args = ap.parse_args()

    version = subprocess.run([args.cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for source, _ in UNITS:
            files += [(source, os.path.join(HERE, source)), ("headers_of_" + source, headers_only(source, tmp))]
        for run in range(args.runs):
            for name, path in files:
                cmd = [args.cxx] + shlex.split(args.flags) + ["-I" + args.include, "-c", path,
                                                              "-o", os.path.join(tmp, name + ".o")]
                wall, rss = compile_once(cmd)
                print("measure.py: %s run %d: %.2f s, %.0f MiB" % (name, run + 1, wall, rss), file=sys.stderr,
                      flush=True)
                w, r = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(w, wall), min(r, rss))

    print("Compile time, %s `%s`, best of %d (%s):" % (args.cxx, args.flags, args.runs, version))
    print()
    print("| translation unit | seconds | peak memory (MiB) | its headers alone: seconds | MiB |")
    print("|---|---:|---:|---:|---:|")
    for source, label in UNITS:
        wall, rss = best[source]
        h_wall, h_rss = best["headers_of_" + source]
        print("| %s | %.2f | %.0f | %.2f | %.0f |" % (label, wall, rss, h_wall, h_rss))
    f_wall, f_rss = best[UNITS[0][0]]
    b_wall, b_rss = best[UNITS[1][0]]
    print()
    print("futura / boost::future: %.2f× the time, %.2f× the memory" % (f_wall / b_wall, f_rss / b_rss))
    return 0


if __name__ == "__main__":
    sys.exit(main())
