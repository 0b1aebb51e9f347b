"""Every notification a collection produces renders in French, with the right link."""

from __future__ import annotations

import pytest

from domain.model.collection import InvitationMode
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer
from tests.domain.collection_builders import PREPARER, T0, Tokens, identity, later, ready

NBSP = "\u00a0"


@pytest.fixture
def renderer(tmp_path):
    return NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example/", locale_dir=tmp_path / "locale")


def every_kind_of_notification():
    """One run of each ending, gathering all the notifications the aggregate decided."""
    out = []
    tokens = Tokens()
    c = ready(2, mode=InvitationMode.SEQUENTIAL)
    c.add_observer(by=PREPARER, observer_id="o", identity=identity(9), now=T0)
    out += c.send(by=PREPARER, now=T0, new_token=tokens)
    out.append(c.remind(signer_id="sig-2", now=later(days=3), new_token=tokens))
    out += c.replace_signer(by=PREPARER, signer_id="sig-2", new_signer_id="sig-7", kind=SignerKind.EXTERNAL,
                            identity=identity(7), level=SignatureLevel.SIMPLE, now=later(days=3), new_token=tokens)
    out += c.record_signature(signer_id="sig-7", now=later(days=4), new_token=tokens)
    out += c.record_signature(signer_id="sig-3", now=later(days=4), new_token=tokens)  # completed
    refused = ready(2, mode=InvitationMode.PARALLEL)
    refused.send(by=PREPARER, now=T0, new_token=tokens)
    out += refused.refuse(signer_id="sig-2", reason="Le montant est faux.", now=later(days=1))
    expired = ready(1)
    expired.add_observer(by=PREPARER, observer_id="o", identity=identity(9), now=T0)
    expired.send(by=PREPARER, now=T0, new_token=tokens)
    out += expired.expire(now=expired.deadline)
    cancelled = ready(1)
    cancelled.send(by=PREPARER, now=T0, new_token=tokens)
    out += cancelled.cancel(by=PREPARER, now=later(days=1), reason="Dossier réglé autrement")
    return out


def test_every_collection_notification_renders(renderer):
    notifications = every_kind_of_notification()
    assert {n.template for n in notifications} == {
        "collection_invitation", "collection_reminder", "collection_invitation_withdrawn", "collection_completed",
        "collection_refused", "collection_refused_signer", "collection_expired", "collection_cancelled"}
    for notification in notifications:
        email = renderer.render(notification)
        assert email.subject and "Bonjour" in email.text and email.html.startswith("<!DOCTYPE html>")


def test_the_invitation_carries_the_personal_link_and_the_preparers_message(renderer):
    invitation = every_kind_of_notification()[0]
    email = renderer.render(invitation)
    token = invitation.context_dict()["token"]
    assert email.subject == f"PrénomA NomA vous invite à signer «{NBSP}Lettre de mission 2027{NBSP}»"
    assert f"\nhttps://seing.example/signature/{token}\n" in email.text
    assert "Merci de signer." in email.text
    assert f'href="https://seing.example/signature/{token}"' in email.html


def test_the_preparer_reads_the_refusal_reason(renderer):
    refusal = next(n for n in every_kind_of_notification() if n.template == "collection_refused")
    email = renderer.render(refusal)
    assert refusal.to == "person1@example.org"
    assert "Le montant est faux." in email.text
    assert "https://seing.example/collectes/col-1" in email.text


def test_the_other_signers_read_that_the_collection_was_refused_but_not_the_reason(renderer):
    to_signer = next(n for n in every_kind_of_notification() if n.template == "collection_refused_signer")
    email = renderer.render(to_signer)
    assert to_signer.to == "person3@example.org"
    assert email.subject == f"La collecte «{NBSP}Lettre de mission 2027{NBSP}» a été refusée"
    assert "Bonjour PrénomC NomC" in email.text and "aucun document signé ne sera envoyé" in email.text
    assert "le lien de votre invitation indique désormais que la collecte" in email.text
    assert "Le montant est faux." not in email.text and "Le montant est faux." not in (email.html or "")


def test_signers_of_an_expired_collection_are_told_their_link_is_dead(renderer):
    expired = [n for n in every_kind_of_notification() if n.template == "collection_expired"]
    to_signer = next(n for n in expired if n.to == "person2@example.org")
    to_preparer = next(n for n in expired if n.to == "person1@example.org")
    assert "ne fonctionnent plus" in renderer.render(to_signer).text
    assert "0/1" in renderer.render(to_preparer).text


def test_french_typography_in_every_collection_notification(renderer):
    for notification in every_kind_of_notification():
        email = renderer.render(notification)
        for part in (email.subject, email.text, email.html):
            assert " :" not in part and " ?" not in part and " !" not in part and " »" not in part


def test_signers_of_a_cancelled_collection_read_why(renderer):
    cancelled = next(n for n in every_kind_of_notification() if n.template == "collection_cancelled")
    email = renderer.render(cancelled)
    assert f"Motif de l’annulation{NBSP}:\nDossier réglé autrement" in email.text
    assert "Dossier réglé autrement" in email.html and "ne fonctionne plus" in email.text


def test_a_failed_archive_renewal_names_the_collection_or_the_sealing_day(renderer):
    from domain.model.jobs import Notification

    common = {"locale": "fr", "file_name": "bilan.pdf", "recipient_name": "Jessica Poussart",
              "deadline": "01/02/2031", "failures": "1", "error": "timestamp.unavailable"}
    of_collection = renderer.render(Notification.email("j@poussart.fr", "archive_renewal_failed", collection_id="c",
                                                       collection_title="Bilan 2026", **common))
    assert "de la collecte" in of_collection.text and "Bilan 2026" in of_collection.subject
    of_sealing = renderer.render(Notification.email("j@poussart.fr", "archive_renewal_failed", collection_id="s",
                                                    sealed_on="14/12/2026", **common))
    assert "scellé le 14/12/2026" in of_sealing.text and "collecte" not in of_sealing.text
    assert "documents scellés le 14/12/2026" in of_sealing.subject and "collecte" not in of_sealing.html
