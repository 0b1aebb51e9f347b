"""SMS providers are found through the ``seing.sms_senders`` entry points.

A tiny third-party provider is "installed" by writing its module and a ``.dist-info``
folder (what pip leaves in site-packages) into a temporary directory on sys.path; the
registry must find it by name, the container must build it from SEING_SMS_BACKEND, and it
must pass the same contract suite as the built-ins.
"""

from __future__ import annotations

import json
import sys
import textwrap
import tomllib
from importlib.metadata import EntryPoint, distribution
from pathlib import Path

import pytest

from adapters.memory.clock import FixedClock
from adapters.messaging.brevo import BrevoSmsSender
from adapters.messaging.outbox import OutboxSmsSender
from adapters.messaging.registry import SmsProviderUnknown, available_sms_providers, load_sms_sender
from adapters.messaging.twilio import TwilioSmsSender
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.messaging import SmsSenderContract
from ports.messaging import SMS_SENDERS_ENTRY_POINT_GROUP, OutgoingSms, SmsProviderConfig, SmsSender
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
"""Acme SMS: a provider as a third party would write it, knowing only Seing's port types."""
import json
from pathlib import Path
from ports.messaging import DeliveryError, PermanentDeliveryError

class AcmeSmsSender:
    def __init__(self, config):
        spool = config.option("spool")
        if not spool:
            raise ValueError("Acme SMS needs the option spool")
        self.spool = Path(spool)
        self.sender = config.sender_name

    def send(self, sms):
        if not sms.to.startswith("+"):
            raise PermanentDeliveryError(f"Acme refuses {sms.to!r}: not an international number")
        try:
            with self.spool.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"from": self.sender, "to": sms.to, "text": sms.text},
                                        ensure_ascii=False) + "\\n")
        except OSError as exc:
            raise DeliveryError(f"Acme gateway unreachable: {exc}") from exc

def factory(config):
    return AcmeSmsSender(config)
'''


def install_plugin(site: Path) -> None:
    """What ``pip install acme-sms`` would leave behind."""
    (site / "acme_sms.py").write_text(PLUGIN, encoding="utf-8")
    dist_info = site / "acme_sms-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-sms\nVersion: 1.0\n", encoding="utf-8")
    (dist_info / "entry_points.txt").write_text(textwrap.dedent(f"""\
        [{SMS_SENDERS_ENTRY_POINT_GROUP}]
        acme = acme_sms:factory
        """), encoding="utf-8")


@pytest.fixture
def plugin_installed(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    site.mkdir()
    install_plugin(site)
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("acme_sms", None)


def config(**options: str) -> SmsProviderConfig:
    return SmsProviderConfig(clock=FixedClock(), sender_name="Seing", options=options)


def spooled(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_an_installed_plugin_is_discovered_by_name(plugin_installed):
    assert available_sms_providers()["acme"].value == "acme_sms:factory"


def test_the_container_builds_the_plugin_seing_sms_backend_names(plugin_installed, tmp_path):
    spool = tmp_path / "acme.jsonl"
    settings = Settings(data_dir=tmp_path, dev_mode=False, sms_backend="acme", sms_sender_name="CabDupre",
                        sms_options={"spool": str(spool)}, mail_backend="smtp")
    sender = build_container(settings).adapters.sms_sender()
    assert type(sender).__name__ == "AcmeSmsSender"
    sender.send(OutgoingSms(to="+33612345678", text="Votre code : 482 913, valable 10 min — à bientôt"))
    assert spooled(spool) == [{"from": "CabDupre", "to": "+33612345678",
                               "text": "Votre code : 482 913, valable 10 min — à bientôt"}]


def test_an_unknown_provider_name_is_refused_with_the_installed_ones(plugin_installed):
    with pytest.raises(SmsProviderUnknown) as refused:
        load_sms_sender("pigeon", config())
    assert "acme" in str(refused.value) and "brevo" in str(refused.value)


class TestAcmePluginPassesTheContract(SmsSenderContract):
    """The suite a provider's author runs, here against the plugin loaded by name."""

    @pytest.fixture(autouse=True)
    def _installed(self, plugin_installed, tmp_path):
        self.spool = tmp_path / "acme.jsonl"

    def make_adapter(self) -> SmsSender:
        return load_sms_sender("acme", config(spool=str(self.spool)))

    def delivered(self, adapter):
        return [OutgoingSms(to=m["to"], text=m["text"]) for m in spooled(self.spool)]

    def make_unreachable_adapter(self) -> SmsSender:
        return load_sms_sender("acme", config(spool=str(self.spool.parent / "no-such-folder" / "acme.jsonl")))


def declared_builtins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return project["project"]["entry-points"][SMS_SENDERS_ENTRY_POINT_GROUP]


def test_builtins_are_declared_as_entry_points_like_any_plugin(tmp_path):
    declared = declared_builtins()
    assert set(declared) == {"outbox", "brevo", "twilio"}

    def build(name: str, **kwargs: object) -> object:
        return EntryPoint(name, declared[name], SMS_SENDERS_ENTRY_POINT_GROUP).load()(
            SmsProviderConfig(clock=FixedClock(), **kwargs))  # type: ignore[arg-type]

    assert isinstance(build("outbox", outbox_dir=tmp_path / "outbox"), OutboxSmsSender)
    assert isinstance(build("brevo", options={"api_key": "xkeysib-k"}), BrevoSmsSender)
    assert isinstance(build("twilio", options={"account_sid": "AC" + "0" * 32, "auth_token": "t"}),
                      TwilioSmsSender)
    with pytest.raises(ValueError, match="API key"):
        build("brevo")


def test_the_installed_seing_exposes_its_builtin_sms_providers(tmp_path):
    installed = {e.name: e.value for e in distribution("seing").entry_points
                 if e.group == SMS_SENDERS_ENTRY_POINT_GROUP}
    # An editable install made before these entry points existed lacks them: `make install`.
    require_service(installed == declared_builtins(), "seing installed with its SMS entry points (pip install -e .)")
    assert isinstance(load_sms_sender("outbox", SmsProviderConfig(clock=FixedClock(), outbox_dir=tmp_path)),
                      OutboxSmsSender)
