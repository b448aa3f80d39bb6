"""A real third-party cmi5 client (@xapi/cmi5 in Chromium) runs a session against the fake LMS.

The AU page (`tests/interop/cmi5_au.html`) and the library's browser bundle are served from a
static server on another loopback port than the fake LMS, so every xAPI call is cross-origin and
the browser's CORS checks (preflights included) are real.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from harness.browser import chromium_executable, launch_chromium
from tests.loopback import serving

INTEROP = Path(__file__).parent / "interop"
BUNDLE = INTEROP / "node_modules" / "@xapi" / "cmi5" / "dist" / "Cmi5.umd.js"
PAGE = "cmi5_au.html"
WAIT_MS = 15_000

VERB = "http://adlnet.gov/expapi/verbs/"
INITIALIZED = VERB + "initialized"
PROGRESSED = VERB + "progressed"
COMPLETED = VERB + "completed"
PASSED = VERB + "passed"
TERMINATED = VERB + "terminated"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not BUNDLE.is_file(),
        reason="@xapi/cmi5 is not installed (make setup runs npm install in tests/interop)",
    ),
]


# --- the page's origin: a static server on another loopback port ------------------------------
class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_origin() -> Iterator[str]:
    """`http://127.0.0.1:<port>` serving tests/interop/ (the page and node_modules)."""
    with serving(functools.partial(_QuietHandler, directory=str(INTEROP))) as base:
        yield base


# --- Chromium --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        if (
            chromium_executable() is None
            and not Path(playwright.chromium.executable_path).is_file()
        ):
            pytest.skip(
                "no Chromium: neither Debian's (chromium-headless-shell, chromium) nor Playwright's own browser"
            )
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


class Run:
    """One launch opened in a fresh browser context, with the browser's view of the network."""

    def __init__(self, browser: Any, launch_url: str) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.requests: list[Any] = []
        self.responses: list[Any] = []
        self.console: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r))
        self.page.on("response", lambda r: self.responses.append(r))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.goto(launch_url, timeout=WAIT_MS)
        self.page.wait_for_function("() => window.cmi5Results !== undefined", timeout=WAIT_MS)

    def run(self, steps: list[Any], keep_going: bool = False) -> dict[str, Any]:
        """Start the steps in the page and wait (bounded) until the page says they are done."""
        self.page.evaluate(
            "([steps, keepGoing]) => { window.cmi5Run(steps, keepGoing); }", [steps, keep_going]
        )
        self.page.wait_for_function(
            "() => window.cmi5Results.done && !window.cmi5Results.running", timeout=WAIT_MS
        )
        return self.results()

    def results(self) -> dict[str, Any]:
        return self.page.evaluate("() => JSON.parse(JSON.stringify(window.cmi5Results))")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser) -> Iterator[Any]:
    runs: list[Run] = []

    def open_(launch_url: str) -> Run:
        runs.append(Run(browser, launch_url))
        return runs[-1]

    yield open_
    for r in runs:
        r.close()


# --- LMS helpers -----------------------------------------------------------------------------
def launch_page(lms, origin: str, **launch: Any) -> dict[str, Any]:
    au = lms.admin(
        "POST",
        "aus",
        json={
            "url": f"{origin}/{PAGE}",
            "move_on": "CompletedAndPassed",
            "mastery_score": 0.5,
        },
    )
    assert au.status_code == 201, au.text
    out = lms.admin("POST", "launches", json={"au_id": au.json()["id"], **launch})
    assert out.status_code == 201, out.text
    return out.json()


def journal(lms) -> list[dict[str, Any]]:
    r = lms.admin("GET", "mounts/default/journal")
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def statement_posts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["path"].endswith("/statements") and e["method"] != "OPTIONS"]


def verbs_of(lms, registration: str) -> list[str]:
    r = lms.admin("GET", f"registrations/{registration}/statements")
    assert r.status_code == 200, r.text
    return [row["statement"]["verb"]["id"] for row in r.json()]


def header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def describe(entries: list[dict[str, Any]]) -> str:
    """The journal, short, for assertion messages."""
    return "\n".join(
        f"{e['method']} {e['path']}?{e['query']} -> {e['status']} {e['verdicts']}"
        f" req={e['request_body'][:400]!r} resp={e['response_body'][:300]!r}"
        for e in entries
    )


NORMAL_SEQUENCE = [
    "initialize",
    ["progress", 50],
    "complete",
    ["pass", {"scaled": 0.9}],
    "terminate",
]


