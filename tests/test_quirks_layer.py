"""The quirks are one layer around the LRS: the xAPI and cmi5 packages hold conformance only.

No module of `fake_lms/xapi/` or `fake_lms/cmi5/` mentions a quirk (the word, in code or comment)
or names one of the catalogue's quirks in a string, so adding a quirk touches neither package.
What the quirks do is pinned by their own tests (tests/test_field_quirks.py, the certify tests).
"""

from __future__ import annotations

import ast
from pathlib import Path

from fake_lms.quirks import catalogue

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = [
    *sorted((ROOT / "fake_lms" / "xapi").glob("*.py")),
    *sorted((ROOT / "fake_lms" / "cmi5").glob("*.py")),
]


def quirk_mentions(path: Path) -> list[str]:
    """Each line mentioning 'quirk', and each string constant naming a quirk of the catalogue."""
    text = path.read_text()
    where = path.relative_to(ROOT)
    found = [
        f"{where}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if "quirk" in line.lower()
    ]
    names = set(catalogue())
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Constant) and node.value in names:
            found.append(f"{where}:{node.lineno}: names the quirk {node.value!r}")
    return found


def test_the_xapi_and_cmi5_packages_know_no_quirk() -> None:
    assert len(CONFORMANCE) > 20, CONFORMANCE
    found = [hit for path in CONFORMANCE for hit in quirk_mentions(path)]
    assert not found, "quirks belong in fake_lms/quirks_layer.py:\n" + "\n".join(found)


def test_the_scan_finds_quirks_where_they_are() -> None:
    """The scan can fail: the layer mentions quirks and names them."""
    hits = quirk_mentions(ROOT / "fake_lms" / "quirks_layer.py")
    assert any("names the quirk 'drops-statements'" in h for h in hits), hits
