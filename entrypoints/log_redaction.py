"""Secrets never reach a log line.

Signer, download, invitation, reset and capture links carry their secret in the path; the
database keeps only hashes of them, so a log that printed paths in full (uvicorn's access
log did) would be the one place an attacker could read working links. ``install()`` wraps
the process's log-record factory, so every record from every logger (uvicorn's access and
error logs, Litestar, Seing) has these path segments replaced before any handler or
formatter sees it, whatever logging configuration the operator chose; tracebacks included.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

REDACTED = "[secret]"

# The path segment right after one of these is a secret (or, for invitation ids, harmless
# to hide). Both the French pages and the API spellings.
_SECRET_PREFIXES = (
    r"signature",  # /signature/<token> and /api/v1/signature/<token>
    r"telechargement", r"downloads",
    r"invitation", r"invitations",
    r"mot-de-passe/reinitialiser", r"password-reset",
    r"qcp/capture", r"signature-personnelle/capture", r"identity/capture", r"identity-captures",
    r"back-office/identite", r"identity-reviews",
)
_SECRET_IN_PATH = re.compile(r"(/(?:%s)/)[^/?#\s\"']+" % "|".join(_SECRET_PREFIXES))

_installed = False
_lock = threading.Lock()


def redact(text: str) -> str:
    """``text`` with every secret path segment replaced by ``[secret]``."""
    return _SECRET_IN_PATH.sub(lambda m: m.group(1) + REDACTED, text)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):
        # An error's message may quote a URL ("job failed: ... /signature/<token>").
        text = str(value)
        cleaned = redact(text)
        return cleaned if cleaned != text else value
    return value


def _redact_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(_redacted(a) for a in args)
    elif isinstance(args, dict):
        record.args = {k: _redacted(v) for k, v in args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # Formatters print ``exc_text`` when it is set: a traceback's last line quotes the
        # error's message, which may hold a link. Rare enough to format eagerly.
        record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))


_TRACEBACKS = logging.Formatter()


def install() -> None:
    """Redact every log record created in this process from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
