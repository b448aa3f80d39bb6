"""The fake LMS as a cmi5 LMS over real HTTP: launch, fetch, LaunchData, session rules."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.cmi5_au import AU

STORY = "http://127.0.0.1:9/story/index.html"


def launch(lms, **body):
    body.setdefault("au_url", STORY)
    r = lms.admin("POST", "launches", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_launch_url_carries_the_five_cmi5_parameters(lms):
    out = launch(lms)
    pairs = dict(parse_qsl(urlsplit(out["launch_url"]).query))
    assert set(pairs) == {"endpoint", "fetch", "actor", "registration", "activityId"}
    assert pairs["endpoint"] == lms.endpoint()
    assert json.loads(pairs["actor"]) == out["actor"]
    assert pairs["activityId"] == out["activity_id"] != out["publisher_id"]


def test_launch_writes_launch_data_and_launched_statement(lms):
    out = launch(lms, launch_mode="Browse", return_url="https://lms.example.com/back")
    state = (
        lms.client()
        .get(
            lms.endpoint() + "activities/state",
            params={
                "stateId": "LMS.LaunchData",
                "activityId": out["activity_id"],
                "agent": json.dumps(out["actor"]),
                "registration": out["registration"],
            },
        )
        .json()
    )
    sid = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
    assert state["contextTemplate"]["extensions"][sid] == out["session_id"]
    assert state["launchMode"] == "Browse"
    assert state["returnURL"] == "https://lms.example.com/back"
    stmts = (
        lms.client()
        .get(lms.endpoint() + "statements", params={"registration": out["registration"]})
        .json()["statements"]
    )
    verbs = [s["verb"]["id"] for s in stmts]
    assert "http://adlnet.gov/expapi/verbs/launched" in verbs
    # A NotApplicable AU satisfies the course at registration time (9.6.1.1-3).
    assert "https://w3id.org/xapi/adl/verbs/satisfied" in verbs


def test_fetch_hands_out_the_token_once(lms):
    out = launch(lms)
    first = requests.post(out["fetch"], timeout=5)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json"
    assert "auth-token" in first.json()
    second = requests.post(out["fetch"], timeout=5)
    assert second.status_code == 200
    assert second.json()["error-code"] == "1"
    assert "auth-token" not in second.json()


def test_fetch_by_get_is_405_and_journaled_as_violation(lms):
    out = launch(lms)
    assert requests.get(out["fetch"], timeout=5).status_code == 405
    entries = lms.admin("GET", "mounts/default/journal").json()["entries"]
    assert entries[-1]["verdicts"][0]["requirement"] == "8.2.1.0-2"


def test_unknown_fetch_id_answers_error_code_2(lms):
    r = requests.post(lms.base_url + "/fetch/nope", timeout=5)
    assert r.status_code == 200
    assert r.json()["error-code"] == "2"


def test_fetch_accepts_form_and_json_content_types(lms):
    for ctype in ("application/x-www-form-urlencoded", "application/json", "text/plain"):
        out = launch(lms)
        r = requests.post(out["fetch"], data=b"", headers={"Content-Type": ctype}, timeout=5)
        assert "auth-token" in r.json()


def test_token_is_refused_before_fetch(lms):
    out = launch(lms)
    au = AU(out["launch_url"])
    pre = requests.post(out["fetch"], timeout=5)  # fetched by someone, token known
    token = pre.json()["auth-token"]
    # A second launch: its token exists but was never fetched.
    out2 = launch(lms)
    au2 = AU(out2["launch_url"])
    row = (
        lms.app.extensions["weare"]
        .db.connection()
        .execute("SELECT token_clear FROM sessions WHERE id = ?", (out2["session_id"],))
        .fetchone()
    )
    import base64

    au2.http.headers["Authorization"] = "Basic " + base64.b64encode(f":{row[0]}".encode()).decode()
    r = au2.get_launch_data()
    assert r.status_code == 403
    assert r.json()["requirement"] == "8.1.2.0-2"
    assert au and token


def test_conformant_session_is_accepted_end_to_end(lms):
    out = launch(lms)
    au = AU(out["launch_url"])
    au.start()
    assert au.initialized().status_code == 200
    assert au.completed().status_code == 200
    assert au.terminated().status_code == 200
    after = au.send(au.statement("experienced", defined=False))
    assert after.status_code == 403
    assert after.json()["requirement"] == "8.1.2.0-2"


def test_statement_before_initialized_is_403_with_requirement(lms):
    au = AU(launch(lms)["launch_url"])
    au.start()
    r = au.completed()
    assert r.status_code == 403
    assert r.json()["requirement"] in ("7.1.1.0-1", "9.3.0.0-4")


def test_observe_mode_accepts_and_records_the_violation(lms):
    lms.admin("POST", "mounts", json={"name": "watch", "mode": "observe"})
    au = AU(launch(lms, mount="watch")["launch_url"])
    au.start()
    r = au.completed()
    assert r.status_code == 200
    entries = lms.admin("GET", "mounts/watch/journal").json()["entries"]
    cmi5 = [v for e in entries for v in e["verdicts"] if "cmi5" in v]
    assert cmi5 and cmi5[0]["cmi5"][0]["row"] == 4


def test_relaunch_abandons_the_open_session(lms):
    first = launch(lms)
    au = AU(first["launch_url"])
    au.start()
    assert au.initialized().status_code == 200
    second = launch(lms, registration=first["registration"])
    assert second["abandoned_sessions"] == [first["session_id"]]
    stmts = (
        lms.client()
        .get(
            lms.endpoint() + "statements",
            params={
                "registration": first["registration"],
                "verb": "https://w3id.org/xapi/adl/verbs/abandoned",
            },
        )
        .json()["statements"]
    )
    assert len(stmts) == 1
    assert stmts[0]["result"]["duration"].startswith("P")
    assert au.terminated().status_code == 403


def test_completed_satisfies_the_au_block_and_course(lms):
    au_def = lms.admin("POST", "aus", json={"url": STORY + "?c=1", "move_on": "Completed"}).json()
    out = launch(lms, au_id=au_def["id"])
    au = AU(out["launch_url"])
    au.start()
    au.initialized()
    assert au.completed().status_code == 200
    stmts = (
        lms.client()
        .get(
            lms.endpoint() + "statements",
            params={
                "registration": out["registration"],
                "verb": "https://w3id.org/xapi/adl/verbs/satisfied",
            },
        )
        .json()["statements"]
    )
    assert len(stmts) == 1
    assert stmts[0]["object"]["definition"]["type"].endswith("/activitytype/course")


def test_browse_mode_refuses_completed(lms):
    au = AU(launch(lms, launch_mode="Browse")["launch_url"])
    au.start()
    au.initialized()
    r = au.completed()
    assert r.status_code == 403
    assert r.json()["requirement"].startswith("10.2.2.0-")


def test_token_is_bound_to_its_mount(lms):
    lms.admin("POST", "mounts", json={"name": "other"})
    out = launch(lms, endpoint_mount="other")
    au = AU(out["launch_url"])
    assert au.endpoint == lms.endpoint("other")
    au.fetch()
    assert au.get_launch_data().status_code == 401


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        (
            {"profile": "weare", "omit": ["fetch", "endpoint"]},
            lambda q, raw: "fetch" not in q and "endpoint" not in q and "sessionId" in q,
        ),
        (
            {
                "encoding": "plus",
                "actor": {
                    "objectType": "Agent",
                    "account": {"homePage": "https://x.example", "name": "Ann Lee"},
                },
            },
            lambda q, raw: "Ann+Lee" in raw,
        ),
        (
            {
                "actor": {
                    "objectType": "Agent",
                    "account": {"homePage": "https://x.example", "name": "Ann Lee"},
                }
            },
            lambda q, raw: "Ann%20Lee" in raw,
        ),
        ({"raw_actor": True}, lambda q, raw: 'actor={"objectType"' in raw),
        ({"amp_entities": True}, lambda q, raw: "&amp;fetch=" in raw),
        (
            {"order": ["activityId", "actor"]},
            lambda q, raw: raw.split("?", 1)[1].startswith("activityId="),
        ),
        ({"endpoint_trailing_slash": False}, lambda q, raw: not q["endpoint"].endswith("/")),
        ({"fetch_query": True}, lambda q, raw: "?id=" in q["fetch"]),
        (
            {"overrides": {"registration": "this-is-my-registration-id"}},
            lambda q, raw: q["registration"] == "this-is-my-registration-id",
        ),
        (
            {"overrides": {"actor": '{"objectType": "Agent","account": {"name": "1625378"}}'}},
            lambda q, raw: json.loads(q["actor"])["account"] == {"name": "1625378"},
        ),
    ],
)
def test_launch_variants(lms, variant, check):
    out = launch(lms, **variant)
    raw = out["launch_url"]
    q = dict(parse_qsl(urlsplit(raw.replace("&amp;", "&")).query))
    assert check(q, raw), raw


def test_au_url_with_its_own_query_keeps_it_first(lms):
    out = launch(lms, au_url=STORY + "?lang=fr&mode=x")
    assert out["launch_url"].startswith(STORY + "?lang=fr&mode=x&endpoint=")


def test_au_url_using_a_launch_parameter_name_is_refused(lms):
    r = lms.admin("POST", "aus", json={"url": STORY + "?actor=x"})
    assert r.status_code == 400
    assert r.json()["requirement"] == "8.1.0.0-6"


@pytest.mark.parametrize(
    "body",
    [
        {"profile": "scorm"},
        {"omit": ["nope"]},
        {"encoding": "utf7"},
        {"launch_mode": "Fast"},
        {"registration": "not-a-uuid"},
        {"actor": {"name": "no ifi"}},
        {"bogus": 1},
        {"mount": "missing"},
    ],
)
def test_bad_launch_requests_are_400_or_404(lms, body):
    r = lms.admin("POST", "launches", json={"au_url": STORY, **body})
    assert r.status_code in (400, 404), r.text
    assert r.json()["error"]


def test_waive_records_waived_and_satisfies(lms):
    au_def = lms.admin("POST", "aus", json={"url": STORY + "?w=1", "move_on": "Passed"}).json()
    out = launch(lms, au_id=au_def["id"])
    r = lms.admin(
        "POST", f"registrations/{out['registration']}/aus/0/waive", json={"reason": "Tested Out"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["waived"]["result"]["success"] is True
    assert len(body["satisfied"]) == 1
    again = lms.admin("POST", f"registrations/{out['registration']}/aus/0/waive", json={})
    assert again.status_code == 409


def test_abandon_through_admin_api(lms):
    out = launch(lms)
    r = lms.admin("POST", f"sessions/{out['session_id']}/abandon")
    assert r.status_code == 200
    assert lms.admin("GET", f"sessions/{out['session_id']}").json()["state"] == "abandoned"
    assert lms.admin("POST", f"sessions/{out['session_id']}/abandon").status_code == 409


def test_registration_statements_lists_every_mount(lms):
    out = launch(lms)
    stmts = lms.admin("GET", f"registrations/{out['registration']}/statements").json()
    assert stmts[0]["mount"] == "default"
