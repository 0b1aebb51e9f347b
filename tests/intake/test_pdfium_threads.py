"""PDFium is not thread-safe; the web serves page images from several threads at once.

Run in a child process so that a crash (a segmentation fault, as seen before the lock) is a
failed test rather than the end of the test session.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import threading
    from adapters.pdf.inspection import PyHankoPdfiumInspector
    from adapters.pdf.rendering import PdfiumPageRenderer
    from tests.intake.corpus import minimal_pdf

    content = minimal_pdf(pages=6, text="Lettre de mission " * 20)
    renderer, inspector = PdfiumPageRenderer(), PyHankoPdfiumInspector()
    failures = []

    def work(seed):
        try:
            for round in range(12):
                renderer.render_png(content, page=1 + (seed + round) % 6, width_px=800)
                assert inspector.inspect(content).page_count == 6
        except Exception as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("failures", failures)
    raise SystemExit(1 if failures else 0)
""")


def test_pages_render_and_inspect_from_many_threads_at_once():
    root = str(Path(__file__).resolve().parents[2])
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240, cwd=root)
    assert result.returncode == 0, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "failures []" in result.stdout
