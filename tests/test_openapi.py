"""The OpenAPI 3.1 description: valid, served at /api/openapi.json, and in step with the routes."""

from __future__ import annotations

import json
import re
import uuid
from importlib import resources

import pytest
import requests
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from fake_lms.app import create_app
from fake_lms.config import LMSConfig
from fake_lms.openapi import (
    LISTS_MEMBERS,
    OpenAPIDataError,
    code_rules,
    document,
    embedded_schema,
    one_identifier,
)
from tests.factories import ACTOR, statement

PATH_VALUES = {"mount": "default"}  # path parameters naming something that exists
VERSION = {"X-Experience-API-Version": "1.0.3"}
# Methods Flask adds to every rule by itself; described where the app really answers them.
AUTOMATIC = {"HEAD", "OPTIONS"}


def openapi_path(rule: str) -> str:
    """'/api/courses/<course_id>/aus/<int:number>' -> '/api/courses/{course_id}/aus/{number}'."""
    return re.sub(r"<(?:[a-z]+:)?([A-Za-z_]\w*)>", r"{\1}", rule)


def routed(tmp_path) -> dict[str, set[str]]:
    app = create_app(LMSConfig(db_path=str(tmp_path / "lms.db")))
    try:
        out: dict[str, set[str]] = {}
        for rule in app.url_map.iter_rules():
            out.setdefault(openapi_path(rule.rule), set()).update(rule.methods or ())
        return out
    finally:
        app.extensions["weare"].close()


def described(doc: dict) -> dict[str, set[str]]:
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return {path: {m.upper() for m in item if m in methods} for path, item in doc["paths"].items()}


def test_the_document_is_valid_openapi_3_1():
    doc = document()
    assert doc["openapi"].startswith("3.1.")
    validate(doc)  # raises with the offending place


def test_the_validator_refuses_a_broken_document():
    """The validation above can fail: a response without a description is not OpenAPI."""
    doc = document()
    del doc["paths"]["/api/health"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(doc)


def test_every_route_is_described_and_every_description_is_routed(tmp_path, lms):
    """A method routed only to refuse it (xAPI-C §3.2: 405 naming the methods allowed) is not an
    operation: it stays out of the description, and the live server answers it 405 with an
    Allow header."""
    routes = routed(tmp_path)
    doc = described(document())
    assert sorted(set(routes) - set(doc)) == [], "routes missing from data/openapi.json"
    assert sorted(set(doc) - set(routes)) == [], "described paths no route serves"
    for path, methods in routes.items():
        extra = doc[path] - methods
        assert not extra, f"{path}: methods described but not routed: {sorted(extra)}"
        url = lms.base_url + re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], "x"), path)
        for method in sorted(methods - AUTOMATIC - doc[path]):
            answer = requests.request(method, url, auth=lms.api_key, headers=VERSION, timeout=10)
            assert answer.status_code == 405, f"{method} {path} is routed but not described"
            assert answer.headers.get("Allow"), f"{method} {path}: 405 without Allow"


def test_the_route_comparison_sees_a_new_route(tmp_path):
    """The comparison above fails when a route appears that the document does not describe."""
    routes = routed(tmp_path)
    routes["/api/brand-new"] = {"GET"}
    assert set(routes) - set(described(document())) == {"/api/brand-new"}
    assert openapi_path("/x/<int:number>/<path:path>/<name>") == "/x/{number}/{path}/{name}"


def test_the_statement_schema_is_the_one_the_lrs_validates_with():
    doc = document()
    source = json.loads(
        resources.files("fake_lms").joinpath("schemas/statement.json").read_text("utf-8")
    )
    embedded = doc["components"]["schemas"]["Statement"]
    assert set(embedded["$defs"]) == set(source["$defs"])
    assert embedded["properties"].keys() == source["properties"].keys()
    # The same schema, but for the rules the LRS checks in code: an Agent and a Group's member
    # have one identifier, a Group at most one and, without one, lists its members.
    defs = embedded["$defs"]
    assert defs["agent"].pop("oneOf") == defs["member"].pop("oneOf") == one_identifier()
    for name in ("group", "team"):
        assert defs[name].pop("oneOf") == [*one_identifier(), LISTS_MEMBERS]
    # ... and the rules of data/statement_code_rules.json (none of those nodes has an allOf).
    for name, extra in code_rules().items():
        assert (embedded if name == "#" else defs[name]).pop("allOf") == extra
    assert embedded == embedded_schema("schemas/statement.json")
    text = json.dumps(embedded)
    assert '"#/$defs/' not in text and "$id" not in embedded
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    for target in refs:
        node = doc
        for step in target.removeprefix("#/").split("/"):
            assert step in node, f"$ref {target} does not resolve"
            node = node[step]


