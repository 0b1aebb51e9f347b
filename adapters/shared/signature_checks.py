"""Cryptographic signature checks remembered once they succeed.

pyhanko-certvalidator verifies the same signatures over and over: each validation of a path
checks every CA certificate's signature and every CRL's again (a signer's B-LT signature, the
worker's timestamps and seal, each signature of a file the verifier reads, each date a
long-term validation tries). With P-384 CA keys that was an eighth of the CPU of the ceremony
and verification tests (py-spy). Whether a signature verifies is a pure function of the
algorithm, the public key, the signature and the signed bytes, so a success is remembered
under those (the signed bytes by their SHA-256, whose collision resistance the signatures rely
on anyway); a failure is never remembered and is checked again each time. Bounded.

``apply()`` wraps ``DefaultSignatureValidator.validate_signature``, which every validation
context and pyHanko's CMS check use unless given another validator.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from pyhanko_certvalidator.sig_validate import DEFAULT_VALIDATION_CONTEXT, DefaultSignatureValidator

ORIGINAL = DefaultSignatureValidator.validate_signature
_SIZE = 8192
_verified: OrderedDict[bytes, None] = OrderedDict()
_lock = threading.Lock()
_APPLIED = False


def _key(signature: bytes, signed_data: bytes, public_key_info: Any, signature_algorithm: Any, context: Any) -> bytes:
    digest = hashlib.sha256()
    for part in (signature_algorithm.dump(), public_key_info.dump(), bytes(signature)):
        digest.update(len(part).to_bytes(4, "big"))
        digest.update(part)
    digest.update(hashlib.sha256(signed_data).digest())
    digest.update(repr((context.contextual_md_algorithm, context.prehashed)).encode())
    return digest.digest()


def validate_signature(self: DefaultSignatureValidator, signature: bytes, signed_data: bytes,
                       public_key_info: Any, signature_algorithm: Any, context: Any = None) -> None:
    context = context if context is not None else DEFAULT_VALIDATION_CONTEXT
    key = _key(signature, signed_data, public_key_info, signature_algorithm, context)
    with _lock:
        if key in _verified:
            _verified.move_to_end(key)
            return
    ORIGINAL(self, signature, signed_data, public_key_info, signature_algorithm, context)  # raises if invalid
    with _lock:
        _verified[key] = None
        while len(_verified) > _SIZE:
            _verified.popitem(last=False)


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    DefaultSignatureValidator.validate_signature = validate_signature  # type: ignore[method-assign]
    _APPLIED = True


__all__ = ["ORIGINAL", "apply", "validate_signature"]
