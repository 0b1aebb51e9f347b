"""The signing ceremony: a signer's link → a code → every document signed, then completion.

Thin entry points for the signer's page and API: ``open_ceremony``, ``ceremony_status``,
``request_signing_code``, ``record_identity_check``, ``sign``, ``refuse``. The worker runs
``finalise_signature`` (trusted time was unavailable), ``finalise_collection`` (B-LTA,
evidence, download links) and ``seal_evidence`` (refusal, expiry, cancellation).

How a signature stays whole (crash safety): the code is checked and used in a first
transaction; the PDFs are then signed outside any transaction (slow: keys, TSA, OCSP) and
their new versions stored content-addressed (an orphan is harmless); one last transaction
records every document's new version, the signer's status and the trail together. A crash
anywhere before that commit leaves the collection as it was: the signer asks for a new
code and signs again.

How parallel signers all end up in the PDF: signatures on one collection's documents are
serialised by ``SigningLocks`` (a lock that works across the processes of one host), and
each new version is recorded only if the version it was made from is still the latest
(``Document.advance``); otherwise the signer's signature is made again on the fresh one.
So even without the lock (several hosts) no signature is lost or made over a stale file.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Callable, Iterable, TypeVar

from attrs import frozen

from domain.model.audit import RequestContext
from domain.model.cabinet import Delegation
from domain.model.certificates import Certificate
from domain.model.collection import Collection, CollectionStatus, DownloadLink, EvidenceRef
from domain.model.document import Document, DocumentRef, FieldPlacement, field_name_for
from domain.model.errors import (
    CeremonyRefused,
    CollectionNotRunning,
    Conflict,
    DocumentCorrupted,
    DocumentNotPrepared,
    DocumentVersionConflict,
    DomainError,
    DownloadLinkUnusable,
    EvidenceNotReady,
    IdentityCheckRequired,
    InvitationLinkUnusable,
    NotFound,
    SignatureBeingFinalised,
    SignerStateRefused,
    SigningCertificateMissing,
    TimestampUnavailable,
)
from domain.model.evidence import build_evidence, evidence_json
from domain.model.identity import CheckMode, IdentitySession, IdentitySubject, identity_matches
from domain.model.jobs import JobSpec, Notification
from domain.model.one_time_code import CodePurpose, bind_payload
from domain.model.pki import CertificatePolicy, CertificateSubject, KeyType
from domain.model.signer import SignatureCertificate, SignatureLevel, Signer, SignerKind
from domain.model.tokens import hash_token
from domain.model.webhooks import WebhookEvent, event_job
from domain.services.audit import append, code_event_sink, sync_timeline
from domain.services.one_time_codes import check_code, send_code
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.evidence import EvidenceRenderer
from ports.identity import IdentityVerifier
from ports.ids import IdGenerator
from ports.keyvault import KeyVault
from ports.locks import SigningLocks
from ports.one_time_codes import CodeGenerator, CodeHasher
from ports.pdf_signing import (
    Box,
    PadesLevel,
    PdfSigning,
    SignatureField,
    SignatureRequest,
    SigningIdentity,
    VisibleSignature,
)
from ports.repositories import UnitOfWork

__all__ = [
    "CeremonyDocument", "CeremonyView", "CodeSent", "SignOutcome", "ceremony_status", "download_by_link",
    "evidence_for_member", "finalise_collection", "finalise_signature", "open_ceremony", "prepare_fields",
    "identity_check_outcome", "record_identity_check", "refuse", "start_identity_check", "request_signing_code", "seal_evidence", "sign", "signed_document_for_member",
]

UowFactory = Callable[[], UnitOfWork]

# Every signature carries its validation data (B-LT) from the moment it is made, whatever its
# level: a collection that is refused, expires or is cancelled still leaves a partially signed
# PDF whose signatures are each verifiable offline. Completion adds the document timestamp (B-LTA).
PADES_LEVEL = {SignatureLevel.SIMPLE: PadesLevel.B_LT, SignatureLevel.ADVANCED: PadesLevel.B_LT,
               SignatureLevel.ADVANCED_QUALIFIED: PadesLevel.B_LT}
# What the visible signature shows (user-facing, hence French).
LEVEL_LABEL = {SignatureLevel.SIMPLE: "Niveau 1 : signature simple",
               SignatureLevel.ADVANCED: "Niveau 2 : signature avancée",
               SignatureLevel.ADVANCED_QUALIFIED: "Niveau 3 : avancée, certificat qualifié"}
PLATFORM_SEAL_POLICY = "platform-seal"
DOWNLOAD_VALIDITY = timedelta(days=30)
MAX_CONFLICT_RETRIES = 20


T = TypeVar("T")
MAX_TRAIL_RETRIES = 30


def _retrying(work: Callable[[], T]) -> T:
    """Run a short transaction again when another one extended the same audit chain (or
    changed the same collection) first: the refused commit changed nothing."""
    for _attempt in range(MAX_TRAIL_RETRIES - 1):
        try:
            return work()
        except DocumentVersionConflict:
            raise
        except Conflict:
            continue
    return work()


def _purpose(collection_id: str) -> str:
    return CodePurpose.SIGNING.scoped(collection_id)


# -- views --------------------------------------------------------------------------------------


@frozen
class CeremonyDocument:
    document_id: str
    name: str
    page_count: int
    sha256: str  # of the version the signer reads and approves (bound to the code)
    size: int
    placement: FieldPlacement


@frozen
class CeremonyView:
    collection_id: str
    collection_title: str
    message: str
    sender_name: str
    cabinet_name: str
    deadline: datetime
    collection_status: str
    signer_id: str
    signer_name: str
    level: int
    signer_status: str  # pending, invited, opened, signed, refused, or "finalising"
    code_channel: str  # "email" or "sms"
    masked_destination: str
    identity_check_required: bool
    documents: tuple[CeremonyDocument, ...]


@frozen
class CodeSent:
    channel: str
    masked_destination: str
    expires_at: datetime


@frozen
class SignOutcome:
    status: str  # "signed", "finalising" (trusted time pending: the worker finishes it), "completed"
    collection_status: str


# -- helpers ------------------------------------------------------------------------------------


def _by_link(tx: UnitOfWork, token: str, now: datetime, *, running: bool = True) -> tuple[Collection, Signer]:
    token_hash = hash_token(token)
    collection = tx.collections.by_token_hash(token_hash)
    if collection is None:
        raise InvitationLinkUnusable("unknown link", reason="unknown")
    if running:
        return collection, collection.signer_for_link(token_hash, now)
    signer = next((s for s in collection.signers if s.holds(token_hash)), None)
    if signer is None:
        raise InvitationLinkUnusable("unknown link", reason="unknown")
    return collection, signer


def _channel(signer: Signer) -> tuple[str, str]:
    if signer.level.needs_mobile and signer.identity.mobile is not None:
        return "sms", signer.identity.mobile.masked()
    email = str(signer.email)
    local, _, domain = email.partition("@")
    return "email", f"{local[:1]}***@{domain}"


def _needs_identity_check(signer: Signer) -> bool:
    return (signer.kind is SignerKind.EXTERNAL and signer.level is SignatureLevel.ADVANCED_QUALIFIED
            and signer.identity_verified_at is None)


def _require_can_sign(signer: Signer) -> None:
    if signer.finalising_since is not None:
        raise SignatureBeingFinalised("your signature is being finalised")
    if not signer.waiting:
        raise SignerStateRefused("this signer cannot sign now", status=signer.status.value)
    if _needs_identity_check(signer):
        raise IdentityCheckRequired("level 3 needs an approved identity check first")


def _approved_digests(collection: Collection) -> list[str]:
    if any(d.prepared is None for d in collection.documents):
        raise DocumentNotPrepared("the documents are not ready for signing yet")
    return [d.approved.sha256 for d in collection.documents]


def _box(placement: FieldPlacement) -> Box:
    return Box(page=placement.page - 1, x=placement.x, y=placement.y, width=placement.width,
               height=placement.height)


def _enqueue(tx: UnitOfWork, notifications: Iterable[Notification]) -> None:
    for notification in notifications:
        tx.jobs.enqueue(JobSpec.notify(notification))


def _view(collection: Collection, signer: Signer) -> CeremonyView:
    channel, masked = _channel(signer)
    status = "finalising" if signer.finalising_since is not None else signer.status.value
    return CeremonyView(
        collection_id=collection.id, collection_title=collection.title, message=collection.message,
        sender_name=collection.preparer.identity.display_name, cabinet_name=collection.preparer.cabinet_name,
        deadline=collection.deadline, collection_status=collection.status.value, signer_id=signer.id,
        signer_name=signer.display_name, level=int(signer.level), signer_status=status, code_channel=channel,
        masked_destination=masked, identity_check_required=_needs_identity_check(signer),
        documents=tuple(CeremonyDocument(document_id=d.id, name=d.name, page_count=d.page_count,
                                         sha256=d.approved.sha256, size=d.approved.size,
                                         placement=collection.placement(d.id, signer.id))
                        for d in collection.documents))


# -- fields, created when the collection is sent ---------------------------------------------------


def _fields_for(collection: Collection, document: Document) -> list[SignatureField]:
    return [SignatureField(name=field_name_for(s.id), box=_box(collection.placement(document.id, s.id)))
            for s in collection.signers]


def build_prepared_versions(*, collection: Collection, store: DocumentStore,
                            signing: PdfSigning) -> dict[str, tuple[DocumentRef, tuple[SignatureField, ...]]]:
    """Every document not yet prepared, with an empty field per signer at its placement (stored)."""
    prepared: dict[str, tuple[DocumentRef, tuple[SignatureField, ...]]] = {}
    for document in collection.documents:
        if document.prepared is not None:
            continue
        fields = tuple(_fields_for(collection, document))
        content = signing.create_fields(store.read(document.ref.sha256), fields)
        prepared[document.id] = (store.put(content), fields)
    return prepared


def attach_prepared_versions(tx: UnitOfWork, collection: Collection,
                             prepared: dict[str, tuple[DocumentRef, tuple[SignatureField, ...]]],
                             now: datetime) -> None:
    """Record the prepared versions, refused when the signers or placements changed meanwhile."""
    for document_id, (ref, fields) in prepared.items():
        document = collection.document(document_id)
        if document.prepared is not None:
            continue
        if tuple(_fields_for(collection, document)) != fields:
            raise Conflict("the signers or their boxes changed while the documents were prepared")
        document.set_prepared(ref, now)
        append(tx, collection.id, "fields_created", at=now, document_id=document.id, before=document.ref.sha256,
               after=ref.sha256, fields=",".join(f.name for f in fields))


def prepare_fields(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                   locks: SigningLocks, collection_id: str) -> None:
    """Create the signature fields of a running collection whose documents lack them
    (a collection sent before this existed); idempotent."""
    with locks.hold(collection_id):
        with uow() as tx:
            collection = tx.collections.get(collection_id)
        if all(d.prepared is not None for d in collection.documents):
            return
        prepared = build_prepared_versions(collection=collection, store=store, signing=signing)
        with uow() as tx:
            collection = tx.collections.get(collection_id)
            attach_prepared_versions(tx, collection, prepared, clock.now())
            tx.commit()


# -- the signer's steps ---------------------------------------------------------------------------


def open_ceremony(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                  locks: SigningLocks, token: str, context: RequestContext | None = None) -> CeremonyView:
    """The signer follows their link: recorded as opened (the first time), documents ready."""
    now = clock.now()

    def record_opening() -> Collection:
        with uow() as tx:
            collection, signer = _by_link(tx, token, now)
            collection.open(signer_id=signer.id, now=now)
            sync_timeline(tx, collection, context)
            tx.commit()
            return collection

    collection = _retrying(record_opening)
    if any(d.prepared is None for d in collection.documents):
        prepare_fields(uow=uow, clock=clock, store=store, signing=signing, locks=locks, collection_id=collection.id)
    return ceremony_status(uow=uow, clock=clock, token=token)


def ceremony_status(*, uow: UowFactory, clock: Clock, token: str) -> CeremonyView:
    """Where the signer's ceremony is (the page polls this while a signature is being finalised)."""
    with uow() as tx:
        collection, signer = _by_link(tx, token, clock.now(), running=False)
        return _view(collection, signer)


