"""The Statement Resource over real HTTP: writes, reads, voiding, filters, paging, attachments."""

from __future__ import annotations

import hashlib
import json
import time
import uuid

import pytest
import requests

from tests.factories import ACTOR, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def post(lms, body, **kw):
    return lms.client().post(lms.endpoint() + "statements", json=body, **kw)


def get(lms, **params):
    return lms.client().get(lms.endpoint() + "statements", params=params)


# --- writing ---------------------------------------------------------------------------------


def test_post_single_statement_returns_its_id(lms):
    stmt = statement()
    r = post(lms, stmt)
    assert r.status_code == 200, r.text
    assert r.json() == [stmt["id"]]


def test_post_without_id_gets_an_id_assigned(lms):
    stmt = statement()
    del stmt["id"]
    r = post(lms, stmt)
    assert r.status_code == 200
    (assigned,) = r.json()
    assert uuid.UUID(assigned)
    assert get(lms, statementId=assigned).json()["actor"] == ACTOR


def test_post_batch_returns_ids_in_order(lms):
    batch = [statement() for _ in range(5)]
    r = post(lms, batch)
    assert r.status_code == 200
    assert r.json() == [s["id"] for s in batch]


def test_put_with_statement_id_answers_204_and_stores(lms):
    stmt = statement()
    r = lms.client().put(
        lms.endpoint() + "statements", params={"statementId": stmt["id"]}, json=stmt
    )
    assert r.status_code == 204
    assert r.content == b""
    assert get(lms, statementId=stmt["id"]).status_code == 200


def test_put_without_statement_id_is_400(lms):
    r = lms.client().put(lms.endpoint() + "statements", json=statement())
    assert r.status_code == 400
    assert "statementId" in r.json()["error"]


def test_put_with_mismatching_id_is_400(lms):
    stmt = statement()
    r = lms.client().put(
        lms.endpoint() + "statements", params={"statementId": str(uuid.uuid4())}, json=stmt
    )
    assert r.status_code == 400
    assert r.json()["violations"][0]["path"] == "$.id"


def test_same_id_same_content_is_accepted_again(lms):
    stmt = statement()
    assert post(lms, stmt).status_code == 200
    assert post(lms, stmt).status_code == 200
    assert len(get(lms).json()["statements"]) == 1


def test_same_id_different_content_is_409(lms):
    stmt = statement()
    assert post(lms, stmt).status_code == 200
    changed = dict(stmt, timestamp="2024-06-05T13:05:37Z")
    r = post(lms, changed)
    assert r.status_code == 409
    assert "different content" in r.json()["error"]


def test_invalid_statement_is_400_naming_path_rule_and_section(lms):
    r = post(lms, statement(actor={"objectType": "Agent"}))
    assert r.status_code == 400
    body = r.json()
    assert [(v["path"], v["section"]) for v in body["violations"]] == [
        ("$[0].actor", "xAPI-D §2.4.2.1 XAPI-00034")
    ]
    assert "exactly one of mbox, mbox_sha1sum, openid, account" in body["violations"][0]["rule"]


def test_batch_with_one_invalid_statement_stores_nothing(lms):
    batch = [statement(), statement(), statement(verb={"display": {"en-US": "x"}})]
    r = post(lms, batch)
    assert r.status_code == 400
    assert [(v["path"], v["section"]) for v in r.json()["violations"]] == [
        ("$[2].verb.id", "xAPI-D §2.4.3 XAPI-00044")
    ]
    assert get(lms).json()["statements"] == []


def test_batch_with_duplicate_ids_is_400(lms):
    stmt = statement()
    r = post(lms, [stmt, dict(stmt)])
    assert r.status_code == 400
    assert get(lms).json()["statements"] == []


def test_empty_batch_is_400(lms):
    assert post(lms, []).status_code == 400


def test_stored_statement_has_lrs_properties(lms):
    stmt = statement()
    post(lms, stmt)
    got = get(lms, statementId=stmt["id"]).json()
    assert got["stored"].endswith("Z")
    assert got["version"] == "1.0.0"
    assert got["authority"]["account"]["name"] == lms.api_key[0]


