"""Trusted time (RFC 3161).

A timestamp binds a digest to a time vouched for by a time-stamping authority (TSA).
Tokens travel as DER bytes: a ``TimeStampToken`` is a CMS ``ContentInfo`` (SignedData
whose content is a ``TSTInfo``), exactly what goes into a PAdES signature or a
document timestamp. Every failure raises ``domain.model.errors.TimestampUnavailable``:
there is no fallback to the local clock, because an untrusted time is worse than none.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

ETSI_BEST_PRACTICES_TSA_POLICY = "0.4.0.2023.1.1"
"""The TSA policy of ETSI EN 319 421 (best practices), which the built-in TSA stamps under."""

HASH_ALGORITHMS = ("sha256", "sha384", "sha512")
"""Digest algorithms every adapter must accept (names as in hashlib)."""


@runtime_checkable
class TimestampAuthority(Protocol):
    def timestamp(self, digest: bytes, hash_algorithm: str, nonce: int | None = None) -> bytes:
        """A DER ``TimeStampToken`` over ``digest``.

        ``hash_algorithm`` names how ``digest`` was computed ("sha256"…). ``nonce``, when
        given, is echoed in the token (replay protection); when None the adapter may pick
        one itself. The token always carries the TSA's certificate.
        Raises TimestampUnavailable when no token can be obtained.
        """
        ...


@runtime_checkable
class TimestampResponder(Protocol):
    """The server side of RFC 3161, for the web layer's POST /pki/tsa.

    The handler passes the raw ``application/timestamp-query`` body and answers with the
    returned bytes as ``application/timestamp-reply`` (HTTP 200 even for a refusal:
    RFC 3161 carries refusals inside the reply's PKIStatusInfo).
    """

    def respond(self, query: bytes) -> bytes:
        """DER ``TimeStampResp`` answering the DER ``TimeStampReq`` ``query``."""
        ...


TIMESTAMP_QUERY_MEDIA_TYPE = "application/timestamp-query"
TIMESTAMP_REPLY_MEDIA_TYPE = "application/timestamp-reply"
