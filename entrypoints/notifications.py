"""Turning a domain ``Notification`` into an email or an SMS, in the recipient's language.

Templates live in ``<templates_dir>/notifications/``, four per notification name:

- ``<name>.subject.txt`` and ``<name>.txt`` (required for email), ``<name>.html`` (optional);
- ``<name>.sms.txt`` (required for SMS).

Texts are written in French inside ``{% trans %}`` blocks; other languages come from the
gettext catalogue ``<locale_dir>/<lang>/LC_MESSAGES/messages.po`` (or its compiled ``.mo``).
Without a catalogue for the language, the French source is used.
"""

from __future__ import annotations

import gettext
import io
import re
import threading
from pathlib import Path
from typing import Protocol

import attrs
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound

from domain.model.jobs import Channel, Job, Notification
from entrypoints import french
from entrypoints.worker import FailureHandler, Handler, PermanentJobError
from ports.messaging import Mailer, OutgoingEmail, OutgoingSms, PermanentDeliveryError, SmsSender

__all__ = ["DEFAULT_LOCALE_DIR", "DEFAULT_TEMPLATES_DIR", "NotificationRenderer",
           "NotificationTemplateError", "make_notify_failure_handler", "make_notify_handler"]

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_ORDINARY_SPACES = re.compile(r"[ \t\r\n]+")
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


class NotificationTemplateError(Exception):
    """The notification cannot be rendered: unknown template or missing context value."""


class NotificationRenderer:
    def __init__(self, templates_dir: str | Path, public_url: str, *,
                 locale_dir: str | Path | None = None, default_locale: str = "fr") -> None:
        """``templates_dir`` is the folder holding ``notifications/``; ``public_url`` is the
        address users reach the site at (links in messages start with it)."""
        self._templates_dir = Path(templates_dir)
        self._public_url = public_url.rstrip("/")
        self._locale_dir = Path(locale_dir) if locale_dir is not None else DEFAULT_LOCALE_DIR
        self._default_locale = default_locale
        self._environments: dict[str, Environment] = {}
        self._lock = threading.Lock()

    def render(self, notification: Notification) -> OutgoingEmail | OutgoingSms:
        if notification.channel is Channel.EMAIL:
            return self.render_email(notification)
        return self.render_sms(notification)

    def render_email(self, notification: Notification) -> OutgoingEmail:
        env, context = self._prepare(notification)
        name = notification.template
        subject = self._render(env, f"{name}.subject.txt", context)
        text = self._render(env, f"{name}.txt", context)
        try:
            html: str | None = self._render(env, f"{name}.html", context)
        except _MissingTemplate:
            html = None
        # A subject is one line whatever the template's layout; str.split() would also eat
        # the non-breaking spaces French typography needs, hence the explicit class.
        return OutgoingEmail(to=notification.to, subject=_ORDINARY_SPACES.sub(" ", subject).strip(),
                             text=text.strip() + "\n", html=html)

    def render_sms(self, notification: Notification) -> OutgoingSms:
        env, context = self._prepare(notification)
        text = self._render(env, f"{notification.template}.sms.txt", context)
        return OutgoingSms(to=notification.to, text=text.strip())

    # -------------------------------------------------------------------------------

    def _prepare(self, notification: Notification) -> tuple[Environment, dict[str, str]]:
        locale = self._normalise(notification.locale)
        context = notification.context_dict()
        context.update(public_url=self._public_url, lang=locale.split("_")[0])
        return self._environment(locale), context

    def _normalise(self, locale: str) -> str:
        candidate = (locale or "").strip().replace("-", "_")
        language, _, region = candidate.partition("_")
        candidate = language.lower() + (f"_{region.upper()}" if region else "")
        # The locale ends up in a file path: accept only the shape of a locale name.
        return candidate if _LOCALE.match(candidate) else self._default_locale

    def _environment(self, locale: str) -> Environment:
        with self._lock:
            env = self._environments.get(locale)
            if env is None:
                env = Environment(
                    loader=FileSystemLoader(self._templates_dir),
                    extensions=["jinja2.ext.i18n"],
                    autoescape=lambda name: bool(name and name.endswith(".html")),
                    undefined=StrictUndefined,
                    trim_blocks=False,  # plain-text emails keep the blank lines between paragraphs
                    lstrip_blocks=True,
                    keep_trailing_newline=True,
                )
                env.install_gettext_translations(self._translations(locale), newstyle=True)  # type: ignore[attr-defined]
                # The same French typography as the pages (« au nom d’Irina », 06 24 00 00 13).
                env.filters.update(of=french.of, mobile=french.mobile, on_moment=french.on_moment)
                self._environments[locale] = env
            return env

    def _translations(self, locale: str) -> gettext.NullTranslations:
        for name in dict.fromkeys([locale, locale.split("_")[0]]):
            folder = self._locale_dir / name / "LC_MESSAGES"
            mo, po = folder / "messages.mo", folder / "messages.po"
            # A .po edited after the last compilation wins over the stale .mo.
            if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
                with mo.open("rb") as handle:
                    return Translations(handle, domain="messages")
            if po.is_file():
                with po.open("rb") as handle:
                    catalog = read_po(handle, locale=name)
                buffer = io.BytesIO()
                write_mo(buffer, catalog)  # fuzzy entries stay untranslated
                buffer.seek(0)
                return Translations(buffer, domain="messages")
        return gettext.NullTranslations()

    @staticmethod
    def _render(env: Environment, name: str, context: dict[str, str]) -> str:
        try:
            return env.get_template(f"notifications/{name}").render(context)
        except TemplateNotFound as exc:
            raise _MissingTemplate(f"no notification template {name!r}") from exc
        except TemplateError as exc:
            raise NotificationTemplateError(f"cannot render {name!r}: {exc}") from exc


