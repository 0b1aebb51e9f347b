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
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from domain.model.certificates import Certificate
from domain.model.errors import LcpAlreadyActive, NotFound, RegistrationNotFound, TermsOutdated
from domain.model.jobs import JobSpec, Notification
from domain.model.lcp_registration import (
    LcpRegistration,
    RegistrationAction,
    RegistrationState,
    require_signer,
)
from domain.model.one_time_code import CodeEvent, CodePurpose, bind_payload
from domain.model.pki import CertificatePolicy, CertificateSubject, KeyType, RevocationReason
from domain.services.one_time_codes import check_code, send_code
from domain.services.signature_views import (
    CertificateSummary,
    CodeSent,
    RegistrationView,
    certificate_summary,
    mask_email,
    registration_view,
)
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.ids import IdGenerator
from ports.keyvault import KeyVault
from ports.lcp_registrations import LcpRegistrationWork
from ports.one_time_codes import CodeGenerator, CodeHasher

__all__ = [
    "CERTIFICATE_ISSUED_TEMPLATE",
    "accept_terms_and_issue",
    "cancel_registration",
    "confirm_identity",
    "email_purpose",
    "registration_status",
    "send_email_code",
    "send_sms_code",
    "sms_purpose",
    "start_registration",
    "verify_email_code",
    "verify_sms_code",
]

UowFactory = Callable[[], LcpRegistrationWork]

CERTIFICATE_ISSUED_TEMPLATE = "lcp_certificate_issued"


def email_purpose(cabinet_id: str) -> str:
    return CodePurpose.LCP_REGISTRATION_EMAIL.scoped(cabinet_id)


def sms_purpose(cabinet_id: str) -> str:
    return CodePurpose.LCP_REGISTRATION_SMS.scoped(cabinet_id)


def _email_payload(registration: LcpRegistration) -> str:
    return bind_payload([f"registration:{registration.id}", f"email:{registration.email}"])


def _sms_payload(registration: LcpRegistration) -> str:
    return bind_payload([f"registration:{registration.id}", f"mobile:{registration.mobile}"])


def _own_registration(tx: LcpRegistrationWork, person_id: str, registration_id: str) -> LcpRegistration:
    registration = tx.lcp_registrations.get(registration_id)
    if registration.person_id != person_id:
        # Someone else's registration does not exist, as far as this person can tell.
        raise RegistrationNotFound("registration not found")
    return registration


def _into_history(registration: LcpRegistration) -> Callable[[CodeEvent], None]:
    def record(event: CodeEvent) -> None:
        registration.note(event.kind.value, event.at, challenge_id=event.challenge_id, **event.detail_dict())

    return record


def _view(tx: LcpRegistrationWork, registration: LcpRegistration) -> RegistrationView:
    return registration_view(registration, cabinet_name=tx.cabinets.get(registration.cabinet_id).name)


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


def registration_status(*, uow: UowFactory, person_id: str, cabinet_id: str) -> RegistrationView | None:
    """The person's registration for this cabinet: the one under way, else the latest
    (issued or cancelled), else None. For a page resuming where the person left off."""
    with uow() as tx:
        if tx.members.find(cabinet_id, person_id) is None:
            raise NotFound("cabinet not found")
        registration = (tx.lcp_registrations.active_for(person_id, cabinet_id)
                        or tx.lcp_registrations.latest_for(person_id, cabinet_id))
        return _view(tx, registration) if registration is not None else None


def cancel_registration(*, uow: UowFactory, clock: Clock, person_id: str, registration_id: str) -> RegistrationView:
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.cancel(clock.now())
        view = _view(tx, registration)
        tx.commit()
        return view


# Email and mobile, by one-time code -------------------------------------------------------


