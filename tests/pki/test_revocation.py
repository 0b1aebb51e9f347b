"""CRLs and OCSP responses of the built-in CA, read back with cryptography and pyHanko's validator."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from domain.model.errors import CertificateNotFound
from domain.model.pki import PERSON_POLICIES, CaName, CertificateKind, CertificatePolicy, KeyType, RevocationReason
from tests.pki.helpers import TestPki, make_test_pki


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return make_test_pki(tmp_path)


def ca_cert(pki: TestPki, name: CaName) -> x509.Certificate:
    return x509.load_der_x509_certificate({c.name: c.der for c in pki.ca.ca_certificates()}[name])


def ocsp_request(certificate_der: bytes, issuer_der: bytes, *, nonce: bytes | None = None,
                 algorithm: hashes.HashAlgorithm | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        x509.load_der_x509_certificate(certificate_der), x509.load_der_x509_certificate(issuer_der),
        algorithm or hashes.SHA1())  # noqa: S303 - what most clients send
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def ask(pki: TestPki, serial: str, **kwargs: object) -> ocsp.OCSPResponse:
    chain = pki.ca.chain(serial)
    return ocsp.load_der_ocsp_response(pki.ca.ocsp_response(ocsp_request(chain[0], chain[1], **kwargs)))


# CRL -------------------------------------------------------------------------------------------


def test_a_revoked_certificate_is_listed_at_once_in_its_issuers_crl(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    assert x509.load_der_x509_crl(pki.ca.crl(CaName.QCP)).get_revoked_certificate_by_serial_number(
        int(issued.serial, 16)) is None
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    crl = x509.load_der_x509_crl(pki.ca.crl(CaName.QCP))
    entry = crl.get_revoked_certificate_by_serial_number(int(issued.serial, 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    assert entry.revocation_date_utc == pki.clock.now().replace(microsecond=0)
    assert crl.is_signature_valid(ca_cert(pki, CaName.QCP).public_key())
    assert len(list(x509.load_der_x509_crl(pki.ca.crl(CaName.LCP)))) == 0  # the other CA's CRL is untouched


def test_each_new_crl_has_a_higher_number_and_a_bounded_life(pki: TestPki) -> None:
    first = x509.load_der_x509_crl(pki.ca.crl(CaName.LCP))
    _, issued = pki.person()
    pki.ca.revoke(issued.serial, RevocationReason.UNSPECIFIED, pki.clock.now())
    second = x509.load_der_x509_crl(pki.ca.crl(CaName.LCP))
    number = lambda crl: crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
    assert number(second) > number(first)
    assert second.next_update_utc - second.last_update_utc == timedelta(days=7)
    # "unspecified" is written by leaving the reason out (RFC 5280 §5.3.1).
    entry = second.get_revoked_certificate_by_serial_number(int(issued.serial, 16))
    assert len(entry.extensions) == 0


def test_an_issuing_cas_crl_close_to_expiry_is_republished(pki: TestPki) -> None:
    # The issuing CAs' CRLs live a week and are republished once half their life is gone.
    life = timedelta(days=7)
    first = x509.load_der_x509_crl(pki.ca.crl(CaName.LCP))
    assert first.next_update_utc - first.last_update_utc == life
    pki.clock.advance(life * 0.4)
    assert pki.ca.crl(CaName.LCP) == first.public_bytes(serialization.Encoding.DER)
    pki.clock.advance(life * 0.2)
    fresh = x509.load_der_x509_crl(pki.ca.crl(CaName.LCP))
    assert fresh.last_update_utc > first.last_update_utc
    assert fresh.is_signature_valid(ca_cert(pki, CaName.LCP).public_key())


def _scope(crl: x509.CertificateRevocationList) -> x509.IssuingDistributionPoint:
    return crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value


def test_the_roots_crl_covers_the_ca_certificates_only_and_follows_the_tsa_rollover(pki: TestPki) -> None:
    """The issuing CAs' status must be fresh whenever a file's last document timestamp is
    validated (pyHanko checks signatures at the current time first): the root's ARL reaches the
    current TSA certificate's end. The TSA certificates themselves are out of its scope."""
    tsa = pki.ca.tsa().certificate
    arl = x509.load_der_x509_crl(pki.ca.crl(CaName.ROOT))
    assert arl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).critical
    assert _scope(arl).only_contains_ca_certs and _scope(arl).full_name is None
    assert arl.next_update_utc == tsa.not_after
    assert pki.ca.crl_for(format(ca_cert(pki, CaName.LCP).serial_number, "x")) == pki.ca.crl(CaName.ROOT)
    # Not republished while more than half its life is left, years ahead...
    pki.clock.set(tsa.not_before + (tsa.not_after - tsa.not_before) * 0.4)
    assert pki.ca.crl(CaName.ROOT) == arl.public_bytes(serialization.Encoding.DER)
    # ...and at the TSA's rollover (two years before its end) it reaches the new one's end.
    pki.clock.set(tsa.not_after - timedelta(days=365 * 2) + timedelta(days=1))
    rolled = pki.ca.tsa().certificate
    assert rolled.serial != tsa.serial
    fresh = x509.load_der_x509_crl(pki.ca.crl(CaName.ROOT))
    assert fresh.last_update_utc > arl.last_update_utc and fresh.next_update_utc == rolled.not_after
    assert fresh.is_signature_valid(ca_cert(pki, CaName.ROOT).public_key())


