"""The scenario checks: each a named function registered with its `expect` key, rule and source.

A check takes the evidence and the expected value from the scenario and returns
`(passed, actual, detail)`; `evaluate` turns that into a CheckResult whose message quotes what
arrived, what was expected and the rule. Guard decorators (`requires_*`) stand before a check
that needs something to judge: without it the check fails saying there was nothing to judge,
never passes. `REGISTRY` (also `BY_KEY`) lists every check, in the order they are defined.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.evidence import Evidence

MISSING = object()
NOTHING_TO_JUDGE = "nothing to judge"

CheckFunc = Callable[[Evidence, Any], tuple[bool, Any, str]]


class NothingToJudge(Exception):
    """The evidence holds nothing the check could judge; the message says what was missing."""


@dataclass
class CheckResult:
    name: str
    rule: str
    passed: bool
    expected: Any
    actual: Any
    message: str
    judged: bool = True  # False: there was nothing to judge (and the check failed for it)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule,
            "passed": self.passed,
            "judged": self.judged,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


@dataclass(frozen=True)
class Check:
    key: str  # the `expect` key in a scenario
    text: str  # what the rule requires
    source: str  # seed sentence, cmi5 requirement id or xAPI section
    func: CheckFunc

    @property
    def rule(self) -> str:
        return f"{self.source}: {self.text}"


REGISTRY: dict[str, Check] = {}


def check(key: str, *, rule: str, source: str) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check under its `expect` key, with the rule it enforces and where it is written."""

    def register(func: CheckFunc) -> CheckFunc:
        if key in REGISTRY:
            raise ValueError(f"check key {key!r} is registered twice")
        REGISTRY[key] = Check(key, rule, source, func)
        return func

    return register


def _requires(what: Callable[[Evidence], Any], missing: str) -> Callable[[CheckFunc], CheckFunc]:
    def guard(func: CheckFunc) -> CheckFunc:
        @functools.wraps(func)
        def guarded(ev: Evidence, expected: Any) -> tuple[bool, Any, str]:
            if not what(ev):
                raise NothingToJudge(missing)
            return func(ev, expected)

        return guarded

    return guard


requires_statement_request = _requires(
    lambda ev: ev.statement_requests(), "the story sent no statement request"
)
requires_sent_statement = _requires(lambda ev: ev.sent(), "the story sent no statement")
requires_accepted_statement = _requires(lambda ev: ev.received(), "the LRS accepted no statement")
requires_fetch = _requires(
    lambda ev: [e for e in ev.fetches() if e.method != "OPTIONS"], "the fetch URL was not called"
)
requires_outcome = _requires(lambda ev: ev.outcome.get("status"), "the story reported no outcome")


def _result(check: Check, expected: Any, passed: bool, actual: Any, detail: str) -> CheckResult:
    verdict = "as expected" if passed else "NOT as expected"
    message = f"{check.key}: {verdict}: expected {expected!r}, got {actual!r}"
    if detail:
        message += f" ({detail})"
    if not passed:
        message += f" [rule: {check.rule}]"
    return CheckResult(check.key, check.rule, passed, expected, actual, message)


def _nothing(check: Check, expected: Any, why: str) -> CheckResult:
    message = (
        f"{check.key}: {NOTHING_TO_JUDGE}: {why}, so expected {expected!r} cannot be confirmed"
        f" [rule: {check.rule}]"
    )
    return CheckResult(check.key, check.rule, False, expected, None, message, judged=False)


def dig(obj: Any, path: str) -> Any:
    """The value at a dotted path; quoted segments ("a.b") may hold dots, as IRIs do."""
    for part in re.findall(r'"([^"]+)"|([^.]+)', path):
        key = part[0] or part[1]
        if not isinstance(obj, dict) or key not in obj:
            return MISSING
        obj = obj[key]
    return obj


def _cmi5_found(ev: Evidence) -> list[str]:
    return sorted(
        {
            v["requirement"]
            for e in ev.exchanges
            for verdict in e.verdicts
            for v in verdict.get("cmi5", [])
        }
    )


def _fates(ev: Evidence, roles: Any) -> str:
    """What became of the statements that were not accepted, per mount, with the LRS's answers."""
    parts = []
    for role in roles:
        fates = ev.fates(role)
        if fates["sent"] != fates["accepted"]:
            parts.append(
                f"{role}: {fates['sent']} sent, {fates['accepted']} accepted, "
                f"{fates['refused']} refused, {fates['dropped']} not stored"
                f" ({'; '.join(fates['answers'])})"
            )
    return "; ".join(parts)


# --- the checks -------------------------------------------------------------------------------