def read_document_for_signer(*, uow: UowFactory, clock: Clock, store: DocumentStore, token: str,
                             document_id: str) -> tuple[str, bytes]:
    """The PDF the signer reads: exactly the version their code will be bound to."""
    with uow() as tx:
        collection, _signer = _by_link(tx, token, clock.now())
        document = collection.document(document_id)
    return document.name, store.read(document.approved.sha256)


def record_identity_check(*, uow: UowFactory, clock: Clock, token: str, approved: bool, reference: str,
                          context: RequestContext | None = None) -> None:
    """The identity provider decided (the page or worker calls this with the IdentityVerifier's
    result): an approval lets an external level-3 signer ask for their code."""
    now = clock.now()
    _retrying(lambda: _record_identity(uow, now, token, approved, reference, context))


def _record_identity(uow: UowFactory, now: datetime, token: str, approved: bool, reference: str,
                     context: RequestContext | None) -> None:
    with uow() as tx:
        collection, signer = _by_link(tx, token, now)
        if approved:
            signer.identity_verified_at = now
            signer.identity_check_reference = reference
        append(tx, collection.id, "identity_checked", at=now, actor=signer.id, context=context,
               signer_id=signer.id, outcome="approved" if approved else "rejected", reference=reference)
        tx.commit()


def start_identity_check(*, uow: UowFactory, clock: Clock, identity_verifier: IdentityVerifier, token: str,
                         context: RequestContext | None = None) -> IdentitySession:
    """Level 3 for an external signer: open an identity check (document and face) with the
    configured provider, the same port and capture pages as QCP enrollment."""
    now = clock.now()
    with uow() as tx:
        collection, signer = _by_link(tx, token, now)
        _require_can_sign_before_identity(signer)
    if previous := signer.identity_check_reference:
        try:
            identity_verifier.cancel(previous)
        except DomainError:
            pass  # already decided or unknown: a new attempt replaces it anyway
    session = identity_verifier.start_session(
        IdentitySubject(reference=signer.id, name=signer.identity.name, email=signer.identity.email),
        mode=CheckMode.DOCUMENT_AND_FACE)

    def remember() -> None:
        with uow() as tx:
            collection, signer = _by_link(tx, token, now)
            signer.identity_check_reference = session.session_ref
            append(tx, collection.id, "identity_checked", at=now, actor=signer.id, context=context,
                   signer_id=signer.id, outcome="started", reference=session.session_ref)
            tx.commit()

    _retrying(remember)
    return session