def send_email_code(*, uow: UowFactory, clock: Clock, ids: IdGenerator, code_generator: CodeGenerator,
                    code_hasher: CodeHasher, person_id: str, registration_id: str) -> CodeSent:
    """« Envoyer le code » to the email being verified (again: a resend, throttled)."""
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.require(RegistrationAction.SEND_EMAIL_CODE)
        locale = tx.persons.get(person_id).locale
        challenge = send_code(work=tx, generator=code_generator, hasher=code_hasher, ids=ids, clock=clock,
                              record=_into_history(registration), person_id=person_id,
                              purpose=email_purpose(registration.cabinet_id), destination=registration.email,
                              payload_digest=_email_payload(registration), locale=locale)
        return CodeSent(registration_id=registration.id, channel="email",
                        destination=mask_email(str(registration.email)), expires_at=challenge.expires_at)


def verify_email_code(*, uow: UowFactory, clock: Clock, code_hasher: CodeHasher, person_id: str,
                      registration_id: str, code: str) -> RegistrationView:
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.require(RegistrationAction.VERIFY_EMAIL)
        # check_code commits even when it refuses, so a wrong try is counted.
        check_code(work=tx, hasher=code_hasher, clock=clock, record=_into_history(registration),
                   person_id=person_id, purpose=email_purpose(registration.cabinet_id), code=code,
                   payload_digest=_email_payload(registration))
        registration.verify_email(clock.now())
        view = _view(tx, registration)
        tx.commit()
        return view


def send_sms_code(*, uow: UowFactory, clock: Clock, ids: IdGenerator, code_generator: CodeGenerator,
                  code_hasher: CodeHasher, person_id: str, registration_id: str) -> CodeSent:
    """The SMS code to the mobile being verified, once the email is verified."""
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.require(RegistrationAction.SEND_SMS_CODE)
        locale = tx.persons.get(person_id).locale
        challenge = send_code(work=tx, generator=code_generator, hasher=code_hasher, ids=ids, clock=clock,
                              record=_into_history(registration), person_id=person_id,
                              purpose=sms_purpose(registration.cabinet_id), destination=registration.mobile,
                              payload_digest=_sms_payload(registration), locale=locale)
        return CodeSent(registration_id=registration.id, channel="sms",
                        destination=registration.mobile.masked(), expires_at=challenge.expires_at)


def verify_sms_code(*, uow: UowFactory, clock: Clock, code_hasher: CodeHasher, person_id: str,
                    registration_id: str, code: str) -> RegistrationView:
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        registration.require(RegistrationAction.VERIFY_MOBILE)
        check_code(work=tx, hasher=code_hasher, clock=clock, record=_into_history(registration),
                   person_id=person_id, purpose=sms_purpose(registration.cabinet_id), code=code,
                   payload_digest=_sms_payload(registration))
        registration.verify_mobile(clock.now())
        view = _view(tx, registration)
        tx.commit()
        return view


# Identity, terms, issuance ----------------------------------------------------------------


def confirm_identity(*, uow: UowFactory, clock: Clock, person_id: str, registration_id: str) -> RegistrationView:
    """The person confirms the identity shown (``registration_status``): the profile's name
    becomes the certificate's; its email and mobile must still be the verified ones."""
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
        person = tx.persons.get(person_id)
        registration.confirm_identity(name=person.name, email=person.email, mobile=person.mobile, now=clock.now())
        view = _view(tx, registration)
        tx.commit()
        return view


def accept_terms_and_issue(*, uow: UowFactory, clock: Clock, ids: IdGenerator, vault: KeyVault,
                           ca: CertificateAuthority, current_terms_version: str, person_id: str,
                           registration_id: str, terms_version: str,
                           key_type: KeyType = KeyType.EC_P256) -> CertificateSummary:
    """Store the consent (terms version and time), then have the LCP certificate issued.

    The consent is committed before issuance: if the CA fails, calling this again resumes
    at issuance without asking for consent twice. A key is generated in the vault and
    certified with the subject of EN 319 412-2 (O = cabinet name, organizationIdentifier
    NTRFR-<SIREN>, the confirmed name, the verified email). If storing the result fails,
    the certificate is revoked and the key destroyed, so no certificate is left that the
    platform does not know about. An email « certificate issued » is queued with the rest.
    """
    with uow() as tx:
        registration = _own_registration(tx, person_id, registration_id)
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
