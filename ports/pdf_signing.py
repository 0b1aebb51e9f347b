"""Signing PDFs (PAdES baseline, ETSI EN 319 142-1).

The private key never reaches this port: a signature names a key held by the key vault
(``key_ref``) and the adapter asks the vault to sign one digest. Certificates travel as
DER bytes. Every signature is an incremental update, so earlier signatures stay valid.

Errors (domain.model.errors): ``NotAPdf`` / ``EncryptedPdf`` / ``BrokenPdf`` (all
``InvalidPdf``) for input we refuse, ``TimestampUnavailable`` when B-T or above cannot get
trusted time, ``SigningCertificateRejected`` when B-LT finds the certificate revoked or
untrusted, ``SigningFailed`` otherwise. On any error no output file is left behind.
"""

from __future__ import annotations

import enum
from datetime import datetime
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

from attrs import field, frozen

from domain.model.archive import TimestampFacts
from domain.model.document import DocumentRef
from domain.model.pki import KeyRef
from ports.documents import DocumentStore
from ports.remote_signing import BatchDigestSigner, DigestSigner


class PadesLevel(enum.Enum):
    B_B = "B-B"  # signature only
    B_T = "B-T"  # + signature timestamp
    B_LT = "B-LT"  # + certificates and revocation data in the DSS
    B_LTA = "B-LTA"  # + document timestamp over all of it


@frozen
class Box:
    """A rectangle on a page, in PDF points from the page's lower-left corner.

    ``page`` counts from 0; negative values count from the end (-1 is the last page).
    """

    page: int
    x: float
    y: float
    width: float
    height: float

    def __attrs_post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError("a signature box needs a positive width and height")


@frozen
class VisibleSignature:
    """What the signature's appearance shows, and where (when the field does not exist yet)."""

    box: Box
    signer_name: str
    signed_at: datetime
    level_label: str
    # Shown first instead of « Signé par … » (a seal: « Cachet électronique »); then the name alone
    # and the date; ``level_label`` is then not shown.
    title: str | None = None
    # A signature whose value and timestamp come later than its appearance is drawn (the signer's
    # consent at a QTSP, after a redirect): made between ``signed_at`` and this, which the
    # appearance states instead of one time it cannot know.
    signed_before: datetime | None = None


@frozen
class SignatureField:
    name: str
    box: Box | None = None  # None: an invisible field


@frozen
class SignaturePage:
    """A blank page appended to a document for its signature boxes: ``width`` x ``height`` points,
    « Page de signatures » and ``document_name`` written in its top ``header_height`` points."""

    width: float
    height: float
    document_name: str
    header_height: float


@frozen
class SigningIdentity:
    key_ref: KeyRef | None  # None only with ``remote``
    certificate: bytes  # DER of the signer's certificate
    chain: tuple[bytes, ...] = field(default=(), converter=tuple)  # DER of its issuers, root last
    # A key elsewhere (a QTSP's, ports.remote_signing): asked for the signature value instead of the vault.
    remote: DigestSigner | None = field(default=None, eq=False)


@frozen
class SignatureRequest:
    identity: SigningIdentity
    level: PadesLevel
    field_name: str = "Signature1"
    appearance: VisibleSignature | None = None  # None: invisible
    name: str | None = None  # /Name of the signature, e.g. the person signing under a seal
    reason: str | None = None
    location: str | None = None


@frozen
class RevocationData:
    ocsp_responses: tuple[bytes, ...] = field(default=(), converter=tuple)  # DER OCSPResponse
    crls: tuple[bytes, ...] = field(default=(), converter=tuple)  # DER CertificateList


@runtime_checkable
class RevocationSource(Protocol):
    """Fresh revocation data for a certificate, fetched however the CA publishes it."""

    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        """OCSP responses and/or CRLs covering ``certificate`` (DER), issued by ``issuer`` (DER)."""
        ...


@frozen
class PreparedSignature:
    """A signature stopped before its value (the first phase of a two-phase remote signature, kept
    across a redirect to the provider): the stored PDF with its signature dictionary and an empty
    /Contents (``prepared``), the digest of its /ByteRange, where the value goes, and ``digest``,
    what the signer's key must sign (the signed attributes' hash). Finishing needs nothing else."""

    base: str  # sha256 of the stored version it was prepared from
    prepared: str  # sha256 of the stored prepared PDF
    document_digest: bytes = field(repr=False)
    reserved_start: int
    reserved_end: int
    digest: bytes = field(repr=False)
    hash_algorithm: str


