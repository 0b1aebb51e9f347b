"""« Collectes »: the six steps of the wizard, their refusals in French, and drafts kept intact."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.model.cabinet import Delegation, Role
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.signer import SignatureLevel
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.intake import corpus, hostile
from tests.web.conftest import OWNER_EMAIL, error_for, login, post_form, queued_token

COLLABORATOR = "irina.faron@example.fr"
COLLABORATOR_PASSWORD = "irina chooses a long one"
PDF = "application/pdf"


def upload(client: TestClient, path: str, *files: tuple[str, bytes], action: str = "ajouter") -> Any:
    return post_form(client, path, {"action": action}, files=[("fichiers", (name, content, PDF))
                                                                for name, content in files])


def new_draft(client: TestClient, *files: tuple[str, bytes]) -> str:
    response = upload(client, "/collectes/nouvelle", *(files or [("lettre-de-mission.pdf", corpus.minimal_pdf(2))]))
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/collectes/([\w-]+)/documents", response.headers["location"])
    assert match
    return match.group(1)


def details(container: Any, owner: Any, collection_id: str) -> Any:
    return container.use_cases.collection_details(collection_id=collection_id, by_person_id=owner.person_id)


def add_member(container: Any, owner: Any, *delegations: Delegation, email: str = COLLABORATOR,
               mobile: str | None = "06 11 22 33 44") -> str:
    container.use_cases.invite_member(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id, email=email,
                                      given_names="Irina", surname="Faron", role=Role.COLLABORATOR,
                                      delegations=frozenset(delegations))
    token = queued_token(container, "member_invitation", email)
    return container.use_cases.accept_invitation(token=token, password=COLLABORATOR_PASSWORD, mobile=mobile)


def add_external(client: TestClient, collection_id: str, **overrides: str) -> Any:
    data = {"kind": "external", "given_names": "Paul", "surname": "Martin", "email": "paul.martin@example.fr",
            "mobile": "06 12 34 56 78", "level": "2"}
    data.update(overrides)
    return post_form(client, f"/collectes/{collection_id}/signataires/ajouter", data)


def signer_ids(container: Any, owner: Any, collection_id: str) -> list[str]:
    return [s.signer_id for s in details(container, owner, collection_id).signers]


# -- who may prepare ---------------------------------------------------------------------------------------


def test_the_dashboard_needs_a_login(client):
    response = client.get("/collectes", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")


def test_a_member_without_prepare_gets_a_french_refusal(client, container, owner):
    add_member(container, owner, Delegation.SIGN)
    login(client, COLLABORATOR, COLLABORATOR_PASSWORD)
    for path in ("/collectes", "/collectes/nouvelle"):
        response = client.get(path)
        assert response.status_code == 403
        assert "demande la délégation «\u00a0Préparer\u00a0»" in response.text
    refused = upload(client, "/collectes/nouvelle", ("a.pdf", corpus.minimal_pdf()))
    assert refused.status_code == 403
    assert container.use_cases.list_collections(cabinet_id=owner.cabinet_id,
                                                by_person_id=owner.person_id).total == 0
    assert 'href="/collectes"' not in client.get("/cabinet/membres").text


def test_the_menu_shows_collectes_to_a_preparer(client, owner):
    login(client)
    assert '<a href="/collectes"' in client.get("/cabinet/membres").text


# -- step 1: documents -----------------------------------------------------------------------------------


def test_step_one_shows_the_stepper_and_a_plain_file_input(client, owner):
    login(client)
    page = client.get("/collectes/nouvelle")
    assert page.status_code == 200
    assert '<span aria-current="step"><span class="step-number">1</span> Documents</span>' in page.text
    for label in ("Informations", "Options", "Signataires", "Placement des signatures", "Récapitulatif"):
        assert label in page.text
    assert re.search(r'<input type="file" id="fichiers" name="fichiers" accept="application/pdf,.pdf" multiple', page.text)
    assert '<label for="fichiers">Fichiers PDF à signer</label>' in page.text
    assert "25\u00a0Mo au plus par fichier" in page.text or "25 Mo au plus par fichier" in page.text


def test_several_pdfs_make_a_draft_with_thumbnails(client, container, owner):
    login(client)
    collection_id = new_draft(client, ("Lettre de mission.pdf", corpus.minimal_pdf(2)),
                              ("Mandat SEPA.pdf", corpus.pdfium_pdf(1)))
    draft = details(container, owner, collection_id)
    assert draft.summary.status is CollectionStatus.DRAFT
    assert draft.summary.title == "Lettre de mission"
    assert [d.name for d in draft.documents] == ["Lettre de mission.pdf", "Mandat SEPA.pdf"]
    page = client.get(f"/collectes/{collection_id}/documents")
    assert "2 pages" in page.text and "1 page" in page.text
    first = draft.documents[0].document_id
    assert f'/collectes/{collection_id}/documents/{first}/pages/1?largeur=160' in page.text
    image = client.get(f"/collectes/{collection_id}/documents/{first}/pages/1?largeur=160")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("photo.pdf", corpus.png_image(), "Ce fichier n’est pas un PDF. Seuls les documents PDF peuvent être signés."),
    ("protege.pdf", corpus.encrypted_pdf(), "Ce PDF est protégé par un mot de passe ou chiffré."),
    ("tronque.pdf", corpus.truncated_pdf(), "Ce PDF est endommagé ou incomplet"),
    ("vide.pdf", b"", None),
    ("script.pdf", hostile.open_action_javascript(), "Ce PDF contient du contenu actif (JavaScript"),
    ("lanceur.pdf", hostile.launch_action(), "Ce PDF contient du contenu actif"),
    ("imbrique.pdf", hostile.deep_nesting(), "Ce PDF demande trop de mémoire ou de temps pour être lu"),
], ids=["renamed-png", "encrypted", "truncated", "empty", "javascript", "launch", "deep-nesting"])
def test_a_refused_file_is_named_with_its_french_reason_and_the_draft_stays_intact(client, container, owner, name,
                                                                                   content, message):
    login(client)
    collection_id = new_draft(client)
    response = upload(client, f"/collectes/{collection_id}/documents", (name, content),
                      ("annexe.pdf", corpus.minimal_pdf(1)))
    if content == b"":
        # A browser sends no file for an empty one only when nothing was chosen; here it is empty.
        assert response.status_code in (400, 422)
    else:
        assert response.status_code == 422
        refusal = re.search(r'<strong class="file-name">(.*?)</strong>\u00a0: <span class="refusal-message">(.*?)</span>',
                            response.text)
        assert refusal, response.text
        assert refusal.group(1) == name and refusal.group(2).startswith(message)
    # The good file of the same request is kept, the first one too: nothing lost.
    names = [d.name for d in details(container, owner, collection_id).documents]
    assert names[0] == "lettre-de-mission.pdf" and "annexe.pdf" in names and name not in names


def test_an_oversized_file_is_refused_in_french(tmp_path: Path):
    container = build_container(Settings(data_dir=tmp_path, dev_mode=True, max_upload_mb=1), fakes=True)
    owner = container.use_cases.create_cabinet(
        name="Cabinet", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password="correct horse battery")
    from tests.apps import app_for

    with TestClient(app_for(container), base_url="http://testserver.local") as client:
        login(client)
        big = corpus.minimal_pdf(1) + b"%" + b"x" * (1024 * 1024 + 10)
        response = upload(client, "/collectes/nouvelle", ("gros.pdf", big))
        assert response.status_code == 422
        assert "Ce fichier dépasse la taille maximale autorisée." in response.text
        assert "1\u00a0Mo au plus par fichier" in response.text or "1 Mo au plus par fichier" in response.text
    assert container.use_cases.list_collections(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id).total == 0


def test_submitting_no_file_asks_for_one(client, owner):
    login(client)
    response = post_form(client, "/collectes/nouvelle", {"action": "ajouter"}, files={"autre": ("x", b"", "text/plain")})
    assert response.status_code == 400
    assert error_for(response.text, "fichiers") == "Choisissez au moins un fichier PDF."


def test_a_document_can_be_removed_and_continue_needs_one(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    document_id = details(container, owner, collection_id).documents[0].document_id
    assert post_form(client, f"/collectes/{collection_id}/documents/{document_id}/retirer").status_code == 303
    assert details(container, owner, collection_id).documents == ()
    response = post_form(client, f"/collectes/{collection_id}/documents", {"action": "continuer"},
                         files={"autre": ("x", b"", "text/plain")})
    assert response.status_code == 400
    assert error_for(response.text, "fichiers") == "Ajoutez au moins un document."


# -- step 2: informations -----------------------------------------------------------------------------------


def test_informations_are_saved_and_lead_to_the_options(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    missing = post_form(client, f"/collectes/{collection_id}/informations", {"title": " ", "message": "x"})
    assert missing.status_code == 400
    assert error_for(missing.text, "title") == "Indiquez le titre de la collecte."
    assert ">x</textarea>" in missing.text
    saved = post_form(client, f"/collectes/{collection_id}/informations",
                      {"title": "Lettre de mission 2027", "message": "Bonjour,\nmerci de signer."})
    assert saved.status_code == 303 and saved.headers["location"] == f"/collectes/{collection_id}/options"
    draft = details(container, owner, collection_id)
    assert draft.summary.title == "Lettre de mission 2027" and draft.message == "Bonjour,\nmerci de signer."
    too_long = post_form(client, f"/collectes/{collection_id}/informations", {"title": "T" * 201})
    assert too_long.status_code == 422
    assert error_for(too_long.text, "title").startswith("Indiquez un titre")


# -- step 3: options ----------------------------------------------------------------------------------------


def test_options_default_to_fifteen_days_and_refuse_a_past_deadline(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    page = client.get(f"/collectes/{collection_id}/options")
    # The fixed test clock says 28 November 2026: 15 days later.
    assert 'type="date" id="deadline" name="deadline" value="2026-12-13"' in page.text
    assert "Destinataires en copie" in page.text
    past = post_form(client, f"/collectes/{collection_id}/options", {"deadline": "2026-11-01", "reminders": "on",
                                                                     "every_days": "3", "max_count": "3"})
    assert past.status_code == 422
    assert error_for(past.text, "deadline") == "La date limite doit être dans le futur."
    bad = post_form(client, f"/collectes/{collection_id}/options", {"deadline": "demain"})
    assert bad.status_code == 422 and error_for(bad.text, "deadline").startswith("Indiquez une date valide")
    saved = post_form(client, f"/collectes/{collection_id}/options", {"deadline": "2026-12-20", "every_days": "2",
                                                                      "max_count": "1"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("/signataires")
    draft = details(container, owner, collection_id)
    assert not draft.reminders.enabled
    # The chosen day runs to its end in Paris (23:59 CET = 22:59 UTC).
    assert draft.summary.deadline.isoformat() == "2026-12-20T22:59:00+00:00"


def test_observers_are_added_refused_twice_and_removed(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    data = {"observer_given_names": "Paul", "observer_surname": "Martin", "observer_email": "paul@example.fr"}
    assert post_form(client, f"/collectes/{collection_id}/destinataires", data).status_code == 303
    again = post_form(client, f"/collectes/{collection_id}/destinataires", data)
    assert 400 <= again.status_code < 500
    assert "Cette personne est déjà destinataire en copie de la collecte." in again.text
    missing = post_form(client, f"/collectes/{collection_id}/destinataires", {**data, "observer_email": ""})
    assert error_for(missing.text, "observer_email") == "Indiquez l’adresse e-mail."
    observer = details(container, owner, collection_id).observers[0]
    assert observer.display_name == "Paul Martin"
    assert post_form(client, f"/collectes/{collection_id}/destinataires/{observer.observer_id}/retirer"
                     ).status_code == 303
    assert details(container, owner, collection_id).observers == ()


# -- step 4: signataires ---------------------------------------------------------------------------------------


def test_the_signers_step_reads_like_the_guide(client, container, owner):
    add_member(container, owner, Delegation.SIGN)
    add_member(container, owner, email="sans.delegation@example.fr")
    login(client)
    collection_id = new_draft(client)
    page = client.get(f"/collectes/{collection_id}/signataires")
    assert page.status_code == 200
    text = page.text
    for words in ("M’ajouter", "Membres du cabinet", "Autre", "Invitations séquentielles",
                  "Invitations en parallèle", "Valider", "Ajouter un signataire\u00a0:",
                  "n’oubliez pas de cliquer sur le bouton «\u00a0M’ajouter\u00a0»",
                  "le premier signataire est en début de liste"):
        assert words in text, words
    # Only members holding SIGN are offered.
    assert "Irina Faron (irina.faron@example.fr)" in text
    assert "sans.delegation@example.fr" not in text
    assert 'id="mode-sequential" name="mode" value="sequential" checked' in text


def test_rows_show_masked_mobiles_and_only_the_allowed_levels(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    assert post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"}).status_code == 303
    assert add_external(client, collection_id, level="3").status_code == 303
    assert add_external(client, collection_id, given_names="Zoé", surname="Sans", email="zoe@example.fr", mobile="",
                        level="1").status_code == 303
    me, paul, zoe = signer_ids(container, owner, collection_id)
    page = client.get(f"/collectes/{collection_id}/signataires").text
    assert "06 ** ** 13" in page and "06 ** ** 78" in page

    def options(signer_id: str) -> list[str]:
        select = re.search(rf'<select id="level-{signer_id}".*?</select>', page, re.S).group(0)
        return re.findall(r">(Niv [^<]*)</option>", select)

    level_1, level_2, level_3 = ("Niv 1\u00a0: simple", "Niv 2\u00a0: avancée",
                                 "Niv 3\u00a0: avancée basée sur un certificat qualifié")
    # The preparer has no qualified certificate; the external signer will be identity-checked.
    assert options(me) == [level_1, level_2]
    assert options(paul) == [level_1, level_2, level_3]
    assert options(zoe) == [level_1]
    assert re.search(rf'<tr id="signataire-{me}"[^>]*>\s*<td class="order-cell">\s*<span class="drag-handle"', page)
    assert f'value="retirer:{zoe}"' in page


def test_level_two_without_mobile_is_refused_next_to_the_mobile_field(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    response = add_external(client, collection_id, mobile="", level="2")
    assert response.status_code == 422
    assert error_for(response.text, "mobile") == "Un numéro de mobile est obligatoire à partir du niveau 2."
    assert 'value="paul.martin@example.fr"' in response.text
    assert details(container, owner, collection_id).signers == ()


def test_the_same_person_twice_is_refused(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    assert add_external(client, collection_id).status_code == 303
    again = add_external(client, collection_id)
    assert again.status_code == 422
    assert "Cette personne figure déjà parmi les signataires." in again.text


def test_levels_order_and_mode_are_saved_by_the_form(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"})
    add_external(client, collection_id)
    add_external(client, collection_id, given_names="Zoé", surname="Durand", email="zoe@example.fr")
    me, paul, zoe = signer_ids(container, owner, collection_id)
    form = {"order": [me, paul, zoe], f"level-{me}": "1", f"level-{paul}": "3", f"level-{zoe}": "2",
            "mode": "parallel"}
    # The keyboard way: "↓" on the first row.
    moved = post_form(client, f"/collectes/{collection_id}/signataires", {**form, "action": f"descendre:{me}"})
    assert moved.status_code == 303 and moved.headers["location"].endswith(f"#signataire-{me}")
    draft = details(container, owner, collection_id)
    assert [s.signer_id for s in draft.signers] == [paul, me, zoe]
    assert [s.level for s in draft.signers] == [SignatureLevel.ADVANCED_QUALIFIED, SignatureLevel.SIMPLE,
                                                SignatureLevel.ADVANCED]
    assert draft.mode is InvitationMode.PARALLEL
    # The drag and drop way: the rows' hidden fields arrive in their new order.
    dropped = post_form(client, f"/collectes/{collection_id}/signataires",
                        {"order": [zoe, paul, me], "action": "ordre", "mode": "sequential"})
    assert dropped.status_code == 303
    draft = details(container, owner, collection_id)
    assert [s.signer_id for s in draft.signers] == [zoe, paul, me] and draft.mode is InvitationMode.SEQUENTIAL
    up = post_form(client, f"/collectes/{collection_id}/signataires", {"order": [zoe, paul, me],
                                                                       "action": f"monter:{me}"})
    assert up.status_code == 303
    assert signer_ids(container, owner, collection_id) == [zoe, me, paul]
    removed = post_form(client, f"/collectes/{collection_id}/signataires", {"action": f"retirer:{zoe}"})
    assert removed.status_code == 303
    assert signer_ids(container, owner, collection_id) == [me, paul]
    done = post_form(client, f"/collectes/{collection_id}/signataires", {"order": [me, paul], "action": "valider"})
    assert done.status_code == 303 and done.headers["location"] == f"/collectes/{collection_id}/placement"


def test_a_level_the_signer_cannot_have_is_refused_on_the_row(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"})
    (me,) = signer_ids(container, owner, collection_id)
    response = post_form(client, f"/collectes/{collection_id}/signataires",
                         {"order": [me], f"level-{me}": "3", "action": "valider"})
    assert response.status_code == 409 or response.status_code == 422
    assert error_for(response.text, f"level-{me}") == \
        "Le niveau 3 exige un certificat qualifié (QCP) actif pour ce membre."


def test_valider_without_signers_asks_for_one(client, owner):
    login(client)
    collection_id = new_draft(client)
    response = post_form(client, f"/collectes/{collection_id}/signataires", {"action": "valider"})
    assert 400 <= response.status_code < 500
    assert "Ajoutez au moins un signataire." in response.text


def test_a_cabinet_member_is_added_from_the_list(client, container, owner):
    add_member(container, owner, Delegation.SIGN)
    login(client)
    collection_id = new_draft(client)
    page = client.get(f"/collectes/{collection_id}/signataires").text
    member_id = re.search(r'<option value="([\w-]+)">Irina Faron', page).group(1)
    assert post_form(client, f"/collectes/{collection_id}/signataires/ajouter",
                     {"kind": "member", "member_id": member_id}).status_code == 303
    (signer,) = details(container, owner, collection_id).signers
    assert signer.display_name == "Irina Faron" and signer.level is SignatureLevel.ADVANCED
    assert "Irina Faron (irina.faron@example.fr)" not in client.get(f"/collectes/{collection_id}/signataires").text


# -- step 5: placement ---------------------------------------------------------------------------------------------


def test_placement_shows_the_default_and_accepts_a_preset_or_a_click(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"})
    (me,) = signer_ids(container, owner, collection_id)
    document_id = details(container, owner, collection_id).documents[0].document_id
    page = client.get(f"/collectes/{collection_id}/placement")
    assert page.status_code == 200
    assert re.search(f'Jessica Poussart\u00a0: <a href="#document-{document_id}-page-2">page 2</a> '
                     '<span class="muted">\\(par défaut\\)</span>', page.text), page.text
    assert f'/documents/{document_id}/pages/2?largeur=600' in page.text
    preset = post_form(client, f"/collectes/{collection_id}/placement",
                       {"document_id": document_id, "signer_id": me, "page": "1", "position": "haut-droite"})
    assert preset.status_code == 303
    placed = details(container, owner, collection_id).documents[0].placements[0]
    assert placed.chosen and placed.placement.page == 1
    assert (placed.placement.x, placed.placement.y) == (595 - 36 - 180, 842 - 36 - 60)
    click = post_form(client, f"/collectes/{collection_id}/placement",
                      {"document_id": document_id, "signer_id": me, "page": "2", "position": "clic",
                       "x": "500", "y": "-10"})
    assert click.status_code == 303
    placed = details(container, owner, collection_id).documents[0].placements[0].placement
    # Near the edge: the box is kept on the page.
    assert (placed.page, placed.x, placed.y) == (2, 595 - 180, 0)
    nowhere = post_form(client, f"/collectes/{collection_id}/placement",
                        {"document_id": document_id, "signer_id": me, "page": "7", "position": "bas-gauche"})
    assert nowhere.status_code == 400
    assert "Indiquez une page et une position valides." in nowhere.text


# -- step 6: récapitulatif, sending, resuming ---------------------------------------------------------------------


def test_the_recap_sends_the_collection(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    empty = post_form(client, f"/collectes/{collection_id}/envoyer")
    assert empty.status_code == 409
    assert "Ajoutez au moins un signataire." in empty.text
    add_external(client, collection_id)
    recap = client.get(f"/collectes/{collection_id}/recapitulatif")
    assert "Invitations séquentielles" in recap.text and "Paul Martin" in recap.text
    assert "13 décembre 2026 à 23 h 59" in recap.text
    assert '<button type="submit">Envoyer</button>' in recap.text
    sent = post_form(client, f"/collectes/{collection_id}/envoyer")
    assert sent.status_code == 303 and sent.headers["location"] == f"/collectes/{collection_id}"
    assert queued_token(container, "collection_invitation", "paul.martin@example.fr")
    assert details(container, owner, collection_id).summary.status is CollectionStatus.IN_PROGRESS
    # A sent collection is no longer a wizard.
    assert client.get(f"/collectes/{collection_id}/signataires", follow_redirects=False).headers["location"] == \
        f"/collectes/{collection_id}"


def test_a_draft_is_resumed_where_it_stopped(client, owner):
    login(client)
    collection_id = new_draft(client)
    resumed = client.get(f"/collectes/{collection_id}", follow_redirects=False)
    assert resumed.status_code == 303 and resumed.headers["location"] == f"/collectes/{collection_id}/signataires"
    dashboard = client.get("/collectes").text
    assert "Brouillon" in dashboard and "Reprendre" in dashboard


def test_the_wizard_speaks_english_when_asked(client, owner):
    login(client)
    collection_id = new_draft(client)
    post_form(client, "/langue", {"locale": "en", "suivant": "/"})
    page = client.get(f"/collectes/{collection_id}/signataires").text
    assert "Add me" in page and "Sequential invitations" in page and "Parallel invitations" in page


def test_someone_from_another_cabinet_learns_nothing(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    post_form(client, "/deconnexion")
    container.use_cases.create_cabinet(name="Autre cabinet", siren="552100554", owner_given_names="Marc",
                                       owner_surname="Autre", owner_email="marc@example.fr",
                                       owner_mobile="06 99 99 99 99", password="another long password")
    login(client, "marc@example.fr", "another long password")
    assert client.get(f"/collectes/{collection_id}/informations").status_code == 404
    assert client.get(f"/collectes/{collection_id}/documents/x/original").status_code == 404





def test_a_preparer_without_sign_cannot_add_themself(client, container, owner):
    member_person = add_member(container, owner, Delegation.PREPARE)
    assert member_person
    login(client, COLLABORATOR, COLLABORATOR_PASSWORD)
    collection_id = new_draft(client)
    page = client.get(f"/collectes/{collection_id}/signataires").text
    assert "M’ajouter</button>" not in page
    assert "Vous n’avez pas la délégation «\u00a0Signer\u00a0»\u00a0: vous ne pouvez pas vous ajouter." in page
    refused = post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"})
    assert refused.status_code == 422
    assert "Ce membre du cabinet n’a pas la délégation" in refused.text


def test_adding_an_observer_keeps_the_options_typed_above(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    form = {"deadline": "2026-12-24", "every_days": "5", "max_count": "2", "reminders": "on",
            "observer_given_names": "Luc", "observer_surname": "Copie", "observer_email": "luc@example.fr"}
    added = post_form(client, f"/collectes/{collection_id}/options", {**form, "action": "ajouter-destinataire"})
    assert added.status_code == 303 and added.headers["location"].endswith("/options#destinataires")
    draft = details(container, owner, collection_id)
    assert [o.email for o in draft.observers] == ["luc@example.fr"]
    assert draft.reminders.every_days == 5 and _paris_day(draft.summary.deadline) == "2026-12-24"
    observer_id = draft.observers[0].observer_id
    removed = post_form(client, f"/collectes/{collection_id}/options",
                        {"deadline": "2026-12-24", "action": f"retirer-destinataire:{observer_id}"})
    assert removed.status_code == 303
    assert details(container, owner, collection_id).observers == ()
    # Enter in a field submits the first button: « Continuer », never « Retirer ».
    page = client.get(f"/collectes/{collection_id}/options").text
    first_button = re.search(r'<button type="submit" name="action" value="([^"]+)"', page).group(1)
    assert first_button == "continuer"


def _paris_day(moment) -> str:
    from entrypoints.web.i18n import DISPLAY_TZ

    return moment.astimezone(DISPLAY_TZ).date().isoformat()


def test_a_pdf_certified_by_its_author_is_refused_at_upload_with_what_to_do(client, container, owner):
    # The real signing adapter's dry run (the fakes do not read certifications).
    from dependency_injector import providers

    from adapters.memory.keyvault import InMemoryKeyVault
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning

    container.adapters.pdf_signing.override(providers.Object(PyHankoPdfSigning(vault=InMemoryKeyVault())))
    login(client)
    collection_id = new_draft(client)
    response = upload(client, f"/collectes/{collection_id}/documents", ("certifie.pdf", corpus.signed_pdf(certify=2)))
    assert response.status_code == 422
    refusal = re.search(r'<strong class="file-name">(.*?)</strong>\u00a0: <span class="refusal-message">(.*?)</span>',
                        response.text)
    assert refusal and refusal.group(1) == "certifie.pdf", response.text
    assert "Demandez à son auteur une version non certifiée" in refusal.group(2)
    assert "certifie.pdf" not in [d.name for d in details(container, owner, collection_id).documents]


def test_the_recap_keeps_the_line_breaks_of_the_message_and_escapes_it(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    post_form(client, f"/collectes/{collection_id}/informations",
              {"title": "Lettre de mission 2027", "message": "Bonjour,\r\nmerci de <b>signer</b>.\r\nJessica"})
    recap = client.get(f"/collectes/{collection_id}/recapitulatif")
    assert "Bonjour,<br>\nmerci de &lt;b&gt;signer&lt;/b&gt;.<br>\nJessica" in recap.text
