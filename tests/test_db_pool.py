"""The store's connections and write locks: pooled across threads, closed only when idle, and
one writer at a time across processes."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from fake_lms.db import Database, _ProcessLock
from tests.factories import statement


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


def _try_lock(path) -> bool:
    """Whether another open file description (as another process has) gets the lock now."""

    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_write_holds_the_store_lock_other_processes_queue_on(tmp_path):
    db = Database(tmp_path / "lms.db")
    lock = str(tmp_path / "lms.db") + "-writelock"
    with db.write() as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
        assert not _try_lock(lock)
    assert _try_lock(lock)
    try:
        with db.write():
            raise ValueError("a failed write")
    except ValueError:
        pass
    assert _try_lock(lock)  # released by the failure too
    db.close()


_WRITER = r"""
import sys
from fake_lms.db import Database

db = Database(sys.argv[1])
for n in range(300):
    with db.write() as conn:
        conn.execute("INSERT INTO t VALUES (?)", (n,))
"""


def test_processes_writing_one_store_at_once_lose_nothing(tmp_path):

    db = Database(tmp_path / "lms.db")
    with db.write() as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / "lms.db")])
        for _ in range(3)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    assert db.connection().execute("SELECT COUNT(*) FROM t").fetchone()[0] == 900
    db.close()


def test_a_writer_gives_up_on_a_lock_held_too_long_with_sqlites_message(tmp_path):

    store = str(tmp_path / "lms.db")
    path = store + "-writelock"
    holder = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process's writer that does not let go
    try:
        with (
            pytest.raises(sqlite3.OperationalError, match="database is locked"),
            _ProcessLock(store, timeout_s=0.05).held(),
        ):
            pass
    finally:
        os.close(holder)
    with _ProcessLock(store, timeout_s=0.05).held():  # and takes it once it is free
        assert not _try_lock(path)


def test_the_lock_file_has_the_stores_permissions_and_an_unusable_one_stops_no_write(tmp_path):
    db = Database(tmp_path / "lms.db")
    os.chmod(tmp_path / "lms.db", 0o640)
    with db.write() as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(str(tmp_path / "lms.db") + "-writelock").st_mode & 0o777 == 0o640 & ~umask
    other = Database(tmp_path / "other.db")
    os.mkdir(str(tmp_path / "other.db") + "-writelock")  # a lock file that cannot be opened
    with other.write() as conn:  # SQLite's own lock still keeps writers apart
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
    assert other.connection().execute("SELECT n FROM t").fetchone()[0] == 1
    db.close()
    other.close()
