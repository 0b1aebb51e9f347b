"""Contract of the registration officers' repository (ports/officers.py).

Subclass ``RegistrationOfficerRepositoryContract`` once per adapter and implement
``make_adapter``: every call in one test returns a new unit of work over the same storage,
empty when the test starts. Plain asserts, no test framework needed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.model.errors import UniqueViolation
from domain.model.officer import RegistrationOfficer
from domain.model.person import Person
from domain.model.values import Email, PersonName
from ports.repositories import UnitOfWork

T0 = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)


class RegistrationOfficerRepositoryContract:
    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    def _person(self, person_id: str, email: str) -> None:
        # A store may require the person to exist (a foreign key): officers are persons.
        with self.make_adapter() as tx:
            tx.persons.add(Person.register(id=person_id, name=PersonName("Agnès", "Contrôle"), email=Email(email),
                                           mobile=None, now=T0))
            tx.commit()

    def test_an_appointed_officer_is_found_as_stored(self) -> None:
        self._person("p-1", "agent@seing.test")
        with self.make_adapter() as tx:
            tx.registration_officers.add(RegistrationOfficer.appoint(person_id="p-1", now=T0))
            tx.commit()
        with self.make_adapter() as tx:
            found = tx.registration_officers.find("p-1")
            assert found is not None and found.person_id == "p-1"
            assert found.appointed_at == T0 and found.revoked_at is None and found.active
            assert tx.registration_officers.find("p-2") is None

    def test_a_person_is_appointed_once(self) -> None:
        self._person("p-1", "agent@seing.test")
        with self.make_adapter() as tx:
            tx.registration_officers.add(RegistrationOfficer.appoint(person_id="p-1", now=T0))
            tx.commit()
        refused = False
        with self.make_adapter() as tx:
            try:  # refused at once or at the commit, depending on the store
                tx.registration_officers.add(RegistrationOfficer.appoint(person_id="p-1", now=T0))
                tx.commit()
            except UniqueViolation:
                refused = True
        assert refused

    def test_a_revocation_is_kept_and_nothing_without_commit(self) -> None:
        self._person("p-1", "agent@seing.test")
        with self.make_adapter() as tx:
            tx.registration_officers.add(RegistrationOfficer.appoint(person_id="p-1", now=T0))
            tx.commit()
        with self.make_adapter() as tx:
            tx.registration_officers.find("p-1").revoke(T0 + timedelta(hours=1))  # not committed
        with self.make_adapter() as tx:
            assert tx.registration_officers.find("p-1").active
            tx.registration_officers.find("p-1").revoke(T0 + timedelta(hours=1))
            tx.commit()
        with self.make_adapter() as tx:
            officer = tx.registration_officers.find("p-1")
            assert officer.revoked_at == T0 + timedelta(hours=1) and not officer.active

    def test_all_lists_officers_by_appointment(self) -> None:
        self._person("p-1", "one@seing.test")
        self._person("p-2", "two@seing.test")
        with self.make_adapter() as tx:
            tx.registration_officers.add(RegistrationOfficer.appoint(person_id="p-2", now=T0 + timedelta(days=1)))
            tx.registration_officers.add(RegistrationOfficer.appoint(person_id="p-1", now=T0))
            tx.commit()
        with self.make_adapter() as tx:
            assert [o.person_id for o in tx.registration_officers.all()] == ["p-1", "p-2"]
