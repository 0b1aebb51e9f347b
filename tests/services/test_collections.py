"""Collection use cases on the in-memory unit of work, document store and a fixed clock."""

from __future__ import annotations

import functools
import inspect
from datetime import timedelta

import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.documents import InMemoryDocumentStore
from adapters.memory.ids import SequentialIds
from adapters.memory.persistence import InMemoryJobStore, InMemoryStore, InMemoryUnitOfWork
from adapters.memory.security import PlainPasswordHasher
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.pdf.rendering import PdfiumPageRenderer
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from domain.model.cabinet import Delegation, Member, Role
from domain.model.certificates import Certificate
from domain.model.collection import CollectionStatus, InvitationMode, ReminderPolicy
from domain.model.errors import (
    DocumentEncrypted,
    InvitationLinkUnusable,
    LevelNotAllowed,
    MissingDelegation,
    NotFound,
    NotPdf,
)
from domain.model.intake import IntakePolicy
from domain.model.person import Person
from domain.model.pki import CertificatePolicy
from domain.model.signer import SignatureLevel, SignerKind
from domain.model.values import Email, Mobile, PersonName
from domain.services import cabinets
from domain.services import collections as uc
from domain.services.audit import commit_with_trail
from domain.services.ceremony.links import signer_by_link
from ports.contracts.repositories import siren_for
from tests.intake import corpus

L1, L2, L3 = SignatureLevel.SIMPLE, SignatureLevel.ADVANCED, SignatureLevel.ADVANCED_QUALIFIED


# Intake runs the real dry run, which needs no key: its signing key is a throwaway of its own.
_DRY_RUN_ONLY = PyHankoPdfSigning(vault=None)  # type: ignore[arg-type]


class World:
    """The ports of the use cases, bound once, plus a cabinet with an owner and two collaborators."""

    def __init__(self, prefix: str = "id") -> None:
        self.store = InMemoryStore()
        self.clock = FixedClock()
        self.ids = SequentialIds(prefix)
        self.documents = InMemoryDocumentStore()
        # In this process (no pool): the use case looks for blank room for the default boxes.
        self.renderer = PdfiumPageRenderer()
        self.uow = functools.partial(InMemoryUnitOfWork, self.store, clock=self.clock)
        created = cabinets.create_cabinet(uow=self.uow, clock=self.clock, ids=self.ids,
                                          hasher=PlainPasswordHasher(), name="Cabinet Poussart", siren="732829320",
                                          owner_given_names="Jessica", owner_surname="Poussart",
                                          owner_email="jessica@poussart.fr", owner_mobile="06 24 00 00 13",
                                          password="correct horse battery")
        self.cabinet_id, self.owner = created.cabinet_id, created.person_id
        self.irina, self.irina_member = self.add_member("Irina", "Faron", "ifaron@cs.expert", "0611111111",
                                                        {Delegation.SIGN})
        self.paul, self.paul_member = self.add_member("Paul", "Martin", "paul@cs.expert", None, set())

    def add_member(self, given, surname, email, mobile, delegations) -> tuple[str, str]:
        with self.uow() as tx:
            person = Person.register(id=self.ids.new_id(), name=PersonName(given, surname), email=Email(email),
                                     mobile=Mobile(mobile) if mobile else None, now=self.clock.now())
            tx.persons.add(person)
            member = Member(id=self.ids.new_id(), cabinet_id=self.cabinet_id, person_id=person.id,
                            role=Role.COLLABORATOR, delegations=frozenset(delegations), joined_at=self.clock.now())
            tx.members.add(member)
            tx.commit()
        return person.id, member.id

    def give_qcp(self, person_id):
        """Record an active QCP-n certificate of this cabinet for the person, as issuance would."""
        now = self.clock.now()
        with self.uow() as tx:
            tx.certificates.add(Certificate(
                id=self.ids.new_id(), person_id=person_id, cabinet_id=self.cabinet_id,
                policy=CertificatePolicy.QCP_N, serial="0A1B", issuer="qcp", subject="CN=Irina FARON",
                not_before=now - timedelta(days=1), not_after=now + timedelta(days=5 * 365), key_id="key-1",
                der=b"", issued_at=now))
            tx.commit()

    def call(self, use_case, **kwargs):
        ports = {"uow": self.uow, "clock": self.clock, "ids": self.ids, "store": self.documents,
                 "inspector": PyHankoPdfiumInspector(), "policy": IntakePolicy(), "signing": _DRY_RUN_ONLY,
                 "renderer": self.renderer}
        wanted = inspect.signature(use_case).parameters
        return use_case(**{k: v for k, v in ports.items() if k in wanted}, **kwargs)

    def notifications(self):
        jobs = InMemoryJobStore(self.store).list(limit=1000)
        return [j.spec.as_notification() for j in reversed(jobs) if j.spec.kind == "notify"]

    def webhook_events(self):
        jobs = InMemoryJobStore(self.store).list(limit=1000)
        return [j.spec.payload_dict()["event"] for j in reversed(jobs) if j.spec.kind == "webhook_event"]

    def collection(self, collection_id):
        with self.uow() as tx:
            return tx.collections.get(collection_id)


