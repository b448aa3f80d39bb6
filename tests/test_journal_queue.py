"""The journal writer's queue: flush marks keep readers in order, and a closed writer refuses
entries at once instead of leaving the next reader waiting for its flush timeout."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from fake_lms import LMSConfig, journal
from fake_lms.app import create_app
from fake_lms.db import Database
from fake_lms.journal import JournalClosed, JournalWriter
from tests.journal_entries import record_entry


def _entry(writer: JournalWriter, mount: str, path: str) -> None:
    record_entry(writer, mount=mount, path=path, body=b"{}")


def _paths(db: Database, mount: str) -> list[str]:
    return [e["path"] for e in journal.read(db, mount, limit=100_000)]


def test_submit_after_close_fails_at_once_and_the_next_flush_does_not_wait(tmp_path):
    db = Database(tmp_path / "j.db")
    writer = JournalWriter(db, flush_timeout=5.0)
    try:
        _entry(writer, "m", "/before-close")
        writer.close()
        assert _paths(db, "m") == ["/before-close"]  # close() wrote what was queued
        started = time.monotonic()
        with pytest.raises(JournalClosed, match="the journal is closed"):
            _entry(writer, "m", "/after-close")
        writer.flush()
        assert time.monotonic() - started < 1.0
        assert _paths(db, "m") == ["/before-close"]
    finally:
        db.close()


def test_a_writer_closed_before_its_first_entry_refuses_it_too(tmp_path):
    db = Database(tmp_path / "j.db")
    writer = JournalWriter(db)
    try:
        writer.close()
        writer.close()  # twice is harmless
        with pytest.raises(JournalClosed):
            _entry(writer, "m", "/late")
        writer.flush()
    finally:
        db.close()


def test_flush_sees_every_entry_queued_before_it_while_others_keep_arriving(tmp_path):
    db = Database(tmp_path / "j.db")
    writer = JournalWriter(db, flush_timeout=10.0)
    stop = threading.Event()

    def flood() -> None:
        for i in range(20_000):
            if stop.is_set():
                return
            _entry(writer, "flood", f"/flood/{i}")
            if i % 50 == 0:
                time.sleep(0.001)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    try:
        for round_ in range(5):
            mine = [f"/mine/{round_}/{i}" for i in range(40)]
            for path in mine:
                _entry(writer, "mine", path)
            started = time.monotonic()
            writer.flush()  # not held up by the entries queued after its mark
            assert time.monotonic() - started < 5.0
            assert _paths(db, "mine")[-40:] == mine, round_
        stop.set()
        flooder.join(timeout=30)
        writer.close()
        assert writer.lost == 0 and writer.error is None
        assert writer.written == len(_paths(db, "flood")) + 200
    finally:
        stop.set()
        writer.close()
        db.close()


def test_a_request_answered_after_the_journal_closed_keeps_its_answer_and_says_so(tmp_path, caplog):
    """A request that outlives the server's shutdown: its answer stands (no 500), and the log
    says the exchange is not journaled."""
    app = create_app(LMSConfig(db_path=str(tmp_path / "lms.db")))
    client = app.test_client()
    assert client.get("/xapi/default/about").status_code == 200
    app.extensions["weare"].journal.close()

    with caplog.at_level(logging.WARNING, logger="fake_lms"):
        answer = client.get("/xapi/default/about")

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "1.0.3" in answer.get_json()["version"]
    assert "journal closed: GET on mount default answered 200" in caplog.text
