"""Contract of the API keys' and idempotency repositories (ports/api_keys.py).

Subclass ``ApiKeyRepositoryContract`` once per adapter and implement ``make_adapter``: every
call in one test returns a new unit of work over the same storage, empty when the test
starts. Plain asserts, no test framework needed.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from domain.model.api_keys import ApiKey, ApiScope, IdempotencyRecord, StoredResponse
from domain.model.cabinet import Cabinet, Member
from domain.model.errors import UniqueViolation
from domain.model.person import Person
from domain.model.values import Email, PersonName, Siren
from ports.repositories import UnitOfWork

T0 = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)
SECRET = "s" * 43


class ApiKeyRepositoryContract:
    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    def _cabinet(self, cabinet_id: str, siren: str, person_id: str, email: str) -> None:
        # A store may require the cabinet and its owner to exist (foreign keys).
        with self.make_adapter() as tx:
            tx.persons.add(Person.register(id=person_id, name=PersonName("Jessica", "Poussart"), email=Email(email),
                                           mobile=None, now=T0))
            tx.cabinets.add(Cabinet.found(id=cabinet_id, name=f"Cabinet {cabinet_id}", siren=Siren(siren), now=T0))
            tx.members.add(Member.owner(id=f"m-{person_id}", cabinet_id=cabinet_id, person_id=person_id, now=T0))
            tx.commit()

    def _key(self, key_id: str, cabinet_id: str = "c-1", *, at: datetime = T0,
             scopes: frozenset[ApiScope] = frozenset({ApiScope.READ, ApiScope.PREPARE})) -> ApiKey:
        return ApiKey.issue(id=key_id, cabinet_id=cabinet_id, name=f"Logiciel {key_id}", scopes=scopes,
                            secret=SECRET + key_id, created_by="p-1", now=at)

    def test_a_key_is_found_as_stored(self) -> None:
        self._cabinet("c-1", "732829320", "p-1", "jessica@poussart.fr")
        with self.make_adapter() as tx:
            tx.api_keys.add(self._key("k-1"))
            tx.commit()
        with self.make_adapter() as tx:
            found = tx.api_keys.find("k-1")
            assert found == self._key("k-1")
            assert found.scopes == frozenset({ApiScope.READ, ApiScope.PREPARE}) and found.created_at == T0
            assert tx.api_keys.find("k-2") is None
            found.authenticate(SECRET + "k-1")

    def test_an_id_is_used_once(self) -> None:
        self._cabinet("c-1", "732829320", "p-1", "jessica@poussart.fr")
        with self.make_adapter() as tx:
            tx.api_keys.add(self._key("k-1"))
            tx.commit()
        refused = False
        with self.make_adapter() as tx:
            try:  # refused at once or at the commit, depending on the store
                tx.api_keys.add(self._key("k-1"))
                tx.commit()
            except UniqueViolation:
                refused = True
        assert refused

    def test_use_and_revocation_are_kept_and_nothing_without_commit(self) -> None:
        self._cabinet("c-1", "732829320", "p-1", "jessica@poussart.fr")
        with self.make_adapter() as tx:
            tx.api_keys.add(self._key("k-1"))
            tx.commit()
        with self.make_adapter() as tx:
            tx.api_keys.save(tx.api_keys.find("k-1").revoke(T0 + timedelta(hours=2)))  # not committed
        with self.make_adapter() as tx:
            key = tx.api_keys.find("k-1")
            assert key.active
            tx.api_keys.save(key.used(T0 + timedelta(hours=1)).revoke(T0 + timedelta(hours=2)))
            tx.commit()
        with self.make_adapter() as tx:
            key = tx.api_keys.find("k-1")
            assert key.last_used_at == T0 + timedelta(hours=1)
            assert key.revoked_at == T0 + timedelta(hours=2) and not key.active

    def test_two_requests_recording_a_use_of_one_key_at_once_both_commit(self) -> None:
        # An integrator's parallel calls with one key each record its use; neither is refused as a
        # conflict. A store that runs transactions one after the other makes the second wait (the
        # first gives up waiting after a second: a concurrent store commits the second well within
        # it, and the in-memory fake idled five each run): either use may then be the one kept.
        self._cabinet("c-1", "732829320", "p-1", "jessica@poussart.fr")
        with self.make_adapter() as tx:
            tx.api_keys.add(self._key("k-1"))
            tx.commit()
        read, written, failures = threading.Event(), threading.Event(), []

        def first() -> None:
            try:
                with self.make_adapter() as tx:
                    key = tx.api_keys.find("k-1")
                    read.set()
                    written.wait(1)
                    tx.api_keys.save(key.used(T0 + timedelta(hours=2)))
                    tx.commit()
            except Exception as error:  # reported by the assert below
                failures.append(error)
                read.set()

        thread = threading.Thread(target=first)
        thread.start()
        read.wait(10)
        with self.make_adapter() as tx:
            tx.api_keys.save(tx.api_keys.find("k-1").used(T0 + timedelta(hours=1)))
            tx.commit()
        written.set()
        thread.join(10)
        assert not failures, failures
        with self.make_adapter() as tx:
            assert tx.api_keys.find("k-1").last_used_at in (T0 + timedelta(hours=1), T0 + timedelta(hours=2))

    def test_a_cabinet_lists_its_own_keys_oldest_first(self) -> None:
        self._cabinet("c-1", "732829320", "p-1", "jessica@poussart.fr")
        self._cabinet("c-2", "552100554", "p-2", "autre@cabinet.fr")
        with self.make_adapter() as tx:
            tx.api_keys.add(self._key("k-b", at=T0 + timedelta(minutes=1)))
            tx.api_keys.add(self._key("k-a", at=T0 + timedelta(minutes=2)))
            tx.api_keys.add(self._key("k-other", "c-2"))
            tx.commit()
        with self.make_adapter() as tx:
            assert [k.id for k in tx.api_keys.of_cabinet("c-1")] == ["k-b", "k-a"]
            assert [k.id for k in tx.api_keys.of_cabinet("c-2")] == ["k-other"]
            assert tx.api_keys.of_cabinet("c-3") == []


class IdempotencyRepositoryContract:
    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    def _begin(self, principal: str = "key:k-1", key: str = "order-1", fingerprint: str = "f" * 64,
               at: datetime = T0) -> IdempotencyRecord:
        return IdempotencyRecord.begin(principal=principal, key=key, fingerprint=fingerprint, now=at)

    def test_a_reservation_is_found_then_answered(self) -> None:
        with self.make_adapter() as tx:
            tx.idempotency.add(self._begin())
            tx.commit()
        with self.make_adapter() as tx:
            record = tx.idempotency.find("key:k-1", "order-1")
            assert record == self._begin() and record.response is None
            assert record.expires_at == T0 + timedelta(hours=24)
            assert tx.idempotency.find("key:k-2", "order-1") is None
            assert tx.idempotency.find("key:k-1", "order-2") is None
            body = '{"collection_id": "é"}'.encode() + bytes([0, 255])
            tx.idempotency.save(record.answered(StoredResponse(status=201, content_type="application/json",
                                                               location="/api/v1/collections/c", body=body)))
            tx.commit()
        with self.make_adapter() as tx:
            response = tx.idempotency.find("key:k-1", "order-1").response
            assert response == StoredResponse(status=201, content_type="application/json",
                                              location="/api/v1/collections/c", body=body)

    def test_one_key_is_reserved_once_per_principal(self) -> None:
        with self.make_adapter() as tx:
            tx.idempotency.add(self._begin())
            tx.idempotency.add(self._begin(principal="person:p-1"))
            tx.commit()
        refused = False
        with self.make_adapter() as tx:
            try:
                tx.idempotency.add(self._begin(fingerprint="0" * 64))
                tx.commit()
            except UniqueViolation:
                refused = True
        assert refused
        with self.make_adapter() as tx:
            assert tx.idempotency.find("key:k-1", "order-1").fingerprint == "f" * 64

    def test_removed_and_expired_records_are_gone(self) -> None:
        with self.make_adapter() as tx:
            tx.idempotency.add(self._begin(key="old"))
            tx.idempotency.add(self._begin(key="new", at=T0 + timedelta(hours=12)))
            tx.idempotency.add(self._begin(key="dropped"))
            tx.commit()
        with self.make_adapter() as tx:
            tx.idempotency.remove("key:k-1", "dropped")
            assert tx.idempotency.purge_expired(T0 + timedelta(hours=24)) == 1
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.idempotency.find("key:k-1", "old") is None
            assert tx.idempotency.find("key:k-1", "dropped") is None
            assert tx.idempotency.find("key:k-1", "new") is not None
