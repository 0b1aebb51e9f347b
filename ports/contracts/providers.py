"""The contract suite of an installed provider, found by its entry point: what a provider's
author runs, in one line of a test module::

    from ports.contracts.providers import contract_for

    TestAcmeStore = contract_for("seing.document_stores", "acme", options={"region": "eu"})

or from a shell, with pytest installed: ``python -m ports.contracts seing.document_stores acme region=eu``.

The class subclasses the group's suite (``ports.providers.CONTRACTS``) and builds the adapter the
way Seing does: the factory named by the entry point, given a ``ProviderConfig`` (an empty data
folder per test, the options, the clock). Suites that need more than ``make_adapter`` (mailers and
SMS senders: ``delivered`` and ``make_unreachable_adapter``; key vaults: ``verify_signature``;
TSAs: ``make_unavailable_adapter``) take those hooks from the provider itself: a factory may
carry a ``contract_hooks`` attribute, a class defining them, which the suite calls (every
provider Seing ships does). A provider without it is completed by subclassing the returned class.
A certificate authority, and a TSA, get a key vault of the ``software`` provider (option ``vault``
names another) and an initialised built-in CA (``init_hierarchy``; option ``ca`` names another);
identity providers have their own configuration: subclass
``ports.contracts.identity.IdentityVerifierContract`` directly.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Mapping

from ports.clock import Clock
from ports.messaging import SMS_SENDERS_ENTRY_POINT_GROUP, SmsProviderConfig
from ports.providers import CONTRACTS, ProviderConfig

__all__ = ["contract_for", "load_installed"]


class _WallClock:
    """For a provider's own contract runs; Seing's tests pass a fixed clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def _factory(group: str, name: str) -> Any:
    found = [e for e in entry_points(group=group) if e.name == name]
    if not found:
        installed = ", ".join(sorted(e.name for e in entry_points(group=group))) or "none"
        raise LookupError(f"no provider named {name!r} in {group} (installed: {installed})")
    return found[0].load()


def load_installed(group: str, name: str, config: Any) -> Any:
    """The adapter built by the factory installed as ``name`` in ``group``."""
    return _factory(group, name)(config)


def _suite(group: str) -> type:
    module, _, cls = CONTRACTS[group].partition(":")
    return getattr(importlib.import_module(module), cls)


def contract_for(group: str, name: str, *, options: Mapping[str, str] | None = None,
                 clock: Clock | None = None) -> type:
    """A test class running ``group``'s contract suite against the provider installed as ``name``."""
    if group not in CONTRACTS or group == "seing.identity_verifiers":
        raise ValueError(f"no generic contract run for {group!r}")
    suite = _suite(group)
    options = dict(options or {})
    the_clock = clock or _WallClock()

    class ProviderContract(suite):  # type: ignore[misc, valid-type]
        def _data_dir(self) -> Path:
            # One empty folder per test (pytest makes one instance per test), shared by the
            # adapters one test builds, removed at the end of the test.
            if getattr(self, "_provider_dir", None) is None:
                self._provider_dir = Path(tempfile.mkdtemp(prefix=f"seing-contract-{name}-"))
            return self._provider_dir

        def teardown_method(self, method: object = None) -> None:
            parent = getattr(super(), "teardown_method", None)
            if parent is not None:
                parent(method)
            if getattr(self, "_provider_dir", None) is not None:
                shutil.rmtree(self._provider_dir, ignore_errors=True)
                self._provider_dir = None

        def provider_config(self, **extra: Any) -> Any:
            if group == SMS_SENDERS_ENTRY_POINT_GROUP:
                return SmsProviderConfig(clock=the_clock, outbox_dir=self._data_dir() / "outbox", options=options)
            return ProviderConfig(clock=the_clock, data_dir=self._data_dir(), public_url="https://seing.example",
                                  options=options, **extra)

        def _provider_vault(self) -> Any:
            return load_installed("seing.key_vaults", options.get("vault", "software"),
                                  ProviderConfig(clock=the_clock, data_dir=self._data_dir()))

        def _provider_ca(self, ca_name: str, vault: Any) -> Any:
            ca = load_installed("seing.certificate_authorities", ca_name, self.provider_config(vault=vault))
            ca.init_hierarchy()  # what `seing ca init` does before a CA serves
            return ca

        def _hook(self, hook: str) -> Any:
            # Looked up when a test calls it, not when the class is made: a test module may
            # install the provider in a fixture, after collection.
            hooks = getattr(_factory(group, name), "contract_hooks", None)
            if hooks is None or not hasattr(hooks, hook):
                raise NotImplementedError(
                    f"the provider {name!r} of {group} has no contract hook {hook}(): give its factory a "
                    f"contract_hooks class defining it, or subclass this suite and define it")
            return getattr(hooks, hook).__get__(self)

        def delivered(self, adapter: Any) -> Any:
            return self._hook("delivered")(adapter)

        def make_unreachable_adapter(self) -> Any:
            return self._hook("make_unreachable_adapter")()

        def make_unavailable_adapter(self) -> Any:
            return self._hook("make_unavailable_adapter")()

        def verify_signature(self, public_key_der: bytes, signature: bytes, digest: bytes,
                             hash_algorithm: str) -> bool:
            return self._hook("verify_signature")(public_key_der, signature, digest, hash_algorithm)

        def make_adapter(self) -> Any:
            if group == "seing.certificate_authorities":
                vault = self._provider_vault()
                return self._provider_ca(name, vault), vault
            if group == "seing.timestamp_authorities":
                # The built-in TSA signs with the CA's TSA certificate; a remote one ignores both.
                vault = self._provider_vault()
                ca = self._provider_ca(options.get("ca", "builtin"), vault)
                return load_installed(group, name, self.provider_config(vault=vault, ca=ca))
            if group == "seing.remote_signing_services":
                # The suite signs as a signer the provider holds a credential for: option ``email``.
                email = options.get("email")
                if not email:
                    raise ValueError("the remote signing contract needs the option email=<a signer the "
                                     "service holds a credential for>")
                return load_installed(group, name, self.provider_config()), email
            return load_installed(group, name, self.provider_config())

    ProviderContract.__name__ = ProviderContract.__qualname__ = f"Test{suite.__name__}For_{name}"
    return ProviderContract
