"""Work on a stored document through files: document store → temporary file → new file → store.

The one path every PDF operation of the product takes (signing, document timestamps, fields),
so that neither the original nor the result is ever whole in memory: pyHanko needs a seekable
file to read, the stores hand out streams (an S3 body is not seekable), and the result goes back
to the store as a stream. Shared by every ``PdfSigning`` adapter (the real one, its process-pool
wrapper): each implements the ``*_file`` operations, this mixin gives them the stored-document ones.
"""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from attrs import evolve

from domain.model.archive import TimestampFacts
from domain.model.document import DocumentRef
from domain.model.errors import DocumentCorrupted
from ports.documents import DocumentStore
from ports.pdf_signing import PreparedSignature, SignatureField, SignaturePage, SignatureRequest
from ports.remote_signing import BatchDigestSigner

__all__ = ["StoredDocumentOperations", "scratch_copy"]

_T = TypeVar("_T")
_CHUNK = 1 << 20


def scratch_copy(store: DocumentStore, sha256: str, path: Path) -> None:
    """Copy the stored document to ``path``, checking its SHA-256 on the way as ``store.read`` does
    (domain DocumentCorrupted if the bytes differ): a damaged or swapped file is never signed."""
    digest = hashlib.sha256()
    with store.open(sha256) as source, open(path, "wb") as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    if digest.hexdigest() != sha256:
        raise DocumentCorrupted("stored bytes do not match their SHA-256", sha256=sha256)


class StoredDocumentOperations:
    """The stored-document operations of ``PdfSigning`` on top of its ``*_file`` ones.

    ``scratch_dir``: where the temporary files go (None: the system's temporary directory). Each
    operation gets a fresh directory there, removed when it ends, whatever happens.
    """

    scratch_dir: Path | None = None

    # The file operations each adapter provides.
    def sign_file(self, source: Path, destination: Path, request: SignatureRequest) -> None:
        raise NotImplementedError

    def sign_files_together(self, items: Sequence[tuple[Path, Path, SignatureRequest]],
                            signer: BatchDigestSigner) -> None:
        raise NotImplementedError

    def timestamp_file(self, source: Path, destination: Path) -> None:
        raise NotImplementedError

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
    def sign_document(self, store: DocumentStore, sha256: str, request: SignatureRequest) -> DocumentRef:
        return self._transform(store, sha256, lambda source, out: self.sign_file(source, out, request))

    def sign_documents_together(self, store: DocumentStore, items: Sequence[tuple[str, SignatureRequest]],
                                signer: BatchDigestSigner) -> list[DocumentRef]:
        with ExitStack() as stack:
            files = []
            for sha256, request in items:
                directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seing-pdf-",
                                                                                 dir=self.scratch_dir)))
                source = directory / "in.pdf"
                scratch_copy(store, sha256, source)
                files.append((source, directory / "out.pdf", request))
            self.sign_files_together(files, signer)
            refs = []
            for _source, out, _request in files:
                with open(out, "rb") as result:
                    refs.append(store.put(result))
            return refs

    def prepare_documents(self, store: DocumentStore, items: Sequence[tuple[str, SignatureRequest]]
                          ) -> list[PreparedSignature]:
        with ExitStack() as stack:
            files = []
            for sha256, request in items:
                directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seing-pdf-",
                                                                                 dir=self.scratch_dir)))
                source = directory / "in.pdf"
                scratch_copy(store, sha256, source)
                files.append((source, directory / "prepared.pdf", request))
            prepared = self.prepare_files(files)
            results = []
            for (sha256, _request), (_source, out, _r), half in zip(items, files, prepared, strict=True):
                with open(out, "rb") as result:
                    results.append(evolve(half, base=sha256, prepared=store.put(result).sha256))
            return results

    def finish_documents(self, store: DocumentStore, items: Sequence[tuple[PreparedSignature, SignatureRequest]],
                         values: Sequence[bytes]) -> list[DocumentRef]:
        if len(values) != len(items):
            raise ValueError("one signature value per prepared signature")
        with ExitStack() as stack:
            files = []
            for (prepared, request), value in zip(items, values, strict=True):
                directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seing-pdf-",
                                                                                 dir=self.scratch_dir)))
                source = directory / "prepared.pdf"
                scratch_copy(store, prepared.prepared, source)
                files.append((source, directory / "out.pdf", prepared, request, value))
            self.finish_files(files)
            refs = []
            for _source, out, *_rest in files:
                with open(out, "rb") as result:
                    refs.append(store.put(result))
            return refs

    def timestamp_document(self, store: DocumentStore, sha256: str) -> DocumentRef:
        return self._transform(store, sha256, self.timestamp_file)

    def create_fields_document(self, store: DocumentStore, sha256: str,
                               fields: Sequence[SignatureField]) -> DocumentRef:
        return self._transform(store, sha256, lambda source, out: self.create_fields_file(source, out, fields))

    def append_signature_page_document(self, store: DocumentStore, sha256: str, page: SignaturePage) -> DocumentRef:
        return self._transform(store, sha256, lambda source, out: self.append_signature_page_file(source, out, page))

    def last_document_timestamp(self, store: DocumentStore, sha256: str) -> TimestampFacts | None:
        return self._on_copy(store, sha256, lambda source, _work: self.last_document_timestamp_file(source))

    def _transform(self, store: DocumentStore, sha256: str, work: Callable[[Path, Path], None]) -> DocumentRef:
        def run(source: Path, directory: Path) -> DocumentRef:
            out = directory / "out.pdf"
            work(source, out)
            with open(out, "rb") as result:
                return store.put(result)

        return self._on_copy(store, sha256, run)

    def _on_copy(self, store: DocumentStore, sha256: str, run: Callable[[Path, Path], _T]) -> _T:
        with tempfile.TemporaryDirectory(prefix="seing-pdf-", dir=self.scratch_dir) as tmp:
            directory = Path(tmp)
            source = directory / "in.pdf"
            scratch_copy(store, sha256, source)
            return run(source, directory)
