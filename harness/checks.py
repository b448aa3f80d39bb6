"""The scenario checks: each a named function tagged with the rule it enforces and its source.

A check takes the evidence and the expected value from the scenario and returns a CheckResult
whose message quotes what arrived, what was expected and the rule. `CHECKS` lists them all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.evidence import Evidence

MISSING = object()


@dataclass
class CheckResult:
    name: str
    rule: str
    passed: bool
    expected: Any
    actual: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule,
            "passed": self.passed,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


@dataclass(frozen=True)
class Check:
    key: str  # the `expect` key in a scenario
    rule: str
    func: Callable[[Evidence, Any], tuple[bool, Any, str]]


def _result(check: Check, expected: Any, passed: bool, actual: Any, detail: str) -> CheckResult:
    verdict = "as expected" if passed else "NOT as expected"
    message = f"{check.key}: {verdict}: expected {expected!r}, got {actual!r}"
    if detail:
        message += f" ({detail})"
    if not passed:
        message += f" [rule: {check.rule}]"
    return CheckResult(check.key, check.rule, passed, expected, actual, message)


def dig(obj: Any, path: str) -> Any:
    """The value at a dotted path; quoted segments ("a.b") may hold dots, as IRIs do."""
    for part in re.findall(r'"([^"]+)"|([^.]+)', path):
        key = part[0] or part[1]
        if not isinstance(obj, dict) or key not in obj:
            return MISSING
        obj = obj[key]
    return obj


# --- the checks -------------------------------------------------------------------------------


def story_outcome(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    actual = ev.outcome.get("status")
    return actual == expected, actual, ev.outcome.get("reason", "")


def failure_reason(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    actual = ev.outcome.get("reason", "")
    return expected.lower() in actual.lower(), actual, "the story must say why it failed"


def statements_per_mount(ev: Evidence, expected: dict[str, int]) -> tuple[bool, Any, str]:
    actual = {role: len(ev.received(role)) for role in expected}
    return actual == expected, actual, "statements received per mount"


def credentials_used(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    kinds = sorted({ev.credential_kind(e) for e in ev.statement_requests()})
    if expected == "none":
        return not ev.statement_requests(), kinds, "no statement request may be sent"
    return kinds == [expected], kinds, "Authorization of every statement request"


def fetch_call_count(ev: Evidence, expected: int) -> tuple[bool, Any, str]:
    actual = len(ev.fetches())
    return actual == expected, actual, "calls to the fetch URL"


def fetch_by_post(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    methods = [e.method for e in ev.fetches() if e.method != "OPTIONS"]
    return bool(methods) and all(m == expected for m in methods), methods, ""


def statements_url_clean(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    paths = [e.path for e in ev.statement_requests()]
    clean = bool(paths) and all("//" not in p for p in paths)
    return clean == expected, paths, "the statements URL is the endpoint plus 'statements'"


def field_values(ev: Evidence, expected: dict[str, Any]) -> tuple[bool, Any, str]:
    stmt = ev.main_statement()
    if stmt is None:
        return False, "no statement", ""
    actual = {}
    ok = True
    for path, want in expected.items():
        value = dig(stmt, path)
        actual[path] = "<missing>" if value is MISSING else value
        ok = ok and value == ev.lookup(want)
    return ok, actual, "fields of the completion statement"


def fields_absent(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    stmt = ev.main_statement()
    if stmt is None:
        return False, "no statement", ""
    present = [p for p in expected if dig(stmt, p) is not MISSING]
    return not present, present, "these properties must not be sent"


def verb_by_id(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    stmt = ev.main_statement()
    actual = dig(stmt, "verb.id") if stmt else MISSING
    return actual == expected, None if actual is MISSING else actual, "verbs match by id only"


def utc_timestamp(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    stamps = [s.get("timestamp") for s in ev.received()]
    utc = bool(stamps) and all(
        isinstance(t, str) and re.search(r"(Z|\+00:?(00)?)$", t) for t in stamps
    )
    return utc == expected, stamps, ""


def uuid_ids(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    ids = [s.get("id") for s in ev.received()]

    def is_uuid(value: Any) -> bool:
        try:
            return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
        except ValueError:
            return False

    ok = bool(ids) and all(is_uuid(i) for i in ids)
    return ok == expected, ids, ""


def version_header(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    values = [e.header("X-Experience-API-Version") for e in ev.statement_requests()]
    return bool(values) and all(v == expected for v in values), values, ""


def cmi5_verdicts(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    found = sorted(
        {
            v["requirement"]
            for e in ev.exchanges
            for verdict in e.verdicts
            for v in verdict.get("cmi5", [])
        }
    )
    if expected == "none":
        return not found, found, "no cmi5 rule may be broken"
    return expected in found, found, "cmi5 requirement ids recorded by the fake LMS"


def xapi_valid(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    statuses = [e.status for e in ev.statement_requests()]
    return (400 not in statuses) == expected, statuses, "400 means invalid xAPI"


def statement_statuses(ev: Evidence, expected: list[int]) -> tuple[bool, Any, str]:
    statuses = [e.status for e in ev.statement_requests()]
    return statuses == expected, statuses, ""


def return_redirect(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    actual = ev.outcome.get("redirect")
    return actual == ev.lookup(expected), actual, "returnURL is followed on exit"


def cmi5_verdicts_include(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    found = sorted(
        {
            v["requirement"]
            for e in ev.exchanges
            for verdict in e.verdicts
            for v in verdict.get("cmi5", [])
        }
    )
    missing = [r for r in expected if r not in found]
    return not missing, found, f"missing {missing}" if missing else "all recorded"


def fetch_verdicts(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    actual = [
        verdict["requirement"]
        for e in ev.fetches()
        if e.method != "OPTIONS"
        for verdict in e.verdicts
        if "requirement" in verdict
    ]
    return actual == expected, actual, "requirement ids the fake LMS recorded per fetch call"


def authorization_scheme(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    schemes = [(e.header("Authorization") or "").split(" ")[0] for e in ev.statement_requests()]
    ok = bool(schemes) and all(s == expected for s in schemes)
    return ok, schemes, "the scheme of every statement request's Authorization header"


def verbs_sent(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    actual = [dig(s, "verb.id") for s in ev.received()]
    actual = [None if v is MISSING else v for v in actual]
    return actual == expected, actual, "verb ids of every statement sent, in order"


def every_statement(ev: Evidence, expected: dict[str, Any]) -> tuple[bool, Any, str]:
    received = ev.received()
    if not received:
        return False, "no statement", ""
    wrong = []
    for index, stmt in enumerate(received):
        for path, want in expected.items():
            value = dig(stmt, path)
            if value != ev.lookup(want):
                wrong.append({"statement": index, path: "<missing>" if value is MISSING else value})
    return not wrong, wrong or "all as expected", "fields of every statement sent"


CHECKS: tuple[Check, ...] = (
    Check("outcome", "the story ends as expected (seed: completions are reported)", story_outcome),
    Check("reason_contains", "a failure is reported clearly, naming its cause", failure_reason),
    Check(
        "statements",
        "seed: the endpoint query parameter has precedence over the configured API URL",
        statements_per_mount,
    ),
    Check(
        "credentials",
        "seed: the fetch query parameter has precedence over the configured API key",
        credentials_used,
    ),
    Check("fetch_calls", "cmi5 8.2.3.0-1: the fetch URL is called once", fetch_call_count),
    Check("fetch_method", "cmi5 8.2.1.0-2: the token is fetched with POST", fetch_by_post),
    Check(
        "statement_url_clean",
        "cmi5 8.1.1.0-3: 'statements' is appended to the endpoint",
        statements_url_clean,
    ),
    Check(
        "fields",
        "seed example statement; cmi5 8.1.3.0-3, 8.1.4.0-3, 8.1.5.0-6, 9.6.3.1-4",
        field_values,
    ),
    Check("absent", "xAPI-D §2.2: only the properties the spec defines", fields_absent),
    Check("verb_id", "xAPI-D §2.4.3: a verb is identified by its id", verb_by_id),
    Check("utc_timestamp", "seed example (…Z); cmi5 9.7.0.0-2: timestamps in UTC", utc_timestamp),
    Check("uuid_id", "cmi5 9.1.0.0-1: every statement has a UUID id", uuid_ids),
    Check("version_header", "xAPI-C §3.3 (XAPI-00331): X-Experience-API-Version", version_header),
    Check("cmi5_verdicts", "cmi5 §4.9 rejection table, as the fake LMS judged", cmi5_verdicts),
    Check("xapi_valid", "xAPI-D §2: statements are valid xAPI", xapi_valid),
    Check("statuses", "the LRS's answers to the story, in order", statement_statuses),
    Check("redirect", "cmi5 10.2.6.0-1: redirect to returnURL on exit", return_redirect),
    Check(
        "cmi5_verdicts_include",
        "cmi5 §4.9 rejection table: every listed requirement id was recorded by the fake LMS",
        cmi5_verdicts_include,
    ),
    Check(
        "fetch_verdicts",
        "cmi5 §8.2 (8.2.1.0-2, 8.2.1.0-6, 8.2.3.0-1): how the fetch URL judged each call",
        fetch_verdicts,
    ),
    Check(
        "authorization_scheme",
        "cmi5 8.2.2.0-5 (RFC 1945 §11.1): Authorization: Basic <auth-token>",
        authorization_scheme,
    ),
    Check(
        "verbs",
        "cmi5 §9.3 (9.3.0.0-4, 9.3.0.0-5), §10.2.2: the statements sent, by verb id, in order",
        verbs_sent,
    ),
    Check(
        "every_statement",
        "cmi5 8.1.3.0-3, 8.1.4.0-3, 9.6.3.1-4: launch values in every statement, not just one",
        every_statement,
    ),
)
BY_KEY = {c.key: c for c in CHECKS}


def evaluate(ev: Evidence, expect: dict[str, Any]) -> list[CheckResult]:
    results = []
    for key, expected in expect.items():
        check = BY_KEY[key]
        passed, actual, detail = check.func(ev, expected)
        results.append(_result(check, expected, passed, actual, detail))
    return results
