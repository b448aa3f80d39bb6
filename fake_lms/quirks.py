"""Quirks: the fake LMS behaving like the broken LMSs found in the wild, on demand.

This module is the catalogue (`fake_lms/data/quirks.json`), its names and the timings the quirks
keep. They are applied by one layer around the LRS, `fake_lms/quirks_layer.py`, and by the
launch (`admin_cmi5.py`); the xAPI and cmi5 modules know none of them.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

XAPI_2_ONLY = "xapi-2-only"  # an alias: the mount answers as an xAPI 2.0.0 LRS
SLOW_SECONDS = 2.5
STALE_WAIT_SECONDS = 2.0  # stale-content-length: how long the LRS waits for the missing bytes
EVENTUAL_DELAY_SECONDS = 1.0  # eventual-read: how long after storing a statement becomes readable


class QuirkError(ValueError):
    """An unknown quirk name; the message lists the known ones."""


@cache
def catalogue() -> dict[str, dict[str, Any]]:
    """Quirks from `fake_lms/data/quirks.json`, each with a description and a source."""
    raw = json.loads(resources.files("fake_lms").joinpath("data/quirks.json").read_text())
    quirks: dict[str, dict[str, Any]] = raw.get("quirks", {})
    for name, spec in quirks.items():
        if not spec.get("description") or not spec.get("source"):
            raise QuirkError(f"quirk {name!r} needs a description and a source")
    return quirks


def check_names(names: list[str]) -> list[str]:
    """`names` if each is a known quirk; else the error names the first unknown one, the known
    name closest to it and where the whole list is."""
    for name in names:
        if name not in catalogue():
            close = difflib.get_close_matches(name, list(catalogue()), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise QuirkError(
                f"unknown quirk {name!r}; {hint}known: {', '.join(sorted(catalogue()))} "
                "(`weare-harness quirks` explains each)"
            )
    return names


def xapi_version(stored: str, quirks: Iterable[str]) -> str:
    """The xAPI version a mount answers as: its own, or 2.0.0 when the xapi-2-only quirk is in
    force (server-wide or on the mount). The quirk is an alias for a 2.0.0 mount, so a vendor's
    LMS that speaks only 2.0.0 is emulated by the same code as a configured 2.0.0 LRS."""
    return "2.0.0" if XAPI_2_ONLY in quirks else stored


def check_xapi_version_agrees(version: str | None, quirks: Iterable[str], where: str) -> None:
    """Refuse a request that names xAPI version 1.0.3 for a mount the xapi-2-only quirk makes
    2.0.0: the two cannot both hold, and silently preferring one would hide the other."""
    if version == "1.0.3" and XAPI_2_ONLY in quirks:
        raise QuirkError(
            f"{where}: xapi_version 1.0.3 contradicts the quirk {XAPI_2_ONLY}, which makes the "
            "mount an xAPI 2.0.0 LRS; drop the quirk or ask for 2.0.0"
        )
