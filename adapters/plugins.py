"""The one loader of providers: every swappable adapter, built-in or third-party, is an entry point
of a group named in ``ports/providers.py`` (``seing.document_stores``, ``seing.mailers``, ...).

An installed package declares, in its pyproject.toml::

    [project.entry-points."seing.document_stores"]
    acme = "acme_storage.seing:factory"

Seing's own adapters are declared the same way in Seing's pyproject.toml. The per-port registries
(``adapters/messaging/registry.py``, ``adapters/identity/registry.py``) are thin names over this.
"""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable

from ports.providers import GROUPS

__all__ = ["ProviderUnknown", "installed_providers", "load_provider", "port_of"]


class ProviderUnknown(LookupError):
    """No usable provider under that name; the message lists the installed ones."""


def port_of(group: str) -> type:
    """The Protocol class a group's factories must build."""
    try:
        module, _, name = GROUPS[group].partition(":")
    except KeyError:
        raise ProviderUnknown(f"no provider group {group!r} (known: {', '.join(sorted(GROUPS))})") from None
    return getattr(importlib.import_module(module), name)


def installed_providers(group: str, *, error: Callable[[str], Exception] = ProviderUnknown) -> dict[str, EntryPoint]:
    """Installed providers of a group by name. Two distributions declaring the same name is a
    packaging mistake we refuse to resolve silently."""
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=group):
        previous = found.get(entry.name)
        if previous is not None and previous.value != entry.value:
            raise error(f"provider {entry.name!r} of {group} is declared twice ({previous.value}, {entry.value})")
        found[entry.name] = entry
    return found


def load_provider(group: str, name: str, config: Any, *,
                  error: Callable[[str], Exception] = ProviderUnknown) -> Any:
    """Build the provider called ``name``. Raise ``error`` (ProviderUnknown by default) when none
    is installed under that name or its factory does not build the group's port; the factory's
    own ValueError (a missing option) passes through for the caller to name the setting."""
    providers = installed_providers(group, error=error)
    entry = providers.get(name)
    if entry is None:
        known = ", ".join(sorted(providers)) or "none"
        raise error(f"no provider named {name!r} in {group} (installed: {known})")
    adapter = entry.load()(config)
    port = port_of(group)
    if not isinstance(adapter, port):
        raise error(f"{entry.value} did not return a {port.__name__}")
    return adapter
