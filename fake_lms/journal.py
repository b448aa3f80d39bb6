"""The journal: every exchange with a mount, recorded with secrets redacted, readable and resettable."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from fake_lms import packing
from fake_lms.db import Database
from fake_lms.redact import KnownSecrets, redact_headers, redact_strings, redact_text

log = logging.getLogger("fake_lms.journal")


def _body_text(body: bytes, limit: int) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    if len(body) > limit:
        text += f"\n[... {len(body) - limit} more bytes not journaled]"
    return text


_INSERT = (
    "INSERT INTO journal (mount, at, method, path, query, request_headers, request_body,"
    " status, response_headers, response_body, verdicts, duration_ms, principal, packed)"
    " VALUES (?, ?, ?, ?, ?, '', '', ?, '', '', '', ?, ?, ?)"
)
# The bulky fields of an entry, in this order, travel in `packed` (see `pack`).
PACKED_FIELDS = ("request_headers", "request_body", "response_headers", "response_body", "verdicts")


def pack(fields: tuple[str, ...]) -> bytes:
    """The bulky fields of an entry in one packed value (fake_lms.packing): their byte lengths
    on a first line, then the fields end to end."""
    data = [f.encode() for f in fields]
    head = ",".join(str(len(d)) for d in data).encode() + b"\n"
    return packing.pack(head + b"".join(data))


def unpack(packed: bytes) -> tuple[str, ...]:
    """The fields `pack` packed."""
    head, _, rest = packing.unpack(packed).partition(b"\n")
    out, at = [], 0
    for size in map(int, head.split(b",")):
        out.append(rest[at : at + size].decode())
        at += size
    return tuple(out)


def _packed_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An entry as `record` queued it, in the columns of _INSERT."""
    (mount, at, method, path, query, req_h, req_b, status, resp_h, resp_b, verdicts) = row[:11]
    packed = pack((req_h, req_b, resp_h, resp_b, verdicts))
    return (mount, at, method, path, query, status, row[11], row[12], packed)


FLUSH_TIMEOUT_S = 5.0  # the longest a journal reader waits for pending entries
WRITE_ATTEMPTS = 5  # tries per batch of entries before they are counted as lost
RETRY_DELAY_S = 0.2  # first pause after a failed write; doubles with each retry
PROBE_INTERVAL_S = 1.0  # while failing with nothing pending: how often to test the store
# How long the writer lets entries gather before it writes them, unless a reader waits: under
# load, one transaction for many entries instead of one each, and no thread switch per request.
# A client sending one statement at a time makes a request every 1-2 ms: 25 ms gather a dozen
# entries per transaction (3 ms gathered two, and cost each request a fifth more CPU).
LINGER_S = 0.025


_PROBE_BODY = "x" * 4096


class JournalUnavailable(RuntimeError):
    """The journal cannot be read complete: writes fail, or the writer did not catch up in time."""


