"""Schema 5 -> 6: the secrets a store kept in clear become hashes (secret_hash.py).

Credentials get the layout of schema.sql, each secret salted and hashed. Schema 5 did not record
where a credential came from (the command line or the admin API), so every one is taken as given
to a start: the first start of this version replaces them with the ones it is given. Session
auth-tokens become digests; the token of a session whose fetch URL has not answered yet stays in
clear beside it, so that fetch can still hand it out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from fake_lms.secret_hash import digest_with, hash_secret, token_key


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def hash_clear_secrets(conn: sqlite3.Connection, schema: Callable[[str], str]) -> None:
    """Upgrade in `conn`'s transaction; `schema(table)` is schema.sql's CREATE statement of it."""
    conn.execute(schema("store_meta"))
    conn.execute(
        "INSERT OR IGNORE INTO store_meta (name, value)"
        " VALUES ('token-key', lower(hex(randomblob(32))))"
    )
    tables = _tables(conn)
    if "credentials" in tables:
        conn.execute("ALTER TABLE credentials RENAME TO credentials_v5")
        conn.execute(schema("credentials"))
        old = conn.execute("SELECT username, secret, mount, kind, created FROM credentials_v5")
        for row in old.fetchall():
            conn.execute(
                "INSERT INTO credentials (username, secret, mount, kind, origin, created)"
                " VALUES (?, ?, ?, ?, 'start', ?)",
                (row[0], hash_secret(row[1]), row[2], row[3], row[4]),
            )
        conn.execute("DROP TABLE credentials_v5")
    if "sessions" in tables:
        conn.execute("ALTER TABLE sessions ADD COLUMN token_clear TEXT")
        digest = digest_with(token_key(conn))
        rows = conn.execute("SELECT id, token, token_fetched FROM sessions").fetchall()
        for session_id, token, fetched in rows:
            conn.execute(
                "UPDATE sessions SET token = ?, token_clear = ? WHERE id = ?",
                (digest(token), None if fetched else token, session_id),
            )
