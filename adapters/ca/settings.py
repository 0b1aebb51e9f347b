"""What an operator may configure of the built-in CA."""

from __future__ import annotations

from datetime import timedelta

from attrs import frozen

from domain.model.pki import KeyType

__all__ = ["YEAR", "BuiltinCaSettings"]

YEAR = timedelta(days=365)


@frozen(kw_only=True)
class BuiltinCaSettings:
    """What an operator may configure; everything has a sensible default."""

    organization: str = "Seing"  # the platform operator, named in CA and seal certificates
    siren: str | None = None  # the operator's SIREN, for organizationIdentifier NTRFR-<SIREN>
    country: str = "FR"
    ca_key_type: KeyType = KeyType.EC_P384
    service_key_type: KeyType = KeyType.EC_P256  # TSA, OCSP responder, platform seal
    root_validity: timedelta = 20 * YEAR
    issuing_ca_validity: timedelta = 10 * YEAR
    lcp_validity: timedelta = 3 * YEAR
    qcp_validity: timedelta = 5 * YEAR
    one_time_validity: timedelta = timedelta(hours=1)
    tsa_validity: timedelta = 6 * YEAR
    # The TSA's key signs only while its certificate has more than this left (ETSI EN 319 421: a
    # TSU key's usage ends well before its certificate), then a new key and certificate take over.
    # Every token thus has two years of certificate left, more than the archive-timestamp renewal
    # margin (a year by default): a renewal always gives a file a deadline in the future.
    tsa_rollover_margin: timedelta = 2 * YEAR
    seal_validity: timedelta = 3 * YEAR
    ocsp_responder_validity: timedelta = YEAR
    ocsp_renewal_margin: timedelta = timedelta(days=30)  # init renews a responder this close to expiry
    crl_validity: timedelta = timedelta(days=7)
    # The root's CRL (an ARL: its scope is the issuing CAs, which are rarely revoked; each TSA
    # certificate has a CRL of its own) lives at least this long, and until the current TSA
    # certificate ends: while it is fresh, a long-term validator can check the issuing CAs at
    # the current time and, finding the signers' revocation data merely stale, validate them in
    # the past (EN 319 102-1 §5.6.2.4). See CrlPublisher.next_update.
    root_crl_validity: timedelta = YEAR
    ocsp_response_validity: timedelta = timedelta(days=1)
    qc_pds_url: str | None = None  # defaults to {public_url}/pki/pds; EN 319 412-5 wants https
    # Base of the CRL, OCSP and CA-issuers URLs written in certificates; defaults to public_url.
    # EN 319 412-2 (GEN-4.3.11-4) wants an http:// CRL location: CRLs and OCSP responses are
    # signed, and fetching them over TLS would need revocation checks of its own.
    publication_url: str | None = None
    qc_pds_language: str = "fr"
    # Outside dev mode: no QCP-n while publication_problems() finds anything (dev mode warns only).
    qcp_requires_compliant_urls: bool = False
