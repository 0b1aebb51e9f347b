"""PAdES signing with pyHanko, the private key staying in the key vault.

Performance notes (see bench/bench_signing.py):
- ``bytes_reserved`` is computed from the certificates' sizes and the largest timestamp
  token seen, so pyHanko never builds a throw-away CMS (and never signs twice) to size
  the signature container.
- The vault keeps its key objects loaded; ``VaultBackedSigner`` only hashes the signed
  attributes and hands one digest to ``vault.sign_digest``.
- Files are streamed: pyHanko reads objects lazily from the input file and writes the
  output file in chunks, so memory does not grow with the number of pages.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from time import monotonic
from typing import IO, Any, Awaitable, Callable, Generic, Iterator, Sequence, TypeVar
from zoneinfo import ZoneInfo

from asn1crypto import cms, keys, x509
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto.algos import SignedDigestAlgorithm
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic, layout, misc
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.metadata import xmp_xml
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, extract_certificate_info
from pyhanko.sign.signers.pdf_signer import PdfSigningSession, PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import extract_ts_certs
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import ValidationInfoReadingError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.context import bootstrap_validation_data_handlers
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import NonRevokedStatusAssertion
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from adapters.isolation.pool import BoundedProcessPool, LimitExceeded
from adapters.shared import cms_der, der, pdf_prefix_digest, pdf_tokens, signature_checks
from adapters.shared.der import set_of
from adapters.shared.pdf_prefix_digest import PrefixDigestWriter, start_prefix_copy
from adapters.stored_files import ResultDigests, StoredDocumentOperations
from domain.model.archive import TimestampFacts
from domain.model.errors import (
    BrokenPdf,
    DomainError,
    EncryptedPdf,
    LockedPdf,
    NotAPdf,
    PdfTooComplex,
    SigningCertificateRejected,
    SigningFailed,
    UnsignablePdf,
)
from domain.model.pki import KeyRef
from ports.clock import Clock
from ports.keyvault import KeyVault
from ports.pdf_signing import (
    Box,
    PadesLevel,
    PreparedSignature,
    RevocationData,
    RevocationSource,
    SignatureField,
    SignaturePage,
    SignatureRequest,
    VisibleSignature,
)
from ports.remote_signing import BatchDigestSigner, DigestSigner
from ports.timestamping import TimestampAuthority

__all__ = ["PyHankoPdfSigning", "VaultBackedSigner", "PortTimeStamper"]

pdf_tokens.apply()
# The original revision hashed as it is copied, not read back (adapters/shared/pdf_prefix_digest.py).
pdf_prefix_digest.apply()
signature_checks.apply()  # a signature verified once is not verified again (adapters/shared/signature_checks.py)

_T = TypeVar("_T")
_thread_loops = threading.local()
_log = logging.getLogger(__name__)
_PARIS = ZoneInfo("Europe/Paris")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# Room for the CMS structure, signed attributes (signing certificate v2, CMS algorithm
# protection…) and the signature value itself (512 bytes covers RSA-4096).
_CMS_OVERHEAD = 4096
# pyHanko copies and hashes files in chunks of 4 KiB by default: 2,500 system calls each
# way for 10 MB. 1 MiB chunks keep memory flat and the copy close to the disk's speed.
_CHUNK = 1 << 20
# How long a validated TSA or signer path is reused (PortTimeStamper.validation_paths, _KnownPaths).
_PATH_TTL = 300.0


_CONTENT_TYPE_DATA = cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump()
_SIGNING_CERTIFICATE_V2 = der.oid("1.2.840.113549.1.9.16.2.47")


def signing_certificate_v2_attribute(certificate: bytes) -> bytes:
    """DER of the signingCertificateV2 attribute (RFC 5035) naming the DER ``certificate``, as
    pyHanko writes it (``as_signing_certificate_v2``): the certificate's SHA-256 (the default
    algorithm, so left out) and its issuer and serial number. Written from the certificate's own
    bytes: asn1crypto took a sixth of a one-time certificate's B-LT signature to build it."""
    tbs = x509.Certificate.load(certificate)["tbs_certificate"]
    issuer_serial = der.sequence(der.sequence(der.tlv(0xA4, tbs["issuer"].dump())), tbs["serial_number"].dump())
    ess_cert_id = der.sequence(der.octet_string(hashlib.sha256(certificate).digest()), issuer_serial)
    return der.sequence(_SIGNING_CERTIFICATE_V2, der.set_of([der.sequence(der.sequence(ess_cert_id))]))


@dataclass(frozen=True)
class CmsParts:
    """What every SignedData of one signing certificate and chain repeats, encoded once:
    asn1crypto rebuilt and re-encoded them at each signature, a third of a B-B's time."""

    sid: bytes  # IssuerAndSerialNumber
    certificates: bytes  # [0] IMPLICIT CertificateSet
    signing_certificate_v2: bytes  # the signed attribute naming the signing certificate

    @classmethod
    def of(cls, signing_cert: bytes, chain: Sequence[bytes]) -> CmsParts:
        # pyHanko's set: the chain (roots included, its default) and the signing certificate.
        return cls(sid=cms_der.issuer_and_serial_number(signing_cert),
                   certificates=cms_der.certificate_set([signing_cert, *chain]),
                   signing_certificate_v2=signing_certificate_v2_attribute(signing_cert))


_ENCAP_DATA = der.sequence(der.oid("1.2.840.113549.1.7.1"))
_VERSION_1 = b"\x02\x01\x01"
_PLAIN_DIGESTS = frozenset({"sha256", "sha384", "sha512"})
# Signature algorithm identifiers by (key algorithm, digest): a signer's depend on nothing else.
_MECHANISMS: dict[tuple[str, str], bytes] = {}


class VaultBackedSigner(signers.Signer):
    """A pyHanko ``Signer`` whose private key is in our key vault.

    Named apart from the domain's ``Signer`` (a person asked to sign).
    """

    def __init__(
        self,
        *,
        vault: KeyVault,
        key_ref: KeyRef | None,
        signing_cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
        remote: DigestSigner | None = None,
        slot: _BatchSlot | None = None,
        cms_parts: CmsParts | None = None,
    ) -> None:
        # pyHanko always adds the signing certificate to the CMS and collects the rest in
        # a set of asn1crypto objects (hashed by identity): a registry that also held the
        # signing certificate put it in the CMS twice.
        # Compared by issuer and serial number (cached by asn1crypto), not by encoding: dumping a
        # parsed certificate walks all of it.
        super().__init__(
            signing_cert=signing_cert,
            cert_registry=SimpleCertificateStore.from_certs(
                [c for c in chain if c.issuer_serial != signing_cert.issuer_serial]),
        )
        self._vault = vault
        self._key_ref = key_ref
        self._remote = remote
        self._slot = slot
        self._cms_parts = cms_parts or CmsParts.of(signing_cert.dump(), [c.dump() for c in chain])
        # Set by the adapter for a B-LT signature: its validated path, reused (_presign_signer_validation).
        self.known_path: Callable[[ValidationContext, set[str], Callable[[], Awaitable[ValidationPath]]],
                                  Awaitable[ValidationPath]] | None = None
        algorithm = signing_cert.public_key.algorithm
        if algorithm not in ("ec", "rsa"):
            raise SigningFailed(f"unsupported key algorithm {algorithm}")
        self._key_algorithm = algorithm
        if algorithm == "rsa":
            self._signature_size = signing_cert.public_key.bit_size // 8
        else:
            # DER ECDSA-Sig-Value at most: two integers of the curve size plus headers.
            self._signature_size = 2 * (signing_cert.public_key.bit_size // 8 + 3) + 3

    def get_signature_mechanism_for_digest(self, digest_algorithm: str | None) -> SignedDigestAlgorithm:
        if self._key_algorithm == "rsa":
            # PKCS#1 v1.5, what every vault (PKCS#11 CKM_RSA_PKCS included) can do on a digest.
            return SignedDigestAlgorithm({"algorithm": f"{digest_algorithm}_rsa" if digest_algorithm else "rsassa_pkcs1v15"})
        return super().get_signature_mechanism_for_digest(digest_algorithm)

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: Any = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: Any = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        # PAdES baseline signed attributes are exactly contentType, messageDigest and
        # signingCertificateV2. pyHanko rebuilds them from Python values at every
        # signature, and asn1crypto spends milliseconds re-encoding the certificate
        # reference; we assemble the DER from a per-certificate cache instead.
        extras = attr_settings is not None and (
            getattr(attr_settings, "adobe_revinfo_attr", None) is not None
            or getattr(attr_settings, "cades_signed_attrs", None) is not None
        )
        if not use_pades or content_type != "data" or extras:
            return await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings=attr_settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
        encoded = sorted(  # DER orders a SET OF by encoding
            [
                _CONTENT_TYPE_DATA,
                cms_der.message_digest_attribute(data_digest),
                self._cms_parts.signing_certificate_v2,
            ]
        )
        return cms.CMSAttributes.load(set_of(encoded))

    def _package_signature(self, *, digest_algorithm: str, cms_version: Any, signed_attrs: cms.CMSAttributes,
                           signature: bytes, unsigned_attrs: cms.CMSAttributes | None,
                           encap_content_info: Any) -> cms.ContentInfo:
        # The SignedData of a PDF signature, assembled from DER: the parts that repeat
        # (signer id, certificates, algorithms) are encoded once. Anything else (another
        # content type, attribute certificates, roots left out, SHAKE) is pyHanko's.
        if (cms_version != "v1" or encap_content_info not in (None, {"content_type": "data"})
                or digest_algorithm not in _PLAIN_DIGESTS or not self.embed_roots or self.attribute_certs):
            return super()._package_signature(
                digest_algorithm=digest_algorithm, cms_version=cms_version, signed_attrs=signed_attrs,
                signature=signature, unsigned_attrs=unsigned_attrs, encap_content_info=encap_content_info)
        parts = self._cms_parts
        digest = cms_der.digest_algorithm(digest_algorithm)
        signer = cms_der.signer_info(
            version=_VERSION_1, sid=parts.sid, digest=digest, signed_attrs=signed_attrs.dump(),
            signature_algorithm=self._mechanism(digest_algorithm), signature=signature,
            unsigned_attrs=unsigned_attrs.dump() if unsigned_attrs is not None else None)
        return cms.ContentInfo.load(cms_der.content_info(
            version=_VERSION_1, digest=digest, encap_content_info=_ENCAP_DATA, certificates=parts.certificates,
            signer=signer))

    def _mechanism(self, digest_algorithm: str) -> bytes:
        key = (self._key_algorithm, digest_algorithm)
        encoded = _MECHANISMS.get(key)
        if encoded is None:
            encoded = _MECHANISMS[key] = self.get_signature_mechanism_for_digest(digest_algorithm).dump()
        return encoded

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self._signature_size)
        digest = hashlib.new(digest_algorithm, data).digest()
        if self._slot is not None:
            # One of several documents signed together: the value comes with the others'.
            return await self._slot.sign(digest, digest_algorithm)
        if self._remote is not None:
            # A QTSP's key: its refusals (wrong code, expired or mismatched authorisation) are
            # domain errors the ceremony reports as they are.
            return self._remote.sign_digest(digest, digest_algorithm)
        if self._key_ref is None:
            raise SigningFailed("a signing identity names neither a vault key nor a remote signer")
        try:
            return self._vault.sign_digest(self._key_ref, digest, digest_algorithm)
        except Exception as exc:
            raise SigningFailed(f"the key vault could not sign: {exc}") from exc


