"""A page view is a read: the signer's first opening is recorded once, later views write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.persistence import InMemoryUnitOfWork
from domain.model.audit import verify_chain
from domain.model.collection import InvitationMode
from domain.model.errors import InvitationLinkUnusable
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from domain.services import ceremony
from tests.ceremony.harness import Ceremony


@pytest.fixture
def world(tmp_path):
    return Ceremony(tmp_path)


def _counting_uow(world: Ceremony):
    """The world's units of work, counting the transactions that commit."""
    counts = {"opened": 0, "committed": 0}

    class Counting(InMemoryUnitOfWork):
        def __enter__(self):
            counts["opened"] += 1
            return super().__enter__()

        def commit(self) -> None:
            counts["committed"] += 1
            super().commit()

    return (lambda: Counting(world.store, clock=world.clock)), counts


def _open(world: Ceremony, uow, token: str):
    a = world.container.adapters
    return ceremony.open_ceremony(uow=uow, clock=world.clock, store=a.document_store(), signing=a.pdf_signing(),
                                  locks=a.locks(), token=token)


def _two_signers(world: Ceremony) -> str:
    return world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names=name,
                                  surname="Exemple", email=f"{name.lower()}@exemple.fr") for name in ("Anne", "Bruno")],
                            mode=InvitationMode.PARALLEL)


def test_the_first_view_records_the_opening_once_and_later_views_commit_nothing(world):
    cid = _two_signers(world)
    token = world.token_of("anne@exemple.fr")
    uow, counts = _counting_uow(world)
    first = _open(world, uow, token)
    assert first.signer_status == "opened" and counts["committed"] == 1
    trail = world.trail(cid)
    assert [e.kind for e in trail].count("opened") == 1
    jobs = len(world.jobs())

    for _view in range(3):
        again = _open(world, uow, token)
        assert again == first
    assert counts["committed"] == 1  # no write at all on later views
    assert world.trail(cid) == trail and len(world.jobs()) == jobs
    assert world.get(cid).signers[0].status is SignerStatus.OPENED
    assert verify_chain(world.trail(cid)) is None
    assert world.uc.verify_audit_trails().broken == ()


def test_a_view_after_signing_writes_nothing_and_the_chain_still_verifies(world):
    cid = _two_signers(world)
    token = world.token_of("anne@exemple.fr")
    world.sign_as("anne@exemple.fr")
    trail = world.trail(cid)
    uow, counts = _counting_uow(world)
    view = _open(world, uow, token)
    assert view.signer_status == "signed" and counts == {"opened": 1, "committed": 0}
    assert world.trail(cid) == trail
    world.sign_as("bruno@exemple.fr")
    assert world.run_jobs("finalise_collection") == 1
    report = world.uc.verify_audit_trails()
    assert report.broken == () and report.events == len(world.trail(cid))


def _view(world: Ceremony, uow, token: str):
    a = world.container.adapters
    return ceremony.view_ceremony(uow=uow, clock=world.clock, store=a.document_store(), signing=a.pdf_signing(),
                                  locks=a.locks(), token=token)


def test_the_signer_page_reads_once_and_records_the_first_opening_once(world):
    cid = _two_signers(world)
    token = world.token_of("anne@exemple.fr")
    uow, counts = _counting_uow(world)
    first = _view(world, uow, token)
    assert first.signer_status == "opened" and first.steps_left
    # one read, then the conditional write of the first opening
    assert counts == {"opened": 2, "committed": 1}
    trail = world.trail(cid)
    for _view_again in range(3):
        assert _view(world, uow, token) == first
    assert counts == {"opened": 5, "committed": 1}  # one read per later view, no write
    assert world.trail(cid) == trail
    assert [e.kind for e in trail].count("opened") == 1


def test_the_signer_page_after_signing_shows_the_outcome_from_one_read(world):
    _two_signers(world)
    token = world.token_of("anne@exemple.fr")
    world.sign_as("anne@exemple.fr")
    uow, counts = _counting_uow(world)
    view = _view(world, uow, token)
    assert view.signer_status == "signed" and not view.steps_left
    assert counts == {"opened": 1, "committed": 0}


def test_the_signer_page_of_a_link_past_its_deadline_is_refused_with_the_reason(world):
    cid = _two_signers(world)
    token = world.token_of("anne@exemple.fr")
    world.clock.set(world.get(cid).deadline + timedelta(minutes=1))
    uow, counts = _counting_uow(world)
    with pytest.raises(InvitationLinkUnusable) as refused:
        _view(world, uow, token)
    assert refused.value.params["reason"] == "expired"
    assert counts["committed"] == 0