def test_each_tsa_certificate_has_a_crl_of_its_own_fresh_until_its_end(pki: TestPki) -> None:
    """The last document timestamp of a file is checked at the current time: offline, its TSA
    certificate's status must be fresh for as long as that certificate is valid; an earlier
    timestamp's, checked in the past, must stop being fresh at its own certificate's end, so
    the two cannot share a CRL (see adapters/ca/crl.py)."""
    tsa = pki.ca.tsa().certificate
    url = f"{pki.public_url}/pki/crl/tsa-{tsa.serial}.crl"
    points = x509.load_der_x509_certificate(tsa.der).extensions.get_extension_for_class(x509.CRLDistributionPoints)
    assert [n.value for p in points.value for n in p.full_name] == [url]
    first = x509.load_der_x509_crl(pki.ca.crl_for(tsa.serial))
    assert [n.value for n in _scope(first).full_name] == [url] and _scope(first).only_contains_user_certs
    assert first.next_update_utc == tsa.not_after
    assert first.is_signature_valid(ca_cert(pki, CaName.ROOT).public_key())
    # Not republished while half its life is left...
    pki.clock.set(tsa.not_before + (tsa.not_after - tsa.not_before) * 0.4)
    assert pki.ca.crl_for(tsa.serial) == first.public_bytes(serialization.Encoding.DER)
    # ...then republished, still up to the certificate's end, not beyond.
    pki.clock.set(tsa.not_after - timedelta(days=2 * 365) - timedelta(days=1))
    again = x509.load_der_x509_crl(pki.ca.crl_for(tsa.serial))
    assert again.last_update_utc > first.last_update_utc and again.next_update_utc == tsa.not_after
    # The rollover (two years before its end) brings a certificate with a CRL of its own.
    pki.clock.advance(timedelta(days=2))
    rolled = pki.ca.tsa().certificate
    assert rolled.serial != tsa.serial
    assert x509.load_der_x509_crl(pki.ca.crl_for(rolled.serial)).next_update_utc == rolled.not_after
    assert x509.load_der_x509_crl(pki.ca.crl_for(tsa.serial)).next_update_utc == tsa.not_after
    assert pki.ca.crl(CaName.ROOT) != pki.ca.crl_for(rolled.serial)