class _BatchAborted(SigningFailed):
    """Another document of the batch failed: this one is not signed either."""


class _GatheredDigests:
    """The meeting point of documents signed together: each gives its digest and waits; the
    last one in asks the ``BatchDigestSigner`` for every value at once (one authorisation)."""

    def __init__(self, signer: BatchDigestSigner, count: int) -> None:
        self._signer = signer
        self._count = count
        self._waiting: dict[int, tuple[bytes, str, asyncio.Future[bytes]]] = {}
        self._failure: BaseException | None = None
        self._asked = False

    async def sign(self, index: int, digest: bytes, hash_algorithm: str) -> bytes:
        if self._failure is not None:
            raise _BatchAborted(f"another document of the batch failed: {self._failure}")
        if self._asked or index in self._waiting:
            # Asked twice (a signature started over): the values were given once, for other digests.
            raise SigningFailed("a document signed together asked for a second signature value")
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[index] = (digest, hash_algorithm, future)
        if len(self._waiting) == self._count:
            self._asked = True
            order = sorted(self._waiting)
            algorithms = {self._waiting[n][1] for n in order}
            try:
                if len(algorithms) != 1:
                    raise SigningFailed("documents signed together must use one digest algorithm")
                values = self._signer.sign_digests([self._waiting[n][0] for n in order], algorithms.pop())
                if len(values) != len(order):
                    raise SigningFailed("the remote signer gave a value count other than asked")
            except BaseException as exc:  # noqa: BLE001 - every waiting document fails with it
                for n in order:
                    self._waiting[n][2].set_exception(exc)
            else:
                for n, value in zip(order, values, strict=True):
                    self._waiting[n][2].set_result(value)
        return await future

    def abort(self, failure: BaseException) -> None:
        """A document failed: those still waiting stop; the signer is not asked."""
        if self._failure is None:
            self._failure = failure
        for _digest, _algorithm, future in self._waiting.values():
            if not future.done():
                future.set_exception(_BatchAborted(f"another document of the batch failed: {failure}"))


class _GivenValue:
    """The signature value obtained elsewhere (after the signer's consent at the provider), given
    for exactly the digest it was made for."""

    def __init__(self, digest: bytes, value: bytes) -> None:
        self._digest = digest
        self._value = value

    def sign_digest(self, digest: bytes, hash_algorithm: str) -> bytes:
        if digest != self._digest:
            raise SigningFailed("the signed attributes are not those prepared")
        return self._value


def _byte_range_digest(stream: IO[bytes], prepared: PreparedSignature) -> bytes:
    """The digest of everything but the reserved /Contents, as the /ByteRange covers it."""
    digest = hashlib.new(prepared.hash_algorithm)
    stream.seek(0)
    remaining = prepared.reserved_start
    while remaining > 0 and (chunk := stream.read(min(remaining, _CHUNK))):
        digest.update(chunk)
        remaining -= len(chunk)
    stream.seek(prepared.reserved_end)
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.digest()


