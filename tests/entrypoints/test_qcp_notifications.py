"""The QCP enrollment's emails render in French with the guide's wording."""

from __future__ import annotations

import pytest

from domain.model.jobs import Notification
from domain.model.values import Email
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer

TO = Email("jessica@poussart.fr")


@pytest.fixture
def renderer():
    return NotificationRenderer(DEFAULT_TEMPLATES_DIR, "http://seing.test")


def test_the_issuance_email_is_the_guides(renderer):
    mail = renderer.render(Notification.email(TO, "qcp_certificate_issued", holder="JESSICA POUSSART",
                                              name="Jessica", validity_years="5", serial="0a", not_after="2031",
                                              cabinet="Cabinet Poussart"))
    assert "Votre certificat au nom de JESSICA POUSSART a bien été émis. Il est valable 5 ans" in mail.text
    assert "Me connecter" in mail.html


def test_an_approval_email_leads_back_to_the_enrollment(renderer):
    mail = renderer.render(Notification.email(TO, "qcp_identity_result", name="Jessica", approved="yes", reason="",
                                              attempts_left="3", enrollment_id="e1", cabinet="Cabinet Poussart"))
    assert "validée" in mail.subject
    assert "http://seing.test/qcp/e1" in mail.text


def test_a_rejection_email_says_why_and_whether_to_retry(renderer):
    mail = renderer.render(Notification.email(TO, "qcp_identity_result", name="Jessica", approved="no",
                                              reason="document_expired", attempts_left="2", enrollment_id="e1",
                                              cabinet="Cabinet Poussart"))
    assert "votre pièce d’identité est expirée" in mail.text
    assert "2 essai(s) restant(s)" in mail.text
    last = renderer.render(Notification.email(TO, "qcp_identity_result", name="Jessica", approved="no",
                                              reason="photocopie", attempts_left="0", enrollment_id="e1",
                                              cabinet="Cabinet Poussart"))
    assert "photocopie" in last.text and "Recommencer" not in last.html
