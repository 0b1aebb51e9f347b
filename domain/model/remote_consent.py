"""A level-3 signature waiting for the signer's consent on the QTSP's own page (CSC oauth2code).

SCAL2 binds the consent to the digests it names, so every document's signature is prepared
before the signer leaves (the prepared PDFs stored, their digests fixed) and finished after the
provider's redirect, from what this session kept. The redirect's ``state`` is the session's
secret: only its SHA-256 is stored; a session serves once and lapses after ``CONSENT_VALIDITY``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import evolve, field, frozen

from domain.model.errors import RemoteConsentUnusable

__all__ = ["CONSENT_VALIDITY", "FINISHING_ALLOWANCE", "ConsentedDocument", "RemoteConsent", "signed_before"]

# Long enough for a signer to log in and consent at the provider, short enough that a stolen
# redirect is useless soon after.
CONSENT_VALIDITY = timedelta(minutes=15)
# A redirect accepted just before the expiry still has the provider's signHash and the signature
# timestamp to go: the time a finish may take before its signature is refused.
FINISHING_ALLOWANCE = timedelta(minutes=5)


def signed_before(started: datetime, validity: timedelta = CONSENT_VALIDITY) -> datetime:
    """The latest time a signature prepared at ``started`` may be made (its value and its
    timestamp), on a whole minute, since the appearance shows minutes: what the prepared
    appearance states and what ``finish_remote_consent`` holds the signature to."""
    latest = started + validity + FINISHING_ALLOWANCE
    whole = latest.replace(second=0, microsecond=0)
    return whole if whole == latest else whole + timedelta(minutes=1)


@frozen
class ConsentedDocument:
    """One document's prepared signature: the version it extends, the stored prepared PDF, the
    /ByteRange digest and where the value goes, and the digest the consent names."""

    document_id: str
    base: str
    prepared: str
    document_digest: bytes = field(repr=False)
    reserved_start: int
    reserved_end: int
    digest: bytes = field(repr=False)
    hash_algorithm: str


@frozen
class RemoteConsent:
    id: str
    state_hash: str  # SHA-256 (hex) of the redirect's state
    collection_id: str
    signer_id: str
    credential_id: str
    code_verifier: str = field(repr=False)  # PKCE: useless without the provider's one-time code
    signed_at: datetime  # what the prepared appearances show
    documents: tuple[ConsentedDocument, ...] = field(converter=tuple)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def start(cls, *, id: str, state_hash: str, collection_id: str, signer_id: str, credential_id: str,
              code_verifier: str, signed_at: datetime, documents: tuple[ConsentedDocument, ...] | list[ConsentedDocument],
              now: datetime, validity: timedelta = CONSENT_VALIDITY) -> RemoteConsent:
        if now.tzinfo is None:
            raise ValueError("aware datetimes only")
        if not documents:
            raise ValueError("a consent names at least one document")
        return cls(id=id, state_hash=state_hash, collection_id=collection_id, signer_id=signer_id,
                   credential_id=credential_id, code_verifier=code_verifier, signed_at=signed_at,
                   documents=tuple(documents), created_at=now, expires_at=now + validity)

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at

    def use(self, now: datetime) -> RemoteConsent:
        """The session spent by its redirect (whatever follows: an authorisation code serves once
        at the provider too). Refused once used or expired."""
        if not self.usable(now):
            raise RemoteConsentUnusable("this consent was already used or has expired")
        return evolve(self, used_at=now)

    @property
    def signed_before(self) -> datetime:
        return signed_before(self.created_at, self.expires_at - self.created_at)

    @property
    def digests(self) -> list[bytes]:
        return [d.digest for d in self.documents]
