"""A small pool of worker processes with bounded memory and time, for reading untrusted files.

An uploaded PDF can be a decompression bomb (1.5 MB inflating to 1.5 GiB), a page tree of
millions of nodes or a reference loop; PDFium and pyHanko then take gigabytes and seconds in
whatever process reads it. So the readers run here, in separate processes, each with an
address-space limit (``RLIMIT_AS``: allocation fails, the reader sees ``MemoryError`` or
dies), a CPU budget per call (``RLIMIT_CPU``: the kernel kills a runaway loop) and a
wall-clock timeout watched by the caller (kills the worker). A worker that died or was killed
is replaced on the next call; the caller gets ``LimitExceeded`` and refuses the file.

Workers are long-lived and forked from multiprocessing's fork server, a clean single-threaded
process that imported PDFium and pyHanko once (``preload``): forking the threaded web server
itself would copy locks in unknown states, and spawning a fresh interpreter per worker costs
seconds, paid again each time a killed worker is replaced. The fork server is per process,
so the first pool's ``preload`` is the one it keeps. PDFium is not
thread-safe, but each worker is single-threaded, so there is no process-wide lock any more:
N workers read N files at once, and the web process never runs PDFium itself.

This module knows nothing about PDFs: it calls a picklable module-level function with
picklable arguments. It is shared by the PDF and signing adapter families.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import resource
import sys
import threading
import time
import types
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["BoundedProcessPool", "LimitExceeded"]

_CONTEXT = multiprocessing.get_context("forkserver")
_START_TIMEOUT = 120


class LimitExceeded(Exception):
    """The call ran out of memory or time, or crashed its worker; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _set_cpu_budget(seconds: int) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = spent + seconds
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))


def _serve(conn: Connection, memory_bytes: int, cpu_seconds: int, preload: tuple[str, ...]) -> None:
    for module in preload:  # before the limit: importing the libraries is not the file's cost
        importlib.import_module(module)
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        module, name, args = job
        _set_cpu_budget(cpu_seconds)
        try:
            fn = getattr(importlib.import_module(module), name)
            reply: tuple[Any, ...] = ("ok", fn(*args))
        except MemoryError:
            reply = ("limit", "memory")
        except RecursionError:
            reply = ("limit", "recursion")
        except Exception as exc:  # noqa: BLE001 - handed back to the caller, typed
            reply = ("error", type(exc).__module__, type(exc).__qualname__, exc.args, dict(vars(exc)))
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("limit", "memory"))
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or error
            conn.send(("error", "builtins", "RuntimeError", (f"{type(exc).__name__}: {exc}",), {}))


def _rebuild(module: str, qualname: str, args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    try:
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        exc = cls.__new__(cls)  # type: ignore[call-overload]
        exc.args = args
        exc.__dict__.update(state)
        return exc  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{qualname}: {args}")


def _main_module() -> list[str]:
    """The parent's main module, for the fork server to import along with the preload.

    Each process forked from the fork server runs the parent's main module again before its
    target (multiprocessing's ``prepare``): ``seing serve`` started as a script or with ``-m``
    made every worker import the CLI and what it imports, about 0.5 s of CPU per worker, paid
    again by each replacement. Imported once in the fork server, it is found already loaded.
    """
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name:  # ``python -m package.module``; ``-m package`` runs ``package.__main__``, which is skipped
        return [] if name == "__main__" or name.endswith(".__main__") else [name]
    if not getattr(main, "__file__", None):
        return []  # ``python -c``, an interactive session: nothing is run again
    # A script, such as the ``seing`` console script: each child runs it again, which is cheap once
    # what it imported (the CLI) is loaded. Python 3.11's fork server cannot import the script itself.
    names = {value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
             for value in vars(main).values()}
    return sorted(name for name in names if isinstance(name, str) and name not in ("__main__", "builtins"))


class _Worker:
    def __init__(self, memory_bytes: int, cpu_seconds: int, preload: tuple[str, ...]) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, memory_bytes, cpu_seconds, preload),
                                        daemon=True, name="seing-pdf-worker")
        self.process.start()
        child.close()
        # The start (an interpreter, then PDFium and pyHanko) is not counted in a call's time.
        if not self.conn.poll(_START_TIMEOUT) or self.conn.recv() != "ready":
            self.kill()
            raise RuntimeError("a PDF worker did not start")

    def kill(self) -> None:
        if self.process.pid is not None and self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class BoundedProcessPool:
    """``call(fn, *args)`` runs ``fn`` in a worker; at most ``workers`` calls at once, the others wait.

    ``memory_mb``: the address-space limit of each worker (what it may map, libraries included).
    ``cpu_seconds``: the CPU one call may use. ``timeout_seconds``: the wall-clock time one call
    may take (waiting for a free worker not counted).
    """

    def __init__(self, *, workers: int = 2, memory_mb: int = 1024, cpu_seconds: int = 20,
                 timeout_seconds: float = 30.0, preload: tuple[str, ...] = ()) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self._memory = memory_mb * 1024 * 1024
        self._cpu = max(1, int(cpu_seconds))
        self._timeout = timeout_seconds
        self._preload = tuple(preload)
        self._idle: list[_Worker] = []
        self._free = threading.Semaphore(workers)
        self._lock = threading.Lock()
        self._closed = False
        self._owner = os.getpid()
        if self._preload:
            _CONTEXT.set_forkserver_preload([*_main_module(), *self._preload])

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.kill()
        return _Worker(self._memory, self._cpu, self._preload)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.kill()
            else:
                self._idle.append(worker)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._closed:
            raise RuntimeError("the pool is closed")
        with self._free:
            worker = self._take()
            started = time.monotonic()
            try:
                worker.conn.send((fn.__module__, fn.__qualname__, args))
                if not worker.conn.poll(self._timeout):
                    raise LimitExceeded(f"time: over {self._timeout:g} s")
                reply = worker.conn.recv()
            except LimitExceeded:
                worker.kill()
                raise
            except (EOFError, OSError, BrokenPipeError) as exc:
                worker.kill()
                # Killed by RLIMIT_CPU (SIGXCPU), by the kernel's OOM killer, or a crash inside PDFium.
                raise LimitExceeded(f"worker died ({worker.process.exitcode}) after "
                                    f"{time.monotonic() - started:.1f} s") from exc
            except BaseException:
                worker.kill()
                raise
            self._give_back(worker)
        kind = reply[0]
        if kind == "ok":
            return reply[1]
        if kind == "limit":
            raise LimitExceeded(reply[1])
        raise _rebuild(*reply[1:])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        if os.getpid() == self._owner:
            for worker in idle:
                worker.kill()
