"""Use cases of the LCP registration (« S'enregistrer »).

A member holding SIGN in a cabinet, at their first connection, proves their email and
their mobile with one-time codes, confirms the identity the certificate will carry and
accepts the terms; the CA then issues their LCP certificate for that cabinet, on a key
generated in the KeyVault (it never leaves it).

Each function opens its own unit of work. The codes are the shared building blocks of
``domain.services.one_time_codes``: their purpose is scoped by cabinet (so registering in
two cabinets keeps separate codes and throttles, and restarting a registration does not
reset the throttle) and bound to the registration and the destination (so a code sent for
an earlier, cancelled registration or to another number is refused). Their events go to
the registration's history, stored with it.

When configuration requires it (``LcpIdentityCheckPolicy(required=True)``), a document-only
identity check comes between the identity confirmation and the terms: the person captures
their identity document on their phone (QR code, a short-lived single-use link) or in the
browser, with the same provider and capture pages as the QCP enrollment, and
``accept_terms_and_issue`` refuses (``LcpIdentityCheckNotPassed``) until the verdict is
PASSED. Without the flag nothing changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from attrs import evolve, frozen

from domain.model.certificates import Certificate
from domain.model.errors import (
    CaptureLinkUnusable,
    IdentityProviderUnavailable,
    IdentitySessionNotFound,
    LcpAlreadyActive,
    LcpIdentityCheckNotPassed,
    NotFound,
    RegistrationNotFound,
    RegistrationWrongStep,
    TermsOutdated,
)
from domain.model.identity import IdentityCheckStatus
from domain.model.jobs import JobSpec, Notification
from domain.model.lcp_registration import (
    UNDELIVERED_STEP,
    LcpRegistration,
    RegistrationAction,
    RegistrationState,
    require_signer,
)
from domain.model.one_time_code import CodeEvent, CodePurpose, bind_payload
from domain.model.pki import CertificatePolicy, CertificateSubject, KeyType, RevocationReason
from domain.model.qcp_enrollment import CAPTURE_LINK_VALIDITY, CaptureLink
from domain.model.tokens import hash_token
from domain.model.webhooks import WebhookEvent, event_job
from domain.services.identity_checks import (
    LcpIdentityCheckPolicy,
    LcpIdentityOutcome,
    LcpIdentityVerdict,
    cancel_quietly,
    lcp_identity_verdict,
    start_lcp_identity_check,
)
from domain.services.my_signature_views import (
    CertificateSummary,
    CodeSent,
    RegistrationView,
    certificate_summary,
    mask_email,
    registration_view,
)
from domain.services.one_time_codes import check_code, send_code
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.identity import IdentityVerifier
from ports.ids import IdGenerator
from ports.keyvault import KeyVault
from ports.one_time_codes import CodeGenerator, CodeHasher
from ports.repositories import UnitOfWork

__all__ = [
    "CERTIFICATE_ISSUED_TEMPLATE",
    "accept_terms_and_issue",
    "cancel_registration",
    "confirm_identity",
    "IdentityCheckStarted",
    "IdentityCheckView",
    "email_purpose",
    "identity_check_status",
    "open_identity_capture_link",
    "record_registration_delivery_failure",
    "renew_identity_capture_link",
    "start_identity_check",
    "registration_status",
    "send_email_code",
    "send_sms_code",
    "sms_purpose",
    "start_registration",
    "verify_email_code",
    "verify_sms_code",
]

UowFactory = Callable[[], UnitOfWork]
# The identity check's QR links live in the capture-link store shared with the QCP enrollment.
CaptureUowFactory = Callable[[], UnitOfWork]

CERTIFICATE_ISSUED_TEMPLATE = "lcp_certificate_issued"


# Without configuration, the LCP needs no identity check (SEING_LCP_REQUIRE_IDENTITY_CHECK).
_NO_REQUIRED_CHECK = LcpIdentityCheckPolicy()

def email_purpose(cabinet_id: str) -> str:
    return CodePurpose.LCP_REGISTRATION_EMAIL.scoped(cabinet_id)


def sms_purpose(cabinet_id: str) -> str:
    return CodePurpose.LCP_REGISTRATION_SMS.scoped(cabinet_id)


def _email_payload(registration: LcpRegistration) -> str:
    return bind_payload([f"registration:{registration.id}", f"email:{registration.email}"])


def _sms_payload(registration: LcpRegistration) -> str:
    return bind_payload([f"registration:{registration.id}", f"mobile:{registration.mobile}"])


def _own_registration(tx: UnitOfWork, person_id: str, registration_id: str) -> LcpRegistration:
    registration = tx.lcp_registrations.get(registration_id)
    if registration.person_id != person_id:
        # Someone else's registration does not exist, as far as this person can tell.
        raise RegistrationNotFound("registration not found")
    return registration


def _into_history(registration: LcpRegistration) -> Callable[[CodeEvent], None]:
    def record(event: CodeEvent) -> None:
        registration.note(event.kind.value, event.at, challenge_id=event.challenge_id, **event.detail_dict())

    return record


def _view(tx: UnitOfWork, registration: LcpRegistration,
          check: IdentityCheckView | None = None) -> RegistrationView:
    view = registration_view(registration, cabinet_name=tx.cabinets.get(registration.cabinet_id).name)
    if check is None:
        return view
    # Until the check passes, it is the step the person is at (its sub-state says which page).
    next_action = view.next_action
    if registration.state is RegistrationState.IDENTITY_CONFIRMED and check.check != "passed":
        next_action = RegistrationAction.START_IDENTITY_CHECK.value
    return evolve(view, next_action=next_action, identity_check=check.check,
                  identity_check_reason=check.reason, identity_session_ref=check.session_ref)


# The optional identity check (document only) ----------------------------------------------


@frozen
class IdentityCheckView:
    """Where the identity check of a registration stands.

    ``check``: ``not_started``; ``capturing`` (the QR code and « Continuez ici dans votre
    navigateur »); ``pending`` (captured, « Vérification en cours »); ``passed``;
    ``rejected`` (``reason`` is the provider's); ``mismatch`` (the document names someone
    else than the registration: correct the profile and start again).
    """

    registration_id: str
    check: str
    session_ref: str | None = None
    reason: str | None = None

    @property
    def passed(self) -> bool:
        return self.check == "passed"


@frozen
class IdentityCheckStarted:
    """A session is open: ``capture_token`` is the QR link's secret (the caller builds its
    URL, ``/signature-personnelle/capture/<token>``), valid until ``capture_expires_at``;
    ``browser_url`` the capture in this browser."""

    check: IdentityCheckView
    capture_token: str
    capture_expires_at: datetime
    browser_url: str


def _check_view(registration: LcpRegistration, verdict: LcpIdentityVerdict | None,
                capture: IdentityCheckStatus | None) -> IdentityCheckView:
    ref = registration.identity_session_ref
    if ref is None or verdict is None:
        return IdentityCheckView(registration_id=registration.id, check="not_started")
    if verdict.outcome is LcpIdentityOutcome.PENDING:
        check = "capturing" if capture in (None, IdentityCheckStatus.CAPTURING) else "pending"
        if capture is IdentityCheckStatus.CANCELLED:
            check = "not_started"
        return IdentityCheckView(registration_id=registration.id, check=check, session_ref=ref)
    reason = verdict.result.reason if verdict.result is not None else None
    if verdict.outcome is LcpIdentityOutcome.MISMATCH:
        reason = reason or "name_mismatch"
    return IdentityCheckView(registration_id=registration.id, check=verdict.outcome.value, session_ref=ref,
                             reason=reason)


def _assess(registration: LcpRegistration, verifier: IdentityVerifier | None, policy: LcpIdentityCheckPolicy,
            now: datetime) -> tuple[LcpIdentityVerdict | None, IdentityCheckView]:
    """Ask the provider about the current session; a decision is kept in the history."""
    ref = registration.identity_session_ref
    if ref is None:
        return None, _check_view(registration, None, None)
    assert verifier is not None, "an identity check needs an identity verifier"
    try:
        verdict = lcp_identity_verdict(verifier=verifier, policy=policy, session_ref=ref, name=registration.name)
        capture = verifier.status(ref) if verdict.outcome is LcpIdentityOutcome.PENDING else None
    except IdentityProviderUnavailable:
        # Still « Vérification en cours »: the page asks again.
        pending = LcpIdentityVerdict(LcpIdentityOutcome.PENDING)
        return pending, _check_view(registration, pending, IdentityCheckStatus.SUBMITTED)
    except IdentitySessionNotFound:
        # The provider lost the session (e.g. restarted without storage): a new attempt is needed.
        return None, IdentityCheckView(registration_id=registration.id, check="not_started")
    if verdict.outcome is not LcpIdentityOutcome.PENDING:
        registration.record_identity_decision(
            ref, outcome=verdict.outcome.value,
            reason=verdict.result.reason if verdict.result is not None else None, now=now)
    return verdict, _check_view(registration, verdict, capture)


def _new_capture_link(tx: UnitOfWork, ids: IdGenerator, registration: LcpRegistration, session_ref: str,
                      phone_url: str, browser_url: str, now: datetime,
                      validity: timedelta) -> tuple[str, CaptureLink]:
    token = ids.new_token()
    # The link store names its owner ``enrollment_id``: here, the registration.
    link = CaptureLink.issue(token_hash=hash_token(token), enrollment_id=registration.id, session_ref=session_ref,
                             phone_url=phone_url, browser_url=browser_url, now=now, validity=validity)
    tx.capture_links.add(link)
    return token, link


def _require_check(policy: LcpIdentityCheckPolicy, registration: LcpRegistration) -> None:
    if not policy.required:
        # Not part of this registration's steps: as for any other step out of place.
        raise RegistrationWrongStep("no identity check is required", state=registration.state.value,
                                    action=RegistrationAction.START_IDENTITY_CHECK.value)
    registration.require(RegistrationAction.START_IDENTITY_CHECK)


def start_identity_check(*, uow: CaptureUowFactory, clock: Clock, ids: IdGenerator,
                         identity_verifier: IdentityVerifier, identity_policy: LcpIdentityCheckPolicy,
                         person_id: str, registration_id: str,
                         capture_link_validity: timedelta = CAPTURE_LINK_VALIDITY) -> IdentityCheckStarted:
    """Open a document-only session with the provider and a QR link to its phone capture.
    A new attempt (after a rejection, or a capture left unfinished) replaces the previous
    session, which is abandoned; a check that passed is not started again."""
    now = clock.now()
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        _require_check(identity_policy, registration)
        previous = registration.identity_session_ref
        if previous is not None:
            verdict, _ = _assess(registration, identity_verifier, identity_policy, now)
            if verdict is not None and verdict.outcome is LcpIdentityOutcome.PASSED:
                tx.commit()
                raise RegistrationWrongStep("the identity check has passed already",
                                            state=registration.state.value,
                                            action=RegistrationAction.START_IDENTITY_CHECK.value)
            if verdict is not None and verdict.outcome is LcpIdentityOutcome.PENDING:
                cancel_quietly(identity_verifier, previous)
        person = tx.persons.get(person_id)
        session = start_lcp_identity_check(verifier=identity_verifier, policy=identity_policy,
                                           person_id=person_id, name=registration.name, email=registration.email,
                                           birth_date=getattr(person, "birth_date", None))
        assert session is not None
        registration.begin_identity_check(session.session_ref, now)
        token, link = _new_capture_link(tx, ids, registration, session.session_ref, session.phone_url,
                                        session.browser_url, now, capture_link_validity)
        tx.commit()
        check = IdentityCheckView(registration_id=registration.id, check="capturing", session_ref=session.session_ref)
        return IdentityCheckStarted(check=check, capture_token=token, capture_expires_at=link.expires_at,
                                    browser_url=session.browser_url)


def renew_identity_capture_link(*, uow: CaptureUowFactory, clock: Clock, ids: IdGenerator,
                                identity_verifier: IdentityVerifier, identity_policy: LcpIdentityCheckPolicy,
                                person_id: str, registration_id: str,
                                capture_link_validity: timedelta = CAPTURE_LINK_VALIDITY) -> IdentityCheckStarted:
    """A new QR link for the same session (the previous one expired on screen, or this is a
    new login): refused once the capture is over."""
    now = clock.now()
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        _require_check(identity_policy, registration)
        ref = registration.identity_session_ref
        previous = tx.capture_links.latest_for_session(ref) if ref is not None else None
        if ref is None or previous is None:
            raise CaptureLinkUnusable("no capture link was issued for this registration")
        _, check = _assess(registration, identity_verifier, identity_policy, now)
        if check.check != "capturing":
            tx.commit()
            raise CaptureLinkUnusable("this capture is no longer open")
        token, link = _new_capture_link(tx, ids, registration, ref, previous.phone_url, previous.browser_url, now,
                                        capture_link_validity)
        tx.commit()
        return IdentityCheckStarted(check=check, capture_token=token, capture_expires_at=link.expires_at,
                                    browser_url=previous.browser_url)


def open_identity_capture_link(*, uow: CaptureUowFactory, clock: Clock, identity_verifier: IdentityVerifier,
                               token: str) -> str:
    """The phone opened the QR link (no login): consume it and return the capture URL.
    CaptureLinkUnusable when unknown, expired, used, or the check moved on."""
    now = clock.now()
    with uow() as tx:
        link = tx.capture_links.by_token_hash(hash_token(token))
        if link is None:
            raise CaptureLinkUnusable("unknown link")
        try:
            registration = tx.lcp_registrations.get(link.enrollment_id)
        except NotFound:
            raise CaptureLinkUnusable("unknown link") from None  # a QCP enrollment's link
        if (registration.identity_session_ref != link.session_ref
                or registration.state is not RegistrationState.IDENTITY_CONFIRMED
                or identity_verifier.status(link.session_ref) is not IdentityCheckStatus.CAPTURING):
            raise CaptureLinkUnusable("this capture is no longer open")
        url = link.use(now)
        tx.commit()
        return url


def identity_check_status(*, uow: UowFactory, clock: Clock, identity_verifier: IdentityVerifier,
                          identity_policy: LcpIdentityCheckPolicy, person_id: str,
                          registration_id: str) -> IdentityCheckView:
    """What « Vérification en cours » polls: asks the provider, keeps a decision."""
    now = clock.now()
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        if not identity_policy.required:
            return IdentityCheckView(registration_id=registration.id, check="not_required")
        _, check = _assess(registration, identity_verifier, identity_policy, now)
        tx.commit()
        return check


def _check_for_view(registration: LcpRegistration, verifier: IdentityVerifier | None,
                    policy: LcpIdentityCheckPolicy, now: datetime) -> IdentityCheckView | None:
    """The check's state to show with the registration, while it is the step to take."""
    if not policy.required or registration.state is not RegistrationState.IDENTITY_CONFIRMED:
        return None
    return _assess(registration, verifier, policy, now)[1]


