"""Registration officers: appointed from the command line, checked by the back-office.

The role is the platform's, not a cabinet's: nothing here looks at memberships.
"""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen

from domain.model.account import Account
from domain.model.errors import WeakPassword
from domain.model.officer import RegistrationOfficer
from domain.model.person import Person
from domain.model.values import Email, PersonName, check_password_strength
from ports.clock import Clock
from ports.ids import IdGenerator
from ports.repositories import UnitOfWork
from ports.security import PasswordHasher

__all__ = ["OfficerAppointed", "appoint_officer", "is_registration_officer"]

UowFactory = Callable[[], UnitOfWork]


@frozen
class OfficerAppointed:
    person_id: str
    created_person: bool  # False: an existing person (a member of a cabinet, say) got the role


def appoint_officer(*, uow: UowFactory, clock: Clock, ids: IdGenerator, hasher: PasswordHasher, email: str,
                    given_names: str = "", surname: str = "", password: str | None = None) -> OfficerAppointed:
    """« seing officer create »: the person with this email becomes a registration officer.
    Someone unknown is created with the given name and password (both then required);
    appointing an officer again is harmless (a revoked one is reinstated)."""
    now = clock.now()
    address = Email(email)
    with uow() as tx:
        person = tx.persons.by_email(address)
        created = person is None
        if person is None:
            name = PersonName(given_names, surname)
            if password is None:
                raise WeakPassword("a new registration officer needs a password")
            check_password_strength(password)
            person = Person.register(id=ids.new_id(), name=name, email=address, mobile=None, now=now)
            tx.persons.add(person)
            account = Account(person_id=person.id, password_hash=None)
            account.set_password(hasher.hash(password), now)
            tx.accounts.add(account)
        officer = tx.registration_officers.find(person.id)
        if officer is None:
            tx.registration_officers.add(RegistrationOfficer.appoint(person_id=person.id, now=now))
        else:
            officer.reinstate(now)
        tx.commit()
        return OfficerAppointed(person_id=person.id, created_person=created)


def is_registration_officer(*, uow: UowFactory, person_id: str) -> bool:
    with uow() as tx:
        officer = tx.registration_officers.find(person_id)
        return officer is not None and officer.active