def test_context_activities_single_object_is_returned_as_array(lms):
    ctx = {"contextActivities": {"parent": {"id": "https://example.com/p"}}}
    stmt = statement(context=ctx)
    post(lms, stmt)
    got = get(lms, statementId=stmt["id"]).json()
    assert got["context"]["contextActivities"]["parent"] == [{"id": "https://example.com/p"}]


@pytest.mark.parametrize(
    ("body", "ctype"),
    [(b"{not json", "application/json"), (b"\xff\xfe", "application/json"), (b"{}", "text/plain")],
)
def test_malformed_bodies_are_400_never_500(lms, body, ctype):
    r = lms.client().post(lms.endpoint() + "statements", data=body, headers={"Content-Type": ctype})
    assert r.status_code == 400, r.text
    assert r.json()["error"]


def test_duplicate_json_keys_are_400(lms):
    raw = json.dumps(statement())[:-1] + ', "timestamp": "2024-06-05T13:05:36Z"}'
    r = lms.client().post(
        lms.endpoint() + "statements", data=raw, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400


def test_huge_body_is_413(lms):
    big = b"[" + b" " * (lms.config.max_body_bytes + 10) + b"]"
    r = lms.client().post(
        lms.endpoint() + "statements", data=big, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_unknown_parameter_on_post_is_400(lms):
    r = lms.client().post(lms.endpoint() + "statements?foo=1", json=statement())
    assert r.status_code == 400


# --- protocol --------------------------------------------------------------------------------


def test_version_header_missing_is_400(lms):
    r = lms.client(version=None).get(lms.endpoint() + "statements")
    assert r.status_code == 400
    assert "X-Experience-API-Version" in r.json()["error"]


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.3", "1.0.9", "2.0.0"])
def test_accepted_versions(lms, version):
    r = lms.client(version=version).get(lms.endpoint() + "statements")
    assert r.status_code == 200
    assert r.headers["X-Experience-API-Version"] in ("1.0.3", "2.0.0")


@pytest.mark.parametrize("version", ["0.95", "1.1.0", "3.0.0", "banana"])
def test_refused_versions(lms, version):
    assert lms.client(version=version).get(lms.endpoint() + "statements").status_code == 400


def test_every_response_has_version_and_consistent_through(lms):
    for r in (
        get(lms),
        lms.client(auth=None).get(lms.endpoint() + "statements"),
        lms.client().get(lms.endpoint() + "nothing-here"),
        lms.client().get(lms.endpoint() + "about"),
    ):
        assert r.headers["X-Experience-API-Version"] == "1.0.3"
        assert r.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def test_no_credentials_is_401(lms):
    r = lms.client(auth=None).get(lms.endpoint() + "statements")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_credentials_are_401(lms):
    assert lms.client(auth=("x", "y")).get(lms.endpoint() + "statements").status_code == 401


def test_unknown_mount_is_404(lms):
    r = lms.client().get(lms.base_url + "/xapi/nope/statements")
    assert r.status_code == 404


def test_about_needs_no_auth_and_lists_versions(lms):
    r = requests.get(lms.endpoint() + "about", timeout=5)
    assert r.status_code == 200
    assert "1.0.3" in r.json()["version"]


def test_head_returns_headers_without_body(lms):
    post(lms, statement())
    r = lms.client().head(lms.endpoint() + "statements")
    assert r.status_code == 200
    assert r.content == b""
    assert "X-Experience-API-Consistent-Through" in r.headers


def test_delete_on_statements_is_405(lms):
    assert lms.client().delete(lms.endpoint() + "statements").status_code == 405


def test_cors_preflight_allows_the_xapi_headers(lms):
    r = requests.options(
        lms.endpoint() + "statements",
        headers={
            "Origin": "http://127.0.0.1:9999",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
        timeout=5,
    )
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    allowed = r.headers["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "x-experience-api-version", "if-match"):
        assert header in allowed
    assert "etag" in r.headers["Access-Control-Expose-Headers"].lower()


def test_alternate_syntax_put(lms):
    stmt = statement()
    form = {
        "statementId": stmt["id"],
        "content": json.dumps(stmt),
        "Authorization": requests.auth._basic_auth_str(*lms.api_key),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    r = requests.post(lms.endpoint() + "statements?method=PUT", data=form, timeout=5)
    assert r.status_code == 204, r.text
    assert get(lms, statementId=stmt["id"]).status_code == 200


def test_alternate_syntax_get_with_filter(lms):
    stmt = statement()
    post(lms, stmt)
    form = {
        "verb": stmt["verb"]["id"],
        "Authorization": requests.auth._basic_auth_str(*lms.api_key),
        "X-Experience-API-Version": "1.0.3",
    }
    r = requests.post(lms.endpoint() + "statements?method=GET", data=form, timeout=5)
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["statements"]] == [stmt["id"]]


def test_alternate_syntax_with_extra_query_parameter_is_400(lms):
    r = requests.post(lms.endpoint() + "statements?method=GET&verb=x", data={}, timeout=5)
    assert r.status_code == 400


# --- reading ---------------------------------------------------------------------------------


def test_get_unknown_statement_is_404(lms):
    assert get(lms, statementId=str(uuid.uuid4())).status_code == 404


def test_get_single_has_last_modified(lms):
    stmt = statement()
    post(lms, stmt)
    assert "GMT" in get(lms, statementId=stmt["id"]).headers["Last-Modified"]


def test_statement_id_with_filter_parameter_is_400(lms):
    assert get(lms, statementId=str(uuid.uuid4()), verb="http://x.y/z").status_code == 400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("agent", "{bad"),
        ("agent", '{"objectType": "Agent"}'),
        ("verb", "not an iri"),
        ("registration", "nope"),
        ("since", "yesterday"),
        ("limit", "-1"),
        ("format", "full"),
        ("ascending", "yes"),
        ("Verb", "http://x.y/z"),
    ],
)
def test_bad_filter_values_are_400(lms, name, value):
    assert get(lms, **{name: value}).status_code == 400


def test_voiding_hides_the_target_and_exposes_it_as_voided(lms):
    target = statement()
    post(lms, target)
    voiding = statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target["id"]},
    )
    assert post(lms, voiding).status_code == 200
    assert get(lms, statementId=target["id"]).status_code == 404
    assert get(lms, voidedStatementId=target["id"]).json()["id"] == target["id"]
    assert get(lms, voidedStatementId=voiding["id"]).status_code == 404
    ids = [s["id"] for s in get(lms).json()["statements"]]
    assert ids == [voiding["id"]]


