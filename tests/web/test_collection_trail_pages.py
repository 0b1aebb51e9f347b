"""The preparer's pages record the client's IP and User-Agent in the collection's audit trail."""

from __future__ import annotations

from typing import Any

from domain.model.audit import verify_chain
from tests.web.conftest import login, post_form
from tests.web.test_collection_management_pages import details, sent_collection

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15"


def trail(container: Any, collection_id: str) -> list[Any]:
    with container.adapters.uow() as tx:
        return list(tx.audit.of_collection(collection_id))


def member_id(container: Any, owner: Any) -> str:
    with container.adapters.uow() as tx:
        return tx.members.find(owner.cabinet_id, owner.person_id).id


def test_sending_a_collection_records_the_client_ip_and_user_agent(client, container, owner):
    collection_id = sent_collection(container, owner, send=False)
    login(client)
    sent = post_form(client, f"/collectes/{collection_id}/envoyer", headers={"User-Agent": BROWSER})
    assert sent.status_code == 303, sent.text
    events = trail(container, collection_id)
    [event] = [e for e in events if e.kind == "sent"]
    # Litestar's TestClient always connects from the address "testclient": what the edge saw.
    assert (event.actor, event.ip, event.user_agent) == (member_id(container, owner), "testclient", BROWSER)
    # The draft was built through the use cases directly: no request, so no IP is invented.
    assert {(e.ip, e.user_agent) for e in events if e.kind == "created"} == {(None, None)}
    assert verify_chain(events) is None


def test_downloading_an_original_from_the_page_is_in_the_trail(client, container, owner):
    collection_id = sent_collection(container, owner)
    document_id = details(container, owner, collection_id).documents[0].document_id
    login(client)
    original = client.get(f"/collectes/{collection_id}/documents/{document_id}/original",
                          headers={"User-Agent": BROWSER})
    assert original.status_code == 200 and original.content.startswith(b"%PDF")
    downloads = [e for e in trail(container, collection_id) if e.kind == "downloaded"]
    assert [(e.actor, e.ip, e.user_agent, e.detail_dict()["item"]) for e in downloads] == [
        (member_id(container, owner), "testclient", BROWSER, document_id)]
    # Drawing the page images for the wizard reads the original too, but is no download.
    assert client.get(f"/collectes/{collection_id}/documents/{document_id}/pages/1").status_code == 200
    assert len([e for e in trail(container, collection_id) if e.kind == "downloaded"]) == 1