# --- tests -----------------------------------------------------------------------------------
def test_normal_session_is_accepted_statement_by_statement(lms, static_origin, opened):
    out = launch_page(lms, static_origin)
    run = opened(out["launch_url"])
    results = run.run(NORMAL_SEQUENCE)
    entries = journal(lms)
    trail = describe(entries)

    assert results["library"] == "function", results
    assert results["constructed"] and results["cmiAvailable"], results
    launch = results["launch"]
    assert launch["registration"] == out["registration"]
    assert launch["activityId"] == out["activity_id"]
    assert launch["actor"] == out["actor"]
    assert results["errors"] == [], f"{results['errors']}\n{run.console}\n{trail}"
    assert not [c for c in run.console if c.startswith("pageerror")], run.console
    assert [s["step"] for s in results["steps"]] == [
        "initialize",
        "progress",
        "complete",
        "pass",
        "terminate",
    ]
    assert all(s["ok"] and s["status"] == 200 for s in results["steps"]), results["steps"]
    assert results["launchData"]["launchMode"] == "Normal"
    assert results["launchData"]["masteryScore"] == 0.5

    # Every statement request the library made was accepted, with no cmi5 verdict at all.
    posts = statement_posts(entries)
    assert len(posts) == 5, trail
    assert all(e["status"] in (200, 204) for e in posts), trail
    for e in entries:
        assert not any("cmi5" in v for v in e["verdicts"]), trail
    for e in posts:
        assert {v.get("verdict") for v in e["verdicts"]} == {"accepted"}, trail
    # The only non-2xx answer: no learner preferences document exists yet, so its GET is a
    # plain 404 (which counts as "fetched", rules doc §3.3); the library falls back to {}.
    failed = [e for e in entries if e["status"] >= 400]
    assert [(e["method"], e["path"], e["status"]) for e in failed] == [
        ("GET", "/xapi/default/agents/profile", 404)
    ], trail
    assert "profileId=cmi5LearnerPreferences" in failed[0]["query"]
    sent = [json.loads(e["request_body"])["verb"]["id"] for e in posts]
    assert sent == [INITIALIZED, PROGRESSED, COMPLETED, PASSED, TERMINATED]

    # The registration now holds the AU's statements and the LMS's own satisfied statement.
    verbs = verbs_of(lms, out["registration"])
    for verb in (INITIALIZED, PROGRESSED, COMPLETED, PASSED, TERMINATED, SATISFIED):
        assert verb in verbs, (verb, verbs)
    assert verbs.index(SATISFIED) > verbs.index(PASSED)

    # What the library sends on the wire (as the browser saw it).
    xapi = [r for r in run.requests if r.url.startswith(lms.endpoint())]
    assert xapi, [r.url for r in run.requests]
    for r in xapi:
        headers = r.all_headers()
        assert header(headers, "X-Experience-API-Version") == "1.0.3", headers
        assert (header(headers, "Authorization") or "").startswith("Basic "), headers
    fetches = [r for r in run.requests if r.url == out["fetch"]]
    assert [r.method for r in fetches] == ["POST"]


def test_browse_mode_refuses_complete(lms, static_origin, opened):
    out = launch_page(lms, static_origin, launch_mode="Browse")
    run = opened(out["launch_url"])
    results = run.run(["initialize", "complete", "sendCompletedAnyway", "terminate"], True)
    entries = journal(lms)
    trail = describe(entries)
    steps = {s["step"]: s for s in results["steps"]}

    assert steps["initialize"]["ok"] and steps["initialize"]["status"] == 200, trail
    assert results["launchData"]["launchMode"] == "Browse"

    # The library itself refuses complete() outside Normal mode: nothing reaches the LMS.
    assert not steps["complete"]["ok"]
    assert steps["complete"]["status"] is None
    assert "launchMode is 'Normal'" in steps["complete"]["error"]["message"]

    # The same completed statement sent anyway through the library's xAPI client: the LMS
    # answers 403 naming 10.2.2.0-2, and the library reports it as an error.
    forced = steps["sendCompletedAnyway"]
    assert not forced["ok"]
    assert forced["status"] == 403, forced
    assert forced["error"]["body"]["requirement"] == "10.2.2.0-2", forced
    refused = [e for e in statement_posts(entries) if e["status"] == 403]
    assert len(refused) == 1, trail
    assert json.loads(refused[0]["request_body"])["verb"]["id"] == COMPLETED
    body = json.loads(refused[0]["response_body"])
    assert body["requirement"] == "10.2.2.0-2"
    assert "10.2.2.0-2" in body["error"]
    rows = [c["row"] for v in refused[0]["verdicts"] for c in v.get("cmi5", [])]
    assert 32 in rows, refused[0]["verdicts"]

    assert steps["terminate"]["ok"] and steps["terminate"]["status"] == 200, trail
    verbs = verbs_of(lms, out["registration"])
    assert INITIALIZED in verbs and TERMINATED in verbs
    assert COMPLETED not in verbs and SATISFIED not in verbs


def test_the_page_ran_cross_origin_with_real_preflights(lms, static_origin, opened):
    out = launch_page(lms, static_origin)
    assert not out["launch_url"].startswith(lms.base_url)
    run = opened(out["launch_url"])
    results = run.run(["initialize", "terminate"])
    assert results["errors"] == [], results["errors"]
    entries = journal(lms)
    trail = describe(entries)

    preflights = [e for e in entries if e["method"] == "OPTIONS"]
    assert preflights, trail
    for e in preflights:
        assert header(e["request_headers"], "Origin") == static_origin, e["request_headers"]
        assert header(e["request_headers"], "Access-Control-Request-Method"), e
        assert e["status"] == 204, trail
    asked = {
        h.strip().lower()
        for e in preflights
        for h in (header(e["request_headers"], "Access-Control-Request-Headers") or "").split(",")
    }
    assert {"authorization", "x-experience-api-version"} <= asked, asked
    assert any(e["path"].endswith("/statements") for e in preflights), trail

    # Every LMS response the page read was open to any origin, without credentials: the client
    # sends its Authorization header itself and needs no credentialed mode.
    lms_responses = [r for r in run.responses if r.url.startswith(lms.base_url)]
    assert lms_responses
    for r in lms_responses:
        headers = r.all_headers()
        allow = header(headers, "Access-Control-Allow-Origin")
        assert allow == "*", (r.url, r.status, allow)
        assert header(headers, "Access-Control-Allow-Credentials") is None, (r.url, headers)
