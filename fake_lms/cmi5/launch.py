"""A cmi5 launch as the LMS performs it (rules doc §1.5): abandon, session, LaunchData, launched, URL."""

from __future__ import annotations

import dataclasses
import json
import secrets
import sqlite3
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from fake_lms.cmi5 import lms_statements, satisfaction, store
from fake_lms.cmi5.launch_url import Variant, build_launch_url
from fake_lms.cmi5.store import AU, Session
from fake_lms.cmi5.vocab import LAUNCH_MODES, STATE_ID_LAUNCH_DATA
from fake_lms.db import Database, now_us
from fake_lms.secret_hash import token_digest
from fake_lms.xapi import document_store, statement_store
from fake_lms.xapi.validation import agent_ifi, is_uuid, validate_agent


class LaunchError(ValueError):
    """A launch that cannot be made: `status` (400 or 409) and a message naming the field."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class LaunchRequest:
    au: AU
    actor: dict[str, Any]
    mount: str
    registration: str | None = None
    launch_mode: str = "Normal"
    return_url: str | None = None
    endpoint_mount: str | None = None  # the `endpoint` pair names another mount's endpoint
    variant: Variant = field(default_factory=Variant)
    # LaunchData may differ from the course structure (cmi5 §10.2.3, §10.2.4, §10.2.7.2).
    launch_parameters: str | None = None  # None: the AU's course-structure value
    mastery_score: float | None = None  # None: the AU's course-structure value
    entitlement_key_alternate: str | None = None
    # Without a registration given, the learner's last registration for this AU on this mount
    # (as an LMS does that keeps one registration per learner and course).
    reuse_registration: bool = False

    @property
    def effective_launch_parameters(self) -> str | None:
        if self.launch_parameters is not None:
            return self.launch_parameters
        return self.au.launch_parameters

    @property
    def effective_mastery_score(self) -> float | None:
        return self.mastery_score if self.mastery_score is not None else self.au.mastery_score


def check_request(req: LaunchRequest) -> None:
    problems = validate_agent(req.actor, "actor")
    if problems:
        raise LaunchError(
            f"actor is not a valid xAPI Agent ({problems[0].rule}); to send a broken actor in the"
            " URL, keep a valid one here and put the broken JSON in overrides.actor"
        )
    if req.registration is not None and not is_uuid(req.registration):
        raise LaunchError(
            f"registration {req.registration!r} is not a UUID (cmi5 §9.6.1); to send a non-UUID"
            " in the URL, put it in overrides.registration"
        )
    if req.launch_mode not in LAUNCH_MODES:
        raise LaunchError(f"launch_mode {req.launch_mode!r} is not one of {sorted(LAUNCH_MODES)}")
    for name in ("launch_parameters", "entitlement_key_alternate", "return_url"):
        value = getattr(req, name)
        if value is not None and not isinstance(value, str):
            raise LaunchError(f"{name} must be a string, got {value!r}")
    score = req.mastery_score
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1
    ):
        raise LaunchError(f"mastery_score {score!r} must be a number in 0..1 (cmi5 §10.2.4)")
    req.variant.check()


def _iso(us: int) -> str:
    return statement_store.iso_us(us)


def _launch_data(req: LaunchRequest, template: dict[str, Any]) -> dict[str, Any]:
    """LMS.LaunchData as cmi5 §10.2 lays it out; optional keys omitted rather than null."""
    data: dict[str, Any] = {
        "contextTemplate": template,
        "launchMode": req.launch_mode,
        "moveOn": req.au.move_on,
    }
    if req.effective_launch_parameters is not None:
        data["launchParameters"] = req.effective_launch_parameters
    if req.effective_mastery_score is not None:
        data["masteryScore"] = req.effective_mastery_score
    if req.return_url:
        data["returnURL"] = req.return_url
    entitlement: dict[str, str] = {}
    if req.au.entitlement_key is not None:
        entitlement["courseStructure"] = req.au.entitlement_key  # 10.2.7.1-1
    if req.entitlement_key_alternate is not None:
        entitlement["alternate"] = req.entitlement_key_alternate  # 10.2.7.2-1
    if entitlement:
        data["entitlementKey"] = entitlement
    return data


def abandon_session(
    conn: Any, session: Session, au: AU, lms_base: str, at_us: int
) -> dict[str, Any]:
    """Close an open session with an "abandoned" statement (cmi5 §9.3.6, 9.5.4.2-2 duration)."""
    view = store.view(conn, session, au)
    stmt = lms_statements.abandoned(
        view,
        duration=lms_statements.iso_duration(max(session.last_us - session.launched_us, 0) / 1e6),
        authority=store.lms_authority(lms_base),
        timestamp=_iso(at_us),
    )
    prepared = statement_store.prepare(
        stmt, authority=store.lms_authority(lms_base), version="1.0.3", stored_us=at_us
    )
    statement_store.insert(conn, session.mount, [prepared])
    store.update_session(conn, session.id, state="abandoned")
    return stmt


def launch(
    db: Database, req: LaunchRequest, lms_base: str, conn: sqlite3.Connection | None = None
) -> dict[str, Any]:
    """Perform the launch and return what a test or an adapter needs to drive the AU.

    With `conn` (a write transaction the caller holds) the launch joins it, so a caller that
    also registers the AU stores both or neither."""
    check_request(req)
    with nullcontext(conn) if conn is not None else db.write() as conn:
        registration = req.registration or (
            _last_registration(conn, req) if req.reuse_registration else None
        )
        return _launch_in(conn, req, (registration or str(uuid.uuid4())).lower(), lms_base)


def _last_registration(conn: sqlite3.Connection, req: LaunchRequest) -> str | None:
    """The registration of the learner's latest launch of this AU on this mount, if any."""
    learner = agent_ifi(req.actor)
    for old in store.sessions_of_au(conn, req.au.id, req.mount):
        if agent_ifi(old.actor) == learner:
            return old.registration
    return None