def test_a_wrong_data_file_is_refused_on_load(monkeypatch):
    from fake_lms import openapi

    monkeypatch.setattr(openapi, "_read", lambda _relative: {"openapi": "3.0.3", "paths": {}})
    openapi._document.cache_clear()
    try:
        with pytest.raises(OpenAPIDataError, match=r"3\.1"):
            openapi.document()
    finally:
        monkeypatch.undo()
        openapi._document.cache_clear()


def test_served_at_api_openapi_json_without_credentials(lms):
    answer = requests.get(f"{lms.base_url}/api/openapi.json", timeout=10)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == document()
    # the rest of the admin API still needs the key
    assert requests.get(f"{lms.base_url}/api/mounts", timeout=10).status_code == 401


def test_refusals_match_the_documented_error_body(lms):
    """A 4xx from each family of routes has the Error schema's required fields."""
    doc = document()
    required = set(doc["components"]["schemas"]["Error"]["required"])
    answers = [
        requests.get(f"{lms.base_url}/xapi/default/statements", timeout=10),  # no version
        lms.client().get(f"{lms.endpoint()}statements", params={"limit": "x"}, timeout=10),
        lms.admin("GET", "/mounts/nope/journal"),
        requests.get(f"{lms.content_url}/content/x/y", timeout=10),
        requests.get(f"{lms.base_url}/fetch", timeout=10),
    ]
    for answer in answers:
        assert 400 <= answer.status_code < 500, answer.text[:200]
        assert required <= set(answer.json()), answer.text[:200]


def test_enumerations_follow_the_code():
    """Mount modes and xAPI versions are listed where the code defines them; a new one fails here."""
    from fake_lms.config import MODES, XAPI_VERSIONS
    from fake_lms.xapi.protocol import SUPPORTED_VERSIONS

    doc = document()
    schemas = doc["components"]["schemas"]
    for name in ("Mount", "MountCreate", "MountUpdate"):
        enum = set(schemas[name]["properties"]["mode"]["enum"])
        assert enum == set(MODES), f"{name}.mode in fake_lms/data/openapi.json: {enum} != {MODES}"
        mount_version = set(schemas[name]["properties"]["xapi_version"]["enum"])
        assert mount_version == set(XAPI_VERSIONS), f"{name}.xapi_version: {mount_version}"
    version = doc["components"]["parameters"]["XapiVersion"]["schema"]["examples"]
    assert version == list(SUPPORTED_VERSIONS)


def test_every_operation_documents_what_any_request_may_be_answered():
    """408, 413, 414 and 431 can answer any request (server limits); 507 any write."""
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"408", "413", "414", "431"} <= codes, f"{method} {path}: {sorted(codes)}"
            if method in ("put", "post", "delete", "patch"):
                assert "507" in codes, f"{method} {path}"


def test_the_description_is_as_strict_as_the_server_where_schemathesis_found_it_loose():
    """Schema-valid requests the server refused: `limit=0` (and above 5000) on the admin pages,
    agent `{}` (no identifier), and PATCH of a mount without a body, which the server accepts."""
    from jsonschema import Draft202012Validator

    doc = document()
    for path in ("/api/mounts/{name}/journal", "/api/mounts/{name}/statements"):
        (limit,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "limit"]
        pattern = re.compile(limit["schema"]["pattern"])
        assert [v for v in ("1", "500", "5000", "0005") if not pattern.search(v)] == []
        assert [v for v in ("0", "00", "5001", "9999") if pattern.search(v)] == []
    agent = Draft202012Validator(
        {"$ref": "#/components/schemas/Statement/$defs/agent", "components": doc["components"]}
    )
    assert not agent.is_valid({})
    assert not agent.is_valid({"mbox": "mailto:a@b.c", "openid": "https://id.example.com/a"})
    assert agent.is_valid({"mbox": "mailto:a@b.c"})
    assert doc["paths"]["/api/mounts/{name}"]["patch"]["requestBody"]["required"] is False


