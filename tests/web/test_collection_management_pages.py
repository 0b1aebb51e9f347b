"""The « Collectes » dashboard and the collection page: timeline, reminders, order, replacement, cancellation."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from entrypoints import french
from tests.intake import corpus
from tests.web.conftest import login, post_form, queued_token


def sent_collection(container: Any, owner: Any, title: str = "Lettre de mission 2027", *, send: bool = True,
                    signers: int = 2, mode: InvitationMode = InvitationMode.SEQUENTIAL) -> str:
    uc = container.use_cases
    collection_id = uc.create_collection_draft(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id,
                                               title=title, mode=mode)
    uc.add_collection_document(collection_id=collection_id, by_person_id=owner.person_id, name="mission.pdf",
                               content=corpus.minimal_pdf(2))
    people = [("Paul", "Martin"), ("Zoé", "Durand"), ("Léa", "Petit")]
    for given, surname in people[:signers]:
        uc.add_signer(collection_id=collection_id, by_person_id=owner.person_id, kind=SignerKind.EXTERNAL,
                      level=SignatureLevel.SIMPLE, given_names=given, surname=surname,
                      email=f"{given.lower()}@example.fr".replace("é", "e"))
    if send:
        uc.send_collection(collection_id=collection_id, by_person_id=owner.person_id)
    return collection_id


def record_signature(container: Any, collection_id: str, signer_id: str) -> None:
    """What the ceremony's last transaction records once the signer's documents are signed."""
    from domain.services.audit import commit_with_trail

    adapters = container.adapters
    with adapters.uow() as tx:
        collection = tx.collections.get(collection_id)
        collection.record_signature(signer_id=signer_id, now=adapters.clock().now(), new_token=adapters.ids().new_token)
        commit_with_trail(tx, collection)


def details(container: Any, owner: Any, collection_id: str) -> Any:
    return container.use_cases.collection_details(collection_id=collection_id, by_person_id=owner.person_id)


def test_the_dashboard_lists_filters_searches_and_pages(client, container, owner):
    running = sent_collection(container, owner, "Lettre de mission 2027")
    sent_collection(container, owner, "Mandat SEPA", send=False)
    for number in range(21):
        sent_collection(container, owner, f"Bulletin {number:02d}", send=False, signers=1)
    record_signature(container, running, details(container, owner, running).signers[0].signer_id)
    login(client)
    page = client.get("/collectes")
    assert page.status_code == 200
    assert "23 collectes" in page.text and "Page 1 sur 2" in page.text
    assert client.get("/collectes?page=2").text.count("<tr>") == 1 + 3  # header + the last three rows
    in_progress = client.get("/collectes?statut=in_progress").text
    assert "Lettre de mission 2027" in in_progress and "Mandat SEPA" not in in_progress
    assert "1 sur 2 signé" in in_progress and "En cours" in in_progress
    by_signer = client.get("/collectes", params={"q": "zoe"}).text
    assert "Lettre de mission 2027" in by_signer and "Bulletin" not in by_signer
    by_title = client.get("/collectes", params={"q": "sepa"}).text
    assert "Mandat SEPA" in by_title and "Lettre de mission" not in by_title
    assert 'option value="in_progress" selected' in in_progress


def test_the_collection_page_shows_progress_and_a_french_timeline(client, container, owner):
    collection_id = sent_collection(container, owner)
    login(client)
    page = client.get(f"/collectes/{collection_id}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Lettre de mission 2027</h1>" in text
    assert "0 sur 2 signé" in text and "Invitations séquentielles" in text
    assert "Invitation envoyée à Paul Martin" in text and "Collecte envoyée" in text
    assert "Document ajouté\u00a0: mission.pdf" in text
    # The fixed clock: 28 November 2026 at 09:00 UTC, 10 h 00 in Paris.
    assert "28 novembre 2026 à 10 h 00" in text
    assert "En attente de son tour" in text and "Invité" in text
    document_id = details(container, owner, collection_id).documents[0].document_id
    original = client.get(f"/collectes/{collection_id}/documents/{document_id}/original")
    assert original.status_code == 200 and original.content == corpus.minimal_pdf(2)
    assert original.headers["content-type"] == "application/pdf"
    assert "attachment" in original.headers["content-disposition"]


def _possible_on(container: Any, owner: Any, collection_id: str, signer_id: str) -> str:
    """« le 28 novembre 2026 à 11 h 00 »: the domain's time, written by the one typography helper."""
    signer = next(s for s in details(container, owner, collection_id).signers if s.signer_id == signer_id)
    return french.on_moment(signer.reminder_possible_at)


