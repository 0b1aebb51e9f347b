"""Finding SMS providers: every one, built-in or third-party, is an entry point.

An installed package declares, in its pyproject.toml::

    [project.entry-points."seing.sms_senders"]
    acme = "acme_sms.seing:factory"

where ``factory(config: SmsProviderConfig) -> SmsSender``. Seing's ``outbox``, ``brevo``
and ``twilio`` are declared the same way in Seing's pyproject, so the loader has no
special case for them. Configuration (SEING_SMS_BACKEND) names the provider to use.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from ports.messaging import SMS_SENDERS_ENTRY_POINT_GROUP, SmsProviderConfig, SmsSender

__all__ = ["SmsProviderUnknown", "available_sms_providers", "load_sms_sender"]


class SmsProviderUnknown(LookupError):
    """No usable provider under that name; the message lists the installed ones."""


def available_sms_providers() -> dict[str, EntryPoint]:
    """Installed providers by name. Two distributions declaring the same name is a
    packaging mistake we refuse to resolve silently."""
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=SMS_SENDERS_ENTRY_POINT_GROUP):
        previous = found.get(entry.name)
        if previous is not None and previous.value != entry.value:
            raise SmsProviderUnknown(f"SMS provider {entry.name!r} is declared twice ({previous.value}, {entry.value})")
        found[entry.name] = entry
    return found


def load_sms_sender(name: str, config: SmsProviderConfig) -> SmsSender:
    """Build the provider called ``name``. Raise SmsProviderUnknown when none is installed
    under that name or it does not build an SmsSender; the factory's own ValueError (a
    missing credential, a sender name the provider refuses) passes through."""
    providers = available_sms_providers()
    entry = providers.get(name)
    if entry is None:
        known = ", ".join(sorted(providers)) or "none"
        raise SmsProviderUnknown(f"no SMS provider named {name!r} (installed: {known})")
    sender = entry.load()(config)
    if not isinstance(sender, SmsSender):
        raise SmsProviderUnknown(f"{entry.value} did not return an SMS sender")
    return sender