def test_a_revoked_tsa_certificate_is_listed_at_once_in_its_own_crl_only(pki: TestPki) -> None:
    tsa = pki.ca.tsa().certificate
    pki.ca.revoke(tsa.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    own = x509.load_der_x509_crl(pki.ca.crl_for(tsa.serial))
    assert own.get_revoked_certificate_by_serial_number(int(tsa.serial, 16)) is not None
    assert len(list(x509.load_der_x509_crl(pki.ca.crl(CaName.ROOT)))) == 0


def test_a_tsa_certificate_on_the_roots_crl_is_rolled_over_by_init(pki: TestPki) -> None:
    """Older TSA certificates named the root's CRL: a renewed file's earlier timestamps would
    stop validating at their end (ARCHITECTURE.md, Long-term proof). Init replaces one at once."""
    from adapters.ca.profiles import Profiles

    state = json.loads((pki.storage_dir / "hierarchy.json").read_text())
    root = pki.ca._state.ca_from(state, CaName.ROOT)
    key = pki.vault.generate(KeyType.EC_P256)
    older = pki.ca._issuer.issue(
        root, kind=CertificateKind.TSA, name=root.certificate.subject, public_key=serialization.load_der_public_key(
            key.public_key_der), key_type=key.key_type, lifetime=timedelta(days=6 * 365),
        extensions=Profiles(pki.ca._settings, pki.public_url).publication_extensions(root),
        policy=None, holder_id=None, one_time=False)
    state["tsa"] = {"key_id": key.id, "serial": older.serial}
    (pki.storage_dir / "hierarchy.json").write_text(json.dumps(state))
    # Its own CRL, for files, names the distribution point it names (the root's).
    crl = x509.load_der_x509_crl(pki.ca.crl_for(older.serial))
    assert [n.value for n in _scope(crl).full_name] == [f"{pki.public_url}/pki/crl/root.crl"]
    pki.ca.init_hierarchy()
    assert pki.ca.tsa().certificate.serial != older.serial


def test_revocation_survives_a_restart(pki: TestPki) -> None:
    from adapters.ca.builtin import BuiltinCertificateAuthority

    _, issued = pki.person()
    pki.ca.revoke(issued.serial, RevocationReason.SUPERSEDED, pki.clock.now())
    again = BuiltinCertificateAuthority(pki.vault, pki.storage_dir, pki.public_url, clock=pki.clock)
    assert again.certificate(issued.serial).revocation_reason is RevocationReason.SUPERSEDED
    assert ask(pki, issued.serial).certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_serials_are_accepted_in_the_usual_spellings(pki: TestPki) -> None:
    _, issued = pki.person()
    colon = ":".join(issued.serial.rjust(40, "0")[i:i + 2] for i in range(0, 40, 2)).upper()
    assert pki.ca.certificate(colon) == issued
    with pytest.raises(CertificateNotFound):
        pki.ca.certificate("../hierarchy")


# OCSP ------------------------------------------------------------------------------------------


def test_ocsp_says_good_then_revoked_with_time_and_reason(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.LCP)
    response = ask(pki, issued.serial)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == int(issued.serial, 16)
    revoked_at = pki.clock.now()
    pki.clock.advance(timedelta(minutes=5))
    pki.ca.revoke(issued.serial, RevocationReason.AFFILIATION_CHANGED, revoked_at)
    response = ask(pki, issued.serial)
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_time_utc == revoked_at.replace(microsecond=0)
    assert response.revocation_reason is x509.ReasonFlags.affiliation_changed


def test_ocsp_responses_are_signed_by_the_issuers_delegated_responder(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    response = ask(pki, issued.serial)
    responder = response.certificates[0]
    assert responder.issuer == ca_cert(pki, CaName.QCP).subject
    responder.verify_directly_issued_by(ca_cert(pki, CaName.QCP))
    from cryptography.hazmat.primitives.asymmetric import ec

    responder.public_key().verify(response.signature, response.tbs_response_bytes,
                                  ec.ECDSA(response.signature_hash_algorithm))
    assert response.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(responder.public_key()).digest
    assert response.produced_at_utc == pki.clock.now().replace(microsecond=0)
    assert response.next_update_utc - response.this_update_utc == timedelta(days=1)


def test_ocsp_echoes_the_nonce_and_accepts_sha256_cert_ids(pki: TestPki) -> None:
    _, issued = pki.person()
    response = ask(pki, issued.serial, nonce=b"0123456789abcdef", algorithm=hashes.SHA256())
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.hash_algorithm.name == "sha256"
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"


def test_ocsp_answers_unknown_for_a_serial_it_never_issued(pki: TestPki) -> None:
    _, issued = pki.person()
    chain = pki.ca.chain(issued.serial)
    genuine = ocsp.load_der_ocsp_request(ocsp_request(chain[0], chain[1]))
    request = (ocsp.OCSPRequestBuilder()
               .add_certificate_by_hash(genuine.issuer_name_hash, genuine.issuer_key_hash, 123456789,
                                        hashes.SHA1())  # noqa: S303
               .build().public_bytes(serialization.Encoding.DER))
    response = ocsp.load_der_ocsp_response(pki.ca.ocsp_response(request))
    assert response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_ocsp_answers_about_the_issuing_cas_themselves(pki: TestPki) -> None:
    serial = format(ca_cert(pki, CaName.LCP).serial_number, "x")
    response = ask(pki, serial)
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.certificates[0].issuer == ca_cert(pki, CaName.ROOT).subject


def test_a_malformed_or_foreign_ocsp_request_gets_an_error_status(pki: TestPki, tmp_path: Path) -> None:
    assert ocsp.load_der_ocsp_response(pki.ca.ocsp_response(b"\x30\x03junk")).response_status \
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    other = make_test_pki(tmp_path / "other")
    _, foreign = other.person()
    chain = other.ca.chain(foreign.serial)
    response = ocsp.load_der_ocsp_response(pki.ca.ocsp_response(ocsp_request(chain[0], chain[1])))
    assert response.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_an_uninitialised_ca_asks_ocsp_clients_to_try_later(tmp_path: Path) -> None:
    from adapters.ca.builtin import BuiltinCertificateAuthority
    from adapters.memory.keyvault import InMemoryKeyVault

    other = make_test_pki(tmp_path / "other")
    _, issued = other.person()
    chain = other.ca.chain(issued.serial)
    empty = BuiltinCertificateAuthority(InMemoryKeyVault(), tmp_path / "empty", other.public_url, clock=other.clock)
    response = ocsp.load_der_ocsp_response(empty.ocsp_response(ocsp_request(chain[0], chain[1])))
    assert response.response_status is ocsp.OCSPResponseStatus.TRY_LATER


def test_the_responder_certificate_is_renewed_by_init_when_close_to_expiry(pki: TestPki) -> None:
    state = json.loads((pki.storage_dir / "hierarchy.json").read_text())
    before = state["ocsp"]["lcp"]
    pki.clock.advance(timedelta(days=340))
    pki.ca.init_hierarchy()
    after = json.loads((pki.storage_dir / "hierarchy.json").read_text())["ocsp"]
    assert after["lcp"] != before
    _, issued = pki.person()
    assert format(ask(pki, issued.serial).certificates[0].serial_number, "x") == after["lcp"]


# An independent validator -------------------------------------------------------------------------


@pytest.mark.parametrize("policy", PERSON_POLICIES)
def test_pyhanko_certvalidator_accepts_the_chain_with_our_ocsp_and_crl_then_rejects_it_once_revoked(
        pki: TestPki, policy: CertificatePolicy) -> None:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import RevokedError

    _, issued = pki.person(policy=policy)
    chain = pki.ca.chain(issued.serial)
    issuer = CaName.LCP if policy is CertificatePolicy.LCP else CaName.QCP

    def validate() -> None:
        def ocsp_of(der_cert: bytes, der_issuer: bytes) -> asn1_ocsp.OCSPResponse:
            return asn1_ocsp.OCSPResponse.load(pki.ca.ocsp_response(ocsp_request(der_cert, der_issuer)))

        context = ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(chain[-1])],
            other_certs=[asn1_x509.Certificate.load(chain[1])],
            crls=[asn1_crl.CertificateList.load(pki.ca.crl(n)) for n in (issuer, CaName.ROOT)],
            ocsps=[ocsp_of(chain[0], chain[1]), ocsp_of(chain[1], chain[2])],
            allow_fetching=False, revocation_mode="hard-fail", moment=pki.clock.now() + timedelta(seconds=1))
        validator = CertificateValidator(asn1_x509.Certificate.load(chain[0]), validation_context=context)
        asyncio.run(validator.async_validate_usage({"non_repudiation"}))

    validate()
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    with pytest.raises(RevokedError):
        validate()


