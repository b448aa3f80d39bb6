"""Admin API for the cmi5 side: AUs, course import, launches, waive, abandon, registrations.

It is what an external cmi5 LMS test suite's adapter needs, and what the CLI and runner use.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from typing import Any

from flask import Blueprint, Response, request

from fake_lms import registration_journal
from fake_lms.admin import (
    SECTION,
    flush_journal,
    json_body,
    mount_or_404,
    ndjson,
    require_api_key,
)
from fake_lms.au_fields import AU_FIELDS
from fake_lms.cmi5 import lms_statements, satisfaction, store
from fake_lms.cmi5.au_url import au_url_problem
from fake_lms.cmi5.course import (
    AUSpec,
    CourseImportError,
    CourseSpec,
    PackageTooLarge,
    import_package,
)
from fake_lms.cmi5.launch import LaunchError, LaunchRequest, abandon_session, launch
from fake_lms.cmi5.launch_url import LaunchVariantError, Variant, query_names
from fake_lms.cmi5.package_quota import check_package_quota
from fake_lms.cmi5.vocab import WAIVE_REASONS
from fake_lms.content import package_base
from fake_lms.db import now_us
from fake_lms.lms import current_lms, json_response
from fake_lms.public_url import lms_base
from fake_lms.xapi import statement_store
from fake_lms.xapi.protocol import XAPIError
from fake_lms.xapi.validation import is_iri

bp = Blueprint("cmi5_admin", __name__)
bp.before_request(require_api_key)

LAUNCH_NAMES = ("endpoint", "fetch", "actor", "registration", "activityId")
MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")


def _base() -> str:
    return lms_base()


def _bad(message: str, path: str = "body", requirement: str | None = None) -> XAPIError:
    return XAPIError(400, message, SECTION, path, requirement=requirement)


def au_spec_from_json(body: dict[str, Any]) -> AUSpec:
    """An AU registered by hand, checked as the course import would check it."""
    unknown = sorted(set(body) - set(AU_FIELDS))
    if unknown:
        raise _bad(f"unknown AU field(s) {unknown}; known: {list(AU_FIELDS)}")
    url = body.get("url")
    problem = au_url_problem(url) if isinstance(url, str) else "is not a string"
    if problem or not isinstance(url, str):
        raise _bad(
            f"url must be an absolute http(s) URL; {url!r} {problem}", "body.url", "13.1.4.0-2"
        )
    clash = [n for n in query_names(url) if n in LAUNCH_NAMES]
    if clash:
        raise _bad(
            f"url's own query uses the cmi5 launch parameter(s) {clash}", "body.url", "8.1.0.0-6"
        )
    publisher_id = body.get("publisher_id")
    if publisher_id is None or publisher_id == "":  # not given: derived from the URL
        publisher_id = f"{url.split('?')[0]}#au"
    if not is_iri(publisher_id):
        raise _bad(f"publisher_id {publisher_id!r} is not an IRI", "body.publisher_id", "3.0.0.0-1")
    move_on = body.get("move_on", "NotApplicable")
    if move_on not in MOVE_ON:
        raise _bad(f"move_on {move_on!r} is not one of {MOVE_ON}", "body.move_on")
    mastery = body.get("mastery_score")
    if mastery is not None and (
        not isinstance(mastery, int | float) or isinstance(mastery, bool) or not 0 <= mastery <= 1
    ):
        raise _bad(f"mastery_score {mastery!r} must be a number in 0..1", "body.mastery_score")
    method = body.get("launch_method", "AnyWindow")
    if method not in ("AnyWindow", "OwnWindow"):
        raise _bad(f"launch_method {method!r} is not AnyWindow or OwnWindow", "body.launch_method")
    for name in ("title", "launch_parameters", "entitlement_key"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise _bad(f"{name} must be a string", f"body.{name}")
    title = body.get("title") or url
    return AUSpec(
        id=publisher_id,
        title={"en-US": title},
        description={},
        url=url,
        move_on=move_on,
        mastery_score=float(mastery) if mastery is not None else None,
        launch_method=method,
        launch_parameters=body.get("launch_parameters"),
        entitlement_key=body.get("entitlement_key"),
    )


def register_au(conn: sqlite3.Connection, body: dict[str, Any]) -> store.AU:
    """Check an AU given by hand, then store it in the caller's write transaction."""
    spec = au_spec_from_json(body)
    course = CourseSpec(id=f"{spec.id}/course", title=spec.title, description={}, children=(spec,))
    course_id = store.add_course(conn, course, _base())
    return store.course_aus(current_lms().db, course_id)[0]


