"""« Clés d'API » in the cabinet's settings: the owner creates a key (shown once), sees the list
with the last use, revokes a key; a collaborator is told who may manage keys."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from litestar.testing import TestClient

from tests.web.conftest import login, post_form
from tests.web.test_cabinet_pages import _join_as_collaborator


def _secret(page_text: str) -> str:
    found = re.search(r'id="secret" value="([^"]+)"', page_text)
    assert found, page_text
    return html.unescape(found.group(1))


def test_the_owner_creates_a_key_shown_once_then_revokes_it(client, container, owner):
    login(client)
    empty = client.get("/cabinet/cles-api")
    assert empty.status_code == 200
    assert "<h1>Clés d’API" in empty.text and "Aucune clé d’API pour l’instant." in empty.text
    assert 'href="/cabinet/cles-api" aria-current="page"' in empty.text
    created = post_form(client, "/cabinet/cles-api", {"name": "Logiciel de paie", "scope_read": "on",
                                                       "scope_prepare": "on"})
    assert created.status_code == 201
    assert "Copiez cette clé maintenant\u00a0: elle ne sera plus jamais affichée." in created.text
    secret = _secret(created.text)
    again = client.get("/cabinet/cles-api")
    assert secret not in again.text and secret.split(".")[2] not in again.text
    assert "Logiciel de paie" in again.text and "Jamais utilisée" in again.text
    assert "Lecture" in again.text and "Préparation" in again.text

    container.adapters.clock().advance(timedelta(hours=1))
    with TestClient(client.app, base_url="http://testserver.local") as program:
        used = program.get("/api/v1/collections", params={"cabinet_id": owner.cabinet_id},
                           headers={"Authorization": f"Bearer {secret}"})
        assert used.status_code == 200, used.text
        # 28 November 2026, 10:00 UTC on the fixed clock = 11 h 00 in Paris.
        assert "28 novembre 2026 à 11 h 00" in client.get("/cabinet/cles-api").text

        key_id = secret.split(".")[1]
        revoked = post_form(client, f"/cabinet/cles-api/{key_id}/revoquer")
        assert revoked.status_code == 303
        page = client.get("/cabinet/cles-api")
        assert "Clé d’API révoquée\u00a0: elle est refusée dès maintenant." in page.text
        assert "Révoquée le" in page.text
        refused = program.get("/api/v1/collections", params={"cabinet_id": owner.cabinet_id},
                              headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 401


def test_a_key_needs_a_name_and_a_scope(client, owner):
    login(client)
    refused = post_form(client, "/cabinet/cles-api", {"name": ""})
    assert refused.status_code == 400
    assert "Donnez un nom à la clé" in refused.text and "Cochez au moins une portée." in refused.text
    assert 'aria-describedby="scopes-erreur"' in refused.text and 'id="secret"' not in refused.text


def test_a_collaborator_cannot_manage_keys(client, container, owner):
    _join_as_collaborator(client, container, owner)
    page = client.get("/cabinet/cles-api")
    assert page.status_code == 403
    assert "Seul l’expert-comptable titulaire du cabinet peut faire cela." in page.text
    assert 'href="/cabinet/cles-api"' not in page.text  # not offered in the menu either
    refused = post_form(client, "/cabinet/cles-api", {"name": "Ma clé", "scope_read": "on"})
    assert refused.status_code == 403 and 'id="secret"' not in refused.text
