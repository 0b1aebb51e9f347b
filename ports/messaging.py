"""Sending emails and SMS.

SMS providers are found through the entry-point group ``seing.sms_senders``: each entry
point names a factory ``factory(config: SmsProviderConfig) -> SmsSender``; Seing's own
``outbox``, ``brevo`` and ``twilio`` are declared the same way. A provider's author checks
theirs with ``ports.contracts.messaging.SmsSenderContract``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from ports.clock import Clock

SMS_SENDERS_ENTRY_POINT_GROUP = "seing.sms_senders"


@frozen
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    # Names the message the same way on every delivery attempt (the worker's job id): delivery is
    # at least once, and a worker killed between the send and the job's completion sends again;
    # the receiver sees the same Message-ID twice and mail clients show one message.
    message_key: str | None = None


@frozen
class OutgoingSms:
    to: str  # E.164
    text: str


class DeliveryError(Exception):
    """The message could not be handed over; the worker retries later."""


class PermanentDeliveryError(DeliveryError):
    """The transport refused the message and would refuse it again (a number it cannot
    reach, credentials it rejects): the worker marks the job failed instead of retrying.

    A subclass, so code that only cares whether a message left still catches DeliveryError.
    ``code`` is the provider's own reason code when it gave one (Twilio's 21211, Brevo's
    ``invalid_parameter``), kept on the collection's trail for the preparer and support.
    """

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        self.code = code


@runtime_checkable
class Mailer(Protocol):
    def send(self, email: OutgoingEmail) -> None:
        """Hand the message to the transport; raise DeliveryError on failure."""
        ...


@runtime_checkable
class SmsSender(Protocol):
    def send(self, sms: OutgoingSms) -> None:
        """Hand the message to the transport; raise DeliveryError on a failure worth
        retrying (timeout, provider unavailable or rate-limiting), PermanentDeliveryError
        when the provider refused the message itself."""
        ...


def _frozen_options(value: Mapping[str, str] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), str(v)) for k, v in items))


@frozen
class SmsProviderConfig:
    """What the application hands an SMS provider factory.

    ``sender_name``: what the recipient's phone shows (SEING_SMS_SENDER_NAME);
    ``api_url``: another base URL for the provider's API, empty for its public one (tests
    point it at a local stub); ``outbox_dir``: the dev outbox's folder;
    ``options``: the provider's own settings (credentials) as strings, by name.
    """

    clock: Clock
    sender_name: str = "Seing"
    api_url: str = ""
    timeout_seconds: float = 10.0
    outbox_dir: Path | None = None
    options: tuple[tuple[str, str], ...] = field(default=(), converter=_frozen_options)

    def option(self, name: str, default: str | None = None) -> str | None:
        return dict(self.options).get(name, default)
