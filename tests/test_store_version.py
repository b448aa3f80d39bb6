"""A store written by another schema version is refused with a clear message, never misread."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from fake_lms.db import SCHEMA_VERSION, Database, StoreVersionError


def test_new_store_gets_the_schema_version(tmp_path):
    db = Database(tmp_path / "lms.db")
    assert db.connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_store_of_another_version_is_refused(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE statements (id TEXT)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with pytest.raises(StoreVersionError, match="schema version 1"):
        Database(path)


def test_serve_on_an_old_store_exits_2_with_one_line(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE statements (id TEXT)")
    conn.commit()
    conn.close()
    r = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "--db", str(path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert "schema version 0" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
