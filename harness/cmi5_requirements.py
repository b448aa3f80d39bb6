"""The cmi5 requirement ids of the `@cmi5/requirements` catalogue, shipped as package data.

An LMS's answer names a requirement only if the catalogue lists the id: a version number, a
date or a made-up id is not one. The ids are read from `harness/data/cmi5_requirement_ids.json`
(written by `scripts/cmi5_requirement_ids.py` from the npm package, so nothing needs node at
run time) and validated on first use.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from harness.errors import HarnessError

DATA_FILE = "data/cmi5_requirement_ids.json"
# A catalogue id: section "N.N.N.N", "-", index; a derived requirement adds " (d)" or " (dN)".
ID_SHAPE = re.compile(r"\d+\.\d+\.\d+\.\d+-\d+(?: \(d\d*\))?")


class CatalogueError(HarnessError):
    """The shipped catalogue is missing or malformed; the message names the file and the fault."""


def parse_catalogue(text: str, where: str = f"harness/{DATA_FILE}") -> frozenset[str]:
    """The ids of a catalogue document, or CatalogueError saying what is wrong with it."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CatalogueError(f"{where}: not JSON ({exc})") from None
    ids = document.get("ids") if isinstance(document, dict) else None
    if not isinstance(ids, list) or not ids:
        raise CatalogueError(f"{where}: 'ids' must be a non-empty list of requirement ids")
    bad = [i for i in ids if not isinstance(i, str) or not ID_SHAPE.fullmatch(i)]
    if bad:
        raise CatalogueError(
            f"{where}: {bad[0]!r} is not a requirement id (expected e.g. '8.2.3.0-1' or "
            "'8.2.3.0-1 (d)')"
        )
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise CatalogueError(f"{where}: ids listed twice: {twice}")
    return frozenset(ids)


@cache
def requirement_ids() -> frozenset[str]:
    """Every id the catalogue lists, derived ones ('8.2.3.0-1 (d)') included."""
    try:
        text = resources.files("harness").joinpath(DATA_FILE).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(
            f"harness/{DATA_FILE}: cannot be read ({exc.strerror or exc}); reinstall "
            "weare-harness or run scripts/cmi5_requirement_ids.py"
        ) from None
    return parse_catalogue(text)
