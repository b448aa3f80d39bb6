"""Statements in SQLite: what the LRS adds on store, id reuse, voiding, and the GET filters."""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fake_lms import packing
from fake_lms.db import Database, now_us
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


def dump(stmt: dict[str, Any]) -> bytes:
    """A statement as the statements table keeps it: compact JSON, packed (fake_lms.packing)."""
    return packing.pack(json.dumps(stmt, ensure_ascii=False, separators=(",", ":")).encode())


def load(value: str | bytes) -> dict[str, Any]:
    """A statement from the statements table: packed, or JSON text (stored before schema 5)."""
    stmt: dict[str, Any] = json.loads(packing.unpack(value) if isinstance(value, bytes) else value)
    return stmt


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Kinds of index key (statement_index): what each xAPI filter selects on (xAPI-C §2.1.3).
VERB = "v"
AGENT = "a"  # actor or object, members of such a Group included
RELATED_AGENT = "A"  # any agent of the statement: AGENT's plus authority, context, sub-statement
ACTIVITY = "o"  # the object
RELATED_ACTIVITY = "O"  # the object, context activities and the sub-statement's
REGISTRATION = "r"
EVERY = "m"  # every statement of the mount (value ""): the key of a GET without those filters


@dataclass
class Prepared:
    """A statement ready to insert, with the index keys the GET filters need."""

    id: str
    stmt: dict[str, Any]
    added: str  # properties the LRS filled in, e.g. "timestamp,version"
    ref_id: str | None
    registration: str | None
    is_voiding: bool
    stored_us: int
    keys: set[tuple[str, str]] = field(default_factory=set)
    definitions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    people: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    packed: bytes | None = None  # `stmt` as the table keeps it (`pack`), None until packed
    index: int = 0  # where the request has it ($[index]), set by `admit`
    seq: int = 0  # its sequence number, set by `place`


def pack(batch: list[Prepared]) -> None:
    """Encode and compress each statement not packed yet: done before the write lock is taken
    (a statement restamped under the lock is packed again, see `_restamp`)."""
    for p in batch:
        if p.packed is None:
            p.packed = dump(p.stmt)


def visible(seq: str) -> str:
    """SQL true when the statement of sequence number `seq` is readable: not a row of a batch
    still being stored (staged_batch). Every read of statements applies it."""
    return f"NOT EXISTS (SELECT 1 FROM pending_batches pb WHERE {seq} BETWEEN pb.lo AND pb.hi)"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _normalise_context(ctx: dict[str, Any]) -> None:
    """The LRS returns contextActivities values as arrays (xAPI-D §2.4.6.2)."""
    activities = ctx.get("contextActivities")
    if isinstance(activities, dict):
        ctx["contextActivities"] = {k: _as_list(v) for k, v in activities.items()}


def _agent_keys(node: Any, direct: bool, keys: set[tuple[str, str]]) -> None:
    """An Agent or Group and, for a Group, its members: a Group whose member is the agent
    matches the agent filter (xAPI-C §2.1.3, agent)."""
    if not isinstance(node, dict):
        return
    for agent in (node, *(node.get("member") or ())):
        ifi = agent_ifi(agent) if isinstance(agent, dict) else None
        if ifi:
            keys.add((RELATED_AGENT, ifi))
            if direct:
                keys.add((AGENT, ifi))


