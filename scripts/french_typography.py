"""Check (or fix with --fix) French typography in templates: non-breaking space before : ; ! ? and inside « ».

Used by the web tests so a plain space never slips back in front of French punctuation.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

NBSP = "\u00a0"
# A word (or closing guillemet/parenthesis) + plain space + high punctuation, then space, tag, quote or end.
_BEFORE = re.compile(r"(?<=[\w»)]) ([:;!?])(?=[\s<\"']|$)", re.MULTILINE)
_OPEN = re.compile(r"« ")
_CLOSE = re.compile(r" »")


def fix(text: str) -> str:
    text = _BEFORE.sub(NBSP + r"\1", text)
    text = _OPEN.sub("«" + NBSP, text)
    return _CLOSE.sub(NBSP + "»", text)


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent / "entrypoints" / "web" / "templates"
    bad = []
    for path in sorted(root.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        fixed = fix(text)
        if fixed != text:
            bad.append(path)
            if "--fix" in argv:
                path.write_text(fixed, encoding="utf-8")
    for path in bad:
        print(("fixed " if "--fix" in argv else "plain space before French punctuation: ") + str(path))
    return 1 if bad and "--fix" not in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