def identity_check_outcome(*, uow: UowFactory, clock: Clock, identity_verifier: IdentityVerifier, token: str,
                           context: RequestContext | None = None) -> str:
    """Where the signer's identity check is: "none", "pending", "approved" or "rejected" (the page
    polls this; an approval whose document names someone else is a rejection)."""
    now = clock.now()
    with uow() as tx:
        _collection, signer = _by_link(tx, token, now)
    if signer.identity_verified_at is not None:
        return "approved"
    if signer.identity_check_reference is None:
        return "none"
    result = identity_verifier.result(signer.identity_check_reference)
    if result is None:
        return "pending"
    approved = bool(result.approved and result.extracted is not None
                    and identity_matches(result.extracted, signer.identity.name, None))

    def record() -> None:
        with uow() as tx:
            collection, current = _by_link(tx, token, now)
            if current.identity_check_reference != result.session_ref:
                return
            if approved:
                current.identity_verified_at = now
            else:
                current.identity_check_reference = None  # a new attempt may start
            append(tx, collection.id, "identity_checked", at=now, actor=current.id, context=context,
                   signer_id=current.id, outcome="approved" if approved else "rejected",
                   reference=result.session_ref, evidence=result.evidence_ref,
                   reason=None if approved else (result.reason or "identity_mismatch"))
            tx.commit()

    _retrying(record)
    return "approved" if approved else "rejected"


