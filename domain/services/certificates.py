"""Use cases of « Ma signature personnelle » and « Mes certificats »: what a person holds per
cabinet, their certificates, downloading one (the certificate, never a key), revoking one.

Revocation goes through the CA port first, which publishes it at once in its CRL and OCSP
responses, then the platform's record follows in the same unit of work. If that commit
fails the CA already says revoked, and the next attempt brings the record in line instead
of failing on « already revoked ».
"""

from __future__ import annotations

from collections.abc import Callable

from domain.model.cabinet import Delegation
from domain.model.certificates import Certificate, CertificateFormat
from domain.model.errors import CertificateNotFound, CertificateRevoked, InvalidValue
from domain.model.pki import CertificatePolicy, CertificateStatus, RevocationReason
from domain.services.my_signature_views import (
    CabinetSignature,
    CertificateSummary,
    certificate_summary,
    registration_view,
)
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.repositories import UnitOfWork

__all__ = [
    "certificate_download",
    "my_certificates",
    "my_signature_overview",
    "revoke_certificate",
    "revoke_certificate_as_administrator",
]

UowFactory = Callable[[], UnitOfWork]


def my_signature_overview(*, uow: UowFactory, clock: Clock, person_id: str) -> list[CabinetSignature]:
    """« Ma signature personnelle »: for each of the person's cabinets (by name), their role
    and delegations, the active LCP certificate or the need to register (« S'enregistrer »),
    a registration under way, the active QCP-n and whether « Souscrire à un certificat
    qualifié » is offered (SIGN, an active LCP, no active QCP for the cabinet)."""
    now = clock.now()
    with uow() as tx:
        memberships = {m.cabinet_id: m for m in tx.members.of_person(person_id)}
        overview = []
        for cabinet in tx.cabinets.list_by_ids(list(memberships)):
            member = memberships[cabinet.id]
            can_sign = member.has(Delegation.SIGN)
            lcp = tx.certificates.active_for(person_id, cabinet.id, CertificatePolicy.LCP, now=now)
            qcp = tx.certificates.active_for(person_id, cabinet.id, CertificatePolicy.QCP_N, now=now)
            registration = tx.lcp_registrations.active_for(person_id, cabinet.id)
            overview.append(CabinetSignature(
                cabinet_id=cabinet.id, cabinet_name=cabinet.name, siren=str(cabinet.siren), role=member.role,
                delegations=member.delegations, can_sign=can_sign,
                lcp=certificate_summary(lcp, now=now, cabinet_name=cabinet.name) if lcp else None,
                registration_needed=can_sign and lcp is None,
                registration=registration_view(registration, cabinet_name=cabinet.name) if registration else None,
                qcp=certificate_summary(qcp, now=now, cabinet_name=cabinet.name) if qcp else None,
                can_subscribe_qcp=can_sign and lcp is not None and qcp is None))
        return overview


def my_certificates(*, uow: UowFactory, clock: Clock, person_id: str) -> list[CertificateSummary]:
    """« Mes certificats »: every certificate of the person, whatever its status, newest first."""
    now = clock.now()
    with uow() as tx:
        certificates = tx.certificates.of_person(person_id)
        cabinet_ids = sorted({c.cabinet_id for c in certificates if c.cabinet_id is not None})
        names = {c.id: c.name for c in tx.cabinets.list_by_ids(cabinet_ids)}
        return [certificate_summary(c, now=now, cabinet_name=names.get(c.cabinet_id or ""))
                for c in certificates]


def certificate_download(*, uow: UowFactory, person_id: str, certificate_id: str,
                         format: CertificateFormat | str) -> bytes:
    """The certificate itself, DER or PEM: public data only; no use case hands out a key."""
    fmt = CertificateFormat.parse(format)
    with uow() as tx:
        return _held_by(tx, person_id, certificate_id).export(fmt)


def revoke_certificate(*, uow: UowFactory, clock: Clock, ca: CertificateAuthority, person_id: str,
                       certificate_id: str, reason: RevocationReason | str) -> CertificateSummary:
    """« Révoquer », by the holder: published at once in the CA's CRL and OCSP."""
    with uow() as tx:
        certificate = _held_by(tx, person_id, certificate_id)
        return _revoke(tx, clock, ca, certificate, by_person_id=person_id, reason=_reason(reason),
                       as_administrator=False)


def revoke_certificate_as_administrator(*, uow: UowFactory, clock: Clock, ca: CertificateAuthority,
                                        administrator_id: str, certificate_id: str,
                                        reason: RevocationReason | str) -> CertificateSummary:
    """An administrator revokes anyone's certificate. The caller (back-office entry point)
    has checked that ``administrator_id`` is one; the domain records who did it."""
    with uow() as tx:
        certificate = tx.certificates.get(certificate_id)
        return _revoke(tx, clock, ca, certificate, by_person_id=administrator_id, reason=_reason(reason),
                       as_administrator=True)


def _held_by(tx: UnitOfWork, person_id: str, certificate_id: str) -> Certificate:
    certificate = tx.certificates.get(certificate_id)
    if certificate.person_id != person_id:
        # Another person's certificate does not exist, as far as this person can tell.
        raise CertificateNotFound("certificate not found")
    return certificate


def _reason(reason: RevocationReason | str) -> RevocationReason:
    if isinstance(reason, RevocationReason):
        return reason
    try:
        return RevocationReason(str(reason).strip().lower())
    except ValueError:
        raise InvalidValue("reason", "not a revocation reason",
                           allowed=",".join(r.value for r in RevocationReason)) from None


def _revoke(tx: UnitOfWork, clock: Clock, ca: CertificateAuthority, certificate: Certificate, *,
            by_person_id: str, reason: RevocationReason, as_administrator: bool) -> CertificateSummary:
    now = clock.now()
    certificate.check_revocable(by_person_id=by_person_id, as_administrator=as_administrator, now=now)
    try:
        published = ca.revoke(certificate.serial, reason, now)
    except CertificateRevoked:
        # Revoked at the CA by an earlier attempt whose commit failed: align the record.
        published = ca.certificate(certificate.serial)
        if published.status is not CertificateStatus.REVOKED:
            raise
    certificate.revoke(by_person_id=by_person_id, reason=published.revocation_reason or reason,
                       now=published.revoked_at or now, as_administrator=as_administrator)
    cabinet_name = tx.cabinets.get(certificate.cabinet_id).name if certificate.cabinet_id else None
    summary = certificate_summary(certificate, now=now, cabinet_name=cabinet_name)
    tx.commit()
    return summary
