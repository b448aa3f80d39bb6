"""Quirks reproducing defects of LMSs in the field, each shown both ways over real HTTP.

One fake LMS for the module; each test makes a mount with its quirk and one without it through
the admin API, and shows the defect on the first and the normal answer on the second.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from fake_lms import LMSConfig, MountSpec
from fake_lms.live import FakeLMS
from fake_lms.quirks import EVENTUAL_DELAY_SECONDS, STALE_WAIT_SECONDS
from harness.cli import main
from tests.cmi5_au import AU

FIELD_QUIRKS = (
    "fetch-no-cors",
    "stale-content-length",
    "cmi5-errors-in-message",
    "relaunch-abandons",
    "eventual-read",
    "statement-as-list",
    "ok-without-ids",
)
ORIGIN = "http://127.0.0.1:1"  # the story's origin, another than the LMS's
AU_URL = "http://127.0.0.1:9/story"


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[FakeLMS]:
    db = tmp_path_factory.mktemp("field-quirks") / "lms.db"
    with FakeLMS(LMSConfig(db_path=str(db), mounts=[MountSpec("default")])) as server:
        yield server


def mount(lms: FakeLMS, mode: str, *quirks: str) -> str:
    """A fresh mount with `quirks` (none: the normal behaviour), by the admin API."""
    name = "-".join(("m", *quirks, uuid.uuid4().hex[:6]))
    r = lms.admin("POST", "mounts", json={"name": name, "mode": mode, "quirks": list(quirks)})
    assert r.status_code == 201, r.text
    return name


def launch(lms: FakeLMS, mount_name: str, **extra: Any) -> dict[str, Any]:
    r = lms.admin("POST", "launches", json={"au_url": AU_URL, "mount": mount_name, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "été"}},
        "object": {"objectType": "Activity", "id": "https://example.com/activity/1"},
        **extra,
    }


def compact(value: Any) -> bytes:
    """The body a browser's JSON.stringify sends."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def cors_headers(response: requests.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def get_one(http: requests.Session, endpoint: str, statement_id: str, name: str = "statementId"):
    return http.get(endpoint + "statements", params={name: statement_id}, timeout=10)


def listed_ids(http: requests.Session, endpoint: str) -> list[str]:
    r = http.get(endpoint + "statements", params={"limit": "50"}, timeout=10)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["statements"]]


# --- fetch-no-cors -----------------------------------------------------------------------------


def _preflight(url: str) -> requests.Response:
    return requests.options(
        url,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-experience-api-version",
        },
        timeout=10,
    )


def test_fetch_no_cors_answers_the_fetch_url_without_cors_and_still_spends_the_token(lms):
    name = mount(lms, "observe", "fetch-no-cors")
    fetch = launch(lms, name)["fetch"]
    assert cors_headers(_preflight(fetch)) == {}
    first = requests.post(fetch, headers={"Origin": ORIGIN}, timeout=10)
    assert first.status_code == 200 and first.json()["auth-token"]
    assert cors_headers(first) == {}  # a page on another origin cannot read it...
    second = requests.post(fetch, headers={"Origin": ORIGIN}, timeout=10)
    assert second.json()["error-code"] == "1"  # ...and the token is gone (8.2.3.0-1)
    refused_get = requests.get(fetch, headers={"Origin": ORIGIN}, timeout=10)
    assert refused_get.status_code == 405 and cors_headers(refused_get) == {}
    # The xAPI resources of the same mount keep their CORS headers.
    assert cors_headers(_preflight(lms.endpoint(name) + "statements"))[
        "Access-Control-Allow-Origin"
    ]
    r = lms.client().get(lms.endpoint(name) + "statements", headers={"Origin": ORIGIN})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"


def test_fetch_url_answers_with_cors_without_the_quirk(lms):
    fetch = launch(lms, mount(lms, "observe"))["fetch"]
    preflight = _preflight(fetch)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answer = requests.post(fetch, headers={"Origin": ORIGIN}, timeout=10)
    assert answer.json()["auth-token"] and answer.headers["Access-Control-Allow-Origin"] == "*"


