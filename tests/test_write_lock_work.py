"""What a statement write does while it holds the store's write lock, counted statement by statement.

Each SQLite call inside the write transaction lets the GIL go, and with other request threads at
work the lock's holder waits to take it back, the lock held all the while (docs/benchmarks.md,
"Many learners at once"). So what can be read before the lock is: the ids of the index keys a
batch already has (an index key, once made, keeps its id), and the numbering of the batch reads
the newest statement and the pending batches in one query. The statements are stored the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fake_lms.db import Database
from fake_lms.mounts import ensure_mount
from fake_lms.xapi import staged_batch, statement_store
from fake_lms.xapi.statement_store import Filters
from tests.factories import statement

MOUNT = "default"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "http://lms", "name": "qa"}}


def _prepared(stmt: dict[str, Any], stored_us: int) -> list[statement_store.Prepared]:
    batch = [
        statement_store.prepare(stmt, authority=AUTHORITY, version="1.0.3", stored_us=stored_us)
    ]
    statement_store.pack(batch)
    return batch


def _write(db: Database, batch: list[statement_store.Prepared], *, read_first: bool) -> list[str]:
    """Store `batch` as a POST does; the SQL run inside the write transaction."""
    known = statement_store.key_ids(db.connection(), MOUNT, batch) if read_first else None
    seen: list[str] = []
    with db.write() as conn:
        conn.set_trace_callback(seen.append)
        try:
            staged_batch.begin(conn, MOUNT, batch, [], may_stage=True, known=known)
        finally:
            conn.set_trace_callback(None)
    return [" ".join(sql.split()) for sql in seen]


def _ids(db: Database, f: Filters) -> list[str]:
    found, _, _ = statement_store.query(db, MOUNT, f, limit=10, after_seq=None, snapshot=None)
    return [s["id"] for s in found]


def _store(tmp_path: Path) -> Database:
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = Database(tmp_path / "lms.db")
    ensure_mount(db, MOUNT)
    _write(db, _prepared(statement(), 1_000_000), read_first=False)  # its index keys are made
    return db


def test_known_index_keys_are_not_looked_up_under_the_lock(tmp_path: Path) -> None:
    db = _store(tmp_path)
    under_lock = _write(db, _prepared(statement(), 2_000_000), read_first=True)
    assert not [sql for sql in under_lock if "index_keys" in sql], under_lock


def test_without_them_the_keys_are_made_and_read_under_the_lock(tmp_path: Path) -> None:
    db = _store(tmp_path)
    under_lock = _write(db, _prepared(statement(), 2_000_000), read_first=False)
    assert [sql for sql in under_lock if "index_keys" in sql], under_lock


def test_a_new_key_is_still_made_under_the_lock(tmp_path: Path) -> None:
    db = _store(tmp_path)
    other = statement(
        object={"id": "https://weare.example.com/stories/7", "objectType": "Activity"}
    )
    batch = _prepared(other, 2_000_000)
    under_lock = _write(db, batch, read_first=True)
    made = [sql for sql in under_lock if sql.startswith("INSERT OR IGNORE INTO index_keys")]
    assert made, under_lock
    assert _ids(db, Filters(activity="https://weare.example.com/stories/7")) == [batch[0].id]


def test_the_batch_is_numbered_in_one_query(tmp_path: Path) -> None:
    db = _store(tmp_path)
    batch = _prepared(statement(), 2_000_000)
    under_lock = _write(db, batch, read_first=True)
    numbering = [sql for sql in under_lock if "ORDER BY seq DESC LIMIT 1" in sql]
    assert len(numbering) == 1 and "MAX(hi)" in numbering[0], under_lock
    assert not [sql for sql in under_lock if sql.startswith("SELECT MAX(hi)")], under_lock
    assert batch[0].seq == 2


def test_keys_read_first_store_the_same_statement(tmp_path: Path) -> None:
    stored = []
    for read_first in (False, True):
        db = _store(tmp_path / str(read_first))
        stmt = statement(id="5c6e0e44-8a8e-4f6c-9a61-0f4b8b6f7e21")
        _write(db, _prepared(stmt, 2_000_000), read_first=read_first)
        found, _, _ = statement_store.query(
            db, MOUNT, Filters(verb=stmt["verb"]["id"]), limit=10, after_seq=None, snapshot=None
        )
        stored.append([s for s in found if s["id"] == stmt["id"]])
        db.close()
    assert stored[0] == stored[1] and stored[0], stored
