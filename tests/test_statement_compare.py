"""The Statement Comparison Requirements, as a function and where the LRS applies them.

xAPI 1.0.3 Data §2.3.1 (Statement Comparison Requirements): "Differences which could have been
caused by exceptions to Statement immutability MUST be ignored. Differences relating to a different
serialization of any properties not listed as exceptions MUST not be ignored."

Where they apply: statement id reuse (xAPI-C §2.1.1: "If the LRS receives a Statement with an id it
already has a Statement for, it SHOULD verify the received Statement matches the existing one and
SHOULD return 409 Conflict if they do not match"; "Whether it responds with 409 Conflict or 204 No
Content, it MUST NOT modify the Statement") and signed statements (xAPI-D §2.6: "Validate that the
original Statement is logically equivalent to the received Statement").

The rules are the same in 1.0.3 and 2.0.0 except for the weight of the duration rule (1.0.3 §4.6:
"When comparing Durations, any precision beyond 0.01 second precision SHOULD* NOT be included in the
comparison"; 2.0: "When comparing Durations (or Statements containing them), any precision beyond
0.01 second precision shall not be included in the comparison"), so every HTTP case runs with both
version headers.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

import pytest

from fake_lms.xapi.compare import SECTION, Difference, first_difference, same_statement
from fake_lms.xapi.multipart import build_multipart
from tests.test_statements import _signed

VERSIONS = ("1.0.3", "2.0.0")


def base() -> dict[str, Any]:
    """A statement using every property the comparison treats specially."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {
            "objectType": "Activity",
            "id": "https://weare.example.com/stories/42",
            "definition": {
                "name": {"en-US": "Story 42"},
                "type": "http://adlnet.gov/expapi/activities/lesson",
            },
        },
        "result": {"score": {"raw": 85, "min": 0, "max": 100}, "duration": "PT0.12S"},
        "context": {
            "registration": "760e3480-ba55-4991-94b0-01820dbd23a2",
            "contextActivities": {
                "parent": [
                    {
                        "id": "https://weare.example.com/courses/1",
                        "definition": {"name": {"en": "Course"}},
                    }
                ]
            },
        },
        "timestamp": "2024-06-05T13:05:36.253Z",
    }


GROUP = {
    "objectType": "Group",
    "name": "Team",
    "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}],
}
CY = {"mbox": "mailto:cy@example.com"}
ANN = {"name": "Ann", "mbox": "mailto:a@example.com"}
ANN_REORDERED = {"mbox": "mailto:a@example.com", "name": "Ann"}
OTHER_MEMBER = {**GROUP, "member": [GROUP["member"][0], CY]}  # b replaced by cy: sorts last
AGENT_OBJECT = {"objectType": "Agent", "mbox": "mailto:dee@example.com"}
STATEMENT_REF = {"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"}
COURSE_1 = "https://weare.example.com/courses/1"
COURSE_2 = "https://weare.example.com/courses/2"
COURSE_3 = "https://weare.example.com/courses/3"
ANSWER = "https://weare.example.com/xapi/extensions/answer"
CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": {"objectType": "Agent", "mbox": "mailto:dee@example.com"},
    "relevantTypes": ["https://weare.example.com/types/coach"],
}
CONTEXT_GROUP = {"objectType": "contextGroup", "group": GROUP}


