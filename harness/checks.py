"""The scenario checks: each a named function registered with its `expect` key, rule and source.

A check takes the evidence and the expected value from the scenario and returns a `Finding`
(`seen(passed, actual, detail)`); `evaluate` completes it with the check's key, rule, source and
the expected value, and `fake_lms.findings.render` words it: what arrived, what was expected and
the rule. Guard decorators (`requires_*`) stand before a check that needs something to judge:
without it the check fails saying there was nothing to judge, never passes. `REGISTRY` lists
every check, in the order they are defined.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_lms.cmi5.vocab import (
    AU_VERBS,
    SATISFACTION_VERBS,
    VERB_COMPLETED,
    VERB_FAILED,
    VERB_INITIALIZED,
    VERB_PASSED,
    VERB_TERMINATED,
)
from fake_lms.findings import FAIL, PASS, UNJUDGED, Finding, render, rule_of
from fake_lms.registry import Registry
from harness.evidence import ACCEPTED, VERBS, Evidence, verb_of

MISSING = object()

CheckFunc = Callable[[Evidence, Any], Finding]


class NothingToJudge(Exception):
    """The evidence holds nothing the check could judge; the message says what was missing."""


def seen(passed: bool, actual: Any, detail: str = "") -> Finding:
    """A check's verdict on what it observed; `evaluate` adds what the check and scenario say."""
    return Finding(PASS if passed else FAIL, detail, actual=actual)


