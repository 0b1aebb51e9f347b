"""Remote signing: a signer's key held by a trust service provider (a QTSP), reached through an API
such as the Cloud Signature Consortium's.

Only the signature value comes from the provider: the PAdES assembly, the timestamps and the
revocation data stay ours (``ports.pdf_signing``). A signature is authorised for exactly the
digests it will sign (CSC SCAL2: the activation data is bound to the hashes), with the signer's
one-time code when the provider asks for one.

Errors (domain.model.errors, all ``RemoteSigningRefused``): ``RemoteCodeRejected`` (the provider
refused the signer's code), ``RemoteAuthorizationExpired`` (the authorisation lapsed before the
signature), ``RemoteHashMismatch`` (the provider refused to sign digests it did not authorise),
``RemoteCredentialMissing`` (no credential of this signer), ``RemoteSigningUnavailable`` (the
service did not answer or answered nonsense). The ceremony adds ``RemoteCodeSpent`` /
``RemoteCodeAlreadyUsed`` (a single-use code already authorised an attempt) and
``RemoteConsentUnsupported`` (a code asked for a credential authorised only through oauth2code),
``RemoteConsentUnusable`` / ``RemoteConsentDeclined`` / ``RemoteConsentOutdated`` (the redirect back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence, runtime_checkable

from attrs import field, frozen

from domain.model.remote_consent import RemoteConsent


@frozen
class RemoteCredential:
    """A signing key at the provider, with its certificate (DER) and the issuers up to the root."""

    credential_id: str
    certificate: bytes = field(repr=False)
    chain: tuple[bytes, ...] = field(default=(), converter=tuple, repr=False)
    needs_code: bool = False  # the provider wants the signer's one-time code to authorise
    # The provider makes and sends that code itself (CSC ``OTP.type`` "online", after
    # ``credentials/sendOTP``): Seing sends none of its own and forwards the one the signer types.
    code_from_provider: bool = False
    # The provider authorises only through the signer's consent on its own page (CSC ``authMode``
    # oauth2code: ``oauth2/authorize`` with scope credential and the hashes, a redirect back, a
    # token for this credential): the ceremony asks no code, it sends the signer there (``consent``).
    consent_at_provider: bool = False
    key_algorithms: tuple[str, ...] = field(default=(), converter=tuple)  # OIDs the key signs with
    # What the trail records of the certificate (read by the adapter: ports parse no X.509).
    serial: str = ""  # hexadecimal
    subject: str = ""  # RFC 4514
    issuer: str = ""  # RFC 4514
    policy: str = ""  # its first certificate policy OID, "" when it names none


@runtime_checkable
class DigestSigner(Protocol):
    """Signs one precomputed digest; what a PAdES signer asks for the signature value."""

    def sign_digest(self, digest: bytes, hash_algorithm: str) -> bytes:
        """``hash_algorithm``: sha256, sha384 or sha512. ECDSA values DER-encoded, RSA PKCS#1 v1.5."""
        ...


@runtime_checkable
class BatchDigestSigner(Protocol):
    """Signs several precomputed digests in one go: what a collection's documents need from a
    provider whose one-time code authorises once (CSC SCAL2 with a single-use OTP)."""

    def sign_digests(self, digests: Sequence[bytes], hash_algorithm: str) -> list[bytes]:
        """One signature value per digest, in order (same encodings as ``DigestSigner``)."""
        ...


@runtime_checkable
class RemoteSigningService(Protocol):
    def credential_for(self, email: str) -> RemoteCredential:
        """The signer's credential: the one whose certificate names ``email``; raise
        RemoteCredentialMissing when the provider has none."""
        ...

    def send_code(self, credential: RemoteCredential) -> None:
        """Ask the provider to send the signer its one-time code (``code_from_provider``)."""
        ...

    def authorize(self, credential: RemoteCredential, digests: Sequence[bytes], hash_algorithm: str,
                  code: str | None = None) -> str:
        """Signature activation data (SAD) for exactly these digests."""
        ...

    def sign_digests(self, credential: RemoteCredential, sad: str, digests: Sequence[bytes],
                     hash_algorithm: str) -> list[bytes]:
        """One signature value per digest, in order, under that authorisation."""
        ...

    def signer(self, credential: RemoteCredential, code: str | None) -> DigestSigner:
        """A DigestSigner that authorises each digest with ``code`` and then signs it."""
        ...


