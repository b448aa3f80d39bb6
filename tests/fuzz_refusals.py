"""The refusals of schema-valid requests that the fuzz test excuses, each with its reason.

A request that fits the OpenAPI document may still be refused where the server checks a rule that
no JSON Schema of the request can say: one that compares two values, looks across the items of a
batch, relates the body to a header or a query parameter, or reads a body that is not JSON. Such
a 400 is excused only when its body lists its violations in full and each names a rule below:
the same `section`, a JSON `path` of the given shape and, where a section covers several rules,
the rule's words. Any other refusal of schema-valid data is a finding. A rule that JSON Schema
can say belongs in the document instead (fake_lms/data/statement_code_rules.json and
fake_lms/data/openapi.json), so it is never listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

STATEMENTS = "/xapi/{mount}/statements"
COURSES = "/api/courses"
PROFILES = ("/xapi/{mount}/agents/profile", "/xapi/{mount}/activities/profile")
DOCUMENTS = ("/xapi/{mount}/activities/state", *PROFILES)
# A statement of the body ("$" or "$[i]" in a batch), or its SubStatement ("...object").
_AT = r"\$(?:\[\d+\])?(?:\.object)?"
_DEFINITION = rf"{_AT}\.(?:object|context\.contextActivities\.\w+(?:\[\d+\])?)\.definition"
_XML = (
    "the body is a cmi5.xml or a zip holding one: its structure is the cmi5 CourseStructure.xsd"
    " and its files a zip's entries, and JSON Schema describes JSON, not XML or zip contents"
)


@dataclass(frozen=True)
class CodeOnlyRule:
    """A rule the server checks in code that no JSON Schema of the request can say."""

    operation: str  # the path of the operations it applies to
    section: str  # the `section` a violation of it names, exactly
    path: str  # the shape of the violation's JSON `path` (a regular expression, in full)
    reason: str  # why no JSON Schema of the request can say it
    words: str = ""  # a regular expression the violation's `rule` contains, where needed

    def names(self, violation: dict[str, Any]) -> bool:
        """Whether one violation of a 400 body is a refusal by this rule."""
        return (
            violation.get("section") == self.section
            and re.fullmatch(self.path, str(violation.get("path", "")), re.DOTALL) is not None
            and re.search(self.words, str(violation.get("rule", ""))) is not None
        )


def _course_rule(requirement: str) -> CodeOnlyRule:
    return CodeOnlyRule(COURSES, f"cmi5 course import ({requirement})", r".*", _XML)


DOCUMENT_RULES: tuple[CodeOnlyRule, ...] = (
    *(
        CodeOnlyRule(
            path,
            "xAPI-C §3.1 (concurrency) client requirement 3.1.s3.b1",
            "header:If-None-Match",
            "a PUT must carry If-Match or If-None-Match: one of two headers, and an OpenAPI header"
            " parameter is either required or not; none can require one of two",
        )
        for path in PROFILES
    ),
    *(
        CodeOnlyRule(
            path,
            "xAPI-C §2.2 (JSON procedure, 2.2.s8.b1)",
            "body",
            "POST merges JSON objects only when a document is stored already: whether one is,"
            " and what it holds, is a fact about the store (like a 409 or 412), not the request",
            "merges JSON objects only",
        )
        for path in DOCUMENTS
    ),
)

CODE_ONLY_RULES: tuple[CodeOnlyRule, ...] = (
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-C §2.1.1",
        r"\$\.id",
        "PUT: the body's id must be the statementId query parameter; OpenAPI cannot relate a"
        " parameter to a body property",
        "differs from statementId",
    ),
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-C §2.1.2",
        r"\$\[\d+\]\.id",
        "two statements of a batch with one id: uniqueItems compares whole items, not one"
        " property of them",
        "is used twice in this batch",
    ),
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-D §2.4.10 XAPI-00101",
        rf"{_AT}\.version",
        "the statement's version against the request's X-Experience-API-Version header: a body"
        " property and a header cannot be related",
    ),
    *(
        CodeOnlyRule(
            STATEMENTS,
            f"xAPI-D §4.5 {cid}",
            rf"{_AT}\.(?:timestamp|stored)",
            "a space between date and time is RFC 3339, taken on an xAPI 2.0 request and refused"
            " on a 1.0.x one: it depends on the X-Experience-API-Version header",
            "separates date and time with a space",
        )
        for cid in ("XAPI-00022", "XAPI-00023")
    ),
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-D §2.2 XAPI-00010",
        rf"{_AT}\.context\.context(?:Agents|Groups)",
        "contextAgents and contextGroups exist in xAPI 2.0 only: it depends on the"
        " X-Experience-API-Version header",
        "is an xAPI 2.0 property",
    ),
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-D §2.4.5.1 XAPI-00081",
        rf"{_AT}\.result\.score\.min",
        "a score's min below its max compares two values of the body",
    ),
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-D §2.4.5.1 XAPI-00082",
        rf"{_AT}\.result\.score\.raw",
        "a score's raw within [min, max] compares values of the body",
    ),
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-D §2.4.5.1",
        rf"{_AT}\.result\.score\.(?:scaled|raw|min|max)",
        "an integer beyond the double range (1 and 400 zeros) is a JSON Schema integer that no"
        " double holds; JSON Schema has no finiteness, and a maximum would also refuse the"
        " integers that round to the largest double",
        "must be a finite number",
    ),
    CodeOnlyRule(
        STATEMENTS,
        "xAPI-D §2.4.4.1 XAPI-00058",
        rf"{_DEFINITION}\.(?:choices|scale|source|target|steps)\[\d+\]\.id",
        "interaction component ids distinct within a list: uniqueItems compares whole"
        " components, not their ids",
    ),
    *(
        _course_rule(requirement)
        for requirement in (
            "13.2.0.0-1",  # well-formed XML, no DOCTYPE, the cmi5 namespace, the XSD
            "13.1.2.0-1",  # block ids
            "13.1.3.0-1",  # objective ids unique
            "13.1.4.0-1",  # AU ids
            "13.1.4.0-2",  # AU URLs are URLs
            "13.1.5.0-2",  # extension elements in their place
            "3.0.0.0-1",  # ids are IRIs
            "4.4.0.0-1",  # objective references, masteryScore decimals
            "8.1.0.0-6",  # AU URLs without the launch parameters
            "14.0.0.0-1",  # an upload that is no zip (a 400; the size bound is a 413)
            "14.1.0.0-1",  # a readable zip with relative entries
            "14.1.0.0-2",  # cmi5.xml at the zip's root
            "14.1.0.0-3",  # package media by relative URL
            "14.1.0.0-4",  # a relative AU URL names a file of the zip
            "14.2.0.0-1",  # no relative AU URL without a zip
        )
    ),
    *DOCUMENT_RULES,
)


def excused(operation: str, status: int, body: Any) -> list[CodeOnlyRule] | None:
    """The code-only rules a refusal of schema-valid data names, one per violation, or None
    when it is not excused: not a 400, violations left out of the body, or one naming no rule
    listed for the operation."""
    if status != 400 or not isinstance(body, dict):
        return None
    violations = body.get("violations")
    if not isinstance(violations, list) or not violations:
        return None
    if body.get("violations_omitted") or body.get("statements_not_checked"):
        return None
    rules = [r for r in CODE_ONLY_RULES if r.operation == operation]
    named = []
    for violation in violations:
        rule = next((r for r in rules if isinstance(violation, dict) and r.names(violation)), None)
        if rule is None:
            return None
        named.append(rule)
    return named
