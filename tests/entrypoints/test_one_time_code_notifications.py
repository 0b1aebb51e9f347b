"""The one-time code goes out in French, by email and by SMS, with its validity."""

from __future__ import annotations

from domain.model.jobs import Notification
from domain.model.values import Email, Mobile
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer

NBSP = "\u00a0"


def renderer(tmp_path) -> NotificationRenderer:  # noqa: ANN001
    return NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example/", locale_dir=tmp_path / "locale")


def test_the_email_code_states_the_code_and_how_long_it_works(tmp_path) -> None:  # noqa: ANN001
    email = renderer(tmp_path).render(Notification.email(
        Email("jessica@poussart.fr"), "one_time_code", code="123456", valid_minutes="10",
        purpose="lcp_registration_email:c1"))
    assert email.subject == f"Votre code de vérification Seing{NBSP}: 123456"
    for part in (email.text, email.html):
        assert "123456" in part
        assert "valable 10 minutes" in part
        assert " :" not in part and " ?" not in part


def test_the_sms_code_is_one_short_french_line(tmp_path) -> None:  # noqa: ANN001
    sms = renderer(tmp_path).render(Notification.sms(
        Mobile("06 24 00 00 13"), "one_time_code", code="654321", valid_minutes="10", purpose="x"))
    assert sms.text == (f"Seing{NBSP}: votre code de vérification est 654321. Valable 10 min. "
                        "Ne le communiquez à personne.")
    assert len(sms.text) <= 160
