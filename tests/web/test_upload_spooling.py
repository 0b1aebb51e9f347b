"""What the upload middleware leaves on disk: nothing once a request is answered, and what a
killed process left is swept a day later."""

from __future__ import annotations

import os
import time

from entrypoints.web.upload_limit import sweep_stale_uploads


def test_uploads_left_by_a_killed_process_are_swept_after_a_day(tmp_path) -> None:
    old, fresh, other = tmp_path / "upload-old", tmp_path / "upload-fresh", tmp_path / "pages"
    for path in (old, fresh):
        path.write_bytes(b"%PDF-1.7")
    other.mkdir()
    # Both times set from the process's clock: under the shifted-clock run the kernel stamps new
    # files with the real date, two years before what time.time() says.
    now = time.time()
    day_and_a_bit = now - 25 * 3600
    os.utime(old, (day_and_a_bit, day_and_a_bit))
    os.utime(fresh, (now, now))
    assert sweep_stale_uploads(tmp_path) == 1
    assert not old.exists() and fresh.exists() and other.exists()
