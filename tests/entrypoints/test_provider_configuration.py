"""Every swappable port is chosen by configuration among its group's entry points; Seing's own
adapters are declared like any plug-in, and a name or a setting that cannot work stops the start
with the setting named."""

from __future__ import annotations

import secrets
import tomllib
from importlib.metadata import EntryPoint, distribution
from pathlib import Path

import pytest

from adapters.memory.clock import FixedClock
from adapters.messaging.outbox import OutboxMailer
from adapters.messaging.smtp import SmtpMailer
from adapters.plugins import ProviderUnknown, installed_providers, load_provider
from adapters.storage.filesystem import FilesystemDocumentStore
from adapters.storage.s3 import S3DocumentStore
from entrypoints.composition.container import build_container
from entrypoints.composition.real_adapters import selected_providers
from entrypoints.settings import ConfigurationError, Settings, load_settings
from ports.contracts.documents import PDF
from ports.providers import CONTRACTS, GROUPS, ProviderConfig
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]

BUILTINS = {
    "seing.identity_verifiers": {"simulator", "manual"},
    "seing.sms_senders": {"outbox", "brevo", "twilio"},
    "seing.mailers": {"outbox", "smtp"},
    "seing.document_stores": {"filesystem", "s3"},
    "seing.key_vaults": {"software", "pkcs11"},
    "seing.certificate_authorities": {"builtin"},
    "seing.timestamp_authorities": {"builtin", "http"},
    "seing.remote_signing_services": {"csc"},
}


def declared() -> dict[str, dict[str, str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["entry-points"]


def test_every_swappable_port_has_a_group_a_contract_and_its_builtins_declared():
    assert set(GROUPS) == set(CONTRACTS) == set(BUILTINS)
    for group, names in BUILTINS.items():
        assert set(declared()[group]) == names, group
        for name, value in declared()[group].items():
            assert callable(EntryPoint(name, value, group).load()), value


def test_the_installed_seing_exposes_every_builtin(tmp_path):
    installed = {(e.group, e.name) for e in distribution("seing").entry_points}
    expected = {(group, name) for group, names in BUILTINS.items() for name in names}
    require_service(expected <= installed, "seing installed with its provider entry points (pip install -e .)")
    assert {group: set(installed_providers(group)) >= names for group, names in BUILTINS.items()} == \
        {group: True for group in BUILTINS}


def test_builtins_are_built_through_the_registry_like_plugins(tmp_path):
    config = ProviderConfig(clock=FixedClock(), data_dir=tmp_path, options={"host": "relay.example"})
    assert isinstance(load_provider("seing.mailers", "smtp", config), SmtpMailer)
    assert isinstance(load_provider("seing.mailers", "outbox", config), OutboxMailer)
    store = load_provider("seing.document_stores", "filesystem", config)
    assert isinstance(store, FilesystemDocumentStore) and store.root == (tmp_path / "documents").resolve()
    with pytest.raises(ProviderUnknown, match="installed: filesystem, s3"):
        load_provider("seing.document_stores", "floppy", config)


@pytest.mark.parametrize("settings,named", [
    (dict(mail_backend="pigeon"), "SEING_MAIL_BACKEND"),
    (dict(key_vault="floppy"), "SEING_KEY_VAULT"),
    (dict(document_store="floppy"), "SEING_DOCUMENT_STORE"),
    (dict(certificate_authority="nobody"), "SEING_CERTIFICATE_AUTHORITY"),
    (dict(timestamp_authority="sundial"), "SEING_TIMESTAMP_AUTHORITY"),
    (dict(document_store="s3"), "SEING_S3_BUCKET"),
    (dict(mail_backend="smtp", smtp_host=""), "SEING_SMTP_HOST"),
    (dict(timestamp_authority="http"), "SEING_TSA_URL"),
])
def test_a_provider_that_cannot_be_built_stops_the_start_naming_the_setting(tmp_path, settings, named):
    # The messaging providers are built with the container (every process stops at start);
    # the others at their first use: either way, before anything is served.
    with pytest.raises(ConfigurationError) as refused:
        adapters = build_container(Settings(data_dir=tmp_path, **settings)).adapters
        for provider in (adapters.mailer, adapters.vault, adapters.document_store, adapters.ca,
                         adapters.timestamp_authority):
            provider()
    assert named in str(refused.value)


def test_plug_in_options_of_each_port_come_from_the_environment():
    settings = load_settings({"SEING_DOCUMENT_STORE": "acme", "SEING_DOCUMENT_STORE_OPTION_REGION": "eu",
                              "SEING_KEY_VAULT_OPTION_SLOT": "3", "SEING_MAIL_OPTION_API_KEY": "k"})
    assert dict(settings.document_store_options) == {"region": "eu"}
    assert dict(settings.key_vault_options) == {"slot": "3"}
    assert dict(settings.mail_options) == {"api_key": "k"}
    assert selected_providers(settings)["seing.document_stores"] == "acme"


def test_the_timestamp_authority_defaults_to_http_when_a_tsa_url_is_set():
    assert selected_providers(Settings())["seing.timestamp_authorities"] == "builtin"
    assert selected_providers(Settings(tsa_url="http://127.0.0.1:9/tsa"))["seing.timestamp_authorities"] == "http"


def test_the_s3_store_chosen_by_configuration_writes_to_the_configured_bucket(tmp_path):
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s",
                              region_name="us-east-1")
        bucket = f"seing-{secrets.token_hex(4)}"
        client.create_bucket(Bucket=bucket)
        settings = load_settings({"SEING_DATA_DIR": str(tmp_path), "SEING_DOCUMENT_STORE": "s3",
                                  "SEING_S3_BUCKET": bucket, "SEING_S3_ENDPOINT_URL": endpoint,
                                  "SEING_S3_REGION": "us-east-1", "SEING_S3_ACCESS_KEY_ID": "k",
                                  "SEING_S3_SECRET_ACCESS_KEY": "s", "SEING_S3_PREFIX": "firm-42",
                                  "SEING_S3_SERVER_SIDE_ENCRYPTION": "AES256"})
        store = build_container(settings).adapters.document_store()
        assert isinstance(store, S3DocumentStore)
        ref = store.put(PDF)
        head = client.head_object(Bucket=bucket, Key=f"firm-42/{ref.sha256[:2]}/{ref.sha256[2:4]}/{ref.sha256}")
        assert head["ServerSideEncryption"] == "AES256"
        assert not (tmp_path / "documents").exists()
    finally:
        server.stop()
