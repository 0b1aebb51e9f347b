import json
from datetime import UTC, datetime

import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.messaging import RecordingMailer, RecordingSmsSender
from adapters.messaging.outbox import OutboxMailer, OutboxSmsSender, read_outbox
from adapters.system.clock import SystemClock
from ports.contracts.messaging import MailerContract, SmsSenderContract
from ports.messaging import DeliveryError, OutgoingEmail, OutgoingSms


class TestRecordingMailer(MailerContract):
    def make_adapter(self):
        return RecordingMailer()

    def delivered(self, adapter):
        return list(adapter.sent)

    def make_unreachable_adapter(self):
        mailer = RecordingMailer()
        mailer.fail_next(1)
        return mailer


class TestRecordingSmsSender(SmsSenderContract):
    def make_adapter(self):
        return RecordingSmsSender()

    def delivered(self, adapter):
        return list(adapter.sent)

    def make_unreachable_adapter(self):
        sender = RecordingSmsSender()
        sender.fail_next(1)
        return sender


class _OutboxFolder:
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path):
        self.folder = tmp_path / "outbox"
        self.blocker = tmp_path / "not-a-folder"
        self.blocker.write_text("a file where the outbox folder should be")


class TestOutboxMailer(_OutboxFolder, MailerContract):
    def make_adapter(self):
        return OutboxMailer(self.folder, clock=SystemClock())

    def delivered(self, adapter):
        return [OutgoingEmail(to=m["to"], subject=m["subject"], text=m["text"], html=m["html"])
                for m in reversed(read_outbox(self.folder)) if m["channel"] == "email"]

    def make_unreachable_adapter(self):
        return OutboxMailer(self.blocker / "outbox", clock=SystemClock())


class TestOutboxSmsSender(_OutboxFolder, SmsSenderContract):
    def make_adapter(self):
        return OutboxSmsSender(self.folder, clock=SystemClock())

    def delivered(self, adapter):
        return [OutgoingSms(to=m["to"], text=m["text"])
                for m in reversed(read_outbox(self.folder)) if m["channel"] == "sms"]

    def make_unreachable_adapter(self):
        return OutboxSmsSender(self.blocker / "outbox", clock=SystemClock())


def test_recording_mailer_fails_as_often_as_told_then_delivers():
    mailer = RecordingMailer()
    mailer.fail_next(2, "serveur indisponible")
    email = OutgoingEmail(to="a@example.fr", subject="s", text="t")
    for _ in range(2):
        with pytest.raises(DeliveryError, match="serveur indisponible"):
            mailer.send(email)
    mailer.send(email)
    assert mailer.sent == [email]
    assert mailer.attempts == 3


def test_outbox_lists_emails_and_sms_newest_first_with_every_field(tmp_path):
    clock = FixedClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    OutboxMailer(tmp_path, clock=clock).send(
        OutgoingEmail(to="a@example.fr", subject="Bienvenue", text="Bonjour", html="<p>Bonjour</p>"))
    OutboxSmsSender(tmp_path, clock=clock).send(OutgoingSms(to="+33612345678", text="Code : 123456"))

    sms, email = read_outbox(tmp_path)

    assert sms["channel"] == "sms" and sms["to"] == "+33612345678" and sms["text"] == "Code : 123456"
    assert sms["subject"] is None and sms["html"] is None
    assert email == {"id": email["id"], "channel": "email", "to": "a@example.fr", "subject": "Bienvenue",
                     "text": "Bonjour", "html": "<p>Bonjour</p>", "created_at": "2026-11-28T09:00:00+00:00"}
    assert email["id"] < sms["id"]


def test_outbox_files_are_readable_json_with_accents_kept(tmp_path):
    OutboxMailer(tmp_path, clock=SystemClock()).send(OutgoingEmail(to="a@example.fr", subject="Réinitialisation", text="é"))
    [path] = list(tmp_path.glob("*.json"))
    assert "Réinitialisation" in path.read_text(encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8"))["subject"] == "Réinitialisation"
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_reading_an_outbox_skips_what_is_not_a_message(tmp_path):
    OutboxMailer(tmp_path, clock=SystemClock()).send(OutgoingEmail(to="a@example.fr", subject="ok", text="ok"))
    (tmp_path / "99999999999999999999-broken.json").write_text("{not json")
    (tmp_path / ".half-written.tmp").write_text("{")
    (tmp_path / "notes.txt").write_text("hello")
    assert [m["subject"] for m in read_outbox(tmp_path)] == ["ok"]


def test_a_missing_outbox_is_empty(tmp_path):
    assert read_outbox(tmp_path / "nowhere") == []


def test_reading_the_outbox_can_stop_at_a_limit(tmp_path):
    mailer = OutboxMailer(tmp_path, clock=SystemClock())
    for n in range(5):
        mailer.send(OutgoingEmail(to="a@example.fr", subject=f"n{n}", text="t"))
    assert [m["subject"] for m in read_outbox(tmp_path, limit=2)] == ["n4", "n3"]
