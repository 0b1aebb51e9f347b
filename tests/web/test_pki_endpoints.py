"""The public PKI repository through the test client: what a relying party downloads and asks."""

from __future__ import annotations

import base64
import urllib.parse

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from adapters.timestamping._asn1 import TimeStampResp
from domain.model.pki import CaName, CertificatePolicy, KeyType
from tests.web.conftest import SIREN
from tests.web.lcp_helpers import register_lcp


@pytest.fixture
def pki(container):
    container.adapters.ca().init_hierarchy()
    return container.adapters.ca()


@pytest.fixture
def issued(container, pki, owner):
    """An LCP certificate issued through the registration, and its issuing CA."""
    summary = register_lcp(container, owner.person_id, owner.cabinet_id)
    der = container.use_cases.certificate_download(person_id=owner.person_id, certificate_id=summary.certificate_id,
                                                   format="der")
    issuer = next(c for c in pki.ca_certificates() if c.name is CaName.LCP)
    return summary, x509.load_der_x509_certificate(der), x509.load_der_x509_certificate(issuer.der)


def ocsp_request(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())
    return builder.build().public_bytes(serialization.Encoding.DER)


def test_the_repository_page_lists_the_cas_the_revocation_services_and_the_policies(client, pki):
    page = client.get("/pki")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Infrastructure de clés publiques</h1>" in html
    for name in ("root", "lcp", "qcp"):
        assert f'/pki/ca/{name}.pem"' in html and f'/pki/ca/{name}.der"' in html and f"/pki/crl/{name}.crl" in html
    assert "/pki/ocsp</code>" in html and "/pki/tsa</code>" in html
    assert CertificatePolicy.LCP.oid in html and CertificatePolicy.QCP_N.oid in html
    assert 'href="/pki/pds"' in html and 'href="/pki/pds/en"' in html and 'href="/pki/cgu"' in html
    assert "seing_session" not in page.headers.get("set-cookie", "")  # nobody needs to log in


