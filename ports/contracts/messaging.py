"""What every Mailer and SmsSender must do.

Hooks: ``make_adapter()``; ``delivered(adapter)`` reads back, in sending order, what
reached the other side (the recording list, the outbox folder, the SMTP server's inbox);
``make_unreachable_adapter()`` gives an adapter whose transport is down.

Transports may normalise line endings and add a final newline; the suite compares texts
modulo those two.
"""

from __future__ import annotations

from ports.messaging import DeliveryError, Mailer, OutgoingEmail, OutgoingSms, SmsSender

__all__ = ["MailerContract", "SmsSenderContract", "same_text"]


def same_text(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    def normal(s: str) -> str:
        return s.replace("\r\n", "\n").rstrip("\n")
    return normal(a) == normal(b)


_FRENCH_SUBJECT = ("Invitation à rejoindre le cabinet «\u00a0Dupré & Associés\u00a0»\u00a0: "
                   "répondez avant Noël\u00a0!")
_FRENCH_TEXT = ("Bonjour Hélène,\n\nVous êtes invitée à rejoindre le cabinet « Dupré & Associés ».\n"
                "Coût\u00a0: 0\u00a0€ — ça ne prend qu’une minute\u00a0!\n")
_FRENCH_HTML = "<p>Bonjour Hélène,</p><p>Cabinet «\u00a0Dupré &amp; Associés\u00a0» : ça va ?</p>"


class MailerContract:
    def make_adapter(self) -> Mailer:
        raise NotImplementedError

    def delivered(self, adapter: Mailer) -> list[OutgoingEmail]:
        raise NotImplementedError

    def make_unreachable_adapter(self) -> Mailer:
        raise NotImplementedError

    def test_is_a_mailer(self) -> None:
        assert isinstance(self.make_adapter(), Mailer)

    def test_delivers_french_subject_text_and_html_intact(self) -> None:
        mailer = self.make_adapter()
        mailer.send(OutgoingEmail(to="helene.dupre@example.fr", subject=_FRENCH_SUBJECT,
                                  text=_FRENCH_TEXT, html=_FRENCH_HTML))
        [got] = self.delivered(mailer)
        assert got.to == "helene.dupre@example.fr"
        assert got.subject == _FRENCH_SUBJECT
        assert same_text(got.text, _FRENCH_TEXT)
        assert same_text(got.html, _FRENCH_HTML)

    def test_a_text_only_email_stays_text_only(self) -> None:
        mailer = self.make_adapter()
        mailer.send(OutgoingEmail(to="a@example.fr", subject="Code", text="Votre code : 123456"))
        [got] = self.delivered(mailer)
        assert same_text(got.text, "Votre code : 123456")
        assert got.html is None

    def test_long_lines_and_subjects_survive_the_trip(self) -> None:
        mailer = self.make_adapter()
        subject = "Réinitialisation " * 12
        text = "é" * 2000 + "\n" + "x" * 1500
        mailer.send(OutgoingEmail(to="a@example.fr", subject=subject.strip(), text=text))
        [got] = self.delivered(mailer)
        assert got.subject == subject.strip()
        assert same_text(got.text, text)

    def test_messages_arrive_in_sending_order(self) -> None:
        mailer = self.make_adapter()
        for n in range(3):
            mailer.send(OutgoingEmail(to=f"person{n}@example.fr", subject=f"Message {n}", text=f"n° {n}"))
        assert [(e.to, e.subject) for e in self.delivered(mailer)] == [
            (f"person{n}@example.fr", f"Message {n}") for n in range(3)]

    def test_an_unreachable_transport_raises_delivery_error(self) -> None:
        mailer = self.make_unreachable_adapter()
        try:
            mailer.send(OutgoingEmail(to="a@example.fr", subject="Perdu", text="Perdu"))
        except DeliveryError:
            return
        raise AssertionError("send() returned although the transport is down")


class SmsSenderContract:
    def make_adapter(self) -> SmsSender:
        raise NotImplementedError

    def delivered(self, adapter: SmsSender) -> list[OutgoingSms]:
        raise NotImplementedError

    def make_unreachable_adapter(self) -> SmsSender:
        raise NotImplementedError

    def test_is_an_sms_sender(self) -> None:
        assert isinstance(self.make_adapter(), SmsSender)

    def test_delivers_the_text_to_the_number(self) -> None:
        sender = self.make_adapter()
        sender.send(OutgoingSms(to="+33612345678", text="Seing : votre code est 482 913. Ne le partagez pas."))
        [got] = self.delivered(sender)
        assert got.to == "+33612345678"
        assert same_text(got.text, "Seing : votre code est 482 913. Ne le partagez pas.")

    def test_messages_arrive_in_sending_order(self) -> None:
        sender = self.make_adapter()
        for n in range(3):
            sender.send(OutgoingSms(to=f"+3361234567{n}", text=f"Code {n}"))
        assert [(s.to, s.text) for s in self.delivered(sender)] == [
            (f"+3361234567{n}", f"Code {n}") for n in range(3)]

    def test_an_unreachable_transport_raises_delivery_error(self) -> None:
        sender = self.make_unreachable_adapter()
        try:
            sender.send(OutgoingSms(to="+33612345678", text="Perdu"))
        except DeliveryError:
            return
        raise AssertionError("send() returned although the transport is down")
