"""What xAPI asks producers not to send, yet an LRS must accept: warnings, never refusals.

The LRS refuses only what a MUST of the spec forbids (fake_lms/xapi/validation.py). Where only a
SHOULD stands behind a wish, e.g. "Statements and other objects SHOULD NOT include properties
with a value of an empty object" (xAPI 1.0.3 Data §2.2.s2.b1), the statement is stored and the
journal gets a "warning" verdict naming the path, the wish and its section, so a vendor sees
what to tidy without being told its statement is invalid.

Each warning rule is a named function over one statement level (the statement, and its
SubStatement); WARNING_RULES lists them. They run only on statements that passed validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fake_lms.xapi.validation import Violation

__all__ = [
    "TOP_LEVEL_WARNING_RULES",
    "WARNING_RULES",
    "batch_warnings",
    "statement_warnings",
    "warning_verdicts",
]

WarningRule = Callable[[dict[str, Any], str, str], list[Violation]]
_NONE: list[Violation] = []  # shared "nothing found"; callers only read it
# A rule may name, in GATES, a pattern its finding needs in the JSON text: a body whose text
# does not hold it cannot warn, so one C-speed search spares the rule on every statement.
GATES: dict[WarningRule, re.Pattern[bytes]] = {}


def _gated(pattern: bytes) -> Callable[[WarningRule], WarningRule]:
    def register(rule: WarningRule) -> WarningRule:
        GATES[rule] = re.compile(pattern)
        return rule

    return register


_EMPTY_OBJECT = "xAPI-D §2.2.s2.b1 (SHOULD NOT: a property whose value is an empty object)"
_EMPTY_LIST = (
    "xAPI-D §2.4.6.2.s4.b2 (an array of Activity Objects; an empty one relates to nothing)"
)
_NO_ZONE = "xAPI-D §4.5.s1.b4 (SHOULD*: a Timestamp includes the time zone)"
_NOT_RFC_3339 = "xAPI-D §4.5.s1.b2 (SHOULD*: a Timestamp uses the RFC 3339 format)"
_COMPONENT_ID = "xAPI-D §2.4.4.1.s16.b2 (SHOULD NOT: whitespace in an interaction component id)"

_EMPTY_RULE = "an empty object {}: accepted and stored, but better left out"

_ZONE = re.compile(r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)\Z")
_RFC_3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)\Z")


def _empty_objects(node: Any, path: str, out: list[Violation]) -> None:
    """Every {} below `node`, except inside extension values (which belong to their owner)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "extensions" and isinstance(value, dict):
                if not value:
                    out.append(Violation(f"{path}.{key}", _EMPTY_RULE, _EMPTY_OBJECT))
                continue  # xAPI-D §4.1.s3.b2: the values of extensions are not the LRS's to judge
            if isinstance(value, dict) and not value:
                out.append(Violation(f"{path}.{key}", _EMPTY_RULE, _EMPTY_OBJECT))
            elif isinstance(value, (dict, list)):
                _empty_objects(value, f"{path}.{key}", out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict) and not value:
                out.append(Violation(f"{path}[{index}]", _EMPTY_RULE, _EMPTY_OBJECT))
            elif isinstance(value, (dict, list)):
                _empty_objects(value, f"{path}[{index}]", out)


