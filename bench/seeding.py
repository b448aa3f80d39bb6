"""Fill a fake LMS store with many statements quickly, for the growth table.

`seed(db_path, count)` is the one entry point: it writes straight into the store (the statement
store's own `prepare` and `insert`, in large transactions), not over HTTP, so a million statements
take a minute or two rather than the quarter of an hour the POST route would. Validation and the
journal are skipped: the growth table times reads, and the statements are generated valid.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from loads import make_statement

from fake_lms.db import Database
from fake_lms.mounts import ensure_mount
from fake_lms.xapi import statement_store

MOUNT = "default"
CHUNK = 5000
BASE_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z; statement n is stored n ms later
AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "http://127.0.0.1", "name": "bench"},
}


def stored_us(n: int) -> int:
    """When seeded statement n is stored: 1 ms after n - 1, so `since` and `until` pick ranges."""
    return BASE_US + n * 1000


def seed(
    db_path: Path, count: int, *, start: int = 0, progress: Callable[[int], None] | None = None
) -> None:
    """Add `count` generated statements (numbers start .. start+count-1) to the default mount;
    call again with `start` to grow the same store."""
    db = Database(db_path)
    try:
        ensure_mount(db, MOUNT)
        for offset in range(0, count, CHUNK):
            numbers = range(start + offset, start + min(offset + CHUNK, count))
            batch = [
                statement_store.prepare(
                    make_statement(n),
                    authority=AUTHORITY,
                    version="1.0.3",
                    stored_us=stored_us(n),
                )
                for n in numbers
            ]
            with db.write() as conn:
                statement_store.insert(conn, MOUNT, batch)
            if progress is not None:
                progress(offset + len(batch))
    finally:
        db.close()


if __name__ == "__main__":
    target, how_many = Path(sys.argv[1]), int(sys.argv[2])
    t0 = time.perf_counter()
    seed(target, how_many)
    print(f"{how_many} statements in {time.perf_counter() - t0:.1f} s into {target}")
