"""The Document Resources over HTTP: State, Agent Profile, Activity Profile (xAPI-C §2.2-§2.7, §3.1)."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from fake_lms.live import FakeLMS

ACTIVITY = "http://www.example.com/activityId/hashset"
OTHER_ACTIVITY = "http://www.example.com/activityId/other"
AGENT = {
    "objectType": "Agent",
    "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"},
}
OTHER_AGENT = {"mbox": "mailto:someone@example.com"}
REGISTRATION = "760e3480-ba55-4991-94b0-01820dbd23a2"
OTHER_REGISTRATION = "5a2f4b8c-1d3e-4f6a-9b7c-8d9e0f1a2b3c"

STATE = "activities/state"
AGENT_PROFILE = "agents/profile"
ACTIVITY_PROFILE = "activities/profile"


# --- helpers -------------------------------------------------------------------------------------
#
# One server for the module and a fresh LRS mount per test: documents and journals are kept per
# mount, so every test starts from an empty store.


@pytest.fixture(scope="module")
def server(module_lms: FakeLMS) -> FakeLMS:
    return module_lms


@dataclass
class Env:
    """The module's server seen through one test's own mount."""

    server: FakeLMS
    mount: str

    def endpoint(self, mount: str | None = None) -> str:
        return self.server.endpoint(mount or self.mount)

    def client(self, **kwargs: Any) -> requests.Session:
        return self.server.client(**kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.server.admin(method, path, **kwargs)

    @property
    def api_key(self) -> tuple[str, str]:
        return self.server.api_key

    @property
    def db_path(self) -> Path:
        return self.server.db_path


@pytest.fixture
def lms(server: FakeLMS) -> Env:
    mount = "doc-" + uuid.uuid4().hex[:12]
    created = server.admin("POST", "mounts", json={"name": mount})
    assert created.status_code == 201, created.text
    return Env(server, mount)


@pytest.fixture
def client(lms: Env) -> requests.Session:
    return lms.client()


def url(lms: Env, resource: str) -> str:
    return lms.endpoint() + resource


def state_params(state_id: str | None = "bookmark", **extra: Any) -> dict[str, str]:
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}
    if state_id is not None:
        params["stateId"] = state_id
    params.update(extra)
    return params


def profile_params(resource: str, profile_id: str | None = "prefs", **extra: Any) -> dict[str, str]:
    params = {"agent": json.dumps(AGENT)} if resource == AGENT_PROFILE else {"activityId": ACTIVITY}
    if profile_id is not None:
        params["profileId"] = profile_id
    params.update(extra)
    return params


def sha1_tag(content: bytes) -> str:
    return '"' + hashlib.sha1(content).hexdigest() + '"'


def iso(us: int) -> str:
    when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def updated_us(lms: Env, doc_id: str) -> int:
    with sqlite3.connect(lms.db_path) as conn:
        (value,) = conn.execute(
            "SELECT updated_us FROM documents WHERE mount = ? AND doc_id = ?", (lms.mount, doc_id)
        ).fetchone()
    return value


def put_state(client: requests.Session, lms: Env, doc: Any, **params: Any) -> requests.Response:
    return client.put(url(lms, STATE), params=state_params(**params), json=doc)


def error(resp: requests.Response) -> dict[str, Any]:
    body = resp.json()
    assert body["status"] == resp.status_code
    return body


# --- State: single document ----------------------------------------------------------------------


def test_state_put_returns_204_with_etag_and_get_returns_the_document(lms, client):
    doc = {"location": "page-3", "score": 7}
    put = put_state(client, lms, doc)
    assert put.status_code == 204
    assert put.content == b""

    got = client.get(url(lms, STATE), params=state_params())
    assert got.status_code == 200
    assert got.json() == doc
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["ETag"] == sha1_tag(got.content) == put.headers["ETag"]
    modified = parsedate_to_datetime(got.headers["Last-Modified"])
    assert abs((datetime.now(UTC) - modified).total_seconds()) < 5
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


def test_state_get_of_an_absent_document_is_404(lms, client):
    resp = client.get(url(lms, STATE), params=state_params("never-stored"))
    assert resp.status_code == 404
    assert error(resp)["section"].startswith("xAPI-C §2.3")


def test_state_put_replaces_an_existing_document_without_headers_in_1_0_3(lms, client):
    assert put_state(client, lms, {"a": 1}).status_code == 204
    assert put_state(client, lms, {"b": 2}).status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).json() == {"b": 2}


def test_state_put_without_headers_onto_an_existing_document_is_409_in_2_0_0(lms):
    client = lms.client(version="2.0.0")
    assert put_state(client, lms, {"a": 1}).status_code == 204  # absent: no header needed
    resp = put_state(client, lms, {"b": 2})
    assert resp.status_code == 409
    assert "If-Match" in error(resp)["error"]
    assert resp.headers["X-Experience-API-Version"] == "2.0.0"
    assert client.get(url(lms, STATE), params=state_params()).json() == {"a": 1}
    etag = client.get(url(lms, STATE), params=state_params()).headers["ETag"]
    resp = client.put(
        url(lms, STATE), params=state_params(), json={"b": 2}, headers={"If-Match": etag}
    )
    assert resp.status_code == 204


def test_state_post_stores_a_new_document_as_is(lms, client):
    doc = {"name": "x", "location": {"name": "y"}}
    resp = client.post(url(lms, STATE), params=state_params(), json=doc)
    assert resp.status_code == 204
    assert resp.headers["ETag"].startswith('"')
    assert client.get(url(lms, STATE), params=state_params()).json() == doc


def test_state_post_merges_top_level_properties_one_level_deep(lms, client):
    first = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale", "keep": True}
    second = {"car": {"make": "Dodge"}, "driver": "Jeff", "new": [1, 2]}
    assert client.post(url(lms, STATE), params=state_params(), json=first).status_code == 204
    merged = client.post(url(lms, STATE), params=state_params(), json=second)
    assert merged.status_code == 204
    got = client.get(url(lms, STATE), params=state_params())
    assert got.json() == {"car": {"make": "Dodge"}, "driver": "Jeff", "keep": True, "new": [1, 2]}
    assert got.headers["ETag"] == merged.headers["ETag"] == sha1_tag(got.content)


def test_state_post_of_a_non_json_document_onto_a_json_document_is_400_and_changes_nothing(
    lms, client
):
    assert put_state(client, lms, {"car": "MKX"}).status_code == 204
    resp = client.post(
        url(lms, STATE),
        params=state_params(),
        data=b"abcdefg",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert resp.status_code == 400
    assert error(resp)["section"].startswith("xAPI-C §2.2")
    assert client.get(url(lms, STATE), params=state_params()).json() == {"car": "MKX"}


def test_state_post_of_json_onto_a_non_json_document_is_400_and_changes_nothing(lms, client):
    stored = b"/ asdf / undefined"
    resp = client.put(
        url(lms, STATE),
        params=state_params(),
        data=stored,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert resp.status_code == 204
    resp = client.post(url(lms, STATE), params=state_params(), json={"car": "Honda"})
    assert resp.status_code == 400
    assert "application/octet-stream" in error(resp)["error"]
    assert client.get(url(lms, STATE), params=state_params()).content == stored


def test_state_post_of_a_json_array_onto_a_json_object_is_400(lms, client):
    assert put_state(client, lms, {"car": "Honda"}).status_code == 204
    resp = client.post(url(lms, STATE), params=state_params(), json=[1, 2])
    assert resp.status_code == 400
    assert "array" in error(resp)["error"]


def test_state_post_onto_a_stored_json_scalar_is_400(lms, client):
    assert put_state(client, lms, 42).status_code == 204
    resp = client.post(url(lms, STATE), params=state_params(), json={"a": 1})
    assert resp.status_code == 400
    assert client.get(url(lms, STATE), params=state_params()).json() == 42


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_state_body_claiming_json_that_does_not_parse_is_400(lms, client, method):
    body = json.dumps({"a": 1}) + "{"
    resp = client.request(
        method,
        url(lms, STATE),
        params=state_params(),
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "body"
    assert client.get(url(lms, STATE), params=state_params()).status_code == 404


@pytest.mark.parametrize("body", [b"1", b"true"])
def test_state_post_accepts_any_document_content(lms, client, body):
    # LRS-TS posts these as bare strings (superagent sends them form-encoded).
    resp = client.post(
        url(lms, STATE),
        params=state_params(),
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 204
    got = client.get(url(lms, STATE), params=state_params())
    assert got.content == body
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_binary_document_round_trips_byte_exact_with_its_content_type(lms, client):
    blob = bytes(range(256)) * 8 + b"\x00\xff\r\n"
    resp = client.put(
        url(lms, STATE), params=state_params(), data=blob, headers={"Content-Type": "image/png"}
    )
    assert resp.status_code == 204
    assert resp.headers["ETag"] == sha1_tag(blob)
    got = client.get(url(lms, STATE), params=state_params())
    assert got.content == blob
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["ETag"] == sha1_tag(blob)


def test_content_type_with_parameters_is_returned_verbatim(lms, client):
    text = "héllo wörld".encode()
    client.put(
        url(lms, STATE),
        params=state_params(),
        data=text,
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    got = client.get(url(lms, STATE), params=state_params())
    assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert got.content == text


def test_document_without_content_type_is_stored_as_octet_stream(lms, client):
    session = lms.client()
    req = requests.Request("PUT", url(lms, STATE), params=state_params(), data=b"raw")
    prepared = session.prepare_request(req)
    prepared.headers.pop("Content-Type", None)
    assert session.send(prepared).status_code == 204
    got = client.get(url(lms, STATE), params=state_params())
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.content == b"raw"


def test_state_json_content_with_charset_still_merges(lms, client):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    client.put(url(lms, STATE), params=state_params(), data=b'{"a":1}', headers=headers)
    resp = client.post(url(lms, STATE), params=state_params(), data=b'{"b":2}', headers=headers)
    assert resp.status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).json() == {"a": 1, "b": 2}


def test_state_registration_is_part_of_the_document_context(lms, client):
    assert put_state(client, lms, {"r": 1}, registration=REGISTRATION).status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).status_code == 404
    other = state_params(registration=OTHER_REGISTRATION)
    assert client.get(url(lms, STATE), params=other).status_code == 404
    mine = state_params(registration=REGISTRATION)
    assert client.get(url(lms, STATE), params=mine).json() == {"r": 1}
    upper = state_params(registration=REGISTRATION.upper())
    assert client.get(url(lms, STATE), params=upper).json() == {"r": 1}


def test_state_documents_are_scoped_by_agent_and_activity(lms, client):
    put_state(client, lms, {"who": "rick"})
    other_agent = state_params(agent=json.dumps(OTHER_AGENT))
    other_activity = state_params(activityId=OTHER_ACTIVITY)
    assert client.get(url(lms, STATE), params=other_agent).status_code == 404
    assert client.get(url(lms, STATE), params=other_activity).status_code == 404
    # The same agent written differently (name added, objectType dropped) is the same agent.
    same = {"account": AGENT["account"], "name": "Rick"}
    resp = client.get(url(lms, STATE), params=state_params(agent=json.dumps(same)))
    assert resp.json() == {"who": "rick"}


def test_documents_are_scoped_by_mount(lms, client):
    put_state(client, lms, {"m": "default"})
    other = lms.mount + "-other"
    created = lms.admin("POST", "mounts", json={"name": other})
    assert created.status_code == 201, created.text
    resp = client.get(lms.endpoint(other) + STATE, params=state_params())
    assert resp.status_code == 404


# --- State: multiple documents -------------------------------------------------------------------


def test_state_get_without_state_id_returns_the_array_of_ids(lms, client):
    for state_id in ("b", "a", "c"):
        put_state(client, lms, {"id": state_id}, state_id=state_id)
    put_state(client, lms, {}, state_id="elsewhere", activityId=OTHER_ACTIVITY)
    resp = client.get(url(lms, STATE), params=state_params(None))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.json() == ["a", "b", "c"]
    assert resp.headers["ETag"] == sha1_tag(resp.content)
    assert "Last-Modified" in resp.headers


def test_state_id_list_is_empty_for_an_unknown_context(lms, client):
    resp = client.get(url(lms, STATE), params=state_params(None))
    assert resp.status_code == 200
    assert resp.json() == []
    assert "Last-Modified" not in resp.headers


def test_state_id_list_filters_by_since_exclusively(lms, client):
    put_state(client, lms, {}, state_id="old")
    time.sleep(0.01)
    put_state(client, lms, {}, state_id="new")
    old_us, new_us = updated_us(lms, "old"), updated_us(lms, "new")
    assert old_us < new_us

    def ids(since: str) -> list[str]:
        resp = client.get(url(lms, STATE), params=state_params(None, since=since))
        assert resp.status_code == 200
        return resp.json()

    assert ids(iso(old_us - 1)) == ["new", "old"]
    assert ids(iso(old_us)) == ["new"]  # exclusive
    assert ids(iso(new_us)) == []
    plus_two = timezone(timedelta(hours=2))
    with_offset = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=old_us)).astimezone(
        plus_two
    )
    assert ids(with_offset.isoformat(timespec="microseconds")) == ["new"]


def test_state_update_moves_a_document_past_since(lms, client):
    put_state(client, lms, {"v": 1}, state_id="s")
    first = updated_us(lms, "s")
    time.sleep(0.01)
    client.post(url(lms, STATE), params=state_params("s"), json={"v": 2})
    resp = client.get(url(lms, STATE), params=state_params(None, since=iso(first)))
    assert resp.json() == ["s"]


def test_state_id_list_without_registration_covers_every_registration(lms, client):
    put_state(client, lms, {}, state_id="none")
    put_state(client, lms, {}, state_id="mine", registration=REGISTRATION)
    put_state(client, lms, {}, state_id="theirs", registration=OTHER_REGISTRATION)
    everything = client.get(url(lms, STATE), params=state_params(None))
    assert everything.json() == ["mine", "none", "theirs"]
    mine = client.get(url(lms, STATE), params=state_params(None, registration=REGISTRATION))
    assert mine.json() == ["mine"]


def test_state_get_with_state_id_accepts_since_as_lrs_ts_sends_it(lms, client):
    put_state(client, lms, {"x": 1})
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    resp = client.get(url(lms, STATE), params=state_params(since=since))
    assert resp.status_code == 200
    assert resp.json() == {"x": 1}


@pytest.mark.parametrize("state_id", [None, "bookmark"])
def test_state_get_with_a_malformed_since_is_400(lms, client, state_id):
    resp = client.get(url(lms, STATE), params=state_params(state_id, since="not a timestamp"))
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "query:since"


def test_state_delete_of_one_document_is_204_and_removes_it(lms, client):
    put_state(client, lms, {"x": 1})
    put_state(client, lms, {"y": 1}, state_id="keep")
    resp = client.delete(url(lms, STATE), params=state_params())
    assert resp.status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).status_code == 404
    assert client.get(url(lms, STATE), params=state_params("keep")).status_code == 200


def test_state_delete_of_an_absent_document_is_204(lms, client):
    assert client.delete(url(lms, STATE), params=state_params("ghost")).status_code == 204


def test_state_delete_without_state_id_deletes_every_document_in_the_context(lms, client):
    put_state(client, lms, {}, state_id="a")
    put_state(client, lms, {}, state_id="b", registration=REGISTRATION)
    put_state(client, lms, {}, state_id="c", activityId=OTHER_ACTIVITY)
    put_state(client, lms, {}, state_id="d", agent=json.dumps(OTHER_AGENT))
    resp = client.delete(url(lms, STATE), params=state_params(None))
    assert resp.status_code == 204
    assert client.get(url(lms, STATE), params=state_params(None)).json() == []
    other_activity = state_params(None, activityId=OTHER_ACTIVITY)
    assert client.get(url(lms, STATE), params=other_activity).json() == ["c"]
    other_agent = state_params(None, agent=json.dumps(OTHER_AGENT))
    assert client.get(url(lms, STATE), params=other_agent).json() == ["d"]


def test_state_delete_without_state_id_but_with_registration_keeps_other_registrations(lms, client):
    put_state(client, lms, {}, state_id="a")
    put_state(client, lms, {}, state_id="b", registration=REGISTRATION)
    put_state(client, lms, {}, state_id="c", registration=OTHER_REGISTRATION)
    resp = client.delete(url(lms, STATE), params=state_params(None, registration=REGISTRATION))
    assert resp.status_code == 204
    assert client.get(url(lms, STATE), params=state_params(None)).json() == ["a", "c"]


# --- State: parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("missing", ["activityId", "agent"])
def test_state_request_without_a_required_parameter_is_400(lms, client, method, missing):
    params = state_params()
    del params[missing]
    resp = client.request(method, url(lms, STATE), params=params, json={"a": 1})
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == f"query:{missing}"


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_state_write_without_state_id_is_400(lms, client, method):
    resp = client.request(method, url(lms, STATE), params=state_params(None), json={"a": 1})
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "query:stateId"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_state_request_with_an_unknown_parameter_is_400(lms, client, method):
    resp = client.request(
        method, url(lms, STATE), params=state_params(profileId="x"), json={"a": 1}
    )
    assert resp.status_code == 400
    assert "XAPI-00324" in error(resp)["section"]


def test_state_request_with_a_case_variant_parameter_is_400(lms, client):
    params = state_params(None, StateId="bookmark")
    resp = client.get(url(lms, STATE), params=params)
    assert resp.status_code == 400
    assert "XAPI-00325" in error(resp)["section"]


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_since_is_only_a_get_parameter(lms, client, method):
    resp = client.request(
        method, url(lms, STATE), params=state_params(since="2024-01-01T00:00:00Z"), json={}
    )
    assert resp.status_code == 400


@pytest.mark.parametrize(
    "agent",
    [
        "not JSON",
        "1",
        "true",
        json.dumps({"key": "value"}),
        json.dumps({"objectType": "Agent"}),
        json.dumps({"mbox": "someone@example.com"}),
    ],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_state_with_an_invalid_agent_is_400(lms, client, agent, method):
    resp = client.request(method, url(lms, STATE), params=state_params(agent=agent), json={})
    assert resp.status_code == 400


def test_state_with_a_group_as_agent_is_400(lms, client):
    group = {
        "objectType": "Group",
        "mbox": "mailto:team@example.com",
        "member": [{"mbox": "mailto:a@example.com"}],
    }
    resp = put_state(client, lms, {}, agent=json.dumps(group))
    assert resp.status_code == 400
    assert "agent" in error(resp)["violations"][0]["path"]


@pytest.mark.parametrize("activity_id", ["1", "true", "not an iri", json.dumps({"key": "v"})])
@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_state_with_an_activity_id_that_is_not_an_iri_is_400(lms, client, activity_id, method):
    resp = client.request(
        method, url(lms, STATE), params=state_params(activityId=activity_id), json={}
    )
    assert resp.status_code == 400


@pytest.mark.parametrize("registration", ["1", "true", "not UUID"])
@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_state_with_a_registration_that_is_not_a_uuid_is_400(lms, client, registration, method):
    params = state_params(registration=registration)
    resp = client.request(method, url(lms, STATE), params=params, json={})
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "query:registration"


def test_state_with_an_empty_state_id_is_400(lms, client):
    assert put_state(client, lms, {}, state_id="").status_code == 400


def test_a_parameter_given_twice_is_400(lms, client):
    query = "activityId=" + ACTIVITY + "&activityId=" + OTHER_ACTIVITY
    resp = client.get(url(lms, STATE) + "?" + query, params={"agent": json.dumps(AGENT)})
    assert resp.status_code == 400


# --- concurrency (ETag, If-Match, If-None-Match) -------------------------------------------------


def test_put_with_a_matching_if_match_replaces_the_document(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    resp = client.put(
        url(lms, STATE), params=state_params(), json={"v": 2}, headers={"If-Match": etag}
    )
    assert resp.status_code == 204
    assert resp.headers["ETag"] != etag
    assert client.get(url(lms, STATE), params=state_params()).json() == {"v": 2}


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_write_with_a_stale_if_match_is_412_and_changes_nothing(lms, client, method):
    put_state(client, lms, {"v": 1})
    stale = '"1111111111111111111111111111111111111111"'
    resp = client.request(
        method, url(lms, STATE), params=state_params(), json={"v": 2}, headers={"If-Match": stale}
    )
    assert resp.status_code == 412
    assert error(resp)["section"] == "xAPI-C §3.1 (concurrency)"
    assert resp.headers["ETag"] == sha1_tag(b'{"v": 1}')
    assert client.get(url(lms, STATE), params=state_params()).json() == {"v": 1}


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_if_match_on_an_absent_document_is_412(lms, client, method):
    resp = client.request(
        method, url(lms, STATE), params=state_params(), json={"v": 1}, headers={"If-Match": "*"}
    )
    assert resp.status_code == 412
    assert client.get(url(lms, STATE), params=state_params()).status_code == 404


def test_if_match_star_matches_any_existing_document(lms, client):
    put_state(client, lms, {"v": 1})
    resp = client.put(
        url(lms, STATE), params=state_params(), json={"v": 2}, headers={"If-Match": "*"}
    )
    assert resp.status_code == 204


def test_if_match_with_one_of_several_tags_matching_passes(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    header = f'"deadbeef", {etag}'
    resp = client.put(
        url(lms, STATE), params=state_params(), json={"v": 2}, headers={"If-Match": header}
    )
    assert resp.status_code == 204


def test_unquoted_etag_in_if_match_does_not_match(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    resp = client.put(
        url(lms, STATE),
        params=state_params(),
        json={"v": 2},
        headers={"If-Match": etag.strip('"')},
    )
    assert resp.status_code == 412
    assert "quoted" in error(resp)["error"]


def test_weak_tag_never_satisfies_if_match(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    resp = client.put(
        url(lms, STATE), params=state_params(), json={"v": 2}, headers={"If-Match": "W/" + etag}
    )
    assert resp.status_code == 412


def test_if_none_match_star_creates_then_refuses_once_the_document_exists(lms, client):
    headers = {"If-None-Match": "*"}
    first = client.put(url(lms, STATE), params=state_params(), json={"v": 1}, headers=headers)
    assert first.status_code == 204
    second = client.put(url(lms, STATE), params=state_params(), json={"v": 2}, headers=headers)
    assert second.status_code == 412
    assert client.get(url(lms, STATE), params=state_params()).json() == {"v": 1}


def test_if_none_match_with_the_current_tag_is_412_even_when_weak(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    for tag in (etag, "W/" + etag):
        resp = client.put(
            url(lms, STATE), params=state_params(), json={"v": 2}, headers={"If-None-Match": tag}
        )
        assert resp.status_code == 412
    other = client.put(
        url(lms, STATE), params=state_params(), json={"v": 2}, headers={"If-None-Match": '"x"'}
    )
    assert other.status_code == 204


def test_post_with_if_none_match_star_onto_an_existing_document_is_412(lms, client):
    put_state(client, lms, {"v": 1})
    resp = client.post(
        url(lms, STATE), params=state_params(), json={"w": 2}, headers={"If-None-Match": "*"}
    )
    assert resp.status_code == 412
    assert client.get(url(lms, STATE), params=state_params()).json() == {"v": 1}


def test_post_merge_with_a_matching_if_match_is_204(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    resp = client.post(
        url(lms, STATE), params=state_params(), json={"w": 2}, headers={"If-Match": etag}
    )
    assert resp.status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).json() == {"v": 1, "w": 2}


def test_delete_with_a_matching_if_match_deletes(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    resp = client.delete(url(lms, STATE), params=state_params(), headers={"If-Match": etag})
    assert resp.status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).status_code == 404


def test_an_empty_if_match_is_400(lms, client):
    put_state(client, lms, {"v": 1})
    # requests refuses to send a blank header; the alternate syntax carries it as a form field.
    resp = alternate(lms, STATE, "PUT", {**state_params(), "If-Match": "", "content": "{}"})
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "header:If-Match"


def test_etag_follows_the_content(lms, client):
    a = put_state(client, lms, {"v": 1}).headers["ETag"]
    b = put_state(client, lms, {"v": 1}).headers["ETag"]
    c = put_state(client, lms, {"v": 2}).headers["ETag"]
    assert a == b != c
    assert a == a.lower()
    assert len(a) == 42


# --- Agent Profile and Activity Profile ----------------------------------------------------------

PROFILES = [AGENT_PROFILE, ACTIVITY_PROFILE]


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_put_with_if_none_match_star_creates_and_get_returns_it(lms, client, resource):
    doc = {"language": "fr-FR"}
    resp = client.put(
        url(lms, resource),
        params=profile_params(resource),
        json=doc,
        headers={"If-None-Match": "*"},
    )
    assert resp.status_code == 204
    got = client.get(url(lms, resource), params=profile_params(resource))
    assert got.status_code == 200
    assert got.json() == doc
    assert got.headers["ETag"] == resp.headers["ETag"] == sha1_tag(got.content)
    assert "Last-Modified" in got.headers


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_put_without_precondition_onto_an_existing_document_is_409(lms, client, resource):
    params = profile_params(resource)
    client.post(url(lms, resource), params=params, json={"v": 1})
    resp = client.put(url(lms, resource), params=params, json={"v": 2})
    assert resp.status_code == 409
    body = error(resp)
    assert body["section"] == "xAPI-C §3.1 (concurrency)"
    assert "If-Match" in body["error"] and "ETag" in body["error"]
    assert client.get(url(lms, resource), params=params).json() == {"v": 1}


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_put_without_precondition_onto_a_new_document_is_400(lms, client, resource):
    params = profile_params(resource)
    resp = client.put(url(lms, resource), params=params, json={"v": 1})
    assert resp.status_code == 400
    assert "If-None-Match" in error(resp)["error"]
    assert client.get(url(lms, resource), params=params).status_code == 404


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_put_with_the_current_etag_replaces(lms, client, resource):
    params = profile_params(resource)
    etag = client.post(url(lms, resource), params=params, json={"v": 1}).headers["ETag"]
    resp = client.put(url(lms, resource), params=params, json={"v": 2}, headers={"If-Match": etag})
    assert resp.status_code == 204
    stale = client.put(url(lms, resource), params=params, json={"v": 3}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url(lms, resource), params=params).json() == {"v": 2}


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_post_without_headers_merges_into_an_existing_document(lms, client, resource):
    params = profile_params(resource)
    assert client.post(url(lms, resource), params=params, json={"car": "Honda"}).status_code == 204
    assert client.post(url(lms, resource), params=params, json={"type": "Civic"}).status_code == 204
    assert client.get(url(lms, resource), params=params).json() == {
        "car": "Honda",
        "type": "Civic",
    }


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_post_of_non_json_onto_json_is_400(lms, client, resource):
    params = profile_params(resource)
    client.post(url(lms, resource), params=params, json={"car": "Honda"})
    resp = client.post(
        url(lms, resource), params=params, data=b"abcdefg", headers={"Content-Type": "not/json"}
    )
    assert resp.status_code == 400
    assert client.get(url(lms, resource), params=params).json() == {"car": "Honda"}


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_get_without_profile_id_lists_ids_filtered_by_since(lms, client, resource):
    client.post(url(lms, resource), params=profile_params(resource, "old"), json={})
    time.sleep(0.01)
    client.post(url(lms, resource), params=profile_params(resource, "new"), json={})
    listed = client.get(url(lms, resource), params=profile_params(resource, None))
    assert listed.status_code == 200
    assert listed.json() == ["new", "old"]
    since = iso(updated_us(lms, "old"))
    recent = client.get(url(lms, resource), params=profile_params(resource, None, since=since))
    assert recent.json() == ["new"]
    bad = client.get(url(lms, resource), params=profile_params(resource, None, since="true"))
    assert bad.status_code == 400


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_get_of_an_absent_document_is_404(lms, client, resource):
    resp = client.get(url(lms, resource), params=profile_params(resource, "ghost"))
    assert resp.status_code == 404


@pytest.mark.parametrize("resource", PROFILES)
def test_profile_delete_is_204_and_removes_the_document(lms, client, resource):
    params = profile_params(resource)
    client.post(url(lms, resource), params=params, json={"v": 1})
    assert client.delete(url(lms, resource), params=params).status_code == 204
    assert client.get(url(lms, resource), params=params).status_code == 404
    assert client.delete(url(lms, resource), params=params).status_code == 204


@pytest.mark.parametrize("resource", PROFILES)
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_profile_write_without_profile_id_is_400(lms, client, resource, method):
    resp = client.request(
        method,
        url(lms, resource),
        params=profile_params(resource, None),
        json={},
        headers={"If-None-Match": "*"},
    )
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "query:profileId"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_agent_profile_without_agent_is_400(lms, client, method):
    resp = client.request(
        method,
        url(lms, AGENT_PROFILE),
        params={"profileId": "p"},
        json={},
        headers={"If-None-Match": "*"},
    )
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "query:agent"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_activity_profile_without_activity_id_is_400(lms, client, method):
    resp = client.request(
        method,
        url(lms, ACTIVITY_PROFILE),
        params={"profileId": "p"},
        json={},
        headers={"If-None-Match": "*"},
    )
    assert resp.status_code == 400
    assert error(resp)["violations"][0]["path"] == "query:activityId"


def test_agent_profile_rejects_the_activity_parameters(lms, client):
    for extra in ({"activityId": ACTIVITY}, {"registration": REGISTRATION}, {"stateId": "s"}):
        resp = client.get(url(lms, AGENT_PROFILE), params=profile_params(AGENT_PROFILE, **extra))
        assert resp.status_code == 400


def test_activity_profile_rejects_an_agent_parameter(lms, client):
    params = profile_params(ACTIVITY_PROFILE, agent=json.dumps(AGENT))
    assert client.get(url(lms, ACTIVITY_PROFILE), params=params).status_code == 400


def test_agent_profile_with_a_group_is_400(lms, client):
    group = {"objectType": "Group", "mbox": "mailto:team@example.com"}
    params = profile_params(AGENT_PROFILE, agent=json.dumps(group))
    resp = client.put(
        url(lms, AGENT_PROFILE), params=params, json={}, headers={"If-None-Match": "*"}
    )
    assert resp.status_code == 400


def test_profiles_and_state_are_separate_stores(lms, client):
    client.post(
        url(lms, AGENT_PROFILE), params=profile_params(AGENT_PROFILE, "same"), json={"a": 1}
    )
    client.post(
        url(lms, ACTIVITY_PROFILE), params=profile_params(ACTIVITY_PROFILE, "same"), json={"b": 1}
    )
    put_state(client, lms, {"c": 1}, state_id="same")
    assert client.get(
        url(lms, AGENT_PROFILE), params=profile_params(AGENT_PROFILE, "same")
    ).json() == {"a": 1}
    assert client.get(
        url(lms, ACTIVITY_PROFILE), params=profile_params(ACTIVITY_PROFILE, "same")
    ).json() == {"b": 1}
    assert client.get(url(lms, STATE), params=state_params("same")).json() == {"c": 1}


def test_agent_profiles_are_kept_per_agent(lms, client):
    mine = profile_params(AGENT_PROFILE)
    theirs = profile_params(AGENT_PROFILE, agent=json.dumps(OTHER_AGENT))
    client.post(url(lms, AGENT_PROFILE), params=mine, json={"who": "me"})
    client.post(url(lms, AGENT_PROFILE), params=theirs, json={"who": "them"})
    assert client.get(url(lms, AGENT_PROFILE), params=mine).json() == {"who": "me"}
    assert client.get(url(lms, AGENT_PROFILE), params=theirs).json() == {"who": "them"}


def test_profile_put_without_precondition_is_409_in_2_0_0_too(lms):
    client = lms.client(version="2.0.0")
    params = profile_params(ACTIVITY_PROFILE)
    client.post(url(lms, ACTIVITY_PROFILE), params=params, json={"v": 1})
    resp = client.put(url(lms, ACTIVITY_PROFILE), params=params, json={"v": 2})
    assert resp.status_code == 409


# --- HEAD --------------------------------------------------------------------------------------


def test_head_of_a_document_gives_the_get_headers_without_a_body(lms, client):
    doc = {"x": "y" * 100}
    put_state(client, lms, doc)
    get = client.get(url(lms, STATE), params=state_params())
    head = client.head(url(lms, STATE), params=state_params())
    assert head.status_code == 200
    assert head.content == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Content-Length"):
        assert head.headers[name] == get.headers[name]


def test_head_of_an_absent_document_is_404(lms, client):
    assert client.head(url(lms, STATE), params=state_params("ghost")).status_code == 404


def test_head_of_an_id_list_is_200(lms, client):
    put_state(client, lms, {})
    resp = client.head(url(lms, AGENT_PROFILE), params=profile_params(AGENT_PROFILE, None))
    assert resp.status_code == 200
    assert resp.content == b""


# --- alternate request syntax (xAPI-C §1.3) ------------------------------------------------------


def alternate(lms: Env, resource: str, method: str, form: dict[str, str]) -> requests.Response:
    user, secret = lms.api_key
    fields = {
        "Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode(),
        "X-Experience-API-Version": "1.0.3",
        **form,
    }
    return requests.post(url(lms, resource), params={"method": method}, data=fields, timeout=10)


def test_alternate_syntax_put_stores_the_content_field(lms, client):
    doc = {"bookmark": "p7", "note": "ünïcode & = signs"}
    resp = alternate(
        lms,
        STATE,
        "PUT",
        {**state_params(), "Content-Type": "application/json", "content": json.dumps(doc)},
    )
    assert resp.status_code == 204, resp.text
    got = client.get(url(lms, STATE), params=state_params())
    assert got.json() == doc
    assert got.headers["Content-Type"] == "application/json"


def test_alternate_syntax_get_and_head_read_the_document(lms, client):
    etag = put_state(client, lms, {"v": 1}).headers["ETag"]
    got = alternate(lms, STATE, "GET", state_params())
    assert got.status_code == 200
    assert got.json() == {"v": 1}
    assert got.headers["ETag"] == etag
    head = alternate(lms, STATE, "HEAD", state_params())
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["ETag"] == etag
    ids = alternate(lms, STATE, "GET", state_params(None))
    assert ids.json() == ["bookmark"]


def test_alternate_syntax_post_merges(lms, client):
    put_state(client, lms, {"a": 1})
    resp = alternate(lms, STATE, "POST", {**state_params(), "content": json.dumps({"b": 2})})
    assert resp.status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).json() == {"a": 1, "b": 2}


def test_alternate_syntax_delete_removes_the_document(lms, client):
    put_state(client, lms, {"a": 1})
    assert alternate(lms, STATE, "DELETE", state_params()).status_code == 204
    assert client.get(url(lms, STATE), params=state_params()).status_code == 404


def test_alternate_syntax_carries_if_match_as_a_form_field(lms, client):
    params = profile_params(AGENT_PROFILE)
    etag = client.post(url(lms, AGENT_PROFILE), params=params, json={"v": 1}).headers["ETag"]
    stale = alternate(
        lms,
        AGENT_PROFILE,
        "PUT",
        {**params, "If-Match": '"0000"', "content": json.dumps({"v": 2})},
    )
    assert stale.status_code == 412
    fresh = alternate(
        lms, AGENT_PROFILE, "PUT", {**params, "If-Match": etag, "content": json.dumps({"v": 2})}
    )
    assert fresh.status_code == 204
    assert client.get(url(lms, AGENT_PROFILE), params=params).json() == {"v": 2}


def test_alternate_syntax_checks_parameters_like_a_normal_request(lms):
    resp = alternate(lms, STATE, "GET", state_params(None, bogus="1"))
    assert resp.status_code == 400


# --- version header, authentication, journal -----------------------------------------------------


@pytest.mark.parametrize("resource", [STATE, AGENT_PROFILE, ACTIVITY_PROFILE])
def test_a_request_without_the_version_header_is_400(lms, resource):
    client = lms.client(version=None)
    resp = client.get(url(lms, resource), params=profile_params(resource, None))
    assert resp.status_code == 400
    assert "X-Experience-API-Version" in error(resp)["error"]


@pytest.mark.parametrize("resource", [STATE, AGENT_PROFILE, ACTIVITY_PROFILE])
def test_a_request_without_credentials_is_401(lms, resource):
    client = lms.client(auth=None)
    resp = client.get(url(lms, resource), params=profile_params(resource, None))
    assert resp.status_code == 401


def test_a_request_with_wrong_credentials_is_401_and_stores_nothing(lms):
    client = lms.client(auth=("nobody", "wrong"))
    assert put_state(client, lms, {"v": 1}).status_code == 401
    assert lms.client().get(url(lms, STATE), params=state_params()).status_code == 404


def test_writes_are_journalled_with_verdicts(lms, client):
    put_state(client, lms, {"v": 1})
    client.post(url(lms, STATE), params=state_params(), json={"w": 2})
    client.delete(url(lms, STATE), params=state_params())
    client.put(url(lms, AGENT_PROFILE), params=profile_params(AGENT_PROFILE), json={})
    entries = lms.admin("GET", f"mounts/{lms.mount}/journal").json()["entries"]
    verdicts = [v for e in entries for v in e["verdicts"]]
    assert [v["verdict"] for v in verdicts[:3]] == ["stored", "merged", "deleted"]
    assert verdicts[0]["document"] == "state"
    assert verdicts[0]["id"] == "bookmark"
    assert verdicts[3]["verdict"] == "rejected"
    assert entries[-1]["status"] == 400
