"""Providers: the adapters an integrator swaps, each found through an entry-point group.

A provider is an installed package whose pyproject.toml declares, for one of the groups below,
``name = "module:factory"``; the factory takes the port's configuration object and returns an
object implementing the port. Seing's own adapters are declared the same way (in Seing's
pyproject.toml), so the loader (``adapters/plugins.py``) has no special case, and ``seing plugins``
lists what is installed and which one the configuration selects.

Each group's contract suite is in ``ports/contracts/`` (``CONTRACTS`` below names it); a provider's
author runs it with ``python -m ports.contracts <group> <name> [option=value ...]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import field, frozen

from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.keyvault import KeyVault

__all__ = ["CONTRACTS", "GROUPS", "ProviderConfig"]

# Group name -> the port its factories build, as "module:Protocol" (resolved lazily: ports stay light).
GROUPS: dict[str, str] = {
    "seing.identity_verifiers": "ports.identity:IdentityVerifier",
    "seing.sms_senders": "ports.messaging:SmsSender",
    "seing.mailers": "ports.messaging:Mailer",
    "seing.document_stores": "ports.documents:DocumentStore",
    "seing.key_vaults": "ports.keyvault:KeyVault",
    "seing.certificate_authorities": "ports.ca:CertificateAuthority",
    "seing.timestamp_authorities": "ports.timestamping:TimestampAuthority",
    "seing.remote_signing_services": "ports.remote_signing:RemoteSigningService",
}

# Group name -> its contract suite, "module:Class"; a provider's tests subclass it.
CONTRACTS: dict[str, str] = {
    "seing.identity_verifiers": "ports.contracts.identity:IdentityVerifierContract",
    "seing.sms_senders": "ports.contracts.messaging:SmsSenderContract",
    "seing.mailers": "ports.contracts.messaging:MailerContract",
    "seing.document_stores": "ports.contracts.documents:DocumentStoreContract",
    "seing.key_vaults": "ports.contracts.keyvault:KeyVaultContract",
    "seing.certificate_authorities": "ports.contracts.ca:CertificateAuthorityContract",
    "seing.timestamp_authorities": "ports.contracts.timestamping:TimestampAuthorityContract",
    "seing.remote_signing_services": "ports.contracts.remote_signing:RemoteSigningServiceContract",
}


def _frozen_options(value: Mapping[str, str] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), str(v)) for k, v in items))


@frozen(kw_only=True)
class ProviderConfig:
    """What the application hands a mailer, document store, key vault, CA or TSA factory.

    ``data_dir``: the instance's data folder (a provider keeping files puts them below it);
    ``options``: the provider's own settings as strings (SEING_<PORT>_OPTION_<NAME> or the TOML
    table ``[seing.<port>_options]``); ``vault`` and ``ca``: the ports a CA or a TSA builds on
    (their keys never leave the vault); ``settings``: typed settings the composition root has for
    a built-in (the built-in CA's policy), None for a plug-in.
    """

    clock: Clock
    data_dir: Path
    public_url: str = ""
    options: tuple[tuple[str, str], ...] = field(default=(), converter=_frozen_options)
    vault: KeyVault | None = None
    ca: CertificateAuthority | None = None
    settings: Any = None

    def option(self, name: str, default: str = "") -> str:
        return dict(self.options).get(name, default)

    def require(self, name: str) -> str:
        """The option, or a ValueError naming it: a provider missing a credential must not start."""
        value = self.option(name)
        if not value:
            raise ValueError(f"the option {name} is required")
        return value
