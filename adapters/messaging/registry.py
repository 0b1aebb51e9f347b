"""Finding SMS providers: every one, built-in or third-party, is an entry point.

An installed package declares, in its pyproject.toml::

    [project.entry-points."seing.sms_senders"]
    acme = "acme_sms.seing:factory"

where ``factory(config: SmsProviderConfig) -> SmsSender``. Seing's ``outbox``, ``brevo``
and ``twilio`` are declared the same way in Seing's pyproject, so the loader has no
special case for them. Configuration (SEING_SMS_BACKEND) names the provider to use.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint

from adapters.plugins import ProviderUnknown, installed_providers, load_provider
from ports.messaging import SMS_SENDERS_ENTRY_POINT_GROUP, SmsProviderConfig, SmsSender

__all__ = ["SmsProviderUnknown", "available_sms_providers", "load_sms_sender"]


class SmsProviderUnknown(ProviderUnknown):
    """No usable provider under that name; the message lists the installed ones."""


def available_sms_providers() -> dict[str, EntryPoint]:
    return installed_providers(SMS_SENDERS_ENTRY_POINT_GROUP, error=SmsProviderUnknown)


def load_sms_sender(name: str, config: SmsProviderConfig) -> SmsSender:
    """Build the provider called ``name``. Raise SmsProviderUnknown when none is installed
    under that name or it does not build an SmsSender; the factory's own ValueError (a
    missing credential, a sender name the provider refuses) passes through."""
    return load_provider(SMS_SENDERS_ENTRY_POINT_GROUP, name, config, error=SmsProviderUnknown)
