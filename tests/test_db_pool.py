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


# A thread reads while another closes the database: what a stopping server does to a request it
# is still serving. Run in a child process, since closing a connection under a running query can
# kill the process (a segfault in sqlite3) instead of raising.
_READ_WHILE_CLOSING = r"""
import sqlite3, sys, threading
from fake_lms.db import Database

db = Database(sys.argv[1])
with db.write() as conn:
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(20000)])
errors = []
stop = threading.Event()

def reader():
    for _ in range(400):
        if stop.is_set():
            return
        try:
            db.connection().execute("SELECT SUM(n * n) FROM t WHERE n % 7 != 3").fetchone()
        except sqlite3.Error as exc:
            errors.append(repr(exc))
            return
        finally:
            db.release()

threads = [threading.Thread(target=reader) for _ in range(4)]
for t in threads:
    t.start()
for _ in range(300):
    db.close()
stop.set()
for t in threads:
    t.join(timeout=30)
db.close()
print("errors:", errors)
sys.exit(1 if errors else 0)
"""


def test_close_leaves_connections_other_threads_are_using_open(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _READ_WHILE_CLOSING, str(tmp_path / "lms.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])


def test_database_works_after_close_and_pools_again(tmp_path):
    db = Database(tmp_path / "lms.db")
    db.close()
    assert db.connection().execute("SELECT 1").fetchone()[0] == 1
    db.release()
    assert len(db._pool) == 1
    db.close()
    assert db._pool == [] and db._all == []
