"""Uploads as the use cases receive them: bytes (tests, a document read back from the store) or a
file the edge spooled to disk (``ports.uploads.UploadedFile``), which is never read whole here:
the PDF workers open it by its path and the store takes it as a stream."""

from __future__ import annotations

import hashlib

from domain.model.document import DocumentRef
from ports.documents import DocumentStore
from ports.pdf_signing import PdfSigning
from ports.uploads import UploadedFile

Upload = bytes | UploadedFile
CHUNK = 1024 * 1024


def store_upload(store: DocumentStore, content: Upload) -> DocumentRef:
    """The upload's bytes into the store, streamed from disk when the edge spooled them."""
    if isinstance(content, bytes):
        return store.put(content)
    with content.open() as stream:
        return store.put(stream)


def check_signable_upload(signing: PdfSigning, content: Upload) -> None:
    """``PdfSigning.check_signable`` on bytes, ``check_signable_file`` on a spooled file."""
    if isinstance(content, bytes):
        signing.check_signable(content)
    else:
        signing.check_signable_file(content.path)


def upload_ref(content: Upload) -> DocumentRef:
    """What the store would call the upload (its SHA-256 and size), hashed in chunks."""
    if isinstance(content, bytes):
        return DocumentRef(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    digest = hashlib.sha256()
    with content.open() as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return DocumentRef(sha256=digest.hexdigest(), size=content.size)