@pytest.fixture
def w() -> World:
    return World()


def a_draft(w: World, **kwargs) -> str:
    cid = w.call(uc.create_draft, cabinet_id=w.cabinet_id, by_person_id=w.owner, title="Lettre de mission 2027",
                 message="Bonjour, merci de signer.", **kwargs)
    w.call(uc.add_document, collection_id=cid, by_person_id=w.owner, name="C:\\Users\\jp\\lettre.pdf",
           content=corpus.minimal_pdf(pages=2))
    return cid


def external(w, cid, n, level=L1, mobile="0622334455"):
    return w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.EXTERNAL, level=level,
                  given_names=f"Client{chr(65 + n)}", surname="Dupont", email=f"client{n}@example.org", mobile=mobile)


def token_sent_to(w, email, template="collection_invitation"):
    return [n.context_dict()["token"] for n in w.notifications() if n.to == email and n.template == template][-1]


# -- the wizard -----------------------------------------------------------------------------------


def test_a_draft_is_saved_at_every_step_and_can_be_resumed(w):
    cid = a_draft(w, deadline=w.clock.now() + timedelta(days=10), mode=InvitationMode.PARALLEL)
    me = w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.MYSELF, level=L2)
    irina = w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.MEMBER,
                   member_id=w.irina_member, level=L2)
    ext = external(w, cid, 1)
    w.call(uc.add_observer, collection_id=cid, by_person_id=w.owner, given_names="Anne", surname="Copie",
           email="anne@example.org")
    w.call(uc.reorder, collection_id=cid, by_person_id=w.owner, signer_ids=[ext, irina, me])
    details = w.call(uc.collection_details, collection_id=cid, by_person_id=w.owner)
    assert details.summary.status is CollectionStatus.DRAFT and details.summary.progress == "0/3"
    assert [s.display_name for s in details.signers] == ["ClientB Dupont", "Irina Faron", "Jessica Poussart"]
    assert [s.position for s in details.signers] == [1, 2, 3]
    assert details.signers[1].masked_mobile == "06 ** ** 11"
    assert details.documents[0].name == "lettre.pdf" and details.documents[0].page_count == 2
    assert [p.placement.page for p in details.documents[0].placements] == [2, 2, 2]
    assert details.observers[0].email == "anne@example.org"
    assert details.mode is InvitationMode.PARALLEL