def _require_can_sign_before_identity(signer: Signer) -> None:
    if signer.kind is not SignerKind.EXTERNAL or signer.level is not SignatureLevel.ADVANCED_QUALIFIED:
        raise CeremonyRefused("only an external level-3 signer goes through an identity check")
    if signer.finalising_since is not None:
        raise SignatureBeingFinalised("your signature is being finalised")
    if not signer.waiting:
        raise SignerStateRefused("this signer cannot sign now", status=signer.status.value)


def request_signing_code(*, uow: UowFactory, clock: Clock, ids: IdGenerator, code_generator: CodeGenerator,
                         code_hasher: CodeHasher, store: DocumentStore, signing: PdfSigning, locks: SigningLocks,
                         ca: CertificateAuthority, token: str, context: RequestContext | None = None) -> CodeSent:
    """Send the code (« Envoyer le code », and « Code non reçu ? Renvoyer », throttled): by email
    at level 1, by SMS at levels 2 and 3; bound to the digests of every document as shown.

    A signer whose signature needs a certificate the CA would refuse to issue (QCP-n while its
    public addresses are not compliant) is told now, before a code is sent and used."""
    now = clock.now()
    with uow() as tx:
        collection, signer = _by_link(tx, token, now)
        needs_fields = any(d.prepared is None for d in collection.documents)
        plan = _plan(tx, collection, signer, now) if signer.level is not SignatureLevel.SIMPLE else None
    if plan is not None and plan.one_time_policy is not None:
        ca.check_issuable(plan.one_time_policy)
    if needs_fields:
        prepare_fields(uow=uow, clock=clock, store=store, signing=signing, locks=locks, collection_id=collection.id)
    return _retrying(lambda: _send_signing_code(uow, clock, ids, code_generator, code_hasher, token, context))


def _send_signing_code(uow: UowFactory, clock: Clock, ids: IdGenerator, code_generator: CodeGenerator,
                       code_hasher: CodeHasher, token: str, context: RequestContext | None) -> CodeSent:
    with uow() as tx:
        collection, signer = _by_link(tx, token, clock.now())
        _require_can_sign(signer)
        payload = bind_payload(_approved_digests(collection))
        channel, masked = _channel(signer)
        destination = signer.identity.mobile if channel == "sms" else signer.email
        challenge = send_code(work=tx, generator=code_generator, hasher=code_hasher, ids=ids, clock=clock,
                              record=code_event_sink(tx, collection.id, signer.id, context), person_id=signer.id,
                              purpose=_purpose(collection.id), destination=destination,  # type: ignore[arg-type]
                              payload_digest=payload, template="signing_code", about=(collection.id, signer.id),
                              details={"title": collection.title})
        return CodeSent(channel=channel, masked_destination=masked, expires_at=challenge.expires_at)


@frozen
class _Plan:
    """What a signature needs, read in a transaction, used outside one."""

    collection_id: str
    signer_id: str
    level: SignatureLevel
    signer_name: str
    member_certificate: Certificate | None
    one_time_policy: CertificatePolicy | None
    subject: CertificateSubject | None


@frozen
class SigningPorts:
    uow: UowFactory
    clock: Clock
    ids: IdGenerator
    store: DocumentStore
    signing: PdfSigning
    ca: CertificateAuthority
    vault: KeyVault
    key_type: KeyType
    locks: SigningLocks
    renderer: EvidenceRenderer


def _plan(tx: UnitOfWork, collection: Collection, signer: Signer, now: datetime) -> _Plan:
    level = signer.level
    certificate = None
    one_time = None
    subject = None
    cabinet = tx.cabinets.get(collection.cabinet_id)
    if level is not SignatureLevel.SIMPLE:
        policy = CertificatePolicy.LCP if level is SignatureLevel.ADVANCED else CertificatePolicy.QCP_N
        if signer.member_id is not None:
            member = tx.members.get(signer.member_id)
            certificate = tx.certificates.active_for(member.person_id, collection.cabinet_id, policy, now=now)
            if certificate is None and policy is CertificatePolicy.QCP_N:
                raise SigningCertificateMissing("level 3 needs the member's active QCP-n certificate")
        if certificate is None:
            # External signers, and members without an LCP yet: a certificate for this ceremony only.
            one_time = policy
            member_signer = signer.member_id is not None
            subject = CertificateSubject(name=signer.identity.name, email=signer.identity.email,
                                         person_id=f"SEING-{signer.id}"[:64],
                                         organization=cabinet.name[:64] if member_signer else None,
                                         siren=cabinet.siren if member_signer else None)
    return _Plan(collection_id=collection.id, signer_id=signer.id, level=level, signer_name=signer.display_name,
                 member_certificate=certificate, one_time_policy=one_time, subject=subject)


