"""« Autoriser chez mon prestataire »: level 3 at a QTSP that authorises a credential only through
the signer's consent on its own page (CSC oauth2code, scope credential).

SCAL2 binds that consent to the digests it names, so the signature is made in two phases around
the redirect. ``start_remote_consent`` prepares every document's signature (the prepared PDFs
stored, their digests fixed: ``PausedPdfSigning``), keeps a ``RemoteConsent`` (the redirect's
state as its hash, the PKCE verifier) and returns where the signer's browser goes.
``finish_remote_consent`` takes the provider's redirect: the state must name a consent of this
signer, usable once and not expired; the documents must still be the versions prepared; the code
is exchanged for the credential's token, the provider signs exactly the consented digests, each
value is put in its prepared PDF, and the signature is recorded as every other level-3 signature
is (new versions, status, trail, completion), in one transaction.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from attrs import frozen

from domain.model.audit import RequestContext
from domain.model.collection import CollectionStatus
from domain.model.errors import (
    Conflict,
    DocumentVersionConflict,
    RemoteConsentDeclined,
    RemoteConsentOutdated,
    RemoteConsentUnsupported,
    RemoteConsentUnusable,
    SignerStateRefused,
)
from domain.model.remote_consent import ConsentedDocument, RemoteConsent, signed_before
from domain.model.signer import SignatureCertificate
from domain.services.audit import append
from domain.services.ceremony.fields import prepare_fields
from domain.services.ceremony.links import PROVIDER_CODE_CHANNEL, require_can_sign, signer_by_link
from domain.services.ceremony.signing import (
    MAX_CONFLICT_RETRIES,
    REMOTE_POLICY,
    SigningPorts,
    SignOutcome,
    _Plan,
    _plan,
    _record_signatures,
    _signature_request,
)
from domain.services.retries import retrying
from ports.pdf_signing import PausedPdfSigning, PreparedSignature, SignatureRequest, SigningIdentity
from ports.remote_signing import ConsentingRemoteSigningService, RemoteCredential, RemoteSigningService

__all__ = ["ConsentStarted", "finish_remote_consent", "start_remote_consent"]

# The OAuth 2.0 error a provider gives when the signer declines (RFC 6749 §4.1.2.1).
_DECLINED = "access_denied"


@frozen
class ConsentStarted:
    url: str  # the provider's consent page, for the signer's browser
    state: str  # what the provider's redirect will carry back (the page remembers whose it is)


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _consenting(ports: SigningPorts, remote: RemoteSigningService | None) -> tuple[
        RemoteSigningService, ConsentingRemoteSigningService, PausedPdfSigning]:
    if remote is None or not isinstance(remote, ConsentingRemoteSigningService):
        raise RemoteConsentUnsupported("the remote signing service offers no consent at the provider")
    if not isinstance(ports.signing, PausedPdfSigning):
        raise RemoteConsentUnsupported("the PDF signing adapter cannot keep a signature half made")
    return remote, remote, ports.signing


def _read_plan(ports: SigningPorts, token: str, now: datetime) -> _Plan:
    def read() -> _Plan:
        with ports.uow() as tx:
            collection, signer = signer_by_link(tx, token, now)
            require_can_sign(signer)
            return _plan(tx, collection, signer, now, ports.remote_signing)

    return retrying(read)


def _identity(credential: RemoteCredential) -> SigningIdentity:
    return SigningIdentity(key_ref=None, certificate=credential.certificate, chain=credential.chain)


def start_remote_consent(*, ports: SigningPorts, token: str, redirect_uri: str,
                         context: RequestContext | None = None) -> ConsentStarted:
    """Prepare every document's signature and send the signer to the provider's consent page."""
    now = ports.clock.now()
    plan = _read_plan(ports, token, now)
    remote, consenting, signing = _consenting(ports, plan.remote)
    credential = remote.credential_for(plan.email)  # RemoteCredentialMissing before anything is prepared
    if not credential.consent_at_provider:
        raise RemoteConsentUnsupported("this credential is authorised with a code, not by consent")
    with ports.uow() as tx:
        collection, _signer = signer_by_link(tx, token, now)
        needs_fields = any(d.prepared is None for d in collection.documents)
    if needs_fields:
        prepare_fields(uow=ports.uow, clock=ports.clock, store=ports.store, signing=ports.signing, locks=ports.locks,
                       collection_id=plan.collection_id)
    with ports.uow() as tx:
        collection = tx.collections.get(plan.collection_id)
    identity = _identity(credential)
    # The appearance is drawn now, the value and its timestamp come on the return: it states the
    # window the signature is made in, which finish_remote_consent holds it to.
    requests = [_signature_request(ports, document, plan, identity, collection.placement(document.id, plan.signer_id),
                                   now, signed_before(now)) for document in collection.documents]
    prepared = signing.prepare_documents(ports.store, requests)
    state, verifier = ports.ids.new_token(), ports.ids.new_token()
    consent = RemoteConsent.start(
        id=ports.ids.new_id(), state_hash=_state_hash(state), collection_id=plan.collection_id,
        signer_id=plan.signer_id, credential_id=credential.credential_id, code_verifier=verifier, signed_at=now,
        documents=[ConsentedDocument(document_id=document.id, base=p.base, prepared=p.prepared,
                                     document_digest=p.document_digest, reserved_start=p.reserved_start,
                                     reserved_end=p.reserved_end, digest=p.digest, hash_algorithm=p.hash_algorithm)
                   for document, p in zip(collection.documents, prepared, strict=True)],
        now=now)
    algorithms = {p.hash_algorithm for p in prepared}
    if len(algorithms) != 1:
        raise RemoteConsentUnsupported("documents consented together must use one digest algorithm")

    def store() -> None:
        with ports.uow() as tx:
            tx.remote_consents.add(consent)
            append(tx, plan.collection_id, "consent_requested", at=now, actor=plan.signer_id, context=context,
                   signer_id=plan.signer_id, channel=PROVIDER_CODE_CHANNEL, count=len(prepared))
            tx.commit()

    retrying(store)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")
    url = consenting.consent_url(credential, consent.digests, algorithms.pop(), redirect_uri=redirect_uri,
                                 state=state, code_challenge=challenge)
    return ConsentStarted(url=url, state=state)


def finish_remote_consent(*, ports: SigningPorts, state: str, code: str | None, error: str | None,
                          redirect_uri: str, token: str | None = None,
                          context: RequestContext | None = None) -> SignOutcome:
    """The provider's redirect back: sign what the signer consented to, or say why not. The state
    names the consent (the redirect URI is one for every signer, as providers register it);
    ``token``, when the browser's session knows it, must be the same signer's link."""
    now = ports.clock.now()
    consent = _spend(ports, token, state, now)
    plan = _read_plan_of(ports, consent, now)
    if error or not code:
        def declined() -> None:
            with ports.uow() as tx:
                append(tx, plan.collection_id, "consent_declined", at=now, actor=plan.signer_id, context=context,
                       signer_id=plan.signer_id, channel=PROVIDER_CODE_CHANNEL, reason=(error or "no_code")[:64])
                tx.commit()

        retrying(declined)
        raise RemoteConsentDeclined(f"the provider gave no authorisation: {error or 'no code'}")
    remote, consenting, signing = _consenting(ports, plan.remote)
    with ports.uow() as tx:
        collection = tx.collections.get(plan.collection_id)
    _require_unchanged(consent, {d.id: d.latest.sha256 for d in collection.documents})
    credential = remote.credential_for(plan.email)
    if credential.credential_id != consent.credential_id:
        raise RemoteConsentOutdated("the signer's credential at the provider changed since the consent")
    access = consenting.exchange_consent(code, redirect_uri=redirect_uri, code_verifier=consent.code_verifier)
    algorithm = consent.documents[0].hash_algorithm
    values = consenting.sign_digests_consented(credential, access, consent.digests, algorithm)
    identity = _identity(credential)
    items: list[tuple[PreparedSignature, SignatureRequest]] = []
    for kept in consent.documents:
        document = collection.document(kept.document_id)
        _base, request = _signature_request(ports, document, plan, identity,
                                            collection.placement(document.id, plan.signer_id), consent.signed_at,
                                            consent.signed_before)
        items.append((PreparedSignature(base=kept.base, prepared=kept.prepared, document_digest=kept.document_digest,
                                        reserved_start=kept.reserved_start, reserved_end=kept.reserved_end,
                                        digest=kept.digest, hash_algorithm=kept.hash_algorithm), request))
    refs = signing.finish_documents(ports.store, items, values)
    if ports.clock.now() > consent.signed_before:
        # Its appearance says it was made by then: a signature finished later is not recorded.
        raise RemoteConsentUnusable("the signature was finished after the time its appearance states")
    made = {kept.document_id: (kept.base, ref) for kept, ref in zip(consent.documents, refs, strict=True)}
    certificate = SignatureCertificate(serial=credential.serial, policy=credential.policy or REMOTE_POLICY,
                                       issuer=credential.issuer, subject=credential.subject)
    with ports.locks.hold(plan.collection_id):
        for _attempt in range(MAX_CONFLICT_RETRIES):
            with ports.uow() as tx:
                current = tx.collections.get(plan.collection_id)
            signer = current.signer(plan.signer_id)
            if not signer.waiting or current.status is not CollectionStatus.IN_PROGRESS:
                raise SignerStateRefused("this signer cannot sign now", status=signer.status.value)
            # Another signature may have landed since the check above (another host): the consent
            # covers the former version, which the provider will not sign again under it.
            _require_unchanged(consent, {d.id: d.latest.sha256 for d in current.documents})
            try:
                completed = _record_signatures(ports, plan, made, certificate, None, context)
            except Conflict:
                continue  # the trail moved on meanwhile: read again
            break
        else:
            raise DocumentVersionConflict("too many signatures at once; please try again")

    def given() -> None:
        with ports.uow() as tx:
            append(tx, plan.collection_id, "consent_given", at=now, actor=plan.signer_id, context=context,
                   signer_id=plan.signer_id, channel=PROVIDER_CODE_CHANNEL, certificate_serial=credential.serial)
            tx.commit()

    retrying(given)
    if completed:
        return SignOutcome(status="completed", collection_status=CollectionStatus.COMPLETED.value)
    return SignOutcome(status="signed", collection_status=CollectionStatus.IN_PROGRESS.value)


def _read_plan_of(ports: SigningPorts, consent: RemoteConsent, now: datetime) -> _Plan:
    def read() -> _Plan:
        with ports.uow() as tx:
            collection = tx.collections.get(consent.collection_id)
            signer = collection.signer(consent.signer_id)
            if collection.status is not CollectionStatus.IN_PROGRESS:
                raise SignerStateRefused("the collection has ended", status=signer.status.value)
            require_can_sign(signer)
            return _plan(tx, collection, signer, now, ports.remote_signing)

    return retrying(read)


def _spend(ports: SigningPorts, token: str | None, state: str, now: datetime) -> RemoteConsent:
    """The consent the redirect's state names, spent at once: a replayed redirect finds it used."""
    def spend() -> RemoteConsent:
        with ports.uow() as tx:
            consent = tx.remote_consents.by_state_hash(_state_hash(state)) if state else None
            if consent is not None and not consent.usable(now):
                # Spent or lapsed, whatever became of the collection since (the same redirect
                # brought back twice at once: the other return may have completed it).
                raise RemoteConsentUnusable("this consent was already used or has expired")
            if consent is not None and token is not None:
                _collection, signer = signer_by_link(tx, token, now)
                if consent.signer_id != signer.id:
                    consent = None
            if consent is None:
                raise RemoteConsentUnusable("the provider's redirect names no consent of this signer")
            used = consent.use(now)
            tx.remote_consents.save(used)
            tx.commit()
            return used

    return retrying(spend)


def _require_unchanged(consent: RemoteConsent, latest: dict[str, str]) -> None:
    kept = {d.document_id: d.base for d in consent.documents}
    if kept != latest:
        raise RemoteConsentOutdated("a document changed since the signer was sent to the provider")
