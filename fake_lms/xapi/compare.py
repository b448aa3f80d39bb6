"""When two statements are the same statement: the Statement Comparison Requirements.

xAPI 1.0.3 Data §2.3.1: "Differences which could have been caused by exceptions to Statement
immutability MUST be ignored. Differences relating to a different serialization of any properties
not listed as exceptions MUST not be ignored." The exceptions, each applied below:

- b1 properties the LRS assigns: ``stored``, ``authority``, ``version`` always; ``id`` and the
  statement ``timestamp`` only when one side lacks them (the LRS fills them in only then);
- b2 Activity Definitions and b3 the Verb ``display`` are not part of the statement;
- b4 timestamps compare as instants, in any time zone, to the millisecond: two are the same when
  one, truncated or rounded to the millisecond, is the other truncated or rounded (§4.5 b7: a
  timestamp MAY be truncated or rounded to 3 decimal digits), so ``.2536`` matches ``.253`` and
  ``.254``, and ``.2534`` matches ``.253`` only;
- b5 the members of a Group are unordered;
- b6 attachments are not part of the statement;
- b7 case-insensitive parts: the domain of an email address (and the ``mailto`` scheme), UUIDs
  (RFC 4122 §3: "case insensitive on input"), language tags (RFC 5646 §2.1.1).

Not exceptions (b8): a Result Duration is not converted between units ("it is not possible for
an LRS to accurately ... convert between units of time"): ``PT60S`` and ``PT1M`` differ. Each unit
compares as a number (``PT1.5S`` and ``PT1.50S`` are one duration, an absent unit is 0), seconds
to 0.01 s, "any precision beyond 0.01 second precision" excluded (1.0.3 §4.6 b5 SHOULD*, 2.0
"shall not be included in the comparison"; the LRS may truncate, never round). IRIs compare as
strings (§3.1: RFC 3987 §5.3.1 simple string comparison). A property left out and the same
property with its default ``objectType`` say the same thing and match. JSON key order never
matters; array order matters except for Group members.

Used by statement id reuse (xAPI-C §2.1.1/§2.1.2: 409 when they differ) and by signed statements
(xAPI-D §2.6: the JWS payload must be "logically equivalent to the received Statement").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fake_lms.xapi.json_values import json_equal
from fake_lms.xapi.jsonbody import child_path
from fake_lms.xapi.validation import is_duration, parse_timestamp

SECTION = "xAPI-D §2.3.1 (Statement Comparison Requirements)"
# Assigned or rewritten by the LRS, or not part of the statement at all (§2.3.1 b1, b6).
IGNORED = frozenset({"stored", "authority", "version", "attachments"})
# Assigned by the LRS only when the statement comes without them (§2.3.1 b1, §2.4.1, §2.4.7).
FILLED_WHEN_ABSENT = ("id", "timestamp")
_MISSING = "<absent>"
_SECONDS = re.compile(r"^(.*\D)(\d+)([.,])(\d+)S$")
# The units of an ISO 8601 duration, in order; only the last one given may have a fraction.
_UNITS = re.compile(
    r"P(?:(?P<W>[\d.,]+)W|(?:(?P<Y>[\d.,]+)Y)?(?:(?P<Mo>[\d.,]+)M)?(?:(?P<D>[\d.,]+)D)?"
    r"(?:T(?:(?P<H>[\d.,]+)H)?(?:(?P<Mi>[\d.,]+)M)?(?:(?P<S>[\d.,]+)S)?)?)"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# How a property is compared, for the message that names a difference.
_HOW = {
    "timestamp": "compared as instants to the millisecond, truncated or rounded, in any time zone"
    " (§2.3.1 b4, §4.5)",
    "duration": "compared unit by unit as numbers, seconds to 0.01 s, units never converted "
    "(§2.3.1 b8, §4.6; 2.0: precision beyond 0.01 s shall not be compared)",
    "mbox": "compared with the email domain in any case (§2.3.1 b7)",
    "member": "Group members compared in any order (§2.3.1 b5)",
    "registration": "UUIDs compared in any case (§2.3.1 b7; RFC 4122 §3)",
    "language": "language tags compared in any case (§2.3.1 b7; RFC 5646 §2.1.1)",
}


@dataclass(frozen=True)
class Difference:
    """The first place two statements differ, in their compared (normal) form."""

    path: str
    first: Any
    second: Any
    how: str = "differences not listed as exceptions are not ignored"

    def describe(self, first: str = "first", second: str = "second") -> str:
        """`$.path: <first> X, <second> Y (how compared; section)` with the two sides named."""
        return (
            f"{self.path}: {first} {_show(self.first)}, {second} {_show(self.second)}"
            f" ({self.how}; {SECTION})"
        )

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Reading:
    """A value compared by what it means: two readings match when they share a key.

    `keys` holds every form the value may have been reduced to (a timestamp: its millisecond
    truncated and rounded); `shown` is the value as a difference names it.
    """

    shown: Any
    keys: frozenset[Any]


def same_statement(a: Any, b: Any) -> bool:
    """True when a and b are the same statement under xAPI-D §2.3.1 (both versions)."""
    return first_difference(a, b) is None


def first_difference(a: Any, b: Any) -> Difference | None:
    """The first difference that the Statement Comparison Requirements do not ignore, or None."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        if isinstance(a, dict) == isinstance(b, dict) and a == b:
            return None
        return Difference("$", a, b, "a statement is a JSON object")
    left, right = normal_form(a), normal_form(b)
    for key in FILLED_WHEN_ABSENT:
        if key not in left or key not in right:
            left.pop(key, None)
            right.pop(key, None)
    return _walk("$", left, right)


