"""The journal: every exchange with a mount, recorded with secrets redacted, readable and resettable."""

from __future__ import annotations

import json
import logging
import queue
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


class JournalClosed(RuntimeError):
    """An entry was submitted after `close()`: no writer is left to write it."""


BATCH_MAX = 500  # entries per transaction at most
_CLOSE = (
    object()
)  # close()'s mark in the queue: everything before it is written, then the thread ends


class _Flush:
    """A reader's mark in the queue: settled once every entry queued before it is, or at the
    first failed write after it was queued (with the reason)."""

    def __init__(self, target: int) -> None:
        self.target = target  # entries submitted before this mark
        self.done = threading.Event()
        self.failure: str | None = None

    def settle(self, failure: str | None) -> None:
        if not self.done.is_set():
            self.failure = failure
            self.done.set()


class JournalWriter:
    """Writes journal entries from a background thread, many per transaction.

    `submit` puts an entry on a queue; the writer thread takes them off in order and writes
    them in batches. A request does not wait for its own journal commit; every reader calls
    `flush()` first, which puts a mark on the same queue and waits until the writer reaches it,
    so what a reader sees is complete up to the moment it asked. The price: a `kill -9` can lose
    the journal entries of the last LINGER_S (25 ms). Statements are committed before they are
    answered and are never lost that way. `close()` writes what is queued and ends the thread;
    a `submit` after it raises JournalClosed.

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
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._gate = threading.Lock()  # orders submit, flush and close on the queue
        self._closed = False
        self._thread: threading.Thread | None = None  # started by the first entry
        # Rung by a reader or close(): the writer stops letting entries gather and writes now.
        self._doorbell = threading.Event()
        self._submitted = 0  # entries ever submitted
        self._settled = 0  # entries written or lost
        self.written = 0
        self.lost = 0
        self.failures = 0  # failed write attempts
        self.error: str | None = None  # why the last write failed; None once one succeeds

    def submit(self, row: tuple[Any, ...]) -> None:
        """Queue one entry (a tuple, as `record` makes it); JournalClosed after `close()`."""
        with self._gate:
            if self._closed:
                raise JournalClosed("the journal is closed: an entry submitted now is not written")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="journal-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(row)
            self._submitted += 1

    def flush(self, timeout: float | None = None) -> None:
        """Return once every entry submitted so far is written.

        While writes fail, the writer is asked to try again now and the first failed attempt
        raises JournalUnavailable with the reason (so does a store that lost entries and has
        not taken a write since). Raises it too after `timeout` seconds (default
        `flush_timeout`) if the writer has not caught up."""
        limit = self.flush_timeout if timeout is None else timeout
        with self._gate:
            thread, closed, mark = self._thread, self._closed, _Flush(self._submitted)
            if thread is None:  # nothing was ever submitted
                return
            if not closed:
                self._queue.put(mark)
                self._doorbell.set()
        if closed:  # the writer writes what was queued before close(), then ends
            thread.join(limit)
            if not thread.is_alive():
                mark.settle(self._failing_reason() if self.error else None)
        if not mark.done.wait(0 if closed else limit):
            raise JournalUnavailable(
                f"the journal did not catch up within the flush timeout of {limit:g} s"
                f" ({max(0, mark.target - self._settled)} entries still waiting)"
            )
        if mark.failure is not None:
            raise JournalUnavailable(mark.failure)

    def _failing_reason(self) -> str:
        waiting = self._submitted - self._settled
        return (
            f"the journal cannot be written: {self.error} ({waiting} entries waiting,"
            f" {self.lost} lost since start)"
        )

    def close(self) -> None:
        """Write what is queued (waiting up to 10 s) and end the writer thread."""
        with self._gate:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_CLOSE)
                self._doorbell.set()
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        ahead: deque[Any] = deque()  # items taken off the queue, in order, not yet handled
        while True:
            if not ahead:
                # Failing and idle: look again every second whether the store takes writes.
                if not self._take(ahead, PROBE_INTERVAL_S if self.error else None):
                    self._attempt([], ahead)
                    continue
                if isinstance(ahead[0], tuple):  # let entries gather, unless a reader waits
                    self._doorbell.wait(LINGER_S)
                    self._doorbell.clear()
            self._drain(ahead)
            head = ahead[0]
            if head is _CLOSE:
                return
            if isinstance(head, _Flush):
                if self.error is not None and not head.done.is_set():
                    self._attempt([], ahead)  # a fresh verdict for this reader
                ahead.popleft().settle(self._failing_reason() if self.error else None)
                continue
            batch: list[tuple[Any, ...]] = []
            while ahead and isinstance(ahead[0], tuple) and len(batch) < BATCH_MAX:
                batch.append(ahead.popleft())
            self._write_batch(batch, ahead)

    def _take(self, ahead: deque[Any], timeout: float | None) -> bool:
        """Wait up to `timeout` seconds (None: for ever) for the next item; False if none came."""
        try:
            ahead.append(self._queue.get(timeout=timeout))
        except queue.Empty:
            return False
        return True

    def _drain(self, ahead: deque[Any]) -> None:
        """Take every item queued so far, without waiting."""
        try:
            while True:
                ahead.append(self._queue.get_nowait())
        except queue.Empty:
            pass

    def _write_batch(self, batch: list[tuple[Any, ...]], ahead: deque[Any]) -> None:
        """Write `batch`, retrying with a doubling pause that a reader cuts; count it lost after
        `attempts` failures, or at once when close() comes during a pause."""
        tries = 0
        while not self._attempt(batch, ahead):
            tries += 1
            if tries < self._attempts:
                log.warning("journal write failed (attempt %d): %s", tries, self.error)
                if self._pause(ahead, self._retry_delay * 2 ** (tries - 1)):
                    continue
            log.error(
                "journal: %d entries lost after %d failed writes: %s", len(batch), tries, self.error
            )
            self._settle(batch, written=False)
            return
        self._settle(batch, written=True)

    def _pause(self, ahead: deque[Any], seconds: float) -> bool:
        """Wait before a retry, until `seconds` pass or a reader comes (True), or close() is
        queued (False)."""
        deadline = time.monotonic() + seconds
        while _CLOSE not in ahead:
            left = deadline - time.monotonic()
            if left <= 0 or not self._take(ahead, left) or isinstance(ahead[-1], _Flush):
                return True
        return False

    def _attempt(self, batch: list[tuple[Any, ...]], ahead: deque[Any]) -> bool:
        """One write of `batch` (empty: a probe); on failure, every reader queued so far is
        told why. True when it succeeded."""
        try:
            self._write(batch)
        except _ProbeDone:
            pass
        except Exception as exc:  # the writer outlives any failure; it counts and logs it
            self.failures += 1
            self.error = f"{type(exc).__name__}: {exc}"
            self._drain(ahead)
            reason = self._failing_reason()
            for item in ahead:
                if isinstance(item, _Flush):
                    item.settle(reason)
            return False
        self.error = None
        return True

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        rows = [_packed_row(row) for row in batch]  # (compressed before the write lock)
        with self._db.write() as conn:
            if batch:
                conn.executemany(_INSERT, rows)
            else:  # a probe: can the store take a page-sized entry? (rolled back)
                conn.execute(_INSERT, ("", "", "", "", "", 0, 0, "", _PROBE_BODY.encode()))
                raise _ProbeDone

    def _settle(self, batch: list[tuple[Any, ...]], *, written: bool) -> None:
        """Count a batch as done (written or lost)."""
        if written:
            self.written += len(batch)
        else:
            self.lost += len(batch)
        self._settled += len(batch)


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
