"""The seing command on the real adapters (SQLite, software vault, built-in CA) in a temp data dir."""

import json

import pytest

from entrypoints.cli import main


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    for name in ("SEING_KEK", "SEING_DATABASE_URL", "SEING_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert main(["db", "upgrade"]) == 0
    return tmp_path


def test_db_upgrade_twice_applies_nothing_the_second_time(data_dir, capsys):
    assert main(["db", "upgrade"]) == 0
    assert "nothing to apply" in capsys.readouterr().out


def test_cabinet_create_then_the_owner_logs_in(data_dir, capsys):
    assert main(["cabinet", "create", "--name", "Cabinet Poussart", "--siren", "732829320", "--email",
                 "jessica@poussart.fr", "--given-names", "Jessica", "--surname", "Poussart",
                 "--password", "correct horse battery"]) == 0
    from entrypoints.composition.container import build_container
    from entrypoints.settings import load_settings

    container = build_container(load_settings())
    container.init_resources()
    try:
        assert container.use_cases.login(email="jessica@poussart.fr", password="correct horse battery")
    finally:
        container.shutdown_resources()


def test_cabinet_create_with_a_bad_siren_is_refused_with_its_code(data_dir, capsys):
    assert main(["cabinet", "create", "--name", "X", "--siren", "732829321", "--email", "a@b.fr",
                 "--given-names", "A", "--surname", "B", "--password", "correct horse battery"]) == 1
    assert "siren.invalid" in capsys.readouterr().err


def test_a_bad_setting_stops_the_command_with_the_setting_named(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("SEING_PORT", "eighty")
    assert main(["db", "upgrade"]) == 2
    assert "SEING_PORT" in capsys.readouterr().err


def test_the_demo_invitation_is_delivered_to_the_outbox_by_the_worker(data_dir, capsys):
    assert main(["demo", "seed"]) == 0
    assert main(["worker", "--once"]) == 0
    capsys.readouterr()
    assert main(["outbox", "--json"]) == 0
    messages = json.loads(capsys.readouterr().out)
    assert [m["to"] for m in messages] == ["irina.faron@demo.seing.fr"]
    assert "/invitation/" in messages[0]["text"]


def test_ca_init_is_idempotent_and_kek_rotation_keeps_keys_usable(data_dir, capsys):
    assert main(["ca", "init"]) == 0
    first = capsys.readouterr().out
    assert main(["ca", "init"]) == 0
    assert capsys.readouterr().out == first
    assert "root" in first and "qcp" in first
    old_kek = (data_dir / "kek").read_text()
    assert main(["keys", "rotate-kek"]) == 0
    assert (data_dir / "kek").read_text() != old_kek
    from domain.model.pki import CaName
    from entrypoints.composition.container import build_container
    from entrypoints.settings import load_settings

    container = build_container(load_settings())
    crl = container.adapters.ca().crl(CaName.LCP)  # signed with a CA key re-wrapped by the new KEK
    assert crl[:1] == b"\x30"
