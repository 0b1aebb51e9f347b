"""A CMS SignedData written from DER pieces, for the signatures and the time-stamp tokens.

asn1crypto rebuilds and re-encodes every constructed value at each dump: a third of a PDF
signature's time, forty times the key operation of a time-stamp token. The signing adapter and
the in-process TSA encode what repeats once (these helpers, cached where the input is small) and
assemble the rest here; each keeps a test comparing its bytes with asn1crypto's or pyHanko's.
"""

from __future__ import annotations

import functools
from typing import Iterable

from asn1crypto import algos, x509

from adapters.shared import der

__all__ = ["MESSAGE_DIGEST", "SIGNED_DATA", "certificate_set", "content_info", "digest_algorithm",
           "implicit", "issuer_and_serial_number", "message_digest_attribute", "signer_info"]

SIGNED_DATA = der.oid("1.2.840.113549.1.7.2")
MESSAGE_DIGEST = der.oid("1.2.840.113549.1.9.4")


@functools.lru_cache(maxsize=None)
def digest_algorithm(name: str) -> bytes:
    """The AlgorithmIdentifier of a digest, as asn1crypto writes it (parameters left out)."""
    return algos.DigestAlgorithm({"algorithm": name}).dump()


def issuer_and_serial_number(certificate: bytes) -> bytes:
    """The IssuerAndSerialNumber naming the DER ``certificate``, from its own bytes."""
    tbs = x509.Certificate.load(certificate)["tbs_certificate"]
    return der.sequence(tbs["issuer"].dump(), tbs["serial_number"].dump())


def certificate_set(certificates: Iterable[bytes]) -> bytes:
    """[0] IMPLICIT CertificateSet: each certificate once, in the order of the encodings (DER)."""
    return der.tlv(0xA0, b"".join(sorted(set(certificates))))


def message_digest_attribute(digest: bytes) -> bytes:
    return der.sequence(MESSAGE_DIGEST, der.set_of([der.octet_string(digest)]))


def implicit(tag: int, encoded: bytes) -> bytes:
    """``encoded`` (one DER value) under an IMPLICIT context tag: its own tag byte replaced."""
    return bytes([tag]) + encoded[1:]


def signer_info(*, version: bytes, sid: bytes, digest: bytes, signed_attrs: bytes, signature_algorithm: bytes,
                signature: bytes, unsigned_attrs: bytes | None = None) -> bytes:
    """A SignerInfo; ``signed_attrs`` and ``unsigned_attrs`` are SET OF encodings (tagged here)."""
    return der.sequence(version, sid, digest, implicit(0xA0, signed_attrs), signature_algorithm,
                        der.octet_string(signature),
                        implicit(0xA1, unsigned_attrs) if unsigned_attrs is not None else b"")


def content_info(*, version: bytes, digest: bytes, encap_content_info: bytes, certificates: bytes,
                 signer: bytes) -> bytes:
    """A ContentInfo holding a SignedData with one digest algorithm and one signer."""
    signed_data = der.sequence(version, der.set_of([digest]), encap_content_info, certificates,
                               der.set_of([signer]))
    return der.sequence(SIGNED_DATA, der.tlv(0xA0, signed_data))
