"""Bad input is a form error, never the error page: every page form of a logged-in owner, posted
empty, answers its own page with the reason beside the field (or redirects), never « Action
impossible » with a 400 or 422. State conflicts (409: the collection was sent meanwhile) may still
answer the error page: no field of the form could fix them."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import login, post_form
from tests.web.lcp_helpers import register_lcp
from tests.web.test_collection_management_pages import details, sent_collection

ERROR_PAGE = "<h1>Action impossible</h1>"


@pytest.fixture
def pki(container):
    container.adapters.ca().init_hierarchy()
    return container.adapters.ca()


def test_no_page_form_posted_empty_answers_the_error_page_for_bad_input(client, container, owner, pki):
    running = sent_collection(container, owner)
    draft = sent_collection(container, owner, "Brouillon", send=False)
    signer = details(container, owner, running).signers[0].signer_id
    certificate = register_lcp(container, owner.person_id, owner.cabinet_id).certificate_id
    login(client)
    known = {"collection_id": running, "signer_id": signer, "certificate_id": certificate,
             "cabinet_id": owner.cabinet_id}
    bad_input_pages = []
    tried = 0
    for route in client.app.routes:
        if "POST" not in getattr(route, "methods", ()) or route.path.startswith("/api") \
                or route.path in ("/deconnexion", "/connexion"):
            continue
        names = re.findall(r"\{(\w+):\w+\}", route.path)
        if any(name not in known for name in names):
            continue
        paths = {re.sub(r"\{(\w+):\w+\}", lambda m: known[m.group(1)], route.path)}
        if "collection_id" in names and "signer_id" not in names:
            paths.add(re.sub(r"\{(\w+):\w+\}", lambda m: {**known, "collection_id": draft}[m.group(1)], route.path))
        for path in sorted(paths):
            tried += 1
            answer = post_form(client, path)
            assert answer.status_code < 500, (path, answer.status_code)
            if ERROR_PAGE in answer.text and answer.status_code in (400, 422):
                bad_input_pages.append((path, answer.status_code))
    assert tried > 10
    assert bad_input_pages == []
