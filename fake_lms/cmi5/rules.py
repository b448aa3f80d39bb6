"""The cmi5 checks the fake LMS applies to an AU's requests, as pure functions.

Every check is a small named function registered by `@rule(row=..., requirement=...,
section=..., scope=...)` right above it: the row of the rejection table it implements (rules doc
§4.9), the CATAPULT requirement id(s) it reports, the spec section and what it inspects. The
decorators fill ONE registry, `CHECKS` (row order; checks of one row in file order): a reader lists
every check the LMS applies by reading `CHECKS`, and `tests/test_requirement_ids.py` pins its ids
to the `@cmi5/requirements` catalogue.

Entry points (no Flask, no SQLite; the caller builds a `SessionView` from its store):

- `check_token_state`   rows 1–2   the token was fetched and its session is still open
- `check_statement`     rows 2–32  one AU statement (already valid xAPI)
- `check_batch`         rows 2–32  a POSTed list, applied in order on a copy of the view
- `check_state_request` rows 20, 33, 34  the State resource
- `check_agent_profile_request` rows 34, 35  the Agent Profile resource

Each returns every violation found, sorted by row (stable, so within a batch by statement
order), so the caller can refuse with the first and journal all. Row 36 (xAPI-invalid, 400) is
`fake_lms.xapi.validation`'s job and is not repeated here.

Classification (cmi5 §7.1.3, as CATAPULT's player does it): a statement is "cmi5 defined" when its
`context.contextActivities.category` holds the cmi5 category activity; otherwise it is "cmi5
allowed". Checks that depend on the verb's meaning (rows 5–10, 16, 17, 22–30, 32) run on defined
statements whose verb is one an AU may send (initialized, completed, passed, failed, terminated);
any other defined verb gets row 11 alone, so an AU that sends "waived" hears about the verb and
not about the waived statement's legitimately different result.

Decisions where the spec and CATAPULT leave room are listed in the docstrings of the checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from fake_lms.cmi5.vocab import (
    AU_VERBS,
    CATEGORY_CMI5,
    CATEGORY_MOVEON,
    EXT_MASTERY_SCORE,
    EXT_SESSION_ID,
    LAUNCH_MODE_BROWSE,
    LAUNCH_MODE_REVIEW,
    PROFILE_ID_LEARNER_PREFERENCES,
    SATISFACTION_VERBS,
    STATE_ID_LAUNCH_DATA,
    VERB_COMPLETED,
    VERB_DISPLAY,
    VERB_FAILED,
    VERB_INITIALIZED,
    VERB_PASSED,
    VERB_TERMINATED,
    VERB_VOIDED,
)
from fake_lms.findings import FAIL, Finding, render
from fake_lms.registry import Registry
from fake_lms.xapi.json_values import is_number, json_equal
from fake_lms.xapi.jsonbody import JSONBodyError, child_path, parse_json
from fake_lms.xapi.validation import is_language_tag

__all__ = [
    "CHECKS",
    "Check",
    "Cmi5Violation",
    "Finding",
    "ProfileRequest",
    "SessionView",
    "StateRequest",
    "StatementFacts",
    "TokenRequest",
    "apply",
    "check_agent_profile_request",
    "check_batch",
    "check_state_request",
    "check_statement",
    "check_token_state",
    "found",
    "is_defined",
    "rule",
]


# --- public data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cmi5Violation:
    """One broken cmi5 rule, located in the request, with the status the LMS answers."""

    row: int  # row number in the rejection table (rules doc §4.9)
    requirement: str  # CATAPULT requirement id, e.g. "9.3.0.0-4"; never the "(d)" suffix
    rule: str  # one line: what is wrong, the offending value, what was expected
    path: str  # JSON path in the request ("$[0].context.registration") or "query:agent"
    status: int = 403

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON error bodies and the journal."""
        return {
            "row": self.row,
            "requirement": self.requirement,
            "rule": self.rule,
            "path": self.path,
            "status": self.status,
        }


@dataclass
class SessionView:
    """What the checks need to know about one AU session (the caller builds it from its store)."""

    session_id: str
    registration: str
    actor: dict[str, Any]  # the launch actor exactly as given in the launch URL
    activity_id: str  # the launch activityId (LMS-generated, != publisher id)
    publisher_id: str  # the AU's id in the course structure
    launch_mode: str  # "Normal" | "Browse" | "Review"
    mastery_score: float | None  # from LaunchData
    move_on: str
    context_template: dict[str, Any]  # the contextTemplate written into LMS.LaunchData
    state: str  # "launched" | "initialized" | "terminated" | "abandoned"
    prefs_fetched: bool  # cmi5LearnerPreferences was GET (200 or 404) in this session
    verbs: list[str]  # cmi5-defined verb ids accepted so far in this session, in order
    registration_completed: bool  # this AU already has a completed in this registration
    registration_passed: bool  # ... a passed


def found(path: str, words: str, requirement: str = "", *, status: int | None = None) -> Finding:
    """What a check function reports: where, what is wrong, the requirement id when the check's
    entry lists several, and the status when it is not 403. The runner adds the rest."""
    return Finding(FAIL, words, path=path, requirement=requirement, http_status=status)


@dataclass(frozen=True)
class Check:
    """One registered check: the rejection-table row, requirement id(s), name and function.

    `requirement` is one id, or several separated by ", " when the function picks the specific
    one per case (e.g. row 29: one id per verb). `scope` says what `func(subject, view)` receives:
    "statement" (a `StatementFacts`), "token" (`TokenRequest`), "state" (`StateRequest`) or
    "agent_profile" (`ProfileRequest`).
    """

    row: int
    requirement: str
    name: str
    func: Callable[[Any, SessionView], list[Finding]]
    section: str = ""
    scope: str = "statement"


@dataclass(frozen=True, slots=True)
class StatementFacts:
    """One statement with the parts the checks read, looked up once."""

    raw: dict[str, Any]
    path: str
    verb: str | None
    defined: bool
    context: dict[str, Any] | None
    activities: dict[str, Any] | None  # context.contextActivities when it is an object
    categories: frozenset[str]
    extensions: dict[str, Any] | None  # context.extensions when it is an object
    result: dict[str, Any] | None

    @property
    def au_defined(self) -> bool:
        """A defined statement with a verb the AU may send (rows 5–10, 16, 17, 22–32)."""
        return self.defined and self.verb in AU_VERBS

    def at(self, *steps: str | int) -> str:
        """JSON path of a part of this statement."""
        path = self.path
        for step in steps:
            path = f"{path}[{step}]" if isinstance(step, int) else child_path(path, step)
        return path


