"""Both reference stories send the same requests: the page (story.js in Chromium) and client.py.

The We Are story exists twice, one behaviour defined by the flags of `harness/story/behaviour.py`
and `harness/data/mutants.json`. For the reference story and for every mutant of that file (read
at collection, so a new mutant without parity fails here), each story runs against the real
fake LMS in each of RUNS (a behaviour, a launch, the learner's actions), each run on fresh mounts and a launch of its
own. Between them the launches exercise every flag: endpoint (ending in '/') and fetch in the
launch URL with a configured API URL and key on another mount; '+'-encoding, a fetch URL with its
own query and an endpoint without '/'; no endpoint nor fetch (the configured URL and key); a
registration and a session id. The page runs in one Chromium, a browser context per case. What
the fake LMS journaled for the two stories must be the same, request for request: method, mount,
path, query (JSON values compared as JSON), the headers that carry meaning (Authorization scheme
and which credential, X-Experience-API-Version, Content-Type, Origin), the body (statements with
their ids, timestamps and durations reduced to their form, launch values to their names) and the
LMS's answer status; and the story's end state (status, credentials used).

Preflights (OPTIONS) are left out: Chromium sends them itself and caches them (Access-Control-
Max-Age), the Python client emulates one before every request; neither is the story's choice.
A mutant must also change what its story sends in at least one run, or the launches here do not
exercise it and the comparison would prove nothing. `make test` plays a mutant's page in the first
run where its client sends something other than the reference's client (where its flag acts) and
its client in every run; `make test-full` plays every run on both (tests/full_proofs.py).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import pytest

from harness.bench import Bench, Prepared
from harness.scenarios import Scenario
from harness.story.behaviour import StoryConfig, mutants
from harness.story.client import WeAreClient
from tests.full_proofs import full

CASES = ("reference", *sorted(mutants()))
# Launches (fake LMS launch variants) that, between them, exercise every flag of the story.
LAUNCHES: dict[str, dict[str, Any]] = {
    # endpoint (ending in '/') and fetch in the launch, registration and session id; the
    # configured API URL and key point at another mount
    "in-launch": {},
    # '+' for spaces, a fetch URL with its own query, an endpoint without the trailing '/'
    "own-query": {"encoding": "plus", "fetch_query": True, "endpoint_trailing_slash": False},
    # neither endpoint nor fetch: the configured API URL and key
    "configured": {"omit": ["endpoint", "fetch"], "encoding": "plus"},
}


class Run(NamedTuple):
    """One way to run a story: its behaviour, the launch, the learner's actions, LMS quirks."""

    behaviour: str
    launch: str
    actions: tuple[str, ...] = ("finish",)
    quirks: tuple[str, ...] = ()

    def __str__(self) -> str:
        quirks = f", LMS quirks {'+'.join(self.quirks)}" if self.quirks else ""
        return f"{self.behaviour}, launch {self.launch}, learner {'+'.join(self.actions)}{quirks}"


RUNS = (
    Run("weare-documented", "in-launch"),
    Run("cmi5-full", "in-launch"),
    Run("weare-documented", "configured"),
    Run("cmi5-full", "own-query"),
    # a reload opens the story again: a second fetch (which the LMS refuses) and its aftermath
    Run("weare-documented", "in-launch", ("reload", "finish")),
    # CORS: a preflight that does not allow X-Experience-API-Version
    Run("weare-documented", "in-launch", quirks=("preflight-without-version-header",)),
    # statements only at 'statements/': every other answer is a 301 redirect there
    Run("weare-documented", "in-launch", quirks=("requires-trailing-slash",)),
    # no CORS at all: the fetch goes out (a simple request) but its answer is hidden from the page
    Run("weare-documented", "in-launch", quirks=("no-cors-preflight",)),
)
HEADERS = ("authorization", "x-experience-api-version", "content-type", "origin")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
DURATION = re.compile(r"PT\d+(\.\d+)?S")
USER = re.compile(r"^Basic \[redacted user='(.*)'\]$")
STORY_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def bench() -> Iterator[Bench]:
    with Bench() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    from harness.browser import launch_chromium

    with sync_api.sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except sync_api.Error as exc:  # no Chromium here: say so instead of failing obscurely
            pytest.skip(f"Chromium cannot be launched here: {exc.message.splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()


_index = itertools.count()


def _prepare(bench: Bench, case: str, run: Run) -> Prepared:
    """Fresh mounts and a launch for one story run; transport browser (the page runs it)."""
    scenario = Scenario(
        id=f"parity-{case}",
        title="parity",
        rule={"text": "parity", "source": "seed"},
        expect={},
        story={"behaviour": run.behaviour, "transport": "browser"},
        launch=LAUNCHES[run.launch],
        lms={"quirks": list(run.quirks)},
    )
    story = StoryConfig(mutant=None if case == "reference" else case)
    return bench.prepare(scenario, next(_index), story)


def _run_python(bench: Bench, prepared: Prepared, actions: tuple[str, ...]) -> dict[str, Any]:
    client = WeAreClient(
        prepared.story,
        origin=bench.story.base_url,
        story_url=bench.story.base_url + "/story/index.html",
    )
    try:
        return client.run(prepared.launch["launch_url"], actions).as_dict()
    finally:
        client.http.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A tab in a browser context of its own for each case."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def _run_page(
    bench: Bench, page: Any, prepared: Prepared, actions: tuple[str, ...]
) -> dict[str, Any]:
    """Open the launch, act as the learner, return what the page reported last."""
    url = prepared.launch["launch_url"]
    key = dict(parse_qsl(urlsplit(url).query))["cfg"]
    results = bench.story.registry.results
    page.goto("about:blank")
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function("window.weareReady === true", timeout=STORY_TIMEOUT_S * 1000)
    for action in actions:
        results.pop(key, None)
        if action == "reload":
            page.reload(wait_until="domcontentloaded")
            page.wait_for_function("window.weareReady === true", timeout=STORY_TIMEOUT_S * 1000)
            continue
        page.click("#finish")
        deadline = time.monotonic() + STORY_TIMEOUT_S
        while key not in results:  # the page reports before it may redirect to returnURL
            assert time.monotonic() < deadline, f"the page did not finish in {STORY_TIMEOUT_S} s"
            time.sleep(0.02)
    return results[key]