def _collect(
    stmt: dict[str, Any], keys: set[tuple[str, str]], p: Prepared | None, top: bool
) -> None:
    """The index keys of a statement (and, with `p`, the definitions and people it carries)."""
    if top:
        keys.add((EVERY, ""))
        keys.add((VERB, stmt["verb"]["id"]))
        registration = (stmt.get("context") or {}).get("registration")
        if registration:
            keys.add((REGISTRATION, registration.lower()))
        _agent_keys(stmt.get("authority"), False, keys)
    actor = stmt.get("actor")
    _agent_keys(actor, top, keys)
    if p is not None and isinstance(actor, dict) and agent_ifi(actor):
        p.people.append((agent_ifi(actor) or "", actor))
    obj = stmt.get("object", {})
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        _agent_keys(obj, top, keys)
    elif kind == "Activity":
        keys.add((RELATED_ACTIVITY, obj["id"]))
        if top:
            keys.add((ACTIVITY, obj["id"]))
        if p is not None and "definition" in obj:
            p.definitions.append((obj["id"], obj["definition"]))
    elif kind == "SubStatement":
        _collect(obj, keys, p, top=False)
    ctx = stmt.get("context") or {}
    for key in ("instructor", "team"):
        _agent_keys(ctx.get(key), False, keys)
    for values in (ctx.get("contextActivities") or {}).values():
        for activity in _as_list(values):
            keys.add((RELATED_ACTIVITY, activity["id"]))
            if p is not None and "definition" in activity:
                p.definitions.append((activity["id"], activity["definition"]))


def index_keys(stmt: dict[str, Any]) -> set[tuple[str, str]]:
    """The (kind, value) keys under which the filters find a stored statement."""
    keys: set[tuple[str, str]] = set()
    _collect(stmt, keys, None, top=True)
    return keys


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
    stmt["id"] = stmt["id"].lower() if "id" in stmt else str(uuid.uuid4())
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
        ref_id=obj["id"].lower() if kind == "StatementRef" else None,
        registration=(stmt.get("context") or {}).get("registration", "").lower() or None,
        is_voiding=stmt["verb"]["id"] == VOIDED_VERB,
        stored_us=stored_us,
    )
    _collect(stmt, p.keys, p, top=True)
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
    pack(batch)
    with db.write() as conn:
        return insert(conn, mount, batch, attachment_parts)


