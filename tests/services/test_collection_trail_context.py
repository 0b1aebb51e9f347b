"""The preparer's actions land in the audit trail with where they came from (IP, user agent)."""

from __future__ import annotations

from datetime import timedelta

from domain.model.audit import RequestContext, verify_chain
from domain.model.signer import SignerKind
from domain.services import collections as uc
from tests.intake import corpus
from tests.services.test_collections import L1, L2, World, external

OFFICE = RequestContext(ip="203.0.113.9", user_agent="Mozilla/5.0 (X11; Linux) Firefox/140.0")


def trail(w: World, cid: str):
    with w.uow() as tx:
        return tx.audit.of_collection(cid)


def test_every_preparer_action_records_the_member_ip_and_user_agent():
    w = World()
    cid = w.call(uc.create_draft, cabinet_id=w.cabinet_id, by_person_id=w.owner, title="Bilan 2026",
                 context=OFFICE)
    document_id = w.call(uc.add_document, collection_id=cid, by_person_id=w.owner, name="bilan.pdf",
                         content=corpus.minimal_pdf(pages=1), context=OFFICE)
    first = w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.EXTERNAL, level=L1,
                   given_names="Client", surname="Un", email="un@example.org", context=OFFICE)
    second = w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.EXTERNAL, level=L1,
                    given_names="Client", surname="Deux", email="deux@example.org", context=OFFICE)
    third = external(w, cid, 3)  # no context: a caller that knows none still works
    w.call(uc.send, collection_id=cid, by_person_id=w.owner, context=OFFICE)
    w.clock.advance(timedelta(hours=2))
    w.call(uc.remind_now, collection_id=cid, by_person_id=w.owner, signer_id=first, context=OFFICE)
    w.call(uc.reorder, collection_id=cid, by_person_id=w.owner, signer_ids=[first, third, second], context=OFFICE)
    w.call(uc.replace_signer, collection_id=cid, by_person_id=w.owner, signer_id=second, kind=SignerKind.MEMBER,
           member_id=w.irina_member, level=L2, context=OFFICE)
    w.call(uc.read_original, collection_id=cid, by_person_id=w.owner, document_id=document_id, downloaded=True,
           context=OFFICE)
    w.call(uc.cancel, collection_id=cid, by_person_id=w.owner, reason="Doublon", context=OFFICE)

    events = trail(w, cid)
    with w.uow() as tx:
        owner_member = tx.members.find(w.cabinet_id, w.owner).id
    by_kind = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    for kind in ("created", "sent", "reminded", "order_changed", "signer_replaced", "cancelled", "downloaded"):
        assert kind in by_kind, kind
        for event in by_kind[kind]:
            assert (event.actor, event.ip, event.user_agent) == (owner_member, OFFICE.ip, OFFICE.user_agent), kind
    third_added = [e for e in by_kind["signer_added"] if e.detail_dict().get("signer_id") == third]
    assert [(e.ip, e.user_agent) for e in third_added] == [(None, None)]
    assert verify_chain(events) is None


def test_reading_an_original_to_draw_its_pages_is_not_a_download():
    w = World()
    cid = w.call(uc.create_draft, cabinet_id=w.cabinet_id, by_person_id=w.owner, title="Bilan 2026")
    document_id = w.call(uc.add_document, collection_id=cid, by_person_id=w.owner, name="bilan.pdf",
                         content=corpus.minimal_pdf(pages=1))
    before = len(trail(w, cid))
    name, content = w.call(uc.read_original, collection_id=cid, by_person_id=w.owner, document_id=document_id)
    assert name == "bilan.pdf" and content.startswith(b"%PDF")
    assert len(trail(w, cid)) == before