def normal_form(stmt: dict[str, Any], *, top: bool = True) -> dict[str, Any]:
    """The statement as it is compared: ignored parts dropped, the rest in one spelling."""
    out: dict[str, Any] = {}
    for key, value in stmt.items():
        if key in IGNORED:
            continue
        if key == "actor":
            out[key] = _agent(value, "Agent")
        elif key == "verb":
            out[key] = _without(value, "display")
        elif key == "object":
            out[key] = _object(value)
        elif key == "result":
            out[key] = _result(value)
        elif key == "context":
            out[key] = _context(value)
        elif key == "timestamp":
            out[key] = _instant(value)
        elif key == "id" and top:
            out[key] = _uuid(value)
        else:
            out[key] = value
    return out


# --- the parts ----------------------------------------------------------------------------


def _without(value: Any, *keys: str) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if k not in keys}


def _uuid(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _instant(value: Any) -> Any:
    """A timestamp as the millisecond it names, truncated or rounded (§2.3.1 b4, §4.5 b7)."""
    when = parse_timestamp(value)
    if when is None:
        return value
    micro = (when - _EPOCH) // _MICROSECOND
    shown = when.astimezone(UTC).replace(microsecond=when.microsecond // 1000 * 1000)
    return Reading(
        shown.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        frozenset({micro // 1000, (micro + 500) // 1000}),
    )


def _duration(value: Any) -> Any:
    """A duration as one number per unit, seconds truncated to 0.01 s (§2.3.1 b8, §4.6)."""
    units = _UNITS.fullmatch(value) if is_duration(value) else None
    if units is None:
        return value
    numbers = [_decimal(units[name] or "0") for name in ("W", "Y", "Mo", "D", "H", "Mi")]
    whole, _, fraction = (units["S"] or "0").replace(",", ".").partition(".")
    numbers.append(Decimal(f"{whole}.{fraction[:2] or '0'}"))
    return Reading(_hundredths(value), frozenset({tuple(numbers)}))


def _hundredths(value: str) -> str:
    """The duration as sent, its seconds cut to 0.01 s: how a difference names it."""
    found = _SECONDS.match(value)
    if found is None:
        return value
    head, whole, sign, fraction = found.groups()
    return f"{head}{whole}{sign}{fraction[:2]}S"


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _mbox(value: Any) -> Any:
    if not isinstance(value, str) or value[:7].lower() != "mailto:" or "@" not in value:
        return value
    local, _, domain = value[7:].rpartition("@")
    return f"mailto:{local}@{domain.lower()}"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _agent(value: Any, default_kind: str) -> Any:
    """An Agent or Group: default objectType, mbox domain case, members in any order."""
    if not isinstance(value, dict):
        return value
    out = dict(value)
    out["objectType"] = value.get("objectType", default_kind)
    if "mbox" in out:
        out["mbox"] = _mbox(out["mbox"])
    members = value.get("member")
    if isinstance(members, list):
        out["member"] = sorted((_agent(m, "Agent") for m in members), key=_canonical)
    return out


def _activity(value: Any) -> Any:
    """An Activity is its id: the definition is not part of the statement (§2.3.1 b2)."""
    if not isinstance(value, dict):
        return value
    out = _without(value, "definition")
    out["objectType"] = value.get("objectType", "Activity")
    return out


def _object(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        return _activity(value)
    if kind in ("Agent", "Group"):
        return _agent(value, kind)
    if kind == "StatementRef":
        return {**value, "id": _uuid(value.get("id"))}
    if kind == "SubStatement":
        return normal_form(value, top=False)
    return value


def _result(value: Any) -> Any:
    if not isinstance(value, dict) or "duration" not in value:
        return value
    return {**value, "duration": _duration(value["duration"])}


def _context(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for key in ("registration", "language"):
        if isinstance(out.get(key), str):
            out[key] = out[key].lower()
    for key in ("instructor", "team"):
        if key in out:
            out[key] = _agent(out[key], "Group" if key == "team" else "Agent")
    if isinstance(out.get("statement"), dict):
        out["statement"] = _object(out["statement"])
    activities = out.get("contextActivities")
    if isinstance(activities, dict):
        # one Activity and an array holding it say the same thing (the LRS returns arrays)
        out["contextActivities"] = {
            k: [_activity(a) for a in (v if isinstance(v, list) else [v])]
            for k, v in activities.items()
        }
    for key, inner, kind in (
        ("contextAgents", "agent", "Agent"),
        ("contextGroups", "group", "Group"),
    ):
        if isinstance(out.get(key), list):
            out[key] = [
                {**item, inner: _agent(item[inner], kind)}
                if isinstance(item, dict) and inner in item
                else item
                for item in out[key]
            ]
    return out


# --- finding the first difference ---------------------------------------------------------


def _how(path: str) -> str:
    if path == "$.id":
        return _HOW["registration"]
    for part in reversed(re.split(r"[.\[\]]", path)):
        if part in _HOW:
            return _HOW[part]
    return Difference.how


def _walk(path: str, a: Any, b: Any) -> Difference | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            where = child_path(path, key)
            if key not in a or key not in b:
                return _differ(where, a.get(key, _MISSING), b.get(key, _MISSING))
            found = _walk(where, a[key], b[key])
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return _differ(path, a, b)
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _walk(f"{path}[{index}]", x, y)
            if found is not None:
                return found
        return None
    if isinstance(a, Reading) and isinstance(b, Reading):
        return None if a.keys & b.keys else _differ(path, a, b)
    if isinstance(a, Reading) or isinstance(b, Reading):
        return _differ(path, a, b)
    return None if json_equal(a, b) else _differ(path, a, b)


def _differ(path: str, a: Any, b: Any) -> Difference:
    return Difference(path, _plain(a), _plain(b), _how(path))


def _plain(value: Any) -> Any:
    """The compared form as JSON: each Reading as it is shown."""
    if isinstance(value, Reading):
        return value.shown
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _show(value: Any) -> str:
    text = value if value == _MISSING else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."
