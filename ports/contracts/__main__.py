"""``python -m ports.contracts <group> <name> [option=value ...]``: run a group's contract suite
against an installed provider (needs pytest). Exit status: pytest's."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

USAGE = "usage: python -m ports.contracts <group> <provider name> [option=value ...]  (e.g. seing.document_stores acme)"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or any("=" not in arg for arg in argv[2:]):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        import pytest
    except ImportError:
        print("the contract suites run under pytest: pip install pytest", file=sys.stderr)
        return 2
    group, name, options = argv[0], argv[1], dict(arg.split("=", 1) for arg in argv[2:])
    with tempfile.TemporaryDirectory(prefix="seing-contract-") as folder:
        module = Path(folder) / "test_provider_contract.py"
        module.write_text(
            "from ports.contracts.providers import contract_for\n"
            f"TestProvider = contract_for({group!r}, {name!r}, options={options!r})\n", encoding="utf-8")
        return int(pytest.main([str(module), "-q", "-p", "no:cacheprovider", "--rootdir", folder]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
