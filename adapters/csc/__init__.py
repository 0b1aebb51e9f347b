"""Remote signing through the Cloud Signature Consortium API (a QTSP's keys, our PAdES)."""

from __future__ import annotations

from adapters.csc.client import CscRemoteSigning, signature_verifies
from ports.providers import ProviderConfig

__all__ = ["CscRemoteSigning", "factory"]


def factory(config: ProviderConfig) -> CscRemoteSigning:
    """``seing.remote_signing_services`` entry point ``csc``.

    Options: ``url`` (the service's base URL, up to the version: ``https://qtsp.example/csc/v2``),
    ``username`` and ``password`` (HTTP Basic through ``auth/login``), or ``client_id`` and
    ``client_secret`` (OAuth 2.0 client credentials at the service's ``oauth2`` URL), or neither
    when the service authenticates otherwise; ``timeout`` in seconds (default 30)."""
    return CscRemoteSigning(
        base_url=config.require("url"),
        username=config.option("username") or None,
        password=config.option("password") or None,
        client_id=config.option("client_id") or None,
        client_secret=config.option("client_secret") or None,
        timeout=float(config.option("timeout", "30")),
    )


class CscContractHooks:
    """What ``ports.contracts.providers.contract_for`` mixes into the remote signing contract."""

    def verify_signature(self, certificate_der: bytes, signature: bytes, digest: bytes, hash_algorithm: str) -> bool:
        return signature_verifies(certificate_der, signature, digest, hash_algorithm)


factory.contract_hooks = CscContractHooks  # type: ignore[attr-defined]