def test_a_voiding_statement_cannot_be_voided(lms):
    target = statement()
    post(lms, target)
    voiding = statement(
        verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target["id"]}
    )
    post(lms, voiding)
    again = statement(
        verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": voiding["id"]}
    )
    assert post(lms, again).status_code == 400


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["statements"]]


def test_filters_by_verb_activity_registration_and_agent(lms):
    other_actor = {"mbox": "mailto:other@example.com"}
    a = statement()
    b = statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"})
    c = statement(object={"id": "https://weare.example.com/stories/7"})
    d = statement(actor=other_actor, context={"registration": str(uuid.uuid4())})
    post(lms, [a, b, c, d])
    assert _ids(get(lms, verb="http://adlnet.gov/expapi/verbs/passed")) == [b["id"]]
    assert _ids(get(lms, activity="https://weare.example.com/stories/7")) == [c["id"]]
    assert _ids(get(lms, registration=d["context"]["registration"])) == [d["id"]]
    assert _ids(get(lms, agent=json.dumps(other_actor))) == [d["id"]]
    assert set(_ids(get(lms, agent=json.dumps(ACTOR)))) == {a["id"], b["id"], c["id"]}


def test_related_activities_and_agents_widen_the_filters(lms):
    parent = "https://weare.example.com/courses/1"
    instructor = {"mbox": "mailto:teacher@example.com"}
    stmt = statement(
        context={"contextActivities": {"parent": [{"id": parent}]}, "instructor": instructor}
    )
    post(lms, stmt)
    assert _ids(get(lms, activity=parent)) == []
    assert _ids(get(lms, activity=parent, related_activities="true")) == [stmt["id"]]
    assert _ids(get(lms, agent=json.dumps(instructor))) == []
    assert _ids(get(lms, agent=json.dumps(instructor), related_agents="true")) == [stmt["id"]]


