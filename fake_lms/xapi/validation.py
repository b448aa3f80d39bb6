"""xAPI statement validation: the JSON Schema checks structure, named rules check the rest.

`fake_lms/schemas/statement.json` says what a statement may contain (keys, types, enumerations,
IRI/UUID/timestamp/duration/language-tag shapes). Each of its nodes names, in `x-xapi`, the spec
section and conformance id a failure there breaks. What JSON Schema cannot say (exactly one IFI,
raw within [min, max], interaction component lists, real calendar dates, the statement version
against the request's version) is a small named rule below, listed in the registries ACTOR_RULES,
DEFINITION_RULES, STATEMENT_RULES and TOP_LEVEL_RULES.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice
from typing import Any, TypeGuard

from fake_lms.xapi.json_values import is_number
from fake_lms.xapi.jsonbody import child_path
from fake_lms.xapi.limits import DISCONNECT_CHECK_EVERY
from fake_lms.xapi.schema_check import ACTOR, AGENT, DEFS, STATEMENT, SchemaCheck, SchemaError

__all__ = [
    "BatchCheck",
    "ValidationAbandoned",
    "Violation",
    "agent_ifi",
    "check_batch",
    "is_duration",
    "is_iri",
    "is_language_tag",
    "is_real_instant",
    "is_uuid",
    "parse_timestamp",
    "validate_actor",
    "validate_agent",
    "validate_statement",
    "validate_statements",
]


@dataclass(frozen=True)
class Violation:
    """One broken rule, located by JSON path, so a 400 can say exactly what to fix."""

    path: str
    rule: str
    section: str

    def as_dict(self) -> dict[str, str]:
        """Plain dict for JSON error bodies and the journal."""
        return {"path": self.path, "rule": self.rule, "section": self.section}


# --- the schema: jsonschema-rs's verdict, the walk's explanation (schema_check.py) ---------------

_DEFS = DEFS


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(_DEFS[name]["pattern"])


_UUID, _IRI, _LANGUAGE_TAG = _pattern("uuid"), _pattern("iri"), _pattern("languageTag")
_DURATION, _TIMESTAMP = _pattern("duration"), _pattern("timestamp")
_VERSION_1_0 = re.compile(r"1\.0(?:\.[0-9]+)?")


# --- value helpers (the schema's patterns, reused so there is one definition of each) ----------


def is_uuid(s: Any) -> TypeGuard[str]:
    """Canonical 8-4-4-4-12 hex, RFC 4122 variant (any version), case-insensitive."""
    return isinstance(s, str) and _UUID.search(s) is not None


def is_iri(s: Any) -> bool:
    """Absolute IRI with a scheme (RFC 3987 shape; no spaces) — relative IRIs are never valid xAPI ids."""
    return isinstance(s, str) and _IRI.search(s) is not None


def is_duration(s: Any) -> bool:
    """ISO 8601 duration as xAPI allows: PnYnMnDTnHnMnS (decimal seconds) or PnW alone."""
    return isinstance(s, str) and _DURATION.search(s) is not None


def is_language_tag(s: Any) -> bool:
    """RFC 5646 well-formed tag (grandfathered included, no repeated extension singleton)."""
    return isinstance(s, str) and _LANGUAGE_TAG.search(s) is not None


_TIMESTAMP_PARTS = re.compile(
    r"(\d{4})-?(\d\d)-?(\d\d)[Tt ](\d\d):?(\d\d)(?::?(\d\d)(?:[.,](\d+))?)?"
    r"(?:[Zz]|([+-])(\d\d)(?::?(\d\d))?)?"
)


def parse_timestamp(s: Any) -> datetime | None:
    """ISO 8601 / RFC 3339 timestamp -> aware datetime, so stored times compare as instants.

    Without an offset the time is read as UTC (xAPI-D §4.5 only says a zone SHOULD* be present);
    -00:00, -0000 and -00 are refused (LRS-TS XAPI-00123); a leap second rolls into the next
    minute; digits beyond microseconds are truncated. None when the string is no real instant,
    and for the years 0000 and 10000 (after a leap second), which are real ISO 8601 instants
    that no datetime holds: callers that need to order those compare them as text.
    """
    if not isinstance(s, str) or _TIMESTAMP.search(s) is None:
        return None
    m = _TIMESTAMP_PARTS.fullmatch(s)
    if m is None:  # pragma: no cover - the schema pattern admits only these shapes
        return None
    year, month, day, hour, minute, second, frac, sign, off_h, off_m = m.groups()
    zone = UTC
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        zone = timezone(-offset if sign == "-" else offset)
    leap = second == "60"
    micro = int((frac or "")[:6].ljust(6, "0"))
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            59 if leap else int(second or 0), micro, tzinfo=zone,
        )  # fmt: skip
        # a leap second at 9999-12-31T23:59:60 would be year 10000; no datetime holds it
        return value + timedelta(seconds=1) if leap else value
    except (ValueError, OverflowError):
        return None


def is_real_instant(s: Any) -> bool:
    """A timestamp of the schema's shape whose date exists in the proleptic Gregorian calendar.

    ISO 8601 numbers the years 0000-9999 (0000 is 1 BC, a leap year), so 0000-02-29 exists and
    2015-02-30 does not; a leap second at the end of 9999 would need a year 10000 and does not
    pass. Unlike parse_timestamp, this needs no datetime, so year 0000 passes.
    """
    if not isinstance(s, str) or _TIMESTAMP.search(s) is None:
        return False
    m = _TIMESTAMP_PARTS.fullmatch(s)
    if m is None:  # pragma: no cover - the schema pattern admits only these shapes
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if year == 9999 and m.group(6) == "60":  # a leap second rolling into a five-digit year
        return parse_timestamp(s) is not None
    # year 0 and year 400 fall on the same point of the 400-year Gregorian cycle
    return day <= calendar.monthrange(year or 400, month)[1]


def instant_us(s: Any) -> int | None:
    """A query's timestamp (since, until) as microseconds since 1970 UTC, to compare with stored
    times; None when it is no real instant. The years 0000 and 10000, which no datetime holds,
    come before and after every time a datetime holds."""
    when = parse_timestamp(s)
    if when is not None:
        return (when - _EPOCH) // timedelta(microseconds=1)
    if not is_real_instant(s):
        return None
    return _BEFORE_ALL_US if s.startswith("0000") else _AFTER_ALL_US


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BEFORE_ALL_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1) - 1
_AFTER_ALL_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1) + 1


_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


def agent_ifi(agent: dict[str, Any]) -> str | None:
    """Identity key of an Agent/identified Group so documents and filters find the same person.

    E.g. "mbox:mailto:a@b.c", "account:https://x|name", "mbox_sha1sum:<hex>", "openid:<uri>".
    The mailto scheme, the email domain and the sha1 hex are lowercased (case-insensitive parts).
    None if the object does not carry exactly one IFI of the right JSON type.
    """
    if not isinstance(agent, dict):
        return None
    present = [k for k in _IFI_KEYS if k in agent]
    if len(present) != 1:
        return None
    key = present[0]
    value = agent[key]
    if key == "account":
        if not isinstance(value, dict):
            return None
        home, name = value.get("homePage"), value.get("name")
        if not isinstance(home, str) or not isinstance(name, str):
            return None
        return f"account:{home}|{name}"
    if not isinstance(value, str):
        return None
    if key == "mbox":
        scheme, _, address = value.partition(":")
        local, at, domain = address.rpartition("@")
        if scheme.lower() == "mailto" and at:
            value = f"mailto:{local}@{domain.lower()}"
    elif key == "mbox_sha1sum":
        value = value.lower()
    return f"{key}:{value}"


# --- turning schema errors into Violations -------------------------------------------------------

_GENERIC = "xAPI-D §2.2"
_NULL = "xAPI-D §2.2 XAPI-00001"
_CASE_OF_KEY = "xAPI-D §2.2 XAPI-00008"
_CASE_OF_VALUE = "xAPI-D §2.2 XAPI-00009"
_UNKNOWN_KEY = "xAPI-D §2.2 XAPI-00010"
_WRONG_TYPE = "xAPI-D §2.2 XAPI-00006"
_TYPE_WORDS = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
}


def _q(value: Any, limit: int = 80) -> str:
    """Quote an offending value as JSON, cut to `limit` characters."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names: dict[type, str] = {dict: "object", list: "array", str: "string"}
    return names.get(type(value), type(value).__name__)


