"""The composition root picks where signatures run from the settings."""

from __future__ import annotations

from dependency_injector import providers

from adapters.signing.process_pool import ProcessPoolPdfSigning
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from entrypoints.composition.real_adapters import RealAdapters
from entrypoints.settings import Settings


def _signing(tmp_path, workers):
    adapters = RealAdapters(settings=providers.Object(Settings(data_dir=tmp_path, signing_workers=workers,
                                                               pdf_workers=0)))
    try:
        return adapters.pdf_signing()
    finally:
        adapters.shutdown_resources()


def test_by_default_signatures_run_in_a_pool_of_worker_processes(tmp_path):
    assert Settings(data_dir=tmp_path).signing_workers == 1
    signing = _signing(tmp_path, 1)
    assert isinstance(signing, ProcessPoolPdfSigning)
    assert signing.scratch_dir == tmp_path / "scratch" and signing.scratch_dir.is_dir()


def test_no_signing_workers_signs_in_the_calling_process(tmp_path):
    assert isinstance(_signing(tmp_path, 0), PyHankoPdfSigning)


def test_the_pool_chosen_by_the_selector_is_closed_with_the_container(tmp_path, monkeypatch):
    closed = []
    monkeypatch.setattr(ProcessPoolPdfSigning, "close", lambda self: closed.append(self))
    signing = _signing(tmp_path, 2)
    assert closed == [signing]
