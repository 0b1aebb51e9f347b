"""Work the worker does after a transaction commits: notifications and scheduled jobs.

Use cases enqueue these through the unit of work so they are stored in the same
transaction as the state change they follow (transactional outbox).
"""

from __future__ import annotations

import enum
from datetime import datetime

from attrs import evolve, field, frozen

from domain.model.values import Email, Mobile


class Channel(enum.Enum):
    EMAIL = "email"
    SMS = "sms"


def _frozen_context(value: object) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, dict) else value  # type: ignore[union-attr]
    return tuple(sorted((str(k), str(v)) for k, v in items))  # type: ignore[misc]


@frozen
class Notification:
    """A message to send: the template is rendered in ``locale`` by the worker, at the edge.

    ``context`` holds only strings, so the job is plain data that any worker can render.
    """

    channel: Channel
    to: str
    template: str
    context: tuple[tuple[str, str], ...] = field(converter=_frozen_context, factory=tuple)
    locale: str = "fr"
    # The collection and signer the message serves, so a delivery that fails for good can be
    # told to the preparer (``record_delivery_failure``); None for messages about no collection.
    about_collection: str | None = None
    about_signer: str | None = None
    # The certificate registration (LCP) a code serves, so that a failed delivery is shown to the
    # registrant on the code page (``record_registration_delivery_failure``).
    about_registration: str | None = None
    # Likewise the QCP enrollment whose request-signing code it carries.
    about_enrollment: str | None = None

    @classmethod
    def email(cls, to: Email, template: str, locale: str = "fr", **context: str) -> Notification:
        return cls(channel=Channel.EMAIL, to=str(to), template=template, context=context, locale=locale)

    @classmethod
    def sms(cls, to: Mobile, template: str, locale: str = "fr", **context: str) -> Notification:
        return cls(channel=Channel.SMS, to=str(to), template=template, context=context, locale=locale)

    def context_dict(self) -> dict[str, str]:
        return dict(self.context)

    def about(self, collection_id: str, signer_id: str) -> Notification:
        return evolve(self, about_collection=collection_id, about_signer=signer_id)

    def about_lcp_registration(self, registration_id: str) -> Notification:
        return evolve(self, about_registration=registration_id)

    def about_qcp_enrollment(self, enrollment_id: str) -> Notification:
        return evolve(self, about_enrollment=enrollment_id)


class JobStatus(enum.Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after the last retry


@frozen
class JobSpec:
    """What to run: ``kind`` names a handler registered with the worker."""

    kind: str
    payload: tuple[tuple[str, str], ...] = field(converter=_frozen_context, factory=tuple)
    run_at: datetime | None = None  # None: as soon as possible

    @classmethod
    def notify(cls, notification: Notification) -> JobSpec:
        payload = {"channel": notification.channel.value, "to": notification.to,
                   "template": notification.template, "locale": notification.locale}
        payload.update({f"ctx.{k}": v for k, v in notification.context})
        if notification.about_collection and notification.about_signer:
            payload.update({"about.collection": notification.about_collection,
                            "about.signer": notification.about_signer})
        if notification.about_registration:
            payload["about.registration"] = notification.about_registration
        if notification.about_enrollment:
            payload["about.enrollment"] = notification.about_enrollment
        return cls(kind="notify", payload=payload)

    def payload_dict(self) -> dict[str, str]:
        return dict(self.payload)

    def as_notification(self) -> Notification:
        data = self.payload_dict()
        return Notification(channel=Channel(data["channel"]), to=data["to"], template=data["template"],
                            locale=data.get("locale", "fr"),
                            context={k[4:]: v for k, v in data.items() if k.startswith("ctx.")},
                            # Jobs queued before these keys existed have none: about nothing.
                            about_collection=data.get("about.collection"), about_signer=data.get("about.signer"),
                            about_registration=data.get("about.registration"),
                            about_enrollment=data.get("about.enrollment"))


@frozen
class Job:
    """A stored job as the worker sees it."""

    id: str
    spec: JobSpec
    status: JobStatus
    attempts: int
    run_at: datetime
    created_at: datetime
    last_error: str | None = None
