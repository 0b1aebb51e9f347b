"""``create_and_send``: the wizard's use cases in one request, rehearsed before anything is stored."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers

from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.errors import FieldOutOfPage, InvalidValue, SigningFailed
from domain.model.signer import SignatureLevel, SignerKind
from domain.services.collection_requests import CollectionRequest, DocumentSource, FieldRequest, SignerRequest
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.intake import corpus


class PreparationFails:
    """Signing that accepts every upload and then fails to add the fields when sending, as a
    change between the rehearsal and the real run would make a step fail."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create_fields_document(self, *args: Any, **kwargs: Any) -> Any:
        raise SigningFailed("the fields could not be added")


@pytest.fixture
def container(tmp_path):
    return build_container(Settings(data_dir=tmp_path), fakes=True)


@pytest.fixture
def owner(container):
    return container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email="jessica@poussart.fr", owner_mobile="06 24 00 00 13", password="correct horse battery")


def request(cabinet_id: str, **changes: Any) -> CollectionRequest:
    values: dict[str, Any] = dict(
        cabinet_id=cabinet_id, title="Lettre de mission", documents=[DocumentSource(name="a.pdf",
                                                                                    content=corpus.minimal_pdf(1))],
        signers=[SignerRequest(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Anne",
                               surname="Martin", email="anne@exemple.fr",
                               fields=[FieldRequest(document=0, page=1, x=72, y=72)])],
        mode=InvitationMode.PARALLEL)
    values.update(changes)
    return CollectionRequest(**values)


def invitations(container: Any) -> list[Any]:
    return [j for j in container.adapters.job_store().list(limit=1000)
            if j.spec.kind == "notify" and j.spec.as_notification().template == "collection_invitation"]


def collections_of(container: Any, owner: Any) -> list[Any]:
    return list(container.use_cases.list_collections(cabinet_id=owner.cabinet_id,
                                                      by_person_id=owner.person_id).items)


def test_the_collection_is_created_filled_and_sent(container, owner):
    cid = container.use_cases.create_and_send_collection(by_person_id=owner.person_id,
                                                         request=request(owner.cabinet_id))
    details = container.use_cases.collection_details(collection_id=cid, by_person_id=owner.person_id)
    assert details.summary.status is CollectionStatus.IN_PROGRESS and details.mode is InvitationMode.PARALLEL
    [placement] = details.documents[0].placements
    assert (placement.placement.x, placement.placement.y, placement.chosen) == (72, 72, True)
    assert len(invitations(container)) == 1


def test_a_box_off_the_page_is_refused_before_anything_is_stored(container, owner):
    off = [SignerRequest(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Anne",
                         surname="Martin", email="anne@exemple.fr", fields=[FieldRequest(document=0, page=1, x=590,
                                                                                           y=10)])]
    with pytest.raises(FieldOutOfPage):
        container.use_cases.create_and_send_collection(by_person_id=owner.person_id,
                                                       request=request(owner.cabinet_id, signers=off))
    assert collections_of(container, owner) == []
    assert container.adapters.document_store().blobs == {}


def test_a_document_is_either_sent_or_referenced():
    with pytest.raises(InvalidValue):
        DocumentSource(name="a.pdf", content=b"%PDF", collection_id="c", document_id="d")
    with pytest.raises(InvalidValue):
        DocumentSource(collection_id="c")


def test_a_step_failing_after_the_rehearsal_cancels_the_draft_and_invites_nobody(container, owner):
    container.adapters.pdf_signing.override(providers.Object(PreparationFails(container.adapters.pdf_signing())))
    with pytest.raises(SigningFailed):
        container.use_cases.create_and_send_collection(by_person_id=owner.person_id,
                                                       request=request(owner.cabinet_id))
    [left] = collections_of(container, owner)
    assert left.status is CollectionStatus.CANCELLED
    assert invitations(container) == []
