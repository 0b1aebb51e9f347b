"""The one-time code goes out in French, by email and by SMS, with its validity, and says what
it unlocks: a code that does not say what it is for teaches people to type codes anywhere."""

from __future__ import annotations

from domain.model.jobs import Notification
from domain.model.one_time_code import CodePurpose
from domain.model.values import Email, Mobile
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer

NBSP = "\u00a0"


def renderer(tmp_path) -> NotificationRenderer:  # noqa: ANN001
    return NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example/", locale_dir=tmp_path / "locale")


def test_the_email_code_states_the_code_what_it_is_for_and_how_long_it_works(tmp_path) -> None:  # noqa: ANN001
    email = renderer(tmp_path).render(Notification.email(
        Email("jessica@poussart.fr"), "one_time_code", code="123456", valid_minutes="10",
        purpose=CodePurpose.LCP_REGISTRATION_EMAIL.value))
    assert email.subject == f"Votre code Seing pour enregistrer votre signature personnelle{NBSP}: 123456"
    for part in (email.text, email.html):
        assert "123456" in part
        assert "pour enregistrer votre signature personnelle" in part
        assert "valable 10 minutes" in part
        assert " :" not in part and " ?" not in part
    assert email.text.startswith("Bonjour,")


def test_the_sms_code_is_one_short_french_line_naming_its_purpose(tmp_path) -> None:  # noqa: ANN001
    sms = renderer(tmp_path).render(Notification.sms(
        Mobile("06 24 00 00 13"), "one_time_code", code="654321", valid_minutes="10",
        purpose=CodePurpose.QCP_REQUEST_SIGNING.value))
    assert sms.text == (f"Seing{NBSP}: votre code pour signer votre demande de certificat qualifié est 654321. "
                        "Valable 10 min. Ne le communiquez à personne.")
    assert len(sms.text) <= 160


def test_the_qcp_email_code_and_the_lcp_sms_code_say_which_request_they_serve(tmp_path) -> None:  # noqa: ANN001
    email = renderer(tmp_path).render(Notification.email(
        Email("jessica@poussart.fr"), "one_time_code", code="111111", valid_minutes="10",
        purpose=CodePurpose.QCP_ENROLLMENT_EMAIL.value))
    assert "pour votre demande de certificat qualifié" in email.subject
    sms = renderer(tmp_path).render(Notification.sms(
        Mobile("06 24 00 00 13"), "one_time_code", code="222222", valid_minutes="10",
        purpose=CodePurpose.LCP_REGISTRATION_SMS.value))
    assert "votre code pour enregistrer votre signature personnelle est 222222" in sms.text


def test_a_signing_code_names_the_collection_it_signs_escaped_in_html(tmp_path) -> None:  # noqa: ANN001
    purpose = CodePurpose.SIGNING.scoped("c-42")
    email = renderer(tmp_path).render(Notification.email(
        Email("irina@example.fr"), "signing_code", code="333333", valid_minutes="10", purpose=purpose,
        title="Bilan 2026 <SAS Dupré & fils>"))
    assert email.subject == f"Votre code pour signer «{NBSP}Bilan 2026 <SAS Dupré & fils>{NBSP}»{NBSP}: 333333"
    assert f"pour signer «{NBSP}Bilan 2026 <SAS Dupré & fils>{NBSP}»" in email.text
    assert "Bilan 2026 &lt;SAS Dupré &amp; fils&gt;" in email.html
    assert "<SAS" not in email.html
    sms = renderer(tmp_path).render(Notification.sms(
        Mobile("06 24 00 00 13"), "signing_code", code="444444", valid_minutes="10", purpose=purpose,
        title="Bilan 2026"))
    assert sms.text.startswith(f"Seing{NBSP}: votre code pour signer «{NBSP}Bilan 2026{NBSP}» est 444444.")


def test_a_code_of_an_unknown_purpose_still_reads_as_a_sentence(tmp_path) -> None:  # noqa: ANN001
    sms = renderer(tmp_path).render(Notification.sms(
        Mobile("06 24 00 00 13"), "one_time_code", code="654321", valid_minutes="10", purpose="x"))
    assert sms.text.startswith(f"Seing{NBSP}: votre code pour confirmer votre demande est 654321.")


def test_a_long_title_is_shortened_in_the_sms_so_the_code_stays_one_message(tmp_path) -> None:  # noqa: ANN001
    sms = renderer(tmp_path).render(Notification.sms(
        Mobile("06 24 00 00 13"), "signing_code", code="555555", valid_minutes="10",
        purpose=CodePurpose.SIGNING.scoped("c-9"), title="Lettre de mission " * 12))
    assert "555555" in sms.text and "…" in sms.text
    assert len(sms.text) <= 160
