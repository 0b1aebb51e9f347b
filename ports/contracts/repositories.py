"""Contract of the repositories and the unit of work (ports/repositories.py).

Subclass ``RepositoriesContract`` once per adapter and implement ``make_adapter``::

    class TestInMemoryRepositories(RepositoriesContract):
        def make_adapter(self):
            return InMemoryUnitOfWork(self.store, clock=FixedClock())   # same store for every call

Every call of ``make_adapter`` in one test must return a new unit of work over the same
storage, empty when the test starts. Plain asserts, no test framework needed.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, get_type_hints

from domain.model.account import Account, PasswordReset
from domain.model.cabinet import Cabinet, Delegation, Invitation, InvitationStatus, Member, Role
from domain.model.errors import EmailTaken, NotFound, UniqueViolation
from domain.model.person import Person
from domain.model.values import Email, Mobile, PersonName, Siren
from ports.repositories import UnitOfWork

T0 = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)


def siren_for(seed: int) -> Siren:
    """A valid SIREN (Luhn check digit appended) derived from ``seed``."""
    body = f"{seed % 10**8:08d}"
    for check in "0123456789":
        candidate = body + check
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return Siren(candidate)
    raise AssertionError("unreachable: one check digit always fits")


def a_cabinet(n: int = 1, *, name: str | None = None) -> Cabinet:
    return Cabinet.found(id=f"cab-{n}", name=name or f"Cabinet {n}", siren=siren_for(n), now=T0)


def a_person(n: int = 1, *, email: str | None = None, mobile: str | None = "06 12 34 56 78") -> Person:
    return Person.register(id=f"per-{n}", name=PersonName("Jessica Marie", f"Poussart-{chr(64 + n)}"),
                           email=Email(email or f"person{n}@example.org"),
                           mobile=Mobile(mobile) if mobile else None, now=T0)


def an_owner(cabinet: Cabinet, person: Person, n: int = 1, *, at: datetime = T0) -> Member:
    return Member.owner(id=f"mem-{n}", cabinet_id=cabinet.id, person_id=person.id, now=at)


def a_collaborator(cabinet: Cabinet, person: Person, n: int, *, at: datetime = T0,
                   delegations: frozenset[Delegation] = frozenset()) -> Member:
    return Member(id=f"mem-{n}", cabinet_id=cabinet.id, person_id=person.id, role=Role.COLLABORATOR,
                  delegations=delegations, joined_at=at)


def an_invitation(cabinet: Cabinet, owner: Member, n: int = 1, *, token_hash: str | None = None) -> Invitation:
    return Invitation.issue(id=f"inv-{n}", cabinet_id=cabinet.id, email=Email(f"invitee{n}@example.org"),
                            name=PersonName("Paul", f"Invité-{chr(64 + n)}"), role=Role.COLLABORATOR,
                            delegations=frozenset({Delegation.SIGN, Delegation.PREPARE}),
                            token_hash=token_hash or f"{n:064x}", by=owner, now=T0, already_member=False)


class RepositoriesContract:
    """What every unit of work and its repositories must do."""

    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    def test_a_unit_of_work_offers_every_repository_the_port_names(self) -> None:
        repositories = get_type_hints(UnitOfWork)
        assert {"qcp_enrollments", "capture_links", "registration_officers", "api_keys",
                "webhook_deliveries"} <= repositories.keys()
        with self.make_adapter() as tx:
            for name, port in repositories.items():
                assert isinstance(getattr(tx, name, None), port), f"uow.{name} is not a {port.__name__}"

    # helpers -------------------------------------------------------------------------

    def _stored(self, *objects: object) -> None:
        """Commit ``objects`` (cabinets, persons, members, ...) in one unit of work."""
        with self.make_adapter() as uow:
            for obj in objects:
                self._repository_for(uow, obj).add(obj)  # type: ignore[attr-defined]
            uow.commit()

    @staticmethod
    def _repository_for(uow: UnitOfWork, obj: object) -> object:
        return {Cabinet: uow.cabinets, Person: uow.persons, Member: uow.members, Invitation: uow.invitations,
                Account: uow.accounts, PasswordReset: uow.password_resets}[type(obj)]

    def _owner_setup(self) -> tuple[Cabinet, Person, Member]:
        cabinet, person = a_cabinet(1), a_person(1)
        owner = an_owner(cabinet, person)
        self._stored(cabinet, person, owner)
        return cabinet, person, owner

    def _refused(self, error: type[Exception], action: Callable[[UnitOfWork], None]) -> None:
        """``action`` then commit must raise ``error`` (at the call or at commit), storing nothing."""
        with self.make_adapter() as uow:
            try:
                action(uow)
                uow.commit()
            except error:
                pass
            else:
                raise AssertionError(f"expected {error.__name__}")

    # cabinets ----------------------------------------------------------------------------

    def test_an_added_cabinet_is_found_after_commit(self) -> None:
        cabinet = a_cabinet(1, name="  Cabinet   Durand  ")
        self._stored(cabinet)
        with self.make_adapter() as uow:
            found = uow.cabinets.get(cabinet.id)
            assert (found.id, found.name, found.siren, found.created_at) == (
                cabinet.id, "Cabinet Durand", cabinet.siren, T0)
            by_siren = uow.cabinets.by_siren(str(cabinet.siren))
            assert by_siren is not None and by_siren.id == cabinet.id

    def test_an_unknown_siren_finds_no_cabinet(self) -> None:
        self._stored(a_cabinet(1))
        with self.make_adapter() as uow:
            assert uow.cabinets.by_siren(str(siren_for(2))) is None

    def test_cabinets_listed_by_ids_are_only_those_named_ordered_by_name(self) -> None:
        self._stored(a_cabinet(1, name="Zeta"), a_cabinet(2, name="Alpha"), a_cabinet(3, name="Mu"))
        with self.make_adapter() as uow:
            listed = uow.cabinets.list_by_ids(["cab-1", "cab-2", "cab-unknown"])
            assert [c.name for c in listed] == ["Alpha", "Zeta"]
            assert uow.cabinets.list_by_ids([]) == []

    def test_a_second_cabinet_with_the_same_siren_is_refused(self) -> None:
        self._stored(a_cabinet(1))
        duplicate = Cabinet.found(id="cab-other", name="Autre", siren=siren_for(1), now=T0)
        self._refused(UniqueViolation, lambda uow: uow.cabinets.add(duplicate))
        with self.make_adapter() as uow:
            assert uow.cabinets.by_siren(str(siren_for(1))).id == "cab-1"  # type: ignore[union-attr]
            self._assert_not_found(lambda: uow.cabinets.get("cab-other"))

    # get of what does not exist ------------------------------------------------------------

    @staticmethod
    def _assert_not_found(action: Callable[[], object]) -> None:
        try:
            action()
        except NotFound:
            return
        raise AssertionError("expected NotFound")

    def test_get_of_an_unknown_id_raises_not_found(self) -> None:
        with self.make_adapter() as uow:
            self._assert_not_found(lambda: uow.cabinets.get("nope"))
            self._assert_not_found(lambda: uow.persons.get("nope"))
            self._assert_not_found(lambda: uow.members.get("nope"))
            self._assert_not_found(lambda: uow.invitations.get("nope"))
            self._assert_not_found(lambda: uow.accounts.get("nope"))

    def test_blank_or_padded_ids_are_simply_not_found(self) -> None:
        person = a_person(1)
        self._stored(person)
        with self.make_adapter() as uow:
            for key in ("", " ", "\u00a0", "\t", f" {person.id}", f"{person.id}\n"):
                self._assert_not_found(lambda key=key: uow.persons.get(key))
                self._assert_not_found(lambda key=key: uow.cabinets.get(key))
                assert uow.accounts.find(key) is None

    # unit of work semantics --------------------------------------------------------------

    def test_leaving_without_commit_stores_nothing(self) -> None:
        with self.make_adapter() as uow:
            uow.cabinets.add(a_cabinet(1))
            uow.persons.add(a_person(1))
        with self.make_adapter() as uow:
            self._assert_not_found(lambda: uow.cabinets.get("cab-1"))
            assert uow.persons.by_email(Email("person1@example.org")) is None

    def test_an_exception_in_the_block_stores_nothing(self) -> None:
        try:
            with self.make_adapter() as uow:
                uow.cabinets.add(a_cabinet(1))
                raise RuntimeError("the use case failed half-way")
        except RuntimeError:
            pass
        with self.make_adapter() as uow:
            self._assert_not_found(lambda: uow.cabinets.get("cab-1"))

    def test_changes_to_a_fetched_aggregate_are_stored_on_commit(self) -> None:
        self._stored(a_person(1))
        with self.make_adapter() as uow:
            person = uow.persons.get("per-1")
            person.change_mobile(Mobile("07 00 00 00 01"))
            person.rename(PersonName("Jessica", "Martin"))
            uow.commit()
        with self.make_adapter() as uow:
            person = uow.persons.get("per-1")
            assert person.mobile == Mobile("+33700000001")
            assert person.name == PersonName("Jessica", "Martin")

    def test_changes_to_an_aggregate_found_by_a_query_are_stored_on_commit(self) -> None:
        self._stored(a_person(1))
        with self.make_adapter() as uow:
            found = uow.persons.by_email(Email("PERSON1@example.org"))
            assert found is not None
            found.change_mobile(None)
            uow.commit()
        with self.make_adapter() as uow:
            assert uow.persons.get("per-1").mobile is None

    def test_changes_to_an_added_aggregate_after_add_are_stored_on_commit(self) -> None:
        with self.make_adapter() as uow:
            person = a_person(1)
            uow.persons.add(person)
            person.change_mobile(Mobile("+33611111111"))
            uow.commit()
        with self.make_adapter() as uow:
            assert uow.persons.get("per-1").mobile == Mobile("+33611111111")

    def test_changes_without_commit_are_discarded(self) -> None:
        self._stored(a_person(1))
        with self.make_adapter() as uow:
            uow.persons.get("per-1").change_mobile(None)
        with self.make_adapter() as uow:
            assert uow.persons.get("per-1").mobile == Mobile("06 12 34 56 78")

    def test_changes_after_the_last_commit_are_discarded(self) -> None:
        with self.make_adapter() as uow:
            person = a_person(1)
            uow.persons.add(person)
            uow.commit()
            person.change_mobile(None)
        with self.make_adapter() as uow:
            assert uow.persons.get("per-1").mobile == Mobile("06 12 34 56 78")

    def test_changes_made_after_a_commit_are_stored_by_the_next_commit(self) -> None:
        with self.make_adapter() as uow:
            person = a_person(1)
            uow.persons.add(person)
            uow.commit()
            person.change_mobile(None)
            uow.cabinets.add(a_cabinet(1))
            uow.commit()
        with self.make_adapter() as uow:
            assert uow.persons.get("per-1").mobile is None
            assert uow.cabinets.get("cab-1").name == "Cabinet 1"

    def test_rollback_discards_changes_and_the_unit_of_work_goes_on(self) -> None:
        self._stored(a_person(1))
        with self.make_adapter() as uow:
            uow.persons.get("per-1").change_mobile(None)
            uow.cabinets.add(a_cabinet(1))
            uow.rollback()
            assert uow.persons.get("per-1").mobile == Mobile("06 12 34 56 78")
            self._assert_not_found(lambda: uow.cabinets.get("cab-1"))
            uow.cabinets.add(a_cabinet(2))
            uow.commit()
        with self.make_adapter() as uow:
            assert uow.persons.get("per-1").mobile == Mobile("06 12 34 56 78")
            assert uow.cabinets.get("cab-2").name == "Cabinet 2"
            self._assert_not_found(lambda: uow.cabinets.get("cab-1"))

    def test_two_lookups_of_one_aggregate_give_the_same_object(self) -> None:
        self._stored(a_person(1))
        with self.make_adapter() as uow:
            first = uow.persons.get("per-1")
            assert uow.persons.by_email(Email("person1@example.org")) is first
            assert uow.persons.get("per-1") is first

    # persons ------------------------------------------------------------------------------

    def test_a_person_round_trips_with_every_field(self) -> None:
        person = a_person(1)
        person.locale = "en"
        without_mobile = a_person(2, mobile=None)
        self._stored(person, without_mobile)
        with self.make_adapter() as uow:
            found = uow.persons.get("per-1")
            assert (found.name, found.email, found.mobile, found.created_at, found.locale) == (
                person.name, person.email, person.mobile, T0, "en")
            assert uow.persons.get("per-2").mobile is None
            by_email = uow.persons.by_email(Email("person2@example.org"))
            assert by_email is not None and by_email.id == "per-2"
            assert uow.persons.by_email(Email("nobody@example.org")) is None

    def test_a_second_person_with_the_same_email_is_refused(self) -> None:
        self._stored(a_person(1))
        twin = a_person(2, email="Person1@Example.org")
        self._refused(EmailTaken, lambda uow: uow.persons.add(twin))
        with self.make_adapter() as uow:
            self._assert_not_found(lambda: uow.persons.get("per-2"))

    def test_two_persons_with_one_email_in_one_unit_of_work_are_refused(self) -> None:
        def both(uow: UnitOfWork) -> None:
            uow.persons.add(a_person(1))
            uow.persons.add(a_person(2, email="person1@example.org"))

        self._refused(EmailTaken, both)
        with self.make_adapter() as uow:
            assert uow.persons.by_email(Email("person1@example.org")) is None

    # members ------------------------------------------------------------------------------

    def test_a_member_round_trips_with_role_and_delegations(self) -> None:
        cabinet, person, owner = self._owner_setup()
        other = a_person(2)
        bare = a_collaborator(cabinet, other, 2, at=T0 + timedelta(days=1))
        self._stored(other, bare)
        with self.make_adapter() as uow:
            found = uow.members.get(owner.id)
            assert (found.cabinet_id, found.person_id, found.role, found.delegations, found.joined_at) == (
                cabinet.id, person.id, Role.OWNER, frozenset(Delegation), T0)
            found_bare = uow.members.find(cabinet.id, other.id)
            assert found_bare is not None and found_bare.id == bare.id
            assert found_bare.role is Role.COLLABORATOR and found_bare.delegations == frozenset()
            assert uow.members.find(cabinet.id, "per-unknown") is None

    def test_members_of_a_cabinet_come_in_joining_order(self) -> None:
        cabinet, _person, owner = self._owner_setup()
        other_cabinet = a_cabinet(9)
        late, early, elsewhere = a_person(2), a_person(3), a_person(4)
        self._stored(other_cabinet, late, early, elsewhere,
                     a_collaborator(cabinet, late, 2, at=T0 + timedelta(days=2)),
                     a_collaborator(cabinet, early, 3, at=T0 + timedelta(days=1)),
                     a_collaborator(other_cabinet, elsewhere, 4))
        with self.make_adapter() as uow:
            assert [m.id for m in uow.members.of_cabinet(cabinet.id)] == [owner.id, "mem-3", "mem-2"]
            assert uow.members.of_cabinet("cab-unknown") == []

    def test_memberships_of_a_person_span_cabinets(self) -> None:
        cabinet, person, owner = self._owner_setup()
        second = a_cabinet(2)
        self._stored(second, a_collaborator(second, person, 2), a_person(3),
                     a_collaborator(cabinet, a_person(3), 3))
        with self.make_adapter() as uow:
            assert {m.id for m in uow.members.of_person(person.id)} == {owner.id, "mem-2"}
            assert uow.members.of_person("per-unknown") == []

    def test_a_granted_delegation_is_stored(self) -> None:
        cabinet, _person, owner = self._owner_setup()
        other = a_person(2)
        self._stored(other, a_collaborator(cabinet, other, 2))
        with self.make_adapter() as uow:
            by = uow.members.get(owner.id)
            uow.members.get("mem-2").grant(Delegation.SEAL, by=by)
            uow.members.get("mem-2").grant(Delegation.SIGN, by=by)
            uow.commit()
        with self.make_adapter() as uow:
            assert uow.members.get("mem-2").delegations == {Delegation.SEAL, Delegation.SIGN}

    def test_a_removed_member_is_gone_after_commit(self) -> None:
        cabinet, _person, owner = self._owner_setup()
        other = a_person(2)
        self._stored(other, a_collaborator(cabinet, other, 2))
        with self.make_adapter() as uow:
            uow.members.remove(uow.members.get("mem-2"))
            uow.commit()
        with self.make_adapter() as uow:
            self._assert_not_found(lambda: uow.members.get("mem-2"))
            assert uow.members.find(cabinet.id, other.id) is None
            assert [m.id for m in uow.members.of_cabinet(cabinet.id)] == [owner.id]

    def test_a_removed_member_is_gone_at_once_in_its_unit_of_work(self) -> None:
        cabinet, _person, owner = self._owner_setup()
        with self.make_adapter() as uow:
            uow.members.remove(uow.members.get(owner.id))
            self._assert_not_found(lambda: uow.members.get(owner.id))
            assert uow.members.of_cabinet(cabinet.id) == []
            assert uow.members.find(cabinet.id, owner.person_id) is None

    def test_a_removal_without_commit_is_discarded(self) -> None:
        _cabinet, _person, owner = self._owner_setup()
        with self.make_adapter() as uow:
            uow.members.remove(uow.members.get(owner.id))
        with self.make_adapter() as uow:
            assert uow.members.get(owner.id).is_owner

    def test_a_person_joins_a_cabinet_only_once(self) -> None:
        cabinet, person, _owner = self._owner_setup()
        again = a_collaborator(cabinet, person, 2)
        self._refused(UniqueViolation, lambda uow: uow.members.add(again))
        with self.make_adapter() as uow:
            self._assert_not_found(lambda: uow.members.get("mem-2"))

    # invitations --------------------------------------------------------------------------

    def test_an_invitation_round_trips_and_is_found_by_its_token_hash(self) -> None:
        cabinet, _person, owner = self._owner_setup()
        invitation = an_invitation(cabinet, owner, 1, token_hash="ab" * 32)
        self._stored(invitation)
        with self.make_adapter() as uow:
            found = uow.invitations.get(invitation.id)
            assert (found.cabinet_id, found.email, found.name, found.role, found.delegations, found.token_hash,
                    found.invited_by, found.created_at, found.expires_at, found.status, found.accepted_at) == (
                cabinet.id, invitation.email, invitation.name, Role.COLLABORATOR,
                {Delegation.SIGN, Delegation.PREPARE}, "ab" * 32, owner.id, T0, invitation.expires_at,
                InvitationStatus.PENDING, None)
            by_token = uow.invitations.by_token_hash("ab" * 32)
            assert by_token is not None and by_token.id == invitation.id
            assert uow.invitations.by_token_hash("cd" * 32) is None

    def test_pending_invitations_exclude_used_ones_and_other_cabinets(self) -> None:
        cabinet, _person, owner = self._owner_setup()
        other_cabinet, other_person = a_cabinet(2), a_person(2)
        other_owner = an_owner(other_cabinet, other_person, 2)
        self._stored(other_cabinet, other_person, other_owner,
                     an_invitation(cabinet, owner, 1), an_invitation(cabinet, owner, 2),
                     an_invitation(cabinet, owner, 3), an_invitation(other_cabinet, other_owner, 4))
        with self.make_adapter() as uow:
            uow.invitations.get("inv-2").accept(now=T0 + timedelta(hours=1))
            uow.invitations.get("inv-3").revoke(by=uow.members.get(owner.id))
            uow.commit()
        with self.make_adapter() as uow:
            assert {i.id for i in uow.invitations.pending_for_cabinet(cabinet.id)} == {"inv-1"}
            accepted = uow.invitations.get("inv-2")
            assert accepted.status is InvitationStatus.ACCEPTED
            assert accepted.accepted_at == T0 + timedelta(hours=1)
            assert uow.invitations.get("inv-3").status is InvitationStatus.REVOKED

    # accounts -----------------------------------------------------------------------------

    def test_an_account_round_trips_with_every_field(self) -> None:
        person = a_person(1)
        account = Account(person_id=person.id, password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                          failed_logins=3, locked_until=T0 + timedelta(minutes=15), totp_secret="JBSWY3DPEHPK3PXP",
                          totp_enabled=True, recovery_code_hashes=("h1", "h2,with comma", "h3"),
                          password_changed_at=T0)
        invited = a_person(2)
        self._stored(person, invited, account, Account(person_id=invited.id, password_hash=None))
        with self.make_adapter() as uow:
            found = uow.accounts.get(person.id)
            assert (found.password_hash, found.failed_logins, found.locked_until, found.totp_secret,
                    found.totp_enabled, found.recovery_code_hashes, found.password_changed_at) == (
                account.password_hash, 3, T0 + timedelta(minutes=15), "JBSWY3DPEHPK3PXP", True,
                ("h1", "h2,with comma", "h3"), T0)
            bare = uow.accounts.find(invited.id)
            assert bare is not None
            assert (bare.password_hash, bare.failed_logins, bare.locked_until, bare.totp_secret, bare.totp_enabled,
                    bare.recovery_code_hashes, bare.password_changed_at) == (None, 0, None, None, False, (), None)
            assert uow.accounts.find("per-unknown") is None

    def test_failed_logins_and_a_used_recovery_code_are_stored(self) -> None:
        person = a_person(1)
        self._stored(person, Account(person_id=person.id, password_hash="x", totp_secret="S", totp_enabled=True,
                                     recovery_code_hashes=("h1", "h2")))
        with self.make_adapter() as uow:
            account = uow.accounts.get(person.id)
            account.record_failed_login(T0)
            assert account.use_recovery_code("h1")
            uow.commit()
        with self.make_adapter() as uow:
            account = uow.accounts.get(person.id)
            assert account.failed_logins == 1 and account.recovery_code_hashes == ("h2",)

    def test_the_unused_password_resets_of_a_person_are_listed_oldest_first(self) -> None:
        person, other = a_person(1), a_person(2)
        first = PasswordReset.request(id="rst-1", person_id=person.id, token_hash="a1" * 32, now=T0)
        second = PasswordReset.request(id="rst-2", person_id=person.id, token_hash="a2" * 32,
                                       now=T0 + timedelta(minutes=1))
        used = PasswordReset.request(id="rst-3", person_id=person.id, token_hash="a3" * 32, now=T0)
        used.use(T0 + timedelta(minutes=2))
        theirs = PasswordReset.request(id="rst-4", person_id=other.id, token_hash="a4" * 32, now=T0)
        self._stored(person, other, second, first, used, theirs)
        with self.make_adapter() as uow:
            unused = uow.password_resets.unused_for(person.id)
            assert [r.id for r in unused] == ["rst-1", "rst-2"]
            unused[0].void(T0 + timedelta(minutes=3))
            uow.commit()
        with self.make_adapter() as uow:
            assert [r.id for r in uow.password_resets.unused_for(person.id)] == ["rst-2"]

    def test_a_person_has_one_account_only(self) -> None:
        person = a_person(1)
        self._stored(person, Account(person_id=person.id, password_hash="first"))
        self._refused(UniqueViolation, lambda uow: uow.accounts.add(Account(person_id=person.id, password_hash="2")))
        with self.make_adapter() as uow:
            assert uow.accounts.get(person.id).password_hash == "first"

    # password resets ----------------------------------------------------------------------

    def test_a_password_reset_is_found_by_its_token_hash_and_its_use_is_stored(self) -> None:
        person = a_person(1)
        reset = PasswordReset.request(id="rst-1", person_id=person.id, token_hash="ef" * 32, now=T0)
        self._stored(person, reset)
        with self.make_adapter() as uow:
            found = uow.password_resets.by_token_hash("ef" * 32)
            assert found is not None
            assert (found.id, found.person_id, found.created_at, found.expires_at, found.used_at) == (
                "rst-1", person.id, T0, reset.expires_at, None)
            assert uow.password_resets.by_token_hash("00" * 32) is None
            found.use(T0 + timedelta(minutes=5))
            uow.commit()
        with self.make_adapter() as uow:
            used = uow.password_resets.by_token_hash("ef" * 32)
            assert used is not None and used.used_at == T0 + timedelta(minutes=5)
