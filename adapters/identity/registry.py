"""Finding identity providers: every one, built-in or third-party, is an entry point.

An installed package declares, in its pyproject.toml::

    [project.entry-points."seing.identity_verifiers"]
    acme = "acme_idv.seing:factory"

where ``factory(config: IdentityProviderConfig) -> IdentityVerifier``. Seing's own
simulator and manual-review providers are declared the same way in Seing's pyproject, so
the loader has no special case for them. Configuration names the provider to use.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint

from adapters.plugins import installed_providers, load_provider
from domain.model.errors import IdentityProviderUnknown
from ports.identity import ENTRY_POINT_GROUP, IdentityProviderConfig, IdentityVerifier

__all__ = ["available_identity_providers", "load_identity_verifier"]


def _unknown(name: str):  # type: ignore[no-untyped-def]
    return lambda message: IdentityProviderUnknown(message, name=name)


def available_identity_providers() -> dict[str, EntryPoint]:
    return installed_providers(ENTRY_POINT_GROUP, error=_unknown(""))


def load_identity_verifier(name: str, config: IdentityProviderConfig) -> IdentityVerifier:
    """Build the provider called ``name``; raise IdentityProviderUnknown when none is
    installed under that name or what is installed is not an identity provider."""
    return load_provider(ENTRY_POINT_GROUP, name, config, error=_unknown(name))
