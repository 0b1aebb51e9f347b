"""Registration officers: appointed by `seing officer create`, kept by every store, cabinet-independent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.ids import SequentialIds
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from adapters.memory.security import PlainPasswordHasher
from domain.model.errors import WeakPassword
from domain.services.officers import appoint_officer, is_registration_officer
from entrypoints.cli import main

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _memory():
    store, clock = InMemoryStore(), FixedClock(NOW)
    return (lambda: InMemoryUnitOfWork(store, clock=clock)), clock


def test_an_unknown_person_is_created_with_a_password_and_becomes_officer():
    uow, clock = _memory()
    appointed = appoint_officer(uow=uow, clock=clock, ids=SequentialIds("p"), hasher=PlainPasswordHasher(),
                                email="agent@seing.test", given_names="Agnès", surname="Contrôle",
                                password="correct horse battery")
    assert appointed.created_person
    assert is_registration_officer(uow=uow, person_id=appointed.person_id)
    assert not is_registration_officer(uow=uow, person_id="someone-else")


def test_appointing_twice_is_harmless_and_a_new_person_needs_a_password():
    uow, clock = _memory()
    ids, hasher = SequentialIds("p"), PlainPasswordHasher()
    first = appoint_officer(uow=uow, clock=clock, ids=ids, hasher=hasher, email="agent@seing.test",
                            given_names="Agnès", surname="Contrôle", password="correct horse battery")
    again = appoint_officer(uow=uow, clock=clock, ids=ids, hasher=hasher, email="agent@seing.test")
    assert again.person_id == first.person_id and not again.created_person
    with pytest.raises(WeakPassword):
        appoint_officer(uow=uow, clock=clock, ids=ids, hasher=hasher, email="new@seing.test",
                        given_names="Jean", surname="Neuf")


def test_a_revoked_officer_is_no_officer_until_appointed_again():
    uow, clock = _memory()
    ids, hasher = SequentialIds("p"), PlainPasswordHasher()
    person = appoint_officer(uow=uow, clock=clock, ids=ids, hasher=hasher, email="agent@seing.test",
                             given_names="Agnès", surname="Contrôle", password="correct horse battery").person_id
    with uow() as tx:
        tx.registration_officers.find(person).revoke(NOW + timedelta(days=1))
        tx.commit()
    assert not is_registration_officer(uow=uow, person_id=person)
    appoint_officer(uow=uow, clock=clock, ids=ids, hasher=hasher, email="agent@seing.test")
    assert is_registration_officer(uow=uow, person_id=person)


def test_the_cli_creates_an_officer_who_can_log_in(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    for name in ("SEING_KEK", "SEING_DATABASE_URL", "SEING_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["officer", "create", "--email", "agent@seing.test", "--given-names", "Agnès", "--surname",
                 "Contrôle", "--password", "correct horse battery"]) == 0
    assert "registration officer agent@seing.test created" in capsys.readouterr().out
    from entrypoints.composition.container import build_container
    from entrypoints.settings import load_settings

    container = build_container(load_settings())
    container.init_resources()
    try:
        session = container.use_cases.login(email="agent@seing.test", password="correct horse battery")
        person_id = getattr(session, "person_id", None) or session.person.id
        assert container.use_cases.is_registration_officer(person_id=person_id)
    finally:
        container.shutdown_resources()