# Starting and resuming ------------------------------------------------------------------


def start_registration(*, uow: UowFactory, clock: Clock, ids: IdGenerator, person_id: str,
                       cabinet_id: str) -> RegistrationView:
    """« S'enregistrer »: refused unless the person is a member holding SIGN, has a mobile,
    has no active LCP for the cabinet and no registration already under way there
    (``RegistrationInProgress`` names it, to resume)."""
    now = clock.now()
    with uow() as tx:
        person = tx.persons.get(person_id)
        member = tx.members.find(cabinet_id, person_id)
        registration = LcpRegistration.start(
            id=ids.new_id(), person=person, cabinet_id=cabinet_id, member=member,
            active_registration=tx.lcp_registrations.active_for(person_id, cabinet_id),
            has_active_lcp=tx.certificates.active_for(person_id, cabinet_id, CertificatePolicy.LCP,
                                                      now=now) is not None,
            now=now)
        tx.lcp_registrations.add(registration)
        view = _view(tx, registration)
        tx.commit()
        return view


def registration_status(*, uow: UowFactory, person_id: str, cabinet_id: str, clock: Clock | None = None,
                        identity_verifier: IdentityVerifier | None = None,
                        identity_policy: LcpIdentityCheckPolicy = _NO_REQUIRED_CHECK) -> RegistrationView | None:
    """The person's registration for this cabinet: the one under way, else the latest
    (issued or cancelled), else None. For a page resuming where the person left off.
    With a required identity check, the provider is asked for news of it."""
    with uow() as tx:
        if tx.members.find(cabinet_id, person_id) is None:
            raise NotFound("cabinet not found")
        registration = (tx.lcp_registrations.active_for(person_id, cabinet_id)
                        or tx.lcp_registrations.latest_for(person_id, cabinet_id))
        if registration is None:
            return None
        check = None
        if clock is not None:
            check = _check_for_view(registration, identity_verifier, identity_policy, clock.now())
        view = _view(tx, registration, check)
        tx.commit()
        return view


