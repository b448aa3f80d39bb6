"""What ADL's LRS conformance suite (test/v1_0_3) asks of an xAPI 1.0.3 LRS, over real HTTP.

Each test names the conformance requirement (XAPI-xxxxx, or the spec section where the suite
tests something without an id) and exercises it the way the suite does: headers it sends,
bodies it builds, status codes and headers it expects back.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import requests

from tests.factories import statement

SUITE_VERSION = "1.0.2"  # what the suite's helper puts in X-Experience-API-Version
MBOX_ACTOR = {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"}
BOUNDARY = "-------314159265358979323846"
TEXT = b"here is a simple attachment"


def _auth(lms) -> str:
    return requests.auth._basic_auth_str(*lms.api_key)


def _suite_headers(lms, **extra: str) -> dict[str, str]:
    """The headers the suite's `addAllHeaders` builds: version and Basic credentials."""
    return {"X-Experience-API-Version": SUITE_VERSION, "Authorization": _auth(lms), **extra}


def _multipart(stmt: dict, parts: list[tuple[dict[str, str], bytes]]) -> bytes:
    chunks = [f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode()]
    chunks += [json.dumps(stmt).encode(), b"\r\n"]
    for headers, content in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks += [f"--{BOUNDARY}\r\n{head}\r\n".encode(), content, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def _text_attachment_statement() -> dict:
    return statement(
        attachments=[
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "contentType": "text/plain",
                "length": len(TEXT),
                "sha2": hashlib.sha256(TEXT).hexdigest(),
            }
        ]
    )


# --- Communication 1.1: HEAD -----------------------------------------------------------------


def test_communication_1_1_head_on_every_get_resource_is_200_without_a_body(lms):
    """Communication 1.1.s3.b1: HEAD answers like GET, with no body, on every resource."""
    stmt = statement(actor=MBOX_ACTOR)
    assert lms.client().post(lms.endpoint() + "statements", json=stmt).status_code == 200
    agent = json.dumps(
        {"objectType": "Agent", "account": {"homePage": "http://x.example", "name": "r"}}
    )
    targets = [
        ("about", {}),
        ("statements", {}),
        ("activities", {"activityId": stmt["object"]["id"]}),
        ("agents", {"agent": json.dumps(MBOX_ACTOR)}),
        ("activities/state", {"activityId": "http://x.example/a", "agent": agent}),
        ("activities/profile", {"activityId": "http://x.example/a"}),
        ("agents/profile", {"agent": agent}),
    ]
    for resource, params in targets:
        r = requests.head(
            lms.endpoint() + resource, params=params, headers=_suite_headers(lms), timeout=5
        )
        assert r.status_code == 200, resource
        assert r.content == b"", resource


# --- Communication 1.3: alternate request syntax -----------------------------------------------


def test_xapi_00148_alternate_get_with_real_headers_returns_a_statement_result(lms):
    """XAPI-00148 / XAPI-00336: POST ?method=GET with the headers sent as real HTTP headers."""
    r = requests.post(
        lms.endpoint() + "statements?method=GET",
        headers=_suite_headers(lms),
        data={"limit": "1"},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"statements", "more"}


def test_xapi_00336_alternate_put_with_real_headers_and_form_content_is_204(lms):
    """XAPI-00336: the suite's `sendRequest` puts credentials and version in real headers."""
    stmt = statement()
    r = requests.post(
        lms.endpoint() + "statements?method=PUT",
        headers=_suite_headers(lms),
        data={"statementId": stmt["id"], "content": json.dumps(stmt)},
        timeout=5,
    )
    assert r.status_code == 204, r.text
    assert lms.client().get(lms.endpoint() + "statements", params={"statementId": stmt["id"]}).ok


def test_communication_1_3_form_headers_alone_still_work(lms):
    """Communication 1.3.s3.b7: a client that can send no headers puts them in the form."""
    stmt = statement()
    r = requests.post(
        lms.endpoint() + "statements?method=PUT",
        data={
            "statementId": stmt["id"],
            "content": json.dumps(stmt),
            "X-Experience-API-Version": "1.0.3",
            "Authorization": _auth(lms),
        },
        timeout=5,
    )
    assert r.status_code == 204, r.text


def test_communication_1_3_alternate_syntax_refusals(lms):
    """Communication 1.3.s3.b4: not a POST, no form content, or a JSON body is a 400."""
    url = lms.endpoint() + "statements"
    form = {"X-Experience-API-Version": "1.0.2", "content": json.dumps(statement())}
    r = requests.get(url + "?method=POST", headers=_suite_headers(lms), data=form, timeout=5)
    assert r.status_code == 400
    r = requests.post(url + "?method=PUT", headers=_suite_headers(lms), timeout=5)
    assert r.status_code == 400
    r = requests.post(
        url + "?method=PUT",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        data=json.dumps({"statementId": str(uuid.uuid4()), "content": "{}"}),
        timeout=5,
    )
    assert r.status_code == 400