def test_an_ocsp_response_can_be_had_for_a_serial_without_a_request(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    response = ocsp.load_der_ocsp_response(pki.ca.ocsp_response_for(issued.serial))
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == int(issued.serial, 16)
    assert response.issuer_key_hash == ocsp.load_der_ocsp_request(
        ocsp_request(*pki.ca.chain(issued.serial)[:2], algorithm=hashes.SHA256())).issuer_key_hash
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    assert ocsp.load_der_ocsp_response(pki.ca.ocsp_response_for(issued.serial)).certificate_status \
        is ocsp.OCSPCertStatus.REVOKED


def test_concurrent_revocations_from_two_processes_views_all_reach_the_crl(pki: TestPki) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from adapters.ca.builtin import BuiltinCertificateAuthority

    other = BuiltinCertificateAuthority(pki.vault, pki.storage_dir, pki.public_url, clock=pki.clock)
    serials = [pki.person()[1].serial for _ in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda pair: pair[1].revoke(pair[0], RevocationReason.KEY_COMPROMISE, pki.clock.now()),
                      [(serial, pki.ca if i % 2 else other) for i, serial in enumerate(serials)]))
    crl = x509.load_der_x509_crl(other.crl(CaName.LCP))
    assert {format(entry.serial_number, "x") for entry in crl} == set(serials)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1 + len(serials)


