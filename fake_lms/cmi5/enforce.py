"""Where the cmi5 rules meet the LRS: the cmi5 `Policy` that `create_app` registers.

Requests made with a session's auth-token are judged; the policy returns a verdict and the LRS
acts on it. In `enforce` mode a break is refused (403 with the requirement id); in `observe` mode
it is accepted and recorded. Either way the journal holds the verdict. A `plain` mount judges
nothing: it is a plain xAPI LRS that the session's token opens, and the LMS still follows the
session from what is stored. Requests made with an API key are the LMS's own and are judged only
as xAPI.

Statements are judged inside the transaction that stores them: the session is read, the batch
judged, stored, and the session moved on in one write transaction, so parallel requests on one
token are judged one after the other (cmi5 §9.3: at most one completed, nothing after terminated).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from fake_lms.cmi5 import rules, satisfaction, store
from fake_lms.cmi5.rules import Cmi5Violation, SessionView
from fake_lms.cmi5.store import AU, Session
from fake_lms.cmi5.vocab import PROFILE_ID_LEARNER_PREFERENCES, STATE_ID_LAUNCH_DATA
from fake_lms.db import now_us
from fake_lms.lms import current_lms
from fake_lms.mounts import Principal
from fake_lms.xapi.jsonbody import JSONBodyError, parse_json
from fake_lms.xapi.protocol import XRequest
from fake_lms.xapi.verdict import ACCEPTED, BrokenRules, Refusal, Verdict


@dataclass
class Bound:
    session: Session
    au: AU
    view: SessionView


def bound_session(conn: sqlite3.Connection, principal: Principal | None) -> Bound | None:
    """The session of a token principal as `conn` sees it now; None for API-key requests."""
    if principal is None or principal.kind != "token" or principal.session is None:
        return None
    session = store.get_session(conn, principal.session)
    if session is None:
        return None
    au = store.get_au_in(conn, session.au_id)
    return Bound(session, au, store.view(conn, session, au))


PROFILE = "cmi5"  # the key of the cmi5 findings in the journal


def verdict_on(found: list[tuple[str, list[Cmi5Violation]]], mode: str) -> Verdict:
    """The verdict on what each part of a request (`what`) breaks: on an `observe` mount every
    break is recorded and the request served; otherwise the first break refuses it (403 with
    the requirement id) and judging stops there."""
    findings: list[BrokenRules] = []
    for what, violations in found:
        if not violations:
            continue
        listed = tuple(v.as_dict() for v in violations)
        findings.append(BrokenRules(what, listed))
        if mode != "observe":
            first = violations[0]
            refusal = Refusal(
                first.status,
                f"{first.requirement} - {first.rule}",
                f"cmi5 rejection table row {first.row}",
                first.path,
                first.requirement,
                listed,
            )
            return Verdict(PROFILE, tuple(findings), refusal)
    return Verdict(PROFILE, tuple(findings))


def _token_found(bound: Bound) -> tuple[str, list[Cmi5Violation]]:
    """Rows 1 and 2: a token used before its fetch, or after its session ended. A request is
    judged on arrival and, when it writes, again inside the write transaction (the LRS records
    a finding once)."""
    return "request", rules.check_token_state(bound.view, bound.session.token_fetched)


def record(conn: sqlite3.Connection, bound: Bound, items: list[dict[str, Any]], base: str) -> None:
    """Move the session and the registration on; `conn` holds the transaction that stored them."""
    view = bound.view
    for stmt in items:
        view = rules.apply(view, stmt)
    store.update_session(
        conn, bound.session.id, state=view.state, verbs=view.verbs, last_us=now_us()
    )
    flags = {}
    if view.registration_completed:
        flags["completed"] = True
    if view.registration_passed:
        flags["passed"] = True
    if flags:
        store.mark_progress(conn, view.registration, bound.au.id, **flags)
        satisfaction.evaluate(
            conn,
            view.registration,
            bound.au.course_id,
            bound.session.actor,
            bound.session.mount,
            bound.session.id,
            base,
        )


def _agent(xreq: XRequest) -> dict[str, Any] | None:
    try:
        agent = parse_json(xreq.params.get("agent", ""))
    except JSONBodyError:
        return None
    return agent if isinstance(agent, dict) else None


LEARNER_PREFERENCES_READ_ONLY = Refusal(
    403,
    "11.0.0.0-2 - this LMS keeps learner preferences read-only for the AU",
    "cmi5 §11",
    "query:profileId",
    "11.0.0.0-2",
)


def check_document(bound: Bound, kind: str, xreq: XRequest, mode: str) -> Verdict:
    """Rows 1–2 and 33–35 for State and Agent Profile requests made with a token; notes the
    reads."""
    token = _token_found(bound)
    if kind not in ("state", "agent-profile"):
        return verdict_on([token], mode)
    method = "GET" if xreq.method == "HEAD" else xreq.method
    if kind == "state":
        state_id = xreq.params.get("stateId")
        found = rules.check_state_request(
            method,
            state_id,
            _agent(xreq),
            xreq.params.get("activityId"),
            xreq.params.get("registration"),
            bound.view,
        )
        verdict = verdict_on([token, ("state", found)], mode)
        if verdict.refusal is None and method == "GET" and state_id == STATE_ID_LAUNCH_DATA:
            _mark(bound.session.id, launch_data_fetched=1)
        return verdict
    profile_id = xreq.params.get("profileId")
    found = rules.check_agent_profile_request(
        method, profile_id, _agent(xreq), xreq.body, xreq.content_type, bound.view
    )
    verdict = verdict_on([token, ("agent profile", found)], mode)
    if verdict.refusal is not None or profile_id != PROFILE_ID_LEARNER_PREFERENCES:
        return verdict
    if method == "GET":
        _mark(bound.session.id, prefs_fetched=1)
    elif mode != "observe":
        # The LMS may refuse an AU's preference write; the AU must not treat it as an error.
        return replace(verdict, refusal=LEARNER_PREFERENCES_READ_ONLY)
    return verdict


def _mark(session_id: str, **flags: int) -> None:
    with current_lms().db.write() as conn:
        store.update_session(conn, session_id, **flags)


class Cmi5Policy:
    """The cmi5 rules as the LRS's `fake_lms.xapi.policy.Policy`."""

    def resolve_token(
        self, conn: sqlite3.Connection, user: str, secret: str, mount: str
    ) -> Principal | None:
        """A cmi5 auth-token (empty user, the token as password) opens its session's mount only."""
        if user:
            return None
        session = store.session_by_token(conn, secret)
        if session is None or session.mount != mount:
            return None
        return Principal("", "token", session.mount, session.id, session.registration)

    def judge_request(self, conn: sqlite3.Connection, principal: Principal, mode: str) -> Verdict:
        bound = bound_session(conn, principal)
        if bound is None or mode == "plain":
            return ACCEPTED
        return verdict_on([_token_found(bound)], mode)

    def judge_statements(
        self,
        conn: sqlite3.Connection,
        principal: Principal,
        statements: list[dict[str, Any]],
        mode: str,
    ) -> tuple[Verdict, Bound | None]:
        """Rows 1–32 against the session as committed now (`conn` holds the write lock)."""
        bound = bound_session(conn, principal)
        if bound is None or mode == "plain":
            return ACCEPTED, bound
        found = [_token_found(bound), ("statements", rules.check_batch(statements, bound.view))]
        return verdict_on(found, mode), bound

    def after_store(
        self,
        conn: sqlite3.Connection,
        principal: Principal,
        judged: Bound,
        statements: list[dict[str, Any]],
        lms_base: str,
    ) -> None:
        record(conn, judged, statements, lms_base)

    def judge_document(
        self, conn: sqlite3.Connection, principal: Principal, kind: str, xreq: XRequest, mode: str
    ) -> Verdict:
        bound = bound_session(conn, principal)
        if bound is None or mode == "plain":
            return ACCEPTED
        return check_document(bound, kind, xreq, mode)
