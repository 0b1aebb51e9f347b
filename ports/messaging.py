from __future__ import annotations

from typing import Protocol, runtime_checkable

from attrs import frozen


@frozen
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None


@frozen
class OutgoingSms:
    to: str  # E.164
    text: str


class DeliveryError(Exception):
    """The message could not be handed over; the worker retries later."""


@runtime_checkable
class Mailer(Protocol):
    def send(self, email: OutgoingEmail) -> None:
        """Hand the message to the transport; raise DeliveryError on failure."""
        ...


@runtime_checkable
class SmsSender(Protocol):
    def send(self, sms: OutgoingSms) -> None:
        """Hand the message to the transport; raise DeliveryError on failure."""
        ...
