"""« Envoyer le code » and « Signer »: the code bound to the documents shown, then every
document signed with the signer's certificate, recorded in one transaction.

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

The last signature completes the collection and enqueues its completion (``completion``):
the worker does it, never the signer's request.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Callable, Sequence

from attrs import evolve, frozen

from domain.model.audit import RequestContext
from domain.model.certificates import Certificate
from domain.model.collection import Collection, CollectionStatus
from domain.model.document import Document, DocumentRef, FieldPlacement, field_name_for
from domain.model.errors import (
    Conflict,
    DocumentCorrupted,
    DocumentVersionConflict,
    RemoteCodeAlreadyUsed,
    RemoteCodeSpent,
    RemoteConsentUnsupported,
    SignerStateRefused,
    SigningCertificateMissing,
    TimestampUnavailable,
)
from domain.model.jobs import JobSpec
from domain.model.one_time_code import CODE_VALIDITY, bind_payload
from domain.model.pki import CertificatePolicy, CertificateSubject, KeyType
from domain.model.signer import SignatureCertificate, SignatureLevel, Signer
from domain.services.audit import append, code_event_sink, sync_timeline
from domain.services.ceremony.fields import prepare_fields
from domain.services.ceremony.links import (
    PROVIDER_CODE_CHANNEL,
    UowFactory,
    approved_digests,
    box_of,
    code_channel,
    enqueue,
    require_can_sign,
    signer_by_link,
    signing_purpose,
)
from domain.services.one_time_codes import check_code, send_code
from domain.services.retries import retrying
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.ids import IdGenerator
from ports.keyvault import KeyVault
from ports.locks import SigningLocks
from ports.one_time_codes import CodeGenerator, CodeHasher
from ports.pdf_signing import PadesLevel, PdfSigning, SignatureRequest, SigningIdentity, VisibleSignature
from ports.remote_signing import (
    AuthorizedTogether,
    BatchDigestSigner,
    RemoteCredential,
    RemoteSigningRoutes,
    RemoteSigningService,
)
from ports.repositories import UnitOfWork

__all__ = ["LEVEL_LABEL", "PADES_LEVEL", "PLATFORM_SEAL_POLICY", "CodeSent", "SignOutcome", "SigningPorts",
           "finalise_signature", "request_signing_code", "sign"]

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
# Recorded as the policy of a QTSP certificate that names none.
REMOTE_POLICY = "remote"
MAX_CONFLICT_RETRIES = 20


@frozen
class SigningPorts:
    """Everything a signature uses, built once by the composition root."""

    uow: UowFactory
    clock: Clock
    ids: IdGenerator
    code_generator: CodeGenerator
    code_hasher: CodeHasher
    store: DocumentStore
    signing: PdfSigning
    ca: CertificateAuthority
    vault: KeyVault
    key_type: KeyType
    locks: SigningLocks
    # Cabinets whose level 3 is made with a QTSP's remote key (the CSC API) rather than our QCP-n.
    remote_signing: RemoteSigningRoutes = RemoteSigningRoutes()


@frozen
class CodeSent:
    channel: str
    masked_destination: str
    expires_at: datetime


@frozen
class SignOutcome:
    # "signed"; "finalising" (trusted time pending: the worker finishes the signature);
    # "completed" (the last signature: the worker timestamps, seals and sends the links)
    status: str
    collection_status: str


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
    remote: RemoteSigningService | None = None  # level 3 at a QTSP: the signer's key is there
    email: str = ""
    credential: RemoteCredential | None = None  # the QTSP's, when already read for this signature


# -- the code ------------------------------------------------------------------------------------


def request_signing_code(*, ports: SigningPorts, token: str, context: RequestContext | None = None) -> CodeSent:
    """Send the code (« Envoyer le code », and « Code non reçu ? Renvoyer », throttled): by email
    at level 1, by SMS at levels 2 and 3; bound to the digests of every document as shown.

    A signer whose signature needs a certificate the CA would refuse to issue (QCP-n while its
    public addresses are not compliant) is told now, before a code is sent and used."""
    now = ports.clock.now()
    with ports.uow() as tx:
        collection, signer = signer_by_link(tx, token, now)
        needs_fields = any(d.prepared is None for d in collection.documents)
        plan = (_plan(tx, collection, signer, now, ports.remote_signing)
                if signer.level is not SignatureLevel.SIMPLE else None)
    if plan is not None and plan.one_time_policy is not None:
        ports.ca.check_issuable(plan.one_time_policy)
    credential = None
    if plan is not None and plan.remote is not None:
        credential = plan.remote.credential_for(plan.email)  # RemoteCredentialMissing before a code is spent
        _require_authorizable(credential)
    if needs_fields:
        prepare_fields(uow=ports.uow, clock=ports.clock, store=ports.store, signing=ports.signing, locks=ports.locks,
                       collection_id=collection.id)
    if plan is not None and plan.remote is not None and credential is not None and credential.code_from_provider:
        remote = plan.remote
        return _provider_sends_code(ports, token, remote, credential, context)
    return retrying(lambda: _send_signing_code(ports, token, context))


def _provider_sends_code(ports: SigningPorts, token: str, remote: RemoteSigningService, credential: RemoteCredential,
                         context: RequestContext | None) -> CodeSent:
    """The QTSP makes and sends the signer's code (CSC ``credentials/sendOTP``, an ``online`` OTP):
    Seing sends none; the trail records that the provider was asked. The provider checks the code
    at « Signer » (``credentials/authorize``, bound to the documents' hashes) and throttles its sends."""
    now = ports.clock.now()
    with ports.uow() as tx:
        _collection, signer = signer_by_link(tx, token, now)
        require_can_sign(signer)
    remote.send_code(credential)

    def record() -> None:
        with ports.uow() as tx:
            collection, signer = signer_by_link(tx, token, now)
            append(tx, collection.id, "code_sent", at=now, actor=signer.id, context=context, signer_id=signer.id,
                   channel=PROVIDER_CODE_CHANNEL)
            tx.commit()

    retrying(record)
    return CodeSent(channel=PROVIDER_CODE_CHANNEL, masked_destination="", expires_at=now + CODE_VALIDITY)


def _send_signing_code(ports: SigningPorts, token: str, context: RequestContext | None) -> CodeSent:
    with ports.uow() as tx:
        collection, signer = signer_by_link(tx, token, ports.clock.now())
        require_can_sign(signer)
        payload = bind_payload(approved_digests(collection))
        channel, masked = code_channel(signer)
        destination = signer.identity.mobile if channel == "sms" else signer.email
        challenge = send_code(work=tx, generator=ports.code_generator, hasher=ports.code_hasher, ids=ports.ids,
                              clock=ports.clock, record=code_event_sink(tx, collection.id, signer.id, context),
                              person_id=signer.id, purpose=signing_purpose(collection.id),
                              destination=destination,  # type: ignore[arg-type]
                              payload_digest=payload, template="signing_code", about=(collection.id, signer.id),
                              details={"title": collection.title})
        return CodeSent(channel=channel, masked_destination=masked, expires_at=challenge.expires_at)


# -- the signature ---------------------------------------------------------------------------------


def sign(*, ports: SigningPorts, token: str, code: str, context: RequestContext | None = None) -> SignOutcome:
    """« Signer »: check the code against the documents shown, then sign every document. A code the
    QTSP made (``code_from_provider``) is not ours to check: it goes to the QTSP's authorisation."""
    now = ports.clock.now()
    if ports.remote_signing.service is not None:
        def read() -> _Plan:
            with ports.uow() as tx:
                collection, signer = signer_by_link(tx, token, now)
                require_can_sign(signer)
                return _plan(tx, collection, signer, now, ports.remote_signing)

        plan = retrying(read)
        if plan.remote is not None:
            credential = plan.remote.credential_for(plan.email)
            _require_authorizable(credential)
            if credential.code_from_provider:
                if _provider_code_spent(ports, token, now):
                    raise RemoteCodeAlreadyUsed("the provider's last code already authorised an attempt")
                return _perform(ports, evolve(plan, credential=credential), context, from_worker=False, code=code)

    def check() -> _Plan:
        with ports.uow() as tx:
            collection, signer = signer_by_link(tx, token, now)
            require_can_sign(signer)
            payload = bind_payload(approved_digests(collection))
            check_code(work=tx, hasher=ports.code_hasher, clock=ports.clock,
                       record=code_event_sink(tx, collection.id, signer.id, context), person_id=signer.id,
                       purpose=signing_purpose(collection.id), code=code, payload_digest=payload)
            return _plan(tx, collection, signer, now, ports.remote_signing)

    return _perform(ports, retrying(check), context, from_worker=False, code=code)


def _require_authorizable(credential: RemoteCredential) -> None:
    """A credential the QTSP authorises only after the signer's consent on its own page (oauth2code)
    would have every ``credentials/authorize`` refused: said before a code is sent or spent; its
    path is ``consent`` (« Autoriser chez mon prestataire »)."""
    if credential.consent_at_provider:
        raise RemoteConsentUnsupported("the provider authorises this credential only through oauth2code")


def _provider_code_spent(ports: SigningPorts, token: str, now: datetime) -> bool:
    """Whether the provider accepted the last code it sent this signer (``code_checked``, channel
    qtsp, after the last such ``code_sent``): an attempt spent it and did not complete."""
    with ports.uow() as tx:
        collection, signer = signer_by_link(tx, token, now)
        events = tx.audit.of_collection(collection.id)
    for event in reversed(events):
        details = dict(event.details)
        if details.get("signer_id") != signer.id or details.get("channel") != PROVIDER_CODE_CHANNEL:
            continue
        if event.kind in ("code_sent", "code_checked"):
            return event.kind == "code_checked"
    return False


def finalise_signature(*, ports: SigningPorts, collection_id: str, signer_id: str) -> SignOutcome | None:
    """The worker's job after trusted time was unavailable: the code was checked, sign now.
    Raises TimestampUnavailable again (the job is retried later) rather than sign without it."""
    now = ports.clock.now()
    with ports.uow() as tx:
        collection = tx.collections.get(collection_id)
        signer = collection.signer(signer_id)
        if signer.finalising_since is None or not signer.waiting:
            return None
        if collection.status is not CollectionStatus.IN_PROGRESS:
            return None
        plan = _plan(tx, collection, signer, now, ports.remote_signing)
    return _perform(ports, plan, None, from_worker=True)


def _plan(tx: UnitOfWork, collection: Collection, signer: Signer, now: datetime,
          routes: RemoteSigningRoutes) -> _Plan:
    level = signer.level
    certificate = None
    one_time = None
    subject = None
    cabinet = tx.cabinets.get(collection.cabinet_id)
    remote = routes.for_cabinet(cabinet.siren) if level is SignatureLevel.ADVANCED_QUALIFIED else None
    if remote is not None:
        # The QTSP holds the signer's key and certificate: no QCP-n of ours, no one-time certificate.
        return _Plan(collection_id=collection.id, signer_id=signer.id, level=level, signer_name=signer.display_name,
                     member_certificate=None, one_time_policy=None, subject=None, remote=remote,
                     email=str(signer.email))
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


def _identity(plan: _Plan, ports: SigningPorts, now: datetime, code: str | None,
              context: RequestContext | None = None) -> tuple[SigningIdentity, SignatureCertificate,
                                                              Certificate | None, BatchDigestSigner | None]:
    """The signing identity, what the trail records of its certificate, the one-time certificate
    to keep (if any) and, for a QTSP's key, the batch signer every document's value comes from."""
    if plan.remote is not None:
        credential = plan.credential or plan.remote.credential_for(plan.email)
        # SCAL2: the signer's code goes to the QTSP once, with every document's hash
        # (``sign_documents_together``): a single-use code authorises the whole collection.
        identity = SigningIdentity(key_ref=None, certificate=credential.certificate, chain=credential.chain)
        spent = (lambda: _record_provider_code_spent(ports, plan, context)) if credential.code_from_provider else None
        return (identity, SignatureCertificate(serial=credential.serial, policy=credential.policy or REMOTE_POLICY,
                                               issuer=credential.issuer, subject=credential.subject), None,
                _CodeSpentOnce(AuthorizedTogether(plan.remote, credential, code), spent))
    if plan.level is SignatureLevel.SIMPLE:
        seal = ports.ca.platform_seal()
        issued = seal.certificate
        return (SigningIdentity(key_ref=seal.key, certificate=issued.der, chain=seal.issuers),
                SignatureCertificate(serial=issued.serial, policy=PLATFORM_SEAL_POLICY, issuer=issued.issuer.value,
                                     subject=issued.subject), None, None)
    if plan.member_certificate is not None:
        record = plan.member_certificate
        identity = SigningIdentity(key_ref=ports.vault.get(record.key_id), certificate=record.der,
                                   chain=ports.ca.chain(record.serial)[1:])
        return identity, SignatureCertificate(serial=record.serial, policy=record.policy.value,
                                              issuer=record.issuer, subject=record.subject), None, None
    assert plan.one_time_policy is not None and plan.subject is not None
    key = ports.vault.generate(ports.key_type)
    issued = ports.ca.issue(plan.subject, key.public_key_der, plan.one_time_policy, one_time=True)
    record = Certificate.record(id=ports.ids.new_id(), person_id=plan.subject.person_id, cabinet_id=None,
                                issued=issued, key_id=key.id, now=now)
    identity = SigningIdentity(key_ref=key, certificate=issued.der, chain=ports.ca.chain(issued.serial)[1:])
    return identity, SignatureCertificate(serial=issued.serial, policy=plan.one_time_policy.value,
                                          issuer=issued.issuer.value, subject=issued.subject,
                                          one_time=True), record, None


class _CodeSpentOnce:
    """The QTSP's batch signer for one « Signer »: the signer's code authorises once.

    A document that changed between hashing and recording (another signer's signature landed
    first, ``Document.advance`` refused ours) must be hashed and authorised again. SCAL2 binds
    the activation data to the hashes it was given, so the first SAD cannot sign the new ones;
    a credential that takes no code is simply authorised again, but one that takes the signer's
    single-use code would only have it refused as wrong: the signer is told why and asks for a
    new code (``RemoteCodeSpent``), and the QTSP is not asked again."""

    def __init__(self, together: AuthorizedTogether, on_authorized: Callable[[], None] | None = None) -> None:
        self._together = together
        self._on_authorized = on_authorized  # the code is spent at the QTSP, whatever follows
        self._authorized = False

    def sign_digests(self, digests: Sequence[bytes], hash_algorithm: str) -> list[bytes]:
        together = self._together
        if self._authorized and together.credential.needs_code:
            raise RemoteCodeSpent("the documents changed after the signer's code authorised their former version")
        sad = together.service.authorize(together.credential, digests, hash_algorithm, together.code)
        self._authorized = True
        if self._on_authorized is not None:
            self._on_authorized()
        return together.service.sign_digests(together.credential, sad, digests, hash_algorithm)


def _record_provider_code_spent(ports: SigningPorts, plan: _Plan, context: RequestContext | None) -> None:
    """The trail says the QTSP accepted its code (``code_checked``, channel qtsp) as soon as it
    did: the code is spent there even if the signature then fails, and « Signer » tried again
    with it is told so (``RemoteCodeAlreadyUsed``) rather than the QTSP's « wrong code »."""
    def record() -> None:
        now = ports.clock.now()
        with ports.uow() as tx:
            append(tx, plan.collection_id, "code_checked", at=now, actor=plan.signer_id, context=context,
                   signer_id=plan.signer_id, channel=PROVIDER_CODE_CHANNEL, step="checked")
            tx.commit()

    retrying(record)


def _sign_document(ports: SigningPorts, document: Document, plan: _Plan, identity: SigningIdentity,
                   placement: FieldPlacement, now: datetime) -> tuple[str, DocumentRef]:
    base, request = _signature_request(ports, document, plan, identity, placement, now, check_approved=False)
    # The check that the signature goes on the approved version runs in the pass that names the
    # result rather than as a read of its own: a local key's signature over anything else is
    # thrown away unstored.
    approved = document.approved if base != document.approved.sha256 else None
    return base, ports.signing.sign_document(ports.store, base, request, extends=approved)


def _signature_request(ports: SigningPorts, document: Document, plan: _Plan, identity: SigningIdentity,
                       placement: FieldPlacement, now: datetime,
                       signed_before: datetime | None = None,
                       check_approved: bool = True) -> tuple[str, SignatureRequest]:
    base = document.latest
    approved = document.approved
    # The signature goes on the approved version plus earlier signatures (incremental updates):
    # anything else would be a document the signer's code did not authorise. Checked here, before
    # signing, when the key's authorisation is spent on what it signs (a remote key's batch).
    if check_approved and base.sha256 != approved.sha256 and (base.size < approved.size
                                           or _prefix_sha256(ports.store, base.sha256, approved.size) != approved.sha256):
        raise DocumentCorrupted("the latest version does not extend the approved one", document_id=document.id)
    name = plan.signer_name
    request = SignatureRequest(
        identity=identity, level=PADES_LEVEL[plan.level], field_name=field_name_for(plan.signer_id),
        appearance=VisibleSignature(box=box_of(placement), signer_name=name, signed_at=now,
                                    level_label=LEVEL_LABEL[plan.level], signed_before=signed_before),
        name=name, reason=f"{LEVEL_LABEL[plan.level]} — {name}", location=None)
    return base.sha256, request


def _prefix_sha256(store: DocumentStore, sha256: str, size: int) -> str:
    """SHA-256 of the first ``size`` bytes of a stored document, read in chunks, never whole."""
    digest = hashlib.sha256()
    with store.open(sha256) as stream:
        while size > 0 and (chunk := stream.read(min(size, 1 << 20))):
            digest.update(chunk)
            size -= len(chunk)
    return digest.hexdigest()


def _perform(ports: SigningPorts, plan: _Plan, context: RequestContext | None, *, from_worker: bool,
             code: str | None = None) -> SignOutcome:
    now = ports.clock.now()
    identity, certificate_info, record, batch = _identity(plan, ports, now, code, context)
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
                todo = [d for d in collection.documents
                        if made.get(d.id) is None or made[d.id][0] != d.latest.sha256]  # else: still on the latest
                if batch is not None:
                    # A QTSP's key: every document's digest first, one authorisation, then the signatures.
                    now = ports.clock.now()
                    requests = [_signature_request(ports, document, plan, identity,
                                                   collection.placement(document.id, plan.signer_id), now)
                                for document in todo]
                    refs = ports.signing.sign_documents_together(ports.store, requests, batch)
                    made.update({document.id: (base, ref)
                                 for document, (base, _request), ref in zip(todo, requests, refs, strict=True)})
                else:
                    for document in todo:
                        now = ports.clock.now()
                        made[document.id] = _sign_document(ports, document, plan, identity,
                                                           collection.placement(document.id, plan.signer_id), now)
            except TimestampUnavailable:
                if record is not None and identity.key_ref is not None:
                    ports.vault.delete(identity.key_ref)  # the worker issues a fresh one-time certificate
                if from_worker or plan.remote is not None:
                    # A remote signature needs the signer's code for its authorisation: the worker
                    # has none, so the signer is told to try again (nothing was recorded).
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
    if record is not None and identity.key_ref is not None:
        # A one-time certificate served this signature only: its key has no further use.
        ports.vault.delete(identity.key_ref)
    if completed:
        # Completion (B-LTA timestamps, the sealed evidence, the emails) is the worker's
        # ``finalise_collection`` job, enqueued with the signature: never in the signer's request.
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
        enqueue(tx, notifications)
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
    retrying(lambda: _queue_finalisation_once(ports, plan, context, now))


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