def test_relancer_says_when_the_first_reminder_is_possible_and_waits_until_then(client, container, owner):
    collection_id = sent_collection(container, owner)
    paul = details(container, owner, collection_id).signers[0].signer_id
    login(client)
    first_on = _possible_on(container, owner, collection_id, paul)
    page = client.get(f"/collectes/{collection_id}").text
    button = re.search(rf'action="/collectes/{collection_id}/signataires/{paul}/relancer".*?</form>', page, re.S).group(0)
    assert "disabled" in button and f"Première relance possible {first_on}" in button
    too_soon = post_form(client, f"/collectes/{collection_id}/signataires/{paul}/relancer")
    assert too_soon.status_code == 429
    assert (f"L’invitation vient d’être envoyée\u00a0: la première relance est possible une heure après. "
            f"Relance possible {first_on}.") in too_soon.text
    assert "Une relance vient d’être envoyée" not in too_soon.text  # none was
    container.adapters.clock().advance(timedelta(hours=2))
    assert "Première relance possible" not in client.get(f"/collectes/{collection_id}").text
    reminded = post_form(client, f"/collectes/{collection_id}/signataires/{paul}/relancer")
    assert reminded.status_code == 303
    assert queued_token(container, "collection_reminder", "paul@example.fr")
    page = client.get(f"/collectes/{collection_id}").text
    assert "Relance envoyée." in page and "Relance envoyée à Paul Martin" in page
    assert f"Prochaine relance possible {_possible_on(container, owner, collection_id, paul)}" in page
    again = post_form(client, f"/collectes/{collection_id}/signataires/{paul}/relancer")
    assert again.status_code == 429
    assert "Une relance vient d’être envoyée\u00a0: la suivante est possible une heure après. Relance possible le " \
        in again.text


def test_the_remaining_signers_can_be_moved_while_it_runs(client, container, owner):
    collection_id = sent_collection(container, owner)
    paul, zoe = [s.signer_id for s in details(container, owner, collection_id).signers]
    login(client)
    # Paul is on holiday: Zoé goes first, and is invited now.
    moved = post_form(client, f"/collectes/{collection_id}/ordre", {"action": f"descendre:{paul}"})
    assert moved.status_code == 303
    running = details(container, owner, collection_id)
    assert [s.signer_id for s in running.signers] == [zoe, paul]
    assert running.signers[0].status is SignerStatus.INVITED and running.signers[1].status is SignerStatus.PENDING
    assert queued_token(container, "collection_invitation", "zoe@example.fr")
    page = client.get(f"/collectes/{collection_id}").text
    assert "Ordre des signataires modifié\u00a0: Paul Martin est maintenant en position 2 sur 2." in page
    assert "Tour de Paul Martin reporté" in page


def test_a_reorder_in_place_fills_the_live_region(client, container, owner):
    collection_id = sent_collection(container, owner, signers=3)
    paul, zoe, lea = [s.signer_id for s in details(container, owner, collection_id).signers]
    login(client)
    empty = client.get(f"/collectes/{collection_id}").text
    assert re.search(r'<p id="order-status"[^>]*aria-live="polite"[^>]*>\s*</p>', empty)
    moved = post_form(client, f"/collectes/{collection_id}/ordre", {"action": f"monter:{lea}"},
                      headers={"HX-Request": "true"})
    assert moved.status_code == 200
    assert re.search(r'<p id="order-status"[^>]*aria-live="polite"[^>]*>Ordre des signataires modifié\u00a0: '
                     r'Léa Petit est maintenant en position 2 sur 3.</p>', moved.text)
    assert [s.signer_id for s in details(container, owner, collection_id).signers] == [paul, lea, zoe]


def test_a_running_parallel_collection_offers_no_reordering(client, container, owner):
    parallel = sent_collection(container, owner, signers=3, mode=InvitationMode.PARALLEL)
    sequential = sent_collection(container, owner, "Mandat SEPA", signers=3)
    login(client)
    assert 'value="monter:' not in client.get(f"/collectes/{parallel}").text
    assert 'value="descendre:' in client.get(f"/collectes/{sequential}").text