# --- Communication 2.1: statements -------------------------------------------------------------


def test_xapi_00142_a_second_write_with_the_same_id_changes_nothing(lms):
    """XAPI-00142: a statement already stored is never modified by a later PUT or POST."""
    client, url = lms.client(), lms.endpoint() + "statements"
    stmt = statement()
    assert client.post(url, json=stmt).status_code == 200
    changed = json.loads(json.dumps(stmt))
    changed["verb"]["id"] = "http://example.com/verbs/other"
    r = client.put(url, params={"statementId": stmt["id"]}, json=changed)
    assert r.status_code == 409
    assert client.get(url, params={"statementId": stmt["id"]}).json()["verb"] == stmt["verb"]


def test_xapi_00151_statement_id_with_any_filter_but_format_or_attachments_is_400(lms):
    """XAPI-00151 / XAPI-00150: statementId or voidedStatementId plus a filter is a 400."""
    client, url = lms.client(), lms.endpoint() + "statements"
    stmt = statement()
    client.post(url, json=stmt)
    filters = {
        "agent": json.dumps(MBOX_ACTOR),
        "verb": "http://adlnet.gov/expapi/non/existent",
        "activity": "http://www.example.com/meetings/occurances/12345",
        "registration": str(uuid.uuid4()),
        "related_activities": "true",
        "related_agents": "true",
        "since": "2012-06-01T19:09:13.245Z",
        "until": "2012-06-01T19:09:13.245Z",
        "limit": "1",
        "ascending": "true",
    }
    for name, value in filters.items():
        for key in ("statementId", "voidedStatementId"):
            assert client.get(url, params={key: stmt["id"], name: value}).status_code == 400
    assert client.get(url, params={"statementId": stmt["id"], "format": "ids"}).status_code == 200
    r = client.get(url, params={"statementId": stmt["id"], "attachments": "true"})
    assert r.status_code == 200


def test_xapi_00149_a_get_with_no_match_is_200_with_empty_statements_and_more(lms):
    """XAPI-00149 and Data 2.5.s2: nothing matches, statements [] and more ''."""
    r = lms.client().get(
        lms.endpoint() + "statements", params={"verb": "http://adlnet.gov/expapi/non/existent"}
    )
    assert r.status_code == 200
    assert r.json() == {"statements": [], "more": ""}


def test_xapi_00152_consistent_through_is_not_before_any_stored(lms):
    """XAPI-00152 / XAPI-00160: the header is an ISO 8601 instant not before any stored value."""
    client, url = lms.client(), lms.endpoint() + "statements"
    client.post(url, json=[statement(), statement()])
    r = client.get(url)
    through = r.headers["X-Experience-API-Consistent-Through"]
    assert all(s["stored"] <= through for s in r.json()["statements"])


def test_xapi_00153_consistent_through_comes_with_a_400_too(lms):
    """XAPI-00153: the header is there whatever the status, even on a 400."""
    r = requests.get(lms.endpoint() + "statements", auth=lms.api_key, timeout=5)
    assert r.status_code == 400
    assert r.headers["X-Experience-API-Consistent-Through"]


def test_xapi_00161_attachments_false_answers_plain_application_json(lms):
    """XAPI-00161: without attachments=true the answer is exactly application/json."""
    client, url = lms.client(), lms.endpoint() + "statements"
    stmt = _text_attachment_statement()
    parts = [
        (
            {
                "Content-Type": "text/plain",
                "Content-Transfer-Encoding": "binary",
                "X-Experience-API-Hash": stmt["attachments"][0]["sha2"],
            },
            TEXT,
        )
    ]
    r = client.post(
        url,
        data=_multipart(stmt, parts),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )
    assert r.status_code == 200, r.text
    for params in ({}, {"attachments": "false"}):
        r = client.get(url, params={"statementId": stmt["id"], **params})
        assert r.headers["Content-Type"] == "application/json"
    r = client.get(url, params={"statementId": stmt["id"], "attachments": "true"})
    ctype = r.headers["Content-Type"]
    assert ctype.split(";")[0] == "multipart/mixed"
    boundary = ctype.split(";")[1].replace(" boundary=", "")
    assert any(TEXT in piece for piece in r.content.split(b"--" + boundary.encode()))


