"""Quirks: the fake LMS behaving like the broken LMSs found in the wild, on demand.

Each quirk of `fake_lms/data/quirks.json` is applied where a real LMS gets it wrong: the xAPI
front door (`before_xapi`, `after_xapi`), CORS, the fetch URL, launches and cmi5 refusals.
"""

from __future__ import annotations

import difflib
import itertools
import json
import time
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from flask import Response, g, redirect, request

from fake_lms.lms import json_response

XAPI_2_ONLY = "xapi-2-only"  # an alias: the mount answers as an xAPI 2.0.0 LRS
STATUS_QUIRKS = {"statements-401": 401, "statements-403": 403, "statements-503": 503}
SLOW_SECONDS = 2.5
_counter = itertools.count(1)


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


def active() -> set[str]:
    """The quirks in force for this request (server-wide and the mount's)."""
    return g.get("quirks", set())


def _quirk_answer(name: str, status: int) -> Response:
    return json_response(
        {"status": status, "error": f"quirk {name}: {catalogue()[name]['description']}"}, status
    )


def before_xapi(quirks: set[str]) -> Response | None:
    """Quirks that answer an xAPI request before the LRS sees it."""
    if "slow-responses" in quirks:
        time.sleep(SLOW_SECONDS)
    if request.method == "OPTIONS":
        if "no-cors-preflight" in quirks:
            return Response(status=404)
        return None
    if "error-every-3rd" in quirks and next(_counter) % 3 == 0:
        return _quirk_answer("error-every-3rd", 500)
    if "requires-trailing-slash" in quirks and not request.path.endswith("/"):
        target = request.full_path.replace(request.path, request.path + "/", 1).rstrip("?")
        return redirect(target, 301)  # type: ignore[return-value]
    if request.path.rstrip("/").endswith("/statements") and request.method in ("POST", "PUT"):
        for name, status in STATUS_QUIRKS.items():
            if name in quirks:
                return _quirk_answer(name, status)
    return None


def after_xapi(response: Response, quirks: set[str]) -> None:
    if "no-version-header" in quirks:
        response.headers.pop("X-Experience-API-Version", None)
    if "no-cors-preflight" in quirks:
        for name in [h for h in response.headers.keys() if h.startswith("Access-Control-")]:  # noqa: SIM118
            response.headers.pop(name, None)
    if "preflight-without-version-header" in quirks and request.method == "OPTIONS":
        allowed = response.headers.get("Access-Control-Allow-Headers", "")
        kept = [h for h in allowed.split(", ") if h.lower() != "x-experience-api-version"]
        response.headers["Access-Control-Allow-Headers"] = ", ".join(kept)
