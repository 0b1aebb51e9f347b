"""The worker: runs the jobs use cases enqueued (notifications now, reminders and deadlines later).

Delivery is at least once: a job whose worker dies is claimed again when its lease runs
out, so handlers must tolerate running twice.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import FrameType

from domain.model.jobs import Job
from ports.clock import Clock
from ports.jobs import JobStore

__all__ = ["FailureHandler", "Handler", "PermanentJobError", "RetryAt", "Worker", "exponential_backoff"]

log = logging.getLogger("seing.worker")

Handler = Callable[[Job], None]
# Called once a job of its kind has failed for good (refused at once, or out of retries), with
# the last error (None when no handler ran): the job's own use cases decide what it means.
FailureHandler = Callable[[Job, "BaseException | None"], None]

_MAX_ERROR_LENGTH = 2000


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (unknown template, malformed payload)."""


class RetryAt(Exception):
    """Raised by a handler that keeps its own retry schedule (webhook deliveries retry for 24
    hours): the job runs again at ``retry_at``, outside the worker's attempt limit."""

    def __init__(self, retry_at: datetime, reason: str = "") -> None:
        super().__init__(reason or f"retry at {retry_at.isoformat()}")
        self.retry_at = retry_at


def exponential_backoff(attempt: int, *, base: timedelta = timedelta(seconds=30),
                        cap: timedelta = timedelta(hours=1)) -> timedelta:
    """Delay before retrying after the ``attempt``-th failure (1-based): 30 s, 1 min, 2 min… 1 h.

    No jitter: the schedule is predictable for tests and operators; workers already
    spread their load through the lease.
    """
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    # Cap the exponent first so a large attempt count cannot overflow timedelta.
    exponent = min(attempt - 1, 32)
    return min(base * 2**exponent, cap)


class Worker:
    def __init__(self, job_store: JobStore, handlers: Mapping[str, Handler], clock: Clock, *,
                 batch: int = 20, lease_seconds: int = 60, max_attempts: int = 8,
                 backoff: Callable[[int], timedelta] = exponential_backoff,
                 periodic: Mapping[str, tuple[timedelta, Callable[[], object]]] | None = None,
                 on_failure: Mapping[str, FailureHandler] | None = None) -> None:
        if batch < 1 or lease_seconds < 1 or max_attempts < 1:
            raise ValueError("batch, lease_seconds and max_attempts must be positive")
        self._jobs = job_store
        self._handlers = dict(handlers)
        self._clock = clock
        self._batch = batch
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._on_failure = dict(on_failure or {})
        self._stopping = threading.Event()
        # Periodic tasks (reminders, deadlines, retention) decide from the clock what is due;
        # running one twice is harmless, so their schedule is kept in memory.
        self._periodic = {name: (interval, task) for name, (interval, task) in (periodic or {}).items()}
        self._next_run: dict[str, datetime] = {}

    def run_periodic(self) -> list[str]:
        """Run the periodic tasks that are due; return their names."""
        ran = []
        for name, (interval, task) in self._periodic.items():
            now = self._clock.now()
            if now < self._next_run.get(name, now):
                continue
            self._next_run[name] = now + interval
            try:
                task()
            except Exception:  # one failing task must not stop the worker or the others
                log.exception("periodic task %s failed; next try in %s", name, interval)
            ran.append(name)
        return ran

    def run_once(self) -> int:
        """Claim the due jobs and run them; return how many were claimed."""
        jobs = self._jobs.claim(now=self._clock.now(), limit=self._batch, lease_seconds=self._lease_seconds)
        for job in jobs:
            if self._stopping.is_set():
                # Unstarted jobs keep their lease and are picked up again when it runs out.
                break
            self._run(job)
        return len(jobs)

    def run_forever(self, stop_event: threading.Event | None = None, poll_interval: float = 1.0) -> None:
        """Run until ``stop_event`` is set or the process gets SIGTERM/SIGINT.

        The job in progress is finished before returning; signal handlers are installed
        only from the main thread (Python allows no other) and restored on the way out.
        """
        stop = stop_event or threading.Event()
        self._stopping = stop
        previous = install_stop_signals(stop, log, "stopping after the current job")
        log.info("worker started")
        try:
            while not stop.is_set():
                self.run_periodic()
                try:
                    claimed = self.run_once()
                except Exception:  # the job store may be briefly unreachable: keep the worker alive
                    log.exception("worker cycle failed; retrying after %s s", poll_interval)
                    claimed = 0
                # Sleep only once a claim comes back empty: the jobs just run often enqueued the next
                # step of their chain (a completion, then its seal, then its emails), and a worker that
                # slept after each short batch left that chain idle a poll interval per step.
                if not claimed:
                    stop.wait(poll_interval)
        finally:
            # A later run_once() must not inherit the stop request.
            self._stopping = threading.Event()
            for signum, handler in previous.items():
                # None: the old handler was not set from Python; the default is the closest.
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
            log.info("worker stopped")

    # -------------------------------------------------------------------------------

    def _run(self, job: Job) -> None:
        attempt = job.attempts + 1  # the store counts finished attempts
        handler = self._handlers.get(job.spec.kind)
        if handler is None:
            self._give_up(job, f"no handler for job kind {job.spec.kind!r}", None)
            return
        try:
            handler(job)
        except PermanentJobError as exc:
            self._give_up(job, _describe(exc), exc)
            return
        except RetryAt as exc:
            log.info("job %s (%s) will run again at %s: %s", job.id, job.spec.kind, exc.retry_at.isoformat(), exc)
            self._jobs.fail(job.id, error=_describe(exc), now=self._clock.now(), retry_at=exc.retry_at)
            return
        except Exception as exc:
            error = _describe(exc)
            if attempt >= self._max_attempts:
                self._give_up(job, f"attempt {attempt}/{self._max_attempts}: {error}", exc)
                return
            retry_at = self._clock.now() + self._backoff(attempt)
            log.warning("job %s (%s) failed, attempt %d/%d, retry at %s: %s",
                        job.id, job.spec.kind, attempt, self._max_attempts, retry_at.isoformat(), error)
            self._jobs.fail(job.id, error=error, now=self._clock.now(), retry_at=retry_at)
            return
        self._jobs.complete(job.id, now=self._clock.now())
        log.info("job %s (%s) done", job.id, job.spec.kind)

    def _give_up(self, job: Job, error: str, exc: BaseException | None) -> None:
        log.error("job %s (%s) failed for good: %s", job.id, job.spec.kind, error)
        self._jobs.fail(job.id, error=error[:_MAX_ERROR_LENGTH], now=self._clock.now(), retry_at=None)
        on_failure = self._on_failure.get(job.spec.kind)
        if on_failure is None:
            return
        try:
            on_failure(job, exc)
        except Exception:  # the job is failed either way; telling about it must not stop the worker
            log.exception("job %s (%s): recording its failure failed", job.id, job.spec.kind)



def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_LENGTH]


def install_stop_signals(stop: threading.Event, logger: logging.Logger, doing: str) -> dict[int, object]:
    """SIGTERM and SIGINT set ``stop`` (logged as ``doing``); returns the handlers they replaced.
    Only the main thread may install handlers: elsewhere (tests) nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s, %s", signal.Signals(signum).name, doing)
        stop.set()

    previous: dict[int, object] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, request_stop)
    return previous