def edit(stmt: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with the value at a dotted path replaced (`...` deletes it)."""
    out = copy.deepcopy(stmt)
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return out


def _with_agent(item: dict[str, Any], address: str) -> dict[str, Any]:
    """A contextAgent whose agent has another email address."""
    return {**item, "agent": {**item["agent"], "mbox": f"mailto:{address}"}}


def _versions(stmt: dict[str, Any]) -> tuple[str, ...]:
    """The versions a statement can be sent in: contextAgents and contextGroups are 2.0 only."""
    context = stmt.get("context", {})
    return ("2.0.0",) if {"contextAgents", "contextGroups"} & set(context) else VERSIONS


def _reordered(stmt: dict[str, Any]) -> dict[str, Any]:
    """The same JSON with every object's members in reverse order."""
    if isinstance(stmt, dict):
        return {k: _reordered(stmt[k]) for k in reversed(list(stmt))}
    if isinstance(stmt, list):
        return [_reordered(v) for v in stmt]
    return stmt


# (name, rule quoted, first statement -> second statement); the two must match.
EQUIVALENT = [
    (
        "timestamp-same-instant-other-zone",
        "§2.3.1 b4: timestamp and stored can be returned in a different timezone so long as the "
        "point in time referenced is not affected",
        lambda s: (
            edit(s, "timestamp", "2024-06-05T13:05:36.253Z"),
            edit(s, "timestamp", "2024-06-05T15:35:36.253+02:30"),
        ),
    ),
    (
        "timestamp-beyond-milliseconds",
        "§4.5 b7: a Timestamp MAY be truncated or rounded to a precision of at least 3 decimal digits",
        lambda s: (
            edit(s, "timestamp", "2024-06-05T13:05:36.253062Z"),
            edit(s, "timestamp", "2024-06-05T13:05:36.253Z"),
        ),
    ),
    (
        "timestamp-assigned-by-the-lrs",
        "§2.3.1 b1: potential or required assignments of properties during LRS processing "
        "(id, authority, stored, timestamp, version)",
        lambda s: (edit(s, "timestamp", ...), s),
    ),
    (
        "mbox-domain-case",
        "§2.3.1 b7: the domain portion of an e-mail address is case insensitive",
        lambda s: (s, edit(s, "actor.mbox", "mailto:ann@EXAMPLE.Com")),
    ),
    (
        "verb-display-other",
        "§2.3.1 b3: the display property of the Verb is not considered part of the Statement itself",
        lambda s: (s, edit(s, "verb.display", {"fr-FR": "a terminé"})),
    ),
    (
        "verb-display-absent",
        "§2.3.1 b3: the display property of the Verb is not considered part of the Statement itself",
        lambda s: (s, edit(s, "verb.display", ...)),
    ),
    (
        "activity-definition-other",
        "§2.3.1 b2: the content of Activity Definitions is not considered part of the Statement",
        lambda s: (s, edit(s, "object.definition", {"name": {"en-US": "Renamed"}})),
    ),
    (
        "activity-definition-absent",
        "§2.3.1 b2: the content of Activity Definitions is not considered part of the Statement",
        lambda s: (s, edit(s, "object.definition", ...)),
    ),
    (
        "context-activity-definition-other",
        "§2.3.1 b2: Activity Definitions referenced by a Statement",
        lambda s: (
            s,
            edit(
                s,
                "context.contextActivities.parent",
                [{"id": "https://weare.example.com/courses/1"}],
            ),
        ),
    ),
    (
        "duration-beyond-hundredths",
        "§4.6 b5 (1.0.3 SHOULD*, 2.0 shall): precision beyond 0.01 second is not included",
        lambda s: (edit(s, "result.duration", "PT0.1237S"), edit(s, "result.duration", "PT0.12S")),
    ),
    (
        "duration-beyond-hundredths-both-sides",
        "§4.6 b5: precision beyond 0.01 second is not included",
        lambda s: (
            edit(s, "result.duration", "P1DT12H36M0.1237S"),
            edit(s, "result.duration", "P1DT12H36M0.1299S"),
        ),
    ),
    (
        "key-order",
        "§2.3.1 s9 b2 speaks of properties; JSON object members are unordered (RFC 8259 §4)",
        lambda s: (s, _reordered(s)),
    ),
    (
        "group-member-order",
        "§2.3.1 b5: the list of Agents in a Group is not considered to be an ordered list",
        lambda s: (
            edit(s, "actor", GROUP),
            edit(s, "actor", {**GROUP, "member": list(reversed(GROUP["member"]))}),
        ),
    ),
    (
        "uuid-case",
        "§2.3.1 b7: some properties are case insensitive (RFC 4122 §3: UUIDs are case insensitive on input)",
        lambda s: (s, edit(s, "context.registration", s["context"]["registration"].upper())),
    ),
    (
        "object-type-default-spelled-out",
        "xAPI-D §2.4.4: objectType of an Activity object is optional and defaults to Activity",
        lambda s: (s, edit(s, "object.objectType", ...)),
    ),
    (
        "context-activity-single-object",
        "xAPI-D §2.4.6.2: a single Activity object is the same as an array holding it",
        lambda s: (
            s,
            edit(
                s, "context.contextActivities.parent", {"id": "https://weare.example.com/courses/1"}
            ),
        ),
    ),
    (
        "attachments-other",
        "§2.3.1 b6: Attachments are not part of Statements",
        lambda s: (
            s,
            edit(
                s,
                "attachments",
                [
                    {
                        "usageType": "http://example.com/usage/certificate",
                        "display": {"en-US": "Certificate"},
                        "contentType": "application/pdf",
                        "length": 4,
                        "sha2": hashlib.sha256(b"cert").hexdigest(),
                        "fileUrl": "https://example.com/cert.pdf",
                    }
                ],
            ),
        ),
    ),
    (
        "timestamp-rounded-to-milliseconds",
        "§4.5 b7: a Timestamp MAY be truncated or rounded to a precision of at least 3 decimal digits",
        lambda s: (
            edit(s, "timestamp", "2024-06-05T13:05:36.2536Z"),
            edit(s, "timestamp", "2024-06-05T13:05:36.254Z"),
        ),
    ),
    (
        "timestamp-rounded-half-up",
        "§4.5 b7: rounded to 3 decimal digits, .2535 is .254",
        lambda s: (
            edit(s, "timestamp", "2024-06-05T13:05:36.2535Z"),
            edit(s, "timestamp", "2024-06-05T15:35:36.254+02:30"),
        ),
    ),
    (
        "timestamp-rounded-before-1970",
        "§4.5 b7: rounding and truncation hold for any instant, 1969 included",
        lambda s: (
            edit(s, "timestamp", "1969-12-31T23:59:59.9996Z"),
            edit(s, "timestamp", "1970-01-01T00:00:00.000Z"),
        ),
    ),
    (
        "duration-same-number-other-digits",
        "§4.6: PT1.5S and PT1.50S are one duration; each unit is a number, seconds to 0.01 s",
        lambda s: (edit(s, "result.duration", "PT1.5S"), edit(s, "result.duration", "PT1.50S")),
    ),
    (
        "duration-decimal-comma",
        "§4.6: ISO 8601:2004 §4.4.3.2 durations; a comma or a full stop marks the fraction",
        lambda s: (edit(s, "result.duration", "PT1,5S"), edit(s, "result.duration", "PT1.5S")),
    ),
    (
        "duration-zero-unit-spelled-out",
        "§4.6: PT1M and PT1M0.00S are one duration (no unit converted, §2.3.1 b8)",
        lambda s: (edit(s, "result.duration", "PT1M"), edit(s, "result.duration", "PT1M0.00S")),
    ),
    (
        "duration-every-unit-other-digits",
        "§4.6: each unit of a duration compares as a number",
        lambda s: (
            edit(s, "result.duration", "P1Y2M3DT4H5M6.5S"),
            edit(s, "result.duration", "P01Y02M03DT04H05M06.509S"),
        ),
    ),
    (
        "duration-fraction-of-the-last-unit",
        "§4.6: a fraction of the last unit given compares as a number",
        lambda s: (edit(s, "result.duration", "PT1.5H"), edit(s, "result.duration", "PT1.50H")),
    ),
    (
        "statement-ref-id-case",
        "§2.3.1 b7: UUIDs are case insensitive (RFC 4122 §3)",
        lambda s: (
            edit(s, "object", STATEMENT_REF),
            edit(s, "object", {**STATEMENT_REF, "id": STATEMENT_REF["id"].upper()}),
        ),
    ),
    (
        "object-agent-mbox-domain-case",
        "§2.3.1 b7: the domain portion of an e-mail address is case insensitive",
        lambda s: (
            edit(s, "object", AGENT_OBJECT),
            edit(s, "object", {**AGENT_OBJECT, "mbox": "mailto:dee@Example.COM"}),
        ),
    ),
    (
        "object-group-member-order",
        "§2.3.1 b5: the list of Agents in a Group is not considered to be an ordered list",
        lambda s: (
            edit(s, "object", GROUP),
            edit(s, "object", {**GROUP, "member": list(reversed(GROUP["member"]))}),
        ),
    ),
    (
        "context-team-member-order",
        "§2.3.1 b5: the list of Agents in a Group is not considered to be an ordered list",
        lambda s: (
            edit(s, "context.team", GROUP),
            edit(s, "context.team", {**GROUP, "member": list(reversed(GROUP["member"]))}),
        ),
    ),
    (
        "context-instructor-default-object-type",
        "xAPI-D §2.4.2.1: an Agent's objectType is optional; §2.3.1 b7: email domain case",
        lambda s: (
            edit(s, "context.instructor", AGENT_OBJECT),
            edit(s, "context.instructor", {"mbox": "mailto:dee@EXAMPLE.com"}),
        ),
    ),
    (
        "timestamp-truncated-to-milliseconds",
        "§4.5 b7: a Timestamp MAY be truncated to 3 decimal digits (.2536 is .253 truncated)",
        lambda s: (
            edit(s, "timestamp", "2024-06-05T13:05:36.2536Z"),
            edit(s, "timestamp", "2024-06-05T13:05:36.253Z"),
        ),
    ),
    (
        "duration-whole-seconds",
        "§4.6: PT5S and PT5.0S are one duration",
        lambda s: (edit(s, "result.duration", "PT5S"), edit(s, "result.duration", "PT5.0S")),
    ),
    (
        "duration-decimal-comma-in-hours",
        "§4.6: ISO 8601:2004 §4.4.3.2; a comma marks the fraction of any last unit",
        lambda s: (edit(s, "result.duration", "PT1,5H"), edit(s, "result.duration", "PT1.5H")),
    ),
    (
        "result-without-duration",
        "the Result compares property by property; a duration is one of them, not a must",
        lambda s: (edit(s, "result", {"success": True}), edit(s, "result", {"success": True})),
    ),
    (
        "actor-object-type-default",
        "xAPI-D §2.4.2.1: an Agent's objectType is optional (Agent when left out)",
        lambda s: (s, edit(s, "actor", {k: v for k, v in s["actor"].items() if k != "objectType"})),
    ),
    (
        "group-member-object-type-default",
        "xAPI-D §2.4.2.1: a member Agent's objectType is optional (Agent when left out)",
        lambda s: (
            edit(s, "actor", GROUP),
            edit(
                s,
                "actor",
                {**GROUP, "member": [{"objectType": "Agent", **m} for m in GROUP["member"]]},
            ),
        ),
    ),
    (
        "group-members-reordered-with-their-keys",
        "§2.3.1 b5: members in any order; RFC 8259 §4: their keys in any order",
        lambda s: (
            edit(s, "actor", {**GROUP, "member": [{"mbox": CY["mbox"], "name": "Cy"}, ANN]}),
            edit(s, "actor", {**GROUP, "member": [ANN_REORDERED, {"name": "Cy", **CY}]}),
        ),
    ),
    (
        "language-tag-case",
        "§2.3.1 b7: some properties are case insensitive (RFC 5646 §2.1.1: language tags)",
        lambda s: (edit(s, "context.language", "en-US"), edit(s, "context.language", "EN-us")),
    ),
    (
        "context-statement-ref-id-case",
        "§2.3.1 b7: UUIDs are case insensitive (RFC 4122 §3)",
        lambda s: (
            edit(s, "context.statement", STATEMENT_REF),
            edit(s, "context.statement", {**STATEMENT_REF, "id": STATEMENT_REF["id"].upper()}),
        ),
    ),
    (
        "context-agent-mbox-domain-case-2.0",
        "§2.3.1 b7: the domain portion of an e-mail address is case insensitive (2.0 contextAgents)",
        lambda s: (
            edit(s, "context.contextAgents", [CONTEXT_AGENT]),
            edit(s, "context.contextAgents", [_with_agent(CONTEXT_AGENT, "dee@EXAMPLE.com")]),
        ),
    ),
    (
        "context-agent-object-type-default-2.0",
        "xAPI-D §2.4.2.1: an Agent's objectType is optional (2.0 contextAgents)",
        lambda s: (
            edit(s, "context.contextAgents", [CONTEXT_AGENT]),
            edit(
                s,
                "context.contextAgents",
                [{**CONTEXT_AGENT, "agent": {"mbox": CONTEXT_AGENT["agent"]["mbox"]}}],
            ),
        ),
    ),
    (
        "context-group-member-order-2.0",
        "§2.3.1 b5: the list of Agents in a Group is not ordered (2.0 contextGroups)",
        lambda s: (
            edit(s, "context.contextGroups", [CONTEXT_GROUP]),
            edit(
                s,
                "context.contextGroups",
                [{**CONTEXT_GROUP, "group": {**GROUP, "member": GROUP["member"][::-1]}}],
            ),
        ),
    ),
]

# (name, rule quoted, first -> second, path of the first difference); these must not match (409).
DIFFERENT = [
    (
        "verb-id",
        "the Verb id is the action (not an exception)",
        lambda s: (s, edit(s, "verb.id", "http://adlnet.gov/expapi/verbs/failed")),
        "$.verb.id",
    ),
    (
        "actor-other",
        "the Actor is not an exception",
        lambda s: (s, edit(s, "actor.mbox", "mailto:bob@example.com")),
        "$.actor.mbox",
    ),
    (
        "mbox-local-part-case",
        "§2.3.1 b7 names only the domain portion of an email address as case insensitive",
        lambda s: (s, edit(s, "actor.mbox", "mailto:ANN@example.com")),
        "$.actor.mbox",
    ),
    (
        "mbox-local-part-first-letter-case",
        "§2.3.1 b7 names only the domain portion of an email address as case insensitive",
        lambda s: (s, edit(s, "actor.mbox", "mailto:Ann@example.com")),
        "$.actor.mbox",
    ),
    (
        "actor-agent-is-not-a-group",
        "xAPI-D §2.4.2: an Agent and an identified Group are different actors",
        lambda s: (s, edit(s, "actor", {**s["actor"], "objectType": "Group"})),
        "$.actor.objectType",
    ),
    (
        "object-agent-is-not-a-group",
        "xAPI-D §2.4.4.2: an Agent and an identified Group are different objects",
        lambda s: (
            edit(s, "object", AGENT_OBJECT),
            edit(s, "object", {**AGENT_OBJECT, "objectType": "Group"}),
        ),
        "$.object.objectType",
    ),
    (
        "version-before-a-difference",
        "§2.3.1 b1 ignores the version, not what comes after it",
        lambda s: (
            {"version": "1.0.0", **s},
            {"version": "1.0.0", **edit(s, "verb.id", "http://adlnet.gov/expapi/verbs/failed")},
        ),
        "$.verb.id",
    ),
    (
        "agent-name",
        "an Agent's name is not an exception",
        lambda s: (s, edit(s, "actor.name", "Anne")),
        "$.actor.name",
    ),
    (
        "group-member-other",
        "§2.3.1 b5 ignores the order of a Group's members, not who they are",
        lambda s: (edit(s, "actor", GROUP), edit(s, "actor", OTHER_MEMBER)),
        "$.actor.member[1].mbox",
    ),
    (
        "group-member-added",
        "§2.3.1 b5 ignores the order of a Group's members, not how many there are",
        lambda s: (
            edit(s, "actor", GROUP),
            edit(s, "actor", {**GROUP, "member": [*GROUP["member"], CY]}),
        ),
        "$.actor.member",
    ),
    (
        "object-agent-other",
        "the Object is not an exception, whatever its objectType (xAPI-D §2.4.4.2)",
        lambda s: (edit(s, "object", AGENT_OBJECT), edit(s, "object", {**AGENT_OBJECT, **CY})),
        "$.object.mbox",
    ),
    (
        "object-group-member-other",
        "§2.3.1 b5 ignores the order of a Group's members, not who they are (xAPI-D §2.4.4.2)",
        lambda s: (edit(s, "object", GROUP), edit(s, "object", OTHER_MEMBER)),
        "$.object.member[1].mbox",
    ),
    (
        "statement-ref-id",
        "a StatementRef is the statement it names (xAPI-D §2.4.4.3); its id is not an exception",
        lambda s: (
            edit(s, "object", STATEMENT_REF),
            edit(s, "object", {**STATEMENT_REF, "id": "0d4c2f52-0d7b-4ad4-9a43-cdb2ca1a9c4e"}),
        ),
        "$.object.id",
    ),
    (
        "statement-ref-is-not-an-activity",
        "the Object's objectType is not an exception (xAPI-D §2.4.4)",
        lambda s: (
            edit(s, "object", STATEMENT_REF),
            edit(s, "object", {"objectType": "Activity", "id": f"urn:uuid:{STATEMENT_REF['id']}"}),
        ),
        "$.object.objectType",
    ),
    (
        "score",
        "the Result is not an exception",
        lambda s: (s, edit(s, "result.score", {"raw": 86, "min": 0, "max": 100})),
        "$.result.score.raw",
    ),
    (
        "result-absent",
        "the Result is not an exception",
        lambda s: (s, edit(s, "result", ...)),
        "$.result",
    ),
    (
        "timestamp-other-instant",
        "§2.3.1 b4 ignores only a different serialization of the same point in time",
        lambda s: (s, edit(s, "timestamp", "2024-06-05T13:05:36.254Z")),
        "$.timestamp",
    ),
    (
        "timestamp-neither-truncated-nor-rounded",
        "§4.5 b7: .253499 truncated or rounded to 3 digits is .253, never .254",
        lambda s: (
            edit(s, "timestamp", "2024-06-05T13:05:36.253499Z"),
            edit(s, "timestamp", "2024-06-05T13:05:36.254Z"),
        ),
        "$.timestamp",
    ),
    (
        "timestamp-in-year-9999-to-the-microsecond",
        "§4.5 b7: .001001 truncated or rounded is .001, never .000, in any year (exact integers:"
        " a double holds no microsecond count of year 9999)",
        lambda s: (
            edit(s, "timestamp", "9999-12-31T23:59:59.001001Z"),
            edit(s, "timestamp", "9999-12-31T23:59:59.000Z"),
        ),
        "$.timestamp",
    ),
    (
        "timestamp-same-clock-other-zone",
        "§2.3.1 b4: the point in time referenced must not be affected",
        lambda s: (s, edit(s, "timestamp", "2024-06-05T13:05:36.253+02:00")),
        "$.timestamp",
    ),
    (
        "duration-hundredths",
        "§4.6 b5 drops only precision beyond 0.01 second",
        lambda s: (edit(s, "result.duration", "PT0.12S"), edit(s, "result.duration", "PT0.13S")),
        "$.result.duration",
    ),
    (
        "duration-truncated-not-rounded",
        "§4.6 (2.0: an LRS truncates durations to 0.01 s, never rounds): PT1.239S is PT1.23S",
        lambda s: (edit(s, "result.duration", "PT1.239S"), edit(s, "result.duration", "PT1.24S")),
        "$.result.duration",
    ),
    (
        "duration-other-units",
        "§2.3.1 b8: the Result Duration is considered a string for purposes of Statement comparison",
        lambda s: (edit(s, "result.duration", "PT60S"), edit(s, "result.duration", "PT1M")),
        "$.result.duration",
    ),
    (
        "duration-weeks-are-not-days",
        "§2.3.1 b8: an LRS cannot convert between units of time",
        lambda s: (edit(s, "result.duration", "P1W"), edit(s, "result.duration", "P7D")),
        "$.result.duration",
    ),
    *[
        (
            f"duration-{unit}-other",
            "§4.6: every unit of a duration counts, not only the seconds",
            lambda s, a=a, b=b: (edit(s, "result.duration", a), edit(s, "result.duration", b)),
            "$.result.duration",
        )
        for unit, a, b in (
            ("years", "P1Y2M3DT4H5M6.5S", "P2Y2M3DT4H5M6.5S"),
            ("months", "P1Y2M3DT4H5M6.5S", "P1Y3M3DT4H5M6.5S"),
            ("days", "P1Y2M3DT4H5M6.5S", "P1Y2M4DT4H5M6.5S"),
            ("hours", "P1Y2M3DT4H5M6.5S", "P1Y2M3DT5H5M6.5S"),
            ("minutes", "P1Y2M3DT4H5M6.5S", "P1Y2M3DT4H6M6.5S"),
            ("seconds", "P1Y2M3DT4H5M6.5S", "P1Y2M3DT4H5M7.5S"),
            ("weeks", "P2W", "P3W"),
            ("fraction-of-the-last-unit", "PT1.5H", "PT1.6H"),
        )
    ],
    (
        "activity-id",
        "the Object is not an exception",
        lambda s: (s, edit(s, "object.id", "https://weare.example.com/stories/43")),
        "$.object.id",
    ),
    (
        "activity-id-case",
        "xAPI-D §3.1: IRIs compared by RFC 3987 §5.3.1 simple string comparison; only the spec's "
        "named properties are case insensitive",
        lambda s: (s, edit(s, "object.id", "https://weare.example.com/Stories/42")),
        "$.object.id",
    ),
    (
        "context-activity-in-an-array",
        "array order and content count (only Group members are unordered, §2.3.1 b5)",
        lambda s: (s, edit(s, "context.contextActivities.parent", [{"id": COURSE_2}])),
        "$.context.contextActivities.parent[0].id",
    ),
    (
        "context-activity-second-in-an-array",
        "every element of an array counts, not only the first",
        lambda s: (
            edit(s, "context.contextActivities.parent", [{"id": COURSE_1}, {"id": COURSE_2}]),
            edit(s, "context.contextActivities.parent", [{"id": COURSE_1}, {"id": COURSE_3}]),
        ),
        "$.context.contextActivities.parent[1].id",
    ),
    (
        "context-instructor-other",
        "the Context's instructor is not an exception",
        lambda s: (edit(s, "context.instructor", AGENT_OBJECT), edit(s, "context.instructor", CY)),
        "$.context.instructor.mbox",
    ),
    (
        "context-team-member-other",
        "§2.3.1 b5 ignores the order of a team's members, not who they are",
        lambda s: (edit(s, "context.team", GROUP), edit(s, "context.team", OTHER_MEMBER)),
        "$.context.team.member[1].mbox",
    ),
    (
        "context-statement-ref-id",
        "the Context's statement is not an exception (xAPI-D §2.4.6)",
        lambda s: (
            edit(s, "context.statement", STATEMENT_REF),
            edit(
                s,
                "context.statement",
                {**STATEMENT_REF, "id": "0d4c2f52-0d7b-4ad4-9a43-cdb2ca1a9c4e"},
            ),
        ),
        "$.context.statement.id",
    ),
    (
        "extension-array-is-not-an-object",
        "an empty array and an empty object are different JSON values (RFC 8259 §4, §5)",
        lambda s: (
            edit(s, "result.extensions", {ANSWER: []}),
            edit(s, "result.extensions", {ANSWER: {}}),
        ),
        f'$.result.extensions["{ANSWER}"]',
    ),
    (
        "context-agent-other-2.0",
        "the Context's contextAgents are not an exception (2.0)",
        lambda s: (
            edit(s, "context.contextAgents", [CONTEXT_AGENT]),
            edit(s, "context.contextAgents", [_with_agent(CONTEXT_AGENT, "cy@example.com")]),
        ),
        "$.context.contextAgents[0].agent.mbox",
    ),
    (
        "context-group-member-other-2.0",
        "§2.3.1 b5 ignores the order of a Group's members, not who they are (2.0 contextGroups)",
        lambda s: (
            edit(s, "context.contextGroups", [CONTEXT_GROUP]),
            edit(s, "context.contextGroups", [{**CONTEXT_GROUP, "group": OTHER_MEMBER}]),
        ),
        "$.context.contextGroups[0].group.member[1].mbox",
    ),
    (
        "registration",
        "the Context is not an exception",
        lambda s: (s, edit(s, "context.registration", str(uuid.uuid4()))),
        "$.context.registration",
    ),
]


def _ids(rows: list) -> list[str]:
    return [row[0] for row in rows]


# --- the function ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "rule", "make"), EQUIVALENT, ids=_ids(EQUIVALENT))
def test_equivalent_statements_are_the_same(name, rule, make):
    """Each row: a difference the Statement Comparison Requirements MUST ignore (rule in the row)."""
    first, second = make(base())
    assert same_statement(first, second), (rule, first_difference(first, second))
    assert same_statement(second, first), rule


@pytest.mark.parametrize(("name", "rule", "make", "path"), DIFFERENT, ids=_ids(DIFFERENT))
def test_different_statements_differ_at_the_right_path(name, rule, make, path):
    """Each row: a difference the Statement Comparison Requirements (xAPI-D §2.3.1) MUST NOT
    ignore, found at the exact JSON path from either side."""
    first, second = make(base())
    found = first_difference(first, second)
    assert found is not None, rule
    assert found.path == path, (rule, str(found))
    assert first_difference(second, first).path == path, rule
    assert not same_statement(second, first), rule
    assert str(found).endswith(f"; {SECTION})")


def test_difference_names_the_path_both_values_and_the_rule():
    """An error that teaches: where, what was stored, what arrived, and how it was compared."""
    s = base()
    found = first_difference(
        edit(s, "result.duration", "PT0.1237S"), edit(s, "result.duration", "PT0.13S")
    )
    assert found.path == "$.result.duration"
    assert (found.first, found.second) == ("PT0.12S", "PT0.13S")
    assert "0.01 s" in str(found)


def test_id_is_compared_when_both_sides_carry_one():
    """§2.3.1 b1: the LRS assigns an id only to a statement that has none; two ids that differ
    could not have been caused by it."""
    s = base()
    assert same_statement(s, edit(s, "id", ...))
    assert same_statement(s, edit(s, "id", s["id"].upper()))
    assert not same_statement(s, edit(s, "id", str(uuid.uuid4())))


def test_lrs_owned_properties_are_ignored():
    """§2.3.1 b1: stored, authority and version are assigned by the LRS."""
    s = base()
    other = dict(
        s,
        stored="2030-01-01T00:00:00Z",
        version="1.0.0",
        authority={"objectType": "Agent", "mbox": "mailto:lrs@example.com"},
    )
    assert same_statement(s, other)


def test_substatement_parts_follow_the_same_rules():
    """The rules hold inside a SubStatement (its timestamp is the sender's, never LRS-assigned)."""
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:x@example.com"},
        "verb": {"id": "http://example.com/v", "display": {"en": "v"}},
        "object": {"id": "http://example.com/a", "definition": {"name": {"en": "a"}}},
        "timestamp": "2024-06-05T13:05:36.253Z",
    }
    s = edit(base(), "object", sub)
    same = edit(
        s,
        "object",
        {
            **sub,
            "verb": {"id": "http://example.com/v"},
            "object": {"id": "http://example.com/a"},
            "timestamp": "2024-06-05T14:05:36.253+01:00",
        },
    )
    assert same_statement(s, same)
    assert not same_statement(
        s, edit(s, "object", {k: v for k, v in sub.items() if k != "timestamp"})
    )


