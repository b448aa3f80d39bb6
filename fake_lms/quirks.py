"""Quirks: the fake LMS behaving like the broken LMSs found in the wild, on demand."""

from __future__ import annotations

import json
import time
from functools import cache
from importlib import resources
from typing import Any

from flask import Response, request

from fake_lms.lms import json_response

STATUS_QUIRKS = {"statements-401": 401, "statements-403": 403, "statements-503": 503}


class QuirkError(ValueError):
    """An unknown quirk name; the message lists the known ones."""


@cache
def catalogue() -> dict[str, dict[str, Any]]:
    """Quirks from `fake_lms/data/quirks.json`, each with a description and a source."""
    raw = json.loads(resources.files("fake_lms").joinpath("data/quirks.json").read_text())
    quirks = raw.get("quirks", {})
    for name, spec in quirks.items():
        if not spec.get("description") or not spec.get("source"):
            raise QuirkError(f"quirk {name!r} needs a description and a source")
    return quirks


def check_names(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in catalogue()]
    if unknown:
        raise QuirkError(f"unknown quirk(s) {unknown}; known: {', '.join(sorted(catalogue()))}")
    return names


def before_xapi(quirks: set[str]) -> Response | None:
    """Quirks that answer an xAPI request before the LRS sees it."""
    if "slow-responses" in quirks:
        time.sleep(1.5)
    if request.path.endswith("/statements") and request.method in ("POST", "PUT"):
        for name, status in STATUS_QUIRKS.items():
            if name in quirks:
                return json_response(
                    {
                        "status": status,
                        "error": f"quirk {name}: {catalogue()[name]['description']}",
                    },
                    status,
                )
    return None