def cancel_registration(*, uow: UowFactory, clock: Clock, person_id: str, registration_id: str) -> RegistrationView:
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.cancel(clock.now())
        view = _view(tx, registration)
        tx.commit()
        return view


# Email and mobile, by one-time code -------------------------------------------------------


@frozen
class _CodeStep:
    """What differs between the email and the SMS step: everything else is one procedure."""

    channel: str  # as CodeSent reports it
    send_action: RegistrationAction
    verify_action: RegistrationAction
    purpose: Callable[[str], str]  # cabinet id → the code's purpose
    payload: Callable[[LcpRegistration], str]
    destination: Callable[[LcpRegistration], object]
    masked: Callable[[LcpRegistration], str]
    mark_verified: Callable[[LcpRegistration, datetime], None]


_EMAIL_STEP = _CodeStep(channel="email", send_action=RegistrationAction.SEND_EMAIL_CODE,
                        verify_action=RegistrationAction.VERIFY_EMAIL, purpose=email_purpose,
                        payload=_email_payload, destination=lambda r: r.email,
                        masked=lambda r: mask_email(str(r.email)), mark_verified=lambda r, now: r.verify_email(now))
_SMS_STEP = _CodeStep(channel="sms", send_action=RegistrationAction.SEND_SMS_CODE,
                      verify_action=RegistrationAction.VERIFY_MOBILE, purpose=sms_purpose,
                      payload=_sms_payload, destination=lambda r: r.mobile,
                      masked=lambda r: r.mobile.masked(), mark_verified=lambda r, now: r.verify_mobile(now))


