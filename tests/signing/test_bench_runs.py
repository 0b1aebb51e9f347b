"""`make bench` is not a timed test; this proves once, on tiny inputs, that it still runs the
product's signing path end to end and prints its table and verdicts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.child_env import ROOT, python_child_env


@pytest.mark.timeout(900)  # a few seconds on a quiet machine; minutes on a crowded one
def test_the_signing_benchmark_runs_on_tiny_inputs():
    # In a process of its own, as `make bench` runs it: its memory cases collect garbage and trace
    # allocations, which in a test process holding every earlier test's objects took 10-30 s
    # instead of 3 (CI's slowest tests).
    out = subprocess.run([sys.executable, "-m", "bench.bench_signing", "--tiny"], cwd=ROOT, env=python_child_env(),
                         capture_output=True, text=True, timeout=840, check=True).stdout
    for case in ("floor", "raw B-B", "file B-B", "stored B-B", "stored B-T", "stored B-LT"):
        assert f" {case} " in out, case
    assert "target 1-page ECDSA B-B <= 2 ms" in out
    assert "scanned PDF" in out and "target peak RSS growth" in out
