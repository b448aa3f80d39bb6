"""The OpenAPI 3.1 description: valid, served at /api/openapi.json, and in step with the routes."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
import requests
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from fake_lms.app import create_app
from fake_lms.config import LMSConfig
from fake_lms.openapi import AGENT_IFIS, OpenAPIDataError, document, embedded_schema

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
    # The same schema, but for the one rule the LRS checks in code: an Agent has one identifier.
    agent = embedded["$defs"]["agent"]
    assert agent.pop("oneOf") == [{"required": [ifi]} for ifi in AGENT_IFIS]
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