def _send(step: _CodeStep, *, uow: UowFactory, clock: Clock, ids: IdGenerator, code_generator: CodeGenerator,
          code_hasher: CodeHasher, person_id: str, registration_id: str) -> CodeSent:
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.require(step.send_action)
        locale = tx.persons.get(person_id).locale
        challenge = send_code(work=tx, generator=code_generator, hasher=code_hasher, ids=ids, clock=clock,
                              record=_into_history(registration), person_id=person_id,
                              purpose=step.purpose(registration.cabinet_id), destination=step.destination(registration),
                              payload_digest=step.payload(registration), locale=locale,
                              about_registration=registration.id)
        return CodeSent(registration_id=registration.id, channel=step.channel,
                        destination=step.masked(registration), expires_at=challenge.expires_at)


def _verify(step: _CodeStep, *, uow: UowFactory, clock: Clock, code_hasher: CodeHasher, person_id: str,
            registration_id: str, code: str) -> RegistrationView:
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.require(step.verify_action)
        # check_code commits even when it refuses, so a wrong try is counted.
        check_code(work=tx, hasher=code_hasher, clock=clock, record=_into_history(registration),
                   person_id=person_id, purpose=step.purpose(registration.cabinet_id), code=code,
                   payload_digest=step.payload(registration))
        step.mark_verified(registration, clock.now())
        view = _view(tx, registration)
        tx.commit()
        return view


