"""Development mode: messages land as JSON files in a folder instead of leaving the machine.

The ``/dev/outbox`` page and ``seing outbox --json`` read them back with ``read_outbox``.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ports.clock import Clock
from ports.messaging import DeliveryError, OutgoingEmail, OutgoingSms, SmsProviderConfig
from ports.providers import ProviderConfig

__all__ = ["OutboxMailer", "OutboxSmsSender", "mailer_factory", "read_outbox", "sms_factory"]

_SUFFIX = ".json"

_sequence_lock = threading.Lock()
_last_stamp = 0


def _next_stamp() -> int:
    """Nanoseconds since the epoch, strictly increasing within the process.

    File names sort by this stamp, so two messages written in the same instant (or
    while a test holds the clock still) still come back in the order they were sent.
    """
    global _last_stamp
    with _sequence_lock:
        _last_stamp = max(time.time_ns(), _last_stamp + 1)
        return _last_stamp


class _Outbox:
    def __init__(self, directory: str | os.PathLike[str], *, clock: Clock) -> None:
        self._directory = Path(directory)
        # created_at follows the application clock (the Clock port); the file order never depends on it.
        self._clock = clock

    def _created_at(self) -> str:
        return self._clock.now().isoformat()

    def _store(self, record: dict[str, Any]) -> str:
        message_id = f"{_next_stamp():020d}-{uuid.uuid4().hex[:8]}"
        record = {"id": message_id, **record, "created_at": self._created_at()}
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            # Write beside the target then rename: a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self._directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(record, handle, ensure_ascii=False, indent=2)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self._directory / f"{message_id}{_SUFFIX}")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise DeliveryError(f"cannot write to the outbox {self._directory}: {exc}") from exc
        return message_id


    @property
    def folder(self) -> Path:
        return self._directory


class OutboxMailer(_Outbox):
    def send(self, email: OutgoingEmail) -> None:
        self._store({"channel": "email", "to": email.to, "subject": email.subject,
                     "text": email.text, "html": email.html})


class OutboxSmsSender(_Outbox):
    def send(self, sms: OutgoingSms) -> None:
        self._store({"channel": "sms", "to": sms.to, "subject": None, "text": sms.text, "html": None})


def sms_factory(config: SmsProviderConfig) -> OutboxSmsSender:
    """Entry point ``outbox`` of ``seing.sms_senders`` (development only: the composition
    root refuses it outside dev mode)."""
    if config.outbox_dir is None:
        raise ValueError("the SMS outbox needs a folder")
    return OutboxSmsSender(config.outbox_dir, clock=config.clock)


_FIELDS = ("id", "channel", "to", "subject", "text", "html", "created_at")


def read_outbox(directory: str | os.PathLike[str], *, limit: int | None = None) -> list[dict[str, Any]]:
    """Messages in the outbox, newest first; a missing folder is an empty outbox.

    Each dict has: id, channel ("email" or "sms"), to, subject, text, html, created_at
    (ISO 8601). Unreadable files are skipped rather than breaking the page.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    names = sorted((p for p in folder.iterdir()
                    if p.suffix == _SUFFIX and not p.name.startswith(".")), reverse=True)
    messages: list[dict[str, Any]] = []
    for path in names:
        if limit is not None and len(messages) >= limit:
            break
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            messages.append({field: data.get(field) for field in _FIELDS})
    return messages


def mailer_factory(config: ProviderConfig) -> OutboxMailer:
    """Entry point ``outbox`` of ``seing.mailers`` (development): JSON files in ``<data_dir>/outbox``."""
    return OutboxMailer(config.option("outbox_dir") or config.data_dir / "outbox", clock=config.clock)


def _sent(folder: Path) -> list[dict[str, Any]]:
    return list(reversed(read_outbox(folder)))  # read_outbox lists the newest first


class _OutboxMailerContractHooks:
    """What ``ports.contracts.providers.contract_for`` mixes into the mailer contract: the
    messages read back from the folder, and an outbox whose folder cannot be created."""

    def delivered(self, adapter: OutboxMailer) -> list[OutgoingEmail]:
        return [OutgoingEmail(to=m["to"], subject=m["subject"], text=m["text"], html=m["html"])
                for m in _sent(adapter.folder)]

    def make_unreachable_adapter(self) -> OutboxMailer:
        config = self.provider_config()  # type: ignore[attr-defined]
        blocker = config.data_dir / "a-file-not-a-folder"
        blocker.write_bytes(b"")
        return OutboxMailer(blocker / "outbox", clock=config.clock)


class _OutboxSmsContractHooks:
    """The same for the SMS contract."""

    def delivered(self, adapter: OutboxSmsSender) -> list[OutgoingSms]:
        return [OutgoingSms(to=m["to"], text=m["text"]) for m in _sent(adapter.folder)]

    def make_unreachable_adapter(self) -> OutboxSmsSender:
        config = self.provider_config()  # type: ignore[attr-defined]
        blocker = Path(config.outbox_dir).parent / "a-file-not-a-folder"
        blocker.write_bytes(b"")
        return OutboxSmsSender(blocker / "outbox", clock=config.clock)


mailer_factory.contract_hooks = _OutboxMailerContractHooks  # type: ignore[attr-defined]
sms_factory.contract_hooks = _OutboxSmsContractHooks  # type: ignore[attr-defined]
