"""Identity providers are found through the ``seing.identity_verifiers`` entry points.

A tiny third-party provider is "installed" by writing its module and a ``.dist-info``
folder (what pip leaves in site-packages) into a temporary directory on sys.path; the
registry must find it by name, build it, and it must pass the same contract suite.
"""

from __future__ import annotations

import sys
import textwrap
import tomllib
from datetime import date, timedelta
from importlib.metadata import EntryPoint, distribution
from pathlib import Path

import pytest

from adapters.identity.manual import ManualReviewIdentityVerifier
from adapters.identity.registry import available_identity_providers, load_identity_verifier
from adapters.identity.simulator import SimulatorIdentityVerifier
from adapters.memory.clock import FixedClock
from domain.model.errors import IdentityProviderUnknown
from domain.model.identity import CaptureStep, DocumentType, ExtractedIdentity
from domain.model.values import PersonName
from ports.contracts.identity import CaptureHostContract, IdentityVerifierContract, sample_subject
from ports.identity import ENTRY_POINT_GROUP, IdentityProviderConfig, IdentityVerifier
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
"""Acme IDV: a provider as a third party would write it, knowing only Seing's port types."""
import hashlib, hmac, json, secrets
from domain.model.errors import IdentityCallbackRefused, IdentitySessionNotFound
from domain.model.identity import (CheckMode, DocumentType, ExtractedIdentity, IdentityCheckResult,
                                   IdentityCheckStatus, IdentitySession)

class AcmeVerifier:
    def __init__(self, config):
        self.config = config
        self.secret = (config.option("secret") or "").encode()
        self.sessions = {}

    def start_session(self, subject, *, mode=CheckMode.DOCUMENT_AND_FACE):
        ref = "acme-" + secrets.token_hex(12)
        self.sessions[ref] = {"subject": subject, "status": IdentityCheckStatus.CAPTURING, "result": None}
        return IdentitySession(ref, f"https://idv.acme.test/m/{ref}", f"https://idv.acme.test/w/{ref}", mode)

    def _get(self, ref):
        if ref not in self.sessions:
            raise IdentitySessionNotFound("unknown")
        return self.sessions[ref]

    def status(self, ref):
        return self._get(ref)["status"]

    def result(self, ref):
        return self._get(ref)["result"]

    def handle_callback(self, payload, headers):
        sig = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
        if headers.get("Acme-Signature") != sig:
            raise IdentityCallbackRefused("bad signature")
        data = json.loads(payload)
        return self.result(data["ref"])

    def cancel(self, ref):
        self._get(ref)["status"] = IdentityCheckStatus.CANCELLED

    def delete_images(self, ref):
        result = self._get(ref)["result"]
        return list(result.image_digests) if result else []

    def purge_images(self):
        return 0

    # Acme's sandbox API, used by the contract hooks
    def sandbox_decide(self, ref, approved, reason=None):
        s = self._get(ref)
        now = self.config.clock.now()
        if approved:
            name = s["subject"].name
            extracted = ExtractedIdentity(name=name, birth_date=s["subject"].birth_date,
                                          document_type=DocumentType.PASSPORT, document_number="ACME1")
            s["result"] = IdentityCheckResult.approve(session_ref=ref, extracted=extracted, decided_at=now,
                                                      evidence_ref="acme-evidence-" + ref)
            s["status"] = IdentityCheckStatus.APPROVED
        else:
            s["result"] = IdentityCheckResult.reject(session_ref=ref, reason=reason, decided_at=now,
                                                     evidence_ref="acme-evidence-" + ref)
            s["status"] = IdentityCheckStatus.REJECTED

    def sandbox_callback(self, ref):
        body = json.dumps({"ref": ref}).encode()
        return body, {"Acme-Signature": hmac.new(self.secret, body, hashlib.sha256).hexdigest()}

def factory(config):
    return AcmeVerifier(config)


import attrs
from pathlib import Path
from domain.model.errors import IdentityCaptureRefused, IdentitySessionClosed
from domain.model.identity import ImageDigest
from ports.identity import MAX_CAPTURE_IMAGE_BYTES, CaptureProgress, capture_image_size, open_capture_image

