"""Hostile input over real HTTP: deep nesting, huge batches, many violations, odd numbers.

Every JSON input of the fake LMS refuses nesting deeper than MAX_JSON_DEPTH with a 400 naming
the limit (never a 500 or a RecursionError), a batch beyond MAX_BATCH_STATEMENTS is a 413, a 400
lists at most MAX_REPORTED_VIOLATIONS violations, and no integer or header a client sends can
raise inside the server. Timings are the business of bench/hostile_bench.py, not of these tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
import urllib.parse
import uuid
from typing import Any

import pytest
import requests
from waitress.server import create_server

from fake_lms import LMSConfig
from fake_lms.app import create_app
from fake_lms.live import FakeLMS
from fake_lms.xapi.limits import (
    MAX_BATCH_STATEMENTS,
    MAX_JSON_DEPTH,
    MAX_REPORTED_VIOLATIONS,
)
from fake_lms.xapi.validation import ValidationAbandoned, check_batch
from tests.factories import statement

EXTENSION = "https://weare.example.com/ext/deep"
AGENT = {"mbox": "mailto:deep@example.com"}
ACTIVITY = "https://weare.example.com/stories/42"


@pytest.fixture(scope="module")
def lms(module_lms: FakeLMS) -> FakeLMS:
    return module_lms


# --- building nested JSON ----------------------------------------------------------------------


def nesting(text: str) -> int:
    """Depth of a JSON text whose strings hold no brackets (true of everything built here)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def deep_text(levels: int, shape: str) -> str:
    """`levels` arrays ([[[...]]]) or objects ({"a":{"a":...}}) inside each other, as text."""
    if shape == "array":
        return "[" * levels + "]" * levels
    return '{"a":' * levels + "1" + "}" * levels


def deep_statement(total: int) -> str:
    """A valid statement whose extension value nests so the whole document is `total` deep."""
    stmt = statement()
    stmt["context"]["extensions"][EXTENSION] = "HOLE"
    text = json.dumps(stmt)
    inner = total - 3  # statement, context, extensions
    text = text.replace('"HOLE"', deep_text(inner, "array"))
    assert nesting(text) == total
    return text


def deep_agent(total: int) -> str:
    """The agent parameter with an account whose name is replaced by nested arrays."""
    agent = {"objectType": "Agent", "account": {"homePage": "https://x.example", "name": "HOLE"}}
    return json.dumps(agent).replace('"HOLE"', deep_text(total - 2, "array"))


def assert_depth_refused(r: requests.Response, where: str = "") -> None:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    body = r.json()
    assert f"deeper than {MAX_JSON_DEPTH} levels" in body["error"], body
    assert body["section"].startswith(
        "weare-harness limits (docs/limits.md): JSON nesting depth"
    ), body
    assert where in body["violations"][0]["path"], body


def post_json(lms: FakeLMS, path: str, text: str, **kw: Any) -> requests.Response:
    headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
    return lms.client().post(lms.endpoint() + path, data=text.encode(), headers=headers, **kw)


# --- defect 1: nesting depth ---------------------------------------------------------------------