def _value_verifies(certificate_der: bytes, value: bytes, digest: bytes, hash_algorithm: str) -> bool:
    """Whether ``value`` is the certificate's key's signature of the prehashed ``digest``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = cx509.load_der_x509_certificate(certificate_der).public_key()
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


@dataclass(frozen=True)
class _Setup:
    signer: VaultBackedSigner
    meta: signers.PdfSignatureMetadata
    new_field: fields.SigFieldSpec
    stamp_style: TextStampStyle | None
    text_params: dict[str, str] | None
    timestamper: PortTimeStamper | None
    reserved: int


@dataclass(frozen=True)
class _BatchSlot:
    gathered: _GatheredDigests
    index: int

    async def sign(self, digest: bytes, hash_algorithm: str) -> bytes:
        return await self.gathered.sign(self.index, digest, hash_algorithm)


class PortTimeStamper(TimeStamper):
    """pyHanko's ``TimeStamper`` answered by our ``TimestampAuthority`` port.

    Kept for the adapter's lifetime: pyHanko caches, per instance, the TSA certificates
    it needs for B-LT, and we remember the largest token to size signatures.
    """

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(include_nonce=False)
        self._authority = authority
        self.largest_token = 0
        # TSA certificate DER -> (validated path, monotonic deadline)
        self._paths: dict[bytes, tuple[ValidationPath, float]] = {}

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        token = self._authority.timestamp(message_digest, md_algorithm)
        self.largest_token = max(self.largest_token, len(token))
        parsed = cms.ContentInfo.load(token)
        for cert in extract_ts_certs(parsed, self.cert_registry):
            self._certs[cert.issuer_serial] = cert
        return parsed

    def tsa_certificates(self) -> list[x509.Certificate]:
        return list(self.cert_registry)

    async def validation_paths(self, validation_context: ValidationContext) -> Any:
        """The TSA's validation paths, as pyHanko's, validated once per TSA certificate and
        ``_PATH_TTL`` rather than at every B-LT signature and document timestamp.

        A path is reused only while the context trusts its anchor, while the validation
        moment is inside every certificate's validity window, and for at most the TTL: the
        revocation data embedded in the file is still the context's own (fetched for this
        signature); only the repeated check of the same chain against it is spared. Per
        adapter, so per process: nothing is shared across processes."""
        await self._ensure_dummy()
        moment = validation_context.moment
        now = monotonic()
        for cert in self._certs.values():
            key = cert.dump()
            cached = self._paths.get(key)
            if cached is not None and _path_still_good(cached, validation_context, moment, now):
                yield cached[0]
                continue
            validator = CertificateValidator(cert, intermediate_certs=self.cert_registry,
                                             validation_context=validation_context)
            path = await validator.async_validate_usage(set(), {"time_stamping"})
            self._paths[key] = (path, now + _PATH_TTL)
            yield path


class PyHankoPdfSigning(StoredDocumentOperations):
    """The ``PdfSigning`` port on pyHanko.

    Args:
        vault: signs digests with the signer's key (``SigningIdentity.key_ref``).
        timestamp_authority: trusted time for B-T and above and for document timestamps.
        revocation_source: OCSP/CRL for B-LT; required for B-LT and B-LTA.
        trust_roots: DER roots B-LT validation accepts besides the last certificate of the
            signer's chain (e.g. the TSA's root when its tokens do not embed it).
        signing_hash: digest algorithm of the signatures.
        clock: the time B-LT validation happens at (the TSA's and the CA's time); required
            for B-LT and B-LTA, never replaced by the wall clock (the dry run at upload and the
            levels below validate nothing, so they need none).
        durable: fsync file outputs before publishing them. Off by default: the output
            appears atomically either way (temporary file + rename), and the document
            store that keeps the result owns durability; on 10 MB the fsync costs more
            than the signature.
    """

    def __init__(
        self,
        *,
        vault: KeyVault,
        timestamp_authority: TimestampAuthority | None = None,
        revocation_source: RevocationSource | None = None,
        trust_roots: Sequence[bytes] = (),
        signing_hash: str = "sha256",
        durable: bool = False,
        clock: Clock | None = None,
        isolation: BoundedProcessPool | None = None,
        scratch_dir: Path | None = None,
    ) -> None:
        self.scratch_dir = scratch_dir
        self._durable = durable
        self._clock = clock
        # The dry run at upload reads an untrusted file: given a pool, it runs there, bounded.
        self._isolation = isolation
        # addFilter ignores a filter already present: building adapters repeatedly is fine.
        logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_NO_FETCHING_WARNING)
        self._vault = vault
        self._timestamper = PortTimeStamper(timestamp_authority) if timestamp_authority else None
        self._revocation = revocation_source
        self._trust_roots = [x509.Certificate.load(der) for der in trust_roots]
        self._hash = signing_hash
        # Bounded: one-time certificates (one per ceremony) would otherwise pile up.
        self._parsed: _Lru[x509.Certificate] = _Lru(256)
        self._certs_seen: _Lru[bool] = _Lru(1024)
        self._cms_parts: _Lru[CmsParts] = _Lru(256)
        self._known_paths = _KnownPaths()

    # -- PdfSigning: files -------------------------------------------------------------

    def sign_file(self, source: Path, destination: Path, request: SignatureRequest) -> None:
        with _atomic_output(source, destination, self._durable) as (infile, outfile):
            self._sign(infile, outfile, request)

    def sign_file_digested(self, source: Path, destination: Path, request: SignatureRequest,
                           checkpoints: Sequence[int]) -> ResultDigests | None:
        with _atomic_output(source, destination, self._durable) as (infile, outfile):
            return self._run(self._async_sign(infile, outfile, request, checkpoints=checkpoints))

    def sign_files_together(self, items: Sequence[tuple[Path, Path, SignatureRequest]],
                            signer: BatchDigestSigner) -> None:
        """Two-phase, on one event loop: each document's signature runs up to its signed-attribute
        digest and waits there; once all have theirs, ``signer`` is asked once and each
        signature goes on (signature value, timestamp, validation data). A document failing in
        the first phase stops the batch before the signer is asked; every output is then
        discarded, as are all of them when any fails later."""
        if not items:
            return
        with ExitStack() as stack:
            streams = [stack.enter_context(_atomic_output(source, destination, self._durable))
                       for source, destination, _request in items]
            self._run(self._sign_together(streams, [request for *_paths, request in items],
                                          _GatheredDigests(signer, len(items))))

    async def _sign_together(self, streams: Sequence[tuple[IO[bytes], IO[bytes]]],
                             requests: Sequence[SignatureRequest], gathered: _GatheredDigests) -> None:
        async def one(index: int) -> None:
            infile, outfile = streams[index]
            try:
                await self._async_sign(infile, outfile, requests[index], slot=_BatchSlot(gathered, index))
            except BaseException as exc:
                gathered.abort(exc)
                raise

        results = await asyncio.gather(*(one(n) for n in range(len(requests))), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise next((f for f in failures if not isinstance(f, _BatchAborted)), failures[0])

    def timestamp_file(self, source: Path, destination: Path) -> None:
        with _atomic_output(source, destination, self._durable) as (infile, outfile):
            self._timestamp(infile, outfile)

    def timestamp_file_digested(self, source: Path, destination: Path,
                                checkpoints: Sequence[int]) -> ResultDigests | None:
        with _atomic_output(source, destination, self._durable) as (infile, outfile):
            return self._timestamp(infile, outfile, checkpoints)

    def create_fields_file(self, source: Path, destination: Path, fields_: Sequence[SignatureField]) -> None:
        with _atomic_output(source, destination, self._durable) as (infile, outfile):
            self._create_fields(infile, outfile, fields_)

    def append_signature_page_file(self, source: Path, destination: Path, page: SignaturePage) -> None:
        with _atomic_output(source, destination, self._durable) as (infile, outfile):
            _append_signature_page(infile, outfile, page)

    def check_signable_file(self, path: Path) -> None:
        if self._isolation is None:
            self._check_signable_here(Path(path).read_bytes())
            return
        try:  # the worker reads the file: only its path crosses the pipe
            self._isolation.call(dry_run_check_file, str(path), self._hash)
        except LimitExceeded as exc:
            raise PdfTooComplex("preparing the PDF exceeded its limits", problem=exc.reason) from exc

    def check_signable(self, pdf: bytes) -> None:
        if self._isolation is None:
            self._check_signable_here(pdf)
            return
        try:
            self._isolation.call(dry_run_check, pdf, self._hash)
        except LimitExceeded as exc:
            raise PdfTooComplex("preparing the PDF exceeded its limits", problem=exc.reason) from exc

    def _check_signable_here(self, pdf: bytes) -> None:
        """A dry run of what sending and signing will do, on a copy in memory, then forgotten.

        Two empty fields (one invisible, one with a box on the last page) as sending adds them,
        a signature with a visible appearance by a throwaway key (never trusted, never kept),
        the next signer's opening of the result, and, when the file already carries
        signatures, a check that none of them is broken by our updates.
        """
        source = io.BytesIO(pdf)
        existing = _signature_names(_open_writer(source))
        source.seek(0)
        prepared = io.BytesIO()
        self._create_fields(source, prepared, _DRY_RUN_FIELDS)
        prepared.seek(0)
        signed = io.BytesIO()
        with _typed_pdf_errors():
            writer = _open_writer(prepared)
            meta = signers.PdfSignatureMetadata(field_name=_DRY_RUN_FIELDS[1].name, md_algorithm=self._hash,
                                                subfilter=fields.SigSeedSubFilter.PADES)
            pdf_signer = signers.PdfSigner(meta, signer=_dry_run_signer(),
                                           stamp_style=_stamp_style())
            # A fixed reservation: left unset, pyHanko signs a second time just to measure the CMS.
            self._run(pdf_signer.async_sign_pdf(writer, output=signed, appearance_text_params=_DRY_RUN_LINES,
                                                bytes_reserved=_DRY_RUN_RESERVED))
        signed.seek(0)
        _open_writer(signed)
        if existing:
            _check_signatures_survive(pdf, signed.getvalue(), existing)

    def last_document_timestamp_file(self, path: Path) -> TimestampFacts | None:
        with open(path, "rb") as stream:
            return self._last_document_timestamp(stream)

    def _last_document_timestamp(self, stream: IO[bytes]) -> TimestampFacts | None:
        with _typed_pdf_errors():
            reader = PdfFileReader(stream, strict=False)
            stamps = [s for s in reader.embedded_signatures if s.sig_object_type == "/DocTimeStamp"]
        if not stamps:
            return None
        last = max(stamps, key=lambda s: s.signed_revision)
        signed_data = last.signed_data
        info = extract_certificate_info(signed_data)
        tsa_cert = info.signer_cert
        try:
            dss_certs = list(DocumentSecurityStore.read_dss(reader).load_certs())
        except ValidationInfoReadingError:
            dss_certs = []
        pool = [*info.other_certs, *dss_certs, *self._trust_roots]
        if self._timestamper is not None:
            pool += self._timestamper.tsa_certificates()
        chain = [tsa_cert]
        while chain[-1].self_signed not in ("maybe", "yes") and len(chain) < 10:
            issuer = _issuer_of(chain[-1], pool)
            if issuer is None:
                break  # an end we cannot see counts as none: the TSA's own certificate still bounds it
            chain.append(issuer)
        tst_info = signed_data["encap_content_info"]["content"].parsed
        algorithms = [tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native]
        algorithms += [si["digest_algorithm"]["algorithm"].native for si in signed_data["signer_infos"]]
        algorithms.append(_key_mechanism(tsa_cert.public_key))
        return TimestampFacts(stamped_at=tst_info["gen_time"].native,
                              certificate_ends=[c["tbs_certificate"]["validity"]["not_after"].native for c in chain],
                              algorithms=list(dict.fromkeys(algorithms)))

    # -- internals ---------------------------------------------------------------------

    def _cert(self, der: bytes) -> x509.Certificate:
        cert = self._parsed.get(der)
        if cert is not None:
            return cert
        cert = x509.Certificate.load(der)
        if not self._certs_seen.get(der):
            # Met for the first time (most likely an external signer's one-time certificate, never
            # seen again): this signature's own, parsed only as far as it is read (0.6 ms saved).
            self._certs_seen.put(der, True)
            return cert
        # asn1crypto parses lazily and caches as it goes, which is not thread-safe: signers in
        # parallel threads read the same cached certificate, so parse it whole before sharing.
        _ = cert.native
        return self._parsed.put(der, cert)

    def _sign(self, infile: IO[bytes], outfile: IO[bytes], request: SignatureRequest) -> None:
        self._run(self._async_sign(infile, outfile, request))

    async def _async_sign(self, infile: IO[bytes], outfile: IO[bytes], request: SignatureRequest,
                          slot: _BatchSlot | None = None, checkpoints: Sequence[int] = ()) -> ResultDigests | None:
        """``slot``: the signature value comes from a batch of documents signed together
        (``sign_files_together``) instead of the identity's vault key or remote signer. The
        result's digests, when ``checkpoints`` ask for them (the stored path) and the original
        revision was copied and hashed as SHA-256 (a large file): the prefix's as written, then
        what follows it read back once complete."""
        writer = _open_writer(infile, copy_to=outfile, algorithm=self._hash, checkpoints=checkpoints)
        try:
            await self._sign_with(writer, infile, outfile, request, slot)
        finally:
            writer.finish_prefix_copy()
        return _result_digests(writer, outfile) if checkpoints else None

    async def _sign_with(self, writer: PrefixDigestWriter, infile: IO[bytes], outfile: IO[bytes],
                         request: SignatureRequest, slot: _BatchSlot | None) -> None:
        setup = await self._setup(request, slot)
        signer, meta, new_field, stamp_style, text_params, timestamper = (
            setup.signer, setup.meta, setup.new_field, setup.stamp_style, setup.text_params, setup.timestamper)
        level, reserved = request.level, setup.reserved
        for attempt in (1, 2):
            pdf_signer = signers.PdfSigner(
                meta, signer=signer, timestamper=timestamper, stamp_style=stamp_style, new_field_spec=new_field
            )
            try:
                await pdf_signer.async_sign_pdf(
                    writer,
                    bytes_reserved=2 * reserved,  # pyHanko counts hex digits
                    appearance_text_params=text_params,
                    output=outfile,
                    chunk_size=_CHUNK,
                )
                break
            except SigningError as exc:
                cause = exc.__cause__
                if isinstance(cause, (PathBuildingError, PathValidationError)):
                    raise SigningCertificateRejected(str(cause)) from exc
                if _is_lock(exc):
                    raise LockedPdf(str(exc)) from exc
                if attempt == 1 and slot is None and "larger than expected" in str(exc):
                    # Our size estimate was short (an unusually large token or chain):
                    # start over once with twice the room.
                    reserved *= 2
                    writer.finish_prefix_copy()
                    writer.prefix_state = None  # the output is written again, its prefix by pyHanko
                    infile.seek(0)
                    outfile.seek(0)
                    outfile.truncate()
                    writer = _open_writer(infile)
                    continue
                raise SigningFailed(str(exc)) from exc
            except DomainError:
                raise
            except PdfError as exc:
                raise BrokenPdf(str(exc)) from exc
            except Exception as exc:  # the port promises typed errors
                raise SigningFailed(f"{type(exc).__name__}: {exc}") from exc
        if level is PadesLevel.B_LTA:
            outfile.seek(0)
            # Timestamp the signed revision in place: the output already holds it.
            await self._document_timestamp(_open_writer(outfile), in_place=True)

    # -- PausedPdfSigning: a signature kept half made across requests -----------------------

    def prepare_files(self, items: Sequence[tuple[Path, Path, SignatureRequest]]) -> list[PreparedSignature]:
        """The first phase of each signature, file to file: the destination is the prepared PDF
        (its /Contents a placeholder), whose digests come back."""
        prepared = []
        for source, destination, request in items:
            with _atomic_output(source, destination, self._durable) as (infile, outfile):
                prepared.append(self._run(self._async_prepare(infile, outfile, request)))
        return prepared

    async def _async_prepare(self, infile: IO[bytes], outfile: IO[bytes], request: SignatureRequest) -> PreparedSignature:
        writer = _open_writer(infile)
        setup = await self._setup(request)
        pdf_signer = signers.PdfSigner(setup.meta, signer=setup.signer, timestamper=setup.timestamper,
                                       stamp_style=setup.stamp_style, new_field_spec=setup.new_field)
        try:
            # The certificate is validated now (revocation included): a revoked one is refused
            # before the signer consents at the provider, not after.
            prepared, _tbs, _output = await pdf_signer.async_digest_doc_for_signing(
                writer, bytes_reserved=2 * setup.reserved, appearance_text_params=setup.text_params,
                output=outfile, chunk_size=_CHUNK)
        except SigningError as exc:
            cause = exc.__cause__
            if isinstance(cause, (PathBuildingError, PathValidationError)):
                raise SigningCertificateRejected(str(cause)) from exc
            if _is_lock(exc):
                raise LockedPdf(str(exc)) from exc
            raise SigningFailed(str(exc)) from exc
        except DomainError:
            raise
        except PdfError as exc:
            raise BrokenPdf(str(exc)) from exc
        except Exception as exc:  # the port promises typed errors
            raise SigningFailed(f"{type(exc).__name__}: {exc}") from exc
        attributes = await setup.signer.signed_attrs(prepared.document_digest, self._hash, use_pades=True)
        return PreparedSignature(base="", prepared="", document_digest=prepared.document_digest, reserved_start=prepared.reserved_region_start,
                         reserved_end=prepared.reserved_region_end,
                         digest=hashlib.new(self._hash, attributes.dump()).digest(), hash_algorithm=self._hash)

    def finish_files(self, items: Sequence[tuple[Path, Path, PreparedSignature, SignatureRequest, bytes]]) -> None:
        """The second phase, file to file: (prepared PDF, destination, what was prepared, the
        request, the signature value). Every value is checked before any file is written."""
        for _source, _destination, prepared, request, value in items:
            if not _value_verifies(request.identity.certificate, value, prepared.digest, prepared.hash_algorithm):
                raise SigningFailed("a signature value does not verify for the digest prepared")
        for source, destination, prepared, request, value in items:
            with _atomic_output(source, destination, self._durable) as (infile, outfile):
                self._run(self._async_finish(infile, outfile, prepared, request, value))

    async def _async_finish(self, infile: IO[bytes], outfile: IO[bytes], prepared: PreparedSignature,
                            request: SignatureRequest, value: bytes) -> None:
        from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
        from pyhanko.sign.signers.pdf_signer import PdfTBSDocument

        with tempfile.TemporaryFile() as work:
            while chunk := infile.read(_CHUNK):
                work.write(chunk)
            byte_range = PreparedByteRangeDigest(document_digest=prepared.document_digest,
                                                 reserved_region_start=prepared.reserved_start,
                                                 reserved_region_end=prepared.reserved_end)
            if _byte_range_digest(work, prepared) != prepared.document_digest:
                raise SigningFailed("the prepared PDF is not the one prepared")
            setup = await self._setup(request, remote=_GivenValue(prepared.digest, value))
            try:
                attributes = await setup.signer.signed_attrs(prepared.document_digest, self._hash, use_pades=True)
                # The signature timestamp goes in the CMS's unsigned attributes, as in one phase.
                signature = await setup.signer.async_sign_prescribed_attributes(
                    self._hash, attributes, timestamper=setup.timestamper)
                await PdfTBSDocument.async_finish_signing(work, byte_range, signature, chunk_size=_CHUNK)
            except SigningError as exc:
                raise SigningFailed(str(exc)) from exc
            except DomainError:
                raise
            except Exception as exc:  # the port promises typed errors
                raise SigningFailed(f"{type(exc).__name__}: {exc}") from exc
            work.seek(0)
            if request.level in (PadesLevel.B_LT, PadesLevel.B_LTA):
                # The validation data one phase embeds after the signature: an incremental update
                # with the chain, the TSA's chain and their revocation data (B-LT).
                writer = _open_writer(work)
                self._complete_validation_data(writer)
                writer.write(outfile)
                if request.level is PadesLevel.B_LTA:
                    outfile.seek(0)
                    await self._document_timestamp(_open_writer(outfile), in_place=True)
            else:
                while chunk := work.read(_CHUNK):
                    outfile.write(chunk)

    async def _setup(self, request: SignatureRequest, slot: _BatchSlot | None = None,
                     remote: DigestSigner | None = None) -> _Setup:
        """What a signature of ``request`` needs before the PDF is touched: pyHanko's signer and
        metadata, the new field, the appearance and the room reserved for the CMS."""
        level = request.level
        if level is not PadesLevel.B_B and self._timestamper is None:
            raise SigningFailed(f"{level.value} needs a timestamp authority")
        if level in (PadesLevel.B_LT, PadesLevel.B_LTA) and self._revocation is None:
            raise SigningFailed(f"{level.value} needs a revocation source")
        identity = request.identity
        signing_cert = self._cert(identity.certificate)
        chain = [self._cert(der) for der in identity.chain]
        parts_key = b"".join((identity.certificate, *identity.chain))
        cms_parts = self._cms_parts.get(parts_key)
        if cms_parts is None:
            cms_parts = self._cms_parts.put(parts_key, CmsParts.of(identity.certificate, identity.chain))
        signer = VaultBackedSigner(
            vault=self._vault,
            key_ref=identity.key_ref,
            signing_cert=signing_cert,
            chain=chain,
            remote=remote if remote is not None else identity.remote,
            slot=slot,
            cms_parts=cms_parts,
        )
        timestamper = self._timestamper if level is not PadesLevel.B_B else None

        validation_context = None
        if level in (PadesLevel.B_LT, PadesLevel.B_LTA):
            revocation: dict[bytes, RevocationData] = {}
            validation_context = await self._validation_context([signing_cert, *chain], revocation)
            signer.known_path = functools.partial(self._known_paths.validated, parts_key, revocation)

        meta = signers.PdfSignatureMetadata(
            field_name=request.field_name,
            md_algorithm=self._hash,
            subfilter=fields.SigSeedSubFilter.PADES,
            name=request.name,
            reason=request.reason,
            location=request.location,
            embed_validation_info=validation_context is not None,
            validation_context=validation_context,
        )
        appearance = request.appearance
        box = appearance.box if appearance else None
        new_field = fields.SigFieldSpec(
            sig_field_name=request.field_name,
            on_page=box.page if box else 0,
            box=_rect(box) if box else None,
        )
        stamp_style = None
        text_params = None
        if appearance is not None:
            stamp_style = _stamp_style()
            text_params = _appearance_lines(appearance)
        reserved = _CMS_OVERHEAD + signer._signature_size + len(identity.certificate) + sum(map(len, identity.chain))
        if timestamper is not None:
            if not timestamper.largest_token:
                # Learn the TSA's token size once per adapter: a guess too small would
                # cost a whole second signature, a guess too large bloats every file.
                await timestamper.async_dummy_response(self._hash)
            reserved += timestamper.largest_token + 1024
        return _Setup(signer=signer, meta=meta, new_field=new_field, stamp_style=stamp_style, text_params=text_params,
                      timestamper=timestamper, reserved=reserved)

    def _timestamp(self, infile: IO[bytes], outfile: IO[bytes], checkpoints: Sequence[int] = ()) -> ResultDigests | None:
        if self._timestamper is None:
            raise SigningFailed("a document timestamp needs a timestamp authority")
        writer = _open_writer(infile, copy_to=outfile, algorithm=self._hash, checkpoints=checkpoints)
        try:
            # The validation data goes into the timestamp's own revision (update_before_ts): one
            # write, through ``fill``, which keeps the original revision's digest (prefix_state).
            self._run(self._document_timestamp(writer, output=outfile))
        finally:
            writer.finish_prefix_copy()
        return _result_digests(writer, outfile) if checkpoints else None

    async def _document_timestamp(self, writer: IncrementalPdfFileWriter, **output: Any) -> None:
        timestamper = self._timestamper
        assert timestamper is not None
        # One token per adapter tells the TSA's certificates and the token size (cached).
        await timestamper.async_dummy_response(self._hash)
        validation_context = None
        if self._revocation is not None:
            self._complete_validation_data(writer)
            validation_context = await self._validation_context([])
        reserved = _CMS_OVERHEAD + timestamper.largest_token
        try:
            await PdfTimeStamper(timestamper).async_timestamp_pdf(
                writer,
                self._hash,
                validation_context=validation_context,
                # The TSA's validation data goes in before the timestamp, so the timestamp is
                # the last revision and covers the whole file (pdfsig: "Total document signed").
                dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
                bytes_reserved=2 * reserved,  # pyHanko counts hex digits
                chunk_size=_CHUNK,
                **output,
            )
        except SigningError as exc:
            raise SigningFailed(str(exc)) from exc

    def _complete_validation_data(self, writer: IncrementalPdfFileWriter) -> None:
        """Give every signature of the file its validation data before a document timestamp.

        Our signatures are B-LT when made (their VRI entry is there already); the last
        document timestamp, if any, gets fresh data for its TSA chain; a signature
        without a VRI entry (one that was in the PDF when it was uploaded, or a B-T signature
        made before every level was B-LT) gets the certificates of its chain and of its
        timestamp's TSA chain, an OCSP response or a CRL for each non-root certificate
        (wherever the revocation source can obtain it) and a VRI entry. The document
        timestamp then covers it all: B-LTA for every signature, not only the last one.
        """
        reader = writer.prev
        try:
            existing = DocumentSecurityStore.read_dss(reader)
            known_vri = set(existing.vri_entries)
            dss_certs = list(existing.load_certs())
        except ValidationInfoReadingError:
            known_vri, dss_certs = set(), []
        signatures = list(reader.embedded_regular_signatures)
        stamps = [s for s in reader.embedded_signatures if s.sig_object_type == "/DocTimeStamp"]
        last_stamp = max(stamps, key=lambda s: s.signed_revision) if stamps else None
        # The last document timestamp always gets fresh data: a new document timestamp over it
        # is an archive-timestamp renewal, which must prove the previous one's TSA chain still
        # good now (EN 319 142-1, PAdES-LTA); earlier ones got theirs at earlier renewals.
        for embedded in signatures + ([last_stamp] if last_stamp is not None else []):
            try:
                # The VRI key is the SHA-1 of the /Contents string, padding included, as
                # pyHanko keys the entries it writes when signing.
                contents = bytes(embedded.pkcs7_content)
                if embedded is not last_stamp and DocumentSecurityStore.sig_content_identifier(contents) in known_vri:
                    continue
                certs = _signature_certificates(embedded.signed_data)
            except Exception as exc:  # a damaged foreign signature: the verifier reports it
                _log.info("no validation data for signature %s: %s", embedded.field_name, exc)
                continue
            pool = certs + dss_certs + self._trust_roots
            if self._timestamper is not None:
                pool += self._timestamper.tsa_certificates()
            chain: dict[bytes, x509.Certificate] = {c.dump(): c for c in certs}
            ocsps: list[bytes] = []
            crls: list[bytes] = []
            todo = list(certs)
            while todo:
                cert = todo.pop()
                if cert.self_signed in ("maybe", "yes"):
                    continue
                issuer = _issuer_of(cert, pool)
                if issuer is None:
                    _log.info("no issuer for %s in signature %s", cert.subject.human_friendly, embedded.field_name)
                    continue
                if issuer.dump() not in chain:
                    chain[issuer.dump()] = issuer
                    todo.append(issuer)
                try:
                    data = self._revocation.revocation_data(cert.dump(), issuer.dump())  # type: ignore[union-attr]
                except Exception as exc:  # the CA of a foreign signature may be unreachable
                    _log.info("no revocation data for %s: %s", cert.subject.human_friendly, exc)
                    continue
                ocsps += data.ocsp_responses
                crls += data.crls
            DocumentSecurityStore.supply_dss_in_writer(
                writer,
                contents,
                certs=list(chain.values()),
                ocsps=[asn1_ocsp.OCSPResponse.load(der) for der in dict.fromkeys(ocsps)],
                crls=[asn1_crl.CertificateList.load(der) for der in dict.fromkeys(crls)],
            )

    def _create_fields(self, infile: IO[bytes], outfile: IO[bytes], fields_: Sequence[SignatureField]) -> None:
        writer = _open_writer(infile)
        with _typed_pdf_errors():
            for spec in fields_:
                fields.append_signature_field(
                    writer,
                    fields.SigFieldSpec(
                        sig_field_name=spec.name,
                        on_page=spec.box.page if spec.box else 0,
                        box=_rect(spec.box) if spec.box else None,
                    ),
                )
            writer.write(outfile)

    async def _validation_context(self, signer_certs: list[x509.Certificate],
                                  revocation: dict[bytes, RevocationData] | None = None) -> ValidationContext:
        """Validation data for the signer's chain and the TSA's, fetched through our port (and kept
        in ``revocation`` by certificate, when given)."""
        assert self._revocation is not None
        timestamper = self._timestamper
        certs = list(signer_certs)
        if timestamper is not None:
            await timestamper.async_dummy_response(self._hash)
            certs += timestamper.tsa_certificates()
        roots = [c for c in certs if c.self_signed == "maybe" or c.self_signed == "yes"] + self._trust_roots
        by_subject = {c.subject.dump(): c for c in certs + self._trust_roots}
        ocsps: list[bytes] = []
        crls: list[bytes] = []
        seen: set[bytes] = set()
        for cert in certs:
            der = cert.dump()
            if der in seen or cert in roots:
                continue
            seen.add(der)
            issuer = by_subject.get(cert.issuer.dump())
            if issuer is None:
                continue  # pyHanko reports the broken path with a clear error
            data: RevocationData = self._revocation.revocation_data(der, issuer.dump())
            if revocation is not None:
                revocation[der] = data
            ocsps += data.ocsp_responses
            crls += data.crls
        if self._clock is None:
            raise SigningFailed("B-LT needs the clock its validation happens at")
        moment = self._clock.now()
        # One root CRL often covers several certificates: embed it once.
        handlers = bootstrap_validation_data_handlers(
            fetchers=None,
            crls=[CRLContainer(asn1_crl.CertificateList.load(der)) for der in dict.fromkeys(crls)],
            ocsps=[c for der in dict.fromkeys(ocsps) for c in OCSPContainer.load_multi(asn1_ocsp.OCSPResponse.load(der))],
            certs=certs,
            nonrevoked_assertions=self._known_paths.unrevoked_cas(certs, revocation or {}, moment),
        )
        return ValidationContext(
            trust_roots=roots,
            certificate_registry=handlers.cert_registry,
            revinfo_manager=handlers.revinfo_manager,
            allow_fetching=False,
            revocation_mode="hard-fail",
            moment=moment,
        )

    @staticmethod
    def _run(coro: Any) -> Any:
        """pyHanko's API is async; the port is not. A caller already inside an event loop (an
        async handler, Playwright's sync API in tests) cannot nest asyncio.run, so the
        coroutine then runs on a loop of its own in a short-lived thread."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # One loop per thread, kept: asyncio.run builds and tears down a loop (selector,
            # self-pipe, executor shutdown) at every call, a good part of a 1-page signature.
            loop = getattr(_thread_loops, "loop", None)
            if loop is None or loop.is_closed():
                loop = _thread_loops.loop = asyncio.new_event_loop()
            return loop.run_until_complete(coro)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["value"] = asyncio.run(coro)
            except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
                outcome["error"] = error

        worker = threading.Thread(target=run, name="pyhanko-loop")
        worker.start()
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