@dataclass(frozen=True)
class TokenRequest:
    token_fetched: bool


@dataclass(frozen=True)
class StateRequest:
    method: str  # upper case
    state_id: str | None
    agent: dict[str, Any] | None
    activity_id: str | None
    registration: str | None


@dataclass(frozen=True)
class ProfileRequest:
    method: str  # upper case
    profile_id: str | None
    agent: dict[str, Any] | None
    body: bytes
    content_type: str


# --- helpers -------------------------------------------------------------------------------------

_NO: list[Finding] = []
_UTC_SUFFIX = re.compile(r"(Z|\+00:?(?:00)?)$")  # CATAPULT's UTC test (rules doc §4.4.4)
_LANGUAGE_LIST = re.compile(r"^[-A-Za-z0-9]+(?:,[-A-Za-z0-9]+)*$")  # rules doc §3.3
_READ_METHODS = frozenset({"GET", "HEAD"})
_WRITE_METHODS = frozenset({"PUT", "POST"})


def _q(value: Any, limit: int = 80) -> str:
    """Quote an offending value as JSON, cut to `limit` characters."""
    text = json.dumps(value, ensure_ascii=False, default=repr, sort_keys=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verb_name(verb: str | None) -> str:
    return VERB_DISPLAY.get(verb or "", _q(verb))


def _what(s: StatementFacts) -> str:
    """'completed statement', or 'statement with verb "<iri>"' for a verb cmi5 does not define."""
    if s.verb in VERB_DISPLAY:
        return f"{VERB_DISPLAY[s.verb]} statement"
    return f"statement with verb {_q(s.verb)}"


def _difference(got: Any, want: Any, where: str) -> str:
    """Where two JSON values first differ, in words (for actor/agent mismatches)."""
    if isinstance(got, dict) and isinstance(want, dict):
        for key in want:
            if key not in got:
                return f"{child_path(where, key)} is missing (expected {_q(want[key], 60)})"
        for key in got:
            if key not in want:
                return f"{child_path(where, key)} ({_q(got[key], 60)}) is not in the launch actor"
        for key in want:
            if not json_equal(got[key], want[key]):
                return _difference(got[key], want[key], child_path(where, key))
    return f"{where} is {_q(got, 60)}, expected {_q(want, 60)}"


def _as_list(value: Any) -> list[Any]:
    """A contextActivities value: xAPI allows one Activity object in place of a list."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    return []


def _activity_ids(value: Any) -> list[Any]:
    return [a.get("id") if isinstance(a, dict) else None for a in _as_list(value)]


def _facts(stmt: Any, path: str) -> StatementFacts:
    raw = stmt if isinstance(stmt, dict) else {}
    verb = raw.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    context = raw.get("context") if isinstance(raw.get("context"), dict) else None
    activities = None
    extensions = None
    if context is not None:
        if isinstance(context.get("contextActivities"), dict):
            activities = context["contextActivities"]
        if isinstance(context.get("extensions"), dict):
            extensions = context["extensions"]
    categories = frozenset(
        i for i in _activity_ids((activities or {}).get("category")) if isinstance(i, str)
    )
    result = raw.get("result") if isinstance(raw.get("result"), dict) else None
    return StatementFacts(
        raw=raw,
        path=path,
        verb=verb_id if isinstance(verb_id, str) else None,
        defined=CATEGORY_CMI5 in categories,
        context=context,
        activities=activities,
        categories=categories,
        extensions=extensions,
        result=result,
    )


def _score(s: StatementFacts) -> dict[str, Any] | None:
    score = (s.result or {}).get("score")
    return score if isinstance(score, dict) else None


# --- the registration decorator ------------------------------------------------------------------

SCOPES = ("statement", "token", "state", "agent_profile")
_REQUIREMENT_ID = re.compile(r"^\d+\.\d+\.\d+\.\d+-\d+$")  # CATAPULT's ids, no "(d)" suffix
_REGISTERED: Registry[Check] = Registry("cmi5 check", lambda c: c.name)

CheckFunc = Callable[[Any, SessionView], list[Finding]]


def rule(
    *, row: int, requirement: str, section: str, scope: str = "statement"
) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated function as the check of rejection-table `row`.

    `requirement` is one cmi5 requirement id, or several joined by ", " when the function picks
    the specific one per case (`found(..., requirement)`). Bad metadata fails at import, so a typo
    never reaches a request.
    """
    ids = requirement.split(", ")
    if not all(_REQUIREMENT_ID.match(i) for i in ids):
        raise ValueError(f"rule for row {row}: requirement {requirement!r} is not 'N.N.N.N-N, ...'")
    if scope not in SCOPES:
        raise ValueError(f"rule for row {row}: scope {scope!r} is not one of {', '.join(SCOPES)}")
    if not section.startswith("cmi5 §"):
        raise ValueError(f"rule for row {row}: section {section!r} does not start with 'cmi5 §'")

    return _REGISTERED.register(
        lambda func: Check(row, requirement, func.__name__, func, section, scope)
    )


def _freeze() -> tuple[Check, ...]:
    """The registry in row order; checks of one row keep their order in this file."""
    return tuple(sorted(_REGISTERED, key=lambda c: c.row))


# --- row 1–2: the token and the session ----------------------------------------------------------


@rule(row=1, requirement="8.1.2.0-2", section="cmi5 §8.2.1", scope="token")
def token_not_fetched(req: TokenRequest, view: SessionView) -> list[Finding]:
    """Row 1: the auth-token of the launch was not fetched yet, so it is not usable (§8.2.1)."""
    if req.token_fetched:
        return _NO
    rule = (
        f"request with the token of session {_q(view.session_id)} before that token was "
        "fetched; expected the AU to POST the fetch URL first and use the auth-token it returns"
    )
    return [found("header:Authorization", rule)]


@rule(row=2, requirement="8.1.2.0-2", section="cmi5 §8.2.1, §9.3.6, §9.3.8", scope="token")
def token_of_ended_session(req: TokenRequest, view: SessionView) -> list[Finding]:
    """Row 2: the session ended (terminated/abandoned), so its token no longer authorizes.

    CATAPULT rejects right after terminated (A10: no grace period); so does this check.
    """
    if view.state not in ("terminated", "abandoned"):
        return _NO
    rule = (
        f"request with the token of session {_q(view.session_id)}, which is {view.state}; "
        "expected no request after the session ended (the token is bound to one session)"
    )
    return [found("header:Authorization", rule)]


@rule(row=2, requirement="9.3.0.0-5, 9.3.6.0-2", section="cmi5 §9.3.6, §9.3.8")
def statement_after_session_end(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 2 at statement level: a statement after terminated or abandoned.

    Catches what the token check cannot: statements that follow a "terminated" in the same POST.
    Terminated → 9.3.0.0-5 ("terminated MUST be the last statement"); abandoned → 9.3.6.0-2.
    """
    if view.state == "terminated":
        rule = (
            f"{_what(s)} after this session's terminated; expected "
            "terminated to be the last statement (cmi5 defined or allowed) of the session"
        )
        return [found(s.path, rule, "9.3.0.0-5")]
    if view.state == "abandoned":
        rule = (
            f"{_what(s)} in session {_q(view.session_id)}, which the LMS "
            "abandoned; expected no statement to be recorded for an abandoned session"
        )
        return [found(s.path, rule, "9.3.6.0-2")]
    return _NO


# --- rows 3–10: order of statements in the session and the registration --------------------------


@rule(row=3, requirement="11.0.0.0-3", section="cmi5 §11")
def statement_before_learner_prefs(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 3: any statement before cmi5LearnerPreferences was read (CATAPULT; A9; 404 counts)."""
    if view.prefs_fetched:
        return _NO
    rule = (
        f"{_what(s)} before the AU read the learner preferences; expected "
        f"a GET of the Agent Profile {_q(PROFILE_ID_LEARNER_PREFERENCES)} first (200 or 404 "
        "both count): the AU MUST read them on startup"
    )
    return [found(s.path, rule)]


@rule(row=4, requirement="9.3.0.0-4", section="cmi5 §7.1.1, §9.3.2")
def statement_before_initialized(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 4: a statement (defined or allowed) before initialized; voiding included.

    Only the cmi5 defined "initialized" is exempt. An "initialized" verb without the cmi5
    category is an allowed statement, does not start the session, and is refused here (CATAPULT
    lets it through without marking the session initialized, which only defers the error).
    """
    if view.state != "launched" or (s.defined and s.verb == VERB_INITIALIZED):
        return _NO
    if s.verb == VERB_INITIALIZED:
        rule = (
            "initialized statement without the cmi5 category activity "
            f"{_q(CATEGORY_CMI5)} in context.contextActivities.category; it is not the cmi5 "
            "initialized, and initialized MUST be the first statement of the session"
        )
        return [found(s.at("context", "contextActivities", "category"), rule)]
    rule = (
        f"{_what(s)} before this session's initialized; expected "
        "initialized to be the first statement (cmi5 defined or allowed) of the session"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=5, requirement="9.3.2.0-3", section="cmi5 §9.3.2")
def initialized_twice(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 5: a second initialized in the session (row 6 does not repeat it)."""
    if not (s.defined and s.verb == VERB_INITIALIZED):
        return _NO
    if VERB_INITIALIZED not in view.verbs and view.state == "launched":
        return _NO
    rule = (
        f"second initialized in session {_q(view.session_id)}; expected exactly one "
        "initialized per session"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=6, requirement="9.3.0.0-2", section="cmi5 §9.3")
def defined_verb_repeated(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 6: a cmi5 defined verb the session already has (initialized: see row 5)."""
    if not s.au_defined or s.verb == VERB_INITIALIZED or s.verb not in view.verbs:
        return _NO
    rule = (
        f"second {_verb_name(s.verb)} in session {_q(view.session_id)}; expected each cmi5 "
        "defined verb at most once per session"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=7, requirement="9.3.0.0-3", section="cmi5 §9.3")
def passed_and_failed_in_session(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 7: passed after failed or failed after passed in one session.

    The same verb twice is row 6 (as CATAPULT reports it), not this row.
    """
    if not s.au_defined or s.verb not in (VERB_PASSED, VERB_FAILED):
        return _NO
    other = VERB_FAILED if s.verb == VERB_PASSED else VERB_PASSED
    if other not in view.verbs:
        return _NO
    rule = (
        f"{_verb_name(s.verb)} after {_verb_name(other)} in session {_q(view.session_id)}; "
        "expected at most one of passed/failed per session"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=8, requirement="9.3.0.0-6", section="cmi5 §9.3, §9.3.3")
def completed_twice_in_registration(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 8: completed when the registration already has a completed for this AU."""
    if not (s.au_defined and s.verb == VERB_COMPLETED and view.registration_completed):
        return _NO
    rule = (
        f"completed, but registration {_q(view.registration)} already has a completed for "
        "this AU; expected zero or one completed per AU per registration"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=9, requirement="9.3.0.0-7", section="cmi5 §9.3, §9.3.4")
def passed_twice_in_registration(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 9: passed when the registration already has a passed for this AU."""
    if not (s.au_defined and s.verb == VERB_PASSED and view.registration_passed):
        return _NO
    rule = (
        f"passed, but registration {_q(view.registration)} already has a passed for this AU; "
        "expected zero or one passed per AU per registration"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=10, requirement="9.3.0.0-8", section="cmi5 §9.3")
def failed_after_passed_in_registration(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 10: failed when the registration already has a passed for this AU."""
    if not (s.au_defined and s.verb == VERB_FAILED and view.registration_passed):
        return _NO
    rule = (
        f"failed, but registration {_q(view.registration)} already has a passed for this AU; "
        "expected no failed after a passed in the registration"
    )
    return [found(s.at("verb", "id"), rule)]


# --- rows 11–21: verb, identity and context ------------------------------------------------------


@rule(row=11, requirement="9.3.0.0-1", section="cmi5 §9.3 (issue #576)")
def defined_verb_not_for_au(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 11: a defined statement whose verb is not initialized/completed/passed/failed/terminated.

    launched, abandoned, waived and satisfied are the LMS's (A13, issue #576: CATAPULT refuses
    them); any other verb with the cmi5 category is neither defined nor allowed.
    """
    if not s.defined or s.verb in AU_VERBS:
        return _NO
    rule = (
        f"verb {_q(s.verb)} in a cmi5 defined statement (cmi5 category present); expected one "
        "of initialized, completed, passed, failed, terminated, or drop the cmi5 category to "
        "send a cmi5 allowed statement"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=12, requirement="6.3.0.0-1", section="cmi5 §6.3")
def voiding_statement(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 12: a statement with the voided verb; the AU has no voiding rights."""
    if s.verb != VERB_VOIDED:
        return _NO
    rule = (
        f"voiding statement (verb {_q(VERB_VOIDED)}); expected none: the LMS gives the AU no "
        "credentials that allow voiding"
    )
    return [found(s.at("verb", "id"), rule)]


@rule(row=13, requirement="9.1.0.0-1", section="cmi5 §9.1")
def statement_id_missing(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 13: no statement id (plain xAPI lets the LRS assign one; cmi5 does not)."""
    if "id" in s.raw:
        return _NO
    rule = (
        f"{_what(s)} without an id; expected the AU to assign a UUID id to "
        "every statement it issues"
    )
    return [found(s.at("id"), rule)]


@rule(row=14, requirement="9.7.0.0-1", section="cmi5 §9.7")
def timestamp_missing(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 14: no timestamp."""
    if "timestamp" in s.raw:
        return _NO
    rule = (
        f"{_what(s)} without a timestamp; expected a UTC timestamp on "
        "every statement (cmi5 orders statements by timestamp)"
    )
    return [found(s.at("timestamp"), rule)]


@rule(row=14, requirement="9.7.0.0-2", section="cmi5 §9.7")
def timestamp_not_utc(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 14: timestamp not in UTC: must end with Z, +00, +0000 or +00:00 (CATAPULT's regex)."""
    value = s.raw.get("timestamp")
    if value is None or (isinstance(value, str) and _UTC_SUFFIX.search(value)):
        return _NO
    rule = (
        f"timestamp {_q(value)} is not in UTC; expected it to end with 'Z', '+00', '+0000' or "
        "'+00:00' (all timestamps MUST be recorded in UTC)"
    )
    return [found(s.at("timestamp"), rule)]


@rule(row=15, requirement="8.1.3.0-3", section="cmi5 §8.1.3, §9.2")
def actor_not_launch_actor(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 15: actor not deep-JSON-equal to the launch actor (A8: no added name, no reordering
    concerns, no other IFI)."""
    actor = s.raw.get("actor")
    if json_equal(actor, view.actor):
        return _NO
    rule = (
        f"actor differs from the launch actor: {_difference(actor, view.actor, 'actor')}; "
        f"expected the launch actor exactly as given in the launch URL, {_q(view.actor, 120)}"
    )
    return [found(s.at("actor"), rule)]


@rule(row=16, requirement="9.2.0.0-2", section="cmi5 §9.2")
def defined_actor_not_agent(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 16: defined statement whose actor has an objectType other than Agent (absent = Agent;
    A5: lower-case 'agent' from the spec text is not accepted)."""
    actor = s.raw.get("actor")
    if not s.au_defined or not isinstance(actor, dict):
        return _NO
    kind = actor.get("objectType", "Agent")
    if kind == "Agent":
        return _NO
    rule = f"actor objectType {_q(kind)} in a cmi5 defined statement; expected 'Agent'"
    return [found(s.at("actor", "objectType"), rule)]


@rule(row=16, requirement="9.2.0.0-3", section="cmi5 §9.2")
def defined_actor_without_account(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 16: defined statement whose actor is not identified by an account (name + homePage)."""
    actor = s.raw.get("actor")
    if not s.au_defined or not isinstance(actor, dict):
        return _NO
    account = actor.get("account")
    if isinstance(account, dict) and "name" in account and "homePage" in account:
        return _NO
    ifi = next((k for k in ("mbox", "mbox_sha1sum", "openid") if k in actor), None)
    got = f"an actor identified by {ifi}" if ifi else "an actor without account"
    rule = (
        f"{got} ({_q(actor, 60)}) in a cmi5 defined statement; expected an Agent identified "
        "by an account IFI (homePage + name)"
    )
    return [found(s.at("actor"), rule)]


@rule(row=17, requirement="9.4.0.0-1", section="cmi5 §9.4")
def defined_object_id_missing(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 17: defined statement whose object has no id (e.g. an Agent object)."""
    obj = s.raw.get("object")
    if not s.au_defined or (isinstance(obj, dict) and "id" in obj):
        return _NO
    rule = (
        f"object {_q(obj)} of a cmi5 defined statement has no id; expected the AU activity "
        f"with id {_q(view.activity_id)}"
    )
    return [found(s.at("object"), rule)]


@rule(row=17, requirement="8.1.5.0-6", section="cmi5 §8.1.5, §9.4")
def defined_object_not_au(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 17: defined statement whose object id is not the launch activityId (e.g. the
    publisher id from the course structure, the classic mistake)."""
    obj = s.raw.get("object")
    if not s.au_defined or not isinstance(obj, dict) or "id" not in obj:
        return _NO
    if obj["id"] == view.activity_id:
        return _NO
    hint = " (that is the publisher id; use the launch activityId)"
    hint = hint if obj["id"] == view.publisher_id else ""
    rule = (
        f"object id {_q(obj['id'])} of a cmi5 defined statement{hint}; expected the launch "
        f"activityId {_q(view.activity_id)}"
    )
    return [found(s.at("object", "id"), rule)]


@rule(row=18, requirement="9.6.0.0-1, 10.2.1.0-6", section="cmi5 §9.6, §10.2.1")
def context_missing(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 18: no context (9.6.0.0-1) or a context without contextActivities (10.2.1.0-6), as
    CATAPULT numbers them. Rows 19–21 stay quiet about what is inside a missing context."""
    if s.context is None:
        rule = (
            f"{_what(s)} without context; expected the context built from "
            "the LMS.LaunchData contextTemplate (registration, session id, grouping)"
        )
        return [found(s.at("context"), rule, "9.6.0.0-1")]
    if s.activities is None:
        rule = (
            f"context without contextActivities (got {_q(s.context.get('contextActivities'))});"
            " expected the template's contextActivities (grouping with the publisher id)"
        )
        return [found(s.at("context", "contextActivities"), rule, "10.2.1.0-6")]
    return _NO


@rule(row=19, requirement="10.2.1.0-6, 10.2.1.0-7", section="cmi5 §10.2.1, §9.6.2")
def context_template_not_followed(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 19: the context does not carry the contextTemplate's values unaltered (§10.2.1).

    CATAPULT's comparison (A7): for each template key, `contextActivities` lists are compared
    position by position by activity id (the template's activities must come first and in
    order); any other key must be present with every template sub-key deep-equal. A template
    value that is absent or in the wrong position → 10.2.1.0-6 ("use the template"); present
    but with a different value → 10.2.1.0-7 ("do not overwrite"). A missing session id is left
    to row 21. A single Activity object in place of a list counts as a one-element list.
    """
    if s.context is None:
        return _NO
    out: list[Finding] = []
    for key, expected in view.context_template.items():
        if key == "contextActivities":
            if s.activities is None or not isinstance(expected, dict):
                continue
            for kind, template_list in expected.items():
                out += _template_activities(s, kind, template_list)
        elif isinstance(expected, dict):
            provided = s.context.get(key)
            provided = provided if isinstance(provided, dict) else {}
            for sub, value in expected.items():
                if key == "extensions" and sub == EXT_SESSION_ID and not provided.get(sub):
                    continue  # row 21
                out += _template_value(
                    s, ("context", key, sub), sub in provided, provided.get(sub), value
                )
        else:
            out += _template_value(
                s, ("context", key), key in s.context, s.context.get(key), expected
            )
    return out


def _template_activities(s: StatementFacts, kind: str, template_list: Any) -> list[Finding]:
    wanted = _activity_ids(template_list)
    got = _activity_ids((s.activities or {}).get(kind))
    out: list[Finding] = []
    for i, want in enumerate(wanted):
        if i < len(got) and got[i] == want:
            continue
        where = s.at("context", "contextActivities", kind, i)
        if want in got:
            rule = (
                f"template activity {_q(want)} is at contextActivities.{kind}[{got.index(want)}];"
                f" expected it at [{i}]: the template's activities come first, in order"
            )
            out.append(found(where, rule, "10.2.1.0-6"))
        elif i >= len(got):
            rule = (
                f"contextActivities.{kind} lacks the template activity {_q(want)}; expected "
                f"it at [{i}] (the context MUST contain the contextTemplate's values)"
            )
            out.append(found(where, rule, "10.2.1.0-6"))
        else:
            rule = (
                f"contextActivities.{kind}[{i}] is {_q(got[i])}; expected the template "
                f"activity {_q(want)} (the AU MUST NOT overwrite contextTemplate values)"
            )
            out.append(found(child_path(where, "id"), rule, "10.2.1.0-7"))
    return out


def _template_value(
    s: StatementFacts, steps: tuple[str, ...], present: bool, got: Any, want: Any
) -> list[Finding]:
    name = s.at(*steps).removeprefix(s.path).lstrip(".")
    if not present:
        rule = (
            f"{name} is missing; expected the contextTemplate value {_q(want)} "
            "(the context MUST contain the contextTemplate's values)"
        )
        return [found(s.at(*steps), rule, "10.2.1.0-6")]
    if json_equal(got, want):
        return _NO
    rule = (
        f"{name} is {_q(got)}; expected the contextTemplate value {_q(want)} "
        "(the AU MUST NOT overwrite contextTemplate values)"
    )
    return [found(s.at(*steps), rule, "10.2.1.0-7")]


@rule(row=20, requirement="9.6.1.0-1", section="cmi5 §9.6.1")
def registration_not_launch_registration(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 20: context.registration missing or not the launch registration (exact string, as
    CATAPULT compares it: a re-cased UUID is refused)."""
    if s.context is None:
        return _NO
    got = s.context.get("registration")
    if got == view.registration:
        return _NO
    what = "missing" if got is None else _q(got)
    rule = (
        f"context.registration is {what}; expected the launch registration {_q(view.registration)}"
    )
    return [found(s.at("context", "registration"), rule)]


@rule(row=21, requirement="9.6.3.1-4", section="cmi5 §9.6.3.1")
def session_id_missing(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 21: no session id extension (defined or allowed); empty/null counts as missing."""
    if s.context is None or (s.extensions or {}).get(EXT_SESSION_ID):
        return _NO
    rule = (
        f"context.extensions has no session id ({_q(EXT_SESSION_ID)}); expected "
        f"{_q(view.session_id)} from the contextTemplate in every defined and allowed statement"
    )
    return [found(s.at("context", "extensions", EXT_SESSION_ID), rule)]


# --- rows 22–32: result, categories, launch mode (defined statements) ----------------------------


@rule(row=22, requirement="9.5.3.0-2", section="cmi5 §9.5.3")
def completion_on_other_verb(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 22: result.completion on a defined statement other than completed."""
    if (
        not s.au_defined
        or s.verb == VERB_COMPLETED
        or s.result is None
        or "completion" not in s.result
    ):
        return _NO
    rule = (
        f"result.completion ({_q(s.result['completion'])}) on a {_verb_name(s.verb)} statement;"
        " expected no completion property on cmi5 defined statements other than completed"
    )
    return [found(s.at("result", "completion"), rule)]


@rule(row=22, requirement="9.5.3.0-1", section="cmi5 §9.5.3")
def completed_without_completion_true(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 22: completed whose result.completion is not true (absent included)."""
    if not (s.au_defined and s.verb == VERB_COMPLETED):
        return _NO
    result = s.result or {}
    if result.get("completion") is True:
        return _NO
    got = _q(result["completion"]) if "completion" in result else "missing"
    rule = f"completed statement with result.completion {got}; expected true"
    return [found(s.at("result", "completion"), rule)]


@rule(row=23, requirement="9.5.2.0-3", section="cmi5 §9.5.2")
def success_on_other_verb(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 23: result.success on a defined statement other than passed/failed."""
    if not s.au_defined or s.verb in (VERB_PASSED, VERB_FAILED):
        return _NO
    if s.result is None or "success" not in s.result:
        return _NO
    rule = (
        f"result.success ({_q(s.result['success'])}) on a {_verb_name(s.verb)} statement; "
        "expected no success property on cmi5 defined statements other than passed/failed"
    )
    return [found(s.at("result", "success"), rule)]


@rule(row=23, requirement="9.5.2.0-1, 9.5.2.0-2", section="cmi5 §9.5.2")
def passed_failed_success_value(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 23: passed without success true (9.5.2.0-1), failed without success false
    (9.5.2.0-2); an absent success counts as wrong."""
    if not s.au_defined or s.verb not in (VERB_PASSED, VERB_FAILED):
        return _NO
    want = s.verb == VERB_PASSED
    result = s.result or {}
    if result.get("success") is want:
        return _NO
    got = _q(result["success"]) if "success" in result else "missing"
    rule = f"{_verb_name(s.verb)} statement with result.success {got}; expected {_q(want)}"
    req = "9.5.2.0-1" if want else "9.5.2.0-2"
    return [found(s.at("result", "success"), rule, req)]


@rule(row=24, requirement="9.5.1.0-2", section="cmi5 §9.5.1")
def score_on_other_verb(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 24: result.score on a defined statement other than passed/failed."""
    if (
        not s.au_defined
        or s.verb in (VERB_PASSED, VERB_FAILED)
        or s.result is None
        or "score" not in s.result
    ):
        return _NO
    rule = (
        f"result.score {_q(s.result['score'])} on a {_verb_name(s.verb)} statement; expected "
        "a score only on passed or failed"
    )
    return [found(s.at("result", "score"), rule)]


@rule(row=25, requirement="9.5.1.0-3", section="cmi5 §9.5.1")
def score_raw_without_min_max(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 25: passed/failed score with raw but without min or max (raw = 0 included, unlike
    CATAPULT's truthiness test). On other verbs the score itself is row 24."""
    score = _score(s)
    if not s.au_defined or s.verb not in (VERB_PASSED, VERB_FAILED) or score is None:
        return _NO
    if "raw" not in score or ("min" in score and "max" in score):
        return _NO
    lacking = " and ".join(k for k in ("min", "max") if k not in score)
    rule = f"result.score {_q(score)} has raw but no {lacking}; expected min and max with raw"
    return [found(s.at("result", "score"), rule)]


@rule(row=26, requirement="9.3.4.0-2", section="cmi5 §9.3.4")
def passed_below_mastery(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 26: passed with score.scaled < masteryScore (only when both exist; masteryScore 0
    counts as set, unlike CATAPULT's truthiness test)."""
    score = _score(s)
    if not (s.au_defined and s.verb == VERB_PASSED) or score is None:
        return _NO
    scaled = score.get("scaled")
    if view.mastery_score is None or not is_number(scaled) or scaled >= view.mastery_score:
        return _NO
    rule = (
        f"passed with result.score.scaled {_q(scaled)} below masteryScore "
        f"{_q(view.mastery_score)}; expected scaled >= masteryScore on passed"
    )
    return [found(s.at("result", "score", "scaled"), rule)]


@rule(row=27, requirement="9.3.5.0-2", section="cmi5 §9.3.5")
def failed_at_or_above_mastery(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 27: failed with score.scaled >= masteryScore (only when both exist)."""
    score = _score(s)
    if not (s.au_defined and s.verb == VERB_FAILED) or score is None:
        return _NO
    scaled = score.get("scaled")
    if view.mastery_score is None or not is_number(scaled) or scaled < view.mastery_score:
        return _NO
    rule = (
        f"failed with result.score.scaled {_q(scaled)} at or above masteryScore "
        f"{_q(view.mastery_score)}; expected scaled < masteryScore on failed"
    )
    return [found(s.at("result", "score", "scaled"), rule)]


@rule(row=28, requirement="9.6.3.2-2", section="cmi5 §9.6.3.2")
def mastery_score_extension_wrong(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 28: scored passed/failed, masteryScore set, but the masteryscore extension is
    missing or not that number (A6: unscored passed/failed are not asked for it). A string
    "0.8" is not the number 0.8."""
    if not s.au_defined or s.verb not in (VERB_PASSED, VERB_FAILED) or _score(s) is None:
        return _NO
    if view.mastery_score is None:
        return _NO
    where = s.at("context", "extensions", EXT_MASTERY_SCORE)
    extensions = s.extensions or {}
    if EXT_MASTERY_SCORE not in extensions:
        rule = (
            f"scored {_verb_name(s.verb)} without the masteryscore extension; expected "
            f"context.extensions[{_q(EXT_MASTERY_SCORE)}] = {_q(view.mastery_score)}"
        )
        return [found(where, rule)]
    got = extensions[EXT_MASTERY_SCORE]
    if is_number(got) and got == view.mastery_score:
        return _NO
    rule = (
        f"masteryscore extension is {_q(got)}; expected the LaunchData masteryScore "
        f"{_q(view.mastery_score)} (a JSON number)"
    )
    return [found(where, rule)]


_DURATION_REQUIREMENT = {
    VERB_TERMINATED: "9.5.4.1-1",
    VERB_COMPLETED: "9.5.4.1-2",
    VERB_PASSED: "9.5.4.1-3",
    VERB_FAILED: "9.5.4.1-4",
}


@rule(row=29, requirement="9.5.4.1-1, 9.5.4.1-2, 9.5.4.1-3, 9.5.4.1-4", section="cmi5 §9.5.4.1")
def duration_missing(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 29: terminated/completed/passed/failed without result.duration."""
    if not s.au_defined or s.verb not in _DURATION_REQUIREMENT:
        return _NO
    if "duration" in (s.result or {}):
        return _NO
    rule = (
        f"{_verb_name(s.verb)} statement without result.duration; expected an ISO 8601 "
        'duration, e.g. "PT14M3.2S"'
    )
    return [found(s.at("result", "duration"), rule, _DURATION_REQUIREMENT[s.verb])]


@rule(row=30, requirement="9.6.2.2-1", section="cmi5 §9.6.2.2")
def move_on_category_missing(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 30: completed/passed/failed without the moveOn category activity.

    Keyed on the verb: those three MUST carry success/completion, hence moveOn. (CATAPULT keys
    it on the result holding success/completion; both agree on any statement that passes rows
    22–23, and keying on the verb never tells a terminated to add moveOn, which row 31 forbids.)
    """
    if not s.au_defined or s.verb not in SATISFACTION_VERBS or CATEGORY_MOVEON in s.categories:
        return _NO
    rule = (
        f"{_verb_name(s.verb)} statement without the moveOn category; expected "
        f"{_q(CATEGORY_MOVEON)} in context.contextActivities.category"
    )
    return [found(s.at("context", "contextActivities", "category"), rule)]


@rule(row=31, requirement="9.6.2.2-2", section="cmi5 §9.6.2.2")
def move_on_category_not_allowed(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 31: moveOn category on an allowed statement, or on initialized/terminated."""
    if CATEGORY_MOVEON not in s.categories:
        return _NO
    if s.defined and (s.verb in SATISFACTION_VERBS or s.verb not in AU_VERBS):
        return _NO  # legitimate, or a non-AU verb that row 11 already refuses
    what = f"{_verb_name(s.verb)} statement" if s.defined else "cmi5 allowed statement"
    rule = (
        f"moveOn category {_q(CATEGORY_MOVEON)} on a {what}; expected it only on cmi5 defined "
        "completed/passed/failed (statements whose result has success or completion)"
    )
    return [found(s.at("context", "contextActivities", "category"), rule)]


@rule(row=32, requirement="10.2.2.0-2, 10.2.2.0-3", section="cmi5 §10.2.2")
def satisfaction_verb_in_browse_or_review(s: StatementFacts, view: SessionView) -> list[Finding]:
    """Row 32: completed/passed/failed in a Browse (10.2.2.0-2) or Review (10.2.2.0-3) session."""
    if not s.au_defined or s.verb not in SATISFACTION_VERBS:
        return _NO
    if view.launch_mode not in (LAUNCH_MODE_BROWSE, LAUNCH_MODE_REVIEW):
        return _NO
    rule = (
        f"{_verb_name(s.verb)} in a {view.launch_mode} session; expected no satisfaction-related"
        " statements (completed/passed/failed) unless launchMode is Normal"
    )
    req = "10.2.2.0-2" if view.launch_mode == LAUNCH_MODE_BROWSE else "10.2.2.0-3"
    return [found(s.at("verb", "id"), rule, req)]


# --- rows 20, 33–35: State and Agent Profile requests --------------------------------------------


@rule(row=33, requirement="10.2.1.0-5", section="cmi5 §10.2.1", scope="state")
def launch_data_write(req: StateRequest, view: SessionView) -> list[Finding]:
    """Row 33: PUT/POST/DELETE on LMS.LaunchData.

    Also a DELETE without stateId on the launch activityId: it would delete LMS.LaunchData with
    the AU's other State documents.
    """
    if req.method in _READ_METHODS:
        return _NO
    if req.state_id == STATE_ID_LAUNCH_DATA:
        rule = (
            f"{req.method} on the State document {_q(STATE_ID_LAUNCH_DATA)}; expected GET only: "
            "the AU MUST NOT modify or delete LMS.LaunchData"
        )
        return [found("query:stateId", rule)]
    if req.method == "DELETE" and req.state_id is None and req.activity_id == view.activity_id:
        rule = (
            f"DELETE of all State documents of activity {_q(req.activity_id)}, which includes "
            f"{_q(STATE_ID_LAUNCH_DATA)}; expected a stateId (the AU MUST NOT delete LaunchData)"
        )
        return [found("query:stateId", rule)]
    return _NO


@rule(row=34, requirement="8.1.3.0-3", section="cmi5 §8.1.3", scope="state")
def state_agent_not_launch_actor(req: StateRequest, view: SessionView) -> list[Finding]:
    """Row 34: State request whose agent is not the launch actor (400 when agent is absent;
    the xAPI layer normally answers that first)."""
    if req.agent is None:
        rule = f"State request without agent; expected agent = launch actor {_q(view.actor)}"
        return [found("query:agent", rule, status=400)]
    if json_equal(req.agent, view.actor):
        return _NO
    rule = (
        f"State request for another agent: {_difference(req.agent, view.actor, 'agent')}; "
        f"expected the launch actor {_q(view.actor, 120)}"
    )
    return [found("query:agent", rule)]


@rule(row=20, requirement="8.1.4.0-3", section="cmi5 §8.1.4", scope="state")
def state_registration_not_launch_registration(
    req: StateRequest, view: SessionView
) -> list[Finding]:
    """Row 20 for the State resource: a registration parameter other than the launch one
    (8.1.4.0-3, as CATAPULT checks it). No registration is allowed (xAPI makes it optional)."""
    if req.registration is None or req.registration == view.registration:
        return _NO
    rule = (
        f"State request for registration {_q(req.registration)}; expected the launch "
        f"registration {_q(view.registration)}"
    )
    return [found("query:registration", rule)]


@rule(row=34, requirement="11.0.0.0-1", section="cmi5 §11", scope="agent_profile")
def profile_agent_not_launch_actor(req: ProfileRequest, view: SessionView) -> list[Finding]:
    """Row 34: Agent Profile request whose agent is not the launch actor (400 when absent, as
    CAT-LTS expects)."""
    if req.agent is None:
        rule = (
            f"Agent Profile request without agent; expected agent = launch actor {_q(view.actor)}"
        )
        return [found("query:agent", rule, status=400)]
    if json_equal(req.agent, view.actor):
        return _NO
    rule = (
        f"Agent Profile request for another agent: {_difference(req.agent, view.actor, 'agent')};"
        f" expected the launch actor {_q(view.actor, 120)}"
    )
    return [found("query:agent", rule)]


@rule(
    row=35,
    requirement="11.0.0.0-5, 11.1.0.0-1",
    section="cmi5 §11, §11.1, §11.2",
    scope="agent_profile",
)
def learner_prefs_malformed(req: ProfileRequest, view: SessionView) -> list[Finding]:
    """Row 35: a PUT/POST of cmi5LearnerPreferences that is not a JSON object with both
    properties (11.0.0.0-5), with a malformed languagePreference (11.1.0.0-1) or an
    audioPreference other than "on"/"off" (11.0.0.0-5: "as described in §11.2").

    languagePreference: CATAPULT's shape regex (corrected: it allows one-character tags after a
    comma only) plus RFC 5646 well-formedness of each tag.
    """
    if req.profile_id != PROFILE_ID_LEARNER_PREFERENCES or req.method not in _WRITE_METHODS:
        return _NO
    media_type = req.content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        rule = (
            f"learner preferences written as {_q(req.content_type)}; expected "
            "application/json with languagePreference and audioPreference"
        )
        return [found("header:Content-Type", rule, "11.0.0.0-5")]
    try:
        doc = parse_json(req.body)
    except JSONBodyError as exc:
        rule = f"learner preferences body is not JSON ({exc.rule}); expected a JSON object"
        return [found("$", rule, "11.0.0.0-5")]
    if not isinstance(doc, dict):
        rule = f"learner preferences body is {_q(doc)}; expected a JSON object"
        return [found("$", rule, "11.0.0.0-5")]
    out: list[Finding] = []
    for key in ("languagePreference", "audioPreference"):
        if key not in doc:
            rule = (
                f"learner preferences without {key}; expected an object with "
                "languagePreference and audioPreference"
            )
            out.append(found(f"$.{key}", rule, "11.0.0.0-5"))
    lang = doc.get("languagePreference")
    if "languagePreference" in doc and not (
        isinstance(lang, str)
        and _LANGUAGE_LIST.match(lang)
        and all(is_language_tag(tag) for tag in lang.split(","))
    ):
        rule = (
            f"languagePreference {_q(lang)} is not a comma-separated list of RFC 5646 tags; "
            'expected e.g. "en-US,fr-FR" (no spaces, no empty items)'
        )
        out.append(found("$.languagePreference", rule, "11.1.0.0-1"))
    audio = doc.get("audioPreference")
    if "audioPreference" in doc and audio not in ("on", "off"):
        rule = f'audioPreference {_q(audio)}; expected "on" or "off"'
        out.append(found("$.audioPreference", rule, "11.0.0.0-5"))
    return out


# --- the registry ----------------------------------------------------------------------------------

CHECKS: tuple[Check, ...] = _freeze()


def _scoped(scope: str) -> tuple[Check, ...]:
    return tuple(sorted((c for c in CHECKS if c.scope == scope), key=lambda c: c.row))


_STATEMENT_CHECKS = _scoped("statement")
_TOKEN_CHECKS = _scoped("token")
_STATE_CHECKS = _scoped("state")
_PROFILE_CHECKS = _scoped("agent_profile")


def _run(checks: Iterable[Check], subject: Any, view: SessionView) -> list[Cmi5Violation]:
    out: list[Cmi5Violation] = []
    for check in checks:
        for f in check.func(subject, view):
            out.append(
                Cmi5Violation(
                    row=check.row,
                    requirement=f.requirement or check.requirement,
                    rule=render(f),
                    path=f.path,
                    status=f.http_status or 403,
                )
            )
    return out


# --- entry points --------------------------------------------------------------------------------


def is_defined(stmt: dict[str, Any]) -> bool:
    """A "cmi5 defined" statement: context.contextActivities.category has the cmi5 activity."""
    return _facts(stmt, "$").defined


def check_statement(
    stmt: dict[str, Any], view: SessionView, path: str = "$"
) -> list[Cmi5Violation]:
    """Every cmi5 check for one AU statement (already valid xAPI), rows 2–32, sorted by row.

    `view` is the session as it is before this statement. Row 2 here covers statements after
    terminated/abandoned that the token check cannot see (later statements of the same POST).
    """
    return sorted(_run(_STATEMENT_CHECKS, _facts(stmt, path), view), key=lambda v: v.row)


def check_batch(stmts: list[dict[str, Any]], view: SessionView) -> list[Cmi5Violation]:
    """All statements of one POST, paths "$[i]...", each checked against the session as the
    statements before it in the batch leave it (`apply`, on a copy): a second initialized or two
    completed in one POST are caught. A statement is applied even when it has violations, so
    each statement is judged on its own faults. Sorted by row, then statement order."""
    current = replace(view, verbs=list(view.verbs))
    out: list[Cmi5Violation] = []
    for index, stmt in enumerate(stmts):
        out += _run(_STATEMENT_CHECKS, _facts(stmt, f"$[{index}]"), current)
        current = apply(current, stmt)
    return sorted(out, key=lambda v: v.row)


def apply(view: SessionView, stmt: dict[str, Any]) -> SessionView:
    """The session after `stmt` is accepted; a new view, `view` is untouched.

    Only cmi5 defined statements move the session (as in CATAPULT): their verb id is appended to
    `verbs`; initialized moves "launched" to "initialized"; terminated makes it "terminated";
    completed/passed set the registration flags. Allowed statements change nothing.
    """
    s = _facts(stmt, "$")
    if not s.defined or s.verb is None:
        return replace(view, verbs=list(view.verbs))
    state = view.state
    if s.verb == VERB_INITIALIZED and state == "launched":
        state = "initialized"
    elif s.verb == VERB_TERMINATED and state in ("launched", "initialized"):
        state = "terminated"
    return replace(
        view,
        state=state,
        verbs=[*view.verbs, s.verb],
        registration_completed=view.registration_completed or s.verb == VERB_COMPLETED,
        registration_passed=view.registration_passed or s.verb == VERB_PASSED,
    )


def check_token_state(view: SessionView, token_fetched: bool) -> list[Cmi5Violation]:
    """Rows 1–2 for any xAPI request with a session token: not yet fetched (8.1.2.0-2), or the
    session is terminated/abandoned (8.1.2.0-2: the token is bound to the open session). 403."""
    return _run(_TOKEN_CHECKS, TokenRequest(token_fetched), view)


def check_state_request(
    method: str,
    state_id: str | None,
    agent: dict[str, Any] | None,
    activity_id: str | None,
    registration: str | None,
    view: SessionView,
) -> list[Cmi5Violation]:
    """Rows 20, 33, 34 for the State resource.

    33: any non-GET on LMS.LaunchData (and a stateId-less DELETE on the launch activityId).
    34: agent ≠ launch actor (403; 400 when agent is None). 20: registration given and ≠ the
    launch registration (8.1.4.0-3). activityId is not restricted (CATAPULT does not either):
    the AU may keep State under other activities.
    """
    req = StateRequest(method.upper(), state_id, agent, activity_id, registration)
    return sorted(_run(_STATE_CHECKS, req, view), key=lambda v: v.row)


def check_agent_profile_request(
    method: str,
    profile_id: str | None,
    agent: dict[str, Any] | None,
    body: bytes,
    content_type: str,
    view: SessionView,
) -> list[Cmi5Violation]:
    """Rows 34–35 for the Agent Profile resource.

    34: agent ≠ launch actor (403; 400 when agent is None). 35: a PUT/POST of
    cmi5LearnerPreferences that is malformed (not application/json, not a JSON object, a
    property missing, bad languagePreference, audioPreference not "on"/"off").

    The LMS refuses EVERY AU write (PUT/POST/DELETE) to cmi5LearnerPreferences with 403, as
    CATAPULT's player does: it validates first, so a malformed write is reported with its row 35
    violation; a VALID write (or a DELETE) gets an empty list here, and the caller must still
    answer 403 "LMS refuses preference writes" (11.0.0.0-2: the LMS MAY refuse, the AU MUST
    tolerate the 403).
    """
    req = ProfileRequest(method.upper(), profile_id, agent, body, content_type or "")
    return sorted(_run(_PROFILE_CHECKS, req, view), key=lambda v: v.row)
