"""Mailer and SMS sender that keep what they were given, and can be told to fail."""

from __future__ import annotations

from ports.messaging import DeliveryError, OutgoingEmail, OutgoingSms, PermanentDeliveryError

__all__ = ["RecordingMailer", "RecordingSmsSender"]


class _Recording:
    def __init__(self) -> None:
        self.attempts = 0
        self._failures_left = 0
        self._failure_message = ""
        self._failure_is_permanent = False
        self._failure_code: str | None = None

    def fail_next(self, times: int = 1, message: str = "transport unavailable", *, permanent: bool = False,
                  code: str | None = None) -> None:
        """The next ``times`` sends raise DeliveryError (PermanentDeliveryError when
        ``permanent``: the provider refused the message, with its reason ``code``) and deliver nothing."""
        self._failures_left = times
        self._failure_message = message
        self._failure_is_permanent = permanent
        self._failure_code = code

    def _attempt(self) -> None:
        self.attempts += 1
        if self._failures_left > 0:
            self._failures_left -= 1
            if self._failure_is_permanent:
                raise PermanentDeliveryError(self._failure_message, code=self._failure_code)
            raise DeliveryError(self._failure_message)


class RecordingMailer(_Recording):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[OutgoingEmail] = []

    def send(self, email: OutgoingEmail) -> None:
        self._attempt()
        self.sent.append(email)

    def sent_to(self, address: str) -> list[OutgoingEmail]:
        return [e for e in self.sent if e.to == address]


class RecordingSmsSender(_Recording):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[OutgoingSms] = []

    def send(self, sms: OutgoingSms) -> None:
        self._attempt()
        self.sent.append(sms)

    def sent_to(self, number: str) -> list[OutgoingSms]:
        return [s for s in self.sent if s.to == number]