def _join(path: str, steps: Iterable[Any]) -> str:
    for step in steps:
        path = f"{path}[{step}]" if isinstance(step, int) else child_path(path, step)
    return path


def _schema_violations(
    errors: Iterable[SchemaError], base: str, most: int | None = None
) -> list[Violation]:
    """The errors in words, at most `most` of them (one error can name thousands of keys)."""
    out: list[Violation] = []
    for error in errors:
        room = None if most is None else max(most - len(out), 0)
        out.extend(islice(_explain(error, _join(base, error.path)), room))
        if most is not None and len(out) >= most:
            break
    return out


def _explain(error: SchemaError, where: str) -> Iterable[Violation]:
    """One schema error in words: what is wrong, the value, and the section it breaks."""
    node = error.node
    keyword, value, expected = error.keyword, error.instance, error.expected
    section = node.get("x-xapi", _GENERIC)
    title = node.get("title", "this object")
    if keyword == "type":
        words = _TYPE_WORDS.get(expected, str(expected))
        if value is None:
            return [Violation(where, f"null is not allowed here (expected {words})", _NULL)]
        got = f"got {_json_type(value)} {_q(value)}"
        return [Violation(where, f"expected {words}, {got}", node.get("x-xapi", _WRONG_TYPE))]
    if keyword == "required":
        name = error.missing or ""
        prop = node.get("properties", {}).get(name, {})
        rule = f"required property {name!r} is missing from the {title}"
        return [Violation(child_path(where, name), rule, prop.get("x-xapi", section))]
    if keyword == "additionalProperties":
        known = node.get("properties", {})
        return (_unknown_key(node, where, key) for key in value if key not in known)
    if keyword == "pattern":
        expect = node.get("x-expect", f"matching {expected}")
        if error.in_key:
            return [
                Violation(child_path(where, value), f"key {_q(value)} is not {expect}", section)
            ]
        return [Violation(where, f"{_q(value)} is not {expect}", section)]
    if keyword in ("const", "enum"):
        allowed = [expected] if keyword == "const" else list(expected)
        rule = node.get("x-rule") or "expected " + " or ".join(_q(a) for a in allowed)
        rule = f"{rule}; got {_q(value)}"
        lowered = [a.lower() for a in allowed if isinstance(a, str)]
        if isinstance(value, str) and value.lower() in lowered:
            return [Violation(where, rule + " (values are case-sensitive)", _CASE_OF_VALUE)]
        return [Violation(where, rule, section)]
    if keyword in ("minProperties", "minItems", "minLength"):
        rule = node.get("x-rule") or "must not be empty"
        return [Violation(where, rule, section)]
    if keyword in ("minimum", "maximum"):
        side = "below the minimum" if keyword == "minimum" else "above the maximum"
        return [Violation(where, f"{_q(value)} is {side} {expected}", section)]
    rule = f"fails the schema's {keyword!r} check ({_q(expected)})"
    return [Violation(where, rule, section)]  # pragma: no cover - keywords not in use


