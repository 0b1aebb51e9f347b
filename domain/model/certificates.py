"""A person's certificates as the platform keeps them (« Mes certificats »).

The CA (``ports.ca``) records what it issued; this record adds what only the platform
knows: the cabinet the certificate was issued for, the vault key it certifies, who may
revoke it. Its status is computed from the time asked, so expiry needs no job.
"""

from __future__ import annotations

import base64
import enum
from datetime import datetime

from attrs import define, field

from domain.model.errors import (
    CertificateExpired,
    CertificateRevoked,
    InvalidValue,
    NotCertificateHolder,
)
from domain.model.pki import CertificateKind, CertificatePolicy, IssuedCertificate, RevocationReason

__all__ = ["Certificate", "CertificateFormat", "CertificateState", "der_to_pem"]


class CertificateState(enum.Enum):
    """What « Mes certificats » shows. Distinct from the CA's own ``CertificateStatus``
    (valid/revoked), which does not depend on the time."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class CertificateFormat(enum.Enum):
    PEM = "pem"
    DER = "der"

    @classmethod
    def parse(cls, value: str | CertificateFormat) -> CertificateFormat:
        try:
            return cls(value if isinstance(value, cls) else str(value).strip().lower())
        except ValueError:
            raise InvalidValue("format", "a certificate downloads as pem or der") from None


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("certificate times are timezone-aware (from the Clock port)")


@define(eq=False)
class Certificate:
    """A person's signing certificate (LCP or QCP-n), for one cabinet.

    ``cabinet_id`` is None only for a one-time certificate issued to an external signer.
    ``key_id`` names the private key in the KeyVault; the key itself is never here.
    ``issuer`` is the issuing CA's name as the CA port gives it (``lcp``, ``qcp``).
    """

    id: str
    person_id: str
    cabinet_id: str | None
    policy: CertificatePolicy
    serial: str
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime
    key_id: str
    der: bytes = field(repr=False)
    issued_at: datetime
    one_time: bool = False
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    revoked_by: str | None = None  # person id of the holder or the administrator

    @classmethod
    def record(cls, *, id: str, person_id: str, cabinet_id: str | None, issued: IssuedCertificate,
               key_id: str, now: datetime) -> Certificate:
        """The platform's record of a certificate the CA just issued for this person."""
        _require_aware(now)
        if issued.kind is not CertificateKind.PERSON or issued.policy is None:
            raise InvalidValue("certificate", "only a person's certificate is recorded here")
        if issued.holder_id is not None and issued.holder_id != person_id:
            raise InvalidValue("certificate", "the certificate names another person")
        return cls(id=id, person_id=person_id, cabinet_id=cabinet_id, policy=issued.policy,
                   serial=issued.serial, issuer=issued.issuer.value, subject=issued.subject,
                   not_before=issued.not_before, not_after=issued.not_after, key_id=key_id,
                   der=issued.der, issued_at=now, one_time=issued.one_time)

    # Queries ------------------------------------------------------------------------

    def status(self, now: datetime) -> CertificateState:
        _require_aware(now)
        if self.revoked_at is not None:
            return CertificateState.REVOKED
        if now >= self.not_after:
            return CertificateState.EXPIRED
        return CertificateState.ACTIVE

    def is_active(self, now: datetime) -> bool:
        return self.status(now) is CertificateState.ACTIVE

    def is_for(self, *, person_id: str, cabinet_id: str, policy: CertificatePolicy) -> bool:
        return self.person_id == person_id and self.cabinet_id == cabinet_id and self.policy is policy

    def export(self, fmt: CertificateFormat | str) -> bytes:
        """The certificate alone, as DER or PEM: public data, never the key."""
        if CertificateFormat.parse(fmt) is CertificateFormat.DER:
            return self.der
        return der_to_pem(self.der)

    # Commands -----------------------------------------------------------------------

    def check_revocable(self, *, by_person_id: str, as_administrator: bool, now: datetime) -> None:
        """Raise the reason this revocation is refused, changing nothing: the service asks
        before it tells the CA, so a refused request never reaches the CRL."""
        if not as_administrator and by_person_id != self.person_id:
            raise NotCertificateHolder("only the holder or an administrator revokes a certificate")
        status = self.status(now)
        if status is CertificateState.REVOKED:
            raise CertificateRevoked("this certificate is already revoked")
        if status is CertificateState.EXPIRED:
            raise CertificateExpired("this certificate has expired; there is nothing to revoke")

    def revoke(self, *, by_person_id: str, reason: RevocationReason, now: datetime,
               as_administrator: bool = False) -> None:
        """Revoked stays revoked: a second revocation is refused, nothing un-revokes."""
        _require_aware(now)
        self.check_revocable(by_person_id=by_person_id, as_administrator=as_administrator, now=now)
        self.revoked_at = now
        self.revocation_reason = reason
        self.revoked_by = by_person_id


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> bytes:
    """RFC 7468 textual encoding: base64 in 64-character lines between the labels."""
    if not der:
        raise InvalidValue("certificate", "no DER to encode")
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n").encode("ascii")
