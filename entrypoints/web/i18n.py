"""Translations and French formatting for the web pages.

Message ids are the French source strings: French needs no catalogue, English comes from
``entrypoints/locale/en/LC_MESSAGES/messages.mo`` (compiled by ``pybabel compile``).
The locale of a request is the one stored in its session (language switch, or the
person's preference copied at login), French otherwise.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Template, pass_eval_context
from markupsafe import Markup, escape

from entrypoints import french

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
DISPLAY_TZ = ZoneInfo("Europe/Paris")
SESSION_LOCALE_KEY = "locale"

# Babel's pattern syntax: literal text in quotes.
_DATETIME_PATTERNS = {
    "fr": "d MMMM y 'à' H 'h' mm",  # 28 novembre 2026 à 14 h 05
    "en": "MMMM d, y 'at' h:mm a",  # November 28, 2026 at 2:05 PM
}
_DATE_PATTERNS = {"fr": "d MMMM y", "en": "MMMM d, y"}


def N_(message: str) -> str:  # noqa: N802 - gettext convention
    """Mark a string for extraction without translating it now (translated when shown)."""
    return message


@lru_cache(maxsize=None)
def translations(locale: str) -> _gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return _gettext.NullTranslations()
    # fallback=True: a missing .mo shows French rather than failing the page.
    return _gettext.translation("messages", localedir=str(LOCALE_DIR), languages=[locale], fallback=True)


def normalise_locale(value: object) -> str:
    return value if isinstance(value, str) and value in LOCALES else DEFAULT_LOCALE


def request_locale(request: Any) -> str:
    """The locale of a Litestar request (its session's choice, French by default)."""
    if request is None:
        return DEFAULT_LOCALE
    try:
        session = request.session
    except Exception:  # no session middleware on this route (static files)
        return DEFAULT_LOCALE
    # A cleared session is Litestar's Empty sentinel, not a dict.
    return normalise_locale((session if isinstance(session, dict) else {}).get(SESSION_LOCALE_KEY))


def translate(locale: str, message: str, **params: object) -> str:
    text = translations(normalise_locale(locale)).gettext(message)
    return text % params if params else text


def translate_plural(locale: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(normalise_locale(locale)).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def format_moment(value: datetime | None, locale: str) -> str:
    """« 28 novembre 2026 à 14 h 05 », shown in Europe/Paris; stored times are UTC."""
    if value is None:
        return ""
    locale = normalise_locale(locale)
    if locale == "fr":
        return french.moment(value)
    return format_datetime(value, _DATETIME_PATTERNS[locale], tzinfo=DISPLAY_TZ, locale=locale)


def format_on_moment(value: datetime | None, locale: str) -> str:
    """The date as a sentence needs it: « le 6 décembre 2026 à 5 h 39 », "on November 28, 2026 at 2:05 PM"."""
    if value is None:
        return ""
    if normalise_locale(locale) == "fr":
        return french.on_moment(value)
    return "on " + format_moment(value, locale)


def format_day(value: datetime | None, locale: str) -> str:
    if value is None:
        return ""
    locale = normalise_locale(locale)
    if locale == "fr":
        return french.day(value)
    return format_datetime(value, _DATE_PATTERNS[locale], tzinfo=DISPLAY_TZ, locale=locale)


# Jinja side ------------------------------------------------------------------------------
# The locale of a render is the one of the request in its context, read once when the
# rendering starts (``LocalisedTemplate.render``) and kept in a context variable for the
# callables below. They take no template context: Jinja gives a context function called
# inside a block or loop that set a variable a fresh copy of the whole context at each call
# (``Context.derived``), which made the translations a third of the signer page's rendering.
# The variable belongs to the rendering task or thread: one Environment serves every language.

_RENDER_LOCALE: ContextVar[str] = ContextVar("seing_render_locale", default=DEFAULT_LOCALE)


class LocalisedTemplate(Template):
    """A template that renders in the locale of the ``request`` its context holds (French without one)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        context = dict(*args, **kwargs)
        token = _RENDER_LOCALE.set(request_locale(context.get("request")))
        try:
            return super().render(context)
        finally:
            _RENDER_LOCALE.reset(token)


def _render_locale() -> str:
    return _RENDER_LOCALE.get()


def _formatted(eval_ctx: Any, text: str, variables: dict[str, Any]) -> str:
    """What jinja2.ext.i18n's newstyle gettext does with a translation: safe markup when the
    template escapes, then always formatted (``%%`` is a percent sign), the values escaped."""
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@lru_cache(maxsize=4096)
def _safe_text(locale: str, message: str) -> Markup:
    """A message without values, as an escaping template shows it: the same at every render."""
    return Markup(translations(locale).gettext(message)) % {}


@pass_eval_context
def _jinja_gettext(eval_ctx: Any, message: str, **variables: Any) -> str:
    if not variables and eval_ctx.autoescape:
        return _safe_text(_render_locale(), message)
    return _formatted(eval_ctx, translations(_render_locale()).gettext(message), variables)


@pass_eval_context
def _jinja_ngettext(eval_ctx: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
    variables.setdefault("num", n)
    return _formatted(eval_ctx, translations(_render_locale()).ngettext(singular, plural, n), variables)


@pass_eval_context
def _jinja_pgettext(eval_ctx: Any, ctx: str, message: str, **variables: Any) -> str:
    variables.setdefault("context", ctx)
    return _formatted(eval_ctx, translations(_render_locale()).pgettext(ctx, message), variables)


@pass_eval_context
def _jinja_npgettext(eval_ctx: Any, ctx: str, singular: str, plural: str, n: int, **variables: Any) -> str:
    variables.setdefault("context", ctx)
    variables.setdefault("num", n)
    return _formatted(eval_ctx, translations(_render_locale()).npgettext(ctx, singular, plural, n), variables)


def _jinja_locale() -> str:
    return _render_locale()


def _jinja_moment(value: datetime | None) -> str:
    return format_moment(value, _render_locale())


def _jinja_on_moment(value: datetime | None) -> str:
    return format_on_moment(value, _render_locale())


def _jinja_de(name: str) -> str:
    """« de  » or « d’ » before a name, for French messages written ``"… %(de)s%(name)s"``."""
    return french.preposition(name)


def _jinja_signed_count(signed: int, total: int) -> str:
    if _render_locale() == "fr":
        return french.signed_count(signed, total)
    return translations(_render_locale()).gettext("%(signed)s sur %(total)s signés") % {
        "signed": signed, "total": total}


def _jinja_distinguished_name(text: str | None) -> str:
    """A certificate's subject or issuer with French attribute names (as asn1crypto writes them in English)."""
    return french.distinguished_name(text) if _render_locale() == "fr" else str(text or "")


def multiline(text: str | None) -> Markup:
    """A person's text with its line breaks kept: each line escaped, joined by <br>."""
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Markup("<br>\n").join(escape(line) for line in lines)


def _jinja_day(value: datetime | None) -> str:
    return format_day(value, _render_locale())


def _jinja_translate(message: str | None, params: dict[str, Any] | None = None) -> str:
    """Translate a message computed in Python (an error's French text) at render time."""
    if not message:
        return ""
    text = translations(_render_locale()).gettext(message)
    return text % params if params else text


def install(env: Any) -> None:
    """Give a Jinja environment (with ``jinja2.ext.i18n``) our per-request gettext."""
    # The extension's {% trans %} compiles to gettext(...) calls that format themselves
    # (newstyle); its wrappers of these callables, and its ``_``, would take the template
    # context again: ours replace them.
    env.newstyle_gettext = True
    env.globals.update(_=_jinja_gettext, gettext=_jinja_gettext, ngettext=_jinja_ngettext,
                       pgettext=_jinja_pgettext, npgettext=_jinja_npgettext)
    env.template_class = LocalisedTemplate
    env.globals["current_locale"] = _jinja_locale
    env.filters["moment"] = _jinja_moment
    env.filters["day"] = _jinja_day
    env.filters["on_moment"] = _jinja_on_moment
    env.filters["de"] = _jinja_de
    env.filters["signed_count"] = _jinja_signed_count
    env.filters["mobile"] = french.mobile
    env.filters["multiline"] = multiline
    env.filters["distinguished_name"] = _jinja_distinguished_name
    env.filters["tr"] = _jinja_translate
