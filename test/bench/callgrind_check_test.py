#!/usr/bin/env python3
"""The comparison of `make bench-check` (bench/callgrind_check.py) fails when it must.

    callgrind_check_test.py CALLGRIND_CHECK_PY BASELINE_JSON

Takes the committed baseline as what a run measured, and fabricates baselines and
measurements around it: the script must pass when they are equal or within the tolerance,
and fail (exit 1), naming the row, when a row costs more than the tolerance over its baseline,
when a baseline row is missing from the run (a renamed benchmark), or when a row failed.
No valgrind run: the script's --measured mode compares a saved measurement.
"""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = BASELINE = None


def scaled(data, factor, only=None):
    """A copy of `data` with ir_per_op multiplied by `factor` (in row `only`, or in every row)."""
    out = copy.deepcopy(data)
    for key, row in out["rows"].items():
        if only is None or key == only:
            row["ir_per_op"] = row["ir_per_op"] * factor
    return out


class CallgrindCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(BASELINE, encoding="utf-8") as f:
            cls.real = json.load(f)
        cls.keys = list(cls.real["rows"])
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_check(self, baseline, measured):
        paths = []
        for name, data in (("baseline.json", baseline), ("measured.json", measured)):
            path = os.path.join(self.tmp.name, name)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(data, f)
            paths.append(path)
        proc = subprocess.run([sys.executable, SCRIPT, "--baseline", paths[0], "--measured", paths[1]],
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout + proc.stderr

    def verdict_of(self, output, key):
        for line in output.splitlines():
            if line.startswith("| %s |" % key):
                return line.rsplit("|", 2)[1].strip()
        self.fail("no table row for %s in:\n%s" % (key, output))

    def test_the_baseline_has_the_rows_the_guard_covers(self):
        workloads = {k.split("/")[0] for k in self.keys}
        for w in ("W1_then_chain_polled", "W2_join_all", "W3_select_race", "W4_ping_pong", "W7_spawn",
                  "W8_stream_pipeline", "W10_channel_task_to_task"):
            self.assertIn(w, workloads)
        for key, row in self.real["rows"].items():
            self.assertGreater(row["ir_per_op"], 0, key)
            k1, k2 = row["iterations"]
            self.assertGreater(k2, k1, key)
        self.assertIn("make bench-baseline", self.real["regenerate"])

    def test_equal_passes(self):
        status, out = self.run_check(self.real, self.real)
        self.assertEqual(status, 0, out)
        self.assertIn("bench-check passed", out)
        for key in self.keys:
            self.assertTrue(self.verdict_of(out, key).startswith("ok"), out)

    def test_a_baseline_ten_percent_lower_fails_on_every_row(self):
        status, out = self.run_check(scaled(self.real, 1 / 1.10), self.real)
        self.assertEqual(status, 1, out)
        for key in self.keys:
            self.assertTrue(self.verdict_of(out, key).startswith("REGRESSION: +10.0%"), out)

    def test_one_row_ten_percent_worse_fails_and_names_only_it(self):
        worse = self.keys[len(self.keys) // 2]
        status, out = self.run_check(self.real, scaled(self.real, 1.10, only=worse))
        self.assertEqual(status, 1, out)
        self.assertTrue(self.verdict_of(out, worse).startswith("REGRESSION"), out)
        for key in self.keys:
            if key != worse:
                self.assertTrue(self.verdict_of(out, key).startswith("ok"), out)
        self.assertIn("bench-check FAILED", out)

    def test_within_the_tolerance_passes(self):
        status, out = self.run_check(self.real, scaled(self.real, 1.04))
        self.assertEqual(status, 0, out)

    def test_just_over_the_tolerance_fails(self):
        status, out = self.run_check(self.real, scaled(self.real, 1.06, only=self.keys[0]))
        self.assertEqual(status, 1, out)

    def test_cheaper_passes_and_suggests_a_new_baseline(self):
        status, out = self.run_check(self.real, scaled(self.real, 0.80))
        self.assertEqual(status, 0, out)
        self.assertIn("cheaper", out)
        self.assertIn("make bench-baseline", out)

    def test_a_renamed_benchmark_fails_and_says_which(self):
        renamed = copy.deepcopy(self.real)
        gone = self.keys[0]
        renamed["rows"][gone + "_renamed"] = renamed["rows"].pop(gone)
        status, out = self.run_check(self.real, renamed)
        self.assertEqual(status, 1, out)
        self.assertTrue(self.verdict_of(out, gone).startswith("MISSING"), out)
        self.assertIn("%s: in the baseline, not in the binaries" % gone, out)
        self.assertIn(gone + "_renamed is not in the baseline", out)

    def test_a_row_that_failed_under_callgrind_fails(self):
        broken = copy.deepcopy(self.real)
        key = self.keys[-1]
        broken["rows"][key] = {"binary": broken["rows"][key]["binary"], "failed": "failed or hung under callgrind"}
        status, out = self.run_check(self.real, broken)
        self.assertEqual(status, 1, out)
        self.assertTrue(self.verdict_of(out, key).startswith("FAILED"), out)

    def test_a_new_benchmark_alone_passes_with_a_note(self):
        grown = copy.deepcopy(self.real)
        grown["rows"]["W1_new_workload/futura"] = copy.deepcopy(grown["rows"][self.keys[0]])
        status, out = self.run_check(self.real, grown)
        self.assertEqual(status, 0, out)
        self.assertIn("W1_new_workload/futura is not in the baseline", out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: callgrind_check_test.py CALLGRIND_CHECK_PY BASELINE_JSON")
    SCRIPT, BASELINE = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=1)
