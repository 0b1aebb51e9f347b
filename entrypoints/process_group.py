"""Several copies of one command, kept alive together: ``seing worker --processes N``.

The web server has uvicorn's own supervisor for this; the job worker has none, so this small one
starts N processes, starts again any that dies (a crash, the OOM killer, ``kill -9``) and stops
them all on SIGTERM or SIGINT. Each child is a whole ``seing worker`` with its own database
connections: jobs are claimed under a lease in the database, never handed out from here.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

__all__ = ["ProcessGroup", "available_cores"]

from entrypoints.worker import install_stop_signals

log = logging.getLogger("seing.processes")


def available_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class ProcessGroup:
    def __init__(self, command: Sequence[str], count: int, *, restart_delay: float = 1.0,
                 stop_timeout: float = 30.0) -> None:
        if count < 1:
            raise ValueError("a process group needs at least one process")
        self._command = list(command)
        self._count = count
        self._restart_delay = restart_delay
        # A worker finishes the job in hand before leaving; a job longer than this is claimed
        # again by another worker when its lease runs out.
        self._stop_timeout = stop_timeout
        self.children: list[subprocess.Popen[bytes]] = []
        self.restarts = 0

    def run(self, stop: threading.Event | None = None) -> int:
        """Keep ``count`` processes running until ``stop`` is set or SIGTERM/SIGINT; 0 when all left cleanly."""
        stop = stop or threading.Event()
        previous = install_stop_signals(stop, log, "stopping the worker processes")
        try:
            self.children = [self._start(n) for n in range(self._count)]
            while not stop.wait(0.2):
                for n, child in enumerate(self.children):
                    if child.poll() is None:
                        continue
                    log.warning("worker process %d (pid %d) exited with %s; starting another",
                                n, child.pid, child.returncode)
                    # Not in a tight loop: a child that cannot start (bad configuration) fails each second.
                    if stop.wait(self._restart_delay):
                        break
                    self.children[n] = self._start(n)
                    self.restarts += 1
            return self._stop_all()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    def _start(self, n: int) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(self._command)
        log.info("worker process %d started (pid %d)", n, child.pid)
        return child

    def _stop_all(self) -> int:
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + self._stop_timeout
        status = 0
        for child in self.children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            # SIGTERM's own status is a clean stop for a child that had no time to install its handler.
            if child.returncode not in (0, -signal.SIGTERM):
                status = 1
        return status


