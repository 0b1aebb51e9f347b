"""Contract suites for the one-time code ports.

Subclass once per adapter (the fake included) and implement ``make_adapter``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from domain.model.errors import CodeInvalid, NotFound
from domain.model.jobs import Channel
from domain.model.one_time_code import ChallengeStatus, OneTimeCodeChallenge
from ports.one_time_codes import CodeGenerator, CodeHasher, OneTimeCodeRepository

__all__ = ["CodeGeneratorContract", "CodeHasherContract", "OneTimeCodeRepositoryContract"]

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class CodeGeneratorContract:
    def make_adapter(self) -> CodeGenerator:
        raise NotImplementedError

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_adapter(), CodeGenerator)

    def test_a_code_is_six_ascii_digits(self) -> None:
        generator = self.make_adapter()
        for _ in range(200):
            assert re.fullmatch(r"[0-9]{6}", generator.new_code())

    def test_codes_are_unpredictable_from_one_to_the_next(self) -> None:
        generator = self.make_adapter()
        codes = [generator.new_code() for _ in range(500)]
        # 500 draws from 10^6 values: a handful of collisions at most, never a pattern.
        assert len(set(codes)) >= 490
        assert len({code[0] for code in codes}) == 10

    def test_leading_zeros_are_kept(self) -> None:
        generator = self.make_adapter()
        # About one code in ten starts with 0; 2000 draws without one would mean padding is lost.
        assert any(generator.new_code().startswith("0") for _ in range(2000))


class CodeHasherContract:
    def make_adapter(self) -> CodeHasher:
        raise NotImplementedError

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_adapter(), CodeHasher)

    def test_the_right_code_verifies(self) -> None:
        hasher = self.make_adapter()
        assert hasher.verify(hasher.hash("042917", context="ch-1"), "042917", context="ch-1")

    def test_a_wrong_code_does_not_verify(self) -> None:
        hasher = self.make_adapter()
        code_hash = hasher.hash("042917", context="ch-1")
        assert not hasher.verify(code_hash, "042918", context="ch-1")
        assert not hasher.verify(code_hash, "", context="ch-1")

    def test_a_hash_is_bound_to_its_context(self) -> None:
        hasher = self.make_adapter()
        code_hash = hasher.hash("042917", context="ch-1")
        assert hasher.hash("042917", context="ch-2") != code_hash
        assert not hasher.verify(code_hash, "042917", context="ch-2")

    def test_the_hash_does_not_reveal_the_code(self) -> None:
        hasher = self.make_adapter()
        code_hash = hasher.hash("042917", context="ch-1")
        assert "042917" not in code_hash
        assert re.fullmatch(r"\d{6}", code_hash) is None

    def test_a_malformed_hash_verifies_nothing(self) -> None:
        hasher = self.make_adapter()
        for broken in ("", "garbage", "a$b$c", "$$", "042917"):
            assert hasher.verify(broken, "042917", context="ch-1") is False


class OneTimeCodeRepositoryContract:
    def make_adapter(self) -> OneTimeCodeRepository:
        raise NotImplementedError

    def commit(self, repository: OneTimeCodeRepository) -> None:
        """Make changes durable (a database adapter commits its unit of work here)."""

    def reload(self, repository: OneTimeCodeRepository) -> OneTimeCodeRepository:
        """The repository as a fresh unit of work sees it; the fake returns itself."""
        return repository

    @staticmethod
    def challenge(id: str, *, person_id: str = "person-1", purpose: str = "lcp_registration.email",
                  at: datetime = T0, payload_digest: str | None = None) -> OneTimeCodeChallenge:
        challenge = OneTimeCodeChallenge.issue(
            id=id, person_id=person_id, purpose=purpose, channel=Channel.SMS, destination="+33612345678",
            code_hash=f"hmac-sha256$k1${id}", payload_digest=payload_digest, now=at)
        challenge.pull_events()
        return challenge

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_adapter(), OneTimeCodeRepository)

    def test_a_stored_challenge_comes_back_with_every_field(self) -> None:
        repository = self.make_adapter()
        repository.add(self.challenge("ch-1", payload_digest="ab" * 32))
        self.commit(repository)
        found = self.reload(repository).get("ch-1")
        assert (found.id, found.person_id, found.purpose) == ("ch-1", "person-1", "lcp_registration.email")
        assert (found.channel, found.destination) == (Channel.SMS, "+33612345678")
        assert found.code_hash == "hmac-sha256$k1$ch-1"
        assert found.payload_digest == "ab" * 32
        assert found.created_at == T0 and found.expires_at == T0 + timedelta(minutes=10)
        assert found.created_at.utcoffset() == timedelta(0)
        assert (found.attempts, found.status, found.used_at) == (0, ChallengeStatus.PENDING, None)

    def test_an_unbound_challenge_keeps_no_payload(self) -> None:
        repository = self.make_adapter()
        repository.add(self.challenge("ch-1"))
        self.commit(repository)
        assert self.reload(repository).get("ch-1").payload_digest is None

    def test_an_unknown_challenge_is_not_found(self) -> None:
        repository = self.make_adapter()
        try:
            repository.get("nope")
        except NotFound:
            return
        raise AssertionError("get() of an unknown id must raise NotFound")

    def test_a_refused_try_is_kept_after_commit(self) -> None:
        repository = self.make_adapter()
        repository.add(self.challenge("ch-1"))
        self.commit(repository)
        fetched = self.reload(repository).get("ch-1")
        try:
            fetched.verify(matches=lambda _h: False, payload_digest=None, now=T0 + timedelta(seconds=5))
        except CodeInvalid:
            pass
        self.commit(repository)
        assert self.reload(repository).get("ch-1").attempts == 1

    def test_a_used_challenge_stays_used(self) -> None:
        repository = self.make_adapter()
        repository.add(self.challenge("ch-1"))
        self.commit(repository)
        fetched = self.reload(repository).get("ch-1")
        fetched.verify(matches=lambda _h: True, payload_digest=None, now=T0 + timedelta(seconds=5))
        self.commit(repository)
        again = self.reload(repository).get("ch-1")
        assert again.status is ChallengeStatus.USED
        assert again.used_at == T0 + timedelta(seconds=5)

    def test_latest_for_is_the_newest_for_that_person_and_purpose(self) -> None:
        repository = self.make_adapter()
        repository.add(self.challenge("old", at=T0))
        repository.add(self.challenge("new", at=T0 + timedelta(minutes=2)))
        repository.add(self.challenge("other-purpose", purpose="signing", at=T0 + timedelta(minutes=3)))
        repository.add(self.challenge("other-person", person_id="person-2", at=T0 + timedelta(minutes=4)))
        self.commit(repository)
        latest = self.reload(repository).latest_for("person-1", "lcp_registration.email")
        assert latest is not None and latest.id == "new"

    def test_latest_for_is_none_when_no_code_was_sent(self) -> None:
        repository = self.make_adapter()
        repository.add(self.challenge("ch-1"))
        self.commit(repository)
        assert self.reload(repository).latest_for("person-1", "signing") is None
        assert self.reload(repository).latest_for("person-2", "lcp_registration.email") is None

    def test_sends_since_lists_the_persons_send_times_oldest_first(self) -> None:
        repository = self.make_adapter()
        times = [T0 + timedelta(minutes=m) for m in (30, 0, 10, 20)]
        for index, at in enumerate(times):
            repository.add(self.challenge(f"ch-{index}", at=at, purpose="signing" if index == 3 else "lcp_registration.email"))
        repository.add(self.challenge("someone-else", person_id="person-2", at=T0 + timedelta(minutes=15)))
        self.commit(repository)
        reloaded = self.reload(repository)
        since = T0 + timedelta(minutes=10)  # inclusive
        assert reloaded.sends_since("person-1", since) == [T0 + timedelta(minutes=m) for m in (10, 20, 30)]
        assert reloaded.sends_since("person-1", since, purpose="lcp_registration.email") == [
            T0 + timedelta(minutes=10), T0 + timedelta(minutes=30)]
        assert reloaded.sends_since("person-1", T0 + timedelta(hours=1)) == []