class _MissingTemplate(NotificationTemplateError):
    pass


def make_notify_handler(renderer: NotificationRenderer, mailer: Mailer, sms_sender: SmsSender) -> Handler:
    """The worker's handler for jobs of kind ``notify`` (``JobSpec.notify``).

    Rendering problems are permanent (retrying renders the same template); transport
    failures raise DeliveryError, which the worker retries with backoff, except a message
    the provider refused (PermanentDeliveryError: invalid number, credentials refused),
    which fails the job at once.
    """

    def notify(job: Job) -> None:
        try:
            notification = job.spec.as_notification()
        except (KeyError, ValueError) as exc:
            raise PermanentJobError(f"malformed notification payload: {exc!r}") from exc
        try:
            message = renderer.render(notification)
        except NotificationTemplateError as exc:
            raise PermanentJobError(str(exc)) from exc
        try:
            if isinstance(message, OutgoingEmail):
                mailer.send(attrs.evolve(message, message_key=f"seing.{job.id}"))
            else:
                sms_sender.send(message)
        except PermanentDeliveryError as exc:
            raise PermanentJobError(f"{notification.channel.value} to {notification.to} refused: {exc}") from exc

    return notify


class DeliveryFailureRecorder(Protocol):
    def __call__(self, *, collection_id: str, signer_id: str, channel: str, permanent: bool,
                 provider_code: str | None) -> object: ...


class RegistrationFailureRecorder(Protocol):
    def __call__(self, *, registration_id: str, channel: str, permanent: bool) -> object: ...


class EnrollmentFailureRecorder(Protocol):
    def __call__(self, *, enrollment_id: str, channel: str, permanent: bool) -> object: ...


def make_notify_failure_handler(record: DeliveryFailureRecorder,
                                record_registration: RegistrationFailureRecorder | None = None,
                                record_enrollment: EnrollmentFailureRecorder | None = None) -> FailureHandler:
    """What the worker calls when a ``notify`` job failed for good: a message serving a
    collection's signer is handed to the use case (``record_delivery_failure``) that tells the
    preparer; an LCP registration's or a QCP enrollment's code, to the one that tells the person
    on the code page (``record_registration_delivery_failure``, ``qcp.record_delivery_failure``). ``permanent`` says the provider refused it;
    otherwise every retry failed."""

    def failed(job: Job, exc: BaseException | None) -> None:
        try:
            notification = job.spec.as_notification()
        except (KeyError, ValueError):
            return  # a malformed payload names no one to tell
        cause = exc.__cause__ if isinstance(exc, PermanentJobError) else exc
        refused = isinstance(cause, PermanentDeliveryError)
        if notification.about_registration and record_registration is not None:
            record_registration(registration_id=notification.about_registration,
                                channel=notification.channel.value, permanent=refused)
        if notification.about_enrollment and record_enrollment is not None:
            record_enrollment(enrollment_id=notification.about_enrollment,
                              channel=notification.channel.value, permanent=refused)
        if not (notification.about_collection and notification.about_signer):
            return
        record(collection_id=notification.about_collection, signer_id=notification.about_signer,
               channel=notification.channel.value, permanent=refused,
               provider_code=cause.code if isinstance(cause, PermanentDeliveryError) else None)

    return failed