@_gated(rb"\{[ \t\r\n]*\}")
def warn_empty_objects(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """{} anywhere: an empty definition, language map, contextActivities, result, context...

    xAPI 1.0.3 Data §2.2.s2.b1: "Statements and other objects SHOULD NOT include properties with
    a value of an empty object." A SHOULD on the producer, so the LRS stores the statement.
    The walk covers the SubStatement too, so this runs on the statement only.
    """
    out: list[Violation] = []
    _empty_objects(s, path, out)
    return out


@_gated(rb"\[[ \t\r\n]*\]")
def warn_empty_context_activity_lists(
    s: dict[str, Any], path: str, version: str
) -> list[Violation]:
    """ "parent": [] and the like: allowed (an array of Activity Objects), but it says nothing."""
    context = s.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if not isinstance(activities, dict):
        return _NONE
    return [
        Violation(
            f"{path}.context.contextActivities.{key}", "an empty list of Activities", _EMPTY_LIST
        )
        for key, value in activities.items()
        if isinstance(value, list) and not value
    ]


def warn_timestamp_without_zone(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """xAPI 1.0.3 Data §4.5.s1.b4: a Timestamp SHOULD* include the time zone (read as UTC here)."""
    out = _NONE
    for key in ("timestamp", "stored"):
        value = s.get(key)
        if isinstance(value, str) and _RFC_3339.match(value) is None and not _ZONE.search(value):
            rule = f"{value!r} has no time zone; the LRS reads it as UTC"
            out = [*out, Violation(f"{path}.{key}", rule, _NO_ZONE)]
    return out


def warn_timestamp_not_rfc_3339(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """xAPI 1.0.3 Data §4.5.s1.b2: a Timestamp SHOULD* use RFC 3339 (seconds, extended format).

    A timestamp without a zone gets the zone warning only.
    """
    out = _NONE
    for key in ("timestamp", "stored"):
        value = s.get(key)
        if isinstance(value, str) and _RFC_3339.match(value) is None and _ZONE.search(value):
            rule = f"{value!r} is ISO 8601 but not RFC 3339"
            out = [*out, Violation(f"{path}.{key}", rule, _NOT_RFC_3339)]
    return out


@_gated(rb'"interactionType"')
def warn_component_id_whitespace(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """xAPI 1.0.3 Data §2.4.4.1.s16.b2: an interaction component id SHOULD NOT have whitespace
    (an empty id is no MUST either: the table asks only for a String)."""
    obj = s.get("object")
    definition = obj.get("definition") if isinstance(obj, dict) else None
    if not isinstance(definition, dict) or "interactionType" not in definition:
        return _NONE  # component lists come with an interactionType (xAPI-D §2.4.4.1)
    out: list[Violation] = []
    for key in ("choices", "scale", "source", "target", "steps"):
        components = definition.get(key)
        for index, component in enumerate(components if isinstance(components, list) else ()):
            cid = component.get("id") if isinstance(component, dict) else None
            if isinstance(cid, str) and (not cid or any(c.isspace() for c in cid)):
                where = f"{path}.object.definition.{key}[{index}].id"
                rule = f"interaction component id {cid!r} is empty or has whitespace"
                out.append(Violation(where, rule, _COMPONENT_ID))
    return out


TOP_LEVEL_WARNING_RULES: tuple[WarningRule, ...] = (warn_empty_objects,)
WARNING_RULES: tuple[WarningRule, ...] = (  # the statement and its SubStatement
    warn_empty_context_activity_lists,
    warn_timestamp_without_zone,
    warn_timestamp_not_rfc_3339,
    warn_component_id_whitespace,
)


def statement_warnings(
    stmt: dict[str, Any],
    path: str = "$",
    version: str = "1.0.3",
    *,
    top: tuple[WarningRule, ...] = TOP_LEVEL_WARNING_RULES,
    each: tuple[WarningRule, ...] = WARNING_RULES,
) -> list[Violation]:
    """The warnings of one valid statement and of its SubStatement, if it has one.

    `top` and `each` narrow the rules to those a caller knows can find something.
    """
    out = [v for rule in top for v in rule(stmt, path, version)]
    obj = stmt.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        sub = f"{path}.object"
        out += [v for rule in each for v in rule(obj, sub, version)]
    return [*out, *(v for rule in each for v in rule(stmt, path, version))]


def batch_warnings(body: Any, version: str = "1.0.3", raw: bytes | None = None) -> list[Violation]:
    """The warnings of a valid body: one statement (paths "$...") or a batch ("$[i]...").

    `raw`, the JSON text the body was parsed from, lets each gated rule (GATES) be ruled out
    for the whole body by one search, so the common statement costs two timestamp checks.
    """

    def may_find(rule: WarningRule) -> bool:
        return raw is None or rule not in GATES or GATES[rule].search(raw) is not None

    top = tuple(filter(may_find, TOP_LEVEL_WARNING_RULES))
    each = tuple(filter(may_find, WARNING_RULES))
    if isinstance(body, dict):
        return statement_warnings(body, "$", version, top=top, each=each)
    return [
        v
        for index, stmt in enumerate(body if isinstance(body, list) else ())
        if isinstance(stmt, dict)
        for v in statement_warnings(stmt, f"$[{index}]", version, top=top, each=each)
    ]


MAX_PATHS_PER_WARNING = 10


def warning_verdicts(warnings: list[Violation]) -> list[dict[str, Any]]:
    """Journal verdicts: one per kind of warning (its section), with the first rule in words,
    the count and the first few paths, so a batch of 10,000 statements with an empty verb
    display writes one verdict, not 10,000."""
    grouped: dict[str, list[Violation]] = {}
    for v in warnings:
        grouped.setdefault(v.section, []).append(v)
    return [
        {
            "verdict": "warning",
            "rule": found[0].rule,
            "section": section,
            "count": len(found),
            "paths": [v.path for v in found[:MAX_PATHS_PER_WARNING]],
        }
        for section, found in grouped.items()
    ]
