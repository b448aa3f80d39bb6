"""A document write is judged against the session as its own write transaction sees it.

A State (or Agent Profile) write made with a session's auth-token is judged on arrival and again
inside the transaction that stores it. The test makes the race deterministic: the moment the
State PUT asks for its write transaction, the AU's `terminated` is sent from another thread and
committed first. The PUT must then be refused as a request on an ended session (rejection table
row 2, 8.1.2.0-2) and store nothing; judged on the session read on arrival, it was stored.
On an `observe` mount the same write is stored, and the journal holds its violation once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import has_request_context, request

from fake_lms import LMSConfig
from fake_lms.config import MountSpec
from fake_lms.live import FakeLMS
from tests.cmi5_au import AU

STORY = "http://127.0.0.1:9/story/index.html"
STATE_ID = "bookmark"
TOKEN_ENDED = "8.1.2.0-2"


def _terminate_first(lms: FakeLMS, au: AU, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Before the first write transaction of a State request, commit the AU's `terminated`
    (sent over HTTP from another thread, awaited); returns the statuses it got."""
    db = lms.app.extensions["weare"].db
    plain_write: Callable[[], Any] = db.write
    answered: list[int] = []

    @contextmanager
    def write() -> Iterator[Any]:
        racing = has_request_context() and request.path.endswith("/activities/state")
        if racing and not answered:
            worker = threading.Thread(target=lambda: answered.append(au.terminated().status_code))
            worker.start()
            worker.join(timeout=20)
        with plain_write() as conn:
            yield conn

    monkeypatch.setattr(db, "write", write)
    return answered


def _state_params(au: AU) -> dict[str, str]:
    return {
        "stateId": STATE_ID,
        "activityId": au.activity_id,
        "agent": json.dumps(au.actor),
        "registration": au.registration,
    }


def _race(tmp_path, monkeypatch, mode: str) -> tuple[FakeLMS, AU, Any, list[int]]:
    config = LMSConfig(db_path=str(tmp_path / "lms.db"), mounts=[MountSpec("default", mode=mode)])
    lms = FakeLMS(config).start()
    launched = lms.admin("POST", "launches", json={"au_url": STORY})
    assert launched.status_code == 201, launched.text
    au = AU(launched.json()["launch_url"])
    au.start()
    assert au.initialized().status_code == 200
    answered = _terminate_first(lms, au, monkeypatch)
    put = au.http.put(
        au.endpoint + "activities/state",
        params=_state_params(au),
        json={"page": 3},
        timeout=30,
    )
    return lms, au, put, answered


def test_a_state_put_racing_terminated_is_judged_on_the_ended_session(tmp_path, monkeypatch):
    lms, au, put, answered = _race(tmp_path, monkeypatch, "enforce")
    try:
        assert answered == [200], "terminated was not committed before the State write"
        assert put.status_code == 403, put.text
        assert put.json()["requirement"] == TOKEN_ENDED
        stored = lms.client().get(au.endpoint + "activities/state", params=_state_params(au))
        assert stored.status_code == 404, "a refused State write was stored"
    finally:
        lms.stop()


def test_on_an_observe_mount_the_racing_write_is_stored_and_its_violation_journaled_once(
    tmp_path, monkeypatch
):
    lms, au, put, answered = _race(tmp_path, monkeypatch, "observe")
    try:
        assert answered == [200]
        assert put.status_code == 204, put.text
        stored = lms.client().get(au.endpoint + "activities/state", params=_state_params(au))
        assert stored.json() == {"page": 3}
        page = lms.admin("GET", "mounts/default/journal", params={"limit": 100}).json()
        puts = [e for e in page["entries"] if e["method"] == "PUT"]
        assert len(puts) == 1, puts
        found = [v["cmi5"] for v in puts[0]["verdicts"] if "cmi5" in v]
        assert [[c["requirement"] for c in f] for f in found] == [[TOKEN_ENDED]], found
    finally:
        lms.stop()
