"""Several features append to the English catalogue; a merge can leave one msgid twice,
which gettext tools reject and Babel silently resolves to one of the two."""

import re
from collections import Counter

from tests.conftest import LOCALE_DIR


def _msgids(text: str) -> list[str]:
    ids, current = [], None
    for line in text.splitlines():
        if line.startswith("msgid "):
            current = [line[6:]]
        elif current is not None and line.startswith('"'):
            current.append(line)
        elif current is not None:
            ids.append("".join(re.findall(r'"(.*)"', "\n".join(current))))
            current = None
    return [i for i in ids if i]


def test_no_msgid_appears_twice_in_the_english_catalogue():
    text = (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    ids = _msgids(text)
    assert len(ids) > 100
    assert [m for m, n in Counter(ids).items() if n > 1] == []
