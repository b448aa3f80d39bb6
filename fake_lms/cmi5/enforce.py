"""Where the cmi5 rules meet the LRS: the cmi5 `Policy` that `create_app` registers.

Requests made with a session's auth-token are judged. In `enforce` mode a break is refused (403
with the requirement id); in `observe` mode it is accepted and recorded. Either way the journal
holds the verdict. A `plain` mount judges nothing: it is a plain xAPI LRS that the session's
token opens, and the LMS still follows the session from what is stored. Requests made with an API
key are the LMS's own and are judged only as xAPI.

Statements are judged inside the transaction that stores them: the session is read, the batch
judged, stored, and the session moved on in one write transaction, so parallel requests on one
token are judged one after the other (cmi5 §9.3: at most one completed, nothing after terminated).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from flask import g

from fake_lms.cmi5 import rules, satisfaction, store
from fake_lms.cmi5.rules import Cmi5Violation, SessionView
from fake_lms.cmi5.store import AU, Session
from fake_lms.cmi5.vocab import PROFILE_ID_LEARNER_PREFERENCES, STATE_ID_LAUNCH_DATA
from fake_lms.db import now_us
from fake_lms.lms import current_lms
from fake_lms.mounts import Principal
from fake_lms.xapi.jsonbody import JSONBodyError, parse_json
from fake_lms.xapi.protocol import XAPIError, XRequest


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


def _judging() -> bool:
    """False on a `plain` mount: no cmi5 rule applies there."""
    return bool(g.get("mount_mode") != "plain")


def judge(violations: list[Cmi5Violation], what: str) -> None:
    """Record the verdict; refuse with the first violation unless the mount only observes."""
    if not violations:
        return
    observe = g.get("mount_mode") == "observe"
    g.verdicts.append(
        {
            "verdict": "violation (observed)" if observe else "refused",
            "what": what,
            "cmi5": [v.as_dict() for v in violations],
        }
    )
    if observe:
        return
    first = violations[0]
    status = (
        401 if first.status == 403 and "401-for-403" in g.get("quirks", set()) else first.status
    )
    raise XAPIError(
        status,
        f"{first.requirement} - {first.rule}",
        f"cmi5 rejection table row {first.row}",
        first.path,
        violations=[v.as_dict() for v in violations],
        requirement=first.requirement,
    )


def _judge_token(bound: Bound) -> None:
    """Rows 1 and 2: a token used before its fetch, or after its session ended.

    A request is judged on arrival and, when it writes statements, again inside the write
    transaction; a violation already recorded for this request is not recorded twice.
    """
    found = rules.check_token_state(bound.view, bound.session.token_fetched)
    if found and found != g.get("cmi5_token_violations"):
        g.cmi5_token_violations = found
        judge(found, "request")


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


def check_document(bound: Bound, kind: str, xreq: XRequest) -> None:
    """Rows 33–35 for State and Agent Profile requests made with a token; notes the reads."""
    if kind not in ("state", "agent-profile"):
        return
    method = "GET" if xreq.method == "HEAD" else xreq.method
    if kind == "state":
        state_id = xreq.params.get("stateId")
        judge(
            rules.check_state_request(
                method,
                state_id,
                _agent(xreq),
                xreq.params.get("activityId"),
                xreq.params.get("registration"),
                bound.view,
            ),
            "state",
        )
        if method == "GET" and state_id == STATE_ID_LAUNCH_DATA:
            _mark(bound.session.id, launch_data_fetched=1)
        return
    profile_id = xreq.params.get("profileId")
    judge(
        rules.check_agent_profile_request(
            method, profile_id, _agent(xreq), xreq.body, xreq.content_type, bound.view
        ),
        "agent profile",
    )
    if profile_id != PROFILE_ID_LEARNER_PREFERENCES:
        return
    if method == "GET":
        _mark(bound.session.id, prefs_fetched=1)
    elif g.get("mount_mode") != "observe":
        # The LMS may refuse an AU's preference write; the AU must not treat it as an error.
        raise XAPIError(
            403,
            "11.0.0.0-2 - this LMS keeps learner preferences read-only for the AU",
            "cmi5 §11",
            "query:profileId",
            requirement="11.0.0.0-2",
        )


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

    def judge_request(self, conn: sqlite3.Connection, principal: Principal) -> None:
        bound = bound_session(conn, principal)
        if bound is not None and _judging():
            _judge_token(bound)

    def judge_statements(
        self, conn: sqlite3.Connection, principal: Principal, statements: list[dict[str, Any]]
    ) -> Bound | None:
        """Rows 1–32 against the session as committed now (`conn` holds the write lock)."""
        bound = bound_session(conn, principal)
        if bound is not None and _judging():
            _judge_token(bound)
            judge(rules.check_batch(statements, bound.view), "statements")
        return bound

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
        self, conn: sqlite3.Connection, principal: Principal, kind: str, xreq: XRequest
    ) -> None:
        bound = bound_session(conn, principal)
        if bound is not None and _judging():
            check_document(bound, kind, xreq)
