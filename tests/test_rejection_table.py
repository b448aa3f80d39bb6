"""The cmi5 rejection table (rules doc §4.9, rows 1–36) over real HTTP, one test per row/sub-case.

Each case breaks exactly one rule and expects the row's status and, for 403s, the CATAPULT
requirement id that `fake_lms.cmi5.rules.CHECKS` lists for it; then the nearest valid request is
sent and must be accepted. Where the fault lives in the request, the valid request is the same
one with the fault removed, sent in the same session right after the refusal (a refusal leaves
the session as it was). Where the fault lives in the session's history (a statement sent too
early, twice, after terminated...), the valid request is the same request in a fresh launch
whose history lacks the offending step (`good_history`, `good_launch`).

A case is data: a `send` (what request, which fault), the history steps before it, and what the
LMS must answer. The helpers below build sends, faults and steps.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from fake_lms.cmi5.rules import CHECKS
from tests.cmi5_au import AU, CMI5, MOVEON

LAUNCH_DATA = "LMS.LaunchData"
PREFS = "cmi5LearnerPreferences"
MASTERY_EXT = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"
STORY = "http://127.0.0.1:9/story/index.html"
MASTERY_AU = {"url": STORY + "?m=1", "move_on": "Passed", "mastery_score": 0.8}
MBOX_ACTOR = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
OTHER_AGENT = {"objectType": "Agent", "account": {"homePage": "https://x.example", "name": "eve"}}
VALID_PREFS = {"languagePreference": "en-US,fr-FR", "audioPreference": "on"}

# The result each AU verb needs to be valid (rules doc §4.3); moveOn on the three that carry one.
RESULTS: dict[str, dict[str, Any] | None] = {
    "initialized": None,
    "completed": {"completion": True, "duration": "PT1M"},
    "passed": {"success": True, "duration": "PT1M"},
    "failed": {"success": False, "duration": "PT1M"},
    "terminated": {"duration": "PT2M"},
}
WITH_MOVEON = {"completed", "passed", "failed"}


# --- a session under test ----------------------------------------------------------------------


@dataclass
class Run:
    """One launch driven by the test: the LMS, the launch answer, the AU client."""

    lms: Any
    body: dict[str, Any]
    out: dict[str, Any] = field(default_factory=dict)
    au: AU = field(init=False)
    last_id: str | None = None

    def launch(self, **extra: Any) -> None:
        r = self.lms.admin("POST", "launches", json={**self.body, **extra})
        assert r.status_code == 201, r.text
        self.out = r.json()
        self.au = AU(self.out["launch_url"])


def new_run(lms: Any, launch: dict[str, Any], au: dict[str, Any] | None) -> Run:
    body = {"au_url": STORY, **launch}
    if au is not None:
        created = lms.admin("POST", "aus", json=au)
        assert created.status_code == 201, created.text
        body = {"au_id": created.json()["id"], **launch}
    run = Run(lms, body)
    run.launch()
    return run


# --- faults: small mutations of a statement or a request, by path ------------------------------

Fault = Callable[[Any, Run], None]


def _dig(target: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        target = target[step]
    return target


def set_at(*path: Any, value: Any) -> Fault:
    """Set `path` to (a copy of) `value`; a callable value is called with the Run."""

    def fault(target: Any, run: Run) -> None:
        _dig(target, path[:-1])[path[-1]] = value(run) if callable(value) else copy.deepcopy(value)

    return fault


def drop(*path: Any) -> Fault:
    def fault(target: Any, run: Run) -> None:
        del _dig(target, path[:-1])[path[-1]]

    return fault


def add_category(iri: str) -> Fault:
    def fault(stmt: Any, run: Run) -> None:
        activities = stmt["context"].setdefault("contextActivities", {})
        activities.setdefault("category", []).append({"id": iri})

    return fault


def drop_category(iri: str) -> Fault:
    def fault(stmt: Any, run: Run) -> None:
        cats = stmt["context"]["contextActivities"]["category"]
        cats[:] = [c for c in cats if c["id"] != iri]

    return fault


def both(*faults: Fault) -> Fault:
    def fault(target: Any, run: Run) -> None:
        for f in faults:
            f(target, run)

    return fault


def reverse(items: Any, run: Run) -> None:
    items.reverse()


def scored(scaled: float, mastery: float = 0.8) -> Fault:
    """A score plus the masteryscore extension (rows 26–28's valid baseline)."""
    return both(
        set_at("result", "score", value={"scaled": scaled}),
        set_at("context", "extensions", MASTERY_EXT, value=mastery),
    )


def non_utc_now(run: Run) -> str:
    return datetime.now(timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")


# --- sends: what request a case makes; `faulty` says whether its fault is applied --------------

Send = Callable[[Run, bool], requests.Response]


def build(run: Run, verb: str, defined: bool = True) -> dict[str, Any]:
    """A valid statement of `verb` from the context template (allowed when not `defined`)."""
    short = verb.rsplit("/", 1)[-1]
    result = copy.deepcopy(RESULTS.get(short)) if defined else None
    stmt = run.au.statement(
        verb, result=result, moveon=defined and short in WITH_MOVEON, defined=defined
    )
    return copy.deepcopy(stmt)  # the AU shares its actor dict; faults must not change it


def statement(
    verb: str,
    fault: Fault | None = None,
    *,
    defined: bool = True,
    base: Fault | None = None,
    no_auth: bool = False,
) -> Send:
    """POST one statement; `base` shapes the valid statement, `fault` breaks it."""

    def send(run: Run, faulty: bool) -> requests.Response:
        stmt = build(run, verb, defined)
        if base is not None:
            base(stmt, run)
        if faulty and fault is not None:
            fault(stmt, run)
        headers = {"Authorization": None} if faulty and no_auth else {}
        return run.au.http.post(run.au.endpoint + "statements", json=stmt, headers=headers)

    return send


def batch(*verbs: str, fault: Fault) -> Send:
    """POST several statements in one batch; `fault` rearranges the list."""

    def send(run: Run, faulty: bool) -> requests.Response:
        stmts = [build(run, v, defined=not v.startswith("http")) for v in verbs]
        if faulty:
            fault(stmts, run)
        return run.au.send(stmts)

    return send


def document(
    resource: str,
    method: str,
    doc_id: str,
    fault: Fault | None = None,
    *,
    doc: dict[str, Any] | None = None,
) -> Send:
    """A State (`activities/state`) or Agent Profile (`agents/profile`) request for the launch
    actor; `fault` mutates the request dict (params, headers, doc, data)."""

    def send(run: Run, faulty: bool) -> requests.Response:
        au = run.au
        params = {"agent": json.dumps(au.actor)}
        if resource == "activities/state":
            params |= {"stateId": doc_id, "activityId": au.activity_id}
            params["registration"] = au.registration
        else:
            params["profileId"] = doc_id
        req: dict[str, Any] = {"params": params, "headers": {}}
        if doc is not None:
            req["doc"] = copy.deepcopy(doc)
            req["headers"] = {"Content-Type": "application/json", "If-None-Match": "*"}
        if faulty and fault is not None:
            fault(req, run)
        data = req.get("data")
        if data is None and "doc" in req:
            data = json.dumps(req["doc"])
        return au.http.request(
            method, au.endpoint + resource, params=req["params"], headers=req["headers"], data=data
        )

    return send


def state(
    method: str, fault: Fault | None = None, *, state_id: str = LAUNCH_DATA, **kw: Any
) -> Send:
    return document("activities/state", method, state_id, fault, **kw)


def profile(method: str, fault: Fault | None = None, **kw: Any) -> Send:
    return document("agents/profile", method, PREFS, fault, **kw)


# --- history steps -------------------------------------------------------------------------------

Step = Callable[[Run], None]


def _ok(r: requests.Response) -> None:
    assert r.status_code in (200, 204), f"{r.request.method} {r.url}: {r.status_code} {r.text}"


def fetch(run: Run) -> None:
    _ok(run.au.fetch())
    assert "Authorization" in run.au.http.headers


def launch_data(run: Run) -> None:
    _ok(run.au.get_launch_data())


def start(run: Run) -> None:
    run.au.start()


def steal_token(run: Run) -> None:
    """Use the session's token without POSTing the fetch URL (read from the LMS's store)."""
    conn = run.lms.app.extensions["weare"].db.connection()
    sql = "SELECT token_clear FROM sessions WHERE id = ?"  # (kept until the fetch)
    token = conn.execute(sql, (run.out["session_id"],)).fetchone()[0]
    run.au.http.headers["Authorization"] = (
        "Basic " + base64.b64encode(f":{token}".encode()).decode()
    )


def seed_prefs(run: Run) -> None:
    """The LMS (API key) stores the learner's preferences, so that the AU's GET answers 200."""
    r = run.lms.client().post(
        run.lms.endpoint(run.out["mount"]) + "agents/profile",
        params={"profileId": PREFS, "agent": json.dumps(run.au.actor)},
        json=VALID_PREFS,
    )
    _ok(r)


def sent(verb: str, *, defined: bool = True) -> Step:
    def step(run: Run) -> None:
        stmt = build(run, verb, defined)
        _ok(run.au.send(stmt))
        run.last_id = stmt["id"]

    step.__name__ = verb.rsplit("/", 1)[-1]
    return step


def abandon(run: Run) -> None:
    _ok(run.lms.admin("POST", f"sessions/{run.out['session_id']}/abandon"))


def relaunch(run: Run) -> None:
    """A new session of the same AU in the same registration."""
    run.launch(registration=run.out["registration"])


init, completed, passed, failed, terminated = (
    sent(v) for v in ("initialized", "completed", "passed", "failed", "terminated")
)
allowed = sent(EXPERIENCED, defined=False)
STARTED = (start, init)


def next_session(*earlier: Step) -> tuple[Step, ...]:
    """A terminated first session (with `earlier` in it), then a second one, initialized."""
    return (start, init, *earlier, terminated, relaunch, start, init)


# --- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    row: int
    requirement: str | None  # the row's id, reported with `row` in the violations
    send: Send
    status: int = 403
    history: tuple[Step, ...] = STARTED
    good_history: tuple[Step, ...] | None = None  # set: the valid request runs in a new launch
    launch: dict[str, Any] = field(default_factory=dict)
    good_launch: dict[str, Any] | None = None
    au: dict[str, Any] | None = None  # register this AU and launch it
    reported: str | None = None  # top-level `requirement` when a lower row necessarily co-fires
    good_refusal: str | None = None  # the valid request is still refused by LMS policy (this id)
    xfail: str | None = None


M = {"au": MASTERY_AU}  # rows 26–28: an AU with masteryScore 0.8

CASES: list[Case] = [
    # rows 1–2: the token
    Case("row-01-no-authorization", 1, None, statement("initialized", no_auth=True), status=401, history=(start,)),
    Case("row-01-token-not-fetched", 1, "8.1.2.0-2", state("GET"), history=(steal_token,), good_history=(fetch,)),
    Case("row-02-after-terminated", 2, "8.1.2.0-2", statement(EXPERIENCED, defined=False), history=(*STARTED, terminated), good_history=STARTED),
    Case("row-02-after-abandoned", 2, "8.1.2.0-2", statement(EXPERIENCED, defined=False), history=(*STARTED, abandon), good_history=STARTED),
    Case("row-02-after-terminated-same-batch", 2, "9.3.0.0-5", batch(EXPERIENCED, "terminated", fault=reverse)),
    # rows 3–10: order in the session and the registration
    Case("row-03-statement-before-preferences", 3, "11.0.0.0-3", statement("initialized"), history=(fetch, launch_data), good_history=(start,)),
    Case("row-04-defined-before-initialized", 4, "9.3.0.0-4", statement("completed"), history=(start,), good_history=STARTED),
    Case("row-04-allowed-before-initialized", 4, "9.3.0.0-4", statement(EXPERIENCED, defined=False), history=(start,), good_history=STARTED),
    Case("row-05-second-initialized", 5, "9.3.2.0-3", statement("initialized"), good_history=(start,)),
    Case("row-06-defined-verb-repeated", 6, "9.3.0.0-2", statement("failed"), history=(*STARTED, failed), good_history=STARTED),
    Case("row-07-passed-after-failed", 7, "9.3.0.0-3", statement("passed"), history=(*STARTED, failed), good_history=STARTED),
    Case("row-08-completed-again-in-registration", 8, "9.3.0.0-6", statement("completed"), history=next_session(completed), good_history=next_session()),
    Case("row-09-passed-again-in-registration", 9, "9.3.0.0-7", statement("passed"), history=next_session(passed), good_history=next_session()),
    Case("row-10-failed-after-passed-in-registration", 10, "9.3.0.0-8", statement("failed"), history=next_session(passed), good_history=next_session()),
    # rows 11–21: verb, identity, context
    Case("row-11-defined-verb-not-for-au", 11, "9.3.0.0-1", statement(EXPERIENCED, add_category(CMI5), defined=False)),
    Case("row-11-lms-verb-waived", 11, "9.3.0.0-1", statement(WAIVED, add_category(CMI5), defined=False)),
    Case(
        "row-12-voiding-statement", 12, "6.3.0.0-1",
        statement(EXPERIENCED, set_at("verb", "id", value=VOIDED), defined=False,
                  base=set_at("object", value=lambda r: {"objectType": "StatementRef", "id": r.last_id})),
        history=(*STARTED, allowed),
    ),
    Case("row-13-statement-id-missing", 13, "9.1.0.0-1", statement("completed", drop("id"))),
    Case("row-14-timestamp-missing", 14, "9.7.0.0-1", statement("completed", drop("timestamp"))),
    Case("row-14-timestamp-not-utc", 14, "9.7.0.0-2", statement("completed", set_at("timestamp", value=non_utc_now))),
    Case("row-15-actor-not-launch-actor", 15, "8.1.3.0-3", statement("completed", set_at("actor", "account", "name", value="someone-else"))),
    # A non-Agent actor always differs from the launch actor (the launch only takes Agents), so
    # row 15 co-fires and comes first; row 16's id is in the violations.
    Case(
        "row-16-actor-not-agent", 16, "9.2.0.0-2",
        statement("initialized", set_at("actor", "objectType", value="Group")),
        history=(start,), reported="8.1.3.0-3",
    ),
    Case("row-16-actor-without-account", 16, "9.2.0.0-3", statement("initialized"), history=(start,), launch={"actor": MBOX_ACTOR}, good_launch={}),
    Case("row-17-object-not-launch-activity", 17, "8.1.5.0-6", statement("completed", set_at("object", "id", value=lambda r: r.out["publisher_id"]))),
    Case("row-17-object-without-id", 17, "9.4.0.0-1", statement("completed", set_at("object", value=OTHER_AGENT))),
    Case("row-18-context-missing", 18, "9.6.0.0-1", statement(EXPERIENCED, drop("context"), defined=False)),
    Case("row-18-context-activities-missing", 18, "10.2.1.0-6", statement(EXPERIENCED, drop("context", "contextActivities"), defined=False)),
    Case("row-19-template-grouping-missing", 19, "10.2.1.0-6", statement("completed", drop("context", "contextActivities", "grouping"))),
    Case("row-19-template-grouping-overwritten", 19, "10.2.1.0-7", statement("completed", set_at("context", "contextActivities", "grouping", 0, "id", value="https://example.com/other"))),
    Case("row-19-template-session-id-altered", 19, "10.2.1.0-7", statement("completed", set_at("context", "extensions", SESSION_EXT, value="another-session"))),
    Case("row-20-registration-missing", 20, "9.6.1.0-1", statement("completed", drop("context", "registration"))),
    Case("row-20-registration-different", 20, "9.6.1.0-1", statement("completed", set_at("context", "registration", value=lambda r: str(uuid.uuid4())))),
    Case("row-20-state-registration-different", 20, "8.1.4.0-3", state("GET", set_at("params", "registration", value=lambda r: str(uuid.uuid4())))),
    Case("row-21-session-id-missing-defined", 21, "9.6.3.1-4", statement("completed", drop("context", "extensions", SESSION_EXT))),
    Case("row-21-session-id-missing-allowed", 21, "9.6.3.1-4", statement(EXPERIENCED, drop("context", "extensions", SESSION_EXT), defined=False)),
    # rows 22–32: result, categories, launch mode
    Case("row-22-completion-on-passed", 22, "9.5.3.0-2", statement("passed", set_at("result", "completion", value=True))),
    Case("row-22-completed-without-completion-true", 22, "9.5.3.0-1", statement("completed", set_at("result", "completion", value=False))),
    Case("row-23-success-on-completed", 23, "9.5.2.0-3", statement("completed", set_at("result", "success", value=True))),
    Case("row-23-passed-without-success-true", 23, "9.5.2.0-1", statement("passed", set_at("result", "success", value=False))),
    Case("row-23-failed-without-success-false", 23, "9.5.2.0-2", statement("failed", set_at("result", "success", value=True))),
    Case("row-24-score-on-completed", 24, "9.5.1.0-2", statement("completed", set_at("result", "score", value={"scaled": 0.9}))),
    Case("row-25-score-raw-without-min", 25, "9.5.1.0-3", statement("passed", drop("result", "score", "min"), base=set_at("result", "score", value={"raw": 85, "min": 0, "max": 100}))),
    Case("row-25-score-raw-without-max", 25, "9.5.1.0-3", statement("passed", drop("result", "score", "max"), base=set_at("result", "score", value={"raw": 85, "min": 0, "max": 100}))),
    Case("row-26-passed-below-mastery", 26, "9.3.4.0-2", statement("passed", set_at("result", "score", "scaled", value=0.5), base=scored(0.9)), **M),
    Case("row-27-failed-at-or-above-mastery", 27, "9.3.5.0-2", statement("failed", set_at("result", "score", "scaled", value=0.9), base=scored(0.5)), **M),
    Case("row-28-mastery-extension-missing", 28, "9.6.3.2-2", statement("passed", drop("context", "extensions", MASTERY_EXT), base=scored(0.9)), **M),
    Case("row-28-mastery-extension-different", 28, "9.6.3.2-2", statement("passed", set_at("context", "extensions", MASTERY_EXT, value=0.5), base=scored(0.9)), **M),
    Case("row-29-terminated-without-duration", 29, "9.5.4.1-1", statement("terminated", drop("result", "duration"))),
    Case("row-29-completed-without-duration", 29, "9.5.4.1-2", statement("completed", drop("result", "duration"))),
    Case("row-29-passed-without-duration", 29, "9.5.4.1-3", statement("passed", drop("result", "duration"))),
    Case("row-29-failed-without-duration", 29, "9.5.4.1-4", statement("failed", drop("result", "duration"))),
    Case("row-30-completed-without-moveon", 30, "9.6.2.2-1", statement("completed", drop_category(MOVEON))),
    Case("row-30-passed-without-moveon", 30, "9.6.2.2-1", statement("passed", drop_category(MOVEON))),
    Case("row-30-failed-without-moveon", 30, "9.6.2.2-1", statement("failed", drop_category(MOVEON))),
    Case("row-31-moveon-on-allowed", 31, "9.6.2.2-2", statement(EXPERIENCED, add_category(MOVEON), defined=False)),
    Case("row-31-moveon-on-terminated", 31, "9.6.2.2-2", statement("terminated", add_category(MOVEON))),
    Case("row-32-completed-in-browse", 32, "10.2.2.0-2", statement("completed"), launch={"launch_mode": "Browse"}, good_launch={}),
    Case("row-32-completed-in-review", 32, "10.2.2.0-3", statement("completed"), launch={"launch_mode": "Review"}, good_launch={}),
    # rows 33–35: State and Agent Profile
    *(
        Case(f"row-33-{m.lower()}-launch-data", 33, "10.2.1.0-5", state(m, set_at("params", "stateId", value=LAUNCH_DATA), state_id="bookmark", doc=None if m == "DELETE" else {"page": 3}))
        for m in ("PUT", "POST", "DELETE")
    ),
    Case("row-34-state-other-agent", 34, "8.1.3.0-3", state("GET", set_at("params", "agent", value=json.dumps(OTHER_AGENT)))),
    Case("row-34-state-agent-missing", 34, "8.1.3.0-3", state("GET", drop("params", "agent")), status=400),
    Case("row-34-agent-profile-other-agent", 34, "11.0.0.0-1", profile("GET", set_at("params", "agent", value=json.dumps(OTHER_AGENT))), history=(*STARTED, seed_prefs)),
    Case("row-34-agent-profile-agent-missing", 34, "11.0.0.0-1", profile("GET", drop("params", "agent")), status=400, history=(*STARTED, seed_prefs)),
    # The valid write passes row 35 and is then refused by policy (11.0.0.0-2, see assert_accepted).
    *(
        Case(f"row-35-preferences-{name}", 35, req, profile("PUT", fault, doc=VALID_PREFS), good_refusal="11.0.0.0-2")
        for name, req, fault in (
            ("not-json", "11.0.0.0-5", set_at("data", value=b'{"languagePreference": "en-US",')),
            ("not-an-object", "11.0.0.0-5", set_at("data", value=b'["en-US", "on"]')),
            ("not-application-json", "11.0.0.0-5", set_at("headers", "Content-Type", value="text/plain")),
            ("language-missing", "11.0.0.0-5", drop("doc", "languagePreference")),
            ("audio-missing", "11.0.0.0-5", drop("doc", "audioPreference")),
            ("language-list-malformed", "11.1.0.0-1", set_at("doc", "languagePreference", value="en-US, fr-FR")),
            ("audio-not-on-off", "11.0.0.0-5", set_at("doc", "audioPreference", value="loud")),
        )
    ),
    # row 36: plain xAPI
    Case("row-36-xapi-invalid-verb-without-id", 36, None, statement("completed", drop("verb", "id")), status=400),
    Case("row-36-xapi-invalid-actor-missing", 36, None, statement("completed", drop("actor")), status=400),
]  # fmt: skip


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


# --- the tests -----------------------------------------------------------------------------------


def assert_refused(r: requests.Response, case: Case) -> None:
    assert r.status_code == case.status, r.text
    if case.status == 401:
        return
    body = r.json()
    if case.requirement is None:  # row 36: the xAPI layer, no cmi5 id
        assert body["violations"], body
        return
    assert body["requirement"] == (case.reported or case.requirement), body
    found = [(v.get("row"), v.get("requirement")) for v in body["violations"]]
    assert (case.row, case.requirement) in found, found
    if case.reported is None:  # the request breaks this row's rule and no other
        assert {row for row, _ in found} == {case.row}, found


def assert_accepted(r: requests.Response, case: Case) -> None:
    if case.good_refusal is None:
        assert r.status_code in (200, 204), r.text
        return
    # The LMS keeps preferences read-only for the AU (11.0.0.0-2): a well-formed write passes
    # row 35 and is then refused by policy, with nothing else wrong.
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["requirement"] == case.good_refusal, body
    assert not [v for v in body["violations"] if "row" in v], body  # no table row broken


@pytest.mark.parametrize("case", _params())
def test_rejection_table(lms, case: Case) -> None:
    run = new_run(lms, case.launch, case.au)
    for step in case.history:
        step(run)
    assert_refused(case.send(run, True), case)
    if case.good_history is not None or case.good_launch is not None:
        good_launch = case.launch if case.good_launch is None else case.good_launch
        run = new_run(lms, good_launch, case.au)
        for step in case.history if case.good_history is None else case.good_history:
            step(run)
    assert_accepted(case.send(run, False), case)


def test_every_row_of_the_table_is_covered() -> None:
    assert {c.row for c in CASES} == set(range(1, 37))


def test_expected_ids_are_the_registry_ids_of_their_row() -> None:
    registry: dict[int, set[str]] = {}
    for check in CHECKS:
        registry.setdefault(check.row, set()).update(check.requirement.split(", "))
    for case in CASES:
        if case.requirement is not None:
            assert case.requirement in registry[case.row], case.id


def test_observe_mount_accepts_the_violation_and_journals_it(lms) -> None:
    assert lms.admin("POST", "mounts", json={"name": "obs", "mode": "observe"}).status_code == 201
    run = new_run(lms, {"mount": "obs"}, None)
    start(run)
    r = statement("completed")(run, True)  # before initialized: row 4
    assert r.status_code == 200, r.text
    entries = lms.admin("GET", "mounts/obs/journal").json()["entries"]
    observed = [
        v
        for e in entries
        if e["path"].endswith("/statements") and e["method"] == "POST"
        for v in e["verdicts"]
        if v.get("verdict") == "violation (observed)"
    ]
    assert len(observed) == 1, entries
    assert {"row": 4, "requirement": "9.3.0.0-4"}.items() <= observed[0]["cmi5"][0].items()