class _KnownPaths:
    """The validated paths of the certificates this adapter signs with again and again (the
    platform seal, a member's certificate), reused for ``_PATH_TTL`` as the TSA's are.

    pyHanko validates the signer's path before every B-LT signature, revocation included: about a
    third of such a signature's CPU, for a chain that passed a minute earlier. A path is reused
    only under the TSA paths' conditions (anchor still trusted, validation moment inside every
    certificate's validity, at most the TTL) and if the revocation data fetched for this very
    signature still vouches for every certificate of the path but the root: an OCSP response or a
    CRL of its issuer that says it is not revoked, and nothing saying it is. Otherwise pyHanko
    validates as before, and refuses a revoked certificate. The data embedded in the file is this
    signature's own either way. A certificate is remembered from its second signature on: the
    one-time certificates of external signers, met once each, never push the seal out."""

    def __init__(self, size: int = 64) -> None:
        self._seen: _Lru[bool] = _Lru(4 * size)
        self._paths: _Lru[tuple[ValidationPath, float]] = _Lru(size)
        # An issuing CA's status as pyHanko established it: (when, until, monotonic deadline), by
        # the CA certificate and the exact revocation data it was checked against (_status_key).
        self._statuses: _Lru[tuple[datetime, datetime, float]] = _Lru(size)

    def unrevoked_cas(self, certs: Sequence[x509.Certificate], revocation: dict[bytes, RevocationData],
                      moment: datetime) -> list[NonRevokedStatusAssertion]:
        """What pyHanko may take as not revoked without checking again: an issuing CA of a path it
        validated with byte for byte the revocation data fetched now for that CA (its issuer's CRL
        or OCSP response), at a moment between that validation and the data's next update, for at
        most the TTL. The leaf is always checked. The external signers' one-time certificates all
        hang from the same CA: its CRL was verified again at each of their signatures."""
        now, known = monotonic(), []
        for cert in certs:
            data = revocation.get(cert.dump())
            status = self._statuses.get(_status_key(cert, data)) if data is not None else None
            if status is not None and status[0] <= moment < status[1] and now < status[2]:
                known.append(NonRevokedStatusAssertion(cert_sha256=cert.sha256, at=moment))
        return known

    def _learn_statuses(self, path: ValidationPath, context: ValidationContext,
                        revocation: dict[bytes, RevocationData], moment: datetime, now: float) -> None:
        leaf = path.leaf
        for cert in path.iter_certs(False):
            data = revocation.get(cert.dump())
            if data is None or (isinstance(leaf, x509.Certificate) and cert.dump() == leaf.dump()):
                continue
            if context.revinfo_manager.check_asserted_unrevoked(cert, moment):
                continue  # taken from an earlier check, not checked now: its TTL runs on
            until = _next_update(data)
            if until is not None and moment < until:
                self._statuses.put(_status_key(cert, data), (moment, until, now + _PATH_TTL))

    async def validated(self, chain_key: bytes, revocation: dict[bytes, RevocationData],
                        context: ValidationContext, key_usage: set[str],
                        validate: Callable[[], Awaitable[ValidationPath]]) -> ValidationPath:
        key = b"\0".join([chain_key, *sorted(k.encode() for k in key_usage or ())])
        now = monotonic()
        cached = self._paths.get(key)
        if (cached is not None and _path_still_good(cached, context, context.moment, now)
                and all(_vouched_for(cert, revocation.get(cert.dump())) for cert in cached[0].iter_certs(False))):
            return cached[0]
        path = await validate()
        if context.moment is not None:
            self._learn_statuses(path, context, revocation, context.moment, now)
        if self._seen.get(key):
            self._paths.put(key, (path, now + _PATH_TTL))
        else:
            self._seen.put(key, True)
        return path