@check("outcome", rule="the story ends as expected", source="seed: completions are reported")
@requires_outcome
def story_outcome(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    actual = ev.outcome.get("status")
    return actual == expected, actual, ev.outcome.get("reason", "")


@check(
    "reason_contains",
    rule="a failure is reported clearly, naming its cause",
    source="seed: completions are reported",
)
@requires_outcome
def failure_reason(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    actual = ev.outcome.get("reason", "")
    return expected.lower() in actual.lower(), actual, "the story must say why it failed"


@check(
    "statements",
    rule="the endpoint query parameter has precedence over the configured API URL; a count is "
    "of statements the LRS accepted (answered 2xx and stored)",
    source="seed",
)
def statements_per_mount(ev: Evidence, expected: dict[str, int]) -> tuple[bool, Any, str]:
    actual = {role: len(ev.received(role)) for role in expected}
    detail = "statements accepted per mount"
    lost = _fates(ev, expected)
    return actual == expected, actual, f"{detail}; {lost}" if lost else detail


@check(
    "refused",
    rule="statements the LRS refused (non-2xx), per mount, named with the LRS's answer",
    source="xAPI-C §3.2 (status codes)",
)
def refused_per_mount(ev: Evidence, expected: dict[str, int]) -> tuple[bool, Any, str]:
    actual = {role: len(ev.refused(role)) for role in expected}
    answers = [
        f"{s.exchange.role}: {s.answer}" for s in ev.refused() if s.exchange.role in expected
    ]
    detail = "statements refused per mount"
    if answers:
        detail += f"; {'; '.join(dict.fromkeys(answers))}"
    return actual == expected, actual, detail


@check(
    "credentials",
    rule="the fetch query parameter has precedence over the configured API key",
    source="seed",
)
def credentials_used(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    kinds = sorted({ev.credential_kind(e) for e in ev.statement_requests()})
    if expected == "none":
        return not ev.statement_requests(), kinds, "no statement request may be sent"
    if not kinds:
        raise NothingToJudge("the story sent no statement request")
    return kinds == [expected], kinds, "Authorization of every statement request"


@check("fetch_calls", rule="the fetch URL is called once", source="cmi5 8.2.3.0-1")
def fetch_call_count(ev: Evidence, expected: int) -> tuple[bool, Any, str]:
    actual = len(ev.fetches())
    return actual == expected, actual, "calls to the fetch URL"


@check("fetch_method", rule="the token is fetched with POST", source="cmi5 8.2.1.0-2")
@requires_fetch
def fetch_by_post(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    methods = [e.method for e in ev.fetches() if e.method != "OPTIONS"]
    return all(m == expected for m in methods), methods, ""


@check(
    "statement_url_clean",
    rule="'statements' is appended to the endpoint",
    source="cmi5 8.1.1.0-3",
)
@requires_statement_request
def statements_url_clean(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    paths = [e.path for e in ev.statement_requests()]
    clean = all("//" not in p for p in paths)
    return clean == expected, paths, "the statements URL is the endpoint plus 'statements'"


@check(
    "fields",
    rule="fields of the accepted completion statement",
    source="seed example statement; cmi5 8.1.3.0-3, 8.1.4.0-3, 8.1.5.0-6, 9.6.3.1-4",
)
@requires_accepted_statement
def field_values(ev: Evidence, expected: dict[str, Any]) -> tuple[bool, Any, str]:
    return _fields(ev, ev.main_statement(), expected, "accepted")


def _fields(ev: Evidence, stmt: Any, expected: dict[str, Any], which: str) -> tuple[bool, Any, str]:
    actual = {}
    ok = True
    for path, want in expected.items():
        value = dig(stmt, path)
        actual[path] = "<missing>" if value is MISSING else value
        ok = ok and value == ev.lookup(want)
    return ok, actual, f"fields of the {which} completion statement"


@check(
    "sent_fields",
    rule="fields of the completion statement as sent, whatever the LRS made of it",
    source="seed example statement; cmi5 8.1.3.0-3, 8.1.4.0-3 (launch values echoed)",
)
@requires_sent_statement
def sent_field_values(ev: Evidence, expected: dict[str, Any]) -> tuple[bool, Any, str]:
    return _fields(ev, ev.main_statement(accepted=False), expected, "sent")


@check("absent", rule="only the properties the spec defines", source="xAPI-D §2.2")
@requires_accepted_statement
def fields_absent(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    stmt = ev.main_statement()
    present = [p for p in expected if dig(stmt, p) is not MISSING]
    return not present, present, "these properties must not be sent"


@check("verb_id", rule="a verb is identified by its id", source="xAPI-D §2.4.3")
@requires_accepted_statement
def verb_by_id(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    actual = dig(ev.main_statement(), "verb.id")
    return actual == expected, None if actual is MISSING else actual, "verbs match by id only"


@check(
    "utc_timestamp",
    rule="timestamps in UTC",
    source="seed example (…Z); cmi5 9.7.0.0-2",
)
@requires_sent_statement
def utc_timestamp(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    stamps = [s.get("timestamp") for s in ev.sent_statements()]
    utc = all(isinstance(t, str) and re.search(r"(Z|\+00:?(00)?)$", t) for t in stamps)
    return utc == expected, stamps, "the timestamp of every statement sent"


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


@check("uuid_id", rule="every statement has a UUID id", source="cmi5 9.1.0.0-1")
@requires_sent_statement
def uuid_ids(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    ids = [s.get("id") for s in ev.sent_statements()]
    return all(_is_uuid(i) for i in ids) == expected, ids, "the id of every statement sent"


@check(
    "version_header",
    rule="X-Experience-API-Version on every request",
    source="xAPI-C §3.3 (XAPI-00331)",
)
@requires_statement_request
def version_header(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    values = [e.header("X-Experience-API-Version") for e in ev.statement_requests()]
    return all(v == expected for v in values), values, ""


@check(
    "cmi5_verdicts",
    rule="the cmi5 rules the fake LMS found broken ('none': not one)",
    source="cmi5 §4.9 rejection table",
)
@requires_statement_request
def cmi5_verdicts(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    found = _cmi5_found(ev)
    if expected == "none":
        return not found, found, "no cmi5 rule may be broken"
    return expected in found, found, "cmi5 requirement ids recorded by the fake LMS"


@check("xapi_valid", rule="statements are valid xAPI (400 means invalid)", source="xAPI-D §2")
@requires_statement_request
def xapi_valid(ev: Evidence, expected: bool) -> tuple[bool, Any, str]:
    statuses = [e.status for e in ev.statement_requests()]
    answers = [e.answer() for e in ev.statement_requests() if e.status == 400]
    detail = "400 means invalid xAPI"
    return (400 not in statuses) == expected, statuses, "; ".join([detail, *answers])


@check("statuses", rule="the LRS's answers to the story, in order", source="xAPI-C §3.2")
def statement_statuses(ev: Evidence, expected: list[int]) -> tuple[bool, Any, str]:
    statuses = [e.status for e in ev.statement_requests()]
    return statuses == expected, statuses, ""


@check("redirect", rule="redirect to returnURL on exit", source="cmi5 10.2.6.0-1")
@requires_outcome
def return_redirect(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    actual = ev.outcome.get("redirect")
    return actual == ev.lookup(expected), actual, "returnURL is followed on exit"


@check(
    "cmi5_verdicts_include",
    rule="every listed requirement id was recorded by the fake LMS",
    source="cmi5 §4.9 rejection table",
)
def cmi5_verdicts_include(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    found = _cmi5_found(ev)
    missing = [r for r in expected if r not in found]
    return not missing, found, f"missing {missing}" if missing else "all recorded"


@check(
    "fetch_verdicts",
    rule="how the fetch URL judged each call",
    source="cmi5 §8.2 (8.2.1.0-2, 8.2.1.0-6, 8.2.3.0-1)",
)
def fetch_verdicts(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    actual = [
        verdict["requirement"]
        for e in ev.fetches()
        if e.method != "OPTIONS"
        for verdict in e.verdicts
        if "requirement" in verdict
    ]
    return actual == expected, actual, "requirement ids the fake LMS recorded per fetch call"


@check(
    "authorization_scheme",
    rule="Authorization: Basic <auth-token>",
    source="cmi5 8.2.2.0-5 (RFC 1945 §11.1)",
)
@requires_statement_request
def authorization_scheme(ev: Evidence, expected: str) -> tuple[bool, Any, str]:
    schemes = [(e.header("Authorization") or "").split(" ")[0] for e in ev.statement_requests()]
    ok = all(s == expected for s in schemes)
    return ok, schemes, "the scheme of every statement request's Authorization header"


@check(
    "verbs",
    rule="the statements sent, by verb id, in order",
    source="cmi5 §9.3 (9.3.0.0-4, 9.3.0.0-5), §10.2.2",
)
def verbs_sent(ev: Evidence, expected: list[str]) -> tuple[bool, Any, str]:
    actual = [dig(s, "verb.id") for s in ev.sent_statements()]
    actual = [None if v is MISSING else v for v in actual]
    return actual == expected, actual, "verb ids of every statement sent, in order"


@check(
    "every_statement",
    rule="launch values in every accepted statement, not just one",
    source="cmi5 8.1.3.0-3, 8.1.4.0-3, 9.6.3.1-4",
)
@requires_accepted_statement
def every_statement(ev: Evidence, expected: dict[str, Any]) -> tuple[bool, Any, str]:
    wrong = []
    for index, stmt in enumerate(ev.received()):
        for path, want in expected.items():
            value = dig(stmt, path)
            if value != ev.lookup(want):
                wrong.append({"statement": index, path: "<missing>" if value is MISSING else value})
    detail = "fields of every accepted statement"
    lost = _fates(ev, ev.mount_names)
    return not wrong, wrong or "all as expected", f"{detail}; {lost}" if lost else detail


BY_KEY = REGISTRY
CHECKS: tuple[Check, ...] = tuple(REGISTRY.values())


def evaluate(ev: Evidence, expect: dict[str, Any]) -> list[CheckResult]:
    """Each expectation judged by its registered check, in the order given."""
    results = []
    for key, expected in expect.items():
        registered = REGISTRY[key]
        try:
            passed, actual, detail = registered.func(ev, expected)
        except NothingToJudge as nothing:
            results.append(_nothing(registered, expected, str(nothing)))
            continue
        results.append(_result(registered, expected, passed, actual, detail))
    return results
