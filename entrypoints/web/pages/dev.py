"""``/dev/outbox``: the messages the outbox adapters wrote instead of sending (dev mode only)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Template
from markupsafe import Markup, escape

from entrypoints.composition.use_cases import UseCases
from entrypoints.settings import Settings
from entrypoints.web.pages.common import render

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str | None) -> Markup:
    """Escape a plain-text message and make its links clickable."""
    if not text:
        return Markup("")
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)»")
        end = match.start() + len(url)
        parts.append(str(escape(text[last:match.start()])))
        parts.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        last = end
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@get("/dev/outbox", name="dev_outbox", sync_to_thread=True)
def dev_outbox(request: Request, use_cases: NamedDependency[UseCases], settings: NamedDependency[Settings]) -> Template:
    if not getattr(settings, "dev_mode", False):
        raise NotFoundException()
    messages = [
        {**message, "created": _parse_time(message.get("created_at")), "body": linkify(message.get("text"))}
        for message in use_cases.dev_outbox()(limit=200)
    ]
    return render(request, "dev/outbox.html", messages=messages)


dev_router = Router(path="/", route_handlers=[dev_outbox], include_in_schema=False)