def test_data_2_4_11_a_get_carrying_a_multipart_content_type_is_still_answered(lms):
    """Data 2.4.11: the suite sends GETs with a multipart Content-Type; it is ignored."""
    r = lms.client().get(
        lms.endpoint() + "statements",
        params={"attachments": "false", "limit": "1"},
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"


def test_xapi_00172_canonical_with_accept_language_keeps_only_that_language(lms):
    """XAPI-00172: format=canonical and Accept-Language pick one language; exact keeps all."""
    client, url = lms.client(), lms.endpoint() + "statements"
    stmt = statement()
    stmt["verb"]["display"] = {"en-GB": "attended", "en-US": "attended"}
    stmt["context"]["contextActivities"] = {
        "category": {
            "id": "http://www.example.com/test/array/statements/pri",
            "definition": {
                "name": {"en-GB": "name gb", "en-US": "name us"},
                "description": {"en-GB": "desc gb", "en-US": "desc us"},
            },
        }
    }
    client.post(url, json=stmt)
    lang = {"Accept-Language": "en-GB"}
    canonical = client.get(
        url, params={"statementId": stmt["id"], "format": "canonical"}, headers=lang
    ).json()
    category = canonical["context"]["contextActivities"]["category"][0]["definition"]
    assert canonical["verb"]["display"] == {"en-GB": "attended"}
    assert category["name"] == {"en-GB": "name gb"}
    assert category["description"] == {"en-GB": "desc gb"}
    exact = client.get(url, params={"statementId": stmt["id"]}, headers=lang).json()
    assert set(exact["verb"]["display"]) == {"en-GB", "en-US"}


def test_xapi_00162_a_verb_filter_returns_refs_to_a_voided_statement_not_it(lms):
    """XAPI-00162 / XAPI-00163: statements targeting a voided one match through it; the
    voided statement itself comes back only by voidedStatementId."""
    client, url = lms.client(), lms.endpoint() + "statements"
    verb = f"http://adlnet.gov/expapi/test/voided/target/{uuid.uuid4()}"
    voided = statement(verb={"id": verb})
    voiding = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": voided["id"]},
    )
    ref = statement(verb={"id": verb}, object={"objectType": "StatementRef", "id": voided["id"]})
    for stmt in (voided, voiding, ref):
        assert client.post(url, json=stmt).status_code == 200
    ids = [s["id"] for s in client.get(url, params={"verb": verb}).json()["statements"]]
    assert ids == [ref["id"], voiding["id"]]
    assert client.get(url, params={"statementId": voided["id"]}).status_code == 404
    assert client.get(url, params={"voidedStatementId": voided["id"]}).status_code == 200


def test_data_2_5_more_is_a_relative_irl_that_serves_the_next_page(lms):
    """Data 2.5.s2.table1.row2: `more` resolves against the request URL to the next page."""
    client, url = lms.client(), lms.endpoint() + "statements"
    client.post(url, json=[statement(), statement()])
    first = client.get(url, params={"limit": "1"}).json()
    assert first["more"]
    following = client.get(requests.compat.urljoin(url, first["more"]))
    assert following.status_code == 200
    assert set(following.json()) == {"statements", "more"}


# --- Data 2.4.8 / 2.4.9: stored and authority --------------------------------------------------


def test_xapi_00097_stored_is_assigned_by_the_lrs_with_milliseconds(lms):
    """XAPI-00097 / XAPI-00023: a stored value sent is replaced; stored has milliseconds."""
    client, url = lms.client(), lms.endpoint() + "statements"
    stmt = statement(stored="2011-07-15T00:00:00.000Z")
    assert client.post(url, json=stmt).status_code == 200
    stored = client.get(url, params={"statementId": stmt["id"]}).json()["stored"]
    assert stored != stmt["stored"]
    assert "." in stored and stored.endswith("Z")


def test_xapi_00099_authority_is_filled_in_from_the_credentials(lms):
    """XAPI-00099: a statement without authority gets one."""
    client, url = lms.client(), lms.endpoint() + "statements"
    stmt = statement()
    client.post(url, json=stmt)
    assert "authority" in client.get(url, params={"statementId": stmt["id"]}).json()


def test_xapi_00100_authority_group_with_an_ifi_is_400(lms):
    """XAPI-00100 / Data 2.4.9.s3.b3: an identified Group as authority is refused."""
    group = {
        "objectType": "Group",
        "name": "xAPI Group",
        "mbox": "mailto:xapigroup@example.com",
        "member": [
            {"name": "agentA", "mbox": "mailto:agentA@example.com"},
            {"name": "agentB", "mbox": "mailto:agentB@example.com"},
        ],
    }
    r = lms.client().post(lms.endpoint() + "statements", json=statement(authority=group))
    assert r.status_code == 400


