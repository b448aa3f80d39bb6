"""Thread-per-request servers reuse SQLite connections instead of opening one per thread."""

from __future__ import annotations

import threading

from fake_lms.db import Database
from tests.conftest import statement


def test_connections_are_pooled_across_short_lived_threads(tmp_path):
    db = Database(tmp_path / "lms.db")

    def request() -> None:
        db.connection().execute("SELECT 1")
        db.release()

    for _ in range(200):
        t = threading.Thread(target=request)
        t.start()
        t.join()
    assert len(db._all) <= 2
    db.close()


def test_server_does_not_grow_connections_per_request(lms):
    for _ in range(100):
        assert lms.client().post(lms.endpoint() + "statements", json=statement()).status_code == 200
    assert len(lms.app.extensions["weare"].db._all) < 10