def insert(
    conn: sqlite3.Connection,
    mount: str,
    batch: list[Prepared],
    attachment_parts: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> list[str]:
    """`store` inside a write transaction the caller holds."""
    write(conn, mount, admit(conn, mount, batch, attachment_parts))
    return [p.id for p in batch]


def admit(
    conn: sqlite3.Connection,
    mount: str,
    batch: list[Prepared],
    attachment_parts: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    *,
    compare: bool = True,
) -> list[Prepared]:
    """Check a batch against the store (409 and 400 as xAPI says) and store its attachments:
    the statements still to insert (an id already stored with the same statement is accepted,
    not stored again). `compare=False`: the ids already stored are left to the caller (a
    staged batch looks them up chunk by chunk)."""
    for index, p in enumerate(batch):
        p.index = index
    _check_conflicts(conn, mount, batch)
    _check_voiding(conn, mount, batch)
    already = existing_same(conn, mount, batch) if compare else set()
    conn.executemany(
        "INSERT OR IGNORE INTO attachments (sha2, content_type, content) VALUES (?, ?, ?)",
        attachment_parts,
    )
    return [p for p in batch if p.id not in already]


def write(
    conn: sqlite3.Connection,
    mount: str,
    fresh: list[Prepared],
    known: dict[tuple[str, str], int] | None = None,
) -> None:
    """Insert admitted statements, visible when the caller's transaction commits. `known`: index
    key ids read before the write lock (`key_ids`)."""
    if not fresh:
        return
    place(conn, fresh)
    write_rows(conn, mount, fresh, known)
    link(conn, mount, fresh, gathered(fresh))


def place(conn: sqlite3.Connection, fresh: list[Prepared]) -> int:
    """Number `fresh` after every stored and pending statement (returns the first number); a
    statement whose stored time is older than the newest one's is restamped (the write lock is
    held)."""
    # (one query: each SQLite call lets the GIL go, and the write lock waits to get it back)
    row = conn.execute(
        "SELECT last.seq, last.stored_us, pending.hi, pending.us"
        " FROM (SELECT MAX(hi) AS hi, MAX(stored_us) AS us FROM pending_batches) AS pending"
        " LEFT JOIN (SELECT seq, stored_us FROM statements ORDER BY seq DESC LIMIT 1) AS last"
    ).fetchone()
    last_seq = max(row[0] or 0, row[2] or 0)
    last_us = max(row[1] or 0, row[3] or 0)
    for seq, p in enumerate(fresh, start=last_seq + 1):
        p.seq = seq
        if p.stored_us < last_us:
            _restamp(p, last_us)
    return last_seq + 1


def write_rows(
    conn: sqlite3.Connection,
    mount: str,
    rows: list[Prepared],
    known: dict[tuple[str, str], int] | None = None,
) -> None:
    """The statement and index rows of `rows` (numbered by `place`); a voiding statement's
    target among them is marked voided here, any other in `link`. `known`: index key ids read
    before the write lock (`key_ids`), looked up here otherwise."""
    pack(rows)  # (only those restamped since they were packed)
    targets = {p.ref_id for p in rows if p.is_voiding}
    keys = {k for p in rows for k in p.keys}
    kids = dict(known or {})
    kids.update(_kids(conn, mount, keys - kids.keys()))
    insert_rows(
        conn,
        "INSERT INTO statements (seq, mount, id, stored_us, ref_id, registration, is_voiding,"
        " voided, statement, added)",
        [
            (
                p.seq,
                mount,
                p.id,
                p.stored_us,
                p.ref_id,
                p.registration,
                int(p.is_voiding),
                int(p.id in targets),
                p.packed,
                p.added,
            )
            for p in rows
        ],
    )
    insert_rows(
        conn,
        "INSERT INTO statement_index (kid, seq, src)",
        [(kids[k], p.seq, 0) for p in rows for k in p.keys],
    )


def key_ids(
    conn: sqlite3.Connection, mount: str, rows: list[Prepared]
) -> dict[tuple[str, str], int]:
    """The ids of the index keys of `rows` that exist already: read without the write lock (an
    index key, once made, keeps its id), so that `write_rows` looks up only new ones in it."""
    return _kids(conn, mount, {k for p in rows for k in p.keys}, create=False)


# Rows per INSERT of `insert_rows` (SQLite takes up to 32766 parameters in one statement).
ROWS_PER_INSERT = 500


def insert_rows(conn: sqlite3.Connection, head: str, rows: Sequence[tuple[object, ...]]) -> None:
    """`head` ("INSERT INTO t (a, b)") for many rows, ROWS_PER_INSERT at a time in one SQLite
    statement: executemany runs one statement per row, and each gives the GIL up and waits to
    take it back (up to 5 ms while other threads compute), all of it with the write lock held."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ",".join("?" * width) + ")"
    per = min(ROWS_PER_INSERT, 32766 // width)
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        conn.execute(f"{head} VALUES {','.join([one] * len(part))}", [v for r in part for v in r])


@dataclass
class Gathered:
    """What a batch adds beside its statements: activity definitions and agents."""

    definitions: dict[str, dict[str, Any]]
    people: dict[str, str]  # IFI: the agent as canonical JSON


def gathered(fresh: list[Prepared]) -> Gathered:
    """The newest definition of each activity and the agents the batch names (computed before
    the write lock is taken)."""
    out = Gathered({}, {})
    people: dict[str, dict[str, Any]] = {}
    for p in fresh:
        for activity_id, definition in p.definitions:
            out.definitions[activity_id] = _merge_definition(
                out.definitions.get(activity_id, {}), definition
            )
        people.update(p.people)
    out.people = {ifi: canonical_json(person) for ifi, person in people.items()}
    return out


def link(conn: sqlite3.Connection, mount: str, fresh: list[Prepared], extra: Gathered) -> None:
    """What inserted statements change in the readable store: StatementRef index rows, voided
    flags, activity definitions and agents. Runs once the statements are readable (in the
    transaction that makes them so), so references to and from them resolve."""
    targets = {p.ref_id for p in fresh if p.is_voiding}
    voided_now, referencing = _references_to(conn, mount, [p.id for p in fresh])
    _index_references(conn, mount, fresh, referencing)
    conn.executemany(
        "UPDATE statements SET voided = 1 WHERE mount = ? AND id = ?",
        [(mount, target) for target in targets | voided_now],
    )
    _save_definitions(conn, mount, extra.definitions)
    conn.executemany(
        # (a learner's every statement names them: the row is rewritten only when it changed)
        "INSERT INTO agents (mount, ifi, agent) VALUES (?, ?, ?) ON CONFLICT (mount, ifi)"
        " DO UPDATE SET agent = excluded.agent WHERE agent != excluded.agent",
        [(mount, ifi, person) for ifi, person in extra.people.items()],
    )


def _restamp(p: Prepared, stored_us: int) -> None:
    """Move a statement's stored time up to the newest stored one: stored times then rise with
    sequence numbers, which is what lets since/until become a range of them. A request that
    waited for the write lock behind a later one gets that one's time (a few ms at most)."""
    p.stored_us = stored_us
    p.packed = None
    p.stmt["stored"] = iso_us(stored_us)
    if "timestamp" in p.added.split(","):
        p.stmt["timestamp"] = p.stmt["stored"]


def _key(mount: str, kind: str, value: str) -> str:
    return f"{mount}\x1f{kind}{value}"


def _kids(
    conn: sqlite3.Connection, mount: str, keys: set[tuple[str, str]], *, create: bool = True
) -> dict[tuple[str, str], int]:
    """The integer id of each index key of a mount, created for new keys when `create`."""
    names = {_key(mount, kind, value): (kind, value) for kind, value in keys}
    if create:
        insert_rows(conn, "INSERT OR IGNORE INTO index_keys (key)", [(n,) for n in names])
    found: dict[tuple[str, str], int] = {}
    listed = list(names)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for name, kid in conn.execute(
            f"SELECT key, kid FROM index_keys WHERE key IN ({marks})", chunk
        ):
            found[names[name]] = kid
    return found


def _references_to(
    conn: sqlite3.Connection, mount: str, ids: list[str]
) -> tuple[set[str], dict[str, list[int]]]:
    """For statements about to be stored: which ones a stored voiding statement already targets
    (arrival order is free), and the stored statements that reference each by StatementRef."""
    voided: set[str] = set()
    referencing: dict[str, list[int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for seq, ref_id, is_voiding in conn.execute(
            f"SELECT seq, ref_id, is_voiding FROM statements WHERE mount = ?"
            f" AND ref_id IN ({marks}) AND {visible('seq')}",
            (mount, *chunk),
        ):
            referencing.setdefault(ref_id, []).append(seq)
            if is_voiding:
                voided.add(ref_id)
    return voided, referencing


def _target_chain(
    conn: sqlite3.Connection, mount: str, ref_id: str | None
) -> list[tuple[int, set[tuple[str, str]]]]:
    """(seq, index keys) of the statement `ref_id` names, of the one it names, and so on: a
    statement referencing a match is itself a match (xAPI-C §2.1.3), at any depth."""
    chain: list[tuple[int, set[tuple[str, str]]]] = []
    seen: set[str] = set()
    while ref_id is not None and ref_id not in seen:
        seen.add(ref_id)
        row = conn.execute(
            f"SELECT seq, statement, ref_id FROM statements WHERE mount = ? AND id = ?"
            f" AND {visible('seq')}",
            (mount, ref_id),
        ).fetchone()
        if row is None:
            break
        chain.append((row[0], index_keys(load(row[1]))))
        ref_id = row[2]
    return chain


def _index_references(
    conn: sqlite3.Connection,
    mount: str,
    fresh: list[Prepared],
    referencing: dict[str, list[int]],
) -> None:
    """Index each StatementRef statement under the keys of the statements it references (src:
    the referenced one, so combined filters still judge one statement), and each new statement's
    keys under the statements stored earlier that reference it. Called after the batch's
    statements are inserted, so references inside the batch resolve in either order."""
    first, last = (fresh[0].seq, fresh[-1].seq) if fresh else (0, -1)
    rows: list[tuple[int, int, int]] = []
    for p in fresh:
        seq = p.seq
        if p.ref_id is not None:
            for target_seq, keys in _target_chain(conn, mount, p.ref_id):
                rows += [(kid, seq, target_seq) for kid in _kids(conn, mount, keys).values()]
        if p.id in referencing:
            # Earlier statements (and those referencing them) point at this new one.
            chain = [(seq, p.keys), *_target_chain(conn, mount, p.ref_id)]
            carried = [
                (kid, target_seq)
                for target_seq, keys in chain
                for kid in _kids(conn, mount, keys).values()
            ]
            pending, seen = list(referencing[p.id]), set()
            while pending:
                referrer = pending.pop()
                if referrer in seen or first <= referrer <= last:
                    continue
                seen.add(referrer)
                rows += [(kid, referrer, target_seq) for kid, target_seq in carried]
                ident = conn.execute(
                    "SELECT id FROM statements WHERE seq = ?", (referrer,)
                ).fetchone()[0]
                pending += [
                    r[0]
                    for r in conn.execute(
                        "SELECT seq FROM statements WHERE mount = ? AND ref_id = ?",
                        (mount, ident),
                    )
                ]
    conn.executemany("INSERT OR IGNORE INTO statement_index (kid, seq, src) VALUES (?, ?, ?)", rows)


def _save_definitions(
    conn: sqlite3.Connection, mount: str, definitions: dict[str, dict[str, Any]]
) -> None:
    """Merge each activity's newest definition into the stored one (xAPI-C §2.5)."""
    ids = list(definitions)
    stored: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for activity_id, text in conn.execute(
            f"SELECT id, definition FROM activities WHERE mount = ? AND id IN ({marks})",
            (mount, *chunk),
        ):
            stored[activity_id] = json.loads(text)
    changed = []
    for activity_id, definition in definitions.items():
        old = stored.get(activity_id, {})
        merged = _merge_definition(old, definition)
        if merged != old:
            changed.append((mount, activity_id, canonical_json(merged)))
    conn.executemany(
        "INSERT OR REPLACE INTO activities (mount, id, definition) VALUES (?, ?, ?)", changed
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


def existing_same(conn: sqlite3.Connection, mount: str, batch: list[Prepared]) -> set[str]:
    """Ids already stored with the same statement (accepted, not stored again); 409 if it differs
    under the Statement Comparison Requirements (xAPI-D §2.3.1), or if a batch still being
    stored holds the id (that batch decides what the id holds, and it may yet be refused)."""
    same: set[str] = set()
    ids = [p.id for p in batch]
    found: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT id, statement, added, {visible('seq')} FROM statements WHERE mount = ?"
            f" AND id IN ({marks})",
            (mount, *chunk),
        ):
            if not row[3]:
                pending.add(row[0])
            found[row[0]] = comparable(load(row[1]), row[2])
    for p in batch:
        index = p.index
        if p.id in pending:
            raise XAPIError(
                409,
                f"statement id {p.id} belongs to a batch another request is still storing;"
                " send it again once that request is answered",
                "xAPI-C §2.1.1/§2.1.2 (409 Conflict; a batch is stored whole or not at all)",
                f"$[{index}].id",
            )
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


def get_one(db: Database, mount: str, statement_id: str, *, voided: bool) -> dict[str, Any] | None:
    row = (
        db.connection()
        .execute(
            f"SELECT statement, voided FROM statements WHERE mount = ? AND id = ?"
            f" AND {visible('seq')}",
            (mount, statement_id.lower()),
        )
        .fetchone()
    )
    if row is None or bool(row["voided"]) != voided:
        return None
    return load(row["statement"])


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
    """One page of matches: (statements, cursor for the next page or None, snapshot seq).

    Every filter is a range of sequence numbers read from an index in the page's order, so a
    page costs the same in a store of ten statements or of millions: the xAPI filters through
    statement_index (one row per statement and key, StatementRef targets' keys included),
    since/until through stored times, which rise with sequence numbers."""
    with db.read() as conn:
        if snapshot is None:
            snapshot = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM statements").fetchone()[0]
        bounds = _seq_bounds(conn, mount, f, after_seq, snapshot)
        if bounds is None:
            return [], None, snapshot
        wanted = _filter_keys(f)
        kids = _kids(conn, mount, set(wanted), create=False)
        if len(kids) < len(wanted):
            return [], None, snapshot  # a key never stored: nothing matches
        sql, args = page_sql([kids[k] for k in wanted], f.ascending)
        args.update(mount=mount, lo=bounds[0], hi=bounds[1], limit=limit + 1)
        rows = conn.execute(sql, args).fetchall()
    more = rows[limit - 1][0] if len(rows) > limit else None
    return [load(r[1]) for r in rows[:limit]], more, snapshot


def _filter_keys(f: Filters) -> list[tuple[str, str]]:
    """The index keys a page must match, the usually most selective first (it drives the scan)."""
    keys = []
    if f.registration is not None:
        keys.append((REGISTRATION, f.registration.lower()))
    if f.agent is not None:
        keys.append((RELATED_AGENT if f.related_agents else AGENT, f.agent))
    if f.activity is not None:
        keys.append((RELATED_ACTIVITY if f.related_activities else ACTIVITY, f.activity))
    if f.verb is not None:
        keys.append((VERB, f.verb))
    return keys or [(EVERY, "")]


def _seq_bounds(
    conn: sqlite3.Connection, mount: str, f: Filters, after_seq: int | None, snapshot: int
) -> tuple[int, int] | None:
    """(lo, hi]: the sequence numbers a page may hold, or None when none can match. since and
    until become sequence numbers through the stored-time index (stored times rise with seq)."""
    lo, hi = 0, snapshot
    if after_seq is not None:
        if f.ascending:
            lo = max(lo, after_seq)
        else:
            hi = min(hi, after_seq - 1)
    if f.since_us is not None:
        row = conn.execute(
            "SELECT seq FROM statements WHERE mount = ? AND stored_us > ?"
            " ORDER BY stored_us, seq LIMIT 1",
            (mount, f.since_us),
        ).fetchone()
        if row is None:
            return None
        lo = max(lo, row[0] - 1)
    if f.until_us is not None:
        row = conn.execute(
            "SELECT seq FROM statements WHERE mount = ? AND stored_us <= ?"
            " ORDER BY stored_us DESC, seq DESC LIMIT 1",
            (mount, f.until_us),
        ).fetchone()
        if row is None:
            return None
        hi = min(hi, row[0])
    return (lo, hi) if lo < hi else None


def page_sql(kids: list[int], ascending: bool) -> tuple[str, dict[str, Any]]:
    """The SQL of one page: statements of seq in (:lo, :hi], not voided, carrying every key in
    `kids` (one at least) from one source statement (itself, or one it references by
    StatementRef). The first key's rows, in seq order, drive the scan."""
    order = "ASC" if ascending else "DESC"
    args: dict[str, Any] = {"k0": kids[0]}
    joins = ""
    for n, kid in enumerate(kids[1:], start=1):
        joins += (
            f" CROSS JOIN statement_index k{n} ON k{n}.kid = :k{n} AND k{n}.seq = k0.seq"
            f" AND k{n}.src = k0.src"
        )
        args[f"k{n}"] = kid
    return (
        "SELECT k0.seq, t.statement FROM statement_index k0"
        + joins
        + " CROSS JOIN statements t ON t.seq = k0.seq"
        " WHERE k0.kid = :k0 AND k0.seq > :lo AND k0.seq <= :hi AND t.voided = 0"
        f" AND {visible('t.seq')}"
        f" GROUP BY k0.seq ORDER BY k0.seq {order} LIMIT :limit",
        args,
    )


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


def of_registration(
    conn: sqlite3.Connection, registration: str
) -> list[tuple[str, dict[str, Any]]]:
    """(mount, statement) of every statement whose own context names `registration`, on every
    mount, in arrival order: read through each mount's registration key in statement_index, so
    the cost follows the registration's statements, not the store's size."""
    mounts = [row[0] for row in conn.execute("SELECT name FROM mounts")]
    if not mounts:
        return []
    keys = [_key(mount, REGISTRATION, registration.lower()) for mount in mounts]
    marks = ",".join("?" * len(keys))
    rows = conn.execute(
        "SELECT s.mount, s.statement FROM index_keys k"
        " JOIN statement_index i ON i.kid = k.kid AND i.src = 0"
        f" JOIN statements s ON s.seq = i.seq WHERE k.key IN ({marks}) AND {visible('s.seq')}"
        " ORDER BY s.seq",
        keys,
    )
    return [(mount, load(packed)) for mount, packed in rows]


def count(db: Database, mount: str) -> int:
    n: int = (
        db.connection()
        .execute(f"SELECT COUNT(*) FROM statements WHERE mount = ? AND {visible('seq')}", (mount,))
        .fetchone()[0]
    )
    return n


SEED_AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "http://127.0.0.1", "name": "seed"},
}


def bulk_seed(
    db: Database,
    mount: str,
    statements: list[dict[str, Any]],
    *,
    authority: dict[str, Any] | None = None,
    version: str = "1.0.3",
) -> list[str]:
    """Store already-valid statements without HTTP, validation or journal, in one transaction:
    how benchmarks fill a store with a million statements in about a minute. The statements
    are stored exactly as a POST would store them (same index rows, ids, stored time)."""
    stored_us = now_us() // 1000 * 1000
    prepared = [
        prepare(s, authority=authority or SEED_AUTHORITY, version=version, stored_us=stored_us)
        for s in statements
    ]
    pack(prepared)
    with db.write() as conn:
        return insert(conn, mount, prepared)


def readable_through_us(db: Database) -> int | None:
    """Up to when every statement is readable: just before the stored time of the oldest batch
    still being stored (X-Experience-API-Consistent-Through), or None (now) when none is."""
    row = db.connection().execute("SELECT MIN(stored_us) FROM pending_batches").fetchone()
    return None if row[0] is None else row[0] - 1


def last_stored_us(db: Database) -> int:
    """The stored time of the newest statement (0 in an empty store), in microseconds."""
    row = (
        db.connection()
        .execute("SELECT stored_us FROM statements ORDER BY seq DESC LIMIT 1")
        .fetchone()
    )
    return row[0] if row else 0


def reindex(conn: sqlite3.Connection) -> None:
    """Fill statement_index from the stored statements (a store migrated from schema 4), inside
    the caller's write transaction."""
    conn.execute("DELETE FROM statement_index")
    cursor = conn.execute("SELECT seq, mount, statement, ref_id FROM statements ORDER BY seq")
    while chunk := cursor.fetchmany(2000):
        rows: list[tuple[int, int, int]] = []
        parsed = [
            (seq, mount, index_keys(load(text)), ref_id) for seq, mount, text, ref_id in chunk
        ]
        kids: dict[str, dict[tuple[str, str], int]] = {}
        for mount in {p[1] for p in parsed}:  # one lookup per mount and chunk
            kids[mount] = _kids(conn, mount, {k for p in parsed if p[1] == mount for k in p[2]})
        for seq, mount, keys, ref_id in parsed:
            rows += [(kids[mount][k], seq, 0) for k in keys]
            for target_seq, keys in _target_chain(conn, mount, ref_id):
                rows += [(kid, seq, target_seq) for kid in _kids(conn, mount, keys).values()]
        conn.executemany(
            "INSERT OR IGNORE INTO statement_index (kid, seq, src) VALUES (?, ?, ?)", rows
        )
