"""Statements in SQLite: what the LRS adds on store, id reuse, voiding, and the GET filters."""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fake_lms.db import Database
from fake_lms.xapi.compare import SECTION as COMPARISON_SECTION
from fake_lms.xapi.compare import first_difference
from fake_lms.xapi.protocol import XAPIError
from fake_lms.xapi.validation import agent_ifi

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"


@functools.lru_cache(maxsize=64)
def iso_us(us: int) -> str:
    return (
        datetime.fromtimestamp(us / 1_000_000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Prepared:
    """A statement ready to insert, with the index rows the GET filters need."""

    id: str
    stmt: dict[str, Any]
    added: str  # properties the LRS filled in, e.g. "timestamp,version"
    verb_id: str
    object_id: str | None
    ref_id: str | None
    registration: str | None
    is_voiding: bool
    stored_us: int
    agents: list[tuple[str, int]] = field(default_factory=list)
    activities: list[tuple[str, int]] = field(default_factory=list)
    definitions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    people: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _normalise_context(ctx: dict[str, Any]) -> None:
    """The LRS returns contextActivities values as arrays (xAPI-D §2.4.6.2)."""
    activities = ctx.get("contextActivities")
    if isinstance(activities, dict):
        ctx["contextActivities"] = {k: _as_list(v) for k, v in activities.items()}


def _agents_of(node: dict[str, Any] | None, direct: int, out: list[tuple[str, int]]) -> None:
    if not isinstance(node, dict):
        return
    ifi = agent_ifi(node)
    if ifi:
        out.append((ifi, direct))


def _collect(stmt: dict[str, Any], p: Prepared, top: bool) -> None:
    direct = 1 if top else 0
    _agents_of(stmt.get("actor"), direct, p.agents)
    if isinstance(stmt.get("actor"), dict) and agent_ifi(stmt["actor"]):
        p.people.append((agent_ifi(stmt["actor"]) or "", stmt["actor"]))
    obj = stmt.get("object", {})
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        _agents_of(obj, direct, p.agents)
    elif kind == "Activity":
        p.activities.append((obj["id"], direct))
        if "definition" in obj:
            p.definitions.append((obj["id"], obj["definition"]))
    elif kind == "SubStatement":
        _collect(obj, p, top=False)
    ctx = stmt.get("context") or {}
    for key in ("instructor", "team"):
        _agents_of(ctx.get(key), 0, p.agents)
    for values in (ctx.get("contextActivities") or {}).values():
        for activity in _as_list(values):
            p.activities.append((activity["id"], 0))
            if "definition" in activity:
                p.definitions.append((activity["id"], activity["definition"]))
    if top:
        _agents_of(stmt.get("authority"), 0, p.agents)


def prepare(
    received: dict[str, Any], *, authority: dict[str, Any], version: str, stored_us: int
) -> Prepared:
    """Add what the LRS owns (id, stored, timestamp, authority, version) per xAPI-D §2.4."""
    # Copy only what is rewritten below; the rest is shared with `received`, which is not mutated.
    stmt = dict(received)
    if isinstance(stmt.get("context"), dict):
        stmt["context"] = dict(stmt["context"])
    if isinstance(stmt.get("object"), dict) and stmt["object"].get("objectType") == "SubStatement":
        stmt["object"] = dict(stmt["object"])
        if isinstance(stmt["object"].get("context"), dict):
            stmt["object"]["context"] = dict(stmt["object"]["context"])
    stmt.setdefault("id", str(uuid.uuid4()))
    stmt["id"] = stmt["id"].lower()
    stored = iso_us(stored_us)  # cached: a batch shares one stored time
    stmt["stored"] = stored
    stmt.setdefault("timestamp", stored)
    stmt["authority"] = authority
    stmt.setdefault("version", "2.0.0" if version == "2.0.0" else "1.0.0")
    if isinstance(stmt.get("context"), dict):
        _normalise_context(stmt["context"])
    obj = stmt["object"]
    if obj.get("objectType") == "SubStatement" and isinstance(obj.get("context"), dict):
        _normalise_context(obj["context"])
    kind = obj.get("objectType", "Activity")
    p = Prepared(
        id=stmt["id"],
        stmt=stmt,
        added=",".join(k for k in ("id", "timestamp", "version") if k not in received),
        verb_id=stmt["verb"]["id"],
        object_id=obj["id"] if kind == "Activity" else None,
        ref_id=obj["id"].lower() if kind == "StatementRef" else None,
        registration=(stmt.get("context") or {}).get("registration", "").lower() or None,
        is_voiding=stmt["verb"]["id"] == VOIDED_VERB,
        stored_us=stored_us,
    )
    _collect(stmt, p, top=True)
    return p


def _merge_definition(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "extensions":
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def store(
    db: Database,
    mount: str,
    batch: list[Prepared],
    attachment_parts: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> list[str]:
    """Insert a batch atomically: all or nothing (xAPI-C §2.1.2, XAPI-00326)."""
    with db.write() as conn:
        return insert(conn, mount, batch, attachment_parts)


def insert(
    conn: sqlite3.Connection,
    mount: str,
    batch: list[Prepared],
    attachment_parts: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> list[str]:
    """`store` inside a write transaction the caller holds."""
    _check_conflicts(conn, mount, batch)
    _check_voiding(conn, mount, batch)
    already = _existing_same(conn, mount, batch)
    fresh = [p for p in batch if p.id not in already]
    conn.executemany(
        "INSERT OR IGNORE INTO attachments (sha2, content_type, content) VALUES (?, ?, ?)",
        attachment_parts,
    )
    if not fresh:
        return [p.id for p in batch]
    # The write lock is held, so sequence numbers can be assigned here and rows inserted
    # in bulk, one statement per table.
    first = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM statements").fetchone()[0]
    targets = {p.ref_id for p in fresh if p.is_voiding}
    voided_now = _voided_ids(conn, mount, [p.id for p in fresh])
    rows, agents, activities = [], [], []
    definitions: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, Any]] = {}
    for seq, p in enumerate(fresh, start=first):
        rows.append(
            (
                seq,
                mount,
                p.id,
                p.stored_us,
                p.verb_id,
                p.object_id,
                p.ref_id,
                p.registration,
                int(p.is_voiding),
                int(p.id in voided_now or p.id in targets),
                json.dumps(p.stmt, ensure_ascii=False, separators=(",", ":")),
                p.added,
            )
        )
        agents += [(seq, ifi, d) for ifi, d in set(p.agents)]
        activities += [(seq, a, d) for a, d in set(p.activities)]
        for activity_id, definition in p.definitions:
            definitions[activity_id] = _merge_definition(
                definitions.get(activity_id, {}), definition
            )
        people.update(p.people)
    conn.executemany(
        "INSERT INTO statements (seq, mount, id, stored_us, verb_id, object_id, ref_id,"
        " registration, is_voiding, voided, statement, added)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO statement_agents (seq, ifi, direct) VALUES (?, ?, ?)", agents)
    conn.executemany(
        "INSERT INTO statement_activities (seq, activity_id, direct) VALUES (?, ?, ?)",
        activities,
    )
    conn.executemany(
        "UPDATE statements SET voided = 1 WHERE mount = ? AND id = ?",
        [(mount, target) for target in targets],
    )
    _save_definitions(conn, mount, definitions)
    conn.executemany(
        "INSERT OR REPLACE INTO agents (mount, ifi, agent) VALUES (?, ?, ?)",
        [(mount, ifi, canonical_json(person)) for ifi, person in people.items()],
    )
    return [p.id for p in batch]


def _voided_ids(conn: sqlite3.Connection, mount: str, ids: list[str]) -> set[str]:
    """Ids that a voiding statement stored earlier already targets (arrival order is free)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0]
            for r in conn.execute(
                f"SELECT ref_id FROM statements WHERE mount = ? AND is_voiding = 1"
                f" AND ref_id IN ({marks})",
                (mount, *chunk),
            )
        )
    return found


def _save_definitions(
    conn: sqlite3.Connection, mount: str, definitions: dict[str, dict[str, Any]]
) -> None:
    """Merge each activity's newest definition into the stored one (xAPI-C §2.5)."""
    for activity_id, definition in definitions.items():
        row = conn.execute(
            "SELECT definition FROM activities WHERE mount = ? AND id = ?", (mount, activity_id)
        ).fetchone()
        old = json.loads(row[0]) if row else {}
        merged = _merge_definition(old, definition)
        if merged != old:
            conn.execute(
                "INSERT OR REPLACE INTO activities (mount, id, definition) VALUES (?, ?, ?)",
                (mount, activity_id, canonical_json(merged)),
            )


def comparable(stmt: dict[str, Any], added: str) -> dict[str, Any]:
    """A statement without what the LRS filled in, as the sender sent it: `first_difference`
    then ignores an id or timestamp that only one of two submissions carries."""
    owned = {"stored", "authority", "version", *added.split(",")}
    return {k: v for k, v in stmt.items() if k not in owned}


def _check_conflicts(conn: sqlite3.Connection, mount: str, batch: list[Prepared]) -> None:
    seen: set[str] = set()
    for index, p in enumerate(batch):
        if p.id in seen:
            raise XAPIError(
                400,
                f"statement id {p.id} appears twice in one request",
                "xAPI-C §2.1.2 (batch); XAPI-00326",
                f"$[{index}].id",
            )
        seen.add(p.id)


def _existing_same(conn: sqlite3.Connection, mount: str, batch: list[Prepared]) -> set[str]:
    """Ids already stored with the same statement (accepted, not stored again); 409 if it differs
    under the Statement Comparison Requirements (xAPI-D §2.3.1)."""
    same: set[str] = set()
    ids = [p.id for p in batch]
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT id, statement, added FROM statements WHERE mount = ? AND id IN ({marks})",
            (mount, *chunk),
        ):
            found[row[0]] = comparable(json.loads(row[1]), row[2])
    for index, p in enumerate(batch):
        if p.id not in found:
            continue
        difference = first_difference(found[p.id], comparable(p.stmt, p.added))
        if difference is not None:
            raise XAPIError(
                409,
                f"statement id {p.id} is already stored with different content:"
                f" {difference.describe('stored', 'received')}",
                f"xAPI-C §2.1.1/§2.1.2 (409 Conflict); {COMPARISON_SECTION}",
                f"$[{index}]{difference.path[1:]}",
            )
        same.add(p.id)
    return same


def _check_voiding(conn: sqlite3.Connection, mount: str, batch: list[Prepared]) -> None:
    """A voiding statement targets a StatementRef that is not itself a voiding statement."""
    voiding_in_batch = {p.id for p in batch if p.is_voiding}
    for index, p in enumerate(batch):
        if not p.is_voiding:
            continue
        if p.ref_id is None:
            raise XAPIError(
                400,
                "a voiding statement's object must be a StatementRef",
                "xAPI-D §2.3.2",
                f"$[{index}].object",
            )
        target = conn.execute(
            "SELECT is_voiding FROM statements WHERE mount = ? AND id = ?", (mount, p.ref_id)
        ).fetchone()
        if (target is not None and target[0]) or p.ref_id in voiding_in_batch:
            raise XAPIError(
                400,
                f"statement {p.ref_id} is itself a voiding statement and cannot be voided",
                "xAPI-D §2.3.2",
                f"$[{index}].object.id",
            )


def get_one(db: Database, mount: str, statement_id: str, *, voided: bool) -> dict | None:
    row = (
        db.connection()
        .execute(
            "SELECT statement, voided FROM statements WHERE mount = ? AND id = ?",
            (mount, statement_id.lower()),
        )
        .fetchone()
    )
    if row is None or bool(row["voided"]) != voided:
        return None
    return json.loads(row["statement"])


@dataclass
class Filters:
    agent: str | None = None  # an IFI key
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_agents: bool = False
    related_activities: bool = False
    since_us: int | None = None
    until_us: int | None = None
    ascending: bool = False


def query(
    db: Database, mount: str, f: Filters, *, limit: int, after_seq: int | None, snapshot: int | None
) -> tuple[list[dict[str, Any]], int | None, int]:
    """One page of matches: (statements, cursor for the next page or None, snapshot seq)."""
    with db.read() as conn:
        if snapshot is None:
            snapshot = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM statements").fetchone()[0]
        where = ["s.mount = :mount"]
        args: dict[str, Any] = {"mount": mount, "snapshot": snapshot, "limit": limit + 1}
        if f.verb is not None:
            where.append("s.verb_id = :verb")
            args["verb"] = f.verb
        if f.registration is not None:
            where.append("s.registration = :registration")
            args["registration"] = f.registration.lower()
        if f.activity is not None:
            direct = "" if f.related_activities else " AND a.direct = 1"
            where.append(
                "EXISTS (SELECT 1 FROM statement_activities a WHERE a.seq = s.seq"
                f" AND a.activity_id = :activity{direct})"
            )
            args["activity"] = f.activity
        if f.agent is not None:
            direct = "" if f.related_agents else " AND g.direct = 1"
            where.append(
                "EXISTS (SELECT 1 FROM statement_agents g WHERE g.seq = s.seq"
                f" AND g.ifi = :agent{direct})"
            )
            args["agent"] = f.agent
        final = ["t.voided = 0", "t.seq <= :snapshot"]
        if f.since_us is not None:
            final.append("t.stored_us > :since")
            args["since"] = f.since_us
        if f.until_us is not None:
            final.append("t.stored_us <= :until")
            args["until"] = f.until_us
        if after_seq is not None:
            final.append("t.seq > :after" if f.ascending else "t.seq < :after")
            args["after"] = after_seq
        order = "ASC" if f.ascending else "DESC"
        if len(where) == 1:
            sql = (
                "SELECT t.seq, t.statement FROM statements t WHERE t.mount = :mount AND "
                + " AND ".join(final)
                + f" ORDER BY t.seq {order} LIMIT :limit"
            )
        else:
            # Statements that reference a match by StatementRef match too (xAPI-C §2.1.3).
            sql = (
                "WITH RECURSIVE matched(seq, id) AS ("
                " SELECT s.seq, s.id FROM statements s WHERE " + " AND ".join(where) + " UNION"
                " SELECT r.seq, r.id FROM statements r JOIN matched m ON r.ref_id = m.id"
                " WHERE r.mount = :mount)"
                " SELECT t.seq, t.statement FROM statements t"
                " WHERE t.seq IN (SELECT seq FROM matched) AND "
                + " AND ".join(final)
                + f" ORDER BY t.seq {order} LIMIT :limit"
            )
        rows = conn.execute(sql, args).fetchall()
    more = rows[limit - 1]["seq"] if len(rows) > limit else None
    return [json.loads(r["statement"]) for r in rows[:limit]], more, snapshot


def attachments(db: Database, hashes: list[str]) -> list[tuple[str, str, bytes]]:
    out = []
    for sha2 in dict.fromkeys(hashes):
        row = (
            db.connection()
            .execute("SELECT content_type, content FROM attachments WHERE sha2 = ?", (sha2,))
            .fetchone()
        )
        if row is not None:
            out.append((sha2, row[0], bytes(row[1])))
    return out


def count(db: Database, mount: str) -> int:
    return (
        db.connection()
        .execute("SELECT COUNT(*) FROM statements WHERE mount = ?", (mount,))
        .fetchone()[0]
    )