# --- stale-content-length ----------------------------------------------------------------------


def _post_raw(http: requests.Session, url: str, body: bytes, method: str = "POST", **kw: Any):
    headers = {"Content-Type": "application/json"}
    started = time.monotonic()
    r = http.request(method, url, data=body, headers=headers, timeout=30, **kw)
    return r, time.monotonic() - started


def test_stale_content_length_times_out_bodies_that_are_not_compact(lms):
    name = mount(lms, "observe", "stale-content-length")
    http, endpoint = lms.client(), lms.endpoint(name)
    spaced = statement()
    r, took = _post_raw(
        http, endpoint + "statements", json.dumps(spaced, ensure_ascii=False).encode()
    )
    assert r.status_code == 504, r.text
    assert "stale-content-length" in r.json()["error"]
    assert took >= STALE_WAIT_SECONDS
    assert get_one(http, endpoint, spaced["id"]).status_code == 404  # never reached the LRS
    # Compact but with non-ASCII escaped: JSON.stringify would send é as is, so lengths differ.
    escaped = statement()
    body = json.dumps(escaped, separators=(",", ":")).encode()
    r, _ = _post_raw(
        http, endpoint + "statements", body, "PUT", params={"statementId": escaped["id"]}
    )
    assert r.status_code == 504, r.text
    assert get_one(http, endpoint, escaped["id"]).status_code == 404


def test_stale_content_length_passes_compact_and_non_json_bodies_through(lms):
    name = mount(lms, "observe", "stale-content-length")
    http, endpoint = lms.client(), lms.endpoint(name)
    stmt = statement()
    r, took = _post_raw(http, endpoint + "statements", compact(stmt))
    assert r.status_code == 200 and r.json() == [stmt["id"]]
    assert took < STALE_WAIT_SECONDS
    assert get_one(http, endpoint, stmt["id"]).status_code == 200
    put = statement()
    r, _ = _post_raw(
        http, endpoint + "statements", compact(put), "PUT", params={"statementId": put["id"]}
    )
    assert r.status_code == 204
    # Judged normally: an invalid statement is still a 400, a body that is not JSON too.
    r, _ = _post_raw(http, endpoint + "statements", compact({"actor": stmt["actor"]}))
    assert r.status_code == 400 and r.json()["violations"]
    r, took = _post_raw(http, endpoint + "statements", b"{not json")
    assert r.status_code == 400 and took < STALE_WAIT_SECONDS


def test_spaced_json_is_stored_without_the_stale_content_length_quirk(lms):
    name = mount(lms, "observe")
    http, endpoint = lms.client(), lms.endpoint(name)
    stmt = statement()
    r, _ = _post_raw(http, endpoint + "statements", json.dumps(stmt, indent=2).encode())
    assert r.status_code == 200 and r.json() == [stmt["id"]]


# --- cmi5-errors-in-message --------------------------------------------------------------------


def _refused_statement(lms: FakeLMS, name: str) -> requests.Response:
    """A statement sent with the session's token before initialized: a cmi5 refusal."""
    au = AU(launch(lms, name)["launch_url"])
    au.start()
    return au.send(au.statement("completed", moveon=True))


def test_cmi5_errors_in_message_answers_refusals_in_another_lms_shape(lms):
    r = _refused_statement(lms, mount(lms, "enforce", "cmi5-errors-in-message"))
    assert r.status_code == 403, r.text
    body = r.json()
    assert set(body) == {"statusCode", "error", "message", "violatedReqId"}
    assert body["statusCode"] == 403 and body["error"] == "Forbidden"
    assert body["violatedReqId"] and body["message"].startswith(f"{body['violatedReqId']} - ")
    # With 401 for 403 as well, the shape follows the status.
    r = _refused_statement(lms, mount(lms, "enforce", "cmi5-errors-in-message", "401-for-403"))
    assert r.status_code == 401
    assert r.json()["statusCode"] == 401 and r.json()["error"] == "Unauthorized"