def _unknown_key(node: dict[str, Any], where: str, key: str) -> Violation:
    """Name the key, why it may not be here, and the right spelling when only the case is off."""
    title = node.get("title", "this object")
    here = child_path(where, key)
    forbidden = node.get("x-forbidden", {})
    if key in forbidden:
        return Violation(here, f"{key!r} is not allowed in this {title}", forbidden[key])
    known = node.get("properties", {})
    same_but_case = [k for k in known if k.lower() == key.lower()]
    if same_but_case:
        rule = (
            f"unknown key {key!r}: keys are case-sensitive, the {title} key is {same_but_case[0]!r}"
        )
        return Violation(here, rule, _CASE_OF_KEY)
    rule = f"unknown key {key!r} in the {title} (allowed: {', '.join(known)})"
    return Violation(here, rule, node.get("x-xapi-key", _UNKNOWN_KEY))


def _merge(schema_side: list[Violation], rule_side: list[Violation]) -> list[Violation]:
    """One complaint per path from the schema, no repeats, and no echoes of a wrong objectType.

    When an objectType is wrong or missing, the object was read as the wrong kind of thing, so
    the other complaints inside that object are artefacts of the misreading and are dropped.
    """
    out: list[Violation] = []
    seen: set[str] = set()
    for v in schema_side:
        if v.path not in seen:
            seen.add(v.path)
            out.append(v)
    seen_rules = {(v.path, v.rule) for v in out}
    for v in rule_side:
        if (v.path, v.rule) not in seen_rules:
            seen_rules.add((v.path, v.rule))
            out.append(v)
    owners = {
        v.path[: -len(".objectType")]
        for v in out
        if v.path.endswith(".objectType") and v.section not in (_UNKNOWN_KEY, _CASE_OF_KEY)
    }
    if not owners:
        return out
    return [v for v in out if not _inside_any(v.path, owners)]


_STEP_START = re.compile(r"[.\[]")


def _inside_any(path: str, owners: set[str]) -> bool:
    """Whether the path lies inside one of the owners (not being its objectType): each prefix
    of the path that ends before a step is looked up once, so the cost is the path's steps."""
    for step in _STEP_START.finditer(path, 1):
        owner = path[: step.start()]
        if owner in owners and path != f"{owner}.objectType":
            return True
    return False


# --- named rules: what the schema cannot express ---------------------------------------------------
# Each rule returns the violations it finds (usually none); rules are plain functions rather than
# generators because they run on every statement and most find nothing.


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _is_api_2(version: str) -> bool:
    return str(version).startswith("2")