def _status_key(cert: x509.Certificate, data: RevocationData) -> bytes:
    digest = hashlib.sha256(cert.dump())
    for part in (*data.ocsp_responses, b"", *data.crls):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()


def _next_update(data: RevocationData) -> datetime | None:
    """The earliest next update of this revocation data; None if a part says none (no reuse then)."""
    updates = [asn1_crl.CertificateList.load(raw)["tbs_cert_list"]["next_update"].native for raw in data.crls]
    for raw in data.ocsp_responses:
        response = asn1_ocsp.OCSPResponse.load(raw)
        if response["response_status"].native != "successful":
            return None
        updates += [single["next_update"].native for single in response.basic_ocsp_response["tbs_response_data"]["responses"]]
    if not updates or any(u is None for u in updates):
        return None
    return min(updates)


def _vouched_for(cert: x509.Certificate, data: RevocationData | None) -> bool:
    """Whether this revocation data says ``cert`` is not revoked, and nothing in it says otherwise."""
    if data is None:
        return False
    serial, vouched = cert.serial_number, False
    for raw in data.ocsp_responses:
        response = asn1_ocsp.OCSPResponse.load(raw)
        if response["response_status"].native != "successful":
            continue
        for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
            if single["cert_id"]["serial_number"].native == serial:
                if single["cert_status"].name != "good":
                    return False
                vouched = True
    for raw in data.crls:
        crl = asn1_crl.CertificateList.load(raw)
        if crl.issuer.dump() != cert.issuer.dump():
            continue
        if any(entry["user_certificate"].native == serial for entry in crl["tbs_cert_list"]["revoked_certificates"]):
            return False
        vouched = True
    return vouched


