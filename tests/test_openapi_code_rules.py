"""The statement rules the LRS checks in code that JSON Schema can say are in the document too:
for each, the statement that breaks it is refused by the document and by the server (naming
the rule's conformance id), and its mended twin is taken by both.

Before, the fuzz test excused every 400 of a schema-valid statement; these rules were among
those refusals (a Group authority with an identifier, `context.platform` beside a StatementRef,
`scale` without a likert interactionType, attachments without fileUrl in a JSON body, ...).
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fake_lms.openapi import document
from fake_lms.xapi.validation import is_real_instant
from tests.factories import statement

AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
OTHER = {"objectType": "Agent", "mbox": "mailto:consumer@example.com"}
REF = {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}
VOIDED = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def _definition(**definition: Any) -> dict[str, Any]:
    return statement(object={"id": "https://weare.example.com/q/1", "definition": definition})


def _attachment(**fields: Any) -> dict[str, Any]:
    return {
        "usageType": "https://weare.example.com/attachments/report",
        "display": {"en-US": "report"},
        "contentType": "text/plain",
        "length": 5,
        "sha2": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        **fields,
    }


CHOICES = [{"id": "a", "description": {"en-US": "A"}}]
# (what the rule says, the statement that breaks it, its mended twin, the section refused with)
RULES = [
    (
        "revision and platform only with an Activity object",
        statement(object=REF, context={"platform": "web"}),
        statement(context={"platform": "web"}),
        "xAPI-D §2.4.6 XAPI-00085",
    ),
    (
        "... in a SubStatement too",
        statement(
            object={
                "objectType": "SubStatement",
                "actor": AGENT,
                "verb": {"id": "https://weare.example.com/verbs/saw"},
                "object": REF,
                "context": {"revision": "2"},
            }
        ),
        statement(
            object={
                "objectType": "SubStatement",
                "actor": AGENT,
                "verb": {"id": "https://weare.example.com/verbs/saw"},
                "object": {"id": "https://weare.example.com/a"},
                "context": {"revision": "2"},
            }
        ),
        "xAPI-D §2.4.6 XAPI-00084",
    ),
    (
        "a Group authority is anonymous",
        statement(
            authority={"objectType": "Group", "mbox": "mailto:g@example.com", "member": [AGENT]}
        ),
        statement(authority=AGENT),
        "xAPI-D §2.4.9 XAPI-00098",
    ),
    (
        "a Group authority has exactly two members",
        statement(authority={"objectType": "Group", "member": [AGENT, OTHER, AGENT]}),
        statement(authority={"objectType": "Group", "member": [AGENT, OTHER]}),
        "xAPI-D §2.4.9 XAPI-00100",
    ),
    (
        "a voiding statement's object is a StatementRef",
        statement(verb=VOIDED),
        statement(verb=VOIDED, object=REF, context=None),
        "xAPI-D §2.3.2 XAPI-00017",
    ),
    (
        "correctResponsesPattern needs an interactionType",
        _definition(correctResponsesPattern=["true"]),
        _definition(correctResponsesPattern=["true"], interactionType="true-false"),
        "xAPI-D §2.4.4.1 XAPI-00064",
    ),
    (
        "choices only for choice or sequencing",
        _definition(interactionType="likert", choices=CHOICES),
        _definition(interactionType="sequencing", choices=CHOICES),
        "xAPI-D §2.4.4.1",
    ),
    (
        "scale needs an interactionType",
        _definition(scale=CHOICES),
        _definition(interactionType="likert", scale=CHOICES),
        "xAPI-D §2.4.4.1",
    ),
    (
        "a timestamp of a date that exists",
        statement(timestamp="2015-02-29T12:00:00Z"),
        statement(timestamp="2016-02-29T12:00:00Z"),
        "xAPI-D §4.5 XAPI-00022",
    ),
    (
        "an attachment of a JSON body has its fileUrl",
        statement(attachments=[_attachment()]),
        statement(attachments=[_attachment(fileUrl="https://weare.example.com/r.txt")]),
        "xAPI-D §2.4.11 (XAPI-00103)",
    ),
    (
        "a signature travels as a multipart part, never in a JSON body",
        statement(
            attachments=[
                _attachment(
                    usageType=SIGNATURE,
                    contentType="application/octet-stream",
                    fileUrl="https://weare.example.com/s.jws",
                )
            ]
        ),
        statement(
            attachments=[
                _attachment(
                    contentType="application/octet-stream",
                    fileUrl="https://weare.example.com/s.jws",
                )
            ]
        ),
        "xAPI-D §2.6",
    ),
]


def _json_body(method: str) -> Draft202012Validator:
    doc = document()
    operation = doc["paths"]["/xapi/{mount}/statements"][method]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


@pytest.mark.parametrize(("rule", "broken", "mended", "section"), RULES, ids=[r[0] for r in RULES])
def test_a_rule_checked_in_code_is_in_the_document_too(lms, rule, broken, mended, section):
    post, put = _json_body("post"), _json_body("put")
    assert not post.is_valid(broken) and not put.is_valid(broken), rule
    assert post.is_valid(mended) and put.is_valid(mended), list(post.iter_errors(mended))
    client = lms.client()
    refused = client.post(lms.endpoint() + "statements", json=broken, timeout=10)
    assert refused.status_code == 400, refused.text
    assert section in {v["section"] for v in refused.json()["violations"]}, refused.text
    taken = client.put(
        lms.endpoint() + "statements",
        params={"statementId": mended["id"]},
        json=mended,
        timeout=10,
    )
    assert taken.status_code == 204, taken.text


def test_the_timestamp_of_the_document_is_a_real_instant_exactly():
    """The document's pattern of dates that do not exist against the LRS's calendar: every day
    number of every month in leap and common years, centuries (1900 no, 2000 and 0000 yes),
    both ISO 8601 forms, and leap seconds (one ending 9999 would need a year 10000)."""
    doc = document()
    timestamp = Draft202012Validator(
        {"$ref": "#/components/schemas/Statement/$defs/timestamp", "components": doc["components"]}
    )
    years = ("0000", "0001", "0004", "0100", "0400", "1900", "2000", "2015", "2016", "9999")
    forms = ("{}-{:02d}-{:02d}T12:00:00Z", "{}{:02d}{:02d}T1200Z", "{}-{:02d}-{:02d} 23:59:60")
    differ = [
        text
        for year in years
        for month in range(1, 13)
        for day in range(1, 32)
        for form in forms
        if timestamp.is_valid(text := form.format(year, month, day)) != is_real_instant(text)
    ]
    assert differ == []
    assert not timestamp.is_valid("2015-02-29T12:00:00Z")
    assert timestamp.is_valid("2000-02-29T12:00:00Z") and not timestamp.is_valid(
        "1900-02-29T12:00Z"
    )


def test_since_takes_what_the_document_calls_an_instant(lms):
    """`since` is the document's Instant, the same timestamp: a date that does not exist is
    refused by both."""
    doc = document()
    instant = Draft202012Validator(
        {"$ref": "#/components/schemas/Instant", "components": doc["components"]}
    )
    client = lms.client()
    for value, valid in (("2016-02-29T00:00:00Z", True), ("2015-02-29T00:00:00Z", False)):
        assert instant.is_valid(value) is valid
        answer = client.get(lms.endpoint() + "statements", params={"since": value}, timeout=10)
        assert (answer.status_code == 200) is valid, answer.text
