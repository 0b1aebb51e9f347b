"""The cabinet's electronic seal: the owner-approved certificate request, then « Sceller un document ».

Sealing follows the ceremony's crash rule: the member's right and the certificate are read in
a first transaction, the PDFs are sealed outside any transaction (keys, TSA, OCSP are slow) and
stored content-addressed (an orphan is harmless), and one last transaction records the sealing,
its audit chain and its evidence file together. Every PDF is checked before any is sealed, so a
batch is sealed whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from attrs import evolve, frozen

from domain.model.audit import AuditEvent, RequestContext
from domain.model.cabinet import Cabinet, Member
from domain.model.document import FREE_SLOT_PADDING, PageSize, outcome_file_name
from domain.model.errors import DocumentTooComplex, InvalidValue, NotFound
from domain.model.evidence import evidence_json
from domain.model.jobs import JobSpec, Notification
from domain.model.pki import KeyType, OrganizationSubject, RevocationReason
from domain.model.seals import (
    MAX_DOCUMENTS_PER_SEALING,
    NoSealCertificate,
    NothingToSeal,
    SealCertificate,
    SealCertificateRequest,
    SealedDocument,
    Sealing,
    SealingNotFound,
    SealProfile,
    SealRequestAlreadyOpen,
    SealRequestNotFound,
    SealRequestState,
    SealStamp,
    StampCorner,
    TooManyDocumentsToSeal,
    build_sealing_evidence,
    current_seal_certificate,
    require_seal_delegation,
    stamp_size,
)
from domain.services.uploads import check_signable_upload, store_upload
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.evidence import EvidenceRenderer
from ports.ids import IdGenerator
from ports.keyvault import KeyVault
from ports.pdf_inspection import PdfInspector
from ports.pdf_rendering import PdfPageRenderer
from ports.pdf_signing import Box, PadesLevel, PdfSigning, SignatureRequest, SigningIdentity, VisibleSignature
from ports.repositories import UnitOfWork
from ports.uploads import UploadedFile

__all__ = [
    "SealOverview", "SealUpload", "approve_seal_certificate_request", "cancel_seal_certificate_request",
    "reject_seal_certificate_request", "request_seal_certificate", "revoke_seal_certificate", "seal_documents",
    "seal_overview", "sealed_document_for_member", "sealing_evidence_for_member", "sealing_for_member",
]

UowFactory = Callable[[], UnitOfWork]
MAX_NAME_LENGTH = 200
SEAL_REQUESTED_TEMPLATE = "seal_certificate_requested"
STAMP_TITLE = "Cachet électronique"  # the first line of the visible stamp


@frozen
class SealUpload:
    """One PDF to seal, as the edge received it."""

    name: str
    content: bytes | UploadedFile


@frozen
class SealOverview:
    """What the cabinet's seal page shows to one member."""

    cabinet: Cabinet
    member: Member
    requests: tuple[SealCertificateRequest, ...]  # newest first, every state
    current: SealCertificateRequest | None  # the certificate a sealing would use now
    sealings: tuple[Sealing, ...]

    @property
    def pending(self) -> SealCertificateRequest | None:
        return next((r for r in self.requests if r.state is SealRequestState.PENDING), None)

    @property
    def certificates(self) -> tuple[SealCertificateRequest, ...]:
        """« Mes certificats » of the cabinet: every request that produced a certificate."""
        return tuple(r for r in self.requests if r.certificate is not None)


def _member(tx: UnitOfWork, cabinet_id: str, person_id: str) -> Member:
    member = tx.members.find(cabinet_id, person_id)
    if member is None:
        # Another cabinet's seal is not found, exactly as an unknown cabinet.
        raise NotFound("cabinet not found")
    return member


def _request_of(tx: UnitOfWork, cabinet_id: str, request_id: str) -> SealCertificateRequest:
    request = tx.seal_requests.get(request_id)
    if request.cabinet_id != cabinet_id:
        raise SealRequestNotFound("the request belongs to another cabinet")
    return request


# -- the certificate request flow ------------------------------------------------------------------


