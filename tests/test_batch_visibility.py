"""A large batch is stored in short transactions (fake_lms/xapi/staged_batch.py), yet readers see
it whole or not at all (xAPI-C §2.1.2), an id it holds is refused to other writes while it is
stored, and a `serve` killed in the middle leaves nothing of it behind."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests

from fake_lms.db import Database, now_us
from fake_lms.xapi import staged_batch, statement_store
from fake_lms.xapi.protocol import XAPIError
from tests.factories import statement
from tests.serve_process import ServeProcess

# Enough statements for many chunks: the batch is pending for a good while.
BATCH = staged_batch.CHUNK_ROWS * 100


def batch_of(size: int, registration: str) -> list[dict]:
    return [
        statement(
            context={"registration": registration},
            result={"response": "r" * 300},
        )
        for _ in range(size)
    ]


def raw(db: Path) -> sqlite3.Connection:
    """The store as SQLite has it, hidden rows included (read-only)."""
    return sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def pending_rows(db: Path, registration: str) -> tuple[int, int]:
    """(pending batches, rows of `registration` in the statements table, readable or not)."""
    with raw(db) as conn:
        batches = conn.execute("SELECT COUNT(*) FROM pending_batches").fetchone()[0]
        rows = conn.execute(
            "SELECT COUNT(*) FROM statements WHERE registration = ?", (registration,)
        ).fetchone()[0]
    return batches, rows


class Posting:
    """A POST of a batch in a thread; `status` and `answer` once it is answered (or failed)."""

    def __init__(self, server: ServeProcess, batch: list[dict]) -> None:
        self.status: int | None = None
        self.answer: object = None
        self.thread = threading.Thread(target=self._post, args=(server, batch), daemon=True)
        self.thread.start()

    def _post(self, server: ServeProcess, batch: list[dict]) -> None:
        try:
            response = server.client().post(server.endpoint + "statements", json=batch, timeout=300)
            self.status, self.answer = response.status_code, response.json()
        except requests.RequestException as exc:
            self.answer = exc

    def wait(self) -> None:
        self.thread.join(timeout=300)


def wait_for_partial(db: Path, registration: str, posting: Posting) -> int:
    """Rows of the batch inserted, while it is still pending: the middle of a staged batch."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and posting.thread.is_alive():
        batches, rows = pending_rows(db, registration)
        if batches and 0 < rows < BATCH:
            return rows
        time.sleep(0.002)
    pytest.fail(f"the batch was never seen half stored (status {posting.status})")


def visible(client: requests.Session, server: ServeProcess, statement_id: str) -> bool:
    response = client.get(server.endpoint + "statements", params={"statementId": statement_id})
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


@pytest.fixture
def server(tmp_path) -> Iterator[ServeProcess]:
    with ServeProcess(tmp_path / "lms.db") as running:
        yield running