def _identity(plan: _Plan, ports: SigningPorts, now: datetime) -> tuple[SigningIdentity, SignatureCertificate,
                                                                         Certificate | None]:
    if plan.level is SignatureLevel.SIMPLE:
        seal = ports.ca.platform_seal()
        issued = seal.certificate
        return (SigningIdentity(key_ref=seal.key, certificate=issued.der, chain=seal.issuers),
                SignatureCertificate(serial=issued.serial, policy=PLATFORM_SEAL_POLICY, issuer=issued.issuer.value,
                                     subject=issued.subject), None)
    if plan.member_certificate is not None:
        record = plan.member_certificate
        identity = SigningIdentity(key_ref=ports.vault.get(record.key_id), certificate=record.der,
                                   chain=ports.ca.chain(record.serial)[1:])
        return identity, SignatureCertificate(serial=record.serial, policy=record.policy.value,
                                              issuer=record.issuer, subject=record.subject), None
    assert plan.one_time_policy is not None and plan.subject is not None
    key = ports.vault.generate(ports.key_type)
    issued = ports.ca.issue(plan.subject, key.public_key_der, plan.one_time_policy, one_time=True)
    record = Certificate.record(id=ports.ids.new_id(), person_id=plan.subject.person_id, cabinet_id=None,
                                issued=issued, key_id=key.id, now=now)
    identity = SigningIdentity(key_ref=key, certificate=issued.der, chain=ports.ca.chain(issued.serial)[1:])
    return identity, SignatureCertificate(serial=issued.serial, policy=plan.one_time_policy.value,
                                          issuer=issued.issuer.value, subject=issued.subject,
                                          one_time=True), record


def _sign_document(ports: SigningPorts, document: Document, plan: _Plan, identity: SigningIdentity,
                   placement: FieldPlacement, now: datetime) -> tuple[str, DocumentRef]:
    base = document.latest
    content = ports.store.read(base.sha256)
    approved = document.approved
    # The signature goes on the approved version plus earlier signatures (incremental updates):
    # anything else would be a document the signer's code did not authorise.
    if base.sha256 != approved.sha256 and (len(content) < approved.size
                                           or _sha256(content[:approved.size]) != approved.sha256):
        raise DocumentCorrupted("the latest version does not extend the approved one", document_id=document.id)
    name = plan.signer_name
    request = SignatureRequest(
        identity=identity, level=PADES_LEVEL[plan.level], field_name=field_name_for(plan.signer_id),
        appearance=VisibleSignature(box=_box(placement), signer_name=name, signed_at=now,
                                    level_label=LEVEL_LABEL[plan.level]),
        name=name, reason=f"{LEVEL_LABEL[plan.level]} — {name}", location=None)
    signed = ports.signing.sign(content, request)
    return base.sha256, ports.store.put(signed)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign(*, uow: UowFactory, clock: Clock, ids: IdGenerator, code_hasher: CodeHasher, store: DocumentStore,
         signing: PdfSigning, ca: CertificateAuthority, vault: KeyVault, key_type: KeyType, locks: SigningLocks,
         renderer: EvidenceRenderer, token: str, code: str, context: RequestContext | None = None) -> SignOutcome:
    """« Signer »: check the code against the documents shown, then sign every document."""
    now = clock.now()

    def check() -> _Plan:
        with uow() as tx:
            collection, signer = _by_link(tx, token, now)
            _require_can_sign(signer)
            payload = bind_payload(_approved_digests(collection))
            check_code(work=tx, hasher=code_hasher, clock=clock,
                       record=code_event_sink(tx, collection.id, signer.id, context), person_id=signer.id,
                       purpose=_purpose(collection.id), code=code, payload_digest=payload)
            return _plan(tx, collection, signer, now)

    plan = _retrying(check)
    ports = SigningPorts(uow=uow, clock=clock, ids=ids, store=store, signing=signing, ca=ca, vault=vault,
                         key_type=key_type, locks=locks, renderer=renderer)
    return _perform(ports, plan, context, from_worker=False)


def finalise_signature(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore,
                       signing: PdfSigning, ca: CertificateAuthority, vault: KeyVault, key_type: KeyType,
                       locks: SigningLocks, renderer: EvidenceRenderer, collection_id: str,
                       signer_id: str) -> SignOutcome | None:
    """The worker's job after trusted time was unavailable: the code was checked, sign now.
    Raises TimestampUnavailable again (the job is retried later) rather than sign without it."""
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        signer = collection.signer(signer_id)
        if signer.finalising_since is None or not signer.waiting:
            return None
        if collection.status is not CollectionStatus.IN_PROGRESS:
            return None
        plan = _plan(tx, collection, signer, now)
    ports = SigningPorts(uow=uow, clock=clock, ids=ids, store=store, signing=signing, ca=ca, vault=vault,
                         key_type=key_type, locks=locks, renderer=renderer)
    return _perform(ports, plan, None, from_worker=True)