@runtime_checkable
class ConsentingRemoteSigningService(Protocol):
    """A provider that authorises a credential only through the signer's consent on its own page
    (CSC ``authMode`` oauth2code, scope ``credential``): the consent names the digests (SCAL2), the
    provider redirects back with a code, the code gives a token that signs exactly those digests.
    Apart from ``RemoteSigningService`` so that providers without that flow need not offer it."""

    def consent_url(self, credential: RemoteCredential, digests: Sequence[bytes], hash_algorithm: str, *,
                    redirect_uri: str, state: str, code_challenge: str) -> str:
        """Where the signer's browser goes to consent; the provider comes back to ``redirect_uri``
        with ``state`` and a code. ``code_challenge``: PKCE S256 of a verifier we keep."""
        ...

    def exchange_consent(self, code: str, *, redirect_uri: str, code_verifier: str) -> str:
        """The credential token for the code the redirect brought (once, with the PKCE verifier)."""
        ...

    def sign_digests_consented(self, credential: RemoteCredential, token: str, digests: Sequence[bytes],
                               hash_algorithm: str) -> list[bytes]:
        """One signature value per consented digest, in order, under that token; digests the
        consent did not name are refused (``RemoteHashMismatch``)."""
        ...


@runtime_checkable
class RemoteConsentRepository(Protocol):
    """The signatures waiting for the signer's consent at the provider (in the unit of work)."""

    def add(self, consent: RemoteConsent) -> None:
        """UniqueViolation when its id or state hash is taken."""
        ...

    def by_state_hash(self, state_hash: str) -> RemoteConsent | None: ...

    def save(self, consent: RemoteConsent) -> None:
        """Write back a consent read in this unit of work (its use)."""
        ...

    def lapsed(self, *, before: datetime, limit: int = 100) -> list[RemoteConsent]:
        """Consents (used or not) that expired before ``before``, the oldest first."""
        ...

    def remove(self, consent_id: str) -> None:
        """Forget a consent (nothing when it is gone already)."""
        ...

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        """Whether a consent other than ``excluding`` names this stored document (its base or
        its prepared PDF)."""
        ...


@frozen
class AuthorizedTogether:
    """A ``BatchDigestSigner`` over a ``RemoteSigningService``: one ``authorize`` naming every
    digest (``numSignatures`` = their count, the code spent once), then one ``sign_digests``."""

    service: RemoteSigningService
    credential: RemoteCredential
    code: str | None = field(default=None, repr=False)

    def sign_digests(self, digests: Sequence[bytes], hash_algorithm: str) -> list[bytes]:
        sad = self.service.authorize(self.credential, digests, hash_algorithm, self.code)
        return self.service.sign_digests(self.credential, sad, digests, hash_algorithm)


@frozen
class RemoteSigningRoutes:
    """Which cabinets (by SIREN) make their level-3 signatures with the remote service: the
    configuration's choice, per cabinet; the others keep the built-in CA's QCP-n certificates."""

    service: RemoteSigningService | None = None
    cabinets: frozenset[str] = field(default=frozenset(), converter=frozenset)
    every_cabinet: bool = False

    def for_cabinet(self, siren: object) -> RemoteSigningService | None:
        """``siren``: the cabinet's (a Siren value or its nine digits)."""
        if self.service is None:
            return None
        if self.every_cabinet or (siren is not None and str(siren) in self.cabinets):
            return self.service
        return None