def test_a_signer_who_signed_keeps_their_place(client, container, owner):
    collection_id = sent_collection(container, owner, signers=3)
    paul = details(container, owner, collection_id).signers[0].signer_id
    record_signature(container, collection_id, paul)
    login(client)
    page = client.get(f"/collectes/{collection_id}").text
    assert f'value="monter:{paul}"' not in page
    zoe = details(container, owner, collection_id).signers[1].signer_id
    refused = post_form(client, f"/collectes/{collection_id}/ordre", {"action": f"monter:{zoe}"})
    assert refused.status_code == 409
    assert "Un signataire qui a déjà signé ne peut pas changer de place." in refused.text


def test_remplacer_puts_someone_else_in_the_same_place(client, container, owner):
    collection_id = sent_collection(container, owner)
    paul = details(container, owner, collection_id).signers[0].signer_id
    login(client)
    form = client.get(f"/collectes/{collection_id}/signataires/{paul}/remplacer")
    assert form.status_code == 200 and "Remplacer Paul Martin" in form.text
    missing = post_form(client, f"/collectes/{collection_id}/signataires/{paul}/remplacer",
                        {"kind": "external", "level": "1", "given_names": "Léa", "surname": "Petit"})
    assert missing.status_code == 422 and "Indiquez l’adresse e-mail." in missing.text
    replaced = post_form(client, f"/collectes/{collection_id}/signataires/{paul}/remplacer",
                         {"kind": "external", "level": "2", "given_names": "Léa", "surname": "Petit",
                          "email": "lea@example.fr", "mobile": "06 55 44 33 22"})
    assert replaced.status_code == 303
    first = details(container, owner, collection_id).signers[0]
    assert first.display_name == "Léa Petit" and first.status is SignerStatus.INVITED
    assert queued_token(container, "collection_invitation", "lea@example.fr")
    assert "Paul Martin remplacé par Léa Petit" in client.get(f"/collectes/{collection_id}").text


def test_annuler_asks_for_confirmation(client, container, owner):
    collection_id = sent_collection(container, owner)
    login(client)
    confirm = client.get(f"/collectes/{collection_id}/annuler")
    assert confirm.status_code == 200 and "Je confirme l’annulation de cette collecte" in confirm.text
    unconfirmed = post_form(client, f"/collectes/{collection_id}/annuler", {"reason": "Le client a changé d’avis"})
    assert unconfirmed.status_code == 400
    assert "Cochez la case pour confirmer l’annulation." in unconfirmed.text
    assert ">Le client a changé d’avis</textarea>" in unconfirmed.text  # kept
    assert details(container, owner, collection_id).summary.status is CollectionStatus.IN_PROGRESS
    cancelled = post_form(client, f"/collectes/{collection_id}/annuler",
                          {"confirmation": "on", "reason": "Le client a changé d’avis"})
    assert cancelled.status_code == 303
    assert details(container, owner, collection_id).summary.status is CollectionStatus.CANCELLED
    page = client.get(f"/collectes/{collection_id}").text
    assert "Annulée" in page and "Collecte annulée" in page and "Relancer" not in page
    assert "Motif de l’annulation" in page and "Le client a changé d’avis" in page
    told = [job.spec.as_notification() for job in container.adapters.job_store().list(limit=1000)
            if job.spec.kind == "notify" and job.spec.as_notification().template == "collection_cancelled"]
    assert [(n.to, n.context_dict()["reason"]) for n in told] == [("paul@example.fr", "Le client a changé d’avis")]
    assert re.search(r'href="/collectes/[\w-]+/annuler"', page) is None


def test_annuler_asks_why_and_says_so_next_to_the_field(client, container, owner):
    collection_id = sent_collection(container, owner)
    login(client)
    form = client.get(f"/collectes/{collection_id}/annuler").text
    assert '<label for="reason">Motif de l’annulation' in form
    no_reason = post_form(client, f"/collectes/{collection_id}/annuler", {"confirmation": "on", "reason": "  "})
    assert no_reason.status_code == 400
    assert re.search(r'<textarea id="reason"[^>]*aria-invalid="true" autofocus', no_reason.text)
    assert ('<small id="reason-erreur" class="field-error">Indiquez le motif de l’annulation\u00a0: '
            "il est transmis aux signataires.</small>") in no_reason.text
    assert no_reason.text.count("autofocus") == 1
    assert details(container, owner, collection_id).summary.status is CollectionStatus.IN_PROGRESS


def test_a_draft_is_cancelled_without_a_reason(client, container, owner):
    draft = sent_collection(container, owner, send=False)
    login(client)
    cancelled = post_form(client, f"/collectes/{draft}/annuler", {"confirmation": "on"})
    assert cancelled.status_code == 303
    assert details(container, owner, draft).summary.status is CollectionStatus.CANCELLED