def as_dict(result: Finding) -> dict[str, Any]:
    """A scenario check's result as the run report stores it."""
    return {
        "name": result.check,
        "rule": rule_of(result),
        "passed": result.passed,
        "judged": result.judged,
        "expected": result.expected,
        "actual": result.actual,
        "message": render(result),
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


REGISTRY: Registry[Check] = Registry("check key", lambda c: c.key)


def check(key: str, *, rule: str, source: str) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check under its `expect` key, with the rule it enforces and where it is written."""
    return REGISTRY.register(lambda func: Check(key, rule, source, func))


def _requires(what: Callable[[Evidence], Any], missing: str) -> Callable[[CheckFunc], CheckFunc]:
    def guard(func: CheckFunc) -> CheckFunc:
        @functools.wraps(func)
        def guarded(ev: Evidence, expected: Any) -> Finding:
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


def silence(ev: Evidence, wanted: str) -> str:
    """Why nothing could be judged when the story sent nothing, in the contract's words: a
    launch without `endpoint` or `fetch` leaves the story its configured API URL or API key
    to fall back on."""
    query = parse_qs(urlsplit(str(ev.launch.get("launch_url", ""))).query.replace("&amp;", "&"))
    missing = [(p, s) for p, s in (("endpoint", "API URL"), ("fetch", "API key")) if p not in query]
    if not missing:
        return f"the story sent no statement (expected them {wanted})"
    (parameter, setting), *also = missing
    sentence = (
        f"no `{parameter}` in the launch and the story sent nothing: it did not fall back to "
        f"its configured {setting}"
    )
    for parameter, setting in also:
        sentence += f" (nor, without `{parameter}`, to its {setting})"
    return sentence


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
def story_outcome(ev: Evidence, expected: str) -> Finding:
    actual = ev.outcome.get("status")
    return seen(actual == expected, actual, ev.outcome.get("reason", ""))


@check(
    "reason_contains",
    rule="a failure is reported clearly, naming its cause",
    source="seed: completions are reported",
)
@requires_outcome
def failure_reason(ev: Evidence, expected: str) -> Finding:
    actual = ev.outcome.get("reason", "")
    return seen(expected.lower() in actual.lower(), actual, "the story must say why it failed")


@check(
    "statements",
    rule="the endpoint query parameter has precedence over the configured API URL; a count is "
    "of statements the LRS accepted (answered 2xx and stored)",
    source="seed",
)
def statements_per_mount(ev: Evidence, expected: dict[str, Any]) -> Finding:
    accepted = [s.exchange.role for s in ev.sent() if s.fate == ACCEPTED]
    lost = _fates(ev, expected)
    detail = "statements accepted per mount" + (f"; {lost}" if lost else "")
    return _counted(expected, accepted, [], detail)


def count_matches(actual: int, expected: int | dict[str, int]) -> bool:
    """A count as a scenario states it: exactly `N`, or `{at_least: N}`."""
    if isinstance(expected, dict):
        return actual >= expected["at_least"]
    return actual == expected


def _counted(
    expected: dict[str, Any], roles: list[str], answers: list[str], detail: str
) -> Finding:
    """Per-mount counts (one role per counted item) against `expected`, the LRS's answers
    (distinct, in order) added to the detail."""
    actual = {role: roles.count(role) for role in expected}
    if answers:
        detail += f"; {'; '.join(dict.fromkeys(answers))}"
    ok = all(count_matches(actual[role], want) for role, want in expected.items())
    return seen(ok, actual, detail)


@check(
    "refused",
    rule="statements the LRS refused (non-2xx), per mount, named with the LRS's answer",
    source="xAPI-C §3.2 (status codes)",
)
def refused_per_mount(ev: Evidence, expected: dict[str, Any]) -> Finding:
    refused = [s for s in ev.refused() if s.exchange.role in expected]
    answers = [f"{s.exchange.role}: {s.answer}" for s in refused]
    return _counted(
        expected, [s.exchange.role for s in refused], answers, "statements refused per mount"
    )


@check(
    "refused_requests",
    rule="xAPI requests the LRS refused (non-2xx), per mount, whatever the resource (statements, "
    "state, profiles): an LRS refuses credentials it did not issue",
    source="xAPI-C §3.2 (status codes), §4 (authentication)",
)
def refused_requests(ev: Evidence, expected: dict[str, Any]) -> Finding:
    refused = [e for e in ev.xapi_requests() if not e.ok and e.role in expected]
    answers = [f"{e.role}: {e.method} {e.path.rsplit('/', 1)[-1]} {e.answer()}" for e in refused]
    return _counted(expected, [e.role for e in refused], answers, "xAPI requests refused per mount")


@check(
    "credentials",
    rule="the fetch query parameter has precedence over the configured API key; every xAPI "
    "request carries the credentials the precedence gives",
    source="seed",
)
def credentials_used(ev: Evidence, expected: str) -> Finding:
    kinds = sorted({ev.credential_kind(e) for e in ev.xapi_requests()})
    if expected == "none":
        return seen(not ev.statement_requests(), kinds, "no statement request may be sent")
    if not kinds:
        raise NothingToJudge(silence(ev, f"with the {expected}"))
    return seen(kinds == [expected], kinds, "Authorization of every xAPI request the story made")


@check("fetch_calls", rule="the fetch URL is called once", source="cmi5 8.2.3.0-1")
def fetch_call_count(ev: Evidence, expected: int) -> Finding:
    actual = len(ev.fetches())
    return seen(actual == expected, actual, "calls to the fetch URL")


@check("fetch_method", rule="the token is fetched with POST", source="cmi5 8.2.1.0-2")
@requires_fetch
def fetch_by_post(ev: Evidence, expected: str) -> Finding:
    methods = [e.method for e in ev.fetches() if e.method != "OPTIONS"]
    return seen(all(m == expected for m in methods), methods, "")


@check(
    "statement_url_clean",
    rule="'statements' is appended to the endpoint",
    source="cmi5 8.1.1.0-3",
)
@requires_statement_request
def statements_url_clean(ev: Evidence, expected: bool) -> Finding:
    paths = [e.path for e in ev.statement_requests()]
    clean = all("//" not in p for p in paths)
    return seen(clean == expected, paths, "the statements URL is the endpoint plus 'statements'")


@check(
    "fields",
    rule="fields of the accepted completion statement",
    source="seed example statement; cmi5 8.1.3.0-3, 8.1.4.0-3, 8.1.5.0-6, 9.6.3.1-4",
)
@requires_accepted_statement
def field_values(ev: Evidence, expected: dict[str, Any]) -> Finding:
    return _fields(ev, ev.main_statement(), expected, "accepted")


def _fields(ev: Evidence, stmt: Any, expected: dict[str, Any], which: str) -> Finding:
    actual = {}
    ok = True
    for path, want in expected.items():
        value = dig(stmt, path)
        actual[path] = "<missing>" if value is MISSING else value
        ok = ok and value == ev.lookup(want)
    return seen(ok, actual, f"fields of the {which} completion statement")


@check(
    "sent_fields",
    rule="fields of the completion statement as sent, whatever the LRS made of it",
    source="seed example statement; cmi5 8.1.3.0-3, 8.1.4.0-3 (launch values echoed)",
)
@requires_sent_statement
def sent_field_values(ev: Evidence, expected: dict[str, Any]) -> Finding:
    return _fields(ev, ev.main_statement(accepted=False), expected, "sent")


@check("absent", rule="only the properties the spec defines", source="xAPI-D §2.2")
@requires_accepted_statement
def fields_absent(ev: Evidence, expected: list[str]) -> Finding:
    stmt = ev.main_statement()
    present = [p for p in expected if dig(stmt, p) is not MISSING]
    if not present:
        return seen(True, "none of them present", "these properties must not be sent")
    found = {p: dig(stmt, p) for p in present}
    return seen(False, {"present": found}, "these properties must not be sent, and were")


@check("verb_id", rule="a verb is identified by its id", source="xAPI-D §2.4.3")
@requires_accepted_statement
def verb_by_id(ev: Evidence, expected: str) -> Finding:
    actual = dig(ev.main_statement(), "verb.id")
    return seen(actual == expected, None if actual is MISSING else actual, "verbs match by id only")


@check(
    "utc_timestamp",
    rule="timestamps in UTC",
    source="seed example (…Z); cmi5 9.7.0.0-2",
)
@requires_sent_statement
def utc_timestamp(ev: Evidence, expected: bool) -> Finding:
    stamps = [s.get("timestamp") for s in ev.sent_statements()]
    utc = all(isinstance(t, str) and re.search(r"(Z|\+00:?(00)?)$", t) for t in stamps)
    return seen(utc == expected, stamps, "the timestamp of every statement sent")


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


@check("uuid_id", rule="every statement has a UUID id", source="cmi5 9.1.0.0-1")
@requires_sent_statement
def uuid_ids(ev: Evidence, expected: bool) -> Finding:
    ids = [s.get("id") for s in ev.sent_statements()]
    return seen(all(_is_uuid(i) for i in ids) == expected, ids, "the id of every statement sent")


@check(
    "version_header",
    rule="X-Experience-API-Version on every request",
    source="xAPI-C §3.3 (XAPI-00331)",
)
@requires_statement_request
def version_header(ev: Evidence, expected: str) -> Finding:
    values = [e.header("X-Experience-API-Version") for e in ev.statement_requests()]
    return seen(all(v == expected for v in values), values, "")


@check(
    "cmi5_verdicts",
    rule="the cmi5 rules the fake LMS found broken ('none': not one)",
    source="cmi5 §4.9 rejection table",
)
@requires_statement_request
def cmi5_verdicts(ev: Evidence, expected: str) -> Finding:
    found = _cmi5_found(ev)
    if expected == "none":
        return seen(not found, found, "no cmi5 rule may be broken")
    return seen(expected in found, found, "cmi5 requirement ids recorded by the fake LMS")


@check("xapi_valid", rule="statements are valid xAPI (400 means invalid)", source="xAPI-D §2")
@requires_statement_request
def xapi_valid(ev: Evidence, expected: bool) -> Finding:
    statuses = [e.status for e in ev.statement_requests()]
    answers = [e.answer() for e in ev.statement_requests() if e.status == 400]
    detail = "400 means invalid xAPI"
    return seen((400 not in statuses) == expected, statuses, "; ".join([detail, *answers]))


@check("statuses", rule="the LRS's answers to the story, in order", source="xAPI-C §3.2")
def statement_statuses(ev: Evidence, expected: list[int]) -> Finding:
    statuses = [e.status for e in ev.statement_requests()]
    return seen(statuses == expected, statuses, "")


@check("redirect", rule="redirect to returnURL on exit", source="cmi5 10.2.6.0-1")
@requires_outcome
def return_redirect(ev: Evidence, expected: str) -> Finding:
    actual = ev.outcome.get("redirect")
    return seen(actual == ev.lookup(expected), actual, "returnURL is followed on exit")


@check(
    "cmi5_verdicts_include",
    rule="every listed requirement id was recorded by the fake LMS",
    source="cmi5 §4.9 rejection table",
)
def cmi5_verdicts_include(ev: Evidence, expected: list[str]) -> Finding:
    found = _cmi5_found(ev)
    missing = [r for r in expected if r not in found]
    return seen(not missing, found, f"missing {missing}" if missing else "all recorded")


@check(
    "fetch_verdicts",
    rule="how the fetch URL judged each call",
    source="cmi5 §8.2 (8.2.1.0-2, 8.2.1.0-6, 8.2.3.0-1)",
)
def fetch_verdicts(ev: Evidence, expected: list[str]) -> Finding:
    actual = [
        verdict["requirement"]
        for e in ev.fetches()
        if e.method != "OPTIONS"
        for verdict in e.verdicts
        if "requirement" in verdict
    ]
    return seen(actual == expected, actual, "requirement ids the fake LMS recorded per fetch call")


@check(
    "authorization_scheme",
    rule="Authorization: Basic <auth-token>",
    source="cmi5 8.2.2.0-5 (RFC 1945 §11.1)",
)
@requires_statement_request
def authorization_scheme(ev: Evidence, expected: str) -> Finding:
    schemes = [(e.header("Authorization") or "").split(" ")[0] for e in ev.statement_requests()]
    ok = all(s == expected for s in schemes)
    return seen(ok, schemes, "the scheme of every statement request's Authorization header")


@check(
    "verbs",
    rule="the statements sent, by verb id, in order",
    source="cmi5 §9.3 (9.3.0.0-4, 9.3.0.0-5), §10.2.2",
)
def verbs_sent(ev: Evidence, expected: list[str]) -> Finding:
    actual = [dig(s, "verb.id") for s in ev.sent_statements()]
    actual = [None if v is MISSING else v for v in actual]
    return seen(actual == expected, actual, "verb ids of every statement sent, in order")


@check(
    "every_statement",
    rule="launch values in every accepted statement, not just one (the object: in every cmi5 "
    "defined statement; an allowed statement, such as answered, has its own)",
    source="cmi5 8.1.3.0-3, 8.1.4.0-3, 9.6.3.1-4, 8.1.5.0-6, 9.4.0.0-2",
)
@requires_accepted_statement
def every_statement(ev: Evidence, expected: dict[str, Any]) -> Finding:
    wrong = []
    for index, stmt in enumerate(ev.received()):
        for path, want in expected.items():
            if path.startswith("object") and verb_of(stmt) not in AU_VERBS:
                continue  # a cmi5 allowed statement has an object of its own (8.1.5.0-6)
            value = dig(stmt, path)
            if value != ev.lookup(want):
                wrong.append({"statement": index, path: "<missing>" if value is MISSING else value})
    detail = "fields of every accepted statement"
    lost = _fates(ev, ev.mount_names)
    return seen(not wrong, wrong or "all as expected", f"{detail}; {lost}" if lost else detail)


@check(
    "delivered",
    rule="every statement the story sent went to this mount and was accepted there, and none "
    "went anywhere else ('none': the story sent no statement at all)",
    source="seed: The endpoint query parameter has precedence (else the API URL set in We Are)",
)
def delivered(ev: Evidence, expected: str) -> Finding:
    where = {role: len(ev.sent(role)) for role in ev.mount_names if ev.sent(role)}
    lost = _fates(ev, ev.mount_names)
    if expected == "none":
        return seen(not where, where or "nothing sent", "no statement may be sent anywhere")
    if not ev.sent():
        raise NothingToJudge(silence(ev, f"at {expected!r}"))
    elsewhere = sorted(set(where) - {expected})
    accepted = len(ev.received(expected))
    ok = not elsewhere and accepted == where.get(expected, 0) and accepted > 0
    detail = f"statements sent per mount {where}, {accepted} accepted at {expected!r}"
    if elsewhere:
        detail += f"; sent to {', '.join(elsewhere)} instead of or besides {expected!r}"
    return seen(ok, where, f"{detail}; {lost}" if lost else detail)


@check(
    "completed",
    rule="true: the story's Completed statement was accepted, at most one per registration; "
    "false: no completed, passed or failed statement was sent",
    source="seed: completions are reported; cmi5 9.3.0.0-6, 9.3.3.0-2 (once per registration), "
    "10.2.2.0-2 (none in Browse or Review mode)",
)
def completed_once(ev: Evidence, expected: bool) -> Finding:
    if not expected:
        satisfying = [v for s in ev.sent() if (v := verb_of(s.statement)) in SATISFACTION_VERBS]
        short = [v.removeprefix(VERBS) for v in satisfying]
        return seen(
            not satisfying, short or "none sent", "no completed, passed or failed may be sent"
        )
    sent = [s for s in ev.sent() if verb_of(s.statement) == VERB_COMPLETED]
    if not ev.sent():
        raise NothingToJudge("the story sent no statement")
    accepted = [s for s in sent if s.fate == "accepted"]
    by_registration: dict[Any, int] = {}
    for s in accepted:
        registration = dig(s.statement, "context.registration")
        key = None if registration is MISSING else str(registration).lower()
        by_registration[key] = by_registration.get(key, 0) + 1
    twice = {k: n for k, n in by_registration.items() if n > 1}
    actual = f"{len(accepted)} Completed accepted of {len(sent)} sent"
    if twice:
        return seen(
            False, actual, f"more than one Completed for registration(s) {sorted(map(str, twice))}"
        )
    if not accepted:
        lost = _fates(ev, ev.mount_names)
        detail = f"no Completed statement accepted; {lost}" if lost else ""
        return seen(False, actual, detail or "no Completed statement accepted")
    return seen(True, actual, "one Completed accepted per registration")


def session_problem(verbs: list[str | None]) -> str | None:
    """The first way a statement sequence breaks a cmi5 AU session, with its rule, or None."""
    if not verbs:
        return None
    if verbs[0] != VERB_INITIALIZED:
        return f"the first statement is {verbs[0]!r}, not initialized (cmi5 9.3.2.0-2, 9.3.0.0-4)"
    if VERB_TERMINATED in verbs:
        end = verbs.index(VERB_TERMINATED)
        if end != len(verbs) - 1:
            return (
                f"{len(verbs) - end - 1} statement(s) after terminated, first "
                f"{verbs[end + 1]!r} (cmi5 9.3.8.0-2, 9.3.0.0-5)"
            )
    else:
        return "no terminated statement ends the session (cmi5 9.3.8.0-1)"
    for verb in sorted(AU_VERBS):  # each cmi5 verb at most once (9.3.0.0-2)
        if verbs.count(verb) > 1:
            return f"{verb} sent {verbs.count(verb)} times in one session (cmi5 9.3.0.0-2)"
    if VERB_PASSED in verbs and VERB_FAILED in verbs:
        return "both passed and failed in one session (cmi5 9.3.0.0-3)"
    return None


@check(
    "cmi5_session",
    rule="the statements sent form a cmi5 AU session: initialized first, terminated last, "
    "nothing after it, no cmi5 verb twice; any other statement may come in between",
    source="cmi5 9.3.2.0-2, 9.3.0.0-4, 9.3.8.0-1, 9.3.8.0-2, 9.3.0.0-5, 9.3.0.0-2, 9.3.0.0-3",
)
@requires_sent_statement
def cmi5_session(ev: Evidence, expected: bool) -> Finding:
    verbs = [verb_of(s) for s in ev.sent_statements()]
    problem = session_problem(verbs)
    short = [v.removeprefix(VERBS) if v else v for v in verbs]
    if expected:
        return seen(problem is None, short, problem or "a whole cmi5 session")
    return seen(
        problem is not None, short, problem or "a whole cmi5 session, though none was expected"
    )


def evaluate(ev: Evidence, expect: dict[str, Any]) -> list[Finding]:
    """Each expectation judged by its registered check, in the order given."""
    results = []
    for key, expected in expect.items():
        registered = REGISTRY[key]
        try:
            finding = registered.func(ev, expected)
        except NothingToJudge as nothing:
            finding = Finding(UNJUDGED, str(nothing), actual=None)
        results.append(
            replace(
                finding,
                check=key,
                requirement=registered.source,
                rule=registered.text,
                expected=expected,
            )
        )
    return results
