"""What the Pony adapter guarantees beyond the contracts: transactions seen from other
threads, refused lost updates, and guards against mixing sessions in one thread."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Callable, TypeVar

import pytest
from pony.orm import Database

from adapters.memory.clock import FixedClock
from adapters.persistence import PonyJobStore, PonyUnitOfWork
from domain.model.errors import Conflict
from domain.model.jobs import Channel, JobSpec
from domain.model.one_time_code import ChallengeStatus, OneTimeCodeChallenge
from domain.model.person import Person
from domain.model.values import Email, Mobile, PersonName

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
# Units of work stamp jobs with this clock, so T0 means the same instant to them and to the test.
CLOCK = FixedClock(T0)
R = TypeVar("R")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(f"{request.param}_db")  # type: ignore[no-any-return]


def _in_other_thread(db: Database, action: Callable[[], R]) -> R:
    results: list[R] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(action())
        except BaseException as error:  # noqa: BLE001 - re-raised below
            errors.append(error)
        finally:
            db.disconnect()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other thread is stuck"
    if errors:
        raise errors[0]
    return results[0]


def _store_person(db: Database) -> None:
    with PonyUnitOfWork(db, clock=CLOCK) as uow:
        uow.persons.add(Person.register(id="per-1", name=PersonName("Jessica", "Poussart"),
                                        email=Email("jessica@example.org"), mobile=Mobile("0612345678"), now=T0))
        uow.commit()


def test_a_change_committed_meanwhile_by_another_unit_of_work_is_not_overwritten(db: Database) -> None:
    _store_person(db)

    def change_name_elsewhere() -> None:
        with PonyUnitOfWork(db, clock=CLOCK) as other:
            other.persons.get("per-1").rename(PersonName("Jessica", "Martin"))
            other.commit()

    with PonyUnitOfWork(db, clock=CLOCK) as uow:
        person = uow.persons.get("per-1")
        _in_other_thread(db, change_name_elsewhere)
        person.rename(PersonName("Jessica", "Durand"))
        with pytest.raises(Conflict):
            uow.commit()

    with PonyUnitOfWork(db, clock=CLOCK) as uow:
        assert uow.persons.get("per-1").name.surname == "Martin"


@pytest.mark.postgres
def test_a_job_flushed_but_not_committed_is_invisible_to_workers(postgres_db: Database) -> None:
    store = PonyJobStore(postgres_db)
    with PonyUnitOfWork(postgres_db, clock=CLOCK) as uow:
        job_id = uow.jobs.enqueue(JobSpec(kind="k"))
        postgres_db.flush()  # the row is in the database, inside the open transaction
        assert _in_other_thread(postgres_db, lambda: store.claim(now=T0, limit=5, lease_seconds=60)) == []
        uow.commit()
    assert [j.id for j in store.claim(now=T0, limit=5, lease_seconds=60)] == [job_id]


def test_units_of_work_do_not_nest_in_one_thread(db: Database) -> None:
    with PonyUnitOfWork(db, clock=CLOCK):
        with pytest.raises(RuntimeError):
            PonyUnitOfWork(db, clock=CLOCK).__enter__()


def test_the_job_store_refuses_to_join_an_open_unit_of_work(db: Database) -> None:
    with PonyUnitOfWork(db, clock=CLOCK):
        with pytest.raises(RuntimeError):
            PonyJobStore(db).claim(now=T0, limit=1, lease_seconds=60)


def test_one_code_cannot_be_used_by_two_concurrent_checks(db: Database) -> None:
    """ports/one_time_codes.py asks for it: the second commit is refused, not merged."""
    challenge = OneTimeCodeChallenge.issue(id="ch-1", person_id="per-1", purpose="lcp_registration.email",
                                           channel=Channel.EMAIL, destination="jessica@example.org",
                                           code_hash="hmac-sha256$k1$abc", now=T0)
    with PonyUnitOfWork(db, clock=CLOCK) as uow:
        uow.one_time_codes.add(challenge)
        uow.commit()

    def use_elsewhere() -> None:
        with PonyUnitOfWork(db, clock=CLOCK) as other:
            other.one_time_codes.get("ch-1").verify(matches=lambda _h: True, payload_digest=None,
                                                    now=T0 + timedelta(seconds=5))
            other.commit()

    with PonyUnitOfWork(db, clock=CLOCK) as uow:
        mine = uow.one_time_codes.get("ch-1")
        _in_other_thread(db, use_elsewhere)
        mine.verify(matches=lambda _h: True, payload_digest=None, now=T0 + timedelta(seconds=6))
        with pytest.raises(Conflict):
            uow.commit()

    with PonyUnitOfWork(db, clock=CLOCK) as uow:
        stored = uow.one_time_codes.get("ch-1")
        assert (stored.status, stored.used_at) == (ChallengeStatus.USED, T0 + timedelta(seconds=5))
