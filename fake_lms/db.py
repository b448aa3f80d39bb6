"""SQLite access shared by every blueprint: one connection per thread, WAL, explicit write transactions."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from pathlib import Path

from fake_lms.private_files import FILE_MODE, make_store_file

# Bump when schema.sql changes in a way an existing store cannot follow.
SCHEMA_VERSION = 6
# How a store of an older schema version is brought to the next one, in place: the statements
# each version needs. A store older than the oldest key is refused with StoreVersionError.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 3 -> 4: each mount answers as one xAPI version (issue 11); existing mounts stay 1.0.3.
    3: ("ALTER TABLE mounts ADD COLUMN xapi_version TEXT NOT NULL DEFAULT '1.0.3'",),
    # 4 -> 5: filtered GETs read index tables in page order (issue 13). Statements are renumbered
    # in stored-time order (sequence numbers and stored times then rise together), the columns
    # the index tables replace are dropped, and the index is rebuilt (REINDEX, after the schema).
    4: (
        # (a partial store, e.g. one written by hand for a test, may have no statements table)
        "CREATE TABLE IF NOT EXISTS statements (seq INTEGER PRIMARY KEY, mount TEXT, id TEXT,"
        " stored_us INTEGER, ref_id TEXT, registration TEXT, is_voiding INTEGER, voided INTEGER,"
        " statement TEXT, added TEXT)",
        """CREATE TABLE statements_v5 (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            mount TEXT NOT NULL,
            id TEXT NOT NULL,
            stored_us INTEGER NOT NULL,
            ref_id TEXT,
            registration TEXT,
            is_voiding INTEGER NOT NULL DEFAULT 0,
            voided INTEGER NOT NULL DEFAULT 0,
            statement BLOB NOT NULL,
            added TEXT NOT NULL,
            UNIQUE (mount, id)
        )""",
        "INSERT INTO statements_v5 (seq, mount, id, stored_us, ref_id, registration, is_voiding,"
        " voided, statement, added) SELECT ROW_NUMBER() OVER (ORDER BY stored_us, seq), mount, id,"
        " stored_us, ref_id, registration, is_voiding, voided, statement, added FROM statements",
        "DROP TABLE statements",
        "ALTER TABLE statements_v5 RENAME TO statements",
        "DROP TABLE IF EXISTS statement_agents",
        "DROP TABLE IF EXISTS statement_activities",
    ),
    # 5 -> 6: secrets at rest are hashes (MIGRATION_STEPS)
    5: (),
}
# Steps that need a look at the store first: run after a version's MIGRATIONS statements.
MIGRATION_STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {
    # journal entries keep their bulky fields zlib-packed in one column (journal.pack)
    4: lambda conn: _add_column(conn, "journal", "packed", "BLOB"),
    5: lambda conn: _hash_clear_secrets(conn),
}


def _add_column(conn: sqlite3.Connection, table: str, column: str, kind: str) -> None:
    """Add a column to a table the store has (a table it lacks is created by schema.sql)."""
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    if columns and column not in columns:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _schema_table(table: str) -> str:
    """schema.sql's CREATE statement of `table`."""
    head = f"CREATE TABLE IF NOT EXISTS {table} ("
    return next(sql for sql in _schema() if f"\n{sql}".count(f"\n{head}"))


def _schema() -> list[str]:
    script = resources.files("fake_lms").joinpath("schema.sql").read_text()
    return [*_statements(script), *registry_triggers()]


# The tables whose every change raises the registry generation (store_meta, schema.sql).
REGISTRY_TABLES = ("mounts", "credentials")


def registry_triggers() -> list[str]:
    """A trigger per table of REGISTRY_TABLES and per kind of change that raises the registry
    generation in the transaction of the change, whichever code or process makes it."""
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_generation AFTER {event} ON {table}"
        " BEGIN UPDATE store_meta SET value = value + 1 WHERE name = 'registry-generation'; END"
        for table in REGISTRY_TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def _hash_clear_secrets(conn: sqlite3.Connection) -> None:
    from fake_lms.upgrade_secrets import hash_clear_secrets

    hash_clear_secrets(conn, _schema_table)


def _reindex_statements(conn: sqlite3.Connection) -> None:
    from fake_lms.xapi.statement_store import reindex  # the store's module needs this one

    reindex(conn)


def _discard_abandoned_batches(conn: sqlite3.Connection) -> None:
    from fake_lms.xapi.staged_batch import discard_abandoned  # (that module needs this one)

    discard_abandoned(conn)


