"""The « certificate issued » email of the LCP registration renders in French."""

from __future__ import annotations

from domain.model.jobs import Notification
from domain.model.values import Email
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer

NBSP = "\u00a0"


def test_the_certificate_issued_email_names_the_holder_the_cabinet_and_the_validity(tmp_path) -> None:  # noqa: ANN001
    renderer = NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example/", locale_dir=tmp_path / "locale")
    email = renderer.render(Notification.email(
        Email("jessica@poussart.fr"), "lcp_certificate_issued", display_name="Jessica POUSSART",
        cabinet_name="Cabinet Poussart", policy="LCP", serial="7f3a09bc", not_before="2026-11-28T09:00:00+00:00",
        not_after="2029-11-27T09:00:00+00:00", valid_years="3"))
    assert email.subject == f"Votre certificat de signature pour le cabinet «{NBSP}Cabinet Poussart{NBSP}» a été émis"
    assert email.text.startswith("Bonjour Jessica POUSSART,\n\n")
    for part in (email.text, email.html):
        assert "Il est valable 3 ans." in part
        assert f"Numéro de série{NBSP}: 7f3a09bc" in part
        assert f"«{NBSP}Mes certificats{NBSP}»" in part
        assert " :" not in part and " ?" not in part