def test_the_repository_answers_json_to_programs(client, pki):
    answer = client.get("/pki", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    data = answer.json()
    assert [c["name"] for c in data["ca_certificates"]] == ["root", "lcp", "qcp"]
    assert {p["oid"] for p in data["policies"]} == {"0.4.0.2042.1.3", "0.4.0.194112.1.0"}
    assert data["ocsp_url"].endswith("/pki/ocsp") and data["tsa_url"].endswith("/pki/tsa")
    assert {c["url"].rsplit("/", 1)[1] for c in data["crls"]} == {"root.crl", "lcp.crl", "qcp.crl"}
    assert [p["language"] for p in data["pds"]] == ["fr", "en"]
    root = data["ca_certificates"][0]
    der = client.get(urllib.parse.urlsplit(root["der_url"]).path).content
    assert x509.load_der_x509_certificate(der).subject.rfc4514_string() == root["subject"]


def test_ca_certificates_download_as_pem_and_der_and_match(client, pki):
    for entry in pki.ca_certificates():
        pem = client.get(f"/pki/ca/{entry.name.value}.pem")
        der = client.get(f"/pki/ca/{entry.name.value}.der")
        assert pem.headers["content-type"].startswith("application/x-pem-file")
        assert der.headers["content-type"] == "application/pkix-cert"
        assert x509.load_pem_x509_certificate(pem.content).public_bytes(serialization.Encoding.DER) == entry.der
        assert der.content == entry.der
    assert client.get("/pki/ca/other.der").status_code == 404
    assert client.get("/pki/ca/root.txt").status_code == 404


def test_the_crl_is_der_signed_by_its_ca_and_lists_a_revoked_serial(client, container, pki, owner, issued):
    summary, certificate, issuer = issued
    before = client.get("/pki/crl/lcp.crl")
    assert before.status_code == 200 and before.headers["content-type"] == "application/pkix-crl"
    assert x509.load_der_x509_crl(before.content).get_revoked_certificate_by_serial_number(
        certificate.serial_number) is None
    container.use_cases.revoke_certificate(person_id=owner.person_id, certificate_id=summary.certificate_id,
                                           reason="key_compromise")
    crl = x509.load_der_x509_crl(client.get("/pki/crl/lcp.crl").content)
    assert crl.is_signature_valid(issuer.public_key())
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    assert client.get("/pki/crl/nope.crl").status_code == 404


def test_the_tsa_certificate_s_own_crl_is_served_where_the_certificate_names_it(client, pki):
    tsa = x509.load_der_x509_certificate(pki.tsa().certificate.der)
    (point,) = tsa.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    path = urllib.parse.urlsplit(point.full_name[0].value).path
    assert path == f"/pki/crl/tsa-{tsa.serial_number:x}.crl"
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(answer.content)
    root = next(c for c in pki.ca_certificates() if c.name is CaName.ROOT)
    assert crl.is_signature_valid(x509.load_der_x509_certificate(root.der).public_key())
    assert crl.next_update_utc == tsa.not_valid_after_utc
    lcp = next(c for c in pki.ca_certificates() if c.name is CaName.LCP)
    for other in (f"tsa-{x509.load_der_x509_certificate(lcp.der).serial_number:x}.crl", "tsa-0.crl", "tsa-zz.crl",
                  f"tsa-{tsa.serial_number:x}.der"):
        assert client.get(f"/pki/crl/{other}").status_code == 404, other


def test_ocsp_post_and_get_say_good_then_revoked(client, container, owner, issued):
    summary, certificate, issuer = issued
    request = ocsp_request(certificate, issuer)

    def status_by_post():
        answer = client.post("/pki/ocsp", content=request, headers={"Content-Type": "application/ocsp-request"})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/ocsp-response"
        return ocsp.load_der_ocsp_response(answer.content).certificate_status

    def status_by_get():
        encoded = urllib.parse.quote(base64.b64encode(request).decode("ascii"), safe="")
        answer = client.get(f"/pki/ocsp/{encoded}")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/ocsp-response"
        return ocsp.load_der_ocsp_response(answer.content).certificate_status

    assert status_by_post() is ocsp.OCSPCertStatus.GOOD
    assert status_by_get() is ocsp.OCSPCertStatus.GOOD
    container.use_cases.revoke_certificate(person_id=owner.person_id, certificate_id=summary.certificate_id,
                                           reason="superseded")
    assert status_by_post() is ocsp.OCSPCertStatus.REVOKED
    assert status_by_get() is ocsp.OCSPCertStatus.REVOKED


def test_the_ocsp_get_form_accepts_unescaped_slashes_in_the_base64(client, issued):
    _summary, certificate, issuer = issued
    encoded = base64.b64encode(ocsp_request(certificate, issuer)).decode("ascii")
    answer = client.get(f"/pki/ocsp/{encoded}")
    assert ocsp.load_der_ocsp_response(answer.content).response_status is ocsp.OCSPResponseStatus.SUCCESSFUL


@pytest.mark.parametrize("path", ["/pki/ocsp/bm90IGFuIE9DU1AgcmVxdWVzdA==", "/pki/ocsp/%%%not-base64", "/pki/ocsp/AAAA"])
def test_garbage_ocsp_gets_a_malformed_request_answer_not_an_error(client, pki, path):
    answer = client.get(path)
    assert answer.status_code == 200
    assert ocsp.load_der_ocsp_response(answer.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_ocsp_refuses_other_media_types_and_garbage_bodies_cleanly(client, pki):
    wrong = client.post("/pki/ocsp", content=b"hello", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415 and "application/ocsp-request" in wrong.text
    garbage = client.post("/pki/ocsp", content=b"\x30\x03\x02\x01", headers={"Content-Type": "application/ocsp-request"})
    assert garbage.status_code == 200
    assert ocsp.load_der_ocsp_response(garbage.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    huge = client.post("/pki/ocsp", content=b"0" * 200_000, headers={"Content-Type": "application/ocsp-request"})
    assert huge.status_code == 413


def test_the_tsa_stamps_a_query_and_refuses_garbage_inside_the_protocol(client, pki):
    import hashlib

    digest = hashlib.sha256(b"lettre de mission").digest()
    query = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                    "hashed_message": digest},
                              "nonce": 42, "cert_req": True}).dump()
    answer = client.post("/pki/tsa", content=query, headers={"Content-Type": "application/timestamp-query"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/timestamp-reply"
    reply = TimeStampResp.load(answer.content)
    assert reply["status"]["status"].native == "granted"
    info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest and info["nonce"].native == 42

    garbage = client.post("/pki/tsa", content=b"not a query", headers={"Content-Type": "application/timestamp-query"})
    assert garbage.status_code == 200
    assert TimeStampResp.load(garbage.content)["status"]["status"].native == "rejection"
    wrong = client.post("/pki/tsa", content=query, headers={"Content-Type": "application/octet-stream"})
    assert wrong.status_code == 415


def test_ocsp_and_tsa_need_no_csrf_token_but_nothing_else_skips_it(client, pki):
    client.cookies.clear()
    assert client.post("/pki/tsa", content=b"x", headers={"Content-Type": "application/timestamp-query"}).status_code == 200
    assert client.post("/pki/ocsp", content=b"x", headers={"Content-Type": "application/ocsp-request"}).status_code == 200
    assert client.post("/connexion", data={"email": "a@b.fr", "password": "x"}).status_code == 403


@pytest.mark.parametrize("method,path,headers", [
    ("GET", "/pki", {}),
    ("GET", "/pki", {"Accept": "application/json"}),
    ("GET", "/pki/ca/root.der", {}),
    ("GET", "/pki/crl/lcp.crl", {}),
    ("POST", "/pki/ocsp", {"Content-Type": "application/ocsp-request"}),
    ("GET", "/pki/ocsp/MAA=", {}),
    ("POST", "/pki/tsa", {"Content-Type": "application/timestamp-query"}),
])
def test_before_the_ca_is_initialised_every_endpoint_says_503_in_french(tmp_path, method, path, headers):
    from dependency_injector import providers
    from litestar.testing import TestClient

    from adapters.ca.builtin import BuiltinCertificateAuthority
    from entrypoints.composition.container import Container, FakeAdapters
    from entrypoints.settings import Settings
    from tests.apps import app_for

    settings = providers.Object(Settings(data_dir=tmp_path, dev_mode=True))
    adapters = FakeAdapters(settings=settings)
    # A CA nobody ran `seing ca init` for (the fakes initialise theirs).
    adapters.ca.override(providers.Singleton(BuiltinCertificateAuthority, adapters.vault, tmp_path / "no-pki",
                                             "http://seing.test", clock=adapters.clock))
    container = Container(settings=settings, adapters=adapters)
    with TestClient(app_for(container), base_url="http://testserver.local") as client:
        _check_unavailable(client, method, path, headers)


def _check_unavailable(client, method, path, headers):
    answer = client.request(method, path, headers=headers, content=b"0\x00" if method == "POST" else None)
    assert answer.status_code == 503, answer.text
    assert "seing ca init" in answer.text and "Traceback" not in answer.text
    assert answer.headers.get("retry-after")
    if headers.get("Accept") == "application/json":
        assert answer.json()["code"] == "ca.not_initialised"


def test_the_pds_exists_in_french_and_in_english_and_names_the_policies(client):
    french = client.get("/pki/pds")
    english = client.get("/pki/pds/en")
    assert french.status_code == english.status_code == 200
    assert '<article class="legal" lang="fr">' in french.text and "Déclaration d’information" in french.text
    assert '<article class="legal" lang="en">' in english.text and "PKI Disclosure Statement" in english.text
    for page in (french.text, english.text):
        assert "0.4.0.2042.1.3" in page and "0.4.0.194112.1.0" in page and "QcSSCD" in page


def test_the_qualified_certificates_point_at_the_published_pds(container, pki, client):
    from tests.pki.helpers import sample_subject

    key = container.adapters.vault().generate(KeyType.EC_P256)
    issued = pki.issue(sample_subject(person_id="P-9", siren=SIREN), key.public_key_der, CertificatePolicy.QCP_N)
    certificate = x509.load_der_x509_certificate(issued.der)
    statements = certificate.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")).value
    settings = container.settings()
    assert f"{settings.resolved_public_url}/pki/pds".encode() in statements.public_bytes()
    assert client.get(urllib.parse.urlsplit(f"{settings.resolved_public_url}/pki/pds").path).status_code == 200


def test_the_terms_page_shows_the_version_in_force(client, container):
    page = client.get("/pki/cgu")
    assert page.status_code == 200
    assert container.settings().lcp_terms_version in page.text


def test_the_ocsp_get_form_keeps_a_trailing_slash_of_the_base64(client, issued):
    """A request whose base64 ends with '/' must decode: the router drops trailing slashes."""
    _summary, certificate, issuer = issued
    for size in range(1, 200):
        builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())
        nonce = b"\xff" * size  # the last base64 character holds the low 6 bits of the last byte
        der = builder.add_extension(x509.OCSPNonce(nonce), critical=False).build().public_bytes(
            serialization.Encoding.DER)
        encoded = base64.b64encode(der).decode("ascii")
        if encoded.endswith("/"):
            break
    assert encoded.endswith("/")
    answer = client.get(f"/pki/ocsp/{encoded}")
    assert ocsp.load_der_ocsp_response(answer.content).response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