def _perform(ports: SigningPorts, plan: _Plan, context: RequestContext | None, *, from_worker: bool) -> SignOutcome:
    now = ports.clock.now()
    identity, certificate_info, record = _identity(plan, ports, now)
    completed = False
    made: dict[str, tuple[str, DocumentRef]] = {}
    with ports.locks.hold(plan.collection_id):
        for _attempt in range(MAX_CONFLICT_RETRIES):
            with ports.uow() as tx:
                collection = tx.collections.get(plan.collection_id)
            signer = collection.signer(plan.signer_id)
            if not signer.waiting or collection.status is not CollectionStatus.IN_PROGRESS:
                raise SignerStateRefused("this signer cannot sign now", status=signer.status.value)
            try:
                for document in collection.documents:
                    earlier = made.get(document.id)
                    if earlier is not None and earlier[0] == document.latest.sha256:
                        continue  # signed on what is still the latest version: keep it
                    now = ports.clock.now()
                    made[document.id] = _sign_document(ports, document, plan, identity,
                                                       collection.placement(document.id, plan.signer_id), now)
            except TimestampUnavailable:
                if record is not None:
                    ports.vault.delete(identity.key_ref)  # the worker issues a fresh one-time certificate
                if from_worker:
                    raise
                _queue_finalisation(ports, plan, context, now)
                return SignOutcome(status="finalising", collection_status=CollectionStatus.IN_PROGRESS.value)
            try:
                completed = _record_signatures(ports, plan, made, certificate_info, record, context)
            except Conflict:
                # Signed over a version another signature replaced, or another transaction
                # extended the trail first: read again, sign again only what changed.
                continue
            break
        else:
            raise DocumentVersionConflict("too many signatures at once; please try again")
    if record is not None:
        # A one-time certificate served this signature only: its key has no further use.
        ports.vault.delete(identity.key_ref)
    if completed:
        try:
            finalise_collection(uow=ports.uow, clock=ports.clock, ids=ports.ids, store=ports.store,
                                signing=ports.signing, ca=ports.ca, locks=ports.locks, renderer=ports.renderer,
                                collection_id=plan.collection_id)
        except DomainError:
            pass  # the queued job finishes it
        return SignOutcome(status="completed", collection_status=CollectionStatus.COMPLETED.value)
    return SignOutcome(status="signed", collection_status=CollectionStatus.IN_PROGRESS.value)


def _record_signatures(ports: SigningPorts, plan: _Plan, made: dict[str, tuple[str, DocumentRef]],
                       certificate_info: SignatureCertificate, record: Certificate | None,
                       context: RequestContext | None) -> bool:
    """The one transaction that makes the signature real: new versions, status, trail. True
    when it completed the collection."""
    now = ports.clock.now()
    with ports.uow() as tx:
        collection = tx.collections.get(plan.collection_id)
        signer = collection.signer(plan.signer_id)
        for document_id, (base, ref) in made.items():
            collection.document(document_id).advance(base=base, ref=ref, kind="signature", at=now,
                                                      signer_id=signer.id)
        signer.certificate = certificate_info
        signer.finalising_since = None
        if record is not None:
            tx.certificates.add(record)
        notifications = collection.record_signature(signer_id=signer.id, now=now, new_token=ports.ids.new_token)
        completed = collection.status is CollectionStatus.COMPLETED
        if completed:
            # Signers and observers are told once the documents carry their final
            # timestamp and the evidence is sealed, with a download link.
            notifications = [n for n in notifications if n.template != "collection_completed"]
            tx.jobs.enqueue(JobSpec(kind="finalise_collection", payload={"collection_id": collection.id}))
        _enqueue(tx, notifications)
        sync_timeline(tx, collection, context)
        for document_id, (base, ref) in made.items():
            append(tx, collection.id, "document_signed", at=now, actor=signer.id, context=context,
                   signer_id=signer.id, document_id=document_id, before=base, after=ref.sha256,
                   level=int(plan.level), pades=PADES_LEVEL[plan.level].value,
                   certificate_serial=certificate_info.serial, certificate_policy=certificate_info.policy,
                   certificate_issuer=certificate_info.issuer)
        tx.commit()
        return completed


def _queue_finalisation(ports: SigningPorts, plan: _Plan, context: RequestContext | None, now: datetime) -> None:
    _retrying(lambda: _queue_finalisation_once(ports, plan, context, now))


def _queue_finalisation_once(ports: SigningPorts, plan: _Plan, context: RequestContext | None,
                             now: datetime) -> None:
    with ports.uow() as tx:
        collection = tx.collections.get(plan.collection_id)
        signer = collection.signer(plan.signer_id)
        if signer.finalising_since is None:
            signer.finalising_since = now
            tx.jobs.enqueue(JobSpec(kind="finalise_signature",
                                    payload={"collection_id": collection.id, "signer_id": signer.id}))
            append(tx, collection.id, "signature_pending", at=now, actor=signer.id, context=context,
                   signer_id=signer.id, reason="timestamp_unavailable")
            tx.commit()


def refuse(*, uow: UowFactory, clock: Clock, token: str, reason: str,
           context: RequestContext | None = None) -> None:
    """« Refuser »: ends the collection, the preparer is told, no one receives a document; the
    evidence file is sealed by the worker."""
    now = clock.now()
    _retrying(lambda: _refuse_once(uow, now, token, reason, context))


