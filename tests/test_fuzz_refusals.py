"""The fuzz test excuses a refusal of schema-valid data only for a code-only rule, both ways.

Against a live `weare-harness serve`, with Schemathesis's own cases and checks (the campaign's
`judge`): a 400 naming only rules of tests/fuzz_refusals.py is excused; one naming a rule the
document can say, or mixing both, is a finding with its curl line. Each code-only rule is shown
to be one: a statement the document takes that breaks it is refused, and the refusal names it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from fake_lms.openapi import document
from tests.factories import statement
from tests.fuzz_campaign import (
    FUZZ_MOUNT,
    MOUNT_KEY,
    Target,
    draw_case,
    judge,
    load_schema,
    operations,
    prepare,
)
from tests.fuzz_refusals import CODE_ONLY_RULES, COURSES, DOCUMENTS, PROFILES, STATEMENTS, excused
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow
POST = "POST /xapi/{mount}/statements"
VERSION = {"X-Experience-API-Version": "1.0.3"}
REF = {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
SCHEMA_EXPRESSIBLE = statement(object=REF, context={"platform": "web"})  # XAPI-00085
RAW_ABOVE_MAX = statement(result={"score": {"raw": 10, "max": 5}})  # XAPI-00082


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[Target, dict]]:
    with ServeProcess(tmp_path_factory.mktemp("refusals") / "lms.db") as serve:
        target = prepare(serve.base_url, tuple(serve.api_key.split(":", 1)))
        yield target, operations(load_schema(target))


def _statements_url(target: Target) -> str:
    return f"{target.base_url}/xapi/{FUZZ_MOUNT}/statements"


def _positive_post(ops: dict, body: Any) -> Any:
    """A case Schemathesis generated as schema-valid, carrying `body` (valid too: it stays so)."""
    case = draw_case(ops[POST])
    case.media_type = "application/json"
    case.headers = {**(case.headers or {}), **VERSION}
    case.body = body
    assert case.meta.generation.mode.is_positive, "the body does not fit the document"
    return case


def _refusal(target: Target, body: Any) -> requests.Response:
    answer = requests.post(
        _statements_url(target), json=body, headers=VERSION, auth=MOUNT_KEY, timeout=10
    )
    assert answer.status_code == 400, answer.text
    return answer


def test_a_refusal_of_a_code_only_rule_is_excused(live):
    _target, ops = live
    case = _positive_post(ops, RAW_ABOVE_MAX)
    response = case.call(auth=MOUNT_KEY, timeout=10)
    assert response.status_code == 400
    excuses: Counter = Counter()
    assert judge(case, response, MOUNT_KEY, POST, excuses) == []
    assert excuses == {"xAPI-D §2.4.5.1 XAPI-00082": 1}


def test_a_refusal_for_a_rule_the_document_can_say_is_a_finding(live):
    """A schema-valid statement answered with the 400 of a rule the document can say (here
    `context.platform` beside a StatementRef, which the document now says): not excused."""
    target, ops = live
    case = _positive_post(ops, statement())
    response = _refusal(target, SCHEMA_EXPRESSIBLE)
    findings = judge(case, response, MOUNT_KEY, POST)
    assert [f.kind for f in findings] == ["Schema-valid request rejected"], findings
    assert "no code-only rule" in findings[0].detail and "XAPI-00085" in findings[0].detail
    assert findings[0].reproducer.startswith("curl -X POST")


def test_a_refusal_naming_a_code_only_rule_and_another_is_a_finding(live):
    target, ops = live
    case = _positive_post(ops, [RAW_ABOVE_MAX])
    response = _refusal(target, [RAW_ABOVE_MAX, SCHEMA_EXPRESSIBLE])
    assert len(response.json()["violations"]) == 2
    findings = judge(case, response, MOUNT_KEY, POST)
    assert [f.kind for f in findings] == ["Schema-valid request rejected"], findings


def test_a_refusal_that_is_not_a_400_or_leaves_violations_out_is_not_excused():
    violation = {"path": "$.result.score.raw", "rule": "raw 10 is above max 5"}
    violation["section"] = "xAPI-D §2.4.5.1 XAPI-00082"
    body = {"status": 400, "violations": [violation]}
    assert excused(STATEMENTS, 400, body) is not None
    assert excused(STATEMENTS, 409, body) is None
    assert excused(COURSES, 400, body) is None  # listed for the statements only
    assert excused(STATEMENTS, 400, {**body, "violations_omitted": 3}) is None
    assert excused(STATEMENTS, 400, {**body, "violations": []}) is None
    moved = {**violation, "path": "$.result.score.min"}
    assert excused(STATEMENTS, 400, {**body, "violations": [moved]}) is None
    # found by `make fuzz`: a course's path names the uploaded file, which may hold a newline
    course = {"path": "a\nb.xml, /data, line 1", "rule": "cmi5 13.2.0.0-1: root element ..."}
    course["section"] = "cmi5 course import (13.2.0.0-1)"
    assert excused(COURSES, 400, {"status": 400, "violations": [course]}) is not None


CHOICES = [{"id": "a"}, {"id": "a"}]
SAME_ID = statement()
# A statement request the document takes that breaks each code-only rule: (section, method,
# query, version, body as sent).
BREAKS = [
    ("xAPI-C §2.1.1", "PUT", {"statementId": "0d3a2b5c-9c1e-4f6a-8b7d-2e4f6a8b0c1d"}, "1.0.3",
     statement(id="5b1f0e2a-7c3d-4e5f-9a6b-1c2d3e4f5a6b")),
    ("xAPI-C §2.1.2", "POST", {}, "1.0.3", [SAME_ID, SAME_ID]),
    ("xAPI-D §2.4.10 XAPI-00101", "POST", {}, "1.0.3", statement(version="2.0.0")),
    ("xAPI-D §4.5 XAPI-00022", "POST", {}, "1.0.3", statement(timestamp="2015-11-18 12:17:00Z")),
    ("xAPI-D §4.5 XAPI-00023", "POST", {}, "1.0.3", statement(stored="2015-11-18 12:17:00Z")),
    ("xAPI-D §2.2 XAPI-00010", "POST", {}, "1.0.3",
     statement(context={"contextAgents": [{"objectType": "contextAgent", "agent": AGENT}]})),
    ("xAPI-D §2.4.5.1 XAPI-00081", "POST", {}, "1.0.3",
     statement(result={"score": {"min": 5, "max": 1}})),
    ("xAPI-D §2.4.5.1 XAPI-00082", "POST", {}, "1.0.3", RAW_ABOVE_MAX),
    ("xAPI-D §2.4.5.1", "POST", {}, "1.0.3",
     json.dumps(statement(result={"score": {"raw": 7}})).replace('"raw": 7', '"raw": 1' + "0" * 400)),
    ("xAPI-D §2.4.4.1 XAPI-00058", "POST", {}, "1.0.3",
     statement(object={"id": "https://weare.example.com/q/1",
                       "definition": {"interactionType": "choice", "choices": CHOICES}})),
]  # fmt: skip


def _fits_the_document(method: str, body: Any) -> bool:
    doc = document()
    operation = doc["paths"][STATEMENTS][method.lower()]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    value = json.loads(body) if isinstance(body, str) else body
    return Draft202012Validator({**schema, "components": doc["components"]}).is_valid(value)


@pytest.mark.parametrize(("section", "method", "query", "version", "body"), BREAKS)
def test_each_code_only_rule_refuses_a_statement_the_document_takes(
    live, section, method, query, version, body
):
    target, _ops = live
    assert _fits_the_document(method, body)
    answer = requests.request(
        method,
        _statements_url(target),
        params=query,
        data=body if isinstance(body, str) else json.dumps(body),
        headers={"X-Experience-API-Version": version, "Content-Type": "application/json"},
        auth=MOUNT_KEY,
        timeout=10,
    )
    rules = excused(STATEMENTS, answer.status_code, answer.json())
    assert rules is not None and {r.section for r in rules} == {section}, answer.text


def test_every_statement_rule_of_the_table_is_shown_to_be_one():
    listed = {r.section for r in CODE_ONLY_RULES if r.operation == STATEMENTS}
    assert listed == {section for section, *_ in BREAKS}


def test_a_course_that_is_no_cmi5_xml_is_excused_as_its_requirement(live):
    target, _ops = live
    answer = requests.post(
        f"{target.base_url}/api/courses",
        data=b"<notes>not a course</notes>",
        headers={"Content-Type": "application/xml"},
        auth=target.api_key,
        timeout=10,
    )
    rules = excused(COURSES, answer.status_code, answer.json())
    assert rules is not None and [r.section for r in rules] == ["cmi5 course import (13.2.0.0-1)"]


@pytest.mark.parametrize("path", PROFILES)
def test_a_profile_put_without_either_precondition_header_is_excused(live, path):
    """xAPI-C §3.1: a PUT to a Profile resource carries If-Match or If-None-Match (one of two:
    no OpenAPI header parameter can require that); without either it is a 400 naming it."""
    target, _ops = live
    where = "agent=" + json.dumps(AGENT) if "agents" in path else "activityId=https://a.example/1"
    answer = requests.put(
        f"{target.base_url}{path.replace('{mount}', FUZZ_MOUNT)}?{where}&profileId=p1",
        json={"a": 1},
        headers=VERSION,
        auth=MOUNT_KEY,
        timeout=10,
    )
    rules = excused(path, answer.status_code, answer.json())
    assert rules is not None, answer.text
    assert [r.path for r in rules] == ["header:If-None-Match"]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_a_post_that_cannot_merge_into_what_is_stored_is_excused_and_only_that(live, path):
    """xAPI-C §2.2 (2.2.s8.b1): POST merges JSON objects only when a document is stored: a fact
    about the store. The same POST onto nothing stored is taken, so only the store refuses it."""
    target, _ops = live
    base = f"{target.base_url}{path.replace('{mount}', FUZZ_MOUNT)}"
    ids = {
        "/xapi/{mount}/activities/state": "activityId=https://a.example/m&stateId=s1&agent="
        + json.dumps(AGENT),
        "/xapi/{mount}/agents/profile": "profileId=m1&agent=" + json.dumps(AGENT),
        "/xapi/{mount}/activities/profile": "profileId=m1&activityId=https://a.example/m",
    }[path]
    stored = requests.put(
        f"{base}?{ids}",
        data=b"plain text",
        headers={**VERSION, "Content-Type": "text/plain", "If-None-Match": "*"},
        auth=MOUNT_KEY,
        timeout=10,
    )
    assert stored.status_code == 204, stored.text
    answer = requests.post(
        f"{base}?{ids}", json={"a": 1}, headers=VERSION, auth=MOUNT_KEY, timeout=10
    )
    rules = excused(path, answer.status_code, answer.json())
    assert rules is not None, answer.text
    assert [r.words for r in rules] == ["merges JSON objects only"]
    other = requests.post(
        f"{base}?{ids}".replace("m1", "m2").replace("/m&", "/n&"),
        json={"a": 1},
        headers=VERSION,
        auth=MOUNT_KEY,
        timeout=10,
    )
    assert other.status_code == 204, other.text