def _schema(doc: dict, name: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    )


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/xapi/default/statements", "GET, HEAD, POST, PUT, OPTIONS"),
        ("/xapi/default/activities/state", "GET, HEAD, POST, PUT, DELETE, OPTIONS"),
        ("/xapi/default/agents/profile", "GET, HEAD, POST, PUT, DELETE, OPTIONS"),
        ("/xapi/default/activities/profile", "GET, HEAD, POST, PUT, DELETE, OPTIONS"),
        ("/xapi/default/agents", "GET, HEAD, OPTIONS"),
        ("/xapi/default/activities", "GET, HEAD, OPTIONS"),
        ("/xapi/default/about", "GET, HEAD, OPTIONS"),
        ("/fetch", "POST, OPTIONS"),
        ("/fetch/x", "POST, OPTIONS"),
    ],
)
def test_options_lists_exactly_the_methods_of_the_resource(lms, path, methods):
    """Found by Schemathesis (allow_header_conformance): every preflight listed all six methods."""
    answer = requests.options(lms.base_url + path, timeout=10)
    assert answer.status_code == 204
    assert answer.headers["Allow"] == methods
    assert answer.headers["Access-Control-Allow-Methods"] == methods
    doc_path = "/fetch/{fetch_id}" if path == "/fetch/x" else path.replace("/default/", "/{mount}/")
    documented = described(document())[doc_path]
    assert set(methods.split(", ")) == documented


def test_the_year_0000_is_a_since_and_until_the_lrs_takes(lms):
    """`since`/`until` are ISO 8601 instants of real dates (the document's Instant); 0000 is one
    (1 BC) that no Python datetime holds: it comes before every stored statement."""
    client = lms.client()
    assert (
        client.post(lms.endpoint() + "statements", json=statement(), timeout=10).status_code == 200
    )
    zero = "0000-02-29T00:00:00Z"
    after = client.get(lms.endpoint() + "statements", params={"since": zero}, timeout=10)
    assert after.status_code == 200, after.text
    assert len(after.json()["statements"]) == 1
    before = client.get(lms.endpoint() + "statements", params={"until": zero}, timeout=10)
    assert before.status_code == 200 and before.json()["statements"] == []
    profiles = client.get(
        lms.endpoint() + "agents/profile",
        params={"agent": json.dumps(ACTOR), "since": zero},
        timeout=10,
    )
    assert profiles.status_code == 200 and profiles.json() == []
    for bad in ("2015-02-30T00:00:00Z", "0000-02-30T00:00:00Z"):
        answer = client.get(lms.endpoint() + "statements", params={"since": bad}, timeout=10)
        assert answer.status_code == 400, bad
    instant = _schema(document(), "Instant")
    assert instant.is_valid(zero) and not instant.is_valid("2015-02-30")


def test_the_quirk_names_of_the_document_are_those_of_the_data():
    from fake_lms.quirks import catalogue

    doc = document()
    assert doc["components"]["schemas"]["QuirkName"]["enum"] == sorted(catalogue())
    for name in ("MountCreate", "MountUpdate"):
        items = doc["components"]["schemas"][name]["properties"]["quirks"]["items"]
        assert items == {"$ref": "#/components/schemas/QuirkName"}


MOUNT_BODIES = [
    ({"name": "ok-1"}, True),
    ({"name": ""}, False),
    ({"name": "Upper"}, False),
    ({"name": "ok-2", "username": "u", "secret": "s"}, True),
    ({"name": "ok-3", "username": "u"}, False),
    ({"name": "ok-4", "secret": "s"}, False),
    ({"name": "ok-5", "username": "", "secret": "s"}, False),
    ({"name": "ok-6", "quirks": ["no-such-quirk"]}, False),
    ({"name": "ok-7", "quirks": ["xapi-2-only"], "xapi_version": "1.0.3"}, False),
    ({"name": "ok-8", "quirks": ["xapi-2-only"], "xapi_version": "2.0.0"}, True),
    ({"name": "ok-9", "also_opens": [""]}, False),
]


@pytest.mark.parametrize(("body", "valid"), MOUNT_BODIES)
def test_mount_bodies_the_document_allows_are_those_the_server_takes(lms, body, valid):
    assert _schema(document(), "MountCreate").is_valid(body) is valid
    answer = lms.admin("POST", "/mounts", json=body)
    assert (answer.status_code == 201) is valid, answer.text


