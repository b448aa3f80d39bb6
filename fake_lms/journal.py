"""The journal: every exchange with a mount, recorded with secrets redacted, readable and resettable."""

from __future__ import annotations

import json
import queue
import threading
from datetime import UTC, datetime
from typing import Any

from fake_lms.db import Database
from fake_lms.redact import KnownSecrets, redact_headers, redact_strings, redact_text


def _body_text(body: bytes, limit: int) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    if len(body) > limit:
        text += f"\n[... {len(body) - limit} more bytes not journaled]"
    return text


_INSERT = (
    "INSERT INTO journal (mount, at, method, path, query, request_headers, request_body,"
    " status, response_headers, response_body, verdicts, duration_ms, principal)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class JournalWriter:
    """Writes journal entries from a background thread, many per transaction.

    A request does not wait for its own journal commit; every reader calls `flush()` first, so
    what a reader sees is complete up to the moment it asked. The price: a `kill -9` can lose
    the last few milliseconds of journal entries. Statements are committed before they are
    answered and are never lost that way.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.Queue[tuple | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, row: tuple) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="journal-writer", daemon=True
                )
                self._thread.start()
        self._queue.put(row)

    def flush(self) -> None:
        """Return once every entry submitted so far is committed."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            rows = [first]
            while len(rows) < 500:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            entries = [r for r in rows if r is not None]
            try:
                if entries:
                    with self._db.write() as conn:
                        conn.executemany(_INSERT, entries)
            finally:
                for _ in rows:
                    self._queue.task_done()
            if len(entries) != len(rows):
                return


def record(
    writer: JournalWriter,
    *,
    mount: str,
    method: str,
    path: str,
    query: str,
    request_headers: Any,
    request_body: bytes,
    status: int,
    response_headers: Any,
    response_body: bytes,
    verdicts: list[dict[str, Any]],
    duration_ms: float,
    body_limit: int,
    secrets: KnownSecrets,
    principal: str = "",
) -> None:
    """Queue one exchange; bodies beyond `body_limit` are cut with a note saying how much."""
    writer.submit(
        (
            mount,
            datetime.now(UTC).isoformat(timespec="microseconds"),
            method,
            redact_text(path, secrets),
            redact_text(query, secrets),
            json.dumps(redact_headers(request_headers, secrets)),
            redact_text(_body_text(request_body, body_limit), secrets),
            status,
            json.dumps(redact_headers(response_headers, secrets)),
            redact_text(_body_text(response_body, body_limit), secrets),
            json.dumps(redact_strings(verdicts, secrets)),
            round(duration_ms, 3),
            principal,
        )
    )


def read(db: Database, mount: str, *, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Entries of a mount in arrival order, after sequence number `after`."""
    rows = db.connection().execute(
        "SELECT * FROM journal WHERE mount = ? AND seq > ? ORDER BY seq LIMIT ?",
        (mount, after, limit),
    )
    out = []
    for r in rows:
        entry = dict(r)
        for key in ("request_headers", "response_headers", "verdicts"):
            entry[key] = json.loads(entry[key])
        out.append(entry)
    return out


def reset(db: Database, mount: str) -> int:
    with db.write() as conn:
        return conn.execute("DELETE FROM journal WHERE mount = ?", (mount,)).rowcount
