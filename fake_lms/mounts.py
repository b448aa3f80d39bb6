"""The registry of LRS mounts and the credentials that open them, kept in the database."""

from __future__ import annotations

import hmac
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fake_lms.config import ApiKey, check_mode, check_mount_name, check_xapi_version
from fake_lms.db import Database
from fake_lms.redact import KnownSecrets


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
    assert found is not None
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


def add_credential(db: Database, key: ApiKey, *, mount: str | None, kind: str = "api-key") -> None:
    """Register a credential; re-adding the same one is a no-op so restarts are idempotent."""
    with db.write() as conn:
        _add_credential(conn, key, mount, kind)


def _add_credential(conn: sqlite3.Connection, key: ApiKey, mount: str | None, kind: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO credentials (username, secret, mount, kind, created)"
        " VALUES (?, ?, ?, ?, ?)",
        (key.username, key.secret, mount or "", kind, _now()),
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
    with db.write() as conn:
        for other in set(also_opens) - {name}:
            if conn.execute("SELECT 1 FROM mounts WHERE name = ?", (other,)).fetchone() is None:
                raise UnknownMount(other)
        conn.execute(
            "INSERT OR IGNORE INTO mounts (name, mode, created, xapi_version) VALUES (?, ?, ?, ?)",
            (name, mode, _now(), xapi_version),
        )
        if quirks:
            conn.execute("UPDATE mounts SET quirks = ? WHERE name = ?", (json.dumps(quirks), name))
        if key is not None:
            for mount in dict.fromkeys((name, *also_opens)):
                _add_credential(conn, key, mount, "api-key")
    found = get_mount(db, name)
    assert found is not None
    return found


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
        "SELECT username, secret, mount, kind FROM credentials WHERE username = ?", (username,)
    )
    for row in rows:
        if hmac.compare_digest(row["secret"].encode(), secret.encode()) and row["mount"] in (
            "",
            mount,
        ):
            return Principal(row["username"], row["kind"], row["mount"] or None)
    return None


def credential_users(db: Database, mount: str) -> list[tuple[str, bool]]:
    """Who may open `mount` with an API key: (user name, server-wide?), never the secret."""
    rows = db.connection().execute(
        "SELECT DISTINCT username, mount = '' AS wide FROM credentials"
        " WHERE kind = 'api-key' AND mount IN ('', ?) ORDER BY wide, username",
        (mount,),
    )
    return [(r["username"], bool(r["wide"])) for r in rows]


def credential_secrets(db: Database) -> list[str]:
    return [r[0] for r in db.connection().execute("SELECT secret FROM credentials")]


def secrets_of(db: Database) -> KnownSecrets:
    """Every secret known to the store, so recorders can strip them from free text: credential
    secrets and the cmi5 auth-tokens a fetch URL has handed out."""
    rows = db.connection().execute("SELECT token FROM sessions WHERE token_fetched = 1")
    return KnownSecrets(credential_secrets(db), [r[0] for r in rows])