# --- Data 2.4.11: attachments ------------------------------------------------------------------


def test_data_2_4_11_multipart_form_data_is_400(lms):
    """Data 2.4.11: only application/json or multipart/mixed carry statements."""
    r = lms.client().post(
        lms.endpoint() + "statements",
        data=json.dumps(statement()),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert r.status_code == 400


def test_data_2_4_11_multipart_without_a_boundary_parameter_is_400(lms):
    """Data 2.4.11 / Communication 1.5.2.s2.b2: no boundary in the Content-Type is a 400."""
    stmt = _text_attachment_statement()
    parts = [
        (
            {"Content-Type": "text/plain", "X-Experience-API-Hash": stmt["attachments"][0]["sha2"]},
            TEXT,
        )
    ]
    r = lms.client().post(
        lms.endpoint() + "statements",
        data=_multipart(stmt, parts),
        headers={"Content-Type": "multipart/mixed;"},
    )
    assert r.status_code == 400


def test_data_2_4_11_statements_split_over_two_json_parts_is_400(lms):
    """Communication 1.5.2.s2.b2.b1: every statement is in the first part."""
    stmt = _text_attachment_statement()
    parts = [
        ({"Content-Type": "application/json"}, json.dumps(statement()).encode()),
        (
            {"Content-Type": "text/plain", "X-Experience-API-Hash": stmt["attachments"][0]["sha2"]},
            TEXT,
        ),
    ]
    r = lms.client().post(
        lms.endpoint() + "statements",
        data=_multipart(stmt, parts),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )
    assert r.status_code == 400


def test_data_2_4_11_a_non_binary_content_transfer_encoding_is_400(lms):
    """Data 2.4.11 / Communication 1.5.2: attachment parts travel binary, never base64."""
    stmt = _text_attachment_statement()
    sha2 = stmt["attachments"][0]["sha2"]
    headers = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "base64",
        "X-Experience-API-Hash": sha2,
    }
    r = lms.client().post(
        lms.endpoint() + "statements",
        data=_multipart(stmt, [(headers, TEXT)]),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )
    assert r.status_code == 400
    assert "Content-Transfer-Encoding" in r.json()["error"]


def test_data_2_4_11_file_url_attachment_in_plain_json_is_accepted(lms):
    """Data 2.4.11: an attachment with fileUrl needs no part."""
    stmt = _text_attachment_statement()
    stmt["attachments"][0]["fileUrl"] = "http://over.there.com/file.txt"
    assert lms.client().post(lms.endpoint() + "statements", json=stmt).status_code == 200


# --- Communication 2.4 / 2.5 / 2.8: agents, activities, about ----------------------------------


def test_xapi_00248_agents_returns_a_person_with_array_properties(lms):
    """XAPI-00248, XAPI-00237, XAPI-00238, XAPI-00239, XAPI-00244: a Person of arrays."""
    lms.client().post(lms.endpoint() + "statements", json=statement(actor=MBOX_ACTOR))
    r = lms.client().get(lms.endpoint() + "agents", params={"agent": json.dumps(MBOX_ACTOR)})
    assert r.status_code == 200
    assert r.json() == {
        "objectType": "Person",
        "name": ["xAPI mbox"],
        "mbox": ["mailto:xapi@adlnet.gov"],
    }


def test_xapi_00243_agents_without_agent_is_400(lms):
    """XAPI-00243: the agent parameter is required."""
    assert lms.client().get(lms.endpoint() + "agents").status_code == 400


def test_communication_2_5_activities_returns_the_complete_activity(lms):
    """Communication 2.5.s1: the Activity comes back equal to the one sent."""
    activity = {
        "objectType": "Activity",
        "id": "http://www.example.com/verify/complete/34534",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/meeting",
            "name": {"en-GB": "example meeting", "en-US": "example meeting"},
            "moreInfo": "http://virtualmeeting.example.com/345256",
            "extensions": {"http://example.com/profiles/meetings/extension/reporter": {"a": 1}},
        },
    }
    lms.client().post(lms.endpoint() + "statements", json=statement(object=activity))
    r = lms.client().get(lms.endpoint() + "activities", params={"activityId": activity["id"]})
    assert r.json() == activity
    assert lms.client().get(lms.endpoint() + "activities").status_code == 400


