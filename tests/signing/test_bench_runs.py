"""`make bench` is not a timed test; this proves once, on tiny inputs, that it still runs the
product's signing path end to end and prints its table and verdicts."""

from __future__ import annotations

import pytest

from bench import bench_signing


@pytest.mark.timeout(900)  # a few seconds on a quiet machine; minutes on a crowded one
def test_the_signing_benchmark_runs_on_tiny_inputs(capsys):
    bench_signing.main(["--tiny"])
    out = capsys.readouterr().out
    for case in ("floor", "raw B-B", "file B-B", "stored B-B", "stored B-T", "stored B-LT"):
        assert f" {case} " in out, case
    assert "target 1-page ECDSA B-B <= 2 ms" in out
    assert "scanned PDF" in out and "target peak RSS growth" in out