def test_the_uploaded_bytes_are_stored_by_their_hash_and_read_back(w):
    cid = a_draft(w)
    doc = w.call(uc.collection_details, collection_id=cid, by_person_id=w.owner).documents[0]
    name, content = w.call(uc.read_original, collection_id=cid, by_person_id=w.owner, document_id=doc.document_id)
    assert name == "lettre.pdf" and content == corpus.minimal_pdf(pages=2)
    assert w.documents.exists(doc.sha256)


def test_the_details_give_each_page_size_as_measured_when_the_file_was_added(w):
    cid = a_draft(w)
    w.call(uc.add_document, collection_id=cid, by_person_id=w.owner, name="paysage.pdf",
           content=corpus.minimal_pdf(pages=1, size=(842, 595)))
    documents = w.call(uc.collection_details, collection_id=cid, by_person_id=w.owner).documents
    assert [[(p.width, p.height) for p in d.page_sizes] for d in documents] == [
        [(595, 842), (595, 842)], [(842, 595)]]


def test_a_refused_upload_stores_nothing_and_adds_nothing(w):
    cid = a_draft(w)
    with pytest.raises(NotPdf):
        w.call(uc.add_document, collection_id=cid, by_person_id=w.owner, name="photo.pdf",
               content=corpus.png_image())
    with pytest.raises(DocumentEncrypted):
        w.call(uc.add_document, collection_id=cid, by_person_id=w.owner, name="secret.pdf",
               content=corpus.encrypted_pdf())
    assert len(w.documents.blobs) == 1
    assert len(w.collection(cid).documents) == 1


def test_a_member_without_prepare_cannot_upload(w):
    cid = a_draft(w)
    with pytest.raises(MissingDelegation):
        w.call(uc.add_document, collection_id=cid, by_person_id=w.irina, name="x.pdf", content=corpus.minimal_pdf())


def test_the_owner_of_another_cabinet_learns_nothing_about_a_collection(w):
    cid = a_draft(w)
    other = cabinets.create_cabinet(uow=w.uow, clock=w.clock, ids=w.ids, hasher=PlainPasswordHasher(),
                                    name="Autre cabinet", siren=str(siren_for(42)), owner_given_names="Marc",
                                    owner_surname="Autre", owner_email="marc@autre.fr", owner_mobile=None,
                                    password="correct horse battery")
    for attempt in (uc.collection_details, uc.collection_timeline):
        with pytest.raises(NotFound):
            w.call(attempt, collection_id=cid, by_person_id=other.person_id)
    with pytest.raises(NotFound):
        w.call(uc.cancel, collection_id=cid, by_person_id=other.person_id)


def test_member_choices_offer_level_three_only_to_qcp_holders(w):
    choices = w.call(uc.signer_choices, cabinet_id=w.cabinet_id, by_person_id=w.owner)
    assert [c.display_name for c in choices] == ["Jessica Poussart", "Irina Faron"]  # Paul lacks SIGN
    assert choices[1].levels == (L1, L2)
    w.give_qcp(w.irina)
    choices = w.call(uc.signer_choices, cabinet_id=w.cabinet_id, by_person_id=w.owner)
    assert choices[1].levels == (L1, L2, L3)


def test_level_three_for_a_member_depends_on_their_active_qcp(w):
    cid = a_draft(w)
    with pytest.raises(LevelNotAllowed):
        w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.MEMBER,
               member_id=w.irina_member, level=L3)
    w.give_qcp(w.irina)
    sid = w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.MEMBER,
                 member_id=w.irina_member, level=L3)
    assert w.collection(cid).signer(sid).level is L3


def test_a_member_of_another_cabinet_cannot_be_added_as_a_member_signer(w):
    cid = a_draft(w)
    other = World("other")
    with pytest.raises(NotFound):
        w.call(uc.add_signer, collection_id=cid, by_person_id=w.owner, kind=SignerKind.MEMBER,
               member_id=other.irina_member, level=L1)


# -- sending and the signer's link ------------------------------------------------------------------------


