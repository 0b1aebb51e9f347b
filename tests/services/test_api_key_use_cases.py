"""« Clés d'API » and idempotent requests through the use cases, on the in-memory adapters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.model.api_keys import ApiScope, StoredResponse
from domain.model.errors import (
    ApiKeyNotFound,
    ApiKeyRejected,
    IdempotencyKeyReused,
    IdempotentRequestInProgress,
    NotFound,
    NotOwner,
)
from tests.services.conftest import PASSWORD

ANSWER = StoredResponse(status=201, content_type="application/json", location="/api/v1/collections/c-1",
                        body=b'{"collection_id": "c-1"}')


def test_a_created_key_authenticates_and_records_its_use(uc, cabinet, clock):
    created = uc.create_api_key(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, name="Paie",
                                scopes=[ApiScope.READ])
    clock.advance(timedelta(minutes=3))
    principal = uc.authenticate_api_key(presented=created.secret)
    assert (principal.cabinet_id, principal.person_id) == (cabinet.cabinet_id, cabinet.person_id)
    assert principal.scopes == frozenset({ApiScope.READ})
    (listed,) = uc.list_api_keys(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id)
    assert listed.last_used_at == clock.now() and listed.created_by_name == "Jessica Poussart"


def test_revocation_and_unknown_keys(uc, cabinet):
    created = uc.create_api_key(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, name="Paie",
                                scopes=["prepare"])
    with pytest.raises(ApiKeyNotFound):
        uc.revoke_api_key(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, key_id="inconnue")
    uc.revoke_api_key(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, key_id=created.key.key_id)
    with pytest.raises(ApiKeyRejected):
        uc.authenticate_api_key(presented=created.secret)


def test_only_owners_of_the_cabinet_manage_keys(uc, cabinet):
    other = uc.create_cabinet(name="Berthier Conseil", siren="552100554", owner_given_names="Marc",
                              owner_surname="Berthier", owner_email="marc@berthier.fr", owner_mobile=None,
                              password=PASSWORD)
    with pytest.raises(NotFound):
        uc.create_api_key(cabinet_id=cabinet.cabinet_id, by_person_id=other.person_id, name="x", scopes=["read"])
    theirs = uc.create_api_key(cabinet_id=other.cabinet_id, by_person_id=other.person_id, name="x", scopes=["read"])
    with pytest.raises(ApiKeyNotFound):  # another cabinet's key is not in this cabinet
        uc.revoke_api_key(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, key_id=theirs.key.key_id)


def test_a_key_stops_working_when_its_creator_is_no_longer_owner(uc, cabinet, container):
    created = uc.create_api_key(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, name="Paie",
                                scopes=["read"])
    with container.adapters.uow() as tx:
        tx.members.remove(tx.members.find(cabinet.cabinet_id, cabinet.person_id))
        tx.commit()
    with pytest.raises(ApiKeyRejected):
        uc.authenticate_api_key(presented=created.secret)


def test_a_collaborator_cannot_list_keys(uc, cabinet, container):
    from domain.model.cabinet import Member, Role

    with container.adapters.uow() as tx:
        tx.members.add(Member(id="m-x", cabinet_id=cabinet.cabinet_id, person_id="p-x", role=Role.COLLABORATOR))
        tx.commit()
    with pytest.raises(NotOwner):
        uc.list_api_keys(cabinet_id=cabinet.cabinet_id, by_person_id="p-x")


def test_the_first_request_runs_the_others_replay_or_wait(uc, clock):
    begin = dict(principal="key:k-1", key="commande-1", fingerprint="a" * 64)
    assert uc.begin_idempotent_request(**begin) is None
    with pytest.raises(IdempotentRequestInProgress):
        uc.begin_idempotent_request(**begin)
    with pytest.raises(IdempotencyKeyReused):
        uc.begin_idempotent_request(**{**begin, "fingerprint": "b" * 64})
    uc.finish_idempotent_request(principal="key:k-1", key="commande-1", response=ANSWER)
    assert uc.begin_idempotent_request(**begin) == ANSWER
    assert uc.begin_idempotent_request(**{**begin, "principal": "key:k-2"}) is None


def test_an_abandoned_or_failed_first_request_frees_its_key(uc, clock):
    begin = dict(principal="person:p-1", key="envoi", fingerprint="a" * 64)
    assert uc.begin_idempotent_request(**begin) is None
    uc.abandon_idempotent_request(principal="person:p-1", key="envoi")
    assert uc.begin_idempotent_request(**begin) is None  # the failed request's retry runs again
    clock.advance(timedelta(minutes=5))  # its process died: nobody will ever answer it
    assert uc.begin_idempotent_request(**{**begin, "fingerprint": "b" * 64}) is None
