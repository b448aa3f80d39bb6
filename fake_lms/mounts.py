"""The registry of LRS mounts and the credentials that open them, kept in the database."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fake_lms.config import ApiKey, check_mode, check_mount_name, check_xapi_version
from fake_lms.db import Database
from fake_lms.redact import KnownSecrets
from fake_lms.secret_hash import (
    digest_with,
    generate_secret,
    hash_secret,
    token_key,
    verify_secret,
)


@dataclass(frozen=True)
class Mount:
    name: str
    mode: str
    quirks: tuple[str, ...] = ()
    xapi_version: str = "1.0.3"  # as stored; the xapi-2-only quirk may make it answer as 2.0.0


@dataclass(frozen=True)
class Principal:
    """Who made a request: the credential's user name, its kind and the mount it is bound to."""

    username: str
    kind: str
    mount: str | None
    session: str | None = None  # for a fetched cmi5 auth-token: the session it belongs to
    registration: str | None = None  # and that session's registration


def _now() -> str:
    return datetime.now(UTC).isoformat()


def ensure_mount(
    db: Database, name: str, mode: str = "enforce", xapi_version: str = "1.0.3"
) -> Mount:
    check_mount_name(name)
    check_mode(mode)
    check_xapi_version(xapi_version)
    with db.write() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO mounts (name, mode, created, xapi_version) VALUES (?, ?, ?, ?)",
            (name, mode, _now(), xapi_version),
        )
    found = get_mount(db, name)
    if found is None:  # deleted between the write and the read
        raise UnknownMount(name)
    return found


_COLUMNS = "name, mode, quirks, xapi_version"


def _mount(row: Any) -> Mount:
    return Mount(row["name"], row["mode"], tuple(json.loads(row["quirks"])), row["xapi_version"])


def get_mount(db: Database, name: str) -> Mount | None:
    row = (
        db.connection().execute(f"SELECT {_COLUMNS} FROM mounts WHERE name = ?", (name,)).fetchone()
    )
    return _mount(row) if row else None


def list_mounts(db: Database) -> list[Mount]:
    rows = db.connection().execute(f"SELECT {_COLUMNS} FROM mounts ORDER BY created, name")
    return [_mount(r) for r in rows]


# The settings the command line imposes on a mount kept in the store, with their checks.
_APPLIED = {"mode": check_mode, "xapi_version": check_xapi_version}


def apply_setting(db: Database, name: str, setting: str, value: str) -> str | None:
    """Make mount `name` have `setting` (mode or xapi_version) `value`, creating the mount if new;
    the value it had, if that differed.

    A mount kept in the store from an earlier run takes the settings the server is started with
    now, so the command line (not a forgotten earlier run) decides what a client meets.
    """
    check_mount_name(name)
    _APPLIED[setting](value)
    with db.write() as conn:
        row = conn.execute(f"SELECT {setting} FROM mounts WHERE name = ?", (name,)).fetchone()
        if row is None:
            conn.execute(
                f"INSERT INTO mounts (name, {setting}, created) VALUES (?, ?, ?)",
                (name, value, _now()),
            )
            return None
        if row[setting] == value:
            return None
        conn.execute(f"UPDATE mounts SET {setting} = ? WHERE name = ?", (value, name))
        return str(row[setting])


# Where a credential comes from (the `origin` column): given to the start that is running
# (replaced at the next start), or made through the admin API (kept until deleted through it).
START = "start"
ADMIN = "admin"


def replace_start_credentials(
    db: Database, server_wide: list[ApiKey], per_mount: list[tuple[str, ApiKey]]
) -> None:
    """Make the server-wide keys and mount keys of this start the only ones given to a start:
    those of earlier starts stop opening anything. Credentials made through the admin API stay."""
    hashed = {key: hash_secret(key.secret) for key in [*server_wide, *(k for _, k in per_mount)]}
    with db.write() as conn:
        conn.execute("DELETE FROM credentials WHERE origin = ?", (START,))
        for key in server_wide:
            _add_credential(conn, key, hashed[key], None, START)
        for mount, key in per_mount:
            _add_credential(conn, key, hashed[key], mount, START)


def _add_credential(
    conn: sqlite3.Connection, key: ApiKey, stored: str, mount: str | None, origin: str
) -> None:
    """Store a credential's hash `stored` (made before the write lock: a key-stretching hash
    takes milliseconds every other writer would wait for); one that is there already (same
    user, secret, mount and origin) is not added twice."""
    rows = conn.execute(
        "SELECT secret FROM credentials WHERE username = ? AND mount = ? AND origin = ?",
        (key.username, mount or "", origin),
    )
    if any(verify_secret(key.secret, row[0]) for row in rows.fetchall()):
        return
    conn.execute(
        "INSERT INTO credentials (username, secret, mount, kind, origin, created)"
        " VALUES (?, ?, ?, 'api-key', ?, ?)",
        (key.username, stored, mount or "", origin, _now()),
    )