class JournalWriter:
    """Writes journal entries from a background thread, many per transaction.

    A request does not wait for its own journal commit; every reader calls `flush()` first, so
    what a reader sees is complete up to the moment it asked. The price: a `kill -9` can lose
    the journal entries of the last LINGER_S (25 ms). Statements are committed before they are
    answered and are never lost that way.

    A failed write (a full disk) does not stop the writer: the batch is retried `attempts`
    times with a doubling pause, then counted in `lost` and logged. While writes fail, a
    reader's `flush()` asks for one more attempt and raises JournalUnavailable, with the
    reason, if it fails; a failing writer with nothing to write probes the store every second,
    so the journal heals by itself once space returns.
    """

    def __init__(
        self,
        db: Database,
        *,
        flush_timeout: float = FLUSH_TIMEOUT_S,
        attempts: int = WRITE_ATTEMPTS,
        retry_delay: float = RETRY_DELAY_S,
    ) -> None:
        self._db = db
        self.flush_timeout = flush_timeout
        self._attempts = attempts
        self._retry_delay = retry_delay
        self._cond = threading.Condition()
        self._pending: deque[tuple[Any, ...]] = deque()
        self._submitted = 0  # entries ever submitted
        self._settled = 0  # entries written or lost
        self._thread: threading.Thread | None = None
        self._closing = False
        self._attempted = 0  # write attempts so far, probes included
        self._kicked = False  # a reader waits: retry (or probe) now instead of after the pause
        self._idle = False  # the writer waits for entries: submit wakes it
        self._hurry = False  # a reader waits: write what is pending without lingering
        self.written = 0
        self.lost = 0
        self.failures = 0  # failed write attempts
        self.error: str | None = None  # why the last write failed; None once one succeeds

    def submit(self, row: tuple[Any, ...]) -> None:
        with self._cond:
            if self._thread is None and not self._closing:
                self._thread = threading.Thread(
                    target=self._run, name="journal-writer", daemon=True
                )
                self._thread.start()
            self._pending.append(row)
            self._submitted += 1
            if self._idle:
                self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> None:
        """Return once every entry submitted so far is written.

        While writes fail, the writer is asked to try again now and the first failed attempt
        raises JournalUnavailable with the reason (so does a store that lost entries and has
        not taken a write since). Raises it too after `timeout` seconds (default
        `flush_timeout`) if the writer has not caught up."""
        limit = self.flush_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        with self._cond:
            target, attempted = self._submitted, self._attempted
            self._hurry = True
            self._cond.notify_all()
            if self.error is not None:  # the verdict of a fresh attempt, not of an old one
                self._kicked = True
                self._cond.notify_all()
            while True:
                if self.error is None or self._attempted > attempted:
                    if self.error is not None:
                        raise JournalUnavailable(self._failing_reason())
                    if self._settled >= target:
                        return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise JournalUnavailable(
                        f"the journal did not catch up within the flush timeout of {limit:g} s"
                        f" ({target - self._settled} entries still waiting)"
                    )
                self._cond.wait(left)

    def _failing_reason(self) -> str:
        waiting = self._submitted - self._settled
        return (
            f"the journal cannot be written: {self.error} ({waiting} entries waiting,"
            f" {self.lost} lost since start)"
        )

    def close(self) -> None:
        with self._cond:
            thread, self._thread = self._thread, None
            self._closing = True
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        batch: list[tuple[Any, ...]] = []
        tries = 0
        while True:
            with self._cond:
                if not batch:
                    tries = 0
                    if not self._next_batch(batch):
                        return
                self._kicked = False
            try:
                self._write(batch)
            except Exception as exc:  # the writer outlives any failure; it counts and logs it
                tries += 1
                if self._failed(batch, tries, exc):
                    batch = []
                    continue
                with self._cond:  # pause before the retry; a waiting reader or close() cuts it
                    self._cond.wait_for(
                        lambda: self._closing or self._kicked,
                        self._retry_delay * 2 ** (tries - 1),
                    )
                    if self._closing:
                        self._settle(batch, written=False)
                        batch = []
                continue
            with self._cond:
                self.error = None
                self._attempted += 1
                self._settle(batch, written=True)
            batch = []

    def _next_batch(self, batch: list[tuple[Any, ...]]) -> bool:
        """Fill `batch` with up to 500 pending entries, or leave it empty for a probe of a
        failing store; False when closed and drained. Called with the condition held."""
        while not self._pending and not self._closing:
            # Failing and idle: look again later (or when a reader asks) whether writes work.
            if self.error is not None and self._kicked:
                return True
            self._idle = True
            self._cond.wait(PROBE_INTERVAL_S if self.error else None)
            self._idle = False
            if self.error is not None and not self._pending:
                return not self._closing
        if not self._pending:
            return False
        self._cond.wait_for(
            lambda: self._closing or self._hurry or len(self._pending) >= 500, LINGER_S
        )
        self._hurry = False
        batch.extend(self._pending.popleft() for _ in range(min(500, len(self._pending))))
        return True

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        rows = [_packed_row(row) for row in batch]  # (compressed before the write lock)
        with self._db.write() as conn:
            if batch:
                conn.executemany(_INSERT, rows)
            else:  # a probe: can the store take a page-sized entry? (rolled back)
                conn.execute(_INSERT, ("", "", "", "", "", 0, 0, "", _PROBE_BODY.encode()))
                raise _ProbeDone

    def _failed(self, batch: list[tuple[Any, ...]], tries: int, exc: Exception) -> bool:
        """Record a failed attempt; True when the batch is given up (or was only a probe)."""
        with self._cond:
            self._attempted += 1
            self._cond.notify_all()
            if isinstance(exc, _ProbeDone):
                self.error = None
                return True
            self.failures += 1
            self.error = f"{type(exc).__name__}: {exc}"
            if batch and tries < self._attempts:
                log.warning("journal write failed (attempt %d): %s", tries, self.error)
                return False
            if batch:
                log.error(
                    "journal: %d entries lost after %d failed writes: %s",
                    len(batch),
                    tries,
                    self.error,
                )
                self._settle(batch, written=False)
            return True

    def _settle(self, batch: list[tuple[Any, ...]], *, written: bool) -> None:
        """Count a batch as done (written or lost); called with the condition held."""
        if written:
            self.written += len(batch)
        else:
            self.lost += len(batch)
        self._settled += len(batch)
        self._cond.notify_all()


class _ProbeDone(Exception):
    """Raised inside a probe's transaction so it rolls back after the row was accepted."""


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
        packed = entry.pop("packed")
        if packed is not None:  # (entries written before schema 5 have their fields as text)
            entry.update(zip(PACKED_FIELDS, unpack(packed), strict=True))
        for key in ("request_headers", "response_headers", "verdicts"):
            entry[key] = json.loads(entry[key])
        out.append(entry)
    return out


def last_seq(db: Database, mount: str) -> int:
    """The sequence number of a mount's newest journal entry (0 when it has none)."""
    row = (
        db.connection()
        .execute("SELECT COALESCE(MAX(seq), 0) FROM journal WHERE mount = ?", (mount,))
        .fetchone()
    )
    seq: int = row[0]
    return seq


def reset(db: Database, mount: str) -> int:
    with db.write() as conn:
        return conn.execute("DELETE FROM journal WHERE mount = ?", (mount,)).rowcount