def request_seal_certificate(*, uow: UowFactory, clock: Clock, ids: IdGenerator, cabinet_id: str, person_id: str,
                             profile: SealProfile | str) -> SealCertificateRequest:
    """A member holding SEAL asks for the cabinet's seal certificate; an owner decides."""
    profile = SealProfile.parse(profile)
    with uow() as tx:
        member = _member(tx, cabinet_id, person_id)
        if any(r.state is SealRequestState.PENDING for r in tx.seal_requests.of_cabinet(cabinet_id)):
            raise SealRequestAlreadyOpen("the cabinet already has a pending seal certificate request")
        request = SealCertificateRequest.make(id=ids.new_id(), member=member, profile=profile, now=clock.now())
        tx.seal_requests.add(request)
        # The owners decide: each is told by email (the one asking, if an owner, too: a record).
        cabinet = tx.cabinets.get(cabinet_id)
        requester = tx.persons.get(person_id)
        for other in tx.members.of_cabinet(cabinet_id):
            if not other.is_owner:
                continue
            owner = tx.persons.get(other.person_id)
            tx.jobs.enqueue(JobSpec.notify(Notification.email(
                owner.email, SEAL_REQUESTED_TEMPLATE, locale=owner.locale, recipient_name=owner.display_name,
                requester_name=requester.display_name, cabinet_name=cabinet.name, profile=profile.value)))
        tx.commit()
        return request


def approve_seal_certificate_request(*, uow: UowFactory, clock: Clock, vault: KeyVault, ca: CertificateAuthority,
                                     key_type: KeyType, cabinet_id: str, person_id: str,
                                     request_id: str) -> SealCertificateRequest:
    """The owner approves: a key is made in the vault and the CA issues the seal certificate
    (organisation subject, organizationIdentifier NTRFR-<SIREN>) under the requested profile."""
    with uow() as tx:
        owner = _member(tx, cabinet_id, person_id)
        request = _request_of(tx, cabinet_id, request_id)
        request.check_approvable(by=owner)
        cabinet = tx.cabinets.get(cabinet_id)
    ca.check_issuable(request.profile.policy)
    key = vault.generate(key_type)
    try:
        issued = ca.issue(OrganizationSubject(name=cabinet.name[:64], siren=cabinet.siren), key.public_key_der,
                          request.profile.policy)
    except Exception:
        vault.delete(key)
        raise
    certificate = SealCertificate(serial=issued.serial, issuer=issued.issuer.value, subject=issued.subject,
                                  not_before=issued.not_before, not_after=issued.not_after, key_id=key.id,
                                  der=issued.der)
    with uow() as tx:
        owner = _member(tx, cabinet_id, person_id)
        approved = _request_of(tx, cabinet_id, request_id).approve(by=owner, now=clock.now(), certificate=certificate)
        tx.seal_requests.save(approved)
        tx.commit()
        return approved


def reject_seal_certificate_request(*, uow: UowFactory, clock: Clock, cabinet_id: str, person_id: str,
                                    request_id: str, reason: str | None = None) -> SealCertificateRequest:
    with uow() as tx:
        owner = _member(tx, cabinet_id, person_id)
        rejected = _request_of(tx, cabinet_id, request_id).reject(by=owner, now=clock.now(), reason=reason)
        tx.seal_requests.save(rejected)
        tx.commit()
        return rejected


def cancel_seal_certificate_request(*, uow: UowFactory, clock: Clock, cabinet_id: str, person_id: str,
                                    request_id: str) -> SealCertificateRequest:
    with uow() as tx:
        member = _member(tx, cabinet_id, person_id)
        cancelled = _request_of(tx, cabinet_id, request_id).cancel(by=member, now=clock.now())
        tx.seal_requests.save(cancelled)
        tx.commit()
        return cancelled


def revoke_seal_certificate(*, uow: UowFactory, clock: Clock, ca: CertificateAuthority, cabinet_id: str,
                            person_id: str, request_id: str, reason: str | None = None) -> SealCertificateRequest:
    """An owner revokes the cabinet's seal certificate; the CA publishes it in CRL and OCSP."""
    now = clock.now()
    with uow() as tx:
        owner = _member(tx, cabinet_id, person_id)
        revoked = _request_of(tx, cabinet_id, request_id).revoke(by=owner, now=now, reason=reason)
        assert revoked.certificate is not None
        ca.revoke(revoked.certificate.serial, RevocationReason.UNSPECIFIED, now)
        tx.seal_requests.save(revoked)
        tx.commit()
        return revoked


def seal_overview(*, uow: UowFactory, clock: Clock, cabinet_id: str, person_id: str) -> SealOverview:
    with uow() as tx:
        member = _member(tx, cabinet_id, person_id)
        requests = tx.seal_requests.of_cabinet(cabinet_id)
        try:
            current: SealCertificateRequest | None = current_seal_certificate(requests, clock.now())
        except NoSealCertificate:  # the page offers the request instead
            current = None
        return SealOverview(cabinet=tx.cabinets.get(cabinet_id), member=member, requests=tuple(requests),
                            current=current, sealings=tuple(tx.sealings.of_cabinet(cabinet_id)))


# -- « Sceller un document » ------------------------------------------------------------------------