@bp.post("/api/aus")
def create_au() -> Response:
    body = json_body()
    with current_lms().db.write() as conn:
        au = register_au(conn, body)
    return json_response(au.as_dict(), 201)


@bp.get("/api/aus")
def list_aus() -> Response:
    rows = current_lms().db.connection().execute("SELECT id FROM aus ORDER BY course_id, position")
    db = current_lms().db
    return json_response([a.as_dict() for a in (store.get_au(db, r[0]) for r in rows) if a])


@bp.post("/api/courses")
def import_course() -> Response:
    """Import cmi5.xml or a zip holding it; rejections name their cmi5 requirement id (§6)."""
    data = request.get_data(cache=True)
    filename = request.args.get("filename", "")
    course_id = str(uuid.uuid4())
    base = package_base(course_id)  # the content origin, never the LMS's own (fake_lms/content.py)
    declared_zip = filename.lower().endswith(".zip") or (
        request.mimetype in ("application/zip", "application/x-zip-compressed")
    )
    lms = current_lms()
    try:
        spec, files = import_package(
            data,
            filename,
            base_url=base,
            declared_zip=declared_zip,
            max_uncompressed=lms.config.package_max_bytes,
        )
    except CourseImportError as exc:
        raise XAPIError(
            413 if isinstance(exc, PackageTooLarge) else 400,
            str(exc),
            f"cmi5 course import ({exc.requirement})",
            exc.where or "body",
            requirement=exc.requirement,
        ) from exc
    if files and base is None:
        raise XAPIError(
            409,
            "this LMS serves no course content (it runs without its content origin), so a "
            "package with files cannot be imported; import cmi5.xml with absolute AU URLs",
            SECTION,
            "body",
        )
    with lms.db.write() as conn:
        check_package_quota(conn, sum(len(c) for c in files.values()), lms.config)
        stored_id = store.add_course(conn, spec, _base(), course_id=course_id)
        conn.executemany(
            "INSERT INTO package_files (course_id, path, content) VALUES (?, ?, ?)",
            [(stored_id, path, content) for path, content in files.items()],
        )
    return json_response(store.get_course(lms.db, stored_id), 201)


@bp.get("/api/courses")
def courses() -> Response:
    return json_response(store.list_courses(current_lms().db))


@bp.get("/api/courses/<course_id>")
def course(course_id: str) -> Response:
    found = store.get_course(current_lms().db, course_id)
    if found is None:
        raise XAPIError(404, f"no course {course_id!r}", SECTION, "path")
    return json_response(found)


def _au_number(course_id: str, number: int) -> store.AU:
    aus = store.course_aus(current_lms().db, course_id)
    if not aus:
        raise XAPIError(404, f"no course {course_id!r}", SECTION, "path")
    if not 0 <= number < len(aus):
        raise XAPIError(
            404, f"course {course_id} has AUs 0..{len(aus) - 1}, not {number}", SECTION, "path"
        )
    return aus[number]


def _launch_request(au: store.AU, body: dict[str, Any]) -> LaunchRequest:
    lms = current_lms()
    variant_keys = set(Variant.__dataclass_fields__)
    own = {
        "actor",
        "registration",
        "launch_mode",
        "mount",
        "endpoint_mount",
        "return_url",
        "au_id",
        "au_url",
        "launch_parameters",
        "mastery_score",
        "entitlement_key_alternate",
    }
    unknown = sorted(set(body) - variant_keys - own)
    if unknown:
        raise _bad(f"unknown launch field(s) {unknown}")
    try:
        variant = Variant.from_dict({k: v for k, v in body.items() if k in variant_keys})
    except LaunchVariantError as exc:
        raise _bad(str(exc)) from exc
    mount = mount_or_404(str(body.get("mount") or lms.config.default_mount)).name
    endpoint_mount = body.get("endpoint_mount")
    if endpoint_mount is not None:
        mount_or_404(str(endpoint_mount))
    actor = body.get("actor") or {
        "objectType": "Agent",
        "account": {"homePage": _base(), "name": "learner-1"},
    }
    if not isinstance(actor, dict):
        raise _bad("actor must be a JSON object (an xAPI Agent)", "body.actor")
    launch_quirks = set(lms.config.quirks) | set(mount_or_404(mount).quirks)
    if "amp-launch-url" in launch_quirks:
        variant = dataclasses.replace(variant, amp_entities=True)
    if "mbox-actor" in launch_quirks:
        actor = {"objectType": "Agent", "mbox": "mailto:learner-1@lms.example.com"}
    if "registration-not-uuid" in launch_quirks:
        overrides = {"registration": f"reg-{uuid.uuid4().hex[:8]}", **variant.overrides}
        variant = dataclasses.replace(variant, overrides=overrides)
    return LaunchRequest(
        au=au,
        actor=actor,
        mount=mount,
        registration=body.get("registration"),
        launch_mode=str(body.get("launch_mode", "Normal")),
        return_url=body.get("return_url"),
        endpoint_mount=endpoint_mount,
        variant=variant,
        launch_parameters=body.get("launch_parameters"),
        mastery_score=body.get("mastery_score"),
        entitlement_key_alternate=body.get("entitlement_key_alternate"),
        reuse_registration="relaunch-abandons" in launch_quirks,
    )