def test_an_ocsp_response_announces_no_news_after_the_certificate_ends(pki: TestPki) -> None:
    """A one-time certificate lives an hour: its responses stop at its end, so long-term
    validation (time sliding) never places the control time after the certificate's expiry."""
    _, once = pki.person(one_time=True)
    response = ocsp.load_der_ocsp_response(pki.ca.ocsp_response_for(once.serial))
    assert response.next_update_utc == once.not_after
    _, lasting = pki.person(policy=CertificatePolicy.QCP_N)
    response = ocsp.load_der_ocsp_response(pki.ca.ocsp_response_for(lasting.serial))
    assert response.next_update_utc - response.this_update_utc == timedelta(days=1)


def test_the_tsa_rolls_its_key_over_before_its_certificate_s_end(pki: TestPki) -> None:
    """Its key signs while the certificate has more than two years left; then init, or the first
    timestamp after (a long-running worker), makes a new key and certificate. The old one stays
    in the records, so the tokens it signed still chain."""
    first = pki.ca.tsa()
    pki.clock.advance(timedelta(days=3 * 365))
    pki.ca.init_hierarchy()
    assert pki.ca.tsa().certificate.serial == first.certificate.serial  # three years left: still in use
    pki.clock.set(first.certificate.not_after - timedelta(days=2 * 365))
    second = pki.ca.tsa()  # no init: rolled over when asked
    assert second.certificate.serial != first.certificate.serial and second.key.id != first.key.id
    assert second.certificate.not_before == pki.clock.now().replace(microsecond=0)
    assert pki.ca.chain(first.certificate.serial)[0] == first.certificate.der
    state = json.loads((pki.storage_dir / "hierarchy.json").read_text())
    assert state["tsa"]["serial"] == second.certificate.serial
    pki.ca.init_hierarchy()  # idempotent once rolled over
    assert pki.ca.tsa().certificate.serial == second.certificate.serial