# --- what the fake LMS received, normalised -----------------------------------------------------
def _launch_values(prepared: Prepared) -> dict[str, str]:
    """Values that differ from launch to launch, by the name they stand for."""
    launch = prepared.launch
    values = {
        launch.get("registration"): "$registration",
        launch.get("session_id"): "$sessionId",
        launch.get("activity_id"): "$activityId",
        urlsplit(launch.get("fetch") or "").path: "$fetch-path",
    }
    values.update({mount: f"${role}" for role, mount in prepared.mounts.items()})
    # as the launch URL carries them (an LMS quirk may have replaced the launch's own values)
    sent = dict(parse_qsl(urlsplit(launch["launch_url"]).query))
    values.update({sent[k]: f"${k}" for k in ("registration", "sessionId") if sent.get(k)})
    values.update(
        {v: f"$fetch-{k}" for k, v in parse_qsl(urlsplit(launch.get("fetch") or "").query)}
    )
    return {k: v for k, v in values.items() if k}


def _text(value: str, names: dict[str, str]) -> str:
    for raw, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        value = value.replace(raw, name)
    return value


def _value(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _text(value, names)
    if isinstance(value, dict):
        return {k: _value(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v, names) for v in value]
    return value


def _statement(stmt: Any, names: dict[str, str]) -> Any:
    """A statement with what is new on every run reduced to its form."""
    if not isinstance(stmt, dict):
        return _value(stmt, names)
    stmt = _value(stmt, names)
    if isinstance(stmt.get("id"), str) and UUID.fullmatch(stmt["id"]):
        stmt["id"] = "<uuid4>"
    if isinstance(stmt.get("timestamp"), str):
        form = TIMESTAMP.fullmatch(stmt["timestamp"])
        stmt["timestamp"] = f"<time{form.group(1)}>" if form else stmt["timestamp"]
    result = stmt.get("result")
    if isinstance(result, dict) and DURATION.fullmatch(str(result.get("duration", ""))):
        result["duration"] = "<duration>"
    return stmt


def _body(text: str, names: dict[str, str]) -> Any:
    if not text:
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return _text(text, names)
    if isinstance(body, list):
        return [_statement(s, names) for s in body]
    return _statement(body, names)


def _query_value(value: str, names: dict[str, str]) -> Any:
    try:
        parsed = json.loads(value)
    except ValueError:
        return _text(value, names)
    return _value(parsed, names) if isinstance(parsed, dict | list) else _text(value, names)


def _authorization(value: str | None, users: dict[str, str]) -> str | None:
    if value is None:
        return None
    user = USER.match(value)
    if user:
        role = users.get(user.group(1))
        return f"Basic <{role} key>" if role else "Basic <fetched token>"
    return value


def _journal(bench: Bench, prepared: Prepared) -> list[tuple[str, dict[str, Any]]]:
    """(role, entry) for every exchange on the run's mounts, in arrival order."""
    entries = [
        (role, entry)
        for role, mount in prepared.mounts.items()
        for entry in bench.lms.admin("GET", f"mounts/{mount}/journal").json()["entries"]
    ]
    return sorted(entries, key=lambda pair: pair[1]["seq"])


def preflights(bench: Bench, prepared: Prepared) -> list[tuple[str, str, str, str]]:
    """The distinct CORS preflights: (mount, path, method asked for, headers asked for).

    Distinct, because Chromium caches a preflight's answer (Access-Control-Max-Age) where the
    Python client asks before every request."""
    names = _launch_values(prepared)
    asked = set()
    for role, entry in _journal(bench, prepared):
        if entry["method"] == "OPTIONS":
            headers = {k.lower(): v for k, v in entry["request_headers"].items()}
            asked.add(
                (
                    role,
                    _text(entry["path"], names),
                    headers.get("access-control-request-method", ""),
                    headers.get("access-control-request-headers", ""),
                )
            )
    return sorted(asked)


def journaled(bench: Bench, prepared: Prepared) -> list[dict[str, Any]]:
    """The requests the story sent, in arrival order over all its mounts, without preflights."""
    names = _launch_values(prepared)
    users = {user: role for role, (user, _) in prepared.keys.items()}
    sent = []
    for role, entry in _journal(bench, prepared):
        if entry["method"] == "OPTIONS":
            continue
        headers = {k.lower(): v for k, v in entry["request_headers"].items()}
        meaning = {name: headers.get(name) for name in HEADERS}
        meaning["authorization"] = _authorization(meaning["authorization"], users)
        sent.append(
            {
                "method": entry["method"],
                "mount": role,
                "path": _text(entry["path"], names),
                "query": [
                    (k, _query_value(v, names))
                    for k, v in parse_qsl(entry["query"], keep_blank_values=True)
                ],
                "headers": meaning,
                "body": _body(entry["request_body"], names),
                "status": entry["status"],
            }
        )
    return sent


def difference(page: list[dict[str, Any]], client: list[dict[str, Any]]) -> str:
    """The first request where the two stories differ, field by field; '' when they agree."""
    for i, (a, b) in enumerate(zip(page, client, strict=False)):
        fields = [k for k in a if a[k] != b.get(k)]
        if fields:
            shown = {k: {"story.js": a[k], "client.py": b.get(k)} for k in fields}
            return f"request {i + 1} ({a['method']} {a['path']}): {json.dumps(shown, indent=1)}"
    if len(page) != len(client):
        longer, name = (page, "story.js") if len(page) > len(client) else (client, "client.py")
        extra = [f"{r['method']} {r['path']}" for r in longer[min(len(page), len(client)) :]]
        return f"only {name} sent {extra}"
    return ""


def _run_story(bench: Bench, page: Any, case: str, run: Run, story: str) -> dict[str, Any]:
    """One story ("page" or "client") played once on fresh mounts: its end and what it sent."""
    prepared = _prepare(bench, case, run)
    if story == "page":
        outcome = _run_page(bench, page, prepared, run.actions)
    else:
        outcome = _run_python(bench, prepared, run.actions)
    return {
        "outcome": {k: outcome.get(k) for k in ("status", "credentials")},
        "sent": journaled(bench, prepared),
        "preflights": preflights(bench, prepared),
    }


def _run_both(bench: Bench, page: Any, case: str, run: Run) -> dict[str, Any]:
    return {story: _run_story(bench, page, case, run, story) for story in ("page", "client")}


@pytest.fixture(scope="module")
def reference(bench: Bench, browser: Any) -> dict[Run, dict[str, Any]]:
    context = browser.new_context()
    try:
        page = context.new_page()
        return {run: _run_both(bench, page, "reference", run) for run in RUNS}
    finally:
        context.close()


@pytest.mark.parametrize("case", CASES)
def test_page_and_client_send_the_same_requests(
    bench: Bench, page: Any, reference: dict[Run, dict[str, Any]], case: str
) -> None:
    changed: list[Run] = []
    for run in RUNS:
        if case == "reference":
            both = reference[run]
        else:
            client = _run_story(bench, page, case, run, "client")
            if client["sent"] != reference[run]["client"]["sent"]:
                changed.append(run)
            elif client == reference[run]["client"]:
                continue  # the flag rests in this run: the page would repeat the reference's
            if len(changed) > 1 and not full():
                continue  # `make test`: the page where the flag first acts
            both = {"page": _run_story(bench, page, case, run, "page"), "client": client}
        on_page, client = both["page"], both["client"]
        where = f"{case}, {run}"
        if case == "reference":  # each run exercises the story
            assert on_page["sent"], f"{where}: the page sent nothing ({on_page['outcome']})"
        assert on_page["sent"] == client["sent"], (
            f"{where}: story.js and client.py sent different requests; "
            + difference(on_page["sent"], client["sent"])
        )
        assert on_page["preflights"] == client["preflights"], (
            f"{where}: the page's preflights and the client's emulation differ"
        )
        assert on_page["outcome"] == client["outcome"], where
    if case != "reference":
        assert changed, (
            f"mutant {case!r} sends what the reference sends on every launch here: they do "
            f"not exercise it ({mutants()[case]['description']})"
        )
