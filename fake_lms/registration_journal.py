"""The journal entries of one cmi5 registration, from every mount: its own NDJSON export.

An entry belongs to the registration when it was made with the auth-token of one of its sessions
(principal `token:SESSION`), is a call of one of its sessions' fetch URLs, or names the
registration in its query or request body (a statement's `context.registration`, a state
document's `registration` parameter)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

from fake_lms import journal
from fake_lms.admin import journal_entries
from fake_lms.cmi5 import store
from fake_lms.db import Database
from fake_lms.mounts import list_mounts


class Exchanges:
    """What marks the journal entries of one registration (see the module)."""

    def __init__(self, registration: str, sessions: list[store.Session]) -> None:
        self.registration = registration.lower()
        self.principals = {f"token:{s.id}" for s in sessions}
        self.fetch_paths = {f"/fetch/{s.fetch_id}" for s in sessions}

    def __contains__(self, entry: dict[str, Any]) -> bool:
        if entry.get("principal") in self.principals or entry.get("path") in self.fetch_paths:
            return True
        return any(
            self.registration in str(entry.get(k) or "").lower() for k in ("query", "request_body")
        )


def entries(db: Database, registration: str) -> Iterator[dict[str, Any]]:
    """The registration's entries of every mount in arrival order, up to the entries present now."""
    mine = Exchanges(registration, store.sessions_of(db.connection(), registration))
    per_mount = [journal_entries(m.name, journal.last_seq(db, m.name)) for m in list_mounts(db)]
    return (e for e in heapq.merge(*per_mount, key=lambda e: int(e["seq"])) if e in mine)
