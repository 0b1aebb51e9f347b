"""The worked example of "Write a provider" (examples/seing-example-provider) is pip-installed,
without network, into a folder put on sys.path, as an integrator would install it beside Seing;
Seing must find it by its entry point, list it, build it from configuration, and it must pass the
document store contract through the one-line helper and the one-line command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.memory.clock import FixedClock
from entrypoints import cli
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.documents import PDF
from ports.contracts.providers import contract_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "seing-example-provider"


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("example-provider")
    source, site = work / "source", work / "site-packages"
    shutil.copytree(EXAMPLE, source)  # the build writes build/ and egg-info/ beside the sources
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(source)], check=True, capture_output=True, timeout=300)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(site))
        yield site
    for name in [m for m in sys.modules if m.startswith("seing_example_provider")]:
        del sys.modules[name]


class TestExampleProviderPassesTheContract(contract_for("seing.document_stores", "example-folder",
                                                        clock=FixedClock())):
    @pytest.fixture(autouse=True)
    def _installed(self, example_installed):
        pass


def test_seing_plugins_lists_the_example_and_marks_it_selected(example_installed, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEING_DOCUMENT_STORE", "example-folder")
    assert cli.main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "seing.document_stores (selected: example-folder)" in out
    assert "* example-folder" in out and "seing_example_provider.store:factory" in out
    assert "seing-example-provider 0.1.0" in out


def test_the_container_builds_the_example_with_its_option_from_configuration(example_installed, tmp_path):
    settings = Settings(data_dir=tmp_path, document_store="example-folder",
                        document_store_options={"folder": str(tmp_path / "flat")})
    store = build_container(settings).adapters.document_store()
    assert type(store).__name__ == "FlatFolderDocumentStore"
    ref = store.put(PDF)
    assert (tmp_path / "flat" / ref.sha256).read_bytes() == PDF


def test_the_one_line_command_runs_the_contract_against_the_example(example_installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(example_installed), str(ROOT)])}
    run = subprocess.run([sys.executable, "-m", "ports.contracts", "seing.document_stores", "example-folder"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_a_selected_provider_that_is_not_installed_is_reported_by_seing_plugins(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEING_DOCUMENT_STORE", "example-folder-never-installed")
    assert cli.main(["plugins"]) == 1
    assert "! example-folder-never-installed: selected but not installed" in capsys.readouterr().out
