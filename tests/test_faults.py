"""A full store, for real: SQLite's max_page_count makes writes fail with SQLITE_FULL.

The server must keep answering: statement and document writes 507 with the cause, reads 200,
journal reads 503 with the reason (never a hang), and everything resumes when space returns.
"""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
import requests

from fake_lms.db import Database
from fake_lms.journal import JournalUnavailable, JournalWriter
from tests.factories import statement
from tests.journal_entries import record_entry

EXT = "https://weare.example.com/extensions/padding"
# A statement needing more pages than a store at its limit has: it cannot fit.
BIG = 40_000


def padded(size: int) -> dict:
    stmt = statement()
    stmt["context"]["extensions"][EXT] = "p" * size
    return stmt


def _submit(writer: JournalWriter, n: int, size: int = 8000) -> None:
    for _ in range(n):  # random hex packs to ~size/2: fills pages
        record_entry(writer, body=os.urandom(size // 2).hex().encode())


def _journal_count(db: Database) -> int:
    return db.connection().execute("SELECT COUNT(*) FROM journal").fetchone()[0]


def test_journal_writer_survives_a_full_store_and_counts_what_it_lost(tmp_path):
    db = Database(tmp_path / "j.db")
    writer = JournalWriter(db, flush_timeout=2.0, attempts=2, retry_delay=0.05)
    try:
        _submit(writer, 3)
        writer.flush()
        assert _journal_count(db) == 3
        db.limit_pages(db.limit_pages(None))  # full at today's size
        _submit(writer, 20)
        started = time.monotonic()
        with pytest.raises(JournalUnavailable, match="database or disk is full"):
            writer.flush()
        assert time.monotonic() - started <= writer.flush_timeout + 1
        deadline = time.monotonic() + 5
        while writer.lost < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert writer.lost == 20, (writer.lost, writer.error)
        assert writer.failures >= 2
        assert writer._thread is not None and writer._thread.is_alive()
        db.limit_pages(None)
        _submit(writer, 2)
        writer.flush()  # the writer is still alive and writes again
        assert writer.error is None
        assert _journal_count(db) == 5
        assert db.connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        writer.close()
        db.close()


def test_a_failing_journal_heals_once_the_store_takes_writes_again(tmp_path):
    """With nothing left to write, the writer probes the store and clears the failure itself."""
    db = Database(tmp_path / "j.db")
    writer = JournalWriter(db, flush_timeout=2.0, attempts=1, retry_delay=0.05)
    try:
        db.limit_pages(db.limit_pages(None))
        _submit(writer, 5)
        deadline = time.monotonic() + 5
        while writer.lost < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert writer.lost == 5
        with pytest.raises(JournalUnavailable, match="5 lost"):
            writer.flush()
        db.limit_pages(None)
        deadline = time.monotonic() + 5
        while writer.error is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        writer.flush()
    finally:
        writer.close()
        db.close()


def test_flush_gives_up_after_its_timeout_when_the_writer_cannot_get_the_lock(tmp_path):
    db = Database(tmp_path / "j.db")
    writer = JournalWriter(db, flush_timeout=0.5)
    blocker = sqlite3.connect(tmp_path / "j.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the store
    try:
        _submit(writer, 1)
        started = time.monotonic()
        with pytest.raises(JournalUnavailable, match=r"flush timeout of 0\.5 s"):
            writer.flush()
        assert time.monotonic() - started < 3
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        writer.flush()
        writer.close()
        db.close()


def _journal(lms, timeout: float) -> requests.Response:
    return lms.admin("GET", "mounts/default/journal", timeout=timeout)


def test_a_full_store_answers_507_and_503_and_recovers(lms):
    client = lms.client()
    lms_state = lms.app.extensions["weare"]
    db, writer = lms_state.db, lms_state.journal
    url = lms.endpoint() + "statements"
    before = statement()
    assert client.post(url, json=before, timeout=10).status_code == 200
    assert _journal(lms, 10).status_code == 200

    db.limit_pages(db.limit_pages(None))
    acked, refused = [], []
    for _ in range(40):  # small statements fill what room is left, then 507
        stmt = padded(1000)
        r = client.post(url, json=stmt, timeout=10)
        assert r.status_code in (200, 507), (r.status_code, r.text)
        (acked if r.status_code == 200 else refused).append(stmt)
    big = padded(BIG)
    r = client.post(url, json=big, timeout=10)
    assert r.status_code == 507, (r.status_code, r.text)
    assert r.json()["error"].startswith("the store is full: database or disk is full"), r.text
    assert refused, "the page limit never filled the store"
    doc = client.put(
        lms.endpoint() + "activities/state",
        params={
            "activityId": "https://weare.example.com/stories/42",
            "agent": '{"mbox": "mailto:a@example.com"}',
            "stateId": "big",
        },
        data=b"d" * BIG,
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert doc.status_code == 507, (doc.status_code, doc.text)
    assert "the store is full" in doc.json()["error"]

    # reads keep working
    got = client.get(url, params={"statementId": before["id"]}, timeout=10)
    assert got.status_code == 200 and got.json()["id"] == before["id"]
    # the journal cannot be written: 503 with the reason, well within the flush timeout
    journal = _journal(lms, writer.flush_timeout + 5)
    assert journal.status_code == 503, (journal.status_code, journal.text)
    assert (
        "the journal cannot be written: OperationalError: database or disk is full"
        in (journal.json()["error"])
    )
    assert writer.failures >= 1

    db.limit_pages(None)
    assert client.post(url, json=big, timeout=10).status_code == 200
    deadline = time.monotonic() + 10
    while (journal := _journal(lms, writer.flush_timeout + 5)).status_code != 200:
        assert time.monotonic() < deadline, journal.text
        time.sleep(0.1)
    assert db.connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {
        row[0]: row[1]
        for row in db.connection().execute("SELECT id, COUNT(*) FROM statements GROUP BY id")
    }
    for stmt in [before, big, *acked]:
        assert stored.get(stmt["id"]) == 1, f"acknowledged statement {stmt['id']} lost"
    for stmt in refused:
        assert stmt["id"] not in stored, f"refused statement {stmt['id']} stored"
