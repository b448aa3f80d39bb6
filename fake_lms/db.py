"""SQLite access shared by every blueprint: one connection per thread, WAL, explicit write transactions."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

# Bump when schema.sql changes in a way an existing store cannot follow.
SCHEMA_VERSION = 3


class StoreVersionError(RuntimeError):
    """The SQLite file was written by another schema version; the message says what to do."""


def now_us() -> int:
    """Wall-clock time in microseconds since the epoch: the unit of every stored time."""
    return time.time_ns() // 1000


class Database:
    """A SQLite file (or a shared in-memory database) usable from many threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path == ":memory:":
            # One shared in-memory database for all threads of this process.
            self._uri = f"file:weare-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._keepalive: sqlite3.Connection | None = self._open()
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._uri = Path(self.path).resolve().as_uri()
            self._keepalive = None
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._pool: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._create_or_check(self.connection())

    def _create_or_check(self, conn: sqlite3.Connection) -> None:
        """Create the schema in a new store; refuse a store written by another schema version."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[
            0
        ]
        if tables and version != SCHEMA_VERSION:
            raise StoreVersionError(
                f"the store {self.path} has schema version {version}, this weare-harness needs "
                f"{SCHEMA_VERSION}: move it away or point --db at a new file"
            )
        conn.executescript(resources.files("fake_lms").joinpath("schema.sql").read_text())
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._uri, uri=True, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed transaction survives a killed process.
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def connection(self) -> sqlite3.Connection:
        """The calling thread's connection: reused from the pool, opened when the pool is empty."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                conn = self._pool.pop() if self._pool else None
            if conn is None:
                conn = self._open()
                with self._lock:
                    self._all.append(conn)
            self._local.conn = conn
        return conn

    def release(self) -> None:
        """Give the thread's connection back, so thread-per-request servers do not leak them."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        if conn.in_transaction:
            conn.rollback()
        with self._lock:
            self._pool.append(conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front, so concurrent writers queue, not deadlock."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for a multi-query read."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._pool.clear()
        self._local = threading.local()
        if self._keepalive is not None:
            self._keepalive.close()
            self._keepalive = None
