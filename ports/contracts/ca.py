"""Contract every CertificateAuthority must pass. Subclass once per adapter.

Only what the port promises in plain data is checked here; certificate profiles are the
adapter's tests' business (they need an X.509 library, which ports may not import).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.model.errors import CertificateNotFound, CertificateRevoked
from domain.model.pki import (
    CaName,
    CertificateKind,
    CertificatePolicy,
    CertificateStatus,
    CertificateSubject,
    KeyType,
    RevocationReason,
)
from domain.model.values import Email, PersonName, Siren
from ports.ca import CertificateAuthority
from ports.keyvault import KeyVault


class CertificateAuthorityContract:
    def make_adapter(self) -> tuple[CertificateAuthority, KeyVault]:
        """An initialised CA and the vault that holds its subjects' keys."""
        raise NotImplementedError

    @property
    def ca(self) -> CertificateAuthority:
        if getattr(self, "_pair", None) is None:
            self._pair = self.make_adapter()
        return self._pair[0]

    @property
    def vault(self) -> KeyVault:
        self.ca  # noqa: B018 - builds the pair
        return self._pair[1]

    def teardown_method(self, _method: object = None) -> None:
        self._pair = None

    def subject(self, person_id: str = "P-42") -> CertificateSubject:
        return CertificateSubject(name=PersonName("Jean-Marc", "Dupré"), email=Email("jm.dupre@exemple.fr"),
                                  person_id=person_id, organization="Cabinet Dupré", siren=Siren("732829320"))

    def test_an_lcp_certificate_is_issued_for_a_person(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        issued = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.LCP)
        assert issued.kind is CertificateKind.PERSON
        assert issued.policy is CertificatePolicy.LCP
        assert issued.status is CertificateStatus.VALID
        assert issued.holder_id == "P-42"
        assert issued.not_before < issued.not_after
        assert self.ca.certificate(issued.serial) == issued

    def test_lcp_and_qcp_certificates_come_from_different_issuing_cas(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        lcp = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.LCP)
        qcp = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.QCP_N)
        assert lcp.issuer != qcp.issuer
        assert self.ca.chain(lcp.serial)[1] != self.ca.chain(qcp.serial)[1]

    def test_what_the_ca_issues_passes_its_own_check(self) -> None:
        # This suite's CA issues both policies (above): its check must agree.
        for policy in (CertificatePolicy.LCP, CertificatePolicy.QCP_N):
            self.ca.check_issuable(policy)

    def test_a_chain_runs_from_the_certificate_to_a_published_root(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        issued = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.QCP_N)
        chain = self.ca.chain(issued.serial)
        assert chain[0] == issued.der
        published = {c.name: c.der for c in self.ca.ca_certificates()}
        assert chain[-1] == published[CaName.ROOT]
        assert set(chain[1:]) <= set(published.values())

    def test_a_one_time_certificate_lives_at_most_a_day(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        issued = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.LCP, one_time=True)
        assert issued.one_time
        assert (issued.not_after - issued.not_before).total_seconds() <= 86400

    def test_revocation_is_recorded_and_cannot_happen_twice(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        issued = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.LCP)
        at = issued.not_before + timedelta(hours=1)  # within its life, whatever the CA's clock says
        revoked = self.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, at)
        assert revoked.status is CertificateStatus.REVOKED
        assert revoked.revocation_reason is RevocationReason.KEY_COMPROMISE
        assert self.ca.certificate(issued.serial).status is CertificateStatus.REVOKED
        assert not revoked.is_usable_at(at)
        try:
            self.ca.revoke(issued.serial, RevocationReason.UNSPECIFIED, at)
        except CertificateRevoked:
            return
        raise AssertionError("a certificate was revoked twice")

    def test_an_unknown_serial_is_not_found(self) -> None:
        for action in (lambda: self.ca.certificate("abcdef"),
                       lambda: self.ca.revoke("abcdef", RevocationReason.UNSPECIFIED, datetime(2030, 1, 1, tzinfo=UTC))):
            try:
                action()
            except CertificateNotFound:
                continue
            raise AssertionError("an unknown serial was found")

    def test_a_persons_certificates_are_listed_newest_first(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        first = self.ca.issue(self.subject("P-7"), key.public_key_der, CertificatePolicy.LCP)
        second = self.ca.issue(self.subject("P-7"), key.public_key_der, CertificatePolicy.QCP_N)
        self.ca.issue(self.subject("P-8"), key.public_key_der, CertificatePolicy.LCP)
        listed = [c.serial for c in self.ca.certificates_of("P-7")]
        assert sorted(listed) == sorted([first.serial, second.serial])

    def test_every_ca_publishes_a_crl(self) -> None:
        for name in CaName:
            assert self.ca.crl(name)[:1] == b"\x30"

    def test_every_certificate_has_a_crl_that_covers_it_and_changes_on_revocation(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        issued = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.LCP)
        for serial in (issued.serial, self.ca.tsa().certificate.serial):
            before = self.ca.crl_for(serial)
            assert before[:1] == b"\x30"
            self.ca.revoke(serial, RevocationReason.KEY_COMPROMISE, issued.not_before + timedelta(hours=1))
            assert self.ca.crl_for(serial) != before

    def test_a_status_response_is_produced_for_any_issued_certificate_and_changes_on_revocation(self) -> None:
        key = self.vault.generate(KeyType.EC_P256)
        issued = self.ca.issue(self.subject(), key.public_key_der, CertificatePolicy.QCP_N)
        good = self.ca.ocsp_response_for(issued.serial)
        assert good[:1] == b"\x30"
        self.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, issued.not_before + timedelta(hours=1))
        assert self.ca.ocsp_response_for(issued.serial) != good

    def test_the_platform_services_have_keys_and_certificates(self) -> None:
        for credential, kind in ((self.ca.tsa(), CertificateKind.TSA), (self.ca.platform_seal(), CertificateKind.SEAL)):
            assert credential.certificate.kind is kind
            assert credential.issuers[-1] == {c.name: c.der for c in self.ca.ca_certificates()}[CaName.ROOT]
            assert self.vault.get(credential.key.id) == credential.key

    def test_initialising_again_changes_nothing(self) -> None:
        before = [c.der for c in self.ca.ca_certificates()]
        tsa, seal = self.ca.tsa(), self.ca.platform_seal()
        self.ca.init_hierarchy()
        assert [c.der for c in self.ca.ca_certificates()] == before
        assert self.ca.tsa() == tsa and self.ca.platform_seal() == seal