ActorRule = Callable[[dict[str, Any], str, str], list[Violation]]
DefinitionRule = Callable[[dict[str, Any], str], list[Violation]]
StatementRule = Callable[[dict[str, Any], str, str], list[Violation]]
_NONE: list[Violation] = []  # shared "nothing found"; callers only read it


def rule_exactly_one_ifi(node: dict[str, Any], path: str, role: str) -> list[Violation]:
    """An Agent has exactly one IFI and an identified Group no more than one.

    xAPI 1.0.3 Data §2.4.2.1.s2.b1/b2: an Agent "MUST be identified by one (1)" IFI and "MUST NOT
    include more than one"; §2.4.2.2.s5.b1: an Identified Group "MUST include exactly one (1)".
    """
    ifis = [k for k in _IFI_KEYS if k in node]
    if node.get("objectType") == "Group":
        if role != "member" and len(ifis) > 1:
            rule = f"a Group has at most one IFI; this one has {len(ifis)} ({', '.join(ifis)})"
            return [Violation(path, rule, "xAPI-D §2.4.2.2 XAPI-00037")]
    elif len(ifis) != 1:
        found = f"{len(ifis)} ({', '.join(ifis)})" if ifis else "none"
        rule = f"an Agent needs exactly one of mbox, mbox_sha1sum, openid, account; found {found}"
        return [Violation(path, rule, "xAPI-D §2.4.2.1 XAPI-00034")]
    return _NONE


def rule_anonymous_group_lists_members(
    node: dict[str, Any], path: str, role: str
) -> list[Violation]:
    """A Group without an IFI is only its members, so it must list at least one (XAPI-00037).

    xAPI 1.0.3 Data §2.4.2.2.s4.b1: "An Anonymous Group MUST include a member property listing
    constituent Agents" (an empty list lists none).
    """
    if role in ("authority", "member") or node.get("objectType") != "Group":
        return _NONE
    if any(k in node for k in _IFI_KEYS):
        return _NONE
    members = node.get("member")
    if "member" not in node or (isinstance(members, list) and not members):
        rule = "an anonymous Group (no IFI) must list its members in 'member'"
        return [Violation(f"{path}.member", rule, "xAPI-D §2.4.2.2 XAPI-00037")]
    return _NONE


def rule_correct_responses_need_interaction_type(
    defn: dict[str, Any], path: str
) -> list[Violation]:
    """A correctResponsesPattern means nothing without the interactionType that reads it.

    xAPI 1.0.3 Data §2.4.4.1.s13.b1: "Interaction Activities MUST have a valid interactionType"
    (ADL's LRS test suite, XAPI-00064).
    """
    if "correctResponsesPattern" in defn and "interactionType" not in defn:
        rule = "correctResponsesPattern is given but interactionType is missing"
        return [Violation(f"{path}.correctResponsesPattern", rule, "xAPI-D §2.4.4.1 XAPI-00064")]
    return _NONE


_COMPONENT_LISTS = {
    "choices": ("choice", "sequencing"),
    "scale": ("likert",),
    "source": ("matching",),
    "target": ("matching",),
    "steps": ("performance",),
}


def rule_component_lists_match_interaction_type(defn: dict[str, Any], path: str) -> list[Violation]:
    """Each interaction component list belongs to given interactionTypes (xAPI-D §2.4.4.1).

    Without an interactionType, a component list makes an Interaction Activity that lacks the
    interactionType it MUST have (§2.4.4.1.s13.b1, XAPI-00064). With another interactionType,
    the spec leaves the refusal to the LRS: §2.4.4.1.s13.b3 "MAY return 400 Bad Request if the
    remaining properties are not valid for the Interaction Activity" -- kept, as a MAY.
    """
    kind = defn.get("interactionType")
    return [
        Violation(
            f"{path}.{key}",
            f"{key!r} is only for interactionType {' or '.join(kinds)}; here it is {_q(kind)}",
            "xAPI-D §2.4.4.1",
        )
        for key, kinds in _COMPONENT_LISTS.items()
        if key in defn and kind not in kinds
    ]


def rule_component_ids_unique(defn: dict[str, Any], path: str) -> list[Violation]:
    """Responses name components by id, so ids within one list must differ (XAPI-00058).

    xAPI 1.0.3 Data §2.4.4.1.s16.b1: "Within an array of interaction components, all id values
    MUST be distinct."
    """
    out: list[Violation] = []
    for key in _COMPONENT_LISTS:
        components = defn.get(key)
        if not isinstance(components, list):
            continue
        seen: set[str] = set()
        for index, component in enumerate(components):
            cid = component.get("id") if isinstance(component, dict) else None
            if isinstance(cid, str):
                if cid in seen:
                    rule = f"interaction component id {_q(cid)} appears twice in {key!r}"
                    where = f"{path}.{key}[{index}].id"
                    out.append(Violation(where, rule, "xAPI-D §2.4.4.1 XAPI-00058"))
                seen.add(cid)
    return out


