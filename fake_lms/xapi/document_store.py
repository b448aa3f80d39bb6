"""Documents in SQLite for the State, Agent Profile and Activity Profile resources (xAPI-C §2.2-§2.7).

Every function takes the sqlite3 connection of a transaction the caller opened, so a handler can
read a document, check the request's preconditions against it and write, all in one
`Database.write()` transaction. A document is addressed by a `DocScope` (mount, kind and the
context parts: activity, agent identity, registration) plus its id; '' stands for an absent part.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

STATE = "state"
AGENT_PROFILE = "agent-profile"
ACTIVITY_PROFILE = "activity-profile"
KINDS = (STATE, AGENT_PROFILE, ACTIVITY_PROFILE)


@dataclass(frozen=True)
class DocScope:
    """The context documents live in. `registration=None` (multiple-document forms only) means
    every registration; for single documents an absent registration is stored as ''."""

    mount: str
    kind: str
    activity_id: str = ""
    agent_ifi: str = ""
    registration: str | None = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")

    def _where(self) -> tuple[str, list[Any]]:
        sql = "mount = ? AND kind = ? AND activity_id = ? AND agent_ifi = ?"
        args: list[Any] = [self.mount, self.kind, self.activity_id, self.agent_ifi]
        if self.registration is not None:
            sql += " AND registration = ?"
            args.append(self.registration)
        return sql, args

    def _single(self) -> tuple[str, list[Any]]:
        if self.registration is None:
            raise ValueError("a single document needs a definite registration ('' for none)")
        return self._where()


@dataclass(frozen=True)
class Document:
    doc_id: str
    content: bytes
    content_type: str
    etag: str
    updated_us: int
    registration: str = ""

    @property
    def media_type(self) -> str:
        return media_type(self.content_type)


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.split(";")[0].strip().lower()


def etag_of(content: bytes) -> str:
    """The quoted strong entity tag xAPI 1.0.3 prescribes: SHA-1 of the content, lowercase hex."""
    return '"' + hashlib.sha1(content).hexdigest() + '"'


def merged_json(existing: dict[str, Any], posted: dict[str, Any]) -> bytes:
    """The xAPI-C §2.2 merge: top-level properties of the posted object replace the existing ones."""
    result = dict(existing)
    result.update(posted)
    return json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _row_to_doc(row: sqlite3.Row) -> Document:
    return Document(
        doc_id=row["doc_id"],
        content=bytes(row["content"]),
        content_type=row["content_type"],
        etag=row["etag"],
        updated_us=row["updated_us"],
        registration=row["registration"],
    )


def get(conn: sqlite3.Connection, scope: DocScope, doc_id: str) -> Document | None:
    where, args = scope._single()
    row = conn.execute(
        "SELECT doc_id, content, content_type, etag, updated_us, registration FROM documents"
        f" WHERE {where} AND doc_id = ?",
        (*args, doc_id),
    ).fetchone()
    return None if row is None else _row_to_doc(row)


def list_ids(
    conn: sqlite3.Connection, scope: DocScope, since_us: int | None = None
) -> tuple[list[str], int | None]:
    """Ids in the scope updated strictly after `since_us`, sorted, and the newest update time."""
    where, args = scope._where()
    if since_us is not None:
        where += " AND updated_us > ?"
        args.append(since_us)
    rows = conn.execute(
        f"SELECT doc_id, MAX(updated_us) AS updated FROM documents WHERE {where}"
        " GROUP BY doc_id ORDER BY doc_id",
        args,
    ).fetchall()
    newest = max((r["updated"] for r in rows), default=None)
    return [r["doc_id"] for r in rows], newest


def put(
    conn: sqlite3.Connection,
    scope: DocScope,
    doc_id: str,
    content: bytes,
    content_type: str,
    updated_us: int,
) -> Document:
    """Store or replace one document, byte-exact, and return it with its new ETag."""
    scope._single()
    doc = Document(
        doc_id=doc_id,
        content=content,
        content_type=content_type,
        etag=etag_of(content),
        updated_us=updated_us,
        registration=scope.registration or "",
    )
    conn.execute(
        "INSERT INTO documents (mount, kind, activity_id, agent_ifi, registration, doc_id,"
        " content, content_type, etag, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (mount, kind, activity_id, agent_ifi, registration, doc_id) DO UPDATE SET"
        " content = excluded.content, content_type = excluded.content_type,"
        " etag = excluded.etag, updated_us = excluded.updated_us",
        (
            scope.mount,
            scope.kind,
            scope.activity_id,
            scope.agent_ifi,
            doc.registration,
            doc_id,
            sqlite3.Binary(content),
            content_type,
            doc.etag,
            updated_us,
        ),
    )
    return doc


def delete(conn: sqlite3.Connection, scope: DocScope, doc_id: str) -> bool:
    """Delete one document; True when there was one."""
    where, args = scope._single()
    cur = conn.execute(f"DELETE FROM documents WHERE {where} AND doc_id = ?", (*args, doc_id))
    return cur.rowcount > 0


def delete_all(conn: sqlite3.Connection, scope: DocScope) -> list[tuple[str, str]]:
    """Delete every document in the scope; returns the (registration, id) pairs deleted."""
    where, args = scope._where()
    rows = conn.execute(
        f"SELECT registration, doc_id FROM documents WHERE {where} ORDER BY registration, doc_id",
        args,
    ).fetchall()
    conn.execute(f"DELETE FROM documents WHERE {where}", args)
    return [(r["registration"], r["doc_id"]) for r in rows]