def test_readers_see_a_large_batch_whole_or_not_at_all(server):
    registration = str(uuid.uuid4())
    batch = batch_of(BATCH, registration)
    first, middle, last = batch[0]["id"], batch[BATCH // 2]["id"], batch[-1]["id"]
    client = server.client()
    posting = Posting(server, batch)
    wait_for_partial(server.db, registration, posting)
    seen: list[tuple[bool, bool, bool]] = []
    half_stored_reads = 0
    consistent = ""
    while posting.thread.is_alive() or not seen:
        rows_before = pending_rows(server.db, registration)
        # in arrival order: a batch readable in part would show its first statement, then not
        # its last one (a batch made readable in between shows the first missing, which is fine)
        sample = (visible(client, server, first), visible(client, server, middle))
        page = client.get(
            server.endpoint + "statements", params={"registration": registration, "limit": 1}
        )
        sample += (visible(client, server, last),)
        seen.append(sample)
        if rows_before[0] and 0 < rows_before[1] < BATCH and sample == (False, False, False):
            half_stored_reads += 1
            assert page.json()["statements"] == [], "a GET listed a statement of a pending batch"
            consistent = page.headers["X-Experience-API-Consistent-Through"]
    posting.wait()
    assert posting.status == 200, posting.answer
    partial = [s for s in seen if s[0] and not all(s)]
    assert not partial, f"a reader saw part of the batch: {partial[:3]}"
    assert half_stored_reads, "no read happened while the batch was half stored"
    assert all(visible(client, server, i) for i in (first, middle, last))
    # while it was pending, reads said they were complete only up to before the batch's stored
    # time: a client polling with `since` comes back for it (xAPI-C §2.1.3)
    stored = client.get(server.endpoint + "statements", params={"statementId": first}).json()
    assert when(consistent) < when(stored["stored"])


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_a_write_naming_an_id_of_a_pending_batch_is_refused(server):
    registration = str(uuid.uuid4())
    batch = batch_of(BATCH, registration)
    client = server.client()
    posting = Posting(server, batch)
    wait_for_partial(server.db, registration, posting)
    # the first chunk is stored (hidden): the same id with other content, and even the same
    # statement again, must wait for the batch's answer
    other = statement(id=batch[0]["id"], result={"response": "other"})
    refused = client.post(server.endpoint + "statements", json=other)
    same = client.post(server.endpoint + "statements", json=batch[1])
    posting.wait()
    assert posting.status == 200, posting.answer
    assert refused.status_code == 409, refused.text
    assert same.status_code == 409, same.text
    assert "still storing" in refused.text and "still storing" in same.text
    stored = client.get(server.endpoint + "statements", params={"statementId": batch[0]["id"]})
    assert stored.json()["result"]["response"] == "r" * 300  # the batch's, not the refused one
    # once the batch is answered, the same statement again is accepted (not stored twice)
    assert client.post(server.endpoint + "statements", json=batch[1]).status_code == 200


def test_a_statement_stored_while_the_batch_waits_counts_as_stored_before_it(tmp_path):
    """An id the batch has not inserted yet is free: a write naming it is stored first, and the
    batch then meets it as if it had come after (same statement: accepted; other: 409, whole)."""
    db = Database(tmp_path / "lms.db")
    registration = str(uuid.uuid4())
    stored_us = now_us()

    def prepared(stmts: list[dict]) -> list[statement_store.Prepared]:
        return [
            statement_store.prepare(
                s, authority=statement_store.SEED_AUTHORITY, version="1.0.3", stored_us=stored_us
            )
            for s in stmts
        ]

    batch = batch_of(staged_batch.STAGED_FROM + 1, registration)
    staged = reserve(db, prepared(batch))
    assert staged is not None
    statement_store.store(db, "default", prepared([batch[-1]]))  # the same statement
    staged_batch.finish(db, staged)
    assert statement_store.count(db, "default") == len(batch)

    second = batch_of(staged_batch.STAGED_FROM + 1, str(uuid.uuid4()))
    staged = reserve(db, prepared(second))
    assert staged is not None
    statement_store.store(db, "default", prepared([statement(id=second[-1]["id"])]))
    with pytest.raises(XAPIError) as refused:
        staged_batch.finish(db, staged)
    assert refused.value.status == 409
    assert refused.value.path.startswith(f"$[{len(second) - 1}]"), refused.value.path
    assert statement_store.get_one(db, "default", second[0]["id"], voided=False) is None
    assert statement_store.count(db, "default") == len(batch) + 1
    with raw(tmp_path / "lms.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM pending_batches").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM statements").fetchone()[0] == len(batch) + 1
    db.close()


def reserve(db: Database, batch: list[statement_store.Prepared]) -> staged_batch.Staged | None:
    statement_store.pack(batch)
    with db.write() as conn:
        return staged_batch.begin(conn, "default", batch, [], may_stage=True)


def test_a_batch_cut_by_kill_9_leaves_nothing_and_the_store_works_after(tmp_path):
    db = tmp_path / "lms.db"
    registration = str(uuid.uuid4())
    batch = batch_of(BATCH, registration)
    with ServeProcess(db) as first:
        kept = statement()
        assert first.client().post(first.endpoint + "statements", json=kept).status_code == 200
        posting = Posting(first, batch)
        wait_for_partial(db, registration, posting)
        first.kill()
        posting.wait()
    batches, rows = pending_rows(db, registration)
    assert batches == 1 and 0 < rows < BATCH  # cut in the middle, hidden until cleaned up
    with ServeProcess(db) as second:
        assert pending_rows(db, registration) == (0, 0)
        client = second.client()
        assert not visible(client, second, batch[0]["id"])
        assert visible(client, second, kept["id"])
        listed = client.get(
            second.endpoint + "statements", params={"registration": registration}
        ).json()
        assert listed["statements"] == []
        # the store takes the same batch again, whole
        answer = client.post(second.endpoint + "statements", json=batch, timeout=300)
        assert answer.status_code == 200, answer.text[:300]
        assert all(visible(client, second, batch[i]["id"]) for i in (0, BATCH // 2, -1))
    assert pending_rows(db, registration) == (0, BATCH)