def _refuse_once(uow: UowFactory, now: datetime, token: str, reason: str, context: RequestContext | None) -> None:
    with uow() as tx:
        collection, signer = _by_link(tx, token, now)
        if signer.finalising_since is not None:
            raise SignatureBeingFinalised("your signature is being finalised")
        _enqueue(tx, collection.refuse(signer_id=signer.id, reason=reason, now=now))
        tx.jobs.enqueue(JobSpec(kind="seal_evidence", payload={"collection_id": collection.id}))
        sync_timeline(tx, collection, context)
        tx.commit()


# -- completion ---------------------------------------------------------------------------------------


def finalise_collection(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore,
                        signing: PdfSigning, ca: CertificateAuthority, locks: SigningLocks,
                        renderer: EvidenceRenderer, collection_id: str) -> bool:
    """After the last signature: a document timestamp on every document (PAdES B-LTA), the
    sealed evidence, download links emailed to signers and observers. Idempotent; True when done."""
    return _retrying(lambda: _finalise_once(uow=uow, clock=clock, ids=ids, store=store, signing=signing, ca=ca,
                                            locks=locks, renderer=renderer, collection_id=collection_id))


def _finalise_once(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore,
                   signing: PdfSigning, ca: CertificateAuthority, locks: SigningLocks,
                   renderer: EvidenceRenderer, collection_id: str) -> bool:
    with uow() as tx:
        collection = tx.collections.get(collection_id)
    if collection.finalised_at is not None:
        return True
    if collection.status is not CollectionStatus.COMPLETED:
        raise CollectionNotRunning("only a completed collection is finalised", status=collection.status.value)
    with locks.hold(collection_id):
        with uow() as tx:
            collection = tx.collections.get(collection_id)
        stamped: dict[str, tuple[str, DocumentRef]] = {}
        for document in collection.documents:
            if document.versions and document.versions[-1].kind == "timestamp":
                continue
            base = document.latest
            stamped[document.id] = (base.sha256, store.put(signing.timestamp(store.read(base.sha256))))
        if stamped:
            now = clock.now()
            with uow() as tx:
                collection = tx.collections.get(collection_id)
                for document_id, (base, ref) in stamped.items():
                    collection.document(document_id).advance(base=base, ref=ref, kind="timestamp", at=now)
                    append(tx, collection.id, "document_timestamped", at=now, document_id=document_id, before=base,
                           after=ref.sha256, pades="B-LTA")
                tx.commit()
    seal_evidence(uow=uow, clock=clock, store=store, signing=signing, ca=ca, renderer=renderer,
                  collection_id=collection_id)
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        if collection.finalised_at is not None:
            return True
        notifications = []
        expires = now + DOWNLOAD_VALIDITY
        recipients = [(s.email, s.display_name, "signer") for s in collection.signers]
        recipients += [(o.email, o.identity.display_name, "observer") for o in collection.observers]
        for email, name, role in recipients:
            token = ids.new_token()
            collection.download_links.append(DownloadLink(token_hash=hash_token(token), email=str(email),
                                                          expires_at=expires, role=role))
            notifications.append(Notification.email(
                email, "collection_completed", collection_id=collection.id, collection_title=collection.title,
                sender_name=collection.preparer.identity.display_name, cabinet_name=collection.preparer.cabinet_name,
                recipient_name=name, download_token=token, download_expires_at=expires.isoformat()))
        notifications.append(Notification.email(
            collection.preparer.identity.email, "collection_completed", collection_id=collection.id,
            collection_title=collection.title, sender_name=collection.preparer.identity.display_name,
            cabinet_name=collection.preparer.cabinet_name, recipient_name=collection.preparer.identity.display_name,
            progress=collection.progress))
        _enqueue(tx, notifications)
        # Announced once the signed PDFs and the evidence are ready to download, not at the last signature.
        tx.jobs.enqueue(event_job(WebhookEvent.COLLECTION_COMPLETED, cabinet_id=collection.cabinet_id,
                                  occurred_at=now, collection_id=collection.id))
        collection.finalised_at = now
        tx.commit()
    return True


# -- evidence -----------------------------------------------------------------------------------------


def seal_evidence(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                  ca: CertificateAuthority, renderer: EvidenceRenderer, collection_id: str) -> EvidenceRef:
    """The « dossier de preuve » of an ended collection: JSON and a French PDF listing everything,
    the PDF sealed with the platform seal at PAdES B-LT (timestamped). Idempotent."""
    return _retrying(lambda: _seal_once(uow=uow, clock=clock, store=store, signing=signing, ca=ca,
                                        renderer=renderer, collection_id=collection_id))