def _do_launch(
    au: store.AU, body: dict[str, Any], conn: sqlite3.Connection | None = None
) -> Response:
    """Check the launch request, then launch (in `conn`'s transaction when given)."""
    try:
        result = launch(current_lms().db, _launch_request(au, body), _base(), conn)
    except LaunchError as exc:
        raise XAPIError(exc.status, str(exc), SECTION, "body") from exc
    return json_response(result, 201)


@bp.post("/api/courses/<course_id>/aus/<int:number>/launches")
def launch_course_au(course_id: str, number: int) -> Response:
    return _do_launch(_au_number(course_id, number), json_body())


@bp.post("/api/launches")
def create_launch() -> Response:
    """Launch by `au_id`, or by `au_url` (registering the AU on first use).

    An AU registered here is stored in the launch's own transaction: a launch refused for a bad
    field leaves no AU behind."""
    body = json_body()
    db = current_lms().db
    if body.get("au_id"):
        au = store.get_au(db, str(body["au_id"]))
        if au is None:
            raise XAPIError(404, f"no AU {body['au_id']!r}", SECTION, "body.au_id")
        return _do_launch(au, body)
    if not body.get("au_url"):
        raise _bad("give au_id or au_url", "body")
    with db.write() as conn:
        row = conn.execute(
            "SELECT id FROM aus WHERE url = ? ORDER BY rowid LIMIT 1", (body["au_url"],)
        ).fetchone()
        au = store.get_au(db, row[0]) if row else register_au(conn, {"url": body["au_url"]})
        if au is None:  # deleted between the lookup and the read
            raise XAPIError(404, f"no AU {body['au_url']!r}", SECTION, "body.au_url")
        return _do_launch(au, body, conn)


@bp.post("/api/registrations/<registration>/aus/<int:number>/waive")
def waive(registration: str, number: int) -> Response:
    """Waive an AU (cmi5 §9.3.7): a waived statement with a new session id, then satisfaction."""
    lms = current_lms()
    reg = store.registration_row(lms.db.connection(), registration.lower())
    if reg is None:
        raise XAPIError(404, f"no registration {registration!r}", SECTION, "path")
    au = _au_number(reg["course_id"], number)
    body = json_body()
    reason = str(body.get("reason", "Administrative"))
    mount = mount_or_404(str(body.get("mount") or lms.config.default_mount)).name
    at = now_us() // 1000 * 1000
    new_session = str(uuid.uuid4())
    authority = store.lms_authority(_base())
    with lms.db.write() as conn:
        if store.progress(conn, reg["id"], au.id)["waived"]:
            raise XAPIError(
                409,
                f"AU {number} is already waived in this registration",
                SECTION,
                "path",
                requirement="9.3.7.0-4",
            )
        view = store.SessionView(
            session_id=new_session,
            registration=reg["id"],
            actor=reg["actor"],
            activity_id=au.activity_id,
            publisher_id=au.publisher_id,
            launch_mode="Normal",
            mastery_score=au.mastery_score,
            move_on=au.move_on,
            context_template=lms_statements.context_template(new_session, au.publisher_id),
            state="launched",
            prefs_fetched=False,
            verbs=[],
            registration_completed=False,
            registration_passed=False,
        )
        stmt = lms_statements.waived(
            view,
            reason=reason,
            new_session_id=new_session,
            authority=authority,
            timestamp=statement_store.iso_us(at),
        )
        statement_store.insert(
            conn,
            mount,
            [statement_store.prepare(stmt, authority=authority, version="1.0.3", stored_us=at)],
        )
        store.mark_progress(conn, reg["id"], au.id, waived=True)
        satisfied = satisfaction.evaluate(
            conn, reg["id"], au.course_id, reg["actor"], mount, new_session, _base()
        )
    return json_response(
        {"waived": stmt, "satisfied": satisfied, "reason_is_standard": reason in WAIVE_REASONS},
        201,
    )