def test_json_true_is_not_the_number_one():
    """Different values are not made equal by the comparison (Python's True == 1)."""
    s = base()
    assert not same_statement(edit(s, "result.success", True), edit(s, "result.success", 1))


def test_a_payload_that_is_not_an_object_differs():
    """xAPI-D §2.6: a JWS payload is a statement, a JSON object; anything else is another value."""
    s = base()
    assert first_difference([], s) == Difference("$", [], s, "a statement is a JSON object")
    assert first_difference([1], "x") == Difference("$", [1], "x", "a statement is a JSON object")
    assert same_statement([1], [1])


def test_a_duration_that_is_no_iso_8601_duration_compares_as_it_is():
    """xAPI-D §4.6: only ISO 8601 durations compare as numbers; a JWS payload is not validated,
    so its result.duration may be anything, and then it is compared as the JSON value it is."""
    s = base()
    number, text = edit(s, "result.duration", 5), edit(s, "result.duration", "PT5S")
    found = first_difference(number, text)
    assert (found.path, found.first, found.second) == ("$.result.duration", 5, "PT5S")
    assert found.how.startswith("compared unit by unit as numbers, seconds to 0.01 s")
    assert first_difference(text, number).second == 5
    assert same_statement(number, copy.deepcopy(number))


def test_difference_shows_both_sides_as_compared():
    """Errors that teach (xAPI-D §2.3.1): each side of the first difference as it was compared,
    `<absent>` for a property one side lacks, and how that property is compared."""
    s = edit(base(), "actor.name", "Zoë")
    cases = [
        (
            s,
            edit(s, "result", ...),
            ("$.result", {**s["result"], "duration": "PT0.12S"}, "<absent>"),
        ),
        (edit(s, "result", ...), s, ("$.result", "<absent>", {**s["result"]})),
        (
            s,
            edit(s, "context.contextActivities.parent", []),
            (
                "$.context.contextActivities.parent",
                [{"id": COURSE_1, "objectType": "Activity"}],
                [],
            ),
        ),
        (s, edit(s, "actor.name", "Zoe"), ("$.actor.name", "Zoë", "Zoe")),
        (
            edit(s, "timestamp", "2024-06-05T15:05:36.2539+02:00"),
            edit(s, "timestamp", "2024-06-05T13:05:36.252Z"),
            ("$.timestamp", "2024-06-05T13:05:36.253Z", "2024-06-05T13:05:36.252Z"),
        ),
    ]
    for first, second, (path, shown_first, shown_second) in cases:
        found = first_difference(first, second)
        assert (found.path, found.first, found.second) == (path, shown_first, shown_second)
    found = first_difference(s, edit(s, "actor.name", "Zoe"))
    assert str(found) == (f'$.actor.name: first "Zoë", second "Zoe" ({Difference.how}; {SECTION})')
    assert found.describe("stored", "received").startswith('$.actor.name: stored "Zoë", received')
    absent = first_difference(s, edit(s, "result", ...)).describe("stored", "received")
    assert ", received <absent> (" in absent
    other_id = first_difference(s, edit(s, "id", str(uuid.uuid4())))
    assert other_id.path == "$.id"
    assert other_id.how.startswith("UUIDs compared in any case")