def test_sending_enqueues_the_invitation_with_a_link_stored_only_hashed(w):
    cid = a_draft(w)
    external(w, cid, 1)
    external(w, cid, 2)
    w.call(uc.send, collection_id=cid, by_person_id=w.owner)
    sent = [n for n in w.notifications() if n.template == "collection_invitation"]
    assert [n.to for n in sent] == ["client1@example.org"]
    token = sent[0].context_dict()["token"]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert token not in repr(w.store.tables["collections"])


def test_replacing_a_signer_through_the_use_case_kills_the_old_link(w):
    cid = a_draft(w)
    old = external(w, cid, 1)
    w.call(uc.send, collection_id=cid, by_person_id=w.owner)
    old_token = token_sent_to(w, "client1@example.org")
    w.call(uc.replace_signer, collection_id=cid, by_person_id=w.owner, signer_id=old, kind=SignerKind.MEMBER,
           member_id=w.irina_member, level=L2)
    with pytest.raises(InvitationLinkUnusable):
        _signer_of_link(w, old_token)
    assert _signer_of_link(w, token_sent_to(w, "ifaron@cs.expert")).display_name == "Irina Faron"


def _signer_of_link(w, token: str):
    """Whom a link names, as every step of the signing ceremony finds them."""
    with w.uow() as tx:
        return signer_by_link(tx, token, w.clock.now())[1]


def _signed(w, collection_id: str, signer_id: str) -> None:
    """What the ceremony's last transaction records once the signer's documents are signed."""
    with w.uow() as tx:
        collection = tx.collections.get(collection_id)
        collection.record_signature(signer_id=signer_id, now=w.clock.now(), new_token=w.ids.new_token)
        commit_with_trail(tx, collection)


def test_cancel_and_remind_now_go_through_the_outbox(w):
    cid = a_draft(w)
    sid = external(w, cid, 1)
    w.call(uc.send, collection_id=cid, by_person_id=w.owner)
    w.clock.advance(timedelta(hours=2))
    w.call(uc.remind_now, collection_id=cid, by_person_id=w.owner, signer_id=sid)
    w.call(uc.cancel, collection_id=cid, by_person_id=w.owner, reason="Doublon")
    assert [n.template for n in w.notifications() if n.to == "client1@example.org"] == [
        "collection_invitation", "collection_reminder", "collection_cancelled"]
    assert w.webhook_events() == ["collection.sent", "collection.cancelled"]


# -- the dashboard ---------------------------------------------------------------------------------------


def test_the_dashboard_filters_by_status_searches_title_or_signer_and_pages(w):
    ids = []
    for n in range(5):
        cid = w.call(uc.create_draft, cabinet_id=w.cabinet_id, by_person_id=w.owner, title=f"Mission n°{n}")
        w.call(uc.add_document, collection_id=cid, by_person_id=w.owner, name="l.pdf", content=corpus.minimal_pdf())
        external(w, cid, n)
        ids.append(cid)
        w.clock.advance(timedelta(minutes=1))
    w.call(uc.send, collection_id=ids[0], by_person_id=w.owner)
    w.call(uc.send, collection_id=ids[1], by_person_id=w.owner)
    w.call(uc.add_signer, collection_id=ids[4], by_person_id=w.owner, kind=SignerKind.MEMBER,
           member_id=w.irina_member, level=L1)

    running = w.call(uc.list_collections, cabinet_id=w.cabinet_id, by_person_id=w.owner,
                     statuses=[CollectionStatus.IN_PROGRESS])
    assert [s.collection_id for s in running.items] == [ids[1], ids[0]]  # newest first
    assert running.items[0].progress == "0/1"

    by_signer = w.call(uc.list_collections, cabinet_id=w.cabinet_id, by_person_id=w.owner, search="FARON")
    assert [s.collection_id for s in by_signer.items] == [ids[4]]
    by_title = w.call(uc.list_collections, cabinet_id=w.cabinet_id, by_person_id=w.owner, search="mission n°3")
    assert [s.collection_id for s in by_title.items] == [ids[3]]

    page2 = w.call(uc.list_collections, cabinet_id=w.cabinet_id, by_person_id=w.owner, page=2, per_page=2)
    assert page2.total == 5 and page2.pages == 3
    assert [s.collection_id for s in page2.items] == [ids[2], ids[1]]