def test_statement_refs_to_matching_statements_match_too(lms):
    target = statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"})
    ref = statement(object={"objectType": "StatementRef", "id": target["id"]})
    post(lms, [target, ref])
    assert set(_ids(get(lms, verb="http://adlnet.gov/expapi/verbs/passed"))) == {
        target["id"],
        ref["id"],
    }


def test_since_until_ascending_and_limit(lms):
    first, second, third = statement(), statement(), statement()
    post(lms, first)
    time.sleep(0.01)
    post(lms, second)
    time.sleep(0.01)
    post(lms, third)
    stored = get(lms, statementId=second["id"]).json()["stored"]
    assert _ids(get(lms, since=stored)) == [third["id"]]
    assert _ids(get(lms, until=stored)) == [second["id"], first["id"]]
    assert _ids(get(lms, ascending="true")) == [first["id"], second["id"], third["id"]]
    assert _ids(get(lms, limit="1")) == [third["id"]]


def test_more_pages_through_everything_once(lms):
    batch = [statement() for _ in range(25)]
    post(lms, batch)
    seen: list[str] = []
    r = get(lms, limit="10")
    pages = 0
    while True:
        pages += 1
        seen += _ids(r)
        more = r.json()["more"]
        if not more or pages > 5:
            break
        r = lms.client().get(lms.base_url + more)
    assert pages == 3
    assert sorted(seen) == sorted(s["id"] for s in batch)


def test_bad_more_token_is_400(lms):
    r = lms.client().get(lms.endpoint() + "statements", params={"more": "garbage!"})
    assert r.status_code == 400


def test_format_ids_keeps_only_identifiers(lms):
    stmt = statement(actor={**ACTOR, "name": "Ann"})
    post(lms, stmt)
    got = get(lms, statementId=stmt["id"], format="ids").json()
    assert "name" not in got["actor"]
    assert got["verb"] == {"id": stmt["verb"]["id"]}
    assert "definition" not in got["object"]


def test_format_canonical_picks_one_language(lms):
    stmt = statement(verb={"id": "http://x.example/v", "display": {"en-US": "did", "fr-FR": "fit"}})
    post(lms, stmt)
    r = lms.client().get(
        lms.endpoint() + "statements",
        params={"statementId": stmt["id"], "format": "canonical"},
        headers={"Accept-Language": "fr-FR"},
    )
    assert r.json()["verb"]["display"] == {"fr-FR": "fit"}


# --- attachments -----------------------------------------------------------------------------


def _multipart(stmt: dict, content: bytes, boundary: str = "xyzzy") -> bytes:
    sha2 = hashlib.sha256(content).hexdigest()
    return (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(stmt)}\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def _with_attachment(content: bytes) -> dict:
    return statement(
        attachments=[
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "contentType": "text/plain",
                "length": len(content),
                "sha2": hashlib.sha256(content).hexdigest(),
            }
        ]
    )


def test_multipart_attachment_round_trip(lms):
    content = b"here is a simple attachment\r\nwith two lines"
    stmt = _with_attachment(content)
    r = lms.client().post(
        lms.endpoint() + "statements",
        data=_multipart(stmt, content),
        headers={"Content-Type": "multipart/mixed; boundary=xyzzy"},
    )
    assert r.status_code == 200, r.text
    got = lms.client().get(
        lms.endpoint() + "statements", params={"statementId": stmt["id"], "attachments": "true"}
    )
    assert got.headers["Content-Type"].startswith("multipart/mixed")
    assert content in got.content
    assert hashlib.sha256(content).hexdigest().encode() in got.content


def test_attachment_without_its_part_is_400(lms):
    stmt = _with_attachment(b"abc")
    assert post(lms, stmt).status_code == 400


