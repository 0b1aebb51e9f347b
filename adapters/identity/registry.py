"""Finding identity providers: every one, built-in or third-party, is an entry point.

An installed package declares, in its pyproject.toml::

    [project.entry-points."seing.identity_verifiers"]
    acme = "acme_idv.seing:factory"

where ``factory(config: IdentityProviderConfig) -> IdentityVerifier``. Seing's own
simulator and manual-review providers are declared the same way in Seing's pyproject, so
the loader has no special case for them. Configuration names the provider to use.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from domain.model.errors import IdentityProviderUnknown
from ports.identity import ENTRY_POINT_GROUP, IdentityProviderConfig, IdentityVerifier

__all__ = ["available_identity_providers", "load_identity_verifier"]


def available_identity_providers() -> dict[str, EntryPoint]:
    """Installed providers by name. Two distributions declaring the same name is a
    packaging mistake we refuse to resolve silently."""
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        previous = found.get(entry.name)
        if previous is not None and previous.value != entry.value:
            raise IdentityProviderUnknown(
                f"identity provider {entry.name!r} is declared twice ({previous.value}, {entry.value})")
        found[entry.name] = entry
    return found


def load_identity_verifier(name: str, config: IdentityProviderConfig) -> IdentityVerifier:
    """Build the provider called ``name``; raise IdentityProviderUnknown when none is
    installed under that name or what is installed is not an identity provider."""
    providers = available_identity_providers()
    entry = providers.get(name)
    if entry is None:
        known = ", ".join(sorted(providers)) or "none"
        raise IdentityProviderUnknown(f"no identity provider named {name!r} (installed: {known})", name=name)
    factory = entry.load()
    verifier = factory(config)
    if not isinstance(verifier, IdentityVerifier):
        raise IdentityProviderUnknown(f"{entry.value} did not return an identity verifier", name=name)
    return verifier
