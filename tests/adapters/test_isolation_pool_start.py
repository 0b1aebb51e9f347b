"""Replacing a PDF worker is cheap whatever started the process: the fork server has already
imported what the process's main module needs, so a new worker does not import it again.

Each case runs a real process (a script, or ``python -m``) whose main module imports a module
that writes its process id to a file when it is imported; the pool then starts three workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MAIN = textwrap.dedent("""
    import os
    import marked_dependency
    from adapters.isolation.pool import BoundedProcessPool

    if __name__ == "__main__":
        workers = set()
        for _ in range(3):  # a pool per round: each round forks a new worker
            pool = BoundedProcessPool(workers=1, preload=("json",))
            workers.add(pool.call(os.getpid))
            pool.close()
        print(len(workers))
""")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "marked_dependency.py").write_text(
        "import os\nwith open(os.environ['IMPORTS'], 'a') as f:\n    f.write(f'{os.getpid()}\\n')\n")
    (tmp_path / "started_main.py").write_text(MAIN)
    return tmp_path


def _imports_while(folder: Path, *command: str) -> list[str]:
    marks = folder / "imports.txt"
    env = {**os.environ, "IMPORTS": str(marks), "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}
    done = subprocess.run([sys.executable, *command], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3", done.stdout  # three workers did start
    return marks.read_text().split()


@pytest.mark.parametrize("command", [("started_main.py",), ("-m", "started_main")], ids=["script", "module"])
def test_new_workers_do_not_import_the_main_modules_dependencies_again(folder: Path, command: tuple[str, ...]) -> None:
    imported_by = _imports_while(folder, *command)
    # The process itself and its fork server; before, each of the three workers imported it as well.
    assert len(imported_by) == 2, imported_by
    assert len(set(imported_by)) == 2