def test_cmi5_errors_in_message_leaves_other_errors_alone(lms):
    name = mount(lms, "enforce", "cmi5-errors-in-message")
    au = AU(launch(lms, name)["launch_url"])
    au.start()
    r = au.send({"actor": au.actor})  # invalid xAPI: 400, our own shape
    assert r.status_code == 400
    assert "violations" in r.json() and "statusCode" not in r.json()


def test_cmi5_refusals_carry_our_fields_without_the_quirk(lms):
    r = _refused_statement(lms, mount(lms, "enforce"))
    assert r.status_code == 403
    body = r.json()
    assert body["requirement"] and body["violations"] and body["section"]
    assert "statusCode" not in body and "violatedReqId" not in body


# --- relaunch-abandons -------------------------------------------------------------------------


def _started(launched: dict[str, Any]) -> AU:
    au = AU(launched["launch_url"])
    au.start()
    return au


def test_relaunch_abandons_reuses_the_registration_and_ends_the_first_session(lms):
    name = mount(lms, "enforce", "relaunch-abandons")
    first = launch(lms, name)
    au = _started(first)
    assert au.initialized().status_code == 200
    second = launch(lms, name)  # the same body: the same default learner
    assert second["actor"] == first["actor"]
    assert second["registration"] == first["registration"]
    assert second["abandoned_sessions"] == [first["session_id"]]
    r = au.completed()
    assert r.status_code == 403, r.text
    assert r.json()["requirement"] == "8.1.2.0-2" and "abandoned" in r.json()["error"]
    verbs = [
        row["statement"]["verb"]["id"].rsplit("/", 1)[-1]
        for row in lms.admin("GET", f"registrations/{first['registration']}/statements").json()
    ]
    assert "abandoned" in verbs
    # The new session works; a registration given explicitly is kept.
    assert _started(second).initialized().status_code == 200
    own = str(uuid.uuid4())
    third = launch(lms, name, registration=own)
    assert third["registration"] == own and third["abandoned_sessions"] == []
    # Another learner gets a registration of their own.
    other = {"objectType": "Agent", "account": {"homePage": "https://x.example", "name": "b"}}
    assert launch(lms, name, actor=other)["registration"] not in (own, first["registration"])


def test_each_launch_has_its_own_registration_without_relaunch_abandons(lms):
    name = mount(lms, "enforce")
    first = launch(lms, name)
    au = _started(first)
    assert au.initialized().status_code == 200
    second = launch(lms, name)
    assert second["actor"] == first["actor"]
    assert second["registration"] != first["registration"]
    assert second["abandoned_sessions"] == []
    assert au.completed().status_code == 200


# --- eventual-read -----------------------------------------------------------------------------


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_eventual_read_hides_statements_until_the_delay_has_passed(lms):
    name = mount(lms, "observe", "eventual-read")
    http, endpoint = lms.client(), lms.endpoint(name)
    posted, put = statement(), statement()
    r = http.post(endpoint + "statements", json=posted, timeout=10)
    assert r.status_code == 200 and r.json() == [posted["id"]]
    r = http.put(endpoint + "statements", params={"statementId": put["id"]}, json=put, timeout=10)
    assert r.status_code == 204
    early = get_one(http, endpoint, posted["id"])
    assert early.status_code == 404
    listed = http.get(endpoint + "statements", timeout=10)
    assert posted["id"] not in [s["id"] for s in listed.json()["statements"]]
    through = _time(listed.headers["X-Experience-API-Consistent-Through"])
    time.sleep(EVENTUAL_DELAY_SECONDS + 0.1)
    late = get_one(http, endpoint, posted["id"])
    assert late.status_code == 200
    assert through < _time(late.json()["stored"])  # the header named a time before it
    assert {posted["id"], put["id"]} <= set(listed_ids(http, endpoint))


