"""The hostile-PDF suite: every file is generated here, small on disk, and each is refused or
handled by the intake within fixed memory and time, while normal pages are still served.

The intake runs as in production (adapters wired to a ``BoundedProcessPool``), with small
limits so that the whole suite stays quick: 8 MB of inflated Flate data per file, 500 pages,
a worker address space of 384 MB and 5 seconds per call.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from adapters.isolation.pool import BoundedProcessPool, LimitExceeded
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.pdf.rendering import PdfiumPageRenderer
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from domain.model.errors import (
    DocumentActiveContent,
    DocumentBroken,
    DocumentRefused,
    DocumentTooComplex,
)
from domain.model.intake import IntakePolicy
from domain.services.collections import check_upload
from tests.intake import corpus, hostile
from tests.intake.corpus import minimal_pdf

MB = 1024 * 1024
TIMEOUT = 5
PRELOAD = ("adapters.pdf.inspection", "adapters.pdf.rendering", "adapters.signing.pyhanko_signing")


@pytest.fixture(scope="module")
def pool() -> Iterator[BoundedProcessPool]:
    pool = BoundedProcessPool(workers=2, memory_mb=384, cpu_seconds=TIMEOUT, timeout_seconds=TIMEOUT, preload=PRELOAD)
    # Start both workers (the import of PDFium and pyHanko is not what is measured below).
    threads = [threading.Thread(target=pool.call, args=(_pause, 0.2)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    yield pool
    pool.close()


def _pause(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _spin_forever() -> None:
    while True:
        pass


@pytest.fixture(scope="module")
def intake(pool: BoundedProcessPool) -> Callable[[bytes], None]:
    inspector = PyHankoPdfiumInspector(pool, inflate_limit=8 * MB, max_pages=500)
    signing = PyHankoPdfSigning(vault=None, isolation=pool)  # type: ignore[arg-type] - the dry run needs no key

    def check(content: bytes) -> None:
        check_upload(policy=IntakePolicy.megabytes(5), inspector=inspector, signing=signing, content=content)

    return check


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


HOSTILE = [
    ("content stream bomb", lambda: hostile.content_stream_bomb(256 * MB), DocumentTooComplex),
    ("image bomb", lambda: hostile.image_bomb(256 * MB), DocumentTooComplex),
    ("object stream bomb", lambda: hostile.object_stream_bomb(256 * MB), DocumentTooComplex),
    # pyHanko bounds an xref stream by the size its /W and /Size imply: damaged, not a bomb.
    ("xref stream bomb", lambda: hostile.xref_stream_bomb(256 * MB), DocumentBroken),
    ("image of 10^10 pixels", hostile.giant_image_declaration, DocumentTooComplex),
    ("100,000 nested arrays", hostile.deep_nesting, DocumentTooComplex),
    ("page tree that is its own kid", hostile.page_tree_loop, DocumentBroken),
    ("10,000 pages", lambda: hostile.many_pages(10_000), DocumentTooComplex),
    ("xref pointing nowhere", hostile.broken_xref, DocumentBroken),
    ("/OpenAction JavaScript", hostile.open_action_javascript, DocumentActiveContent),
    ("/Launch action", hostile.launch_action, DocumentActiveContent),
]


@pytest.mark.parametrize(("make", "refusal"), [(m, r) for _, m, r in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_a_hostile_pdf_is_refused_within_bounded_time_and_memory(intake, make, refusal) -> None:
    content = make()
    assert len(content) < 2 * MB
    peak_before = _peak_rss_mb()
    started = time.monotonic()
    with pytest.raises(DocumentRefused) as refused:
        intake(content)
    assert type(refused.value) is refusal
    assert time.monotonic() - started < TIMEOUT + 1
    # The reading happened in a worker: the test process did not grow by the bomb's size.
    assert _peak_rss_mb() - peak_before < 64


def test_active_content_names_what_was_found(intake) -> None:
    with pytest.raises(DocumentActiveContent) as refused:
        intake(hostile.launch_action())
    assert refused.value.params["kinds"] == "launch"


def test_reference_loops_outside_the_page_tree_are_handled(intake) -> None:
    intake(hostile.reference_loop())


def test_a_page_of_absurd_proportions_is_accepted_but_its_image_refused(intake, pool) -> None:
    content = hostile.giant_page_box()
    intake(content)
    with pytest.raises(DocumentTooComplex):
        PdfiumPageRenderer(pool).render_png(content, page=1, width_px=800)


def test_a_bomb_that_exhausts_a_workers_memory_is_refused_and_the_worker_replaced(pool) -> None:
    renderer = PdfiumPageRenderer(pool)
    bomb = hostile.content_stream_bomb(512 * MB)
    started = time.monotonic()
    with pytest.raises(DocumentTooComplex):
        renderer.render_png(bomb, page=1, width_px=400)
    assert time.monotonic() - started < TIMEOUT + 1
    assert renderer.render_png(minimal_pdf(), page=1, width_px=200).startswith(b"\x89PNG")


def test_a_call_over_its_time_is_stopped_and_the_pool_keeps_serving() -> None:
    pool = BoundedProcessPool(workers=1, memory_mb=512, cpu_seconds=30, timeout_seconds=0.5,
                              preload=(__name__,))
    try:
        started = time.monotonic()
        with pytest.raises(LimitExceeded, match="time"):
            pool.call(_pause, 30)
        assert time.monotonic() - started < 5
        assert pool.call(_pause, 0) == "done"
    finally:
        pool.close()


def test_a_runaway_loop_is_killed_by_its_cpu_budget() -> None:
    pool = BoundedProcessPool(workers=1, memory_mb=512, cpu_seconds=1, timeout_seconds=30,
                              preload=(__name__,))
    try:
        started = time.monotonic()
        with pytest.raises(LimitExceeded, match="died"):
            pool.call(_spin_forever)
        assert time.monotonic() - started < 10
    finally:
        pool.close()


def test_normal_pages_are_served_while_a_bomb_is_being_read(pool) -> None:
    """Ordinary page images do not queue behind a bomb: they are all done before it is (no
    timing threshold, which a loaded machine would break; the order is what matters)."""
    renderer = PdfiumPageRenderer(pool)
    normal = minimal_pdf(pages=2)
    bomb_started, bomb_done = threading.Event(), threading.Event()

    def read_bomb() -> None:
        bomb_started.set()
        try:
            renderer.render_png(hostile.content_stream_bomb(512 * MB), page=1, width_px=400)
        except DocumentTooComplex:
            pass
        finally:
            bomb_done.set()

    thread = threading.Thread(target=read_bomb)
    thread.start()
    bomb_started.wait(5)
    for page in (1, 2, 1):
        assert renderer.render_png(normal, page=page, width_px=300).startswith(b"\x89PNG")
    served_while_reading = not bomb_done.is_set()
    thread.join(TIMEOUT + 5)
    assert bomb_done.is_set()
    assert served_while_reading, "the ordinary pages waited for the bomb"


def test_a_worker_error_comes_back_typed(pool) -> None:
    with pytest.raises(Exception) as raised:
        PdfiumPageRenderer(pool).render_png(minimal_pdf(pages=1), page=3, width_px=200)
    assert type(raised.value).__name__ == "NotFound"


@pytest.mark.skipif(not corpus.qpdf_available(), reason="qpdf (apt-get install -y qpdf)")
def test_javascript_hidden_in_an_object_stream_is_found(intake) -> None:
    packed = corpus.qpdf_rewrite(hostile.open_action_javascript(), "--object-streams=generate")
    assert b"/ObjStm" in packed
    with pytest.raises(DocumentActiveContent):
        intake(packed)


def test_an_ordinary_pdf_passes_the_bounded_intake(intake) -> None:
    intake(minimal_pdf(pages=3))
    intake(corpus.pdfium_pdf(pages=2))


class _RecordingPool:
    """The pool, recording what crosses to the workers."""

    def __init__(self, pool: BoundedProcessPool) -> None:
        self.pool, self.sent = pool, []

    def call(self, function, *args):
        self.sent.append(args)
        return self.pool.call(function, *args)


def test_a_stored_page_is_rendered_by_a_worker_from_a_cached_file_by_its_path(pool, tmp_path) -> None:
    from adapters.memory.documents import InMemoryDocumentStore

    store = InMemoryDocumentStore()
    content = minimal_pdf(pages=2)
    ref = store.put(content)
    recording = _RecordingPool(pool)
    renderer = PdfiumPageRenderer(recording, cache_dir=tmp_path / "pages")  # type: ignore[arg-type]
    first = renderer.render_stored_png(store, ref.sha256, page=2, width_px=300)
    again = renderer.render_stored_png(store, ref.sha256, page=1, width_px=300)
    assert first == PdfiumPageRenderer(pool).render_png(content, page=2, width_px=300)
    assert again.startswith(b"\x89PNG")
    # Only a path went to the worker, the same cached copy each time; never the document's bytes.
    assert [type(args[0]) for args in recording.sent] == [str, str]
    assert recording.sent[0][0] == recording.sent[1][0] == str(tmp_path / "pages" / f"{ref.sha256}.pdf")
    assert (tmp_path / "pages" / f"{ref.sha256}.pdf").read_bytes() == content


def test_a_stored_bomb_is_refused_by_the_worker_that_opens_it(pool, tmp_path) -> None:
    from adapters.memory.documents import InMemoryDocumentStore

    store = InMemoryDocumentStore()
    ref = store.put(hostile.content_stream_bomb(512 * MB))
    renderer = PdfiumPageRenderer(pool, cache_dir=tmp_path / "pages")
    with pytest.raises(DocumentTooComplex):
        renderer.render_stored_png(store, ref.sha256, page=1, width_px=800)
    assert renderer.render_stored_png(store, store.put(minimal_pdf()).sha256, page=1,
                                      width_px=200).startswith(b"\x89PNG")


def test_the_page_cache_keeps_the_newest_copies(pool, tmp_path) -> None:
    from adapters.memory.documents import InMemoryDocumentStore

    store = InMemoryDocumentStore()
    renderer = PdfiumPageRenderer(pool, cache_dir=tmp_path / "pages", cache_files=2)
    refs = [store.put(minimal_pdf(text=f"Lettre {n}")) for n in range(4)]
    for number, ref in enumerate(refs[:3]):
        path = tmp_path / "pages" / f"{ref.sha256}.pdf"
        renderer.render_stored_png(store, ref.sha256, page=1, width_px=100)
        # As if used minutes ago, on the file system's clock (which the shifted-clock run does not move).
        written = path.stat().st_mtime
        os.utime(path, (written - 600 + number, written - 600 + number))
    renderer.render_stored_png(store, refs[3].sha256, page=1, width_px=100)  # a new copy: the cache is trimmed
    kept = sorted(p.name for p in (tmp_path / "pages").glob("*.pdf"))
    assert kept == sorted(f"{ref.sha256}.pdf" for ref in refs[2:])