def test_attachment_part_with_wrong_hash_is_400(lms):
    stmt = _with_attachment(b"abc")
    body = _multipart(stmt, b"abc").replace(b"\r\n\r\nabc", b"\r\n\r\nabd")
    r = lms.client().post(
        lms.endpoint() + "statements",
        data=body,
        headers={"Content-Type": "multipart/mixed; boundary=xyzzy"},
    )
    assert r.status_code == 400


# --- journal ---------------------------------------------------------------------------------


def test_journal_records_exchanges_with_secrets_redacted(lms):
    post(lms, statement())
    post(lms, statement(verb={}))
    entries = lms.admin("GET", "mounts/default/journal").json()["entries"]
    assert [e["status"] for e in entries] == [200, 400]
    text = json.dumps(entries)
    assert lms.api_key[1] not in text
    assert entries[0]["request_headers"]["Authorization"].startswith("Basic [redacted")
    assert entries[0]["verdicts"][0]["verdict"] == "accepted"
    assert entries[1]["verdicts"][0]["verdict"] == "rejected"
    assert lms.admin("DELETE", "mounts/default/journal").json()["deleted"] == 2
    assert lms.admin("GET", "mounts/default/journal").json()["entries"] == []


def test_admin_api_needs_the_api_key(lms):
    assert requests.get(lms.base_url + "/api/mounts", timeout=5).status_code == 401
    assert lms.admin("GET", "mounts").status_code == 200


# --- signed statements -----------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signed(stmt: dict, *, alg: str = "RS256", payload: dict | None = None) -> tuple[dict, bytes]:
    header = _b64url(json.dumps({"alg": alg}).encode())
    body = _b64url(json.dumps(payload if payload is not None else stmt).encode())
    jws = f"{header}.{body}.{_b64url(b'signature-bytes')}".encode()
    signed = dict(stmt)
    signed["attachments"] = [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(jws),
            "sha2": hashlib.sha256(jws).hexdigest(),
        }
    ]
    return signed, jws


def _post_signed(lms, signed: dict, jws: bytes):
    sha2 = hashlib.sha256(jws).hexdigest()
    body = (
        (
            f"--b\r\nContent-Type: application/json\r\n\r\n{json.dumps(signed)}\r\n"
            f"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        ).encode()
        + jws
        + b"\r\n--b--\r\n"
    )
    return lms.client().post(
        lms.endpoint() + "statements",
        data=body,
        headers={"Content-Type": "multipart/mixed; boundary=b"},
    )


def test_well_formed_signed_statement_is_stored(lms):
    signed, jws = _signed(statement())
    assert _post_signed(lms, signed, jws).status_code == 200


@pytest.mark.parametrize(
    "fault", ["alg", "payload", "segments", "content_type"], ids=lambda f: f"bad-{f}"
)
def test_malformed_signature_is_400(lms, fault):
    stmt = statement()
    if fault == "alg":
        signed, jws = _signed(stmt, alg="HS256")
    elif fault == "payload":
        signed, jws = _signed(stmt, payload=dict(stmt, verb={"id": "http://x.example/other"}))
    elif fault == "segments":
        signed, jws = _signed(stmt)
        jws = jws.rsplit(b".", 1)[0]
        signed["attachments"][0]["sha2"] = hashlib.sha256(jws).hexdigest()
        signed["attachments"][0]["length"] = len(jws)
    else:
        signed, jws = _signed(stmt)
        signed["attachments"][0]["contentType"] = "application/json"
    r = _post_signed(lms, signed, jws)
    assert r.status_code == 400, r.text
    assert r.json()["section"] == "xAPI-D §2.6"


def test_double_slash_after_the_endpoint_is_served_and_journaled_as_a_warning(lms):
    stmt = statement()
    r = lms.client().post(lms.endpoint() + "/statements", json=stmt)
    assert r.status_code == 200, r.text
    entry = lms.admin("GET", "mounts/default/journal").json()["entries"][-1]
    assert entry["path"] == "/xapi/default//statements"
    assert entry["verdicts"][0]["verdict"] == "warning"
    assert "8.1.1.0-3" in entry["verdicts"][0]["section"]