_pyhanko_presign_signer_validation = PdfSigningSession._perform_presign_signer_validation


async def _presign_signer_validation(session: PdfSigningSession, validation_context: ValidationContext,
                                     key_usage: set[str]) -> ValidationPath:
    """pyHanko's pre-sign validation of the signer's path, through the signer's known path if it has one."""
    def validate() -> Awaitable[ValidationPath]:
        return _pyhanko_presign_signer_validation(session, validation_context, key_usage)

    known = getattr(session.pdf_signer.signer, "known_path", None)
    if known is None:
        return await validate()
    return await known(validation_context, key_usage, validate)


PdfSigningSession._perform_presign_signer_validation = _presign_signer_validation  # type: ignore[method-assign]


def _path_still_good(cached: tuple[ValidationPath, float], context: ValidationContext, moment: datetime,
                     now: float) -> bool:
    path, deadline = cached
    if now >= deadline or moment is None:
        return False
    if context.path_builder.trust_manager.as_trust_anchor(path.trust_anchor.authority) is None:
        return False
    return all(c.not_valid_before <= moment < c.not_valid_after for c in path.iter_certs(include_root=True))


def _signature_certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    """The signer's certificate, the others its CMS carries, and those of its signature timestamps."""
    info = extract_certificate_info(signed_data)
    certs = [info.signer_cert, *info.other_certs]
    for signer_info in signed_data["signer_infos"]:
        for tst in extract_tst_data_iter(signer_info, signed=False):
            tst_info = extract_certificate_info(tst)
            certs += [tst_info.signer_cert, *tst_info.other_certs]
    return list({c.dump(): c for c in certs}.values())


