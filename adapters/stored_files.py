"""Work on a stored document through files: document store → local file → new file → store.

The one path every PDF operation of the product takes (signing, document timestamps, fields),
so that neither the original nor the result is ever whole in memory: pyHanko needs a seekable
local file to read, and the result goes back to the store as a file. Each pass over the bytes
costs as much as the signature's own hashing, so there are as few as can be: the store lends
the document (the stored file itself on disk, a copy only from S3 or memory), the result is
hashed once (its name, and the check that it extends the stored bytes), and the store takes the
finished file over (a rename on disk, no copy). Shared by every ``PdfSigning`` adapter (the real one, its process-pool
wrapper): each implements the ``*_file`` operations, this mixin gives them the stored-document ones.

A signature of a large file hashes its original revision already, as written into the result
(adapters/shared/pdf_prefix_digest.py): the signing adapter then hands over the result's SHA-256
and its digests at the offsets ``store_result`` checks (``ResultDigests``), computed from the
bytes it wrote and read back, and the result is not read again (on a 10 MB file, a pass as long
as the signature's own hashing).
"""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Sequence

from attrs import evolve, frozen

from domain.model.archive import TimestampFacts
from domain.model.document import DocumentRef
from domain.model.errors import DocumentCorrupted
from ports.documents import DocumentStore, check_stored_file
from ports.pdf_signing import PreparedSignature, SignatureField, SignaturePage, SignatureRequest
from ports.remote_signing import BatchDigestSigner

__all__ = ["ResultDigests", "StoredDocumentOperations", "store_result"]

_CHUNK = 1 << 20


@frozen
class ResultDigests:
    """A result file's SHA-256 and size, and the SHA-256 of its first bytes up to some offsets, as
    the adapter that wrote it computed them from what it wrote: what ``store_result`` would
    otherwise read the file again for."""

    size: int
    sha256: str
    prefixes: tuple[tuple[int, str], ...]


def _known(known: ResultDigests | None, out: Path, checkpoints: Sequence[tuple[int, str]]
           ) -> tuple[DocumentRef, dict[tuple[int, str], bool]] | None:
    if known is None or out.stat().st_size != known.size:
        return None
    prefixes = dict(known.prefixes)
    if any(length not in prefixes for length, _ in checkpoints):
        return None  # not all computed: read as usual
    return (DocumentRef(sha256=known.sha256, size=known.size),
            {point: prefixes[point[0]] == point[1] for point in checkpoints})


def store_result(store: DocumentStore, out: Path, source: Path, sha256: str,
                 extends: DocumentRef | None = None, known: ResultDigests | None = None) -> DocumentRef:
    """Put ``out``, made from ``source`` (the stored document ``sha256``), into the store, reading
    it once: its SHA-256 names it, and the state of that hash after the source's length checks
    that the result begins with the stored document's exact bytes (every operation here is an
    incremental update). So the bytes signed are checked, not only the file lent, and neither
    the source nor the result is hashed twice. A result that does not begin with them (a
    damaged source, or an operation that rewrote the file) has the source checked on its own:
    DocumentCorrupted if the stored bytes are not what their name says.

    ``extends``: an earlier version the result must also begin with (a ceremony's approved
    version, which later signatures only extend), checked at its length in the same pass rather
    than by reading the stored document again; DocumentCorrupted, nothing stored, if not.

    ``known``: the digests the adapter that wrote ``out`` computed (``ResultDigests``); used instead
    of reading ``out`` when they cover its size and every offset checked."""
    def name_and_check() -> DocumentRef:
        prefix = source.stat().st_size
        # Offsets where the hash state is compared, in order: (length, expected SHA-256).
        checkpoints = sorted({(prefix, sha256)} | ({(extends.size, extends.sha256)} if extends else set()))
        handed = _known(known, out, checkpoints)
        if handed is not None:
            return _checked(*handed, source, sha256, prefix, extends)
        digest, size = hashlib.sha256(), 0
        matched = {point: point[0] == 0 and hashlib.sha256().hexdigest() == point[1] for point in checkpoints}
        pending = [point for point in checkpoints if point[0] > 0]
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        with open(out, "rb", buffering=0) as result:
            while read := result.readinto(view[:min(_CHUNK, pending[0][0] - size)] if pending else view):
                digest.update(view[:read])
                size += read
                while pending and size == pending[0][0]:
                    matched[pending[0]] = digest.copy().hexdigest() == pending[0][1]
                    pending.pop(0)
        return _checked(DocumentRef(sha256=digest.hexdigest(), size=size), matched, source, sha256, prefix, extends)

    # Called by the store, which may fsync the file meanwhile; it stores nothing if this raises.
    return store.put_file(out, name_and_check)


