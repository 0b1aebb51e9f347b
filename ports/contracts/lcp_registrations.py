"""Contract of the LCP registration repository (ports/lcp_registrations.py).

Subclass once per adapter (the fake included) and implement ``make_adapter``; a database
adapter also implements ``commit`` and ``reload`` (a fresh unit of work over the same data).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.model.cabinet import Delegation, Member, Role
from domain.model.errors import NotFound, RegistrationNotFound, UniqueViolation
from domain.model.lcp_registration import LcpRegistration, RegistrationState, TermsConsent
from domain.model.person import Person
from domain.model.values import Email, Mobile, PersonName
from ports.lcp_registrations import LcpRegistrationRepository

__all__ = ["LcpRegistrationRepositoryContract", "a_registration"]

T0 = datetime(2026, 11, 28, 9, 0, 12, 345678, tzinfo=UTC)


def a_registration(id: str, *, person_id: str = "per-1", cabinet_id: str = "cab-1",
                   at: datetime = T0) -> LcpRegistration:
    person = Person.register(id=person_id, name=PersonName("Jessica Marie", "Poussart"),
                             email=Email("jessica@poussart.fr"), mobile=Mobile("06 24 00 00 13"), now=T0)
    member = Member(id="mem-1", cabinet_id=cabinet_id, person_id=person_id, role=Role.COLLABORATOR,
                    delegations=frozenset({Delegation.SIGN}), joined_at=T0)
    return LcpRegistration.start(id=id, person=person, cabinet_id=cabinet_id, member=member,
                                 active_registration=None, has_active_lcp=False, now=at)


class LcpRegistrationRepositoryContract:
    def make_adapter(self) -> LcpRegistrationRepository:
        raise NotImplementedError

    def commit(self, repository: LcpRegistrationRepository) -> None:
        """Make changes durable (a database adapter commits its unit of work here)."""

    def reload(self, repository: LcpRegistrationRepository) -> LcpRegistrationRepository:
        """The repository as a fresh unit of work sees it; the fake returns itself."""
        return repository

    def _stored(self, *registrations: LcpRegistration) -> LcpRegistrationRepository:
        repository = self.make_adapter()
        for registration in registrations:
            repository.add(registration)
        self.commit(repository)
        return self.reload(repository)

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_adapter(), LcpRegistrationRepository)

    def test_a_started_registration_comes_back_with_every_field(self) -> None:
        found = self._stored(a_registration("r-1")).get("r-1")
        assert (found.id, found.person_id, found.cabinet_id) == ("r-1", "per-1", "cab-1")
        assert found.name == PersonName("Jessica Marie", "Poussart")
        assert (found.email, found.mobile) == (Email("jessica@poussart.fr"), Mobile("+33624000013"))
        assert (found.state, found.started_at, found.updated_at) == (RegistrationState.STARTED, T0, T0)
        assert found.started_at.utcoffset() == timedelta(0)
        assert [step.kind for step in found.history] == ["started"]
        assert found.history[0].detail_dict()["mobile"] == "+33624000013"

    def test_every_step_is_kept_after_commit_through_to_issuance(self) -> None:
        repository = self._stored(a_registration("r-1"))
        registration = repository.get("r-1")
        at = [T0 + timedelta(minutes=m) for m in range(1, 6)]
        registration.verify_email(at[0])
        registration.verify_mobile(at[1])
        registration.confirm_identity(name=PersonName("Jessica", "Poussart"), email=registration.email,
                                      mobile=registration.mobile, now=at[2])
        registration.accept_terms(version="cgu-2026-11", now=at[3])
        registration.mark_issued(certificate_id="cert-1", now=at[4])
        self.commit(repository)
        found = self.reload(repository).get("r-1")
        assert found.state is RegistrationState.ISSUED
        assert (found.email_verified_at, found.mobile_verified_at, found.identity_confirmed_at) == tuple(at[:3])
        assert found.consent == TermsConsent(version="cgu-2026-11", accepted_at=at[3])
        assert (found.issued_at, found.certificate_id) == (at[4], "cert-1")
        assert found.name == PersonName("Jessica", "Poussart")
        assert [s.kind for s in found.history] == [
            "started", "verify_email", "verify_mobile", "confirm_identity", "accept_terms", "issue"]

    def test_a_cancellation_is_kept(self) -> None:
        repository = self._stored(a_registration("r-1"))
        repository.get("r-1").cancel(T0 + timedelta(minutes=3))
        self.commit(repository)
        found = self.reload(repository).get("r-1")
        assert (found.state, found.cancelled_at) == (RegistrationState.CANCELLED, T0 + timedelta(minutes=3))

    def test_an_unknown_registration_is_not_found(self) -> None:
        try:
            self.make_adapter().get("nope")
        except RegistrationNotFound as error:
            assert isinstance(error, NotFound)
            return
        raise AssertionError("get() of an unknown id must raise RegistrationNotFound")

    def test_active_for_is_the_one_under_way_for_that_person_and_cabinet(self) -> None:
        repository = self._stored(a_registration("r-1"), a_registration("r-other-cabinet", cabinet_id="cab-2"),
                                  a_registration("r-other-person", person_id="per-2"))
        found = repository.active_for("per-1", "cab-1")
        assert found is not None and found.id == "r-1"
        assert repository.active_for("per-3", "cab-1") is None
        repository.get("r-1").cancel(T0 + timedelta(minutes=1))
        self.commit(repository)
        assert self.reload(repository).active_for("per-1", "cab-1") is None

    def test_a_second_active_registration_for_one_person_and_cabinet_is_refused(self) -> None:
        repository = self._stored(a_registration("r-1"))
        try:
            repository.add(a_registration("r-2", at=T0 + timedelta(minutes=1)))
            self.commit(repository)
        except UniqueViolation:
            return
        raise AssertionError("one active registration per person and cabinet")

    def test_a_new_registration_after_a_cancelled_one_is_accepted(self) -> None:
        repository = self._stored(a_registration("r-1"))
        repository.get("r-1").cancel(T0 + timedelta(minutes=1))
        self.commit(repository)
        repository = self.reload(repository)
        repository.add(a_registration("r-2", at=T0 + timedelta(minutes=2)))
        self.commit(repository)
        active = self.reload(repository).active_for("per-1", "cab-1")
        assert active is not None and active.id == "r-2"

    def test_latest_for_is_the_newest_whatever_its_state(self) -> None:
        repository = self._stored(a_registration("r-1"))
        assert repository.latest_for("per-1", "cab-2") is None
        repository.get("r-1").cancel(T0 + timedelta(minutes=1))
        self.commit(repository)
        latest = self.reload(repository).latest_for("per-1", "cab-1")
        assert latest is not None and (latest.id, latest.state) == ("r-1", RegistrationState.CANCELLED)
        repository = self.reload(repository)
        repository.add(a_registration("r-2", at=T0 + timedelta(minutes=2)))
        self.commit(repository)
        latest = self.reload(repository).latest_for("per-1", "cab-1")
        assert latest is not None and latest.id == "r-2"
