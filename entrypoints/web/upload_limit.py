"""Uploads: the limit enforced while the body arrives, and files spooled to disk as they arrive.

Litestar's ``request_max_body_size`` is fixed per route when the module is imported, so the
upload routes carried the ceiling of the setting (200 MB + 1 MB) whatever ``max_upload_mb``
said, and a 190 MB upload was read whole before its 413. This middleware applies the
configured limit to the routes marked ``opt={UPLOAD: True}`` (or the route's own, given as
``opt={UPLOAD: <bytes>}``): a declared ``Content-Length``
over it is refused before a byte of the body is read, and a body sent without one (chunked)
is counted as it streams and refused as soon as the count passes the limit. Nothing of the
refused body is kept. The 413 goes through the app's exception handlers: a French page for
the pages, problem details for the API.

A ``multipart/form-data`` body is parsed here, as it arrives, by the ``multipart`` push parser
(the one Litestar itself uses): each file part is written to a temporary file under the
scratch directory (``<data_dir>/scratch``) in chunks of at most 1 MiB, the other fields are
kept as text (at most ``FIELDS_LIMIT`` bytes in all). The parsed form goes where Litestar looks
for it first (the scope's form state), so the CSRF check and the handlers' ``data`` read it
without reading the body again; files come as ``SpooledUpload`` (a Litestar ``UploadFile``
that names its ``path`` and ``size``), and the use cases read them from disk. The temporary
files are removed once the response has been sent, whatever happened.

One request carries at most ``max_upload_mb`` of files, plus a margin for the multipart
envelope and the form's other fields.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import IO, Any

import anyio.to_thread
from litestar._multipart import parse_content_header
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException, HTTPException
from litestar.utils.scope.state import ScopeState
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

__all__ = ["FORM_DIGEST", "RAW_BODY", "sweep_stale_uploads", "SPOOLED_BODY", "UPLOAD", "ENVELOPE_MARGIN", "FIELDS_LIMIT", "SpooledUpload", "UploadLimit",
           "upload_body_limit", "upload_content"]

UPLOAD = "upload_limited"
# The scope key holding the SHA-256 of the spooled form (every part's name, file name, type and
# content, in order): what an idempotent POST compares instead of a body no longer in memory.
FORM_DIGEST = "seing.form_digest"
# ``opt={UPLOAD: …, RAW_BODY: True}``: a route whose body is the file itself (no multipart); the
# middleware spools it and leaves the ``SpooledUpload`` in the scope under SPOOLED_BODY.
RAW_BODY = "upload_raw_body"
SPOOLED_BODY = "seing.spooled_body"
ENVELOPE_MARGIN = 256 * 1024
FIELDS_LIMIT = 1024 * 1024  # the text fields of one form, in all
MAX_PARTS = 1000
WRITE_CHUNK = 1024 * 1024


STALE_UPLOAD_SECONDS = 24 * 3600


def sweep_stale_uploads(scratch_dir: Path, *, older_than_seconds: float = STALE_UPLOAD_SECONDS) -> int:
    """Remove what a killed process left of its uploads (a day old at least: another web process
    sharing the data directory may be receiving one now); how many were removed."""
    import time

    removed = 0
    limit = time.time() - older_than_seconds
    for path in Path(scratch_dir).glob("upload-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def upload_body_limit(max_upload_mb: int) -> int:
    return max_upload_mb * 1024 * 1024 + ENVELOPE_MARGIN


def _header(scope: Any, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return bytes(value)
    return None


def _content_length(scope: Any) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


class SpooledUpload(UploadFile):
    """A file part of a multipart body, written to disk as it arrived.

    ``file`` is the open temporary file (at its start once parsed), ``path`` names it, ``size``
    is its length. ``head`` and ``open`` read it again from disk (``ports.uploads.UploadedFile``).
    """

    __slots__ = ("path", "size")

    def __init__(self, *, content_type: str, filename: str, headers: dict[str, str], path: Path,
                 file: IO[bytes]) -> None:
        # Not UploadFile.__init__, which would open a SpooledTemporaryFile in memory.
        self.content_type = content_type
        self.filename = filename
        self.headers = headers
        self.file = file  # type: ignore[assignment]
        self.path = path
        self.size = 0

    def head(self, count: int) -> bytes:
        with self.path.open("rb") as handle:
            return handle.read(count)

    def open(self) -> IO[bytes]:
        return self.path.open("rb")


class _Spool:
    """One request's multipart body, parsed as its chunks arrive."""

    def __init__(self, boundary: bytes, scratch_dir: Path) -> None:
        self.parser = PushMultipartParser(boundary, max_segment_count=MAX_PARTS)
        self.scratch_dir = scratch_dir
        self.fields: defaultdict[str, list[Any]] = defaultdict(list)
        self.uploads: list[SpooledUpload] = []
        self.segment: MultipartSegment | None = None
        self.current: SpooledUpload | None = None
        self.text = bytearray()
        self.pending = bytearray()
        self.text_total = 0
        self.digest = hashlib.sha256()
        self.file_digest = hashlib.sha256()

    def _digest(self, *parts: bytes) -> None:
        for part in parts:
            self.digest.update(len(part).to_bytes(8, "big"))
            self.digest.update(part)

    async def feed(self, chunk: bytes) -> None:
        for part in self.parser.parse(chunk):
            if isinstance(part, MultipartSegment):
                self.segment = part
                self._digest(part.name.encode(), (part.filename or "").encode(), (part.content_type or "").encode())
                if part.filename:
                    self.current = self._open_file(part)
            elif part:
                if self.current is not None:
                    self.file_digest.update(part)
                    self.pending.extend(part)
                    if len(self.pending) >= WRITE_CHUNK:
                        await self._flush()
                else:
                    self.text_total += len(part)
                    if self.text_total > FIELDS_LIMIT:
                        raise HTTPException(status_code=413, detail=f"form fields over {FIELDS_LIMIT} bytes")
                    self.text.extend(part)
            else:
                await self._end_of_part()

    def _open_file(self, segment: MultipartSegment) -> SpooledUpload:
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", dir=self.scratch_dir)
        upload = SpooledUpload(content_type=segment.content_type or "application/octet-stream",
                               filename=segment.filename or "", headers=dict(segment.headerlist),
                               path=Path(name), file=os.fdopen(fd, "w+b"))
        self.uploads.append(upload)
        return upload

    async def _flush(self) -> None:
        if self.current is None or not self.pending:
            return
        data, self.pending = bytes(self.pending), bytearray()
        self.current.size += len(data)
        await anyio.to_thread.run_sync(self.current.file.write, data)

    async def _end_of_part(self) -> None:
        if self.segment is None:
            raise ClientException("Unexpected eof in multipart/form-data")
        if self.current is not None:
            await self._flush()
            file = self.current.file
            await anyio.to_thread.run_sync(file.flush)
            file.seek(0)
            self.fields[self.segment.name].append(self.current)
            self._digest(self.file_digest.digest())
            self.file_digest = hashlib.sha256()
        else:
            self._digest(bytes(self.text))
            self.fields[self.segment.name].append(self.text.decode(self.segment.charset or "utf-8", "replace"))
        self.segment, self.current, self.text = None, None, bytearray()

    def form(self) -> dict[str, Any]:
        return {name: values if len(values) > 1 else values[0] for name, values in self.fields.items()}

    def discard(self) -> None:
        for upload in self.uploads:
            try:
                upload.file.close()
            finally:
                upload.path.unlink(missing_ok=True)


