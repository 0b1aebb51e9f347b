"""Signature checks with cryptography, for contract hooks (ports may not import it): the same
check the shipped vaults hand to ``contract_for``."""

from __future__ import annotations

from adapters.keyvault.signature_check import CryptographyVerifier, verify_digest_signature

__all__ = ["CryptographyVerifier", "verify_digest_signature"]