def _key_mechanism(public_key: keys.PublicKeyInfo) -> str:
    """The TSA key's mechanism as domain.model.archive names it: ``rsa-2048``, ``ec-secp256r1``."""
    algorithm = public_key.algorithm
    if algorithm == "rsa":
        return f"rsa-{public_key.bit_size}"
    if algorithm == "ec":
        return f"ec-{public_key.curve[1]}"
    return str(algorithm)


def _issuer_of(cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> x509.Certificate | None:
    aki = cert.authority_key_identifier
    for candidate in pool:
        if candidate.subject == cert.issuer and (aki is None or candidate.key_identifier == aki):
            return candidate
    return None


class _NoFetchingWarning(logging.Filter):
    """pyHanko warns at every B-LT signature that fetching is off; for us that is the
    design (revocation data comes through the RevocationSource port), not a problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


_NO_FETCHING_WARNING = _NoFetchingWarning()


class _Lru(Generic[_T]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, _T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> _T | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: bytes, value: _T) -> _T:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def _rect(box: Box) -> tuple[int, int, int, int]:
    return (round(box.x), round(box.y), round(box.x + box.width), round(box.y + box.height))


def _appearance_lines(appearance: VisibleSignature) -> dict[str, str]:
    when = _when(appearance.signed_at, appearance.signed_before)
    if appearance.title is not None:
        return {"line1": appearance.title, "line2": appearance.signer_name, "line3": when}
    return {
        "line1": f"Signé par {appearance.signer_name}",
        "line2": when,
        "line3": appearance.level_label,
    }


def _when(start: datetime, end: datetime | None) -> str:
    """« le 7 décembre 2026 à 10 h 03 », or, for a signature made later than drawn, the window
    it is made in (minutes shown are the start's, cut, and the end's, already whole)."""
    at = start.astimezone(_PARIS)
    day = f"{at.day} {_MONTHS[at.month - 1]} {at.year}"
    if end is None:
        return f"le {day} à {at.hour} h {at.minute:02d}"
    until = end.astimezone(_PARIS)
    if until.date() == at.date():
        return f"le {day} entre {at.hour} h {at.minute:02d} et {until.hour} h {until.minute:02d}"
    return (f"entre le {day} à {at.hour} h {at.minute:02d} et le {until.day} {_MONTHS[until.month - 1]} "
            f"{until.year} à {until.hour} h {until.minute:02d}")


_TITLE = "Page de signatures"
_TITLE_SIZE = 18
_NAME_SIZE = 11


def _pdf_text(text: str) -> bytes:
    data = text.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _fitted(text: str, size: float, width: float) -> str:
    """``text`` cut (with an ellipsis) to about ``width`` points of Helvetica at ``size``:
    0.55 em a character, a generous average."""
    room = max(4, int(width / (0.55 * size)))
    return text if len(text) <= room else text[: room - 1] + "…"


def _append_signature_page(infile: IO[bytes], outfile: IO[bytes], page: SignaturePage) -> None:
    """A blank page after the last one, in an incremental update: the title and the document's
    name at the top (Helvetica, WinAnsi), the rest left for the signature boxes."""
    writer = _open_writer(infile)
    with _typed_pdf_errors():
        margin = 36.0
        width = page.width - 2 * margin
        title_y = page.height - margin - _TITLE_SIZE
        name_y = title_y - _NAME_SIZE - 12
        content = (b"BT /F1 %d Tf %.2f %.2f Td (%s) Tj ET\n" % (_TITLE_SIZE, margin, title_y, _pdf_text(_TITLE))
                   + b"BT /F2 %d Tf %.2f %.2f Td (%s) Tj ET\n"
                   % (_NAME_SIZE, margin, name_y, _pdf_text(_fitted(page.document_name, _NAME_SIZE, width)))
                   + b"0.6 G 0.5 w %.2f %.2f m %.2f %.2f l S\n" % (margin, name_y - 10, page.width - margin, name_y - 10))
        stream = writer.add_object(generic.StreamObject(stream_data=content))

        def font(base: str) -> generic.DictionaryObject:
            return generic.DictionaryObject({
                generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                generic.pdf_name("/BaseFont"): generic.pdf_name(base),
                generic.pdf_name("/Encoding"): generic.pdf_name("/WinAnsiEncoding"),
            })

        new_page = generic.DictionaryObject({
            generic.pdf_name("/Type"): generic.pdf_name("/Page"),
            generic.pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.FloatObject(0), generic.FloatObject(0),
                 generic.FloatObject(page.width), generic.FloatObject(page.height)]),
            generic.pdf_name("/Resources"): generic.DictionaryObject({
                generic.pdf_name("/Font"): generic.DictionaryObject({
                    generic.pdf_name("/F1"): writer.add_object(font("/Helvetica-Bold")),
                    generic.pdf_name("/F2"): writer.add_object(font("/Helvetica")),
                }),
            }),
            generic.pdf_name("/Contents"): stream,
        })
        writer.insert_page(new_page)
        writer.write(outfile)


def _open_writer(stream: IO[bytes], copy_to: IO[bytes] | None = None, algorithm: str = "sha256",
                 checkpoints: Sequence[int] = ()) -> PrefixDigestWriter:
    """``copy_to``: the empty output file the update will be written to; the copy of the
    original revision into it, hashed with ``algorithm``, starts at once (adapters/shared/
    pdf_prefix_digest.py). The caller then calls ``finish_prefix_copy`` whatever happens."""
    head = stream.read(1024)
    stream.seek(0)
    if b"%PDF-" not in head:
        raise NotAPdf("the file does not start like a PDF")
    # Started before the file is parsed, so that the copy runs while pyHanko parses.
    copy = start_prefix_copy(stream, copy_to, algorithm, checkpoints) if copy_to is not None else None
    try:
        try:
            # Strict (pyHanko's default): lenient parsing would also accept hybrid
            # cross-reference files, a known way to show signers one thing and readers another.
            writer = PrefixDigestWriter(stream, strict=True)
        except PdfError as exc:
            raise BrokenPdf(str(exc)) from exc
        except Exception as exc:  # pyHanko raises plain errors on some damaged files
            raise BrokenPdf(f"{type(exc).__name__}: {exc}") from exc
        if writer.prev.encrypted:
            raise EncryptedPdf("the PDF is encrypted")
        writer.IO_CHUNK_SIZE = _CHUNK  # the copy of the original revision into the output
        _mend_xmp(writer)
    except BaseException:
        if copy is not None:
            copy.wait()
        raise
    writer.prefix_copy = copy
    return writer


# Ghostscript (10.0, PDF 2.0 output without a producer) writes ``pdf:Producer=UnknownProducer``:
# an XML attribute value without quotes.
_BARE_ATTRIBUTE = re.compile(rb"""(\s[A-Za-z_][\w.-]*:[\w.-]+=)([^\s"'<>/=][^\s"'<>=]*?)(?=\s|/?>)""")


def _mend_xmp(writer: IncrementalPdfFileWriter) -> None:
    """Repair, in the revision being written, an XMP packet that does not parse as XML.

    pyHanko rewrites the document's XMP metadata at every incremental update of a PDF 2.0
    file, or of any file whose catalog has /Metadata, and stops on a packet it cannot parse.
    A malformed packet must not stop a signature: the known Ghostscript defect (attribute
    values without quotes) is repaired and everything the packet says is kept; a packet
    beyond repair is replaced by a fresh one, which pyHanko then fills from the document.
    The original revision keeps its bytes, as every incremental update does. The repaired
    packet is written once, so later writers (pyHanko's own, for validation data and
    document timestamps) read a well-formed one.
    """
    try:
        stream = writer.root["/Metadata"]
    except Exception:  # noqa: BLE001 - none, or unreadable: pyHanko then writes a new packet or fails typed
        return
    if not isinstance(stream, xmp_xml.MetadataStream):
        return  # pyHanko writes a new packet instead of reading this one
    try:
        _ = stream.xmp
        return
    except Exception:  # noqa: BLE001 - undecodable or unparsable: both are mended below
        pass
    try:
        raw = stream.data
    except Exception:  # noqa: BLE001 - a filter pyHanko cannot decode
        raw = b""
    try:
        roots = xmp_xml.parse_xmp(io.BytesIO(_BARE_ATTRIBUTE.sub(_quoted, raw)))
    except Exception:  # noqa: BLE001
        roots = []
    writer.root["/Metadata"] = writer.add_object(xmp_xml.MetadataStream.from_xmp(roots))
    writer.update_root()


def _quoted(match: re.Match[bytes]) -> bytes:
    value = match.group(2).replace(b"&", b"&amp;").replace(b'"', b"&quot;")
    return match.group(1) + b'"' + value + b'"'


@contextmanager
def _typed_pdf_errors() -> Iterator[None]:
    """The port promises typed errors: what pyHanko raises on a file becomes an InvalidPdf."""
    try:
        yield
    except DomainError:
        raise
    except SigningError as exc:
        raise (LockedPdf if _is_lock(exc) else UnsignablePdf)(str(exc)) from exc
    except PdfError as exc:
        raise BrokenPdf(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001
        raise UnsignablePdf(f"{type(exc).__name__}: {exc}") from exc


def _is_lock(exc: Exception) -> bool:
    # pyHanko says "Author signature forbids all changes" (DocMDP) or that a field is locked (FieldMDP).
    text = str(exc).lower()
    return "forbid" in text or "locked" in text


_STAMP_TEXT = "%(line1)s\n%(line2)s\n%(line3)s"


def _stamp_style() -> TextStampStyle:
    """The signed box's look: its text on an opaque white ground filling the whole box, so what the
    page has under the box (text, lines) never shows through the signature."""
    white = RawContent(b"1 g 0 0 1 1 re f", box=BoxConstraints(width=1, height=1))
    return TextStampStyle(stamp_text=_STAMP_TEXT, background=white, background_opacity=1.0,
                          background_layout=layout.SimpleBoxLayoutRule(
                              x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
                              margins=layout.Margins.uniform(0), inner_content_scaling=layout.InnerScaling.STRETCH_FILL))
_DRY_RUN_FIELDS = (
    SignatureField(name="Seing-dry-run-invisible"),
    SignatureField(name="Seing-dry-run-visible", box=Box(page=-1, x=72, y=72, width=180, height=60)),
)
# Hex digits for the throwaway EC signature and its one small certificate, with room to spare.
_DRY_RUN_RESERVED = 8192
_DRY_RUN_LINES = {"line1": "Signé par Seing", "line2": "essai à blanc", "line3": "aucune valeur"}
_dry_run_lock = threading.Lock()
_dry_run_keys: list[tuple[x509.Certificate, _ThrowawayKey, CmsParts]] = []


class _ThrowawayKey:
    """The dry run's key: a ``DigestSigner`` in this process's memory."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    def sign_digest(self, digest: bytes, hash_algorithm: str) -> bytes:
        return self._key.sign(digest, ec.ECDSA(Prehashed(getattr(hashes, hash_algorithm.upper())())))


def _dry_run_signer() -> VaultBackedSigner:
    """A signer with a throwaway self-signed key for the intake's dry run (key made once per process).

    The same signer class as real signatures, so the dry run writes the CMS the way they do.
    Its signatures are never kept; its certificate's validity spans every date (RFC 5280's
    "no well-defined expiration"), so the dry run does not depend on the clock.
    """
    with _dry_run_lock:
        if not _dry_run_keys:
            key = ec.generate_private_key(ec.SECP256R1())
            name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Seing dry run (never trusted)")])
            cert = (
                cx509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(cx509.random_serial_number())
                .not_valid_before(datetime(1970, 1, 1, tzinfo=timezone.utc))
                .not_valid_after(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc))
                .sign(key, hashes.SHA256())
            )
            der_bytes = cert.public_bytes(serialization.Encoding.DER)
            certificate = x509.Certificate.load(der_bytes)
            _ = certificate.native  # parsed whole before threads share it (see _cert)
            _dry_run_keys.append((certificate, _ThrowawayKey(key), CmsParts.of(der_bytes, [])))
        certificate, key, parts = _dry_run_keys[0]
    return VaultBackedSigner(vault=None, key_ref=None, signing_cert=certificate, chain=[],  # type: ignore[arg-type]
                             remote=key, cms_parts=parts)


def _signature_names(writer: IncrementalPdfFileWriter) -> list[str]:
    with _typed_pdf_errors():
        return [signature.field_name for signature in writer.prev.embedded_signatures]


def _modifications_allowed(pdf: bytes, names: Sequence[str]) -> dict[str, bool]:
    """For each named signature: do the revisions after it stay within what it allows?"""
    reader = PdfFileReader(io.BytesIO(pdf), strict=True)
    allowed = {}
    for signature in reader.embedded_signatures:
        if signature.field_name in names:
            try:
                signature.compute_integrity_info()
                allowed[signature.field_name] = signature.summarise_integrity_info()["docmdp_ok"] is not False
            except Exception:  # noqa: BLE001 - a signature pyHanko cannot assess is no longer intact
                allowed[signature.field_name] = False
    return allowed


def _check_signatures_survive(original: bytes, result: bytes, names: Sequence[str]) -> None:
    """Refuse when our updates would turn a signature already in the file invalid.

    A certification signature (DocMDP) forbids new signature fields, as may a field lock;
    pyHanko's difference analysis tells. A signature the file already broke is not ours to judge.
    """
    with _typed_pdf_errors():
        before = _modifications_allowed(original, names)
        after = _modifications_allowed(result, names)
    broken = sorted(name for name in names if before.get(name) and not after.get(name, False))
    if broken:
        raise LockedPdf(f"adding our fields and signatures would invalidate {', '.join(broken)}")


def _result_digests(writer: PrefixDigestWriter, outfile: IO[bytes]) -> ResultDigests | None:
    """The finished output's SHA-256 from the original revision's digest as written and the bytes
    after it read back (a few kilobytes: the signature's updates); None without that digest."""
    state = writer.prefix_state
    if state is None or state[1].name != "sha256":
        return None
    length, prefix_digest, checkpoints = state
    digest = prefix_digest.copy()
    end = outfile.seek(0, os.SEEK_END)
    outfile.seek(length)
    misc.chunked_digest(bytearray(min(_CHUNK, end - length) or 1), outfile, digest, max_read=end - length)
    return ResultDigests(size=end, sha256=digest.hexdigest(),
                         prefixes=((length, prefix_digest.hexdigest()), *sorted(checkpoints.items())))


@contextmanager
def _atomic_output(source: Path, destination: Path, durable: bool) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """Open ``source`` and a temporary file beside ``destination``; publish it only on success."""
    source, destination = Path(source), Path(destination)
    try:
        same = os.path.samefile(source, destination)
    except FileNotFoundError:  # no destination yet (the usual case), or no source: open() says so
        same = False
    if same:
        raise ValueError("source and destination must differ")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    try:
        with open(source, "rb") as infile, os.fdopen(fd, "w+b") as outfile:
            yield infile, outfile
            if durable:
                outfile.flush()
                os.fsync(outfile.fileno())
        os.replace(tmp_name, destination)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def dry_run_check_file(path: str, signing_hash: str) -> None:
    """``check_signable_file`` in a worker process, which reads the file under its own limits."""
    with open(path, "rb") as handle:
        pdf = handle.read()
    dry_run_check(pdf, signing_hash)


def dry_run_check(pdf: bytes, signing_hash: str) -> None:
    """``check_signable`` in a worker process: the dry run needs no key vault (its key is throwaway)."""
    PyHankoPdfSigning(vault=None, signing_hash=signing_hash)._check_signable_here(pdf)  # type: ignore[arg-type]
