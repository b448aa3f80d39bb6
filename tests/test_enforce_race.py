"""cmi5 enforcement under concurrency: parallel POSTs on one session equal a serial replay.

Many threads wait at a barrier, then POST cmi5 statements (completed, passed, initialized,
terminated, an allowed statement; duplicates included) with one session's auth-token over real
HTTP. The server commits them in some order; the test reads that order back (the statements'
store sequence) and replays it serially through the cmi5 rules:

- every accepted statement must be clean against the session as the statements committed before
  it leave it (no second completed, no statement after terminated); on an `observe` mount, where
  everything is accepted, its journaled cmi5 violations must be those the replay finds there;
- every refused request must carry the verdict the rules give at some point of that order
  (a refused request changes nothing, so it may sit anywhere);
- the session and the registration's progress afterwards equal the replay's end state (no verb
  lost by a write-back from a stale copy).

Rule: a request is judged against the session as the requests committed before it left it, and
the session update is part of the same transaction (cmi5 §9.3, rows 5, 6, 8 and 2 of the
rejection table: at most one initialized/completed/passed, nothing after terminated).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

import pytest
import requests

from fake_lms import LMSConfig
from fake_lms.cmi5 import rules, store
from fake_lms.cmi5.rules import SessionView
from fake_lms.config import MountSpec
from fake_lms.live import FakeLMS
from tests.cmi5_au import AU

STORY = "http://127.0.0.1:9/story/index.html"
ROUNDS = 8  # sessions raced per run: one round differs on the old code about half the time
# What the threads of one round send, after a serial initialized: duplicates on purpose.
RACE = [
    "completed",
    "completed",
    "completed",
    "passed",
    "passed",
    "initialized",
    "terminated",
    "terminated",
    "experienced",
    "experienced",
    "completed",
    "passed",
]


@dataclass
class Outcome:
    """One raced request: what was sent and what the server answered."""

    stmt: dict[str, Any]
    status: int = 0
    body: Any = None


def _verdict(violations: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    return [(v["row"], v["requirement"], v["path"]) for v in violations]


def _oracle(view: SessionView, stmt: dict[str, Any], observe: bool) -> list[tuple[Any, Any, Any]]:
    """What a serial server finds in `stmt` in session state `view`: [] is clean.

    An enforce mount stops at the token check (rows 1-2); an observe mount records both."""
    token = rules.check_token_state(view, True)
    found = token if token and not observe else token + rules.check_batch([stmt], view)
    return _verdict([v.as_dict() for v in found])


def _statement(au: AU, verb: str) -> dict[str, Any]:
    if verb == "completed":
        return au.statement(verb, result={"completion": True, "duration": "PT1M"}, moveon=True)
    if verb == "passed":
        return au.statement(verb, result={"success": True, "duration": "PT1M"}, moveon=True)
    if verb == "terminated":
        return au.statement(verb, result={"duration": "PT2M"})
    if verb == "experienced":
        return au.statement(verb, defined=False)
    return au.statement(verb)


def _post_all(au: AU, stmts: list[dict[str, Any]]) -> list[Outcome]:
    """POST each statement from its own thread, all released by one barrier."""
    outcomes = [Outcome(s) for s in stmts]
    barrier = threading.Barrier(len(stmts))
    auth = au.http.headers["Authorization"]

    def worker(out: Outcome) -> None:
        with requests.Session() as http:
            http.headers.update({"X-Experience-API-Version": "1.0.3", "Authorization": auth})
            http.get(au.endpoint + "about", timeout=10)  # connect before the barrier
            barrier.wait(timeout=10)
            r = http.post(au.endpoint + "statements", json=out.stmt, timeout=30)
            out.status, out.body = r.status_code, r.json() if r.content else None

    threads = [threading.Thread(target=worker, args=(o,)) for o in outcomes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(o.status for o in outcomes), "a racing request got no answer"
    return outcomes


def _session_view(lms: Any, session_id: str) -> SessionView:
    conn = lms.app.extensions["weare"].db.connection()
    session = store.get_session(conn, session_id)
    assert session is not None
    return store.view(conn, session, store.get_au_in(conn, session.au_id))


def _commit_order(lms: Any, ids: list[str]) -> list[str]:
    conn = lms.app.extensions["weare"].db.connection()
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id FROM statements WHERE id IN ({marks}) ORDER BY seq", ids)
    return [r[0] for r in rows]


def _observed(lms: Any) -> dict[str, list[tuple[Any, Any, Any]]]:
    """The cmi5 violations the journal holds for each accepted statement id."""
    page = lms.admin("GET", "mounts/default/journal", params={"limit": 5000}).json()
    assert not page["more"], "more journal than one page"
    out: dict[str, list[tuple[Any, Any, Any]]] = {}
    for entry in page["entries"]:
        found = [t for v in entry["verdicts"] if "cmi5" in v for t in _verdict(v["cmi5"])]
        for v in entry["verdicts"]:
            if v.get("verdict") == "accepted" and "statement" in v:
                out[v["statement"]] = found
    return out


def _race_one_session(lms: Any, observe: bool) -> list[str]:
    """One round; returns the differences from a serial replay (empty: none)."""
    launched = lms.admin("POST", "launches", json={"au_url": STORY})
    assert launched.status_code == 201, launched.text
    au = AU(launched.json()["launch_url"])
    au.start()
    assert au.initialized().status_code == 200
    outcomes = _post_all(au, [_statement(au, verb) for verb in RACE])
    after = _session_view(lms, launched.json()["session_id"])
    start = replace(
        after,
        state="initialized",
        verbs=[rules.VERB_INITIALIZED],
        registration_completed=False,
        registration_passed=False,
    )
    problems: list[str] = []
    for o in outcomes:
        if o.status not in ((200,) if observe else (200, 403)):
            problems.append(f"{o.stmt['verb']['id']}: unexpected {o.status} {o.body}")
    by_id = {o.stmt["id"]: o for o in outcomes}
    accepted = {o.stmt["id"] for o in outcomes if o.status == 200}
    order = _commit_order(lms, sorted(accepted))
    if set(order) != accepted:
        problems.append(f"accepted but not stored: {sorted(accepted - set(order))}")
    observed = _observed(lms) if observe else {}
    states = [start]
    for position, sid in enumerate(order):
        stmt = by_id[sid].stmt
        want = _oracle(states[-1], stmt, observe)
        got = observed.get(sid, [])
        if got != want:
            problems.append(
                f"{stmt['verb']['display']['en-US']} #{position} accepted with violations {got},"
                f" a serial replay finds {want}"
            )
        states.append(rules.apply(states[-1], stmt))
    for o in outcomes:
        if o.status != 403:
            continue
        got = _verdict(o.body.get("violations", []))
        if not any(_oracle(state, o.stmt, observe) == got for state in states):
            problems.append(
                f"{o.stmt['verb']['display']['en-US']} refused with {got}, which no point of "
                "the serial replay gives"
            )
    end = states[-1]
    seen = (after.state, after.verbs, after.registration_completed, after.registration_passed)
    want_end = (end.state, end.verbs, end.registration_completed, end.registration_passed)
    if seen != want_end:
        problems.append(f"session after the race {seen}, serial replay {want_end}")
    return problems


@pytest.mark.parametrize("mode", ["enforce", "observe"])
def test_parallel_posts_on_one_session_equal_a_serial_replay(tmp_path, mode: str) -> None:
    config = LMSConfig(db_path=str(tmp_path / "lms.db"), mounts=[MountSpec("default", mode=mode)])
    problems: list[str] = []
    with FakeLMS(config) as lms:
        for index in range(ROUNDS):
            problems += [f"round {index}: {p}" for p in _race_one_session(lms, mode == "observe")]
    assert not problems, "\n".join(problems)