class UnknownMount(LookupError):
    """A mount named by a request does not exist; `name` says which."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no LRS mount named {name!r}")
        self.name = name


def add_mount(
    db: Database,
    name: str,
    mode: str = "enforce",
    *,
    quirks: list[str] | None = None,
    key: ApiKey | None = None,
    also_opens: tuple[str, ...] = (),
    xapi_version: str = "1.0.3",
) -> Mount:
    """Create mount `name` (kept if it exists) with its quirks and a key that also opens others.

    Everything is checked before anything is written, and written in one transaction: a mount
    named in `also_opens` that does not exist raises `UnknownMount` and leaves the store as it was.
    """
    check_mount_name(name)
    check_mode(mode)
    check_xapi_version(xapi_version)
    stored = hash_secret(key.secret) if key is not None else ""
    with db.write() as conn:
        _check_mounts_exist(conn, set(also_opens) - {name})
        conn.execute(
            "INSERT OR IGNORE INTO mounts (name, mode, created, xapi_version) VALUES (?, ?, ?, ?)",
            (name, mode, _now(), xapi_version),
        )
        if quirks:
            conn.execute("UPDATE mounts SET quirks = ? WHERE name = ?", (json.dumps(quirks), name))
        if key is not None:
            for mount in dict.fromkeys((name, *also_opens)):
                _add_credential(conn, key, stored, mount, ADMIN)
    found = get_mount(db, name)
    if found is None:  # deleted between the write and the read
        raise UnknownMount(name)
    return found


def _check_mounts_exist(conn: sqlite3.Connection, names: set[str]) -> None:
    for other in sorted(names):
        if conn.execute("SELECT 1 FROM mounts WHERE name = ?", (other,)).fetchone() is None:
            raise UnknownMount(other)


def generate_credential(
    db: Database, mount: str, username: str, also_opens: tuple[str, ...] = ()
) -> str:
    """A new API key for `username` opening `mount` and those of `also_opens`, made through the
    admin API: its secret is generated here (secret_hash.generate_secret), returned this once and
    kept only as a hash. Any mount named that does not exist raises `UnknownMount`; nothing is
    written then."""
    secret, stored = generate_secret()
    key = ApiKey(username, secret)
    with db.write() as conn:
        _check_mounts_exist(conn, {mount, *also_opens})
        for name in dict.fromkeys((mount, *also_opens)):
            _add_credential(conn, key, stored, name, ADMIN)
    return secret


def change_mount(
    db: Database,
    name: str,
    *,
    mode: str | None = None,
    quirks: list[str] | None = None,
    xapi_version: str | None = None,
) -> None:
    """Change a mount's mode, quirks and xAPI version together: all checked first, one
    transaction."""
    if mode is not None:
        check_mode(mode)
    if xapi_version is not None:
        check_xapi_version(xapi_version)
    with db.write() as conn:
        if mode is not None:
            conn.execute("UPDATE mounts SET mode = ? WHERE name = ?", (mode, name))
        if xapi_version is not None:
            conn.execute("UPDATE mounts SET xapi_version = ? WHERE name = ?", (xapi_version, name))
        if quirks is not None:
            conn.execute("UPDATE mounts SET quirks = ? WHERE name = ?", (json.dumps(quirks), name))


def find_principal(db: Database, username: str, secret: str, mount: str) -> Principal | None:
    """The principal for these credentials if they open `mount`, else None."""
    rows = db.connection().execute(
        "SELECT username, secret, mount, kind FROM credentials"
        " WHERE username = ? AND mount IN ('', ?) ORDER BY mount",
        (username, mount),
    )
    for row in rows.fetchall():
        if verify_secret(secret, row["secret"]):
            return Principal(row["username"], row["kind"], row["mount"] or None)
    return None


def credential_users(db: Database, mount: str) -> list[tuple[str, bool]]:
    """Who may open `mount` with an API key: (user name, server-wide?), never the secret."""
    return list(dict.fromkeys((user, wide) for user, wide, _origin in mount_credentials(db, mount)))


def mount_credentials(db: Database, mount: str) -> list[tuple[str, bool, str]]:
    """The API keys that open `mount`: (user name, server-wide?, origin), never a secret."""
    rows = db.connection().execute(
        "SELECT DISTINCT username, mount = '' AS wide, origin FROM credentials"
        " WHERE kind = 'api-key' AND mount IN ('', ?) ORDER BY wide, username, origin",
        (mount,),
    )
    return [(r["username"], bool(r["wide"]), r["origin"]) for r in rows]


def delete_credentials(db: Database, mount: str, username: str) -> tuple[int, int]:
    """Delete the keys of `username` bound to `mount` that the admin API made: (how many were
    deleted, how many keys given to the start remain that it may not delete)."""
    with db.write() as conn:
        deleted = conn.execute(
            "DELETE FROM credentials WHERE mount = ? AND username = ? AND origin = ?",
            (mount, username, ADMIN),
        ).rowcount
        kept = conn.execute(
            "SELECT COUNT(*) FROM credentials WHERE mount IN ('', ?) AND username = ?",
            (mount, username),
        ).fetchone()[0]
    return deleted, kept


def secrets_of(db: Database, literals: list[str]) -> KnownSecrets:
    """The secrets recorders strip from free text: `literals` (the key secrets this process
    knows in clear; the store keeps hashes only) and the cmi5 auth-tokens a fetch URL has handed
    out, found by their digest (the store keeps no clear token once handed out)."""
    conn = db.connection()
    rows = conn.execute(
        "SELECT token, token_clear FROM sessions WHERE token_fetched = 1"
    ).fetchall()
    known = KnownSecrets(literals, [r[1] for r in rows if r[1]])
    known.add_digests(digest_with(token_key(conn)), [r[0] for r in rows])
    return known