def _seal_once(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
               ca: CertificateAuthority, renderer: EvidenceRenderer, collection_id: str) -> EvidenceRef:
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        if collection.evidence is not None:
            return collection.evidence
        if not collection.status.ended:
            raise EvidenceNotReady("the collection has not ended")
        events = tx.audit.of_collection(collection_id)
    now = clock.now()
    data = build_evidence(collection, events, generated_at=now)
    json_bytes = evidence_json(data)
    json_ref = store.put(json_bytes)
    seal = ca.platform_seal()
    pdf = renderer.render(data, json_sha256=json_ref.sha256)
    sealed = signing.sign(pdf, SignatureRequest(
        identity=SigningIdentity(key_ref=seal.key, certificate=seal.certificate.der, chain=seal.issuers),
        level=PadesLevel.B_LT, field_name="Scellement", name="Seing",
        reason="Dossier de preuve scellé par la plateforme"))
    pdf_ref = store.put(sealed)
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        if collection.evidence is not None:
            return collection.evidence
        collection.evidence = EvidenceRef(pdf=pdf_ref, json=json_ref, sealed_at=now)
        append(tx, collection.id, "evidence_sealed", at=now, pdf_sha256=pdf_ref.sha256, json_sha256=json_ref.sha256)
        tx.commit()
        return collection.evidence


def seal_pending_evidence(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                          ca: CertificateAuthority, renderer: EvidenceRenderer, limit: int = 20) -> int:
    """Periodic: evidence for every ended collection without one (expired or cancelled ones too)."""
    with uow() as tx:
        waiting = [c.id for c in tx.collections.awaiting_evidence(limit=limit)
                   if c.status is not CollectionStatus.COMPLETED or c.finalised_at is not None]
    for collection_id in waiting:
        seal_evidence(uow=uow, clock=clock, store=store, signing=signing, ca=ca, renderer=renderer,
                      collection_id=collection_id)
    return len(waiting)


# -- downloads -------------------------------------------------------------------------------------------


def _link(tx: UnitOfWork, token: str, now: datetime) -> tuple[Collection, DownloadLink]:
    token_hash = hash_token(token)
    collection = tx.collections.by_download_token_hash(token_hash)
    if collection is None:
        raise DownloadLinkUnusable("unknown link", reason="unknown")
    link = next(link for link in collection.download_links if link.token_hash == token_hash)
    if now >= link.expires_at:
        raise DownloadLinkUnusable("the link has expired", reason="expired")
    return collection, link


def download_by_link(*, uow: UowFactory, clock: Clock, store: DocumentStore, token: str, item: str,
                     context: RequestContext | None = None) -> tuple[str, bytes]:
    """A signer's or observer's download: ``item`` is a document id, "evidence.pdf" or "evidence.json"."""
    now = clock.now()

    def record() -> tuple[str, str]:
        with uow() as tx:
            collection, link = _link(tx, token, now)
            found = _item(collection, item)
            append(tx, collection.id, "downloaded", at=now, actor=link.email, context=context, item=item,
                   role=link.role)
            tx.commit()
            return found

    name, sha = _retrying(record)
    return name, store.read(sha)


def _item(collection: Collection, item: str) -> tuple[str, str]:
    if item in ("evidence.pdf", "evidence.json"):
        if collection.evidence is None or collection.evidence.purged_at is not None:
            raise EvidenceNotReady("no evidence file")
        ref = collection.evidence.pdf if item == "evidence.pdf" else collection.evidence.json
        return f"dossier-de-preuve-{collection.id}.{item.rsplit('.', 1)[1]}", ref.sha256
    if collection.documents_purged_at is not None:
        raise DownloadLinkUnusable("the documents were deleted at the end of their retention", reason="purged")
    if collection.status is not CollectionStatus.COMPLETED:
        raise DownloadLinkUnusable("only a completed collection's documents are sent", reason="not_completed")
    document = collection.document(item)
    return document.name, document.latest.sha256


def _member_of(tx: UnitOfWork, collection: Collection, person_id: str) -> None:
    """The preparer, a member who signs in the collection, or any member who may prepare for
    the cabinet; anyone else learns nothing (NotFound, as for the collection pages)."""
    member = tx.members.find(collection.cabinet_id, person_id)
    if member is None:
        raise NotFound("collection not found")
    if member.id == collection.preparer.member_id or any(s.member_id == member.id for s in collection.signers):
        return
    if not member.has(Delegation.PREPARE):
        raise NotFound("collection not found")


def evidence_for_member(*, uow: UowFactory, clock: Clock, store: DocumentStore, collection_id: str,
                        by_person_id: str, fmt: str = "pdf",
                        context: RequestContext | None = None) -> tuple[str, bytes]:
    """The preparer (or a member who signed, or any preparer of the cabinet) downloads the evidence."""
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        _member_of(tx, collection, by_person_id)
        name, sha = _item(collection, f"evidence.{'json' if fmt == 'json' else 'pdf'}")
        append(tx, collection.id, "downloaded", at=now, actor=by_person_id, context=context, item=f"evidence.{fmt}",
               role="member")
        tx.commit()
    return name, store.read(sha)


def signed_document_for_member(*, uow: UowFactory, clock: Clock, store: DocumentStore, collection_id: str,
                               by_person_id: str, document_id: str,
                               context: RequestContext | None = None) -> tuple[str, bytes]:
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        _member_of(tx, collection, by_person_id)
        name, sha = _item(collection, document_id)
        append(tx, collection.id, "downloaded", at=now, actor=by_person_id, context=context, item=document_id,
               role="member")
        tx.commit()
    return name, store.read(sha)
