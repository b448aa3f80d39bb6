"""cmi5 records in SQLite: courses, AUs, registrations, per-AU progress and sessions."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from fake_lms.cmi5.course import AUSpec, BlockSpec, CourseSpec
from fake_lms.cmi5.rules import SessionView

__all__ = ["AU", "Session", "SessionView"]
from fake_lms.db import Database
from fake_lms.secret_hash import token_digest

OPEN_STATES = ("launched", "initialized")


@dataclass(frozen=True)
class AU:
    id: str
    course_id: str
    position: int
    publisher_id: str
    activity_id: str
    url: str
    title: str
    move_on: str
    mastery_score: float | None
    launch_method: str
    launch_parameters: str | None
    entitlement_key: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Session:
    """A session row; `view()` gives what the cmi5 rules need."""

    id: str
    registration: str
    au_id: str
    mount: str
    actor: dict[str, Any]
    launch_mode: str
    mastery_score: float | None
    move_on: str
    context_template: dict[str, Any]
    state: str
    prefs_fetched: bool
    launch_data_fetched: bool
    verbs: list[str]
    fetch_id: str
    fetch_calls: int
    token: str  # the auth-token's digest (secret_hash.token_digest), as the store keeps it
    token_fetched: bool
    launch_url: str
    profile: str
    return_url: str | None
    launched_us: int
    last_us: int
    token_clear: str | None = None  # the auth-token itself, until the fetch URL hands it out

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES


def _now() -> str:
    return datetime.now(UTC).isoformat()


def lms_authority(lms_base: str) -> dict[str, Any]:
    """The authority of every statement the LMS itself writes."""
    return {"objectType": "Agent", "account": {"homePage": lms_base, "name": "weare-harness-lms"}}


def _title(spec: AUSpec | BlockSpec | CourseSpec) -> str:
    return next(iter(spec.title.values()), spec.id) if spec.title else spec.id


def _members(children: tuple[AUSpec | BlockSpec, ...], au_ids: dict[str, str]) -> list[str]:
    return [au_ids[c.id] if isinstance(c, AUSpec) else c.id for c in children]


def add_course(
    conn: sqlite3.Connection, spec: CourseSpec, lms_base: str, course_id: str | None = None
) -> str:
    """Store an imported course in the caller's write transaction; every AU gets its own
    LMS-generated activity id (8.1.5.0-1)."""
    course_id = course_id or str(uuid.uuid4())
    au_ids: dict[str, str] = {}
    conn.execute(
        "INSERT INTO courses (id, publisher_id, lms_activity_id, structure, created)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            course_id,
            spec.id,
            f"{lms_base}/cmi5/courses/{course_id}",
            json.dumps(_structure(spec)),
            _now(),
        ),
    )
    for position, au in enumerate(spec.aus()):
        au_id = str(uuid.uuid4())
        au_ids[au.id] = au_id
        conn.execute(
            "INSERT INTO aus (id, course_id, position, publisher_id, activity_id, url, title,"
            " move_on, mastery_score, launch_method, launch_parameters, entitlement_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                au_id,
                course_id,
                position,
                au.id,
                f"{lms_base}/cmi5/aus/{au_id}",
                au.url,
                _title(au),
                au.move_on,
                au.mastery_score,
                au.launch_method,
                au.launch_parameters,
                au.entitlement_key,
            ),
        )
    for block in spec.blocks():
        conn.execute(
            "INSERT INTO blocks (course_id, publisher_id, lms_activity_id, members)"
            " VALUES (?, ?, ?, ?)",
            (
                course_id,
                block.id,
                f"{lms_base}/cmi5/courses/{course_id}/blocks/{uuid.uuid4()}",
                json.dumps(_members(block.children, au_ids)),
            ),
        )
    return course_id


def _structure(spec: CourseSpec) -> dict[str, Any]:
    def node(child: AUSpec | BlockSpec) -> dict[str, Any]:
        if isinstance(child, AUSpec):
            return {"type": "au", "id": child.id, "title": child.title, "url": child.url}
        return {
            "type": "block",
            "id": child.id,
            "title": child.title,
            "children": [node(c) for c in child.children],
        }

    return {"id": spec.id, "title": spec.title, "children": [node(c) for c in spec.children]}


def _au(row: sqlite3.Row) -> AU:
    return AU(**{k: row[k] for k in row.keys()})  # noqa: SIM118 - sqlite3.Row has no iterator of keys


def course_aus(db: Database, course_id: str) -> list[AU]:
    rows = db.connection().execute(
        "SELECT * FROM aus WHERE course_id = ? ORDER BY position", (course_id,)
    )
    return [_au(r) for r in rows]


def get_au(db: Database, au_id: str) -> AU | None:
    row = db.connection().execute("SELECT * FROM aus WHERE id = ?", (au_id,)).fetchone()
    return _au(row) if row else None


def get_au_in(conn: sqlite3.Connection, au_id: str) -> AU:
    """The AU of a session: it exists, sessions are only made for stored AUs."""
    return _au(conn.execute("SELECT * FROM aus WHERE id = ?", (au_id,)).fetchone())


def get_course(db: Database, course_id: str) -> dict[str, Any] | None:
    row = db.connection().execute("SELECT * FROM courses WHERE id = ?", (course_id,)).fetchone()
    if row is None:
        return None
    return {
        "id": row["id"],
        "publisher_id": row["publisher_id"],
        "lms_activity_id": row["lms_activity_id"],
        "structure": json.loads(row["structure"]),
        "aus": [au.as_dict() for au in course_aus(db, course_id)],
    }


def list_courses(db: Database) -> list[dict[str, Any]]:
    rows = db.connection().execute("SELECT id FROM courses ORDER BY created")
    return [c for c in (get_course(db, r[0]) for r in rows) if c is not None]


def blocks(db: Database, course_id: str) -> list[dict[str, Any]]:
    rows = db.connection().execute("SELECT * FROM blocks WHERE course_id = ?", (course_id,))
    return [
        {
            "publisher_id": r["publisher_id"],
            "lms_activity_id": r["lms_activity_id"],
            "members": json.loads(r["members"]),
        }
        for r in rows
    ]


# --- registrations and progress --------------------------------------------------------------


def registration_row(conn: sqlite3.Connection, registration_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM registrations WHERE id = ?", (registration_id,)).fetchone()
    if row is None:
        return None
    return {"id": row["id"], "course_id": row["course_id"], "actor": json.loads(row["actor"])}


def ensure_registration(
    conn: sqlite3.Connection, registration_id: str, course_id: str, actor: dict[str, Any]
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO registrations (id, course_id, actor, created) VALUES (?, ?, ?, ?)",
        (registration_id, course_id, json.dumps(actor), _now()),
    )


def progress(conn: sqlite3.Connection, registration_id: str, au_id: str) -> dict[str, bool]:
    row = conn.execute(
        "SELECT completed, passed, waived, satisfied FROM au_progress"
        " WHERE registration = ? AND au_id = ?",
        (registration_id, au_id),
    ).fetchone()
    keys = ("completed", "passed", "waived", "satisfied")
    return {k: bool(row[k]) if row else False for k in keys}


def mark_progress(
    conn: sqlite3.Connection, registration_id: str, au_id: str, **flags: bool
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO au_progress (registration, au_id) VALUES (?, ?)",
        (registration_id, au_id),
    )
    for name, value in flags.items():
        if name not in ("completed", "passed", "waived", "satisfied"):
            raise ValueError(name)
        conn.execute(
            f"UPDATE au_progress SET {name} = ? WHERE registration = ? AND au_id = ?",
            (int(value), registration_id, au_id),
        )


# --- sessions --------------------------------------------------------------------------------


def _session(row: sqlite3.Row) -> Session:
    data = {k: row[k] for k in row.keys()}  # noqa: SIM118
    data["actor"] = json.loads(data["actor"])
    data["context_template"] = json.loads(data["context_template"])
    data["verbs"] = json.loads(data["verbs"])
    for flag in ("prefs_fetched", "launch_data_fetched", "token_fetched"):
        data[flag] = bool(data[flag])
    return Session(**data)


def insert_session(conn: sqlite3.Connection, session: Session) -> None:
    data = asdict(session)
    data["actor"] = json.dumps(session.actor)
    data["context_template"] = json.dumps(session.context_template)
    data["verbs"] = json.dumps(session.verbs)
    names = ", ".join(data)
    marks = ", ".join(f":{k}" for k in data)
    conn.execute(f"INSERT INTO sessions ({names}) VALUES ({marks})", data)


def update_session(conn: sqlite3.Connection, session_id: str, **fields: Any) -> None:
    for name, value in fields.items():
        if name not in Session.__dataclass_fields__ or name == "id":
            raise ValueError(name)
        if name == "verbs":
            value = json.dumps(value)
        conn.execute(f"UPDATE sessions SET {name} = ? WHERE id = ?", (value, session_id))


def _one(conn: sqlite3.Connection, where: str, value: str) -> Session | None:
    row = conn.execute(f"SELECT * FROM sessions WHERE {where} = ?", (value,)).fetchone()
    return _session(row) if row else None


def get_session(conn: sqlite3.Connection, session_id: str) -> Session | None:
    return _one(conn, "id", session_id)


def session_by_token(conn: sqlite3.Connection, token: str) -> Session | None:
    """The session whose auth-token is `token` (the store keeps its digest)."""
    return _one(conn, "token", token_digest(conn, token))


def session_by_fetch(conn: sqlite3.Connection, fetch_id: str) -> Session | None:
    return _one(conn, "fetch_id", fetch_id)


def sessions_of(conn: sqlite3.Connection, registration_id: str) -> list[Session]:
    rows = conn.execute(
        "SELECT * FROM sessions WHERE registration = ? ORDER BY launched_us", (registration_id,)
    )
    return [_session(r) for r in rows]


def sessions_of_au(conn: sqlite3.Connection, au_id: str, mount: str) -> list[Session]:
    """The sessions of an AU on one mount, the latest launch first."""
    rows = conn.execute(
        "SELECT * FROM sessions WHERE au_id = ? AND mount = ? ORDER BY launched_us DESC, rowid DESC",
        (au_id, mount),
    )
    return [_session(r) for r in rows]


def view(conn: sqlite3.Connection, session: Session, au: AU) -> SessionView:
    """What the cmi5 rules need to judge a request made with this session's token."""
    done = progress(conn, session.registration, session.au_id)
    return SessionView(
        session_id=session.id,
        registration=session.registration,
        actor=session.actor,
        activity_id=au.activity_id,
        publisher_id=au.publisher_id,
        launch_mode=session.launch_mode,
        mastery_score=session.mastery_score,
        move_on=session.move_on,
        context_template=session.context_template,
        state=session.state,
        prefs_fetched=session.prefs_fetched,
        verbs=list(session.verbs),
        registration_completed=done["completed"],
        registration_passed=done["passed"],
    )
