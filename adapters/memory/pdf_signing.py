"""A PdfSigning fake: appends readable markers instead of signatures, and records calls.

For tests of use cases that sign (collections, evidence) without paying for real PAdES.
It refuses bad input the way the real adapter does, so error paths can be tested too.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Sequence

from adapters.stored_files import StoredDocumentOperations
from domain.model.archive import TimestampFacts
from domain.model.errors import BrokenPdf, EncryptedPdf, NotAPdf, SigningFailed
from ports.clock import Clock
from ports.pdf_signing import PreparedSignature, SignatureField, SignaturePage, SignatureRequest
from ports.remote_signing import BatchDigestSigner

__all__ = ["FakePdfSigning"]

_MARK = re.compile(rb"%SEING-FAKE-(FIELD|SIG|DOCTS) ?([^\n]*)\n")


class FakePdfSigning(StoredDocumentOperations):
    def __init__(self, clock: Clock | None = None, tsa_lifetime: timedelta = timedelta(days=6 * 365)) -> None:
        self.signed: list[SignatureRequest] = []
        self.timestamps = 0
        self.clock = clock
        self.tsa_lifetime = tsa_lifetime
        self.tsa_down = False  # tests turn the TSA off: timestamp() raises TimestampUnavailable
        self.prepared: list[bytes] = []  # the digests prepare_files fixed, in order

    @staticmethod
    def signature_fields(pdf: bytes) -> list[tuple[str, bool]]:
        """The fields this fake wrote, in creation order, with whether they are signed."""
        fields: dict[str, bool] = {}
        for kind, value in _MARK.findall(pdf):
            if kind == b"FIELD":
                fields.setdefault(value.decode(), False)
            elif kind == b"SIG":
                name = value.decode().split(" ")[0]
                fields[name] = True
        return list(fields.items())

    @staticmethod
    def _check(pdf: bytes) -> None:
        if b"%PDF-" not in pdf[:1024]:
            raise NotAPdf("the file does not start like a PDF")
        if b"startxref" not in pdf[-2048:] or b"%%EOF" not in pdf[-2048:]:
            raise BrokenPdf("no cross-reference at the end of the file")
        if b"/Encrypt" in pdf:
            raise EncryptedPdf("the PDF is encrypted")

    def sign(self, pdf: bytes, request: SignatureRequest) -> bytes:
        self._check(pdf)
        self.signed.append(request)
        return pdf + b"%%SEING-FAKE-SIG %s %s\n%%%%EOF\n" % (
            request.field_name.encode(),
            request.level.value.encode(),
        )

    def timestamp(self, pdf: bytes) -> bytes:
        self._check(pdf)
        self.timestamps += 1
        if self.tsa_down:
            from domain.model.errors import TimestampUnavailable

            raise TimestampUnavailable("the fake TSA is down")
        at = self.clock.now().isoformat() if self.clock is not None else ""  # never the wall clock
        return pdf + b"%%SEING-FAKE-DOCTS %s\n%%%%EOF\n" % at.encode()

    def last_document_timestamp_of(self, pdf: bytes) -> TimestampFacts | None:
        """A fake TSA whose certificate lives ``tsa_lifetime`` from each timestamp's time."""
        stamps = [value for kind, value in _MARK.findall(pdf) if kind == b"DOCTS"]
        if not stamps:
            return None
        at = datetime.fromisoformat(stamps[-1].decode()) if stamps[-1] else datetime(2000, 1, 1, tzinfo=UTC)
        return TimestampFacts(stamped_at=at, certificate_ends=[at + self.tsa_lifetime],
                              algorithms=["sha256", "ec-secp256r1"])

    def create_fields(self, pdf: bytes, fields: Sequence[SignatureField]) -> bytes:
        self._check(pdf)
        return pdf + b"".join(b"%%SEING-FAKE-FIELD %s\n" % f.name.encode() for f in fields) + b"%%EOF\n"

    def check_signable(self, pdf: bytes) -> None:
        self._check(pdf)

    def check_signable_file(self, path: Path) -> None:
        self._check(Path(path).read_bytes())

    def sign_file(self, source: Path, destination: Path, request: SignatureRequest) -> None:
        _write_atomically(destination, self.sign(Path(source).read_bytes(), request))

    def sign_files_together(self, items: Sequence[tuple[Path, Path, SignatureRequest]],
                            signer: BatchDigestSigner) -> None:
        """Two-phase as the real adapter: every file checked and digested, one call for the values."""
        contents = [Path(source).read_bytes() for source, _out, _request in items]
        for pdf in contents:
            self._check(pdf)
        signer.sign_digests([hashlib.sha256(pdf).digest() for pdf in contents], "sha256")
        for pdf, (_source, out, request) in zip(contents, items, strict=True):
            _write_atomically(out, self.sign(pdf, request))

    # -- PausedPdfSigning, as the real adapter: the digest is fixed when the prepared file is
    # written, and the value given later must be the certificate's key's signature of it.

    def prepare_files(self, items: Sequence[tuple[Path, Path, SignatureRequest]]) -> list[PreparedSignature]:
        results = []
        for source, destination, request in items:
            pdf = Path(source).read_bytes()
            self._check(pdf)
            prepared = pdf + b"%%SEING-FAKE-PREPARED %s\n%%%%EOF\n" % request.field_name.encode()
            _write_atomically(destination, prepared)
            document_digest = hashlib.sha256(prepared).digest()
            # What the real adapter's signed attributes bind: the document and the certificate.
            digest = hashlib.sha256(b"seing-fake-signed-attributes" + document_digest
                                    + request.identity.certificate).digest()
            self.prepared.append(digest)
            results.append(PreparedSignature(base="", prepared="", document_digest=document_digest,
                                             reserved_start=len(prepared), reserved_end=len(prepared),
                                             digest=digest, hash_algorithm="sha256"))
        return results

    def finish_files(self, items: Sequence[tuple[Path, Path, PreparedSignature, SignatureRequest, bytes]]) -> None:
        for _source, _destination, prepared, request, value in items:
            if not _value_verifies(request.identity.certificate, value, prepared.digest, prepared.hash_algorithm):
                raise SigningFailed("a signature value does not verify for the digest prepared")
        contents = []
        for source, _destination, prepared, _request, _value in items:
            pdf = Path(source).read_bytes()
            if hashlib.new(prepared.hash_algorithm, pdf).digest() != prepared.document_digest:
                raise SigningFailed("the prepared PDF is not the one prepared")
            contents.append(pdf)
        for pdf, (_source, destination, _prepared, request, _value) in zip(contents, items, strict=True):
            _write_atomically(destination, self.sign(pdf, request))

    def timestamp_file(self, source: Path, destination: Path) -> None:
        _write_atomically(destination, self.timestamp(Path(source).read_bytes()))

    def last_document_timestamp_file(self, path: Path) -> TimestampFacts | None:
        return self.last_document_timestamp_of(Path(path).read_bytes())

    def create_fields_file(self, source: Path, destination: Path, fields: Sequence[SignatureField]) -> None:
        _write_atomically(destination, self.create_fields(Path(source).read_bytes(), fields))

    def append_signature_page_file(self, source: Path, destination: Path, page: SignaturePage) -> None:
        pdf = Path(source).read_bytes()
        self._check(pdf)
        _write_atomically(destination, pdf + b"%%SEING-FAKE-ADDED-PAGE %s\n%%%%EOF\n"
                          % page.document_name.encode("utf-8", errors="replace"))


def _value_verifies(certificate_der: bytes, value: bytes, digest: bytes, hash_algorithm: str) -> bool:
    """Whether ``value`` is the certificate's key's signature of the prehashed ``digest``."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    try:
        key = x509.load_der_x509_certificate(certificate_der).public_key()
    except ValueError:
        return False
    prehashed = Prehashed(getattr(hashes, hash_algorithm.upper())())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(value, digest, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(value, digest, padding.PKCS1v15(), prehashed)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _write_atomically(destination: Path, data: bytes) -> None:
    destination = Path(destination)
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, destination)
    except BaseException:
        os.unlink(tmp)
        raise