def test_a_member_without_prepare_does_not_see_the_dashboard(w):
    with pytest.raises(MissingDelegation):
        w.call(uc.list_collections, cabinet_id=w.cabinet_id, by_person_id=w.paul)


# -- the worker --------------------------------------------------------------------------------------------


def test_the_worker_sends_reminders_and_expires_at_the_right_times(w):
    cid = a_draft(w, deadline=w.clock.now() + timedelta(days=7),
                  reminders=ReminderPolicy(every_days=3, max_count=5))
    external(w, cid, 1)
    w.call(uc.add_observer, collection_id=cid, by_person_id=w.owner, given_names="Anne", surname="Copie",
           email="anne@example.org")
    w.call(uc.send, collection_id=cid, by_person_id=w.owner)
    sent_at = w.clock.now()

    def run_at(delta):
        w.clock.set(sent_at + delta)
        return w.call(uc.run_due_reminders_and_expiry)

    assert run_at(timedelta(days=3, seconds=-1)).reminders_sent == 0
    assert run_at(timedelta(days=3)).reminders_sent == 1
    assert run_at(timedelta(days=3, hours=12)).reminders_sent == 0  # not twice in a row
    assert run_at(timedelta(days=6)).reminders_sent == 1
    report = run_at(timedelta(days=7, seconds=-1))
    assert (report.reminders_sent, report.expired) == (0, ())
    report = run_at(timedelta(days=7))
    assert report.expired == (cid,)
    assert w.collection(cid).status is CollectionStatus.EXPIRED
    reminders = [n for n in w.notifications() if n.template == "collection_reminder"]
    assert len(reminders) == 2
    expired_to = sorted(n.to for n in w.notifications() if n.template == "collection_expired")
    assert expired_to == ["anne@example.org", "client1@example.org", "jessica@poussart.fr"]
    assert w.webhook_events() == ["collection.sent", "collection.expired"]  # reminders are not announced
    # Nothing left to do for it afterwards.
    assert run_at(timedelta(days=30)) == type(report)(reminders_sent=0, expired=())


def test_the_worker_ignores_drafts_and_finished_collections(w):
    draft_id = a_draft(w)
    external(w, draft_id, 1)
    done = a_draft(w)
    sid = external(w, done, 2)
    w.call(uc.send, collection_id=done, by_person_id=w.owner)
    _signed(w, done, sid)
    w.clock.advance(timedelta(days=60))
    report = w.call(uc.run_due_reminders_and_expiry)
    assert report.reminders_sent == 0 and report.expired == ()
    assert w.collection(draft_id).status is CollectionStatus.DRAFT


@pytest.mark.parametrize("raw, clean", [
    ("C:\\Users\\jp\\lettre.pdf", "lettre.pdf"),
    ("../../etc/passwd", "passwd"),
    ("mission\x00\x1f 2027.pdf", "mission 2027.pdf"),
    ("...", "document.pdf"),
    ("", "document.pdf"),
    ("é" * 300 + ".pdf", "é" * 200),
])
def test_uploaded_file_names_keep_only_a_safe_base_name(raw, clean):
    assert uc.clean_file_name(raw) == clean


def test_a_page_number_past_any_collection_is_refused_not_sent_to_the_database(uc, cabinet):
    from domain.model.errors import InvalidValue
    from domain.services.collections import MAX_PAGE

    assert uc.list_collections(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id,
                               page=MAX_PAGE).items == ()
    with pytest.raises(InvalidValue):
        uc.list_collections(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, page=2**63 - 1)
