"""The CA's public addresses: QcPDS and public URL in https, CRL/OCSP base in plain http.

EN 319 412-5 wants the QcPDS in https; EN 319 412-2 (GEN-4.3.11-4) wants an http (or ldap) CRL
location. Outside dev mode a QCP-n is refused while an address breaks these; every start warns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.ca.builtin import BuiltinCaSettings
from domain.model.errors import QcpPublicationInsecure
from domain.model.pki import CertificatePolicy, publication_problems
from entrypoints import cli
from entrypoints.composition.pki_config import ca_settings, publication_warnings
from entrypoints.settings import Settings
from tests.pki.helpers import make_test_pki

COMPLIANT = dict(public_url="https://seing.example.com", qc_pds_url="https://seing.example.com/pki/pds",
                 publication_url="http://seing.example.com")


def test_compliant_addresses_have_no_problem():
    assert publication_problems(**COMPLIANT) == ()


@pytest.mark.parametrize("change, code", [
    (dict(public_url="http://seing.example.com"), "public_url.not_https"),
    (dict(qc_pds_url="http://seing.example.com/pki/pds"), "qc_pds.not_https"),
    (dict(publication_url="https://seing.example.com"), "crl.not_http"),
])
def test_each_address_that_breaks_en_319_412_is_named(change, code):
    assert [p.code for p in publication_problems(**{**COMPLIANT, **change})] == [code]


def _pki(tmp_path: Path, public_url: str, *, enforce: bool, **urls: str):
    return make_test_pki(tmp_path, public_url=public_url, settings=BuiltinCaSettings(
        siren="732829320", qcp_requires_compliant_urls=enforce, **urls))


def test_outside_dev_mode_a_qcp_n_is_refused_while_the_pds_is_http_but_an_lcp_is_issued(tmp_path):
    pki = _pki(tmp_path, "http://seing.example.com", enforce=True)
    with pytest.raises(QcpPublicationInsecure) as refused:
        pki.person(policy=CertificatePolicy.QCP_N)
    assert refused.value.params["problems"] == "public_url.not_https,qc_pds.not_https"
    _, lcp = pki.person(policy=CertificatePolicy.LCP)
    assert lcp.policy is CertificatePolicy.LCP


def test_an_https_public_url_alone_is_not_enough_the_crl_base_must_stay_http(tmp_path):
    # Its default CRL/OCSP base would be https, which EN 319 412-2 does not accept.
    pki = _pki(tmp_path, "https://seing.example.com", enforce=True)
    with pytest.raises(QcpPublicationInsecure) as refused:
        pki.person(policy=CertificatePolicy.QCP_N)
    assert refused.value.params["problems"] == "crl.not_http"


def test_with_compliant_addresses_the_qcp_n_is_issued_and_passes_pkilint(tmp_path):
    from tests.pki.test_etsi_lint import codes, lint

    pki = _pki(tmp_path, "https://seing.example.com", enforce=True, publication_url="http://seing.example.com")
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    findings = codes(lint("etsi", issued.der, "QCP-N-QSCD-EIDAS-FINAL-CERTIFICATE"))
    assert not any("url_scheme" in f or "crldp" in f for f in findings), findings


def test_in_dev_mode_the_qcp_n_is_issued_anyway(tmp_path):
    pki = _pki(tmp_path, "http://127.0.0.1:8000", enforce=False)
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    assert issued.policy is CertificatePolicy.QCP_N


def test_the_settings_enforce_it_only_outside_dev_mode(tmp_path):
    assert ca_settings(Settings(data_dir=tmp_path, dev_mode=False)).qcp_requires_compliant_urls
    assert not ca_settings(Settings(data_dir=tmp_path, dev_mode=True)).qcp_requires_compliant_urls


@pytest.fixture
def no_server(monkeypatch):
    """`seing run` without serving: the web app's loop and the worker process are stubbed."""
    import uvicorn

    class _Worker:
        def send_signal(self, _signal): ...

        def wait(self, timeout=None): ...

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.append("web"))
    monkeypatch.setattr(cli.subprocess, "Popen", lambda *args, **kwargs: started.append(args[0]) or _Worker())
    class _Container:  # built once to check the configuration, then closed: each web process builds its own
        def shutdown_resources(self): ...

    monkeypatch.setattr(cli, "_container", lambda settings: _Container())
    return started


@pytest.mark.parametrize("dev_mode, consequence", [("false", "QCP-n certificates will be refused until this is fixed"),
                                                   ("true", "dev mode: QCP-n certificates are still issued")])
def test_seing_run_warns_at_start_about_each_address(no_server, tmp_path, monkeypatch, capsys, dev_mode,
                                                      consequence):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEING_DEV_MODE", dev_mode)
    monkeypatch.setenv("SEING_PUBLIC_URL", "http://seing.example.com")
    assert cli.main(["run"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: the public URL must be https" in err and "now http://seing.example.com" in err
    assert "WARNING: the QcPDS URL of QCP-n certificates must be https" in err
    assert "now http://seing.example.com/pki/pds" in err and consequence in err
    assert err.count("WARNING") == 2, err  # the CRL base is http: nothing to say
    assert no_server[0][-1] == "--quiet", "the worker does not repeat the warnings"


def test_seing_run_says_nothing_when_the_addresses_comply(no_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEING_DEV_MODE", "false")
    monkeypatch.setenv("SEING_PUBLIC_URL", "https://seing.example.com")
    monkeypatch.setenv("SEING_PKI_PUBLICATION_URL", "http://seing.example.com")
    assert publication_warnings(cli.load_settings()) == []
    assert cli.main(["run"]) == 0
    assert "WARNING" not in capsys.readouterr().err


def test_an_external_level_3_signer_is_told_before_any_code_is_sent(tmp_path):
    # Outside dev mode, with the default http addresses: the one-time QCP-n would be refused at
    # « Signer »; the signer learns it at « J'ai lu et j'accepte », and no code is spent.
    from domain.model.signer import SignatureLevel, SignerKind
    from tests.ceremony.harness import Ceremony

    world = Ceremony(tmp_path, dev_mode=False)
    world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED_QUALIFIED, given_names="Marc",
                           surname="Durand", email="marc@exemple.fr", mobile="06 12 34 56 78")])
    token = world.token_of("marc@exemple.fr")
    world.uc.open_ceremony(token=token)
    with pytest.raises(QcpPublicationInsecure):
        world.uc.request_signing_code(token=token)
    assert world.notifications("signing_code") == []


def test_a_qcp_enrollment_is_not_opened_while_the_qcp_n_could_not_be_issued(tmp_path):
    # Better refused at « Souscrire » than after the identity check.
    from entrypoints.composition.container import build_container

    container = build_container(Settings(data_dir=tmp_path, dev_mode=False, public_url="http://seing.example.com"),
                                fakes=True)
    container.adapters.ca().init_hierarchy()
    created = container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email="jessica@poussart.fr", owner_mobile="06 24 00 00 13", password="correct horse battery")
    with pytest.raises(QcpPublicationInsecure):
        container.use_cases.qcp().start(person_id=created.person_id, cabinet_id=created.cabinet_id)
