from domain.model.cabinet import Role
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings


def test_the_worker_delivers_the_invitation_email_queued_by_the_use_case(tmp_path):
    container = build_container(Settings(data_dir=tmp_path, public_url="https://seing.example"), fakes=True)
    uc = container.use_cases
    created = uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                owner_surname="Poussart", owner_email="jessica@poussart.fr", owner_mobile=None,
                                password="correct horse battery")
    uc.invite_member(cabinet_id=created.cabinet_id, by_person_id=created.person_id, email="irina@cs.expert",
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR, delegations=frozenset())
    mailer = container.adapters.mailer()
    assert mailer.sent == []  # nothing leaves before the worker runs
    assert container.worker().run_once() == 1
    [email] = mailer.sent
    assert email.to == "irina@cs.expert"
    assert "Cabinet Poussart" in email.text
    assert "https://seing.example/invitation/" in email.text
    assert container.worker().run_once() == 0  # delivered once


def test_every_real_adapter_and_use_case_is_wired(tmp_path, monkeypatch):
    """The real container resolves every provider: a missing import or a wrong argument fails here, not in production."""
    from entrypoints.cli import main

    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    assert main(["ca", "init"]) == 0
    container = build_container(Settings(data_dir=tmp_path))
    container.init_resources()
    try:
        for name in container.adapters.providers:
            if name != "settings":
                assert getattr(container.adapters, name)() is not None, name
        assert container.use_cases.qcp() is not None
        assert sorted(container.worker().run_periodic()) == ["archive_renewal", "collections_due", "evidence_pending",
                                                               "idempotency_keys", "identity_images",
                                                               "identity_results", "qcp_expiry", "retention"]
    finally:
        container.shutdown_resources()


def test_fake_containers_share_a_prepared_hierarchy_but_not_what_they_issue(tmp_path):
    """The fakes copy one CA hierarchy per process and instant (tests/ speed); each copy lives apart."""
    from datetime import UTC, datetime, timedelta

    from domain.model.pki import CertificatePolicy, KeyType, RevocationReason
    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings
    from tests.pki.helpers import sample_subject

    first, second = (build_container(Settings(data_dir=tmp_path / name), fakes=True) for name in ("a", "b"))
    ca_a, ca_b = first.adapters.ca(), second.adapters.ca()
    assert [c.der for c in ca_a.ca_certificates()] == [c.der for c in ca_b.ca_certificates()]
    key = first.adapters.vault().generate(KeyType.EC_P256)
    issued = ca_a.issue(sample_subject(), key.public_key_der, CertificatePolicy.LCP)
    ca_a.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, issued.not_before + timedelta(hours=1))
    assert ca_a.certificate(issued.serial).serial == issued.serial
    assert [c.serial for c in ca_b.certificates_of(issued.holder_id)] == []
    assert second.adapters.ca().tsa().certificate.serial == ca_a.tsa().certificate.serial  # signs with its own copy
    second.adapters.pdf_signing()  # the copied keys are in the second vault: the TSA can sign
    assert second.adapters.vault().get(ca_b.tsa().key.id) == ca_b.tsa().key

    later = build_container(Settings(data_dir=tmp_path / "later"), fakes=True)
    later.adapters.clock().set(datetime(2027, 3, 1, tzinfo=UTC))
    assert later.adapters.ca().ca_certificates()[0].der != ca_a.ca_certificates()[0].der