# What a reset forgets: answered as counts under these names.
RESET_TABLES = {"sessions": "sessions", "progress": "au_progress", "satisfied": "satisfied"}


def _session_or_404(session_id: str) -> store.Session:
    session = store.get_session(current_lms().db.connection(), session_id)
    if session is None:
        raise XAPIError(404, f"no session {session_id!r}", SECTION, "path")
    return session


def _describe_session(session: store.Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "registration": session.registration,
        "au_id": session.au_id,
        "mount": session.mount,
        "state": session.state,
        "launch_mode": session.launch_mode,
        "profile": session.profile,
        "verbs": session.verbs,
        "fetch_calls": session.fetch_calls,
        "token_fetched": session.token_fetched,
        "prefs_fetched": session.prefs_fetched,
        "launch_data_fetched": session.launch_data_fetched,
        "launch_url": session.launch_url,
    }


@bp.post("/api/sessions/<session_id>/abandon")
def abandon(session_id: str) -> Response:
    lms = current_lms()
    with lms.db.write() as conn:
        session = store.get_session(conn, session_id)
        if session is None:
            raise XAPIError(404, f"no session {session_id!r}", SECTION, "path")
        if not session.open:
            raise XAPIError(409, f"session {session_id} is already {session.state}", SECTION)
        stmt = abandon_session(
            conn, session, store.get_au_in(conn, session.au_id), _base(), now_us() // 1000 * 1000
        )
    return json_response({"abandoned": stmt}, 200)


@bp.get("/api/sessions/<session_id>")
def session_info(session_id: str) -> Response:
    return json_response(_describe_session(_session_or_404(session_id)))


@bp.get("/api/registrations/<registration>")
def registration_info(registration: str) -> Response:
    conn = current_lms().db.connection()
    reg = store.registration_row(conn, registration.lower())
    if reg is None:
        raise XAPIError(404, f"no registration {registration!r}", SECTION, "path")
    aus = store.course_aus(current_lms().db, reg["course_id"])
    return json_response(
        {
            **reg,
            "sessions": [_describe_session(s) for s in store.sessions_of(conn, reg["id"])],
            "progress": {au.id: store.progress(conn, reg["id"], au.id) for au in aus},
        }
    )


@bp.post("/api/registrations/<registration>/reset")
def reset_registration(registration: str) -> Response:
    """Start a registration over: forget its sessions (their auth-tokens and fetch URLs then open
    nothing), its AU progress and what it satisfied. The registration (course, actor) stays, to
    launch again, and so does every statement the LRS stored."""
    lms = current_lms()
    with lms.db.write() as conn:
        reg = store.registration_row(conn, registration.lower())
        if reg is None:
            raise XAPIError(404, f"no registration {registration!r}", SECTION, "path")
        counts = {
            name: conn.execute(f"DELETE FROM {table} WHERE registration = ?", (reg["id"],)).rowcount
            for name, table in RESET_TABLES.items()
        }
    return json_response({"registration": reg["id"], **counts})


@bp.get("/api/registrations/<registration>/statements")
def registration_statements(registration: str) -> Response:
    """Every statement of a registration on every mount, in arrival order."""
    rows = statement_store.of_registration(current_lms().db.connection(), registration)
    return json_response([{"mount": mount, "statement": stmt} for mount, stmt in rows])


@bp.get("/api/registrations/<registration>/journal.ndjson")
def registration_journal_export(registration: str) -> Response:
    """The journal entries of one registration, from every mount, as NDJSON
    (fake_lms/registration_journal.py says which entries are its own)."""
    reg = store.registration_row(current_lms().db.connection(), registration.lower())
    if reg is None:
        raise XAPIError(404, f"no registration {registration!r}", SECTION, "path")
    flush_journal()
    return ndjson(
        registration_journal.entries(current_lms().db, reg["id"]), f"journal-{reg['id']}.ndjson"
    )