class AcmeCaptureVerifier(AcmeVerifier):
    """Acme's other product: the capture on Seing's pages, the photos kept in Acme's folder."""

    def __init__(self, config):
        super().__init__(config)
        self.folder = Path(config.storage_dir)

    def start_session(self, subject, *, mode=CheckMode.DOCUMENT_AND_FACE):
        session = super().start_session(subject, mode=mode)
        self.sessions[session.session_ref].update(mode=mode, photos={})
        return session

    def capture_progress(self, ref):
        s = self._get(ref)
        return CaptureProgress(ref, s["mode"], tuple(step for step in s["mode"].steps if step in s["photos"]),
                               s["status"])

    def submit_capture(self, ref, step, image, content_type):
        s = self._get(ref)
        if s["status"] is not IdentityCheckStatus.CAPTURING:
            raise IdentitySessionClosed("closed")
        if step not in s["mode"].steps or content_type not in ("image/jpeg", "image/png", "image/webp"):
            raise IdentityCaptureRefused("not a step of this check, or not an image")
        if not 0 < capture_image_size(image) <= MAX_CAPTURE_IMAGE_BYTES:
            raise IdentityCaptureRefused("empty or too large")
        digest = hashlib.sha256()
        self.folder.mkdir(parents=True, exist_ok=True)
        with open_capture_image(image) as source, open(self.folder / f"{ref}.{step.value}", "wb") as out:
            while chunk := source.read(64 * 1024):
                digest.update(chunk)
                out.write(chunk)
        s["photos"][step] = digest.hexdigest()
        return self.capture_progress(ref)

    def finish_capture(self, ref):
        s = self._get(ref)
        if s["status"] is IdentityCheckStatus.CAPTURING:
            if not self.capture_progress(ref).complete:
                raise IdentityCaptureRefused("steps missing")
            s["status"] = IdentityCheckStatus.SUBMITTED
        return s["status"]

    def sandbox_decide(self, ref, approved, reason=None):
        super().sandbox_decide(ref, approved, reason)
        s = self._get(ref)
        digests = tuple(ImageDigest(step, sha) for step, sha in sorted(s["photos"].items(), key=lambda i: i[0].value))
        s["result"] = attrs.evolve(s["result"], image_digests=digests)

    def delete_images(self, ref):
        for path in self.folder.glob(f"{ref}.*"):
            path.unlink()
        return super().delete_images(ref)

def capture_factory(config):
    return AcmeCaptureVerifier(config)
