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


class PermanentDeliveryError(DeliveryError):
    """The transport refused the message and would refuse it again (a number it cannot
    reach, credentials it rejects): the worker marks the job failed instead of retrying.

    A subclass, so code that only cares whether a message left still catches DeliveryError.
    """


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