def rule_agent_object_declares_object_type(
    s: dict[str, Any], path: str, version: str
) -> list[Violation]:
    """Without objectType an object is an Activity, so an Agent/Group object must say what it is.

    xAPI 1.0.3 Data §2.4.4.2.s1.b1: "Statements that specify an Agent or Group as an Object MUST
    specify an 'objectType' property."
    """
    obj = s.get("object")
    if isinstance(obj, dict) and "objectType" not in obj:
        if any(k in obj for k in (*_IFI_KEYS, "member")):
            rule = "an Agent or Group used as the object must declare objectType"
            return [Violation(f"{path}.object.objectType", rule, "xAPI-D §2.4.4.2 XAPI-00065")]
    return _NONE


def rule_score_values_are_finite(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """NaN and infinities are no scores (and no JSON); they would also defeat the range checks.

    xAPI 1.0.3 Data §2.4.5.1: scores are decimal numbers; JSON (RFC 8259 §6) has no NaN or
    Infinity, so only Python callers can hand one in.
    """
    score = _get(s, "result", "score")
    if not isinstance(score, dict):
        return _NONE
    return [
        Violation(f"{path}.result.score.{key}", f"{key} must be a finite number", "xAPI-D §2.4.5.1")
        for key in ("scaled", "raw", "min", "max")
        if is_number(score.get(key)) and not _finite_double(score[key])
    ]


def _finite_double(value: int | float) -> bool:
    """Finite and representable as an IEEE double (RFC 8259 §6): `1e400` parses as infinity and
    an integer of 400 digits has no double at all; neither can be compared or stored by others."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def rule_score_min_below_max(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """min < max, or no raw value could lie between them (XAPI-00080/00081).

    xAPI 1.0.3 Data §2.4.5.1 table: min is a "Decimal number less than max (if present)".
    """
    score = _get(s, "result", "score")
    low, high = _get(score, "min"), _get(score, "max")
    if is_number(low) and is_number(high) and not low < high:
        rule = f"min {_q(low)} must be less than max {_q(high)}"
        return [Violation(f"{path}.result.score.min", rule, "xAPI-D §2.4.5.1 XAPI-00081")]
    return _NONE


def rule_score_raw_within_range(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """raw lies within [min, max] when those are given (XAPI-00082).

    xAPI 1.0.3 Data §2.4.5.1 table: raw is a "Decimal number between min and max (if present,
    otherwise unrestricted), inclusive".
    """
    score = _get(s, "result", "score")
    raw = _get(score, "raw")
    if not is_number(raw):
        return _NONE
    low, high = score.get("min"), score.get("max")
    where, section = f"{path}.result.score.raw", "xAPI-D §2.4.5.1 XAPI-00082"
    if is_number(low) and raw < low:
        return [Violation(where, f"raw {_q(raw)} is below min {_q(low)}", section)]
    if is_number(high) and raw > high:
        return [Violation(where, f"raw {_q(raw)} is above max {_q(high)}", section)]
    return _NONE


_NOT_ACTIVITY = ("Agent", "Group", "SubStatement", "StatementRef")


def rule_revision_platform_only_with_activity(
    s: dict[str, Any], path: str, version: str
) -> list[Violation]:
    """revision and platform describe an Activity, so only a statement about one may carry them.

    xAPI 1.0.3 Data §2.4.6.s4.b1/b2: "The revision [platform] property MUST only be used if the
    Statement's Object is an Activity."
    """
    context, kind = s.get("context"), _get(s, "object", "objectType")
    if not isinstance(context, dict) or kind not in _NOT_ACTIVITY:
        return _NONE
    return [
        Violation(
            f"{path}.context.{key}",
            f"context.{key} is only allowed when the object is an Activity, not"
            f" {'an' if kind[0] in 'AEIOU' else 'a'} {kind}",
            f"xAPI-D §2.4.6 {cid}",
        )
        for key, cid in (("revision", "XAPI-00084"), ("platform", "XAPI-00085"))
        if key in context
    ]


def rule_timestamps_are_real_instants(
    s: dict[str, Any], path: str, version: str
) -> list[Violation]:
    """The schema checks the shape; this catches dates like 2015-02-30 that match it.

    xAPI 1.0.3 Data §4.5.s1.b1 / 2.0.0 §4.2.7 (Timestamps): a Timestamp MUST be formatted
    according to ISO 8601, whose calendar has no 30 February; the year 0000 is an ISO 8601
    year and stays accepted.
    """
    out = _NONE
    for key, cid in (("timestamp", "XAPI-00022"), ("stored", "XAPI-00023")):
        value = s.get(key)
        if isinstance(value, str) and _TIMESTAMP.search(value) and not is_real_instant(value):
            rule = f"{_q(value)} is not a real date and time"
            out = [*out, Violation(f"{path}.{key}", rule, f"xAPI-D §4.5 {cid}")]
    return out


def rule_timestamp_separator_fits_version(
    s: dict[str, Any], path: str, version: str
) -> list[Violation]:
    """A space between date and time is RFC 3339 (§5.6 NOTE), not ISO 8601 (§4.3.2: 'T').

    xAPI 1.0.3 Data §4.5.s1.b1 says a Timestamp MUST be ISO 8601, so a 1.0.x request with
    "2015-11-18 12:17:00Z" is refused; xAPI 2.0.0 makes RFC 3339 the timestamp format and ADL's
    2.0 LRS test suite expects "2008-09-15 15:53:00.601+00:00" to be accepted (200).
    """
    if _is_api_2(version):
        return _NONE
    out = _NONE
    for key, cid in (("timestamp", "XAPI-00022"), ("stored", "XAPI-00023")):
        value = s.get(key)
        if isinstance(value, str) and " " in value and _TIMESTAMP.search(value):
            rule = (
                f"{_q(value)} separates date and time with a space: RFC 3339 allows it, but xAPI"
                f" {version} requires ISO 8601, which separates them with 'T' (2.0.0 accepts it)"
            )
            out = [*out, Violation(f"{path}.{key}", rule, f"xAPI-D §4.5 {cid}")]
    return out


def rule_2_0_properties_need_2_0(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """contextAgents/contextGroups exist only in xAPI 2.0; a 1.0.x LRS must not accept them.

    xAPI 1.0.3 Data §2.2.s4.b1.b7: the LRS MUST reject Statements "where a key or value is not
    allowed by this specification"; 1.0.3 defines no such key.
    """
    context = s.get("context")
    if not isinstance(context, dict) or _is_api_2(version):
        return _NONE
    return [
        Violation(
            f"{path}.context.{key}",
            f"{key} is an xAPI 2.0 property; this request speaks xAPI {version}",
            _UNKNOWN_KEY,
        )
        for key in ("contextAgents", "contextGroups")
        if key in context
    ]


def rule_authority_is_agent_or_oauth_pair(
    s: dict[str, Any], path: str, version: str
) -> list[Violation]:
    """A Group authority is 3-legged OAuth: an anonymous pair, consumer and user (xAPI-D §2.4.9).

    xAPI 1.0.3 Data §2.4.9.s3.b1: "Authority MUST be an Agent, except in 3-legged OAuth, where it
    MUST be a Group with two Agents."
    """
    authority = s.get("authority")
    if not isinstance(authority, dict) or authority.get("objectType") != "Group":
        return _NONE
    out: list[Violation] = []
    where = f"{path}.authority"
    if any(k in authority for k in _IFI_KEYS):
        rule = "an authority Group must be anonymous (the OAuth consumer and the user, no IFI)"
        out.append(Violation(where, rule, "xAPI-D §2.4.9 XAPI-00098"))
    members = authority.get("member", [])
    if isinstance(members, list) and len(members) != 2:
        count = len(members)
        rule = f"an authority Group must have exactly two Agents (OAuth consumer and user); has {count}"
        cid = "XAPI-00100" if count > 2 else "XAPI-00098"
        out.append(Violation(f"{where}.member", rule, f"xAPI-D §2.4.9 {cid}"))
    return out


def rule_version_matches_api(s: dict[str, Any], path: str, version: str) -> list[Violation]:
    """A 1.0.x request may only carry 1.0.x statements; 2.0 accepts 2.0.0 too (XAPI-00101).

    xAPI 1.0.3 Data §2.4.10.s3.b2: "An LRS MUST reject all Statements with a version specified
    that does not start with 1.0."
    """
    value = s.get("version")
    if isinstance(value, str) and not _is_api_2(version) and not _VERSION_1_0.fullmatch(value):
        rule = f"statement version {_q(value)} is not accepted on an xAPI {version} request"
        rule += "; it must start with '1.0.'"
        return [Violation(f"{path}.version", rule, "xAPI-D §2.4.10 XAPI-00101")]
    return _NONE


_VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def rule_voiding_targets_statement_ref(
    s: dict[str, Any], path: str, version: str
) -> list[Violation]:
    """A voiding statement names its target by StatementRef (XAPI-00017).

    xAPI 1.0.3 Data §2.3.2.s2.b1: "the Object of that voiding Statement MUST have the
    objectType property set to StatementRef."
    """
    obj = s.get("object")
    if _get(s, "verb", "id") == _VOIDED and isinstance(obj, dict):
        if obj.get("objectType") != "StatementRef":
            rule = "a statement with verb 'voided' must have a StatementRef as its object"
            return [Violation(f"{path}.object", rule, "xAPI-D §2.3.2 XAPI-00017")]
    return _NONE


ACTOR_RULES: tuple[ActorRule, ...] = (rule_exactly_one_ifi, rule_anonymous_group_lists_members)
DEFINITION_RULES: tuple[DefinitionRule, ...] = (
    rule_correct_responses_need_interaction_type,
    rule_component_lists_match_interaction_type,
    rule_component_ids_unique,
)
STATEMENT_RULES: tuple[StatementRule, ...] = (  # the statement and its SubStatement
    rule_agent_object_declares_object_type,
    rule_score_values_are_finite,
    rule_score_min_below_max,
    rule_score_raw_within_range,
    rule_revision_platform_only_with_activity,
    rule_timestamps_are_real_instants,
    rule_timestamp_separator_fits_version,
    rule_2_0_properties_need_2_0,
)
TOP_LEVEL_RULES: tuple[StatementRule, ...] = (  # the statement only
    rule_authority_is_agent_or_oauth_pair,
    rule_version_matches_api,
    rule_voiding_targets_statement_ref,
)
_ALL_STATEMENT_RULES = STATEMENT_RULES + TOP_LEVEL_RULES


def _add_actor(out: list[tuple[dict[str, Any], str, str]], node: Any, path: str, role: str) -> None:
    if isinstance(node, dict):
        out.append((node, path, role))
        members = node.get("member") if node.get("objectType") == "Group" else None
        if isinstance(members, list):
            for index, member in enumerate(members):
                if isinstance(member, dict):
                    out.append((member, f"{path}.member[{index}]", "member"))


def _actors(s: dict[str, Any], path: str) -> list[tuple[dict[str, Any], str, str]]:
    """Every Agent and Group of one statement level, with its path and its role."""
    out: list[tuple[dict[str, Any], str, str]] = []
    _add_actor(out, s.get("actor"), f"{path}.actor", "actor")
    obj = s.get("object")
    if isinstance(obj, dict) and obj.get("objectType") in ("Agent", "Group"):
        _add_actor(out, obj, f"{path}.object", "object")
    context = s.get("context")
    if isinstance(context, dict):
        for key in ("instructor", "team"):
            if key in context:
                _add_actor(out, context[key], f"{path}.context.{key}", key)
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            entries = context.get(key)
            for index, entry in enumerate(entries if isinstance(entries, list) else ()):
                where = f"{path}.context.{key}[{index}].{inner}"
                _add_actor(out, _get(entry, inner), where, key)
    if "authority" in s:
        _add_actor(out, s["authority"], f"{path}.authority", "authority")
    return out


def _definitions(s: dict[str, Any], path: str) -> list[tuple[dict[str, Any], str]]:
    """Every Activity definition of one statement level: the object's and the context's."""
    out: list[tuple[dict[str, Any], str]] = []
    obj = s.get("object")
    if isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity":
        if isinstance(obj.get("definition"), dict):
            out.append((obj["definition"], f"{path}.object.definition"))
    activities = _get(s, "context", "contextActivities")
    if isinstance(activities, dict):
        for key, value in activities.items():
            where = f"{path}.context.contextActivities.{key}"
            listed = enumerate(value) if isinstance(value, list) else ((None, value),)
            for index, activity in listed:
                if isinstance(activity, dict) and isinstance(activity.get("definition"), dict):
                    at = where if index is None else f"{where}[{index}]"
                    out.append((activity["definition"], f"{at}.definition"))
    return out


def _rule_violations(stmt: dict[str, Any], path: str, version: str) -> list[Violation]:
    """Run the registries over the statement and, if its object is one, its SubStatement."""
    out: list[Violation] = []
    levels = [(stmt, path, _ALL_STATEMENT_RULES)]
    obj = stmt.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        levels.append((obj, f"{path}.object", STATEMENT_RULES))
    for s, at, rules in levels:
        for node, where, role in _actors(s, at):
            for actor_rule in ACTOR_RULES:
                out += actor_rule(node, where, role)
        for defn, where in _definitions(s, at):
            for definition_rule in DEFINITION_RULES:
                out += definition_rule(defn, where)
        for rule in rules:
            out += rule(s, at, version)
    return out


# --- public entry points ---------------------------------------------------------------------------


def validate_statement(
    stmt: Any, path: str = "$", version: str = "1.0.3", *, most: int | None = None
) -> list[Violation]:
    """Full validation of one statement as a client sent it; an empty list means valid.

    `most` stops the schema walk after about that many errors (None: find them all); the named
    rules always run, and a statement with an error always has at least one violation.
    """
    errors = STATEMENT.errors(stmt, most)  # none unless the compiled validator refuses
    schema_side = _schema_violations(errors, path, most) if errors else []
    if not isinstance(stmt, dict):
        return schema_side
    rule_side = _rule_violations(stmt, path, version)
    if not schema_side and not rule_side:
        return []
    merged = _merge(schema_side, rule_side)
    return merged if most is None else merged[:most]


class ValidationAbandoned(Exception):
    """The client went away while its batch was validated: nobody is left to read the answer."""


@dataclass(frozen=True)
class BatchCheck:
    """The violations found, and how many statements were left unchecked once enough were."""

    violations: list[Violation]
    unchecked: int = 0


def check_batch(
    body: Any,
    version: str = "1.0.3",
    *,
    enough: int | None = None,
    client_disconnected: Callable[[], bool] | None = None,
) -> BatchCheck:
    """One statement (dict) or a batch (list, paths "$[i]..."), all rejected if one is bad.

    With `enough`, checking stops once more than `enough` violations are found (a 400 lists
    only so many), so the cost of a hostile batch is bounded by what is reported, not by how
    many faults it packs; the statements after the stop are counted in `unchecked`.
    `client_disconnected` (the server's own test, e.g. waitress's) is asked every
    DISCONNECT_CHECK_EVERY statements; when it says yes, ValidationAbandoned is raised.

    An empty batch is valid here: xAPI-C §2.1.2 asks for "an array of Statements" and sets no
    minimum, and LRS-TS sends none; whether to store nothing or refuse is the resource's call.
    Two statements with the same id in one batch are flagged (xAPI-C §2.1.2, SHOULD* 400).
    """
    if isinstance(body, dict):
        return BatchCheck(validate_statement(body, "$", version, most=_room(enough, 0)))
    if not isinstance(body, list):
        rule = f"expected a statement object or an array of statements, got {_json_type(body)}"
        return BatchCheck([Violation("$", rule, "xAPI-C §2.1.2")])
    out: list[Violation] = []
    first_seen: dict[str, int] = {}
    for index, stmt in enumerate(body):
        if enough is not None and len(out) > enough:
            return BatchCheck(out, len(body) - index)
        if client_disconnected is not None and index % DISCONNECT_CHECK_EVERY == 0 and index:
            if client_disconnected():
                raise ValidationAbandoned(f"client disconnected at statement {index}")
        out.extend(validate_statement(stmt, f"$[{index}]", version, most=_room(enough, len(out))))
        sid = stmt.get("id") if isinstance(stmt, dict) else None
        if is_uuid(sid):
            key = sid.lower()
            if key in first_seen:
                rule = f"statement id {sid} is used twice in this batch (first at $[{first_seen[key]}])"
                out.append(Violation(f"$[{index}].id", rule, "xAPI-C §2.1.2"))
            first_seen.setdefault(key, index)
    return BatchCheck(out)


def _room(enough: int | None, found: int) -> int | None:
    return None if enough is None else enough + 1 - found


def validate_statements(body: Any, version: str = "1.0.3") -> list[Violation]:
    """Every violation of one statement or a batch (see check_batch)."""
    return check_batch(body, version).violations


def _param_violations(obj: Any, schema: SchemaCheck, path: str) -> list[Violation]:
    schema_side = _schema_violations(schema.errors(obj), path)
    actors: list[tuple[dict[str, Any], str, str]] = []
    _add_actor(actors, obj, path, "parameter")
    rule_side = [
        v for node, at, role in actors for rule in ACTOR_RULES for v in rule(node, at, role)
    ]
    return _merge(schema_side, rule_side)


def validate_agent(obj: Any, path: str = "$") -> list[Violation]:
    """The `agent` parameter of State, Agent Profile and Agents: one Agent with exactly one IFI."""
    if isinstance(obj, dict) and obj.get("objectType") == "Group":
        rule = "this parameter takes an Agent, not a Group"
        return [Violation(child_path(path, "objectType"), rule, "xAPI-D §2.2 XAPI-00012")]
    return _param_violations(obj, AGENT, path)


def validate_actor(obj: Any, path: str = "$") -> list[Violation]:
    """The `agent` filter of GET statements: an Agent or an identified Group (xAPI-C §2.1.3)."""
    out = _param_violations(obj, ACTOR, path)
    if isinstance(obj, dict) and obj.get("objectType") == "Group":
        if not any(k in obj for k in _IFI_KEYS):
            rule = "a Group used as a filter must be identified by an IFI; anonymous Groups match nothing"
            out.append(Violation(path, rule, "xAPI-C §2.1.3"))
    return out