def send_email_code(*, uow: UowFactory, clock: Clock, ids: IdGenerator, code_generator: CodeGenerator,
                    code_hasher: CodeHasher, person_id: str, registration_id: str) -> CodeSent:
    """« Envoyer le code » to the email being verified (again: a resend, throttled)."""
    return _send(_EMAIL_STEP, uow=uow, clock=clock, ids=ids, code_generator=code_generator,
                 code_hasher=code_hasher, person_id=person_id, registration_id=registration_id)


def verify_email_code(*, uow: UowFactory, clock: Clock, code_hasher: CodeHasher, person_id: str,
                      registration_id: str, code: str) -> RegistrationView:
    return _verify(_EMAIL_STEP, uow=uow, clock=clock, code_hasher=code_hasher, person_id=person_id,
                   registration_id=registration_id, code=code)


def record_registration_delivery_failure(*, uow: UowFactory, clock: Clock, registration_id: str, channel: str,
                                         permanent: bool) -> None:
    """A code message of this registration could not be delivered (``permanent``: the provider
    refused it; otherwise every retry failed): kept in its history, so that the code page tells
    the registrant (``RegistrationView.sms_undelivered``) until a new code is sent."""
    with uow() as tx:
        try:
            registration = tx.lcp_registrations.get(registration_id)
        except RegistrationNotFound:
            return  # gone meanwhile: no one to tell
        registration.note(UNDELIVERED_STEP, clock.now(), channel=channel,
                          reason="refused" if permanent else "undelivered")
        tx.commit()