def _clean_name(raw: str) -> str:
    name = " ".join((raw or "").replace("/", " ").replace("\\", " ").split())[:MAX_NAME_LENGTH]
    if not name:
        raise InvalidValue("name", "a document needs a name")
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def seal_documents(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore, signing: PdfSigning,
                   ca: CertificateAuthority, vault: KeyVault, renderer: EvidenceRenderer, inspector: PdfInspector,
                   pages: PdfPageRenderer, cabinet_id: str, person_id: str, files: Sequence[SealUpload],
                   via: str = "web", stamp: SealStamp | None = None, context: RequestContext | None = None) -> Sealing:
    """Seal one PDF or a batch with the cabinet's seal: PAdES B-LT, then a document timestamp
    (B-LTA); record the audit chain and seal the evidence file with the platform seal. Each PDF
    shows the seal's stamp (« Cachet électronique », the cabinet, the date) where ``stamp`` says
    (default: the blank room of the last page, found by ``pages``; bottom right without any)."""
    stamp = stamp or SealStamp()
    if not files:
        raise NothingToSeal()
    if len(files) > MAX_DOCUMENTS_PER_SEALING:
        raise TooManyDocumentsToSeal()
    names = [_clean_name(f.name) for f in files]
    with uow() as tx:
        member = _member(tx, cabinet_id, person_id)
        require_seal_delegation(member)
        seal = current_seal_certificate(tx.seal_requests.of_cabinet(cabinet_id), clock.now())
        cabinet = tx.cabinets.get(cabinet_id)
        person = tx.persons.get(person_id)
    # Every file is checked before any is sealed: a batch is whole or refused.
    for upload in files:
        check_signable_upload(signing, upload.content)
    places = [_stamp_place(stamp, pages, upload.content, _page_sizes(inspector, upload.content)) for upload in files]
    certificate = seal.certificate
    assert certificate is not None
    identity = SigningIdentity(key_ref=vault.get(certificate.key_id), certificate=certificate.der,
                               chain=tuple(ca.chain(certificate.serial)[1:]))
    sealing_id = ids.new_id()
    label = f"Cachet de {cabinet.name}"
    made: list[tuple[SealedDocument, datetime, datetime]] = []
    for name, upload, (page, x, y, width, height) in zip(names, files, places, strict=True):
        original = store_upload(store, upload.content)
        # The one signing path: stored document → temporary file → signed file → store.
        appearance = VisibleSignature(box=Box(page=page, x=x, y=y, width=width, height=height),
                                      signer_name=cabinet.name, signed_at=clock.now(),
                                      level_label=STAMP_TITLE, title=STAMP_TITLE)
        signed = signing.sign_document(store, original.sha256, SignatureRequest(
            identity=identity, level=PadesLevel.B_LT, field_name=f"Cachet-{sealing_id[:12]}",
            appearance=appearance, name=cabinet.name, reason=label, location=None))
        sealed_at = clock.now()
        sealed = signing.timestamp_document(store, signed.sha256)
        store.delete(signed.sha256)  # the step between, unique by its signing time
        made.append((SealedDocument(id=ids.new_id(), name=name, original_sha256=original.sha256,
                                    original_size=original.size, sealed_sha256=sealed.sha256,
                                    sealed_size=sealed.size), sealed_at, clock.now()))
    now = clock.now()
    sealing = Sealing(id=sealing_id, cabinet_id=cabinet_id, cabinet_name=cabinet.name, member_id=member.id,
                      sealed_by=person_id, sealed_by_name=person.name.full, certificate_serial=certificate.serial,
                      profile=seal.profile, sealed_at=now, documents=tuple(d for d, _, _ in made), via=via)
    # A new chain: its events are made here, so the evidence file (slow to seal) is built
    # outside any transaction, and the last transaction stores chain, evidence and sealing.
    events: list[AuditEvent] = []

    def record(kind: str, at: datetime, actor: str | None = None, **details: object) -> None:
        events.append(AuditEvent.after(events[-1] if events else None, collection_id=sealing_id, kind=kind, at=at,
                                       actor=actor, context=context if actor else None, details=details))

    record("sealing_started", now, member.id, via=via, count=len(made), certificate_serial=certificate.serial,
           profile=seal.profile.value)
    for document, sealed_at, stamped_at in made:
        record("document_sealed", sealed_at, member.id, document_id=document.id, name=document.name,
               before=document.original_sha256, after=document.sealed_sha256)
        record("document_timestamped", stamped_at, document_id=document.id)
    data = build_sealing_evidence(sealing, events, certificate_subject=certificate.subject, generated_at=now)
    json_ref = store.put(evidence_json(data))
    platform = ca.platform_seal()
    unsealed = store.put(renderer.render(data, json_sha256=json_ref.sha256))
    signed = signing.sign_document(store, unsealed.sha256, SignatureRequest(
        identity=SigningIdentity(key_ref=platform.key, certificate=platform.certificate.der, chain=platform.issuers),
        level=PadesLevel.B_LT, field_name="Scellement", name="Seing",
        reason="Dossier de preuve scellé par la plateforme"))
    pdf_ref = signing.timestamp_document(store, signed.sha256)
    for step in (unsealed, signed):  # the steps between, unique by their generation and signing times
        store.delete(step.sha256)
    record("evidence_sealed", clock.now(), pdf_sha256=pdf_ref.sha256, json_sha256=json_ref.sha256)
    sealing = evolve(sealing, evidence_pdf_sha256=pdf_ref.sha256, evidence_json_sha256=json_ref.sha256)
    with uow() as tx:
        require_seal_delegation(_member(tx, cabinet_id, person_id))  # withdrawn meanwhile: nothing recorded
        for event in events:
            tx.audit.append(event)
        tx.sealings.add(sealing)
        tx.commit()
    return sealing