def test_depth_limit_statement_reads_back_in_every_format_single_list_and_more(lms):
    text = deep_statement(MAX_JSON_DEPTH)
    sid = json.loads(text)["id"]
    c = lms.client()
    url = lms.endpoint() + "statements"
    r = c.put(
        url, params={"statementId": sid}, data=text, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 204, r.text
    r = post_json(lms, "statements", deep_statement(MAX_JSON_DEPTH))
    assert r.status_code == 200, r.text
    sent = json.loads(text)["context"]["extensions"][EXTENSION]
    for fmt in ("exact", "ids", "canonical"):
        one = c.get(url, params={"statementId": sid, "format": fmt})
        assert one.status_code == 200, (fmt, one.text[:200])
        assert one.json()["context"]["extensions"][EXTENSION] == sent
        page = c.get(url, params={"limit": 1, "format": fmt, "ascending": "true"})
        assert page.status_code == 200, (fmt, page.text[:200])
        assert page.json()["more"], "two statements with limit=1 leave a more link"
        more = c.get(lms.base_url + page.json()["more"])
        assert more.status_code == 200, (fmt, more.text[:200])
        assert more.json()["statements"], fmt


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_one_level_past_the_limit_is_refused_naming_limit_and_path(lms, method):
    text = deep_statement(MAX_JSON_DEPTH + 1)
    sid = json.loads(text)["id"]
    r = lms.client().request(
        method,
        lms.endpoint() + "statements",
        params={"statementId": sid} if method == "PUT" else None,
        data=text,
        headers={"Content-Type": "application/json"},
    )
    assert_depth_refused(r, f'$.context.extensions["{EXTENSION}"][0]')
    assert (
        lms.client().get(lms.endpoint() + "statements", params={"statementId": sid}).status_code
        == 404
    )


def _multipart(first: str) -> tuple[bytes, str]:
    body = f"--b0\r\nContent-Type: application/json\r\n\r\n{first}\r\n--b0--\r\n".encode()
    return body, "multipart/mixed; boundary=b0"


def _form(lms: FakeLMS, path: str, method: str, fields: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{lms.endpoint()}{path}?method={method}",
        data=urllib.parse.urlencode(fields),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(":".join(lms.api_key).encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
        },
        timeout=30,
    )


STATE_PARAMS = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s1"}


def _each_input(lms: FakeLMS, text: str) -> dict[str, requests.Response]:
    """The same hostile JSON text through every JSON input of the fake LMS."""
    c = lms.client()
    ep = lms.endpoint()
    json_type = {"Content-Type": "application/json"}
    sid = str(uuid.uuid4())
    multipart, multipart_type = _multipart(text)
    out = {
        "POST statements": post_json(lms, "statements", text),
        "PUT statements": c.put(
            ep + "statements", params={"statementId": sid}, data=text, headers=json_type
        ),
        "alternate-syntax content": _form(
            lms, "statements", "PUT", {"statementId": sid, "content": text}
        ),
        "multipart statement part": c.post(
            ep + "statements", data=multipart, headers={"Content-Type": multipart_type}
        ),
        "PUT state": c.put(
            ep + "activities/state", params=STATE_PARAMS, data=text, headers=json_type
        ),
        "POST state (merge)": c.post(
            ep + "activities/state", params=STATE_PARAMS, data=text, headers=json_type
        ),
        "PUT agent profile": c.put(
            ep + "agents/profile",
            params={"agent": json.dumps(AGENT), "profileId": "p1"},
            data=text,
            headers={**json_type, "If-None-Match": "*"},
        ),
        "POST activity profile": c.post(
            ep + "activities/profile",
            params={"activityId": ACTIVITY, "profileId": "p1"},
            data=text,
            headers=json_type,
        ),
        "alternate-syntax state content": _form(
            lms, "activities/state", "PUT", {**STATE_PARAMS, "content": text}
        ),
        "admin API body": lms.admin("POST", "mounts", data=text, headers=json_type),
        "more token": _form(
            lms, "statements", "GET", {"more": base64.urlsafe_b64encode(text.encode()).decode()}
        ),
    }
    # Query parameters parsed as JSON, sent in a form (a 200 KB URL would be cut by the server).
    for name, path, extra in (
        ("agent= of GET statements", "statements", {}),
        ("agent= of GET agents", "agents", {}),
        ("agent= of GET state", "activities/state", {"activityId": ACTIVITY}),
        ("agent= of GET agent profile", "agents/profile", {}),
    ):
        out[name] = _form(lms, path, "GET", {**extra, "agent": text})
    return out


@pytest.mark.parametrize("levels", [975, 100_000])
@pytest.mark.parametrize("shape", ["array", "object"])
def test_hostile_depth_is_400_on_every_json_input_and_the_mount_still_reads(lms, levels, shape):
    text = deep_text(levels, shape)
    answers = _each_input(lms, text)
    assert len(answers) == 15
    for name, r in answers.items():
        assert r.status_code == 400, (name, r.status_code, r.text[:300])
        body = r.json()
        if name != "more token":  # a forged token is refused as such, without detail
            assert f"deeper than {MAX_JSON_DEPTH} levels" in body["error"], (name, body)
    for fmt in ("exact", "ids", "canonical"):
        assert lms.client().get(lms.endpoint() + "statements", params={"format": fmt}).ok, fmt
    assert lms.admin("GET", "mounts/default/statements").ok
    assert lms.admin("GET", "mounts/default/journal", params={"limit": 50}).ok


def test_documents_at_the_limit_are_stored_merged_and_read_back(lms):
    c = lms.client()
    url = lms.endpoint() + "activities/state"
    params = {**STATE_PARAMS, "stateId": "at-the-limit"}
    text = deep_text(MAX_JSON_DEPTH, "object")
    json_type = {"Content-Type": "application/json"}
    assert c.put(url, params=params, data=text, headers=json_type).status_code == 204
    assert c.get(url, params=params).content == text.encode()
    merge = '{"b":' + deep_text(MAX_JSON_DEPTH - 1, "array") + "}"
    assert c.post(url, params=params, data=merge, headers=json_type).status_code == 204
    merged = c.get(url, params=params).json()
    assert merged["a"] == json.loads(text)["a"] and merged["b"] == json.loads(merge)["b"]
    too_deep = '{"b":' + deep_text(MAX_JSON_DEPTH, "array") + "}"
    r = c.post(url, params=params, data=too_deep, headers=json_type)
    assert_depth_refused(r)
    assert "$.b[0]" in r.json()["error"]
    assert c.get(url, params=params).json() == merged


def test_agent_parameter_past_the_limit_names_the_parameter(lms):
    r = lms.client().get(
        lms.endpoint() + "statements", params={"agent": deep_agent(MAX_JSON_DEPTH + 1)}
    )
    assert_depth_refused(r, "query:agent")
    assert "$.account.name[0]" in r.json()["error"]


def test_agent_parameter_at_the_limit_is_read(lms):
    r = lms.client().get(
        lms.endpoint() + "statements", params={"agent": deep_agent(MAX_JSON_DEPTH)}
    )
    # parsed, then judged as an Agent: an account name must be a string, so a 400 of another kind
    assert r.status_code == 400
    assert "deeper" not in r.json()["error"]


def test_signature_part_past_the_limit_is_400(lms):
    jws_header = base64.urlsafe_b64encode(deep_text(100_000, "array").encode()).decode()
    jws = f"{jws_header}.e30.c2ln".encode()
    sha2 = hashlib.sha256(jws).hexdigest()
    stmt = statement(
        attachments=[
            {
                "usageType": "http://adlnet.gov/expapi/attachments/signature",
                "display": {"en-US": "signature"},
                "contentType": "application/octet-stream",
                "length": len(jws),
                "sha2": sha2,
            }
        ]
    )
    body = (
        (
            f"--b1\r\nContent-Type: application/json\r\n\r\n{json.dumps(stmt)}\r\n"
            f"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        ).encode()
        + jws
        + b"\r\n--b1--\r\n"
    )
    r = lms.client().post(
        lms.endpoint() + "statements",
        data=body,
        headers={"Content-Type": "multipart/mixed; boundary=b1"},
    )
    assert r.status_code == 400, r.text[:300]


# --- defect 2: batches -----------------------------------------------------------------------------


def test_batch_over_the_cap_is_413_naming_the_cap_before_validation(lms):
    body = "[" + ",".join(["1"] * (MAX_BATCH_STATEMENTS + 1)) + "]"
    r = post_json(lms, "statements", body)
    assert r.status_code == 413, r.text[:300]
    assert str(MAX_BATCH_STATEMENTS) in r.json()["error"]
    assert r.json()["section"].endswith("weare-harness limits (docs/limits.md)")


def test_reported_violations_are_capped_and_the_rest_counted(lms):
    r = post_json(lms, "statements", "[" + ",".join(["1"] * 300) + "]")
    assert r.status_code == 400
    body = r.json()
    assert len(body["violations"]) == MAX_REPORTED_VIOLATIONS
    assert body["violations"][0]["path"] == "$[0]"
    assert body["violations"][-1]["path"] == f"$[{MAX_REPORTED_VIOLATIONS - 1}]"
    # checking stops once more than the cap is found: one more found, the rest counted unchecked
    assert body["violations_omitted"] == 1
    assert body["statements_not_checked"] == 300 - MAX_REPORTED_VIOLATIONS - 1
    assert str(MAX_REPORTED_VIOLATIONS) in body["checking_stopped"]
    entry = lms.admin("GET", "mounts/default/journal", params={"limit": 5000}).json()["entries"][-1]
    assert entry["verdicts"][-1] == {
        "verdict": "not checked",
        "statements": 300 - MAX_REPORTED_VIOLATIONS - 1,
        "violations": [],
    }


def test_one_statement_with_many_faults_lists_the_cap(lms):
    bad_keys = {f"not an IRI {i}": i for i in range(500)}
    r = lms.client().post(
        lms.endpoint() + "statements", json=statement(context={"extensions": bad_keys})
    )
    assert r.status_code == 400
    body = r.json()
    assert len(body["violations"]) == MAX_REPORTED_VIOLATIONS
    assert body["violations_omitted"] >= 1
    assert [(v["path"], v["section"]) for v in body["violations"]] == [
        (f'$[0].context.extensions["not an IRI {i}"]', "xAPI-D §4.1 XAPI-00118")
        for i in range(MAX_REPORTED_VIOLATIONS)
    ]


def test_each_statement_of_a_rejected_batch_gets_only_its_own_violations(tmp_path):
    """Violations are grouped per statement in one pass: statement 1 is not blamed for 10."""
    with FakeLMS(LMSConfig(db_path=str(tmp_path / "lms.db"))) as lms:
        batch = [statement() for _ in range(12)]
        batch[10]["verb"] = {"id": "not an IRI"}
        r = lms.client().post(lms.endpoint() + "statements", json=batch)
        assert r.status_code == 400
        entry = lms.admin("GET", "mounts/default/journal").json()["entries"][-1]
        rejected, others = entry["verdicts"]
        assert rejected["statement"] == batch[10]["id"]
        assert rejected["verdict"] == "rejected"
        assert [v["path"] for v in rejected["violations"]] == ["$[10].verb.id"]
        assert others == {
            "verdict": "not stored (batch rejected)",
            "statements": 11,
            "violations": [],
        }


def test_validation_stops_when_the_client_is_gone():
    asked: list[int] = []

    def gone() -> bool:
        asked.append(1)
        return True

    batch = [statement() for _ in range(1000)]
    with pytest.raises(ValidationAbandoned):
        check_batch(batch, client_disconnected=gone)
    assert asked == [1]
    assert check_batch(batch, client_disconnected=lambda: False).violations == []


def test_a_disconnected_client_is_abandoned_under_waitress(tmp_path):
    """waitress sets environ['waitress.client_disconnected'] with channel_request_lookahead > 0."""
    config = LMSConfig(db_path=str(tmp_path / "lms.db"))
    app = create_app(config)
    server = create_server(app, host="127.0.0.1", port=0, channel_request_lookahead=5, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        port = server.effective_port
        # valid statements but the last: only a finished validation would find out
        batch = [statement() for _ in range(3000)] + [1]
        body = json.dumps(batch).encode()
        key = config.api_keys[0]
        auth = base64.b64encode(f"{key.username}:{key.secret}".encode()).decode()
        head = (
            f"POST /xapi/default/statements HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Basic {auth}\r\nX-Experience-API-Version: 1.0.3\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        # Once to time the whole request (a 400: the last item is no statement), then again,
        # hanging up part of the way through: after waitress handed it to the app (a request
        # whose client left before that is never run), before validation ends. Where "part of
        # the way" falls depends on the machine's load, so a few fractions are tried in turn;
        # a hang-up that came too late is answered 400, one too early leaves no entry.
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            started = time.monotonic()
            sock.sendall(head + body)
            assert sock.recv(12) == b"HTTP/1.1 400"
            whole = time.monotonic() - started
        base = f"http://127.0.0.1:{port}"

        def journal() -> list[int]:
            r = requests.get(
                base + "/api/mounts/default/journal", auth=(key.username, key.secret), timeout=10
            )
            return [e["status"] for e in r.json()["entries"]]

        seen = journal()
        assert seen == [400], seen
        for fraction in (0.33, 0.5, 0.2, 0.66, 0.1):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(head + body)
                time.sleep(whole * fraction)
            deadline = time.monotonic() + max(5.0, 3 * whole)
            while time.monotonic() < deadline and len(statuses := journal()) == len(seen):
                time.sleep(0.05)
            new = statuses[len(seen) :]
            assert set(new) <= {400, 499}, statuses
            seen = statuses
            if 499 in new:
                break
        assert 499 in seen, f"no hang-up was noticed in {seen} (whole request {whole:.3f} s)"
    finally:
        server.close()  # the loop thread is a daemon; its workers are told to stop here
        server.task_dispatcher.shutdown(timeout=5)
        app.extensions["weare"].close()


# --- defect 7: small 500s ---------------------------------------------------------------------------


def test_crlf_in_an_alternate_syntax_header_field_is_400(lms):
    stmt = statement()
    r = _form(
        lms,
        "statements",
        "PUT",
        {
            "statementId": stmt["id"],
            "Content-Type": "application/json\r\nX-Injected: 1",
            "content": json.dumps(stmt),
        },
    )
    assert r.status_code == 400, r.text
    assert r.json()["violations"][0]["path"] == "form:Content-Type"


@pytest.mark.parametrize("value", ["9" * 4301, "²", "1" * 19, "-1", "1e3"])
def test_limit_that_is_no_small_integer_is_400_naming_it(lms, value):
    r = lms.client().get(lms.endpoint() + "statements", params={"limit": value})
    assert r.status_code == 400, r.text[:200]
    assert r.json()["violations"][0]["path"] == "query:limit"


def test_limit_with_leading_zeros_is_read(lms):
    r = lms.client().get(lms.endpoint() + "statements", params={"limit": "0" * 5000 + "2"})
    assert r.status_code == 200, r.text[:200]
    assert len(r.json()["statements"]) <= 2


@pytest.mark.parametrize("name", ["limit", "after"])
@pytest.mark.parametrize("value", ["9" * 4301, "²", "9" * 19])
def test_admin_integer_parameters_are_400_naming_them(lms, name, value):
    for path in ("mounts/default/journal", "mounts/default/statements"):
        r = lms.admin("GET", path, params={name: value})
        assert r.status_code == 400, (path, r.text[:200])
        assert r.json()["violations"][0]["path"] == f"query:{name}"


def test_since_past_year_9999_is_400_and_such_a_timestamp_too(lms):
    r = lms.client().get(lms.endpoint() + "statements", params={"since": "9999-12-31T23:59:60Z"})
    assert r.status_code == 400, r.text[:200]
    assert r.json()["violations"][0]["path"] == "query:since"
    r = lms.client().post(
        lms.endpoint() + "statements", json=statement(timestamp="9999-12-31T23:59:60Z")
    )
    assert r.status_code == 400, r.text[:200]
    assert r.json()["violations"][0]["path"] == "$[0].timestamp"


def _token(**fields: Any) -> str:
    token = {
        "f": {"agent": None, "ascending": False},
        "l": 1,
        "a": 0,
        "s": 1,
        "fmt": "exact",
        "att": False,
    }
    token.update(fields)
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        _token(f={"agent": ["a list"]}),
        _token(f={"since_us": 10**30}),
        _token(l=10**30),
        _token(a=-1),
        _token(s="1"),
        _token(fmt="everything"),
        _token(att="yes"),
        _token(f={"nonsense": 1}),
    ],
)
def test_forged_more_token_is_400(lms, token):
    r = lms.client().get(lms.endpoint() + "statements", params={"more": token})
    assert r.status_code == 400, r.text[:200]
    assert r.json()["violations"][0]["path"] == "query:more"


def test_a_well_formed_token_still_pages(lms):
    r = lms.client().get(lms.endpoint() + "statements", params={"more": _token()})
    assert r.status_code == 200, r.text[:200]
