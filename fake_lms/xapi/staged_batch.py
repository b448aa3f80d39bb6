"""Large statement batches stored in short transactions and made readable in one.

A batch of 10,000 statements inserted in one transaction holds the store's write lock for
seconds, and every other write waits. A batch of more than STAGED_FROM statements is stored in
steps instead, each its own short transaction:

1. `begin`, in the request's judged transaction: the batch is checked (ids twice in it,
   voiding) and its sequence numbers lo..hi and stored time are reserved in `pending_batches`;
2. `finish`: the statements, packed outside the lock, are inserted CHUNK_ROWS at a time.
   `statement_store.visible` hides every row of lo..hi from every read meanwhile, and a write
   naming the id of such a row is refused (409). Each chunk's ids are looked up in the store
   then, as if what is stored had come first: the same statement is accepted and not stored
   again; another statement under its id is a 409, and the whole batch is refused;
3. one last short transaction deletes the pending row: the whole batch becomes readable at
   once, and what it changes elsewhere (voided flags, references, activities, agents) is
   written in it.

A batch that fails is deleted; one whose process died (kill -9) is deleted when the store is
next opened (`discard_abandoned`). Readers never see part of a batch (xAPI-C §2.1.2).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from fake_lms.db import Database
from fake_lms.xapi import statement_store
from fake_lms.xapi.statement_store import Prepared

# A batch of more statements than this is staged.
STAGED_FROM = 500
# Statements inserted per transaction: a few milliseconds of lock each.
CHUNK_ROWS = 50

log = logging.getLogger(__name__)


@dataclass
class Staged:
    """A batch reserved by `begin`, to be stored by `finish`."""

    mount: str
    fresh: list[Prepared]

    @property
    def lo(self) -> int:
        return self.fresh[0].seq

    @property
    def hi(self) -> int:
        return self.fresh[-1].seq


def begin(
    conn: sqlite3.Connection,
    mount: str,
    batch: list[Prepared],
    attachment_parts: list[tuple[str, str, bytes]],
    *,
    may_stage: bool,
    known: dict[tuple[str, str], int] | None = None,
) -> Staged | None:
    """Inside the caller's write transaction: store a small batch (or any batch when not
    `may_stage`) at once and return None, or reserve a large one for `finish`. `known`: the
    batch's index key ids read before the write lock (`statement_store.key_ids`)."""
    large = may_stage and len(batch) > STAGED_FROM
    fresh = statement_store.admit(conn, mount, batch, attachment_parts, compare=not large)
    if not large:
        statement_store.write(conn, mount, fresh, known)
        return None
    statement_store.place(conn, fresh)
    staged = Staged(mount, fresh)
    conn.execute(
        "INSERT INTO pending_batches (lo, hi, mount, stored_us, owner) VALUES (?, ?, ?, ?, ?)",
        (staged.lo, staged.hi, mount, max(p.stored_us for p in fresh), owner()),
    )
    return staged


def finish(db: Database, staged: Staged) -> None:
    """Insert a reserved batch chunk by chunk, then make it readable; delete it on failure."""
    try:
        kept: list[Prepared] = []
        for start in range(0, len(staged.fresh), CHUNK_ROWS):
            chunk = staged.fresh[start : start + CHUNK_ROWS]
            statement_store.pack(chunk)  # (those restamped by `begin`) outside the lock
            known = statement_store.key_ids(db.connection(), staged.mount, chunk)
            with db.write() as conn:
                same = statement_store.existing_same(conn, staged.mount, chunk)
                rows = [p for p in chunk if p.id not in same]
                statement_store.write_rows(conn, staged.mount, rows, known)
            kept += rows
        extra = statement_store.gathered(kept)
        with db.write() as conn:
            conn.execute("DELETE FROM pending_batches WHERE lo = ?", (staged.lo,))
            statement_store.link(conn, staged.mount, kept, extra)
    except BaseException:
        try:
            with db.write() as conn:
                discard(conn, staged.lo, staged.hi)
        except sqlite3.Error as exc:  # (the next start of the store deletes it)
            log.warning(
                "could not delete the unfinished batch %d..%d: %s", staged.lo, staged.hi, exc
            )
        raise


def discard(conn: sqlite3.Connection, lo: int, hi: int) -> None:
    """Delete a pending batch and every row it wrote (its index rows included, and those that
    statements stored meanwhile got by referencing it)."""
    conn.execute("DELETE FROM statements WHERE seq BETWEEN ? AND ?", (lo, hi))
    conn.execute(
        "DELETE FROM statement_index WHERE seq BETWEEN ? AND ? OR src BETWEEN ? AND ?",
        (lo, hi, lo, hi),
    )
    conn.execute("DELETE FROM pending_batches WHERE lo = ?", (lo,))


def discard_abandoned(conn: sqlite3.Connection) -> int:
    """Delete the pending batches whose process is gone (killed mid-batch), inside the caller's
    write transaction; returns how many."""
    rows = conn.execute("SELECT lo, hi, owner FROM pending_batches").fetchall()
    gone = [(lo, hi) for lo, hi, who in rows if not _alive(who)]
    for lo, hi in gone:
        discard(conn, lo, hi)
    return len(gone)


def owner() -> str:
    """This process as 'PID:START' (START: its start time, so a reused PID is another owner)."""
    return f"{os.getpid()}:{_start_time(os.getpid())}"


def _start_time(pid: int) -> str:
    """The process's start time from /proc ('' where there is none), 'dead' for a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return ""
    return "dead" if fields[0] in ("Z", "X") else fields[19]  # (fields 3: state, 22: starttime)


def _alive(who: str) -> bool:
    pid_text, _, started = who.partition(":")
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # (another user's process: it exists)
    now = _start_time(pid)
    return now != "dead" and now == started
