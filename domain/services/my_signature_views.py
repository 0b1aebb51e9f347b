"""Read models of « S'enregistrer », « Ma signature personnelle » and « Mes certificats »:
plain frozen records, safe to render or serialise. They never hold a key, and hold a
certificate's DER only through the download use case."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from domain.model.cabinet import Delegation, Role
from domain.model.certificates import Certificate, CertificateState
from domain.model.lcp_registration import LcpRegistration, RegistrationState
from domain.model.pki import CertificatePolicy

__all__ = [
    "POLICY_NAMES",
    "CabinetSignature",
    "CertificateSummary",
    "CodeSent",
    "RegistrationView",
    "certificate_summary",
    "mask_email",
    "registration_view",
]

POLICY_NAMES = {CertificatePolicy.LCP: "LCP", CertificatePolicy.QCP_N: "QCP-n"}


@frozen
class CertificateSummary:
    """One row of « Mes certificats » (and the LCP box of « Ma signature personnelle »)."""

    certificate_id: str
    cabinet_id: str | None
    cabinet_name: str | None
    policy: CertificatePolicy
    policy_name: str  # LCP, QCP-n
    policy_oid: str
    serial: str  # lower-case hexadecimal
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime
    status: CertificateState
    revoked_at: datetime | None
    revocation_reason: str | None
    one_time: bool

    @property
    def can_revoke(self) -> bool:
        return self.status is CertificateState.ACTIVE

    @property
    def serial_formatted(self) -> str:
        """``7F:3A:09:…``, as certificate viewers show serials."""
        digits = self.serial.upper()
        digits = digits if len(digits) % 2 == 0 else "0" + digits
        return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


@frozen
class RegistrationView:
    """Where a registration stands: what the page shows to resume it."""

    registration_id: str
    cabinet_id: str
    cabinet_name: str
    state: RegistrationState
    next_action: str | None  # a RegistrationAction value; None once issued or cancelled
    given_names: str
    surname: str
    common_name: str  # « Jessica POUSSART », as the certificate will name the person
    email: str
    mobile: str  # national form for French numbers (06 24 00 00 13)
    mobile_masked: str
    started_at: datetime
    email_verified_at: datetime | None
    mobile_verified_at: datetime | None
    identity_confirmed_at: datetime | None
    terms_version: str | None
    terms_accepted_at: datetime | None
    certificate_id: str | None
    # Only with a required identity check, while it is the step: see lcp_registration.IdentityCheckView.
    identity_check: str | None = None
    identity_check_reason: str | None = None
    identity_session_ref: str | None = None
    # The last SMS code could not be delivered: the code page says so (number, retry, email).
    sms_undelivered: bool = False

    @property
    def is_active(self) -> bool:
        return self.next_action is not None


@frozen
class CodeSent:
    """A code is on its way: where (masked) and until when it works."""

    registration_id: str
    channel: str  # email | sms
    destination: str  # masked: j•••@poussart.fr, 06 ** ** 13
    expires_at: datetime


@frozen
class CabinetSignature:
    """One cabinet in « Ma signature personnelle »."""

    cabinet_id: str
    cabinet_name: str
    siren: str
    role: Role
    delegations: frozenset[Delegation]
    can_sign: bool  # holds SIGN in this cabinet
    lcp: CertificateSummary | None  # the active LCP certificate, if any
    registration_needed: bool  # « S'enregistrer »: may sign but has no active LCP
    registration: RegistrationView | None  # a registration under way, to resume
    qcp: CertificateSummary | None  # the active QCP-n certificate, if any
    can_subscribe_qcp: bool  # « Souscrire à un certificat qualifié »


def certificate_summary(certificate: Certificate, *, now: datetime, cabinet_name: str | None) -> CertificateSummary:
    return CertificateSummary(
        certificate_id=certificate.id, cabinet_id=certificate.cabinet_id, cabinet_name=cabinet_name,
        policy=certificate.policy, policy_name=POLICY_NAMES.get(certificate.policy, certificate.policy.name),
        policy_oid=certificate.policy.oid, serial=certificate.serial, issuer=certificate.issuer,
        subject=certificate.subject, not_before=certificate.not_before, not_after=certificate.not_after,
        status=certificate.status(now), revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason.value if certificate.revocation_reason else None,
        one_time=certificate.one_time)


def registration_view(registration: LcpRegistration, *, cabinet_name: str) -> RegistrationView:
    next_action = registration.next_action
    return RegistrationView(
        registration_id=registration.id, cabinet_id=registration.cabinet_id, cabinet_name=cabinet_name,
        state=registration.state, next_action=next_action.value if next_action else None,
        given_names=registration.name.given_names, surname=registration.name.surname,
        common_name=registration.name.full, email=str(registration.email),
        mobile=registration.mobile.national(), mobile_masked=registration.mobile.masked(),
        started_at=registration.started_at, email_verified_at=registration.email_verified_at,
        mobile_verified_at=registration.mobile_verified_at,
        identity_confirmed_at=registration.identity_confirmed_at,
        terms_version=registration.consent.version if registration.consent else None,
        terms_accepted_at=registration.consent.accepted_at if registration.consent else None,
        certificate_id=registration.certificate_id, sms_undelivered=registration.sms_undelivered)


def mask_email(address: str) -> str:
    """``j•••@poussart.fr``: enough to recognise one's address, not to harvest it."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"
