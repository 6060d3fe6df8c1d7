#!/usr/bin/env python3
"""Draw the results of `make bench` as one chart: docs/img/bench.png.

    chart.py --json-dir DIR --out FILE.png

Reads the JSON files bench/report.py wrote (one per benchmark binary, medians of the
repetitions) and draws one group of horizontal bars per table row (workload and size): futura,
its floor, raw Asio, Boost.Thread and every other column present, as time per operation on a
log scale, so that a nanosecond chain and a millisecond Boost.Thread run fit on one axis.

Needs matplotlib (Debian python3-matplotlib, which `make bench` installs); `make test` and
`make demo` do not run this script.
"""

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (bench/report.py: names, sizes, medians)

# One colour per implementation, fixed so that charts of different runs compare at a glance.
COLOURS = {
    "futura": "#1f77b4",
    "futura_channels": "#6baed6",
    "floor": "#2ca02c",
    "floor_scalar": "#98df8a",
    "floor_thread_safe": "#bcbd22",
    "asio": "#ff7f0e",
    "asio_thread_safe": "#ffbb78",
    "boost_thread": "#d62728",
    "boost_thread_sync": "#ff9896",
    "std_future": "#9467bd",
    "join_all": "#17becf",
}
OTHER_COLOUR = "#7f7f7f"


def load_results(json_dir):
    """({(workload, size): {implementation: Result}}, context of the first file)."""
    results = {}
    context = {}
    paths = sorted(glob.glob(os.path.join(json_dir, "*.json")))
    if not paths:
        sys.exit("chart.py: no JSON results in %s (run `make bench` first)" % json_dir)
    for path in paths:
        ctx, runs = report.load_runs(path, want_aggregate=True)
        if not runs:  # a run without repetitions has no aggregates
            ctx, runs = report.load_runs(path, want_aggregate=False)
        context = context or ctx
        for name, entry in runs:
            workload, implementation, size = report.split_name(name)
            r = report.result_of(entry)
            if not r.failed:
                results.setdefault((workload, size), {})[implementation] = r
    return results, context


def row_order(results):
    order = list(report.WORKLOADS)

    def key(k):
        workload, size = k
        return (order.index(workload) if workload in order else len(order), workload, size or 0)

    return sorted(results, key=key)


def implementation_order(results):
    present = set()
    for row in results.values():
        present.update(row)
    known = [i for i, _ in report.IMPLEMENTATIONS if i in present]
    return known + sorted(present - set(known))


def time_label(ns):
    """An axis tick: 1 ns, 10 ns, ..., 1 µs, ..., 1 s."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1.0)):
        if ns >= scale:
            return "%g %s" % (round(ns / scale, 3), unit)
    return "%g ns" % ns


def draw(results, context, out):
    try:
        import matplotlib
    except ImportError:
        sys.exit("chart.py: needs matplotlib: Debian's python3-matplotlib (`make bench-deps`), run by "
                 "/usr/bin/python3 (%s has no matplotlib)" % sys.executable)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    rows = row_order(results)
    impls = implementation_order(results)
    bar_height = 0.8
    # One slot per bar present in a row, rows separated by a gap.
    positions, labels, label_y = [], [], []
    y = 0.0
    for k in rows:
        present = [i for i in impls if i in results[k]]
        start = y
        for i in present:
            positions.append((k, i, y))
            y += bar_height
        label_y.append((start + y - bar_height) / 2)
        workload, size = k
        per_item = any(r.items > 1 for r in results[k].values())
        unit = report.UNITS.get(workload, "elem") if per_item else None
        labels.append(report.WORKLOADS.get(workload, workload) + report.size_label(size, workload) +
                      (" (per %s)" % unit if unit else ""))
        y += 0.9

    fig_height = max(4.0, 0.22 * y + 1.6)
    fig, ax = plt.subplots(figsize=(11, fig_height))
    drawn = set()
    for k, impl, pos in positions:
        value = results[k][impl].value
        ax.barh(pos, value, height=bar_height * 0.9, color=COLOURS.get(impl, OTHER_COLOUR),
                label=None if impl in drawn else report.LABELS.get(impl, impl))
        drawn.add(impl)
        ax.text(value * 1.08, pos, report.fmt_ns(value), va="center", fontsize=6.5)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda ns, _: time_label(ns)))
    ax.set_yticks(label_y)
    ax.set_yticklabels(labels, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_ylim(y - 0.5, -1.0)
    left, right = ax.get_xlim()
    ax.set_xlim(left, right * 8)  # room for the value labels of the longest bars
    ax.set_xlabel("time per operation (log scale; shorter is faster)")
    ax.grid(axis="x", which="major", linestyle=":", linewidth=0.6)
    ax.legend(loc="lower right", fontsize=7.5, framealpha=0.9)
    title = "futura benchmarks: time per operation, median of the repetitions"
    bits = [context.get("futura_compiler", ""), context.get("futura_flags", "")]
    if context.get("num_cpus"):
        bits.append("%s CPUs" % context["num_cpus"])
    if context.get("load_avg"):
        bits.append("load average %.1f at the start" % context["load_avg"][0])
    if context.get("date"):
        bits.append(context["date"][:10])
    ax.set_title(title + "\n" + ", ".join(b for b in bits if b), fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    print("chart.py: wrote %s (%d rows, %d bars)" % (out, len(rows), len(positions)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json-dir", required=True, help="the JSON results of bench/report.py")
    ap.add_argument("--out", required=True, help="the PNG to write (docs/img/bench.png)")
    args = ap.parse_args()
    results, context = load_results(args.json_dir)
    draw(results, context, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