def send_sms_code(*, uow: UowFactory, clock: Clock, ids: IdGenerator, code_generator: CodeGenerator,
                  code_hasher: CodeHasher, person_id: str, registration_id: str) -> CodeSent:
    """The SMS code to the mobile being verified, once the email is verified."""
    return _send(_SMS_STEP, uow=uow, clock=clock, ids=ids, code_generator=code_generator,
                 code_hasher=code_hasher, person_id=person_id, registration_id=registration_id)


def verify_sms_code(*, uow: UowFactory, clock: Clock, code_hasher: CodeHasher, person_id: str,
                    registration_id: str, code: str) -> RegistrationView:
    return _verify(_SMS_STEP, uow=uow, clock=clock, code_hasher=code_hasher, person_id=person_id,
                   registration_id=registration_id, code=code)


# Identity, terms, issuance ----------------------------------------------------------------


def confirm_identity(*, uow: UowFactory, clock: Clock, person_id: str, registration_id: str,
                     identity_policy: LcpIdentityCheckPolicy = _NO_REQUIRED_CHECK) -> RegistrationView:
    """The person confirms the identity shown (``registration_status``): the profile's name
    becomes the certificate's; its email and mobile must still be the verified ones. With
    a required identity check, that check is the next step."""
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        person = tx.persons.get(person_id)
        registration.confirm_identity(name=person.name, email=person.email, mobile=person.mobile, now=clock.now())
        check = _check_for_view(registration, None, identity_policy, clock.now())
        view = _view(tx, registration, check)
        tx.commit()
        return view