LAUNCH_BODIES = [
    ({}, False),
    ({"au_id": ""}, False),
    ({"au_url": "javascript:alert(1)"}, False),
    ({"au_url": "https://au.example.com/a", "no_such_field": 1}, False),
    ({"au_url": "https://au.example.com/a"}, True),
]


@pytest.mark.parametrize(("body", "valid"), LAUNCH_BODIES)
def test_launch_bodies_the_document_allows_are_those_the_server_takes(lms, body, valid):
    assert _schema(document(), "LaunchRequest").is_valid(body) is valid
    answer = lms.admin("POST", "/launches", json=body)
    assert (answer.status_code == 201) is valid, answer.text


def test_an_au_publisher_id_is_an_iri_or_empty_in_the_document_too(lms):
    au = _schema(document(), "AUCreate")
    url = "https://au.example.com/a"
    assert au.is_valid({"url": url, "publisher_id": ""})
    assert au.is_valid({"url": url, "publisher_id": "https://id.example.com/au"})
    assert not au.is_valid({"url": url, "publisher_id": "not an iri"})
    answer = lms.admin("POST", "/aus", json={"url": url, "publisher_id": "not-an-iri"})
    assert answer.status_code == 400


def test_groups_and_members_are_identified_as_the_lrs_checks_them():
    """A Group has at most one IFI and, without one, lists members; a member has exactly one."""
    doc = document()
    group = _schema(doc, "Statement/$defs/group")
    mbox, openid = {"mbox": "mailto:a@b.c"}, {"openid": "https://id.example.com/a"}
    assert group.is_valid({"objectType": "Group", **mbox})
    assert not group.is_valid({"objectType": "Group", **mbox, **openid})
    assert not group.is_valid({"objectType": "Group"})
    assert not group.is_valid({"objectType": "Group", "member": []})
    assert group.is_valid({"objectType": "Group", "member": [mbox]})
    assert not group.is_valid({"objectType": "Group", "member": [{}]})


def test_statement_query_parameters_kept_apart_are_refused_together(lms):
    """`x-weare-exclusive` names what may come with statementId, voidedStatementId and more: the
    server refuses anything else with them (xAPI-C §2.1.3), and takes what it lists."""
    op = document()["paths"]["/xapi/{mount}/statements"]["get"]
    exclusive = op["x-weare-exclusive"]["parameters"]
    assert (
        exclusive
        == document()["paths"]["/xapi/{mount}/statements"]["head"]["x-weare-exclusive"][
            "parameters"
        ]
    )
    values = {"statementId": str(uuid.uuid4()), "voidedStatementId": str(uuid.uuid4()), "more": "x"}
    values |= {
        "format": "ids",
        "attachments": "false",
        "verb": "https://v.example.com/v",
        "limit": "1",
    }
    client = lms.client()
    for name, companions in exclusive.items():
        for other in ("verb", "limit", *companions):
            answer = client.get(
                lms.endpoint() + "statements",
                params={name: values[name], other: values[other]},
                timeout=10,
            )
            refused = "unknown parameter" in answer.text or "not allowed with" in answer.text
            assert refused is (other not in companions), (name, other, answer.text[:200])
    issued = [p["name"] for p in op["parameters"] if p.get("x-weare-issued")]
    assert issued == ["more"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/mounts/{name}/journal",
        "/api/mounts/{name}/journal.ndjson",
        "/api/mounts/{name}/statements",
    ],
)
def test_journal_queries_ignore_what_the_document_says_they_ignore(lms, path):
    """The admin journal pages ignore query parameters they do not list; the document says so."""
    op = document()["paths"][path]["get"]
    assert op["x-weare-other-query"] == "ignored" and "ignored" in op["description"]
    url = path.replace("{name}", "default")
    plain = lms.admin("GET", url.removeprefix("/api"))
    extra = lms.admin("GET", url.removeprefix("/api"), params={"cursor": "x", "Limit": "0"})
    assert plain.status_code == extra.status_code == 200 and plain.text == extra.text


def test_document_writes_document_the_412_of_their_preconditions():
    """If-Match / If-None-Match that the stored document does not meet: 412 (xAPI-C §3.1)."""
    paths = document()["paths"]
    for path in ("activities/state", "agents/profile", "activities/profile"):
        for method in ("put", "post", "delete"):
            assert "412" in paths[f"/xapi/{{mount}}/{path}"][method]["responses"], (path, method)