# What a migration step needs done in Python once the schema is complete.
REINDEX: dict[int, Callable[[sqlite3.Connection], None]] = {4: _reindex_statements}
# How long a writer waits for another's lock before "database is locked".
BUSY_TIMEOUT_S = 30.0
# SQLite's own ceiling for max_page_count: what `limit_pages(None)` restores.
_NO_PAGE_LIMIT = 4294967294


class StoreVersionError(RuntimeError):
    """The SQLite file was written by another schema version; the message says what to do."""


def is_store_full(exc: BaseException) -> bool:
    """Whether a SQLite error means the store has no room left (SQLITE_FULL: disk or page limit)."""
    if not isinstance(exc, sqlite3.Error):
        return False
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_FULL
    return "database or disk is full" in str(exc)


def now_us() -> int:
    """Wall-clock time in microseconds since the epoch: the unit of every stored time."""
    return time.time_ns() // 1000


def _statements(script: str) -> list[str]:
    """The SQL statements of a script, split where sqlite3 says one is complete (executescript
    would commit the transaction a migration runs in)."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return [s for s in out if s]


class _Connection(sqlite3.Connection):
    """A connection that remembers which page limit (see `Database.limit_pages`) it applied."""

    page_limit_generation = 0
    # `Database.close` bumps the database's generation: a connection of an older one, still in
    # use by a thread when close ran, is closed when that thread gives it back, never pooled.
    generation = 0


class _ProcessLock:
    """The write lock of one store file across processes: `flock` on a file beside it.

    SQLite lets one writer in at a time, and a connection that finds the store locked by another
    process retries from its busy handler, asleep between tries (up to 100 ms each). Two `serve`
    processes on one store then spend half their time asleep (bench/ingest_scaling.py: each
    process busy 0.5 of the time). Here a waiting writer looks again within 2 ms, and gives up
    after the store's busy timeout as SQLite would ("database is locked"), so no writer waits
    forever. The file is opened for each write (a few microseconds) and closing it releases the
    lock: nothing stays open between writes, and a killed process's lock goes with it. The
    thread lock of `Database` orders the threads of one process."""

    def __init__(self, store: str, timeout_s: float) -> None:
        self.store = store
        self.path = store + "-writelock"
        self.timeout_s = timeout_s

    @contextmanager
    def held(self) -> Iterator[None]:
        try:
            fd = self._open()
        except OSError:
            # (a lock file another user made and this one may not open): SQLite's own lock
            # still keeps writers apart, only more slowly; a write must not fail for it
            yield
            return
        try:
            self._acquire(fd)
            yield
        finally:
            os.close(fd)  # (releases the lock)

    def _open(self) -> int:
        """The lock file, opened; made on first use with the store file's permissions, as SQLite
        gives its -wal and -shm files (looked up then only, not at every write)."""
        try:
            return os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            try:
                mode = os.stat(self.store).st_mode & 0o777
            except OSError:
                mode = FILE_MODE
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)

    def _acquire(self, fd: int) -> None:
        deadline = time.monotonic() + self.timeout_s
        pause = 0.0002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError(
                        f"database is locked: another process held the write lock of {self.path}"
                        f" for {self.timeout_s:g} s"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)


class Database:
    """A SQLite file (or a shared in-memory database) usable from many threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path == ":memory:":
            # One shared in-memory database for all threads of this process.
            self._uri = f"file:weare-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._keepalive: sqlite3.Connection | None = self._open()
        else:
            make_store_file(Path(self.path))
            self._uri = Path(self.path).resolve().as_uri()
            self._keepalive = None
        self._local = threading.local()
        self._all: list[_Connection] = []
        self._pool: list[_Connection] = []
        self._lock = threading.Lock()
        # Writers of this process queue here, woken the moment the writer before them commits,
        # not in SQLite's busy handler, which sleeps up to 100 ms between tries; then they
        # queue behind other processes' writers on the store's lock file (a file store only).
        self._write_lock = threading.Lock()
        # (an in-memory store is this process's alone: nothing to share)
        self._held_across_processes: Callable[[], AbstractContextManager[None]] = (
            nullcontext
            if self._keepalive is not None
            else _ProcessLock(self.path, BUSY_TIMEOUT_S).held
        )
        # `limit_pages`: the page ceiling every connection applies before its next use.
        self._page_limit = _NO_PAGE_LIMIT
        self._page_limit_generation = 0
        self._generation = 0
        self._create_or_check(self.connection())

    def _create_or_check(self, conn: sqlite3.Connection) -> None:
        """Create the schema in a new store, migrate an older one that MIGRATIONS can bring up to
        date, and refuse any other (a newer store, or one older than every migration)."""
        conn.execute("BEGIN IMMEDIATE")  # two processes opening one old store migrate it once
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            if tables and version != SCHEMA_VERSION:
                self._migrate(conn, version)
            for sql in _schema():
                conn.execute(sql)
            if tables:
                for step in range(version, SCHEMA_VERSION):
                    if step in REINDEX:
                        REINDEX[step](conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            _discard_abandoned_batches(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        """Bring a store of schema `version` up to SCHEMA_VERSION, or refuse it with the reason."""
        if not (
            version < SCHEMA_VERSION
            and all(v in MIGRATIONS for v in range(version, SCHEMA_VERSION))
        ):
            oldest = min(MIGRATIONS, default=SCHEMA_VERSION)
            raise StoreVersionError(
                f"the store {self.path} has schema version {version}, this weare-harness needs "
                f"{SCHEMA_VERSION} and can upgrade stores of version {oldest} or later: move it "
                "away or point --db at a new file"
            )
        # Freed pages are zeroed too: an upgrade that hashes secrets leaves none of them behind.
        conn.execute("PRAGMA secure_delete = ON")
        for step in range(version, SCHEMA_VERSION):
            for sql in MIGRATIONS[step]:
                conn.execute(sql)
            if step in MIGRATION_STEPS:
                MIGRATION_STEPS[step](conn)
        conn.execute("PRAGMA secure_delete = FAST")

    def _open(self) -> _Connection:
        conn = sqlite3.connect(
            self._uri,
            uri=True,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
            factory=_Connection,
        )
        conn.generation = self._generation
        conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed transaction survives a killed process.
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        # Deleted content is zeroed where that costs no extra write (within the pages written
        # anyway): an auth-token cleared once handed out does not linger in the page.
        conn.execute("PRAGMA secure_delete = FAST")
        return conn

    def connection(self) -> sqlite3.Connection:
        """The calling thread's connection: reused from the pool, opened when the pool is empty."""
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                conn = self._pool.pop() if self._pool else None
            if conn is None:
                conn = self._open()
                with self._lock:
                    self._all.append(conn)
            self._local.conn = conn
        if conn.page_limit_generation != self._page_limit_generation:
            self._apply_page_limit(conn)
        return conn

    def limit_pages(self, pages: int | None) -> int:
        """Fault injection: let the store grow to `pages` pages at most (None lifts the limit).

        SQLite's `max_page_count` makes a write that needs more pages fail with SQLITE_FULL
        ("database or disk is full"), exactly as a full disk does. Each connection applies the
        limit in its own thread before its next use. Returns the store's current page count."""
        self._page_limit = _NO_PAGE_LIMIT if pages is None else pages
        self._page_limit_generation += 1
        pages_now: int = self.connection().execute("PRAGMA page_count").fetchone()[0]
        return pages_now

    def _apply_page_limit(self, conn: _Connection) -> None:
        conn.execute(f"PRAGMA max_page_count = {int(self._page_limit)}")
        conn.page_limit_generation = self._page_limit_generation

    def release(self) -> None:
        """Give the thread's connection back, so thread-per-request servers do not leak them."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        if conn.in_transaction:
            conn.rollback()
        with self._lock:
            if conn.generation == self._generation:
                self._pool.append(conn)
                return
        conn.close()  # opened before the last `close()`: not reused

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front, so concurrent writers queue, not deadlock."""
        conn = self.connection()
        with self._write_lock, self._held_across_processes():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (SQLITE_FULL, SQLITE_IOERR): a second
                # ROLLBACK would fail and hide the error that matters.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

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
        """Close the connections no thread is using: the pooled ones and the caller's own.

        A connection another thread holds may be executing a query right now (a request still
        being served while its server stops), and closing it under that thread crashes the
        process. It is closed when that thread gives it back (`release`), or when its last
        reference goes. The database stays usable: the next `connection()` opens a new one."""
        own = getattr(self._local, "conn", None)
        with self._lock:
            idle = [*self._pool, *([own] if own is not None else [])]
            self._all.clear()  # the busy ones close when their thread lets go of them
            self._generation += 1
            self._pool.clear()
        for conn in idle:
            conn.close()
        self._local = threading.local()
        if self._keepalive is not None:
            self._keepalive.close()
            self._keepalive = None