'''


def install_plugin(site: Path) -> None:
    """What ``pip install acme-idv`` would leave behind."""
    (site / "acme_idv.py").write_text(PLUGIN, encoding="utf-8")
    dist_info = site / "acme_idv-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-idv\nVersion: 1.0\n", encoding="utf-8")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(f"""\
            [{ENTRY_POINT_GROUP}]
            acme = acme_idv:factory
            acme-capture = acme_idv:capture_factory
            """), encoding="utf-8")


@pytest.fixture
def plugin_installed(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    site.mkdir()
    install_plugin(site)
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("acme_idv", None)


def config(**options: str) -> IdentityProviderConfig:
    return IdentityProviderConfig(public_url="http://seing.test", clock=FixedClock(), options=options,
                                  decision_delay=timedelta(0))


def test_an_installed_plugin_is_discovered_by_name(plugin_installed):
    providers = available_identity_providers()
    assert providers["acme"].value == "acme_idv:factory"


def test_the_configured_plugin_is_built_and_used(plugin_installed):
    verifier = load_identity_verifier("acme", config(secret="s3cret"))
    assert type(verifier).__name__ == "AcmeVerifier"
    session = verifier.start_session(sample_subject())
    assert session.phone_url.startswith("https://idv.acme.test/m/")
    verifier.sandbox_decide(session.session_ref, True)
    assert verifier.result(session.session_ref).evidence_ref.startswith("acme-evidence-")


def test_an_unknown_provider_name_is_refused_with_the_installed_ones(plugin_installed):
    with pytest.raises(IdentityProviderUnknown) as refused:
        load_identity_verifier("nope", config())
    assert "acme" in str(refused.value)


class TestAcmePluginPassesTheContract(IdentityVerifierContract):
    """The suite a provider's author runs, here against the plugin loaded by name."""

    @pytest.fixture(autouse=True)
    def _installed(self, plugin_installed):
        pass

    def make_verifier(self) -> IdentityVerifier:
        return load_identity_verifier("acme", config(secret="s3cret"))

    def drive_to_approved(self, verifier, session, subject):
        verifier.sandbox_decide(session.session_ref, True)

    def drive_to_rejected(self, verifier, session, reason):
        verifier.sandbox_decide(session.session_ref, False, reason)

    def callback_for(self, verifier, session):
        return verifier.sandbox_callback(session.session_ref)


def declared_builtins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return project["project"]["entry-points"][ENTRY_POINT_GROUP]


def test_builtins_are_declared_as_entry_points_like_any_plugin():
    declared = declared_builtins()
    assert set(declared) >= {"simulator", "manual"}
    simulator = EntryPoint("simulator", declared["simulator"], ENTRY_POINT_GROUP).load()(config())
    manual = EntryPoint("manual", declared["manual"], ENTRY_POINT_GROUP).load()(config())
    assert isinstance(simulator, SimulatorIdentityVerifier)
    assert isinstance(manual, ManualReviewIdentityVerifier)
    assert simulator.decision_delay == timedelta(0)


def test_the_installed_seing_exposes_its_builtin_providers():
    installed = {e.name: e.value for e in distribution("seing").entry_points if e.group == ENTRY_POINT_GROUP}
    # An editable install made before these entry points existed lacks them: `make install`.
    require_service(installed == declared_builtins(), "seing installed with its identity entry points (pip install -e .)")
    assert isinstance(load_identity_verifier("simulator", config()), SimulatorIdentityVerifier)


class BuiltinThroughItsEntryPoint:
    """The built-in capture hosts, built by name as any plug-in is, keeping photos on files:
    they pass the capture suite, photos handed as bytes and as spooled files."""

    name = ""

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.tmp = tmp_path

    def make_verifier(self):
        return load_identity_verifier(self.name, IdentityProviderConfig(
            public_url="http://seing.test", clock=FixedClock(), storage_dir=self.tmp / "idv",
            decision_delay=timedelta(0)))

    def stored_images(self, verifier, session_ref):
        found = [verifier.store.image(session_ref, step) for step in CaptureStep]
        return [image for image in found if image is not None]


class TestSimulatorEntryPointCaptures(BuiltinThroughItsEntryPoint, CaptureHostContract):
    name = "simulator"

    def decide(self, verifier, session_ref, approved):
        verifier.set_outcome(session_ref, approved=approved)
        verifier.result(session_ref)


class TestManualEntryPointCaptures(BuiltinThroughItsEntryPoint, CaptureHostContract):
    name = "manual"

    def decide(self, verifier, session_ref, approved):
        extracted = ExtractedIdentity(name=PersonName("JESSICA", "POUSSART"), birth_date=date(1988, 3, 14),
                                      document_type=DocumentType.ID_CARD, document_number="X4RTBPFW4")
        verifier.decide(session_ref, approved=approved, officer_id="officer-1",
                        extracted=extracted if approved else None, reason=None if approved else "blurry")


class TestAcmeCapturePluginPassesTheCaptureContract(CaptureHostContract):
    """A plug-in that captures on Seing's pages, loaded by name: it gets the photos as bytes and
    as the spooled files the web edge hands over, and reads the latter as streams."""

    @pytest.fixture(autouse=True)
    def _installed(self, plugin_installed, tmp_path):
        self.tmp = tmp_path

    def make_verifier(self):
        return load_identity_verifier("acme-capture", IdentityProviderConfig(
            public_url="http://seing.test", clock=FixedClock(), storage_dir=self.tmp / "acme-photos"))

    def decide(self, verifier, session_ref, approved):
        verifier.sandbox_decide(session_ref, approved, None if approved else "blurry")

    def stored_images(self, verifier, session_ref):
        return [path.read_bytes() for path in sorted((self.tmp / "acme-photos").glob(f"{session_ref}.*"))]