@runtime_checkable
class PausedPdfSigning(Protocol):
    """Two-phase signing whose phases may run in different requests or processes: what a
    provider that authorises on its own page (CSC oauth2code, SCAL2: the consent names the
    digests) needs, the digests being fixed before the signer leaves and signed after the
    redirect. A separate port: only adapters that can keep a signature half made implement it."""

    def prepare_documents(self, store: DocumentStore, items: Sequence[tuple[str, SignatureRequest]]
                          ) -> list[PreparedSignature]:
        """Prepare each stored document's signature (field, appearance, placeholder) and store the
        prepared PDF; the requests' identities name the certificate and chain (no key, no remote
        signer: nothing is signed). One ``PreparedSignature`` per item, in order."""
        ...

    def finish_documents(self, store: DocumentStore, items: Sequence[tuple[PreparedSignature, SignatureRequest]],
                         values: Sequence[bytes]) -> list[DocumentRef]:
        """Put each signature value in its prepared PDF, with the signature timestamp and the
        validation data its level asks (the request given to ``prepare_documents``), and store the
        result. ``SigningFailed`` when a prepared PDF is not what was prepared or a value does not
        verify for its digest; all or nothing, one ``DocumentRef`` per item."""
        ...


@runtime_checkable
class PdfSigning(Protocol):
    """Use cases call the ``*_document`` operations: the stored document is copied to a temporary
    file, worked on file to file (streamed), and the result is put back in the store; no PDF is
    ever whole in memory. The ``*_file`` operations are that middle step."""

    def sign_document(self, store: DocumentStore, sha256: str, request: SignatureRequest,
                      extends: DocumentRef | None = None) -> DocumentRef:
        """Store, and return, a copy of the stored document with one more signature. ``extends``:
        an earlier version the result must begin with (DocumentCorrupted, nothing stored, if not),
        checked in the pass that names the result."""
        ...

    def sign_documents_together(self, store: DocumentStore, items: Sequence[tuple[str, SignatureRequest]],
                                signer: BatchDigestSigner) -> list[DocumentRef]:
        """Sign several stored documents with one remote key whose values come in one call, two-phase:
        every document's signed-attribute digest is computed first, then ``signer.sign_digests``
        once with them all, then each signature is finished (timestamp, validation data). The
        requests' identities name the certificate and chain (``key_ref`` and ``remote`` None).
        All or nothing: any document's failure fails the batch, before the signer is asked
        when it happens during the first phase. One ``DocumentRef`` per item, in order."""
        ...

    def timestamp_document(self, store: DocumentStore, sha256: str) -> DocumentRef:
        """Store a copy with a new document timestamp (PAdES B-LTA) and the TSA's validation data;
        over a PDF that has one already, this is an archive-timestamp renewal: the last document
        timestamp's TSA chain gets fresh validation data first."""
        ...

    def create_fields_document(self, store: DocumentStore, sha256: str,
                               fields: Sequence[SignatureField]) -> DocumentRef:
        """Store a copy with empty signature fields that later signers fill (``SignatureRequest.field_name``)."""
        ...

    def append_signature_page_document(self, store: DocumentStore, sha256: str, page: SignaturePage) -> DocumentRef:
        """Store a copy with ``page`` appended after the last one, in an incremental update (the
        original's bytes are a prefix of the copy). Never asked for a PDF carrying signatures."""
        ...

    def last_document_timestamp(self, store: DocumentStore, sha256: str) -> TimestampFacts | None:
        """What the stored PDF's last document timestamp rests on (its TSA chain's ends, its
        algorithms); None when the PDF has no document timestamp."""
        ...

    def sign_file(self, source: Path, destination: Path, request: SignatureRequest) -> None:
        """Write to ``destination`` a copy of ``source`` with one more signature.

        Streams: memory does not grow with the document's size. ``destination`` appears
        only once complete; ``source`` and ``destination`` must differ.
        """
        ...

    def sign_files_together(self, items: Sequence[tuple[Path, Path, SignatureRequest]],
                            signer: BatchDigestSigner) -> None:
        """``sign_documents_together``, file to file: (source, destination, request) triples."""
        ...

    def timestamp_file(self, source: Path, destination: Path) -> None:
        """``timestamp_document``, file to file."""
        ...

    def create_fields_file(self, source: Path, destination: Path, fields: Sequence[SignatureField]) -> None:
        """``create_fields_document``, file to file."""
        ...

    def append_signature_page_file(self, source: Path, destination: Path, page: SignaturePage) -> None:
        """``append_signature_page_document``, file to file."""
        ...

    def last_document_timestamp_file(self, path: Path) -> TimestampFacts | None:
        """``last_document_timestamp`` of a file."""
        ...

    def check_signable(self, pdf: bytes) -> None:
        """Raise the InvalidPdf that preparing or signing ``pdf`` would raise.

        For document intake: a dry run of the same preparation as sending (signature
        fields, metadata) and of a signature, whose output is thrown away, so a file we
        cannot sign is refused at upload, never when it is sent or signed. ``LockedPdf``
        when the file's own signatures (certification, field locks) forbid our updates
        or would be invalidated by them.
        """
        ...

    def check_signable_file(self, path: Path) -> None:
        """``check_signable`` on a file."""
        ...