def _checked(ref: DocumentRef, matched: dict[tuple[int, str], bool], source: Path, sha256: str, prefix: int,
             extends: DocumentRef | None) -> DocumentRef:
    if not matched[(prefix, sha256)]:
        check_stored_file(source, sha256)
    if extends is not None and not matched[(extends.size, extends.sha256)]:
        raise DocumentCorrupted("the signed document does not extend the approved version",
                                sha256=sha256, approved=extends.sha256)
    return ref


class StoredDocumentOperations:
    """The stored-document operations of ``PdfSigning`` on top of its ``*_file`` ones.

    ``scratch_dir``: where the temporary files go (None: the system's temporary directory). Each
    operation gets a fresh directory there, removed when it ends, whatever happens.
    """

    scratch_dir: Path | None = None

    # The file operations each adapter provides.
    def sign_file(self, source: Path, destination: Path, request: SignatureRequest) -> None:
        raise NotImplementedError

    def sign_file_digested(self, source: Path, destination: Path, request: SignatureRequest,
                           checkpoints: Sequence[int]) -> ResultDigests | None:
        """``sign_file``, and the result's digests (the prefixes' at ``checkpoints``) where the
        adapter computed them as it wrote; None where it did not (the result is then read)."""
        self.sign_file(source, destination, request)
        return None

    def sign_files_together(self, items: Sequence[tuple[Path, Path, SignatureRequest]],
                            signer: BatchDigestSigner) -> None:
        raise NotImplementedError

    def timestamp_file(self, source: Path, destination: Path) -> None:
        raise NotImplementedError

    def timestamp_file_digested(self, source: Path, destination: Path,
                                checkpoints: Sequence[int]) -> ResultDigests | None:
        """``timestamp_file``, and the result's digests as ``sign_file_digested`` gives them."""
        self.timestamp_file(source, destination)
        return None

    def create_fields_file(self, source: Path, destination: Path, fields: Sequence[SignatureField]) -> None:
        raise NotImplementedError

    def append_signature_page_file(self, source: Path, destination: Path, page: SignaturePage) -> None:
        raise NotImplementedError

    def last_document_timestamp_file(self, path: Path) -> TimestampFacts | None:
        raise NotImplementedError

    def prepare_files(self, items: Sequence[tuple[Path, Path, SignatureRequest]]) -> list[PreparedSignature]:
        raise NotImplementedError

    def finish_files(self, items: Sequence[tuple[Path, Path, PreparedSignature, SignatureRequest, bytes]]) -> None:
        raise NotImplementedError

    # The stored-document operations the use cases call.
    def sign_document(self, store: DocumentStore, sha256: str, request: SignatureRequest,
                      extends: DocumentRef | None = None) -> DocumentRef:
        return self._transform(store, sha256, lambda source, out, at: self.sign_file_digested(source, out, request, at),
                               extends)

    def sign_documents_together(self, store: DocumentStore, items: Sequence[tuple[str, SignatureRequest]],
                                signer: BatchDigestSigner) -> list[DocumentRef]:
        with ExitStack() as stack:
            files = []
            for sha256, request in items:
                directory, source = self._lend_checked(stack, store, sha256)
                files.append((source, directory / "out.pdf", request))
            self.sign_files_together(files, signer)
            return [store_result(store, out, source, sha256)
                    for (sha256, _request), (source, out, _r) in zip(items, files, strict=True)]

    def prepare_documents(self, store: DocumentStore, items: Sequence[tuple[str, SignatureRequest]]
                          ) -> list[PreparedSignature]:
        with ExitStack() as stack:
            files = []
            for sha256, request in items:
                directory, source = self._lend_checked(stack, store, sha256)
                files.append((source, directory / "prepared.pdf", request))
            prepared = self.prepare_files(files)
            return [evolve(half, base=sha256, prepared=store_result(store, out, source, sha256).sha256)
                    for (sha256, _request), (source, out, _r), half in zip(items, files, prepared, strict=True)]

    def finish_documents(self, store: DocumentStore, items: Sequence[tuple[PreparedSignature, SignatureRequest]],
                         values: Sequence[bytes]) -> list[DocumentRef]:
        if len(values) != len(items):
            raise ValueError("one signature value per prepared signature")
        with ExitStack() as stack:
            files = []
            for (prepared, request), value in zip(items, values, strict=True):
                directory, source = self._lend_checked(stack, store, prepared.prepared)
                files.append((source, directory / "out.pdf", prepared, request, value))
            self.finish_files(files)
            return [store_result(store, out, source, prepared.prepared)
                    for (source, out, prepared, *_rest) in files]

    def timestamp_document(self, store: DocumentStore, sha256: str) -> DocumentRef:
        return self._transform(store, sha256, self.timestamp_file_digested)

    def create_fields_document(self, store: DocumentStore, sha256: str,
                               fields: Sequence[SignatureField]) -> DocumentRef:
        return self._transform(store, sha256, lambda source, out, _at: self.create_fields_file(source, out, fields))

    def append_signature_page_document(self, store: DocumentStore, sha256: str, page: SignaturePage) -> DocumentRef:
        return self._transform(store, sha256,
                               lambda source, out, _at: self.append_signature_page_file(source, out, page))

    def last_document_timestamp(self, store: DocumentStore, sha256: str) -> TimestampFacts | None:
        with ExitStack() as stack:
            _directory, source = self._lend_checked(stack, store, sha256)
            return self.last_document_timestamp_file(source)

    def _transform(self, store: DocumentStore, sha256: str,
                   work: Callable[[Path, Path, Sequence[int]], ResultDigests | None],
                   extends: DocumentRef | None = None) -> DocumentRef:
        """The lent file is not hashed before the work: ``store_result`` checks, in the pass that
        names the result, that the result begins with the stored bytes, and nothing is stored
        otherwise. A failure is checked for damaged bytes first (DocumentCorrupted). ``work`` is
        told the offsets that check needs, in case it can hand over their digests."""
        with ExitStack() as stack:
            directory = self._directory(stack)
            source = stack.enter_context(store.lend(sha256, directory))
            out = directory / "out.pdf"
            checkpoints = (source.stat().st_size, *((extends.size,) if extends is not None else ()))
            try:
                known = work(source, out, checkpoints)
            except Exception:
                check_stored_file(source, sha256)
                raise
            return store_result(store, out, source, sha256, extends, known)

    def _directory(self, stack: ExitStack) -> Path:
        return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seing-pdf-", dir=self.scratch_dir)))

    def _lend_checked(self, stack: ExitStack, store: DocumentStore, sha256: str) -> tuple[Path, Path]:
        """A lent file checked before use: for operations whose work must not run on damaged
        bytes (a remote key's authorisation is spent on what it signs) or that store nothing."""
        directory = self._directory(stack)
        source = stack.enter_context(store.lend(sha256, directory))
        check_stored_file(source, sha256)
        return directory, source
