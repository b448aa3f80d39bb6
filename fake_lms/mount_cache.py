"""This process's copy of the mounts and credential checks of a store, read once per change.

Every xAPI request looks its mount up (its mode, quirks, xAPI version) and checks its
credentials; read from the store each time, those reads were about a fifth of a single POST.
The store keeps a counter, the registry generation (`store_meta`), that triggers on the
`mounts` and `credentials` tables raise in the very transaction of any change to them, made by
this process or another one on the same store (schema.sql). A request reads the counter once
(`RegistryCache.view`, one indexed row) and, while it is the one the copy was made at, finds
mounts and credential checks in memory; when it moved, the copy is dropped and read again. A key
revoked, rotated or deleted, by this process or another `serve` on the store, is therefore
refused from the next request on, as before.

The copy holds mounts as found (or not found), and the principal each (user, SHA-256 of the
secret, mount) resolves to (or None), never a secret in clear; a map that holds LIMIT entries
(names and keys are the client's to choose) is emptied before the next entry is added.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from flask import g

from fake_lms.db import Database
from fake_lms.mounts import Mount, Principal, find_principal, get_mount

GENERATION = "registry-generation"  # the row of store_meta (schema.sql)
LIMIT = 4096


@dataclass
class _Copy:
    """What was read from the store at one generation."""

    generation: str
    mounts: dict[str, Mount | None] = field(default_factory=dict)
    principals: dict[tuple[str, bytes, str], Principal | None] = field(default_factory=dict)


def _remember(known: dict[Any, Any], key: Any, value: Any) -> None:
    """Keep `value` under `key`; a map at LIMIT entries is emptied first (names and keys are the
    client's to choose: a stream of unknown ones can neither grow it nor keep known ones out)."""
    if len(known) >= LIMIT:
        known.clear()
    known[key] = value


class RegistryView:
    """The mounts and credentials as of the generation read for one request."""

    def __init__(self, db: Database, copy: _Copy) -> None:
        self._db = db
        self._copy = copy

    @property
    def generation(self) -> str:
        return self._copy.generation

    def mount(self, name: str) -> Mount | None:
        """The mount named `name`, or None (`mounts.get_mount`)."""
        mounts = self._copy.mounts
        if name in mounts:
            return mounts[name]
        found = get_mount(self._db, name)
        _remember(mounts, name, found)
        return found

    def principal(self, username: str, secret: str, mount: str) -> Principal | None:
        """The principal of these credentials on `mount`, or None (`mounts.find_principal`)."""
        key = (username, hashlib.sha256(secret.encode("utf-8")).digest(), mount)
        principals = self._copy.principals
        if key in principals:
            return principals[key]
        found = find_principal(self._db, username, secret, mount)
        _remember(principals, key, found)
        return found


class RegistryCache:
    """The copy of one store's registry in this process, with the generation it was read at."""

    def __init__(self) -> None:
        self._copy = _Copy("")  # no generation is "": the first view reads everything

    def view(self, db: Database) -> RegistryView:
        """A view for one request: the registry generation read now, and the copy made at it
        (the previous copy when the generation has not moved, a new empty one otherwise)."""
        row = (
            db.connection()
            .execute("SELECT value FROM store_meta WHERE name = ?", (GENERATION,))
            .fetchone()
        )
        generation = str(row[0])
        copy = self._copy
        if copy.generation != generation:
            copy = self._copy = _Copy(generation)
        return RegistryView(db, copy)


_caches: weakref.WeakKeyDictionary[Database, RegistryCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def registry_view(db: Database) -> RegistryView:
    """A view of `db`'s mounts and credentials for one request (see the module's docstring)."""
    cache = _caches.get(db)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(db, RegistryCache())
    return cache.view(db)


def request_view(db: Database) -> RegistryView:
    """The view of the request being answered, made by its first lookup and kept in Flask's
    `g`: one read of the generation per request, whatever number of hooks look a mount up."""
    view: RegistryView | None = g.get("registry_view")
    if view is None:
        view = g.registry_view = registry_view(db)
    return view