def _launch_in(
    conn: sqlite3.Connection, req: LaunchRequest, registration: str, lms_base: str
) -> dict[str, Any]:
    """The launch in `conn`'s transaction: open sessions of the registration are abandoned."""
    at = now_us() // 1000 * 1000
    session_id = str(uuid.uuid4())
    template = lms_statements.context_template(session_id, req.au.publisher_id)
    fetch_id = secrets.token_urlsafe(18)
    token = str(uuid.uuid4())
    endpoint = f"{lms_base}/xapi/{req.endpoint_mount or req.mount}/"
    if not req.variant.endpoint_trailing_slash:
        endpoint = endpoint.rstrip("/")
    fetch = (
        f"{lms_base}/fetch?id={fetch_id}"
        if req.variant.fetch_query
        else f"{lms_base}/fetch/{fetch_id}"
    )
    values = {
        "endpoint": endpoint,
        "fetch": fetch,
        "actor": json.dumps(req.actor, separators=(",", ":"), ensure_ascii=False),
        "registration": registration,
        "sessionId": session_id,
        "activityId": req.au.activity_id,
    }
    launch_url = build_launch_url(req.au.url, values, req.variant)
    abandoned: list[str] = []
    known = store.registration_row(conn, registration)
    if known is None:
        store.ensure_registration(conn, registration, req.au.course_id, req.actor)
        # moveOn is evaluated at registration time (9.6.1.1-3), outside any session.
        satisfaction.evaluate(
            conn,
            registration,
            req.au.course_id,
            req.actor,
            req.mount,
            str(uuid.uuid4()),
            lms_base,
        )
    elif known["course_id"] != req.au.course_id or known["actor"] != req.actor:
        raise LaunchError(
            f"registration {registration} belongs to another course or learner", status=409
        )
    for old in store.sessions_of(conn, registration):
        if old.open:
            old_au = store.get_au_in(conn, old.au_id)
            abandon_session(conn, old, old_au, lms_base, at)
            abandoned.append(old.id)
    session = Session(
        id=session_id,
        registration=registration,
        au_id=req.au.id,
        mount=req.mount,
        actor=req.actor,
        launch_mode=req.launch_mode,
        mastery_score=req.effective_mastery_score,
        move_on=req.au.move_on,
        context_template=template,
        state="launched",
        prefs_fetched=False,
        launch_data_fetched=False,
        verbs=[],
        fetch_id=fetch_id,
        fetch_calls=0,
        token=token_digest(conn, token),
        token_fetched=False,
        launch_url=launch_url,
        profile=req.variant.profile,
        return_url=req.return_url,
        launched_us=at,
        last_us=at,
        token_clear=token,
    )
    store.insert_session(conn, session)
    scope = document_store.DocScope(
        mount=req.mount,
        kind=document_store.STATE,
        activity_id=req.au.activity_id,
        agent_ifi=agent_ifi(req.actor) or "",
        registration=registration,
    )
    data = json.dumps(_launch_data(req, template)).encode()
    document_store.put(conn, scope, STATE_ID_LAUNCH_DATA, data, "application/json", at)
    given = req.variant.overrides.get("activityId")
    if given and given != req.au.activity_id:
        # The launch names another activityId: an LMS that does so keeps its LaunchData there
        # too (cmi5 10.1.0.0-3: the launch activityId), so an AU reading it finds it.
        there = dataclasses.replace(scope, activity_id=given)
        document_store.put(conn, there, STATE_ID_LAUNCH_DATA, data, "application/json", at)
    view = store.view(conn, session, req.au)
    launched = lms_statements.launched(
        view,
        launch_url=req.au.url,
        launch_parameters=req.effective_launch_parameters,
        authority=store.lms_authority(lms_base),
        timestamp=_iso(at),
    )
    prepared = statement_store.prepare(
        launched, authority=store.lms_authority(lms_base), version="1.0.3", stored_us=at
    )
    statement_store.insert(conn, req.mount, [prepared])
    return {
        "launch_url": launch_url,
        "registration": registration,
        "session_id": session_id,
        "activity_id": req.au.activity_id,
        "endpoint": endpoint,
        "fetch": fetch,
        "actor": req.actor,
        "au_id": req.au.id,
        "course_id": req.au.course_id,
        "publisher_id": req.au.publisher_id,
        "launch_mode": req.launch_mode,
        "mount": req.mount,
        "variant": req.variant.as_dict(),
        "abandoned_sessions": abandoned,
    }