def test_xapi_00316_about_lists_only_1_0_x_to_a_1_0_client(lms):
    """XAPI-00316 / XAPI-00317: to a 1.0.x client the versions are all 1.0.x, 1.0.1 among
    them; without a version header every version spoken is listed (2.0.0 too)."""
    r = requests.get(
        lms.endpoint() + "about", headers={"X-Experience-API-Version": "1.0.2"}, timeout=5
    )
    versions = r.json()["version"]
    assert "1.0.1" in versions
    assert all(v in ("0.9", "0.95", "1.0.0", "1.0.1", "1.0.2", "1.0.3") for v in versions)
    assert "2.0.0" in requests.get(lms.endpoint() + "about", timeout=5).json()["version"]


# --- Communication 3.2 / 3.3 / 4: errors, versions, authentication ----------------------------


def test_communication_3_2_unsupported_methods_are_405_even_without_credentials(lms):
    """Communication 3.2.s3.b1: the suite sends DELETE with no credentials and expects 405."""
    version = {"X-Experience-API-Version": "1.0.1"}
    agent = json.dumps(MBOX_ACTOR)
    for resource, params in (
        ("statements", {"statementId": str(uuid.uuid4())}),
        ("activities", {"activityId": "http://www.example.com/meetings/occurances/34534"}),
        ("agents", {"agent": agent}),
    ):
        r = requests.delete(lms.endpoint() + resource, params=params, headers=version, timeout=5)
        assert r.status_code == 405, resource
        assert "GET" in r.headers["Allow"]
    for method in ("post", "put"):
        for resource, params in (
            ("activities", {"activityId": "http://www.example.com/meetings/occurances/34534"}),
            ("agents", {"agent": agent}),
        ):
            r = getattr(lms.client(), method)(lms.endpoint() + resource, params=params)
            assert r.status_code == 405, (method, resource)


def test_xapi_00325_case_variant_filter_parameters_are_400(lms):
    """XAPI-00325 / XAPI-00324: StatementId, Verb, Limit... and unknown parameters are 400."""
    client, url = lms.client(), lms.endpoint() + "statements"
    for name, value in (
        ("StatementId", str(uuid.uuid4())),
        ("VoidedStatementId", str(uuid.uuid4())),
        ("Agent", json.dumps(MBOX_ACTOR)),
        ("Verb", "http://adlnet.gov/expapi/verbs/attended"),
        ("Related_Activities", "true"),
        ("Limit", "10"),
        ("Attachments", "true"),
        ("foo", "bar"),
    ):
        assert client.get(url, params={name: value}).status_code == 400, name
    stmt = statement()
    r = client.put(url, params={"StatementId": stmt["id"]}, json=stmt)
    assert r.status_code == 400


def test_xapi_00333_responses_carry_version_1_0_3_to_a_1_0_2_client(lms):
    """XAPI-00333: the version header answered is the latest patch, 1.0.3."""
    stmt = statement()
    lms.client(version=SUITE_VERSION).post(lms.endpoint() + "statements", json=stmt)
    r = lms.client(version=SUITE_VERSION).get(
        lms.endpoint() + "statements", params={"statementId": stmt["id"]}
    )
    assert r.headers["X-Experience-API-Version"] == "1.0.3"


def test_xapi_00334_malformed_basic_header_is_401(lms):
    """XAPI-00334: 'Basic:<base64>' (no space) is bad authorization, a 401."""
    stmt = statement()
    headers = _suite_headers(lms, Authorization="Basic:" + "Um9iQ0lzTm90OkFVc2Vy")
    r = requests.put(
        lms.endpoint() + "statements",
        params={"statementId": stmt["id"]},
        json=stmt,
        headers=headers,
        timeout=5,
    )
    assert r.status_code == 401


def test_xapi_00014_a_stringified_object_type_is_400(lms):
    """XAPI-00014: a JSON fragment smuggled into objectType is not a well-formed Agent."""
    stmt = statement()
    stmt["actor"] = {**stmt["actor"], "objectType": '"objectType": "Agent"'}
    assert lms.client().post(lms.endpoint() + "statements", json=stmt).status_code == 400


# --- Communication 3.1: concurrency ------------------------------------------------------------


def test_xapi_00322_document_etag_is_a_quoted_sha1(lms):
    """XAPI-00322: GET of a document carries an ETag, a quoted 40-hex SHA-1."""
    params = {
        "activityId": "http://www.example.com/activityId/hashset",
        "agent": json.dumps(
            {"objectType": "Agent", "account": {"homePage": "http://x.example", "name": "r"}}
        ),
        "stateId": str(uuid.uuid4()),
    }
    url = lms.endpoint() + "activities/state"
    assert lms.client().post(url, params=params, json={"name": "x"}).status_code == 204
    etag = lms.client().get(url, params=params).headers["ETag"]
    assert etag.startswith('"') and etag[41] == '"'
    assert all(c in "0123456789abcdefABCDEF" for c in etag[1:41])