class UploadLimit:
    """ASGI middleware; ``limit`` comes from the app's settings (``max_upload_mb``), the files of a
    multipart body go to ``scratch_dir``."""

    def __init__(self, app: Any, limit: int, scratch_dir: Path | None = None) -> None:
        self.app = app
        self.limit = limit
        self.scratch_dir = Path(scratch_dir) if scratch_dir is not None else Path(tempfile.gettempdir())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        handler = scope.get("route_handler")
        marked = (getattr(handler, "opt", None) or {}).get(UPLOAD) if scope["type"] == "http" else None
        if not marked:
            await self.app(scope, receive, send)
            return
        # ``opt={UPLOAD: True}``: the setting's limit; a number: that route's own (the verifier's).
        limit = marked if isinstance(marked, int) and not isinstance(marked, bool) else self.limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
        received = 0

        async def counted_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
            return message

        content_type, options = parse_content_header((_header(scope, b"content-type") or b"").decode("latin-1"))
        boundary = options.get("boundary")
        if content_type != "multipart/form-data" or not boundary:
            if handler.opt.get(RAW_BODY) and content_type != "multipart/form-data":
                await self._spool_raw_body(scope, counted_receive, receive, send, content_type)
                return
            await self.app(scope, counted_receive, send)
            return
        spool = _Spool(boundary.encode("latin-1"), self.scratch_dir)
        try:
            await self._read(spool, counted_receive)
            ScopeState.from_scope(scope).form = spool.form()
            scope[FORM_DIGEST] = spool.digest.hexdigest()
            await self.app(scope, _after_the_body(receive), send)
        finally:
            spool.discard()

    async def _spool_raw_body(self, scope: Any, counted_receive: Any, receive: Any, send: Any,
                              content_type: str) -> None:
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", dir=self.scratch_dir)
        upload = SpooledUpload(content_type=content_type, filename="", headers={}, path=Path(name),
                               file=os.fdopen(fd, "w+b"))
        try:
            pending = bytearray()
            while True:
                message = await counted_receive()
                if message["type"] == "http.disconnect":
                    raise ClientException("client disconnected before the end of the body")
                pending.extend(message.get("body", b""))
                more = message.get("more_body", False)
                if len(pending) >= WRITE_CHUNK or (pending and not more):
                    data, pending = bytes(pending), bytearray()
                    upload.size += len(data)
                    await anyio.to_thread.run_sync(upload.file.write, data)
                if not more:
                    break
            await anyio.to_thread.run_sync(upload.file.flush)
            upload.file.seek(0)
            scope[SPOOLED_BODY] = upload
            await self.app(scope, _after_the_body(receive), send)
        finally:
            try:
                upload.file.close()
            finally:
                upload.path.unlink(missing_ok=True)

    @staticmethod
    async def _read(spool: _Spool, receive: Any) -> None:
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientException("client disconnected before the end of the body")
                body = message.get("body", b"")
                if body:
                    await spool.feed(body)
                if not message.get("more_body", False):
                    break
            if not spool.parser.closed:
                await spool.feed(b"")  # the end: a body cut short is a parser error
            if not spool.parser.closed:
                raise ClientException("Invalid multipart/form-data")
        except ParserError as exc:
            raise ClientException("Invalid multipart/form-data") from exc
        except ParserLimitReached as exc:
            raise HTTPException(status_code=413, detail="too many parts in the form") from exc


def upload_content(upload: UploadFile) -> bytes | SpooledUpload:
    """What a use case takes for an uploaded file: the spooled file itself (read from disk, never
    whole in the web process), or the bytes of an ``UploadFile`` that did not come through the
    middleware (a route without the ``UPLOAD`` opt; small files only)."""
    if isinstance(upload, SpooledUpload):
        return upload
    upload.file.seek(0)
    return upload.file.read()


def _after_the_body(receive: Any) -> Any:
    """The body has been read: an empty last chunk, then the connection's own messages
    (a disconnect, for handlers that watch for one)."""
    given = False

    async def empty_receive() -> Any:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return empty_receive
