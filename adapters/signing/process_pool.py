"""``PdfSigning`` whose signatures run in a pool of worker processes.

A signature is CPU work (PDF writing, hashing, the key operation) that holds the GIL for
milliseconds to seconds: done in a web process, it stalls every request that process serves.
Here the file operations run in a ``ProcessPoolExecutor``, each worker holding its own signing
adapter built once by ``factory`` (keys parsed, certificates and validation results cached
there, as in a single process). Only paths and small requests cross the pipe, never a
document: the stored-document operations copy to a temporary file in the calling process
(``adapters.stored_files``), the worker signs file to file, the caller puts the result back.

The intake's dry run (``check_signable``) stays with ``local``, the caller's adapter, which
runs it in its own bounded pool for untrusted files; so does a signature by a remote key
(``SigningIdentity.remote``, a CSC session of this process that cannot cross the pipe).
"""

from __future__ import annotations

import builtins
import importlib
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Sequence

from adapters.stored_files import ResultDigests, StoredDocumentOperations
from domain.model.archive import TimestampFacts
from domain.model.errors import SigningFailed
from ports.pdf_signing import PdfSigning, PreparedSignature, SignatureField, SignaturePage, SignatureRequest
from ports.remote_signing import BatchDigestSigner

__all__ = ["ProcessPoolPdfSigning"]

_worker_signing: Any = None


def _start_worker(factory: Callable[[], PdfSigning], owner: int) -> None:
    global _worker_signing
    _exit_with(owner)
    _worker_signing = factory()


def _exit_with(owner: int) -> None:
    """End this worker when the process that owns the pool ends, however it ends.

    A pool shut down by its owner stops its workers, but an owner killed by SIGKILL (or the
    OOM killer) cannot: its workers wait on their task queue, whose write end each holds
    itself, so they never see an end of file; they and the fork server (kept alive by its
    children) stay for good, each with pyHanko loaded, one set per killed web or job process.
    """

    def watch() -> None:
        try:
            handle = os.pidfd_open(owner)
        except ProcessLookupError:
            os._exit(0)  # gone already
        except OSError:  # no pidfd (old kernel): ask every second
            while _alive(owner):
                time.sleep(1)
            os._exit(0)
        select.select([handle], [], [])  # readable once the owner has exited
        os._exit(0)

    threading.Thread(target=watch, name="seing-signing-owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _call_in_worker(method: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Run one file operation; errors come back as data, since a domain error's keyword
    arguments do not survive pickling as an exception."""
    try:
        return ("ok", getattr(_worker_signing, method)(*args))
    except Exception as exc:  # noqa: BLE001 - rebuilt in the caller, typed
        return ("error", type(exc).__module__, type(exc).__qualname__, exc.args, dict(vars(exc)))


def _rebuild(module: str, qualname: str, args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    try:
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        exc = cls.__new__(cls)
        exc.args = args
        exc.__dict__.update(state)
        return exc  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a class we cannot rebuild: its text still tells
        return builtins.RuntimeError(f"{qualname}: {args}")


class ProcessPoolPdfSigning(StoredDocumentOperations):
    """Args:
        factory: a picklable callable building the signing adapter in each worker.
        local: the adapter for the intake's dry run, in this process (it isolates it itself).
        workers: the pool's size (the signatures in flight at once).
        scratch_dir: where the temporary files of the stored-document operations go.
        start_method: how workers start; ``fork`` only where no thread runs yet (tests).
    """

    def __init__(self, *, factory: Callable[[], PdfSigning], local: PdfSigning, workers: int,
                 scratch_dir: Path | None = None, start_method: str = "forkserver") -> None:
        if workers < 1:
            raise ValueError("a signing pool needs at least one worker")
        self.scratch_dir = scratch_dir
        self._factory = factory
        self._local = local
        self._workers = workers
        self._start_method = start_method
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # forkserver: forking a threaded web server would copy its locks in unknown states.
                self._executor = ProcessPoolExecutor(max_workers=self._workers,
                                                     mp_context=multiprocessing.get_context(self._start_method),
                                                     initializer=_start_worker,
                                                     initargs=(self._factory, os.getpid()))
            return self._executor

    def _call(self, method: str, *args: Any) -> Any:
        pool = self._pool()
        try:
            reply = pool.submit(_call_in_worker, method, args).result()
        except BrokenProcessPool as exc:
            # A worker died (killed, out of memory): the next call starts a fresh pool.
            with self._lock:
                if self._executor is pool:
                    self._executor = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise SigningFailed(f"the signing worker died: {exc}") from exc
        if reply[0] == "ok":
            return reply[1]
        raise _rebuild(*reply[1:])

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    # -- PdfSigning: files, in a worker -------------------------------------------------

    def sign_file(self, source: Path, destination: Path, request: SignatureRequest) -> None:
        if request.identity.remote is not None:
            # A remote key (a QTSP's CSC session) lives in this process and spends most of the
            # signature waiting on the network, not on the CPU: signed here, by the local adapter.
            self._local.sign_file(source, destination, request)
            return
        self._call("sign_file", Path(source), Path(destination), request)

    def sign_file_digested(self, source: Path, destination: Path, request: SignatureRequest,
                           checkpoints: Sequence[int]) -> ResultDigests | None:
        if request.identity.remote is not None:
            return self._local.sign_file_digested(source, destination, request, checkpoints)
        return self._call("sign_file_digested", Path(source), Path(destination), request, tuple(checkpoints))

    def sign_files_together(self, items: Sequence[tuple[Path, Path, SignatureRequest]],
                            signer: BatchDigestSigner) -> None:
        # A remote key's batch (its CSC session) lives in this process: signed here too.
        self._local.sign_files_together(items, signer)

    def prepare_files(self, items: Sequence[tuple[Path, Path, SignatureRequest]]) -> list[PreparedSignature]:
        # Half of a remote key's signature, its other half after the signer's consent: both here.
        return self._local.prepare_files(items)  # type: ignore[attr-defined, no-any-return]

    def finish_files(self, items: Sequence[tuple[Path, Path, PreparedSignature, SignatureRequest, bytes]]) -> None:
        self._local.finish_files(items)  # type: ignore[attr-defined]

    def timestamp_file(self, source: Path, destination: Path) -> None:
        self._call("timestamp_file", Path(source), Path(destination))

    def timestamp_file_digested(self, source: Path, destination: Path,
                                checkpoints: Sequence[int]) -> ResultDigests | None:
        return self._call("timestamp_file_digested", Path(source), Path(destination), tuple(checkpoints))

    def create_fields_file(self, source: Path, destination: Path, fields: Sequence[SignatureField]) -> None:
        self._call("create_fields_file", Path(source), Path(destination), tuple(fields))

    def append_signature_page_file(self, source: Path, destination: Path, page: SignaturePage) -> None:
        self._call("append_signature_page_file", Path(source), Path(destination), page)

    def last_document_timestamp_file(self, path: Path) -> TimestampFacts | None:
        return self._call("last_document_timestamp_file", Path(path))  # type: ignore[no-any-return]

    # -- the intake's dry run, here --------------------------------------------------------

    def check_signable(self, pdf: bytes) -> None:
        self._local.check_signable(pdf)

    def check_signable_file(self, path: Path) -> None:
        self._local.check_signable_file(path)
