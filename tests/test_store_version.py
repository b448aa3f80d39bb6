"""A store written by another schema version is refused with a clear message, never misread."""

from __future__ import annotations

import base64
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from fake_lms.db import SCHEMA_VERSION, Database, StoreVersionError
from tests.serve_process import ServeProcess

V103 = {"X-Experience-API-Version": "1.0.3"}


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


STORE_5 = Path(__file__).parent / "data" / "store_v5.sql"


def test_a_schema_5_store_is_upgraded_its_secrets_hashed_and_its_sessions_kept(tmp_path):
    """A store the previous version wrote (keys, mount secrets and auth-tokens in clear) opens:
    its keys are taken as given to an earlier start (the keys given now replace them), a fetched
    token still opens its session, an unfetched one is still handed out by its fetch URL, and no
    secret is left in clear."""
    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path)
    conn.executescript(STORE_5.read_text())
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    fetched, unfetched = conn.execute(
        "SELECT token, fetch_id, registration FROM sessions ORDER BY token_fetched DESC"
    ).fetchall()
    conn.close()
    old = {
        "default": ("old", "old-server-secret"),
        "legacy": ("leg", "legacy-mount-secret"),
        "made": ("made", "admin-made-secret"),
    }
    with ServeProcess(path, "--no-story", "--mount", "legacy", api_key="new:new-key-6") as s:
        for mount, auth in old.items():
            r = requests.get(f"{s.base_url}/xapi/{mount}/statements", auth=auth, headers=V103)
            assert r.status_code == 401, (mount, r.text)
        assert s.client().get(s.endpoint + "statements").status_code == 200
        r = requests.get(
            s.endpoint + "statements",
            params={"registration": fetched[2]},
            auth=("", fetched[0]),
            headers=V103,
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["statements"], r.text
        handed = requests.post(f"{s.base_url}/fetch/{unfetched[1]}", timeout=10).json()
        assert base64.b64decode(handed["auth-token"]).decode() == f":{unfetched[0]}"
        assert s.terminate() == 0
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in (*(secret for _, secret in old.values()), fetched[0], unfetched[0]):
        assert secret.encode() not in stored, secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