def test_statements_are_readable_at_once_without_eventual_read(lms):
    name = mount(lms, "observe")
    http, endpoint = lms.client(), lms.endpoint(name)
    stmt = statement()
    assert http.post(endpoint + "statements", json=stmt, timeout=10).status_code == 200
    r = get_one(http, endpoint, stmt["id"])
    assert r.status_code == 200
    assert _time(r.headers["X-Experience-API-Consistent-Through"]) >= _time(r.json()["stored"])
    assert stmt["id"] in listed_ids(http, endpoint)


# --- statement-as-list -------------------------------------------------------------------------


def _stored_and_voided(http: requests.Session, endpoint: str) -> tuple[str, str]:
    kept, voided = statement(), statement()
    voiding = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": voided["id"]},
    )
    r = http.post(endpoint + "statements", json=[kept, voided], timeout=10)
    assert r.status_code == 200, r.text
    assert http.post(endpoint + "statements", json=voiding, timeout=10).status_code == 200
    return kept["id"], voided["id"]


def test_statement_as_list_answers_a_single_statement_in_an_array(lms):
    name = mount(lms, "observe", "statement-as-list")
    http, endpoint = lms.client(), lms.endpoint(name)
    kept, voided = _stored_and_voided(http, endpoint)
    r = get_one(http, endpoint, kept)
    assert r.status_code == 200 and isinstance(r.json(), list)
    assert [s["id"] for s in r.json()] == [kept]
    r = get_one(http, endpoint, voided, "voidedStatementId")
    assert r.status_code == 200 and [s["id"] for s in r.json()] == [voided]
    assert kept in listed_ids(http, endpoint)  # lists unchanged: a StatementResult


def test_single_statement_is_an_object_without_statement_as_list(lms):
    name = mount(lms, "observe")
    http, endpoint = lms.client(), lms.endpoint(name)
    kept, voided = _stored_and_voided(http, endpoint)
    assert get_one(http, endpoint, kept).json()["id"] == kept
    assert get_one(http, endpoint, voided, "voidedStatementId").json()["id"] == voided


# --- ok-without-ids ----------------------------------------------------------------------------


def test_ok_without_ids_acknowledges_writes_it_does_not_store(lms):
    name = mount(lms, "observe", "ok-without-ids")
    http, endpoint = lms.client(), lms.endpoint(name)
    posted, put = statement(), statement()
    r = http.post(endpoint + "statements", json=posted, timeout=10)
    assert r.status_code == 200 and r.json() == {"success": True}
    r = http.put(endpoint + "statements", params={"statementId": put["id"]}, json=put, timeout=10)
    assert r.status_code == 204
    for statement_id in (posted["id"], put["id"]):
        assert get_one(http, endpoint, statement_id).status_code == 404
    assert listed_ids(http, endpoint) == []


def test_writes_answer_ids_and_are_stored_without_ok_without_ids(lms):
    name = mount(lms, "observe")
    http, endpoint = lms.client(), lms.endpoint(name)
    posted = statement()
    r = http.post(endpoint + "statements", json=posted, timeout=10)
    assert r.status_code == 200 and r.json() == [posted["id"]]
    assert get_one(http, endpoint, posted["id"]).status_code == 200


# --- the catalogue -----------------------------------------------------------------------------


def test_quirks_command_lists_the_field_quirks(capsys):
    assert main(["quirks", "--json"]) == 0
    listed = {q["name"]: q for q in json.loads(capsys.readouterr().out)}
    for name in FIELD_QUIRKS:
        assert listed[name]["description"] and listed[name]["source"], name


def test_serve_refuses_an_unknown_quirk_near_a_field_quirk(lms):
    r = lms.admin("POST", "mounts", json={"name": "typo", "quirks": ["ok-without-id"]})
    assert r.status_code == 400 and "ok-without-ids" in r.text