# --- statement id reuse over HTTP -------------------------------------------------------------


def _put(client, url: str, stmt: dict[str, Any]):
    return client.put(
        url,
        params={"statementId": stmt["id"]},
        data=json.dumps(stmt),
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize(("name", "rule", "make"), EQUIVALENT, ids=_ids(EQUIVALENT))
def test_reusing_an_id_with_an_equivalent_statement_is_accepted_and_changes_nothing(
    lms, name, rule, make
):
    """xAPI-C §2.1.1/§2.1.2: a matching statement under an id already stored is accepted (204 to
    PUT, 200 to POST) and the stored statement is not modified; both version headers (2.0 alone
    for 2.0 properties)."""
    url = lms.endpoint() + "statements"
    for version in _versions(make(base())[0]):
        client = lms.client(version=version)
        first, second = make(base())
        assert _put(client, url, first).status_code == 204
        stored = client.get(url, params={"statementId": first["id"]}).json()
        r = _put(client, url, second)
        assert r.status_code == 204, (version, rule, r.text)
        r = client.post(url, data=json.dumps(second), headers={"Content-Type": "application/json"})
        assert r.status_code == 200, (version, rule, r.text)
        assert r.json() == [first["id"]]
        assert client.get(url, params={"statementId": first["id"]}).json() == stored


@pytest.mark.parametrize(("name", "rule", "make", "path"), DIFFERENT, ids=_ids(DIFFERENT))
def test_reusing_an_id_with_a_different_statement_is_409_naming_the_difference(
    lms, name, rule, make, path
):
    """xAPI-C §2.1.1: SHOULD return 409 Conflict if they do not match, and MUST NOT modify the
    stored statement; the body names the first difference and the comparison rule."""
    url = lms.endpoint() + "statements"
    for version in _versions(make(base())[0]):
        client = lms.client(version=version)
        first, second = make(base())
        assert _put(client, url, first).status_code == 204
        stored = client.get(url, params={"statementId": first["id"]}).json()
        for r in (_put(client, url, second), client.post(url, json=[second])):
            assert r.status_code == 409, (version, rule, r.text)
            body = r.json()
            assert "different content" in body["error"]
            assert body["section"] == f"xAPI-C §2.1.1/§2.1.2 (409 Conflict); {SECTION}"
            assert body["violations"][0]["path"] == "$[0]" + path[1:]
        assert client.get(url, params={"statementId": first["id"]}).json() == stored


def test_reuse_409_path_points_at_the_difference(lms):
    """Errors that teach: the JSON path of the first difference and both values."""
    url = lms.endpoint() + "statements"
    client = lms.client()
    s = base()
    assert _put(client, url, s).status_code == 204
    r = _put(client, url, edit(s, "result.score", {"raw": 1}))
    assert r.status_code == 409
    assert r.json()["violations"][0]["path"] == "$[0].result.score.raw"
    assert "$.result.score.raw: stored 85, received 1" in r.json()["error"]


# --- signed statements -------------------------------------------------------------------------


def _post_signed(client, url: str, stmt: dict[str, Any], payload: dict[str, Any]):
    """POST stmt with a JWS signature attachment whose payload is `payload` (xAPI-D §2.6)."""
    signed, jws = _signed(stmt, payload=payload)
    body, ctype = build_multipart(
        json.dumps(signed).encode(),
        [(hashlib.sha256(jws).hexdigest(), "application/octet-stream", jws)],
    )
    return client.post(url, data=body, headers={"Content-Type": ctype})


@pytest.mark.parametrize("version", VERSIONS)
def test_signed_statement_duration_beyond_hundredths_is_accepted(lms, version):
    """Issue item 4. 2.0: "When comparing Durations (or Statements containing them), any precision
    beyond 0.01 second precision shall not be included in the comparison" (1.0.3 §4.6 b5, SHOULD*):
    PT0.1237S in the statement and PT0.12S in the JWS payload are the same statement."""
    s = edit(base(), "result.duration", "P1DT12H36M0.1237S")
    r = _post_signed(
        lms.client(version=version),
        lms.endpoint() + "statements",
        s,
        edit(s, "result.duration", "P1DT12H36M0.12S"),
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("name", "rule", "make"), EQUIVALENT, ids=_ids(EQUIVALENT))
def test_signed_statement_equivalent_to_its_payload_is_accepted(lms, name, rule, make):
    """xAPI-D §2.6: the LRS MUST "validate that the original Statement is logically equivalent to
    the received Statement" (see Statement comparison requirements)."""
    payload, received = make(base())
    received = dict(received, id=payload.get("id", received.get("id")))
    if "attachments" in received:  # the signature is the only attachment in this test
        del received["attachments"]
    client = lms.client(version=_versions(payload)[0])
    r = _post_signed(client, lms.endpoint() + "statements", received, payload)
    assert r.status_code == 200, (rule, r.text)


@pytest.mark.parametrize(("name", "rule", "make", "path"), DIFFERENT, ids=_ids(DIFFERENT))
def test_signed_statement_different_from_its_payload_is_400(lms, name, rule, make, path):
    """xAPI-D §2.6: "The LRS MUST reject requests to store Statements that contain malformed
    signatures, with 400 Bad Request"; a payload that is another statement is one."""
    payload, received = make(base())
    client = lms.client(version=_versions(payload)[0])
    r = _post_signed(client, lms.endpoint() + "statements", received, payload)
    assert r.status_code == 400, (rule, r.text)
    body = r.json()
    assert body["section"] == "xAPI-D §2.6"
    assert f"{path}: payload " in body["error"]
    assert f"; {SECTION})" in body["error"]