def _stamp_place(stamp: SealStamp, pages: PdfPageRenderer, content: bytes | UploadedFile,
                 sizes: tuple[PageSize, ...]) -> tuple[int, float, float, float, float]:
    """Where the stamp goes: for BLANK_ROOM, right-aligned in the lowest band of the page blank from
    margin to margin, else in the first blank box of its size (the renderer reads the page as
    drawn); bottom right when the page has no room or is too demanding to render."""
    if stamp.corner is not StampCorner.BLANK_ROOM:
        return stamp.place(sizes)
    index = stamp.page_index(sizes)
    size = sizes[index]
    width, height, margin = stamp_size(size)
    source = content if isinstance(content, bytes) else str(content.path)
    try:
        # A hair narrower than margin to margin: the search's own bound must not fail on rounding.
        band = pages.free_boxes(source, page=index + 1, width=size.width - 2 * margin - 0.5, height=height,
                                padding=FREE_SLOT_PADDING, margin=margin, limit=1)
        room = ([(size.width - margin - width, band[0][1])] if band else
                pages.free_boxes(source, page=index + 1, width=width, height=height, padding=FREE_SLOT_PADDING,
                                 margin=margin, limit=1))
    except DocumentTooComplex:
        room = []
    return stamp.place(sizes, room[0] if room else None)


def _page_sizes(inspector: PdfInspector, content: bytes | UploadedFile) -> tuple[PageSize, ...]:
    """The upload's page sizes (where the stamp goes), read from disk when the edge spooled it."""
    info = inspector.inspect(content) if isinstance(content, bytes) else inspector.inspect_file(content.path)
    return tuple(info.page_sizes)


# -- reading what was sealed -----------------------------------------------------------------------


def sealing_for_member(*, uow: UowFactory, cabinet_id: str, person_id: str, sealing_id: str) -> Sealing:
    """Any member of the cabinet sees its sealings; another cabinet's are not found."""
    with uow() as tx:
        _member(tx, cabinet_id, person_id)
        sealing = tx.sealings.get(sealing_id)
        if sealing.cabinet_id != cabinet_id:
            raise SealingNotFound("the sealing belongs to another cabinet")
        return sealing


def sealed_document_for_member(*, uow: UowFactory, store: DocumentStore, cabinet_id: str, person_id: str,
                               sealing_id: str, document_id: str) -> tuple[str, bytes]:
    sealing = sealing_for_member(uow=uow, cabinet_id=cabinet_id, person_id=person_id, sealing_id=sealing_id)
    document = sealing.document(document_id)
    if sealing.documents_purged_at is not None:
        raise SealingNotFound("the sealed documents were deleted at the end of their retention")
    return outcome_file_name(document.name, "scellé"), store.read(document.sealed_sha256)


def sealing_evidence_for_member(*, uow: UowFactory, store: DocumentStore, cabinet_id: str, person_id: str,
                                sealing_id: str, item: str) -> bytes:
    """``item`` is ``pdf`` (the sealed evidence file) or ``json`` (its twin)."""
    sealing = sealing_for_member(uow=uow, cabinet_id=cabinet_id, person_id=person_id, sealing_id=sealing_id)
    digest = {"pdf": sealing.evidence_pdf_sha256, "json": sealing.evidence_json_sha256}.get(item)
    if digest is None or sealing.evidence_purged_at is not None:
        raise SealingNotFound("no such evidence item")
    return store.read(digest)
