"""Contract of the certificate repository (ports/certificates.py).

Subclass once per adapter (the fake included) and implement ``make_adapter``; a database
adapter also implements ``commit`` and ``reload`` (a fresh unit of work over the same data).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from domain.model.certificates import Certificate, CertificateState
from domain.model.errors import CertificateNotFound, NotFound, UniqueViolation
from domain.model.pki import CertificatePolicy, RevocationReason
from ports.certificates import CertificateRepository

__all__ = ["CertificateRepositoryContract", "a_certificate"]

T0 = datetime(2026, 11, 28, 9, 0, 12, 345678, tzinfo=UTC)
DER = bytes.fromhex("3082") + bytes(range(256)) * 3


def a_certificate(id: str, *, person_id: str = "per-1", cabinet_id: str | None = "cab-1",
                  policy: CertificatePolicy = CertificatePolicy.LCP, serial: str | None = None,
                  issued_at: datetime = T0, lifetime: timedelta = timedelta(days=3 * 365)) -> Certificate:
    return Certificate(id=id, person_id=person_id, cabinet_id=cabinet_id, policy=policy,
                       serial=serial or hashlib.sha256(id.encode()).hexdigest()[:20], issuer="lcp",
                       subject="CN=Jessica POUSSART,O=Cabinet Poussart", not_before=issued_at,
                       not_after=issued_at + lifetime, key_id=f"key-{id}", der=DER, issued_at=issued_at)


class CertificateRepositoryContract:
    def make_adapter(self) -> CertificateRepository:
        raise NotImplementedError

    def commit(self, repository: CertificateRepository) -> None:
        """Make changes durable (a database adapter commits its unit of work here)."""

    def reload(self, repository: CertificateRepository) -> CertificateRepository:
        """The repository as a fresh unit of work sees it; the fake returns itself."""
        return repository

    def _stored(self, *certificates: Certificate) -> CertificateRepository:
        repository = self.make_adapter()
        for certificate in certificates:
            repository.add(certificate)
        self.commit(repository)
        return self.reload(repository)

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_adapter(), CertificateRepository)

    def test_a_stored_certificate_comes_back_with_every_field(self) -> None:
        found = self._stored(a_certificate("c-1", serial="7f3a09bc")).get("c-1")
        assert (found.id, found.person_id, found.cabinet_id) == ("c-1", "per-1", "cab-1")
        assert (found.policy, found.serial, found.issuer) == (CertificatePolicy.LCP, "7f3a09bc", "lcp")
        assert found.subject == "CN=Jessica POUSSART,O=Cabinet Poussart"
        assert found.not_before == T0 and found.not_after == T0 + timedelta(days=3 * 365)
        assert found.not_before.utcoffset() == timedelta(0)
        assert (found.key_id, found.der, found.issued_at, found.one_time) == ("key-c-1", DER, T0, False)
        assert (found.revoked_at, found.revocation_reason, found.revoked_by) == (None, None, None)

    def test_a_one_time_certificate_without_cabinet_is_stored(self) -> None:
        certificate = a_certificate("c-1", cabinet_id=None, policy=CertificatePolicy.QCP_N)
        certificate.one_time = True
        found = self._stored(certificate).get("c-1")
        assert (found.cabinet_id, found.policy, found.one_time) == (None, CertificatePolicy.QCP_N, True)

    def test_an_unknown_certificate_is_not_found(self) -> None:
        repository = self.make_adapter()
        try:
            repository.get("nope")
        except CertificateNotFound as error:
            assert isinstance(error, NotFound)
            return
        raise AssertionError("get() of an unknown id must raise CertificateNotFound")

    def test_a_second_certificate_with_the_same_serial_is_refused(self) -> None:
        repository = self._stored(a_certificate("c-1", serial="0abc"))
        try:
            repository.add(a_certificate("c-2", serial="0abc"))
            self.commit(repository)
        except UniqueViolation:
            return
        raise AssertionError("two certificates with one serial must be refused")

    def test_a_certificate_is_found_by_its_serial(self) -> None:
        repository = self._stored(a_certificate("c-1", serial="0abc"), a_certificate("c-2", serial="0def"))
        found = repository.by_serial("0def")
        assert found is not None and found.id == "c-2"
        assert repository.by_serial("0123") is None

    def test_a_revocation_is_kept_after_commit(self) -> None:
        repository = self._stored(a_certificate("c-1"))
        later = T0 + timedelta(days=10)
        repository.get("c-1").revoke(by_person_id="per-1", reason=RevocationReason.KEY_COMPROMISE, now=later)
        self.commit(repository)
        again = self.reload(repository).get("c-1")
        assert (again.revoked_at, again.revocation_reason, again.revoked_by) == (
            later, RevocationReason.KEY_COMPROMISE, "per-1")
        assert again.status(later) is CertificateState.REVOKED

    def test_of_person_lists_only_theirs_newest_first(self) -> None:
        repository = self._stored(
            a_certificate("old", issued_at=T0),
            a_certificate("new", issued_at=T0 + timedelta(days=2), policy=CertificatePolicy.QCP_N),
            a_certificate("other-cabinet", cabinet_id="cab-2", issued_at=T0 + timedelta(days=1)),
            a_certificate("someone-else", person_id="per-2", issued_at=T0 + timedelta(days=3)))
        assert [c.id for c in repository.of_person("per-1")] == ["new", "other-cabinet", "old"]
        assert repository.of_person("per-3") == []

    def test_active_for_skips_revoked_expired_and_other_policies_or_cabinets(self) -> None:
        now = T0 + timedelta(days=400)
        revoked = a_certificate("revoked", issued_at=T0 + timedelta(days=5))
        revoked.revoke(by_person_id="per-1", reason=RevocationReason.UNSPECIFIED, now=T0 + timedelta(days=6))
        repository = self._stored(
            a_certificate("expired", issued_at=T0, lifetime=timedelta(days=365)),
            revoked,
            a_certificate("qcp", policy=CertificatePolicy.QCP_N, issued_at=T0 + timedelta(days=7)),
            a_certificate("other-cabinet", cabinet_id="cab-2", issued_at=T0 + timedelta(days=8)),
            a_certificate("someone-else", person_id="per-2", issued_at=T0 + timedelta(days=9)))
        assert repository.active_for("per-1", "cab-1", CertificatePolicy.LCP, now=now) is None
        repository.add(a_certificate("good", issued_at=T0 + timedelta(days=10)))
        self.commit(repository)
        found = self.reload(repository).active_for("per-1", "cab-1", CertificatePolicy.LCP, now=now)
        assert found is not None and found.id == "good"
        qcp = self.reload(repository).active_for("per-1", "cab-1", CertificatePolicy.QCP_N, now=now)
        assert qcp is not None and qcp.id == "qcp"
