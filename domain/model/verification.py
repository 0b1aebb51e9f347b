"""What a verification says about the signatures of a PDF (``seing verify``, /verifier)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from attrs import asdict, field, frozen

__all__ = ["EvidenceJsonCheck", "QCP_N_OID", "SignatureCheck", "VerificationReport", "Verdict", "level_of",
           "seal_holder", "verdict_of"]

QCP_N_OID = "0.4.0.194112.1.0"
LCP_OID = "0.4.0.2042.1.3"
NCP_OIDS = frozenset({"0.4.0.2042.1.1", "0.4.0.2042.1.2"})


def level_of(*, policies: frozenset[str], qc_compliance: bool, platform_seal: bool) -> int | None:
    """The signature level a certificate makes: 3 for QCP-n with QcCompliance, 2 for an
    advanced (LCP/NCP, or QCP-n without the statement) person certificate, 1 for the platform
    seal signing on a person's behalf; None for a certificate we cannot place."""
    if platform_seal:
        return 1
    if QCP_N_OID in policies and qc_compliance:
        return 3
    if policies & ({LCP_OID, QCP_N_OID} | NCP_OIDS):
        return 2
    return None


def seal_holder(*, organization: str | None, common_name: str | None, person_named: bool,
                signature_name: str | None) -> str | None:
    """The organisation whose seal (« cachet ») this signature is, or None for a person's signature.

    A certificate naming an organisation and no person (no givenName, no surname) is a seal
    (EN 319 412-3). It seals in its own name when the signature names no one else: no /Name,
    or the organisation's own name. The platform seal signing *for* a person at level 1 carries
    that person's name in /Name: that is a person's signature, not a seal."""
    if person_named or not organization:
        return None
    if signature_name and signature_name.strip() not in {organization.strip(), (common_name or "").strip()}:
        return None
    return organization


@frozen
class SignatureCheck:
    field_name: str
    kind: str  # "signature" or "document_timestamp"
    signer_name: str | None  # the /Name of the signature, else the certificate's CN
    certificate_subject: str
    certificate_serial: str
    certificate_issuer: str
    certificate_policies: tuple[str, ...] = field(converter=tuple)
    qc_compliance: bool
    level: int | None
    signing_time: datetime | None  # the signature timestamp's time when there is one
    timestamped: bool
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature holds
    trusted: bool  # the chain reaches a trusted root
    certificate_status: str  # at signing time: "good", "revoked", "unknown"
    coverage: str  # "entire_file", "entire_revision" (later updates follow), "partial"
    modifications_after: str  # pyHanko's modification level name for what follows the signature
    pades_level: str | None  # B-B, B-T, B-LT, B-LTA
    qualified: bool  # only when a configured EU trusted list backs the issuer
    trust_source: str | None  # which trusted list, or None
    revoked_since_signing: bool = False  # revoked now, but after the signature's trusted time
    # What the file alone proves, offline (no CA to ask): the PAdES level (B-B, B-T, B-LT,
    # B-LTA; None when nothing holds) and the time the signature is proven to exist at (its
    # timestamp's time; for B-B only the moment of verification).
    proven_level: str | None = None
    proven_at: datetime | None = None
    # The issuer is one of the authorities the verifier knows (a trust anchor, our CAs); False for
    # a certificate from elsewhere, e.g. a signature the client's file already carried.
    known_authority: bool = True
    # The organisation whose electronic seal this is (a cabinet's « cachet », the platform's seal
    # on an evidence file), None for a person's signature: reports say « Cachet de … ».
    seal_of: str | None = None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.certificate_status != "revoked"

    @property
    def valid_unknown_authority(self) -> bool:
        """Intact and cryptographically sound, issued by an authority the verifier does not know:
        « valide, émise par une autorité que Seing ne connaît pas ». Neither a failure nor a
        signature Seing can vouch for."""
        return (self.intact and self.valid and not self.trusted and not self.known_authority
                and self.certificate_status != "revoked")


@frozen
class VerificationReport:
    file_sha256: str
    signatures: tuple[SignatureCheck, ...] = field(converter=tuple)
    trusted_list: str | None = None
    whole_document_covered: bool = False  # the last signature or timestamp covers the whole file

    @property
    def all_ok(self) -> bool:
        """Every signature good, the foreign ones valid-but-unknown-authority, at least one of them
        vouched for, and nothing added after the last one."""
        vouched = [s for s in self.signatures if not s.valid_unknown_authority]
        return bool(vouched) and all(s.ok for s in vouched) and self.whole_document_covered

    @property
    def foreign_signatures(self) -> tuple[SignatureCheck, ...]:
        return tuple(s for s in self.signatures if s.valid_unknown_authority)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self, value_serializer=lambda _i, _a, v: v.isoformat() if isinstance(v, datetime) else v)
        data["all_ok"] = self.all_ok
        for item, check in zip(data["signatures"], self.signatures, strict=True):
            item["ok"] = check.ok
            item["valid_unknown_authority"] = check.valid_unknown_authority
        return data


class Verdict(enum.Enum):
    """The answer of a verification as a whole (``seing verify``'s exit code says it)."""

    # Every signature intact, trusted, not revoked, nothing added after the last one; a signature
    # from an authority the verifier does not know may be among them if it is intact (reported as such).
    VALID = "valid"
    INVALID = "invalid"  # a signature is broken or revoked, the file changed after signing, a JSON differs
    UNDETERMINED = "undetermined"  # intact, but no trust anchor vouches for a signer (or nothing to bind)


def verdict_of(report: VerificationReport) -> Verdict:
    """Broken beats unknown: a tampered file is invalid whatever one trusts."""
    if not report.signatures:
        return Verdict.UNDETERMINED
    for check in report.signatures:
        if not (check.intact and check.valid) or check.certificate_status == "revoked":
            return Verdict.INVALID
    if not report.whole_document_covered:
        return Verdict.INVALID
    # Someone else's intact signature (the client's file carried it) does not make ours uncheckable;
    # but with nothing but such signatures there is nothing we can vouch for.
    vouched = [check for check in report.signatures if not check.valid_unknown_authority]
    if not vouched or not all(check.trusted for check in vouched):
        return Verdict.UNDETERMINED
    return Verdict.VALID


@frozen
class EvidenceJsonCheck:
    """An evidence JSON checked against the sealed evidence PDF that binds its digest."""

    json_sha256: str
    bound_sha256: str | None  # what the sealed PDF binds; None: it binds nothing
    sealed_pdf: VerificationReport

    @property
    def matches(self) -> bool:
        return self.bound_sha256 is not None and self.bound_sha256 == self.json_sha256

    @property
    def verdict(self) -> Verdict:
        if self.bound_sha256 is not None and not self.matches:
            return Verdict.INVALID
        pdf = verdict_of(self.sealed_pdf)
        if pdf is Verdict.VALID and self.bound_sha256 is None:
            return Verdict.UNDETERMINED
        return pdf

    def as_dict(self) -> dict[str, Any]:
        return {"json_sha256": self.json_sha256, "bound_sha256": self.bound_sha256, "matches": self.matches,
                "sealed_pdf": self.sealed_pdf.as_dict()}
