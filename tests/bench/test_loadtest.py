"""`make loadtest` once on tiny inputs: not timed, it proves the tool runs end to end (servers
started and stopped, wrk parsed, signatures made and completed by the worker, table printed)."""

from __future__ import annotations

import shutil

import pytest

from bench import loadtest
from tests.conftest import require_service


@pytest.mark.processes
@pytest.mark.timeout(900)
def test_the_loadtest_runs_on_tiny_inputs_and_prints_its_table_with_the_baselines(capsys):
    require_service(shutil.which("wrk") is not None, "wrk (Debian package wrk)")
    blocks = list(loadtest.run(["--tiny", "--web-workers", "1,2"]))
    table = blocks[1]
    print("\n".join(blocks))  # noqa: T201
    for row in ("signer page GET /signature/{token}", "baseline: bare Litestar endpoint",
                "level-2 signatures end to end (1 web", "level-2 signatures end to end (2 web"):
        assert row in table, table
    lines = {line.split("  ")[0]: line for line in table.splitlines()}
    measured = [line for name, line in lines.items()
                if name.startswith(("level-2 signatures", "signer page", "baseline"))]
    # Every page view and signature answered 2xx (at least one page finished), and every collection
    # of the tiny run completed with an empty queue.
    assert len(measured) == 4 and all(line.rstrip().endswith(" 0") for line in measured), table
