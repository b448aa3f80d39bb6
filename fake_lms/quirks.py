"""Quirks: the fake LMS behaving like the broken LMSs found in the wild, on demand.

Each quirk of `fake_lms/data/quirks.json` is applied where a real LMS gets it wrong: the xAPI
front door (`before_xapi`, `after_xapi`), CORS, the fetch URL, launches, cmi5 refusals
(`error_body`) and statement reads (`readable_until_us`).
"""

from __future__ import annotations

import difflib
import itertools
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from http import HTTPStatus
from importlib import resources
from typing import Any, cast

from flask import Response, g, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge

from fake_lms.db import now_us
from fake_lms.lms import json_response
from fake_lms.xapi.protocol import XAPIError, consistent_through

XAPI_2_ONLY = "xapi-2-only"  # an alias: the mount answers as an xAPI 2.0.0 LRS
STATUS_QUIRKS = {"statements-401": 401, "statements-403": 403, "statements-503": 503}
SLOW_SECONDS = 2.5
STALE_WAIT_SECONDS = 2.0  # stale-content-length: how long the LRS waits for the missing bytes
EVENTUAL_DELAY_SECONDS = 1.0  # eventual-read: how long after storing a statement becomes readable
_counter = itertools.count(1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def active() -> set[str]:
    """The quirks in force for this request (server-wide and the mount's)."""
    return cast("set[str]", g.get("quirks", set()))


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
        if "stale-content-length" in quirks and _length_changes_when_compacted():
            time.sleep(STALE_WAIT_SECONDS)
            return _quirk_answer("stale-content-length", 504)
    return None


def _length_changes_when_compacted() -> bool:
    """Whether a proxy that re-serialises the JSON body as a browser's JSON.stringify would (no
    spaces, UTF-8 as is) and keeps the received Content-Length would send fewer or more bytes
    than it announces. A body that is not JSON (or too large to read) is passed on untouched."""
    try:
        body = request.get_data(cache=True)
        compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
        return len(compact.encode()) != len(body)
    except (RequestEntityTooLarge, ValueError, RecursionError):
        return False  # UnicodeError is a ValueError: undecodable or lone surrogates


def readable_until_us() -> int:
    """eventual-read: statements stored after this time are not readable yet. One value per
    request, so the X-Experience-API-Consistent-Through it answers agrees with what it hid."""
    if "readable_until_us" not in g:
        g.readable_until_us = now_us() - int(EVENTUAL_DELAY_SECONDS * 1_000_000)
    return int(g.readable_until_us)


def readable_yet(stmt: dict[str, Any]) -> bool:
    """False for a statement the eventual-read quirk still hides (stored after the cutoff)."""
    if "eventual-read" not in active():
        return True
    stored = datetime.fromisoformat(stmt["stored"].replace("Z", "+00:00"))
    return (stored - _EPOCH) // timedelta(microseconds=1) <= readable_until_us()


def error_body(exc: XAPIError, quirks: set[str]) -> dict[str, Any]:
    """The body of a refusal; with cmi5-errors-in-message, a cmi5 refusal (401/403 naming a
    requirement id) in another LMS's shape, none of our own fields kept."""
    if (
        "cmi5-errors-in-message" not in quirks
        or not exc.requirement
        or exc.status not in (401, 403)
    ):
        return exc.body()
    message = exc.rule
    if not message.startswith(exc.requirement):
        message = f"{exc.requirement} - {message}"
    return {
        "statusCode": exc.status,
        "error": HTTPStatus(exc.status).phrase,
        "message": message,
        "violatedReqId": exc.requirement,
    }


def _strip_cors(response: Response) -> None:
    for name in [h for h in response.headers.keys() if h.startswith("Access-Control-")]:  # noqa: SIM118
        response.headers.pop(name, None)


def after_xapi(response: Response, quirks: set[str]) -> None:
    if "no-version-header" in quirks:
        response.headers.pop("X-Experience-API-Version", None)
    if "no-cors-preflight" in quirks or (
        "fetch-no-cors" in quirks and request.blueprint == "fetch"
    ):
        _strip_cors(response)
    if "eventual-read" in quirks and "X-Experience-API-Consistent-Through" in response.headers:
        response.headers["X-Experience-API-Consistent-Through"] = consistent_through(
            readable_until_us()
        )
    if "preflight-without-version-header" in quirks and request.method == "OPTIONS":
        allowed = response.headers.get("Access-Control-Allow-Headers", "")
        kept = [h for h in allowed.split(", ") if h.lower() != "x-experience-api-version"]
        response.headers["Access-Control-Allow-Headers"] = ", ".join(kept)
