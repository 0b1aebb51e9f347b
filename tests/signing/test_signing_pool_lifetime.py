"""The signing pool's workers end with the process that owns them, even one killed by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.child_env import ROOT, python_child_env

# A web or job process in miniature: a signing pool started the production way (forkserver), the
# pids of its worker and of the fork server printed, then nothing until it is killed.
OWNER = """
import os, sys, time
from adapters.signing.process_pool import ProcessPoolPdfSigning
pool = ProcessPoolPdfSigning(factory=object, local=None, workers=2)
workers = {pool._pool().submit(os.getpid).result() for _ in range(8)}
print(" ".join(map(str, workers)), flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child waits for its parent to read its status)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.timeout(180)
def test_signing_workers_and_their_fork_server_exit_when_their_owner_is_killed():
    owner = subprocess.Popen([sys.executable, "-c", OWNER], cwd=ROOT, stdout=subprocess.PIPE,
                             env=python_child_env())
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers, "the pool started no worker"
        fork_servers = {_parent(pid) for pid in workers}
        assert all(_running(pid) for pid in [*workers, *fork_servers])
    finally:
        owner.send_signal(signal.SIGKILL)  # no handler runs, the pool is never shut down
        owner.wait()
    # Exiting is immediate once the owner is gone; the bound only stops a failing run.
    bound = time.monotonic() + 60
    while time.monotonic() < bound and any(_running(pid) for pid in [*workers, *fork_servers]):
        time.sleep(0.1)
    left = [pid for pid in [*workers, *fork_servers] if _running(pid)]
    for pid in left:  # a failing run does not leave them behind either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"still running after their owner was killed: {left}"