def accept_terms_and_issue(*, uow: UowFactory, clock: Clock, ids: IdGenerator, vault: KeyVault,
                           ca: CertificateAuthority, current_terms_version: str, person_id: str,
                           registration_id: str, terms_version: str,
                           key_type: KeyType = KeyType.EC_P256, identity_verifier: IdentityVerifier | None = None,
                           identity_policy: LcpIdentityCheckPolicy = _NO_REQUIRED_CHECK) -> CertificateSummary:
    """Store the consent (terms version and time), then have the LCP certificate issued.

    The consent is committed before issuance: if the CA fails, calling this again resumes
    at issuance without asking for consent twice. A key is generated in the vault and
    certified with the subject of EN 319 412-2 (O = cabinet name, organizationIdentifier
    NTRFR-<SIREN>, the confirmed name, the verified email). If storing the result fails,
    the certificate is revoked and the key destroyed, so no certificate is left that the
    platform does not know about. An email « certificate issued » is queued with the rest.

    With a required identity check, nothing is accepted or issued unless its verdict is
    PASSED (``LcpIdentityCheckNotPassed`` says pending, rejected with the provider's reason,
    or mismatch); the decision is kept in the registration's history either way.
    """
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        if identity_policy.required and registration.state is RegistrationState.IDENTITY_CONFIRMED:
            verdict, check = _assess(registration, identity_verifier, identity_policy, clock.now())
            if verdict is None or verdict.outcome is not LcpIdentityOutcome.PASSED:
                tx.commit()  # keeps a decision just learnt
                raise LcpIdentityCheckNotPassed(outcome=check.check, reason=check.reason)
        if registration.state is RegistrationState.IDENTITY_CONFIRMED:
            if terms_version != current_terms_version:
                raise TermsOutdated("the terms have changed; read and accept the current version",
                                    current_version=current_terms_version)
            registration.accept_terms(version=terms_version, now=clock.now())
            tx.commit()
        registration.require(RegistrationAction.ISSUE)
        cabinet = tx.cabinets.get(registration.cabinet_id)
        person = tx.persons.get(person_id)
        # SIGN may have been withdrawn, or an LCP issued elsewhere, since the registration began.
        require_signer(tx.members.find(cabinet.id, person_id), cabinet.id)
        now = clock.now()
        if tx.certificates.active_for(person_id, cabinet.id, CertificatePolicy.LCP, now=now) is not None:
            raise LcpAlreadyActive("you already hold an active LCP certificate for this cabinet")
        subject = CertificateSubject(name=registration.name, email=registration.email, person_id=person_id,
                                     organization=cabinet.name, siren=cabinet.siren)

        key = vault.generate(key_type)
        try:
            issued = ca.issue(subject, key.public_key_der, CertificatePolicy.LCP)
        except BaseException:
            vault.delete(key)
            raise
        try:
            certificate = Certificate.record(id=ids.new_id(), person_id=person_id, cabinet_id=cabinet.id,
                                             issued=issued, key_id=key.id, now=now)
            tx.certificates.add(certificate)
            registration.mark_issued(certificate_id=certificate.id, now=now)
            tx.jobs.enqueue(event_job(WebhookEvent.CERTIFICATE_ISSUED, cabinet_id=cabinet.id, occurred_at=now,
                                      certificate_id=certificate.id, person_id=person_id, policy="LCP",
                                      serial=certificate.serial))
            tx.jobs.enqueue(JobSpec.notify(Notification.email(
                registration.email, CERTIFICATE_ISSUED_TEMPLATE, person.locale,
                display_name=registration.name.full, cabinet_name=cabinet.name, policy="LCP",
                serial=certificate.serial, not_before=certificate.not_before.isoformat(),
                not_after=certificate.not_after.isoformat(), valid_years=_whole_years(certificate))))
            summary = certificate_summary(certificate, now=now, cabinet_name=cabinet.name)
            tx.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                ca.revoke(issued.serial, RevocationReason.CESSATION_OF_OPERATION, now)
            with contextlib.suppress(Exception):
                vault.delete(key)
            raise
        return summary


def _whole_years(certificate: Certificate) -> str:
    return str(round((certificate.not_after - certificate.not_before).days / 365.25))
