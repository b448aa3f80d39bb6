"""The per-app state every blueprint reaches through `current_lms()`: config and database."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Response, current_app

from fake_lms.config import LMSConfig
from fake_lms.db import Database
from fake_lms.journal import JournalWriter
from fake_lms.mounts import secrets_of
from fake_lms.redact import KnownSecrets


@dataclass
class LMS:
    config: LMSConfig
    db: Database
    journal: JournalWriter = field(init=False)
    _secrets: KnownSecrets | None = field(default=None, repr=False)
    _secrets_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Key secrets this process knows in clear (the store keeps their hashes only).
    _literals: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.journal = JournalWriter(self.db)
        self._literals.update(k.secret for k in self.config.api_keys)
        self._literals.update(m.key.secret for m in self.config.mounts if m.key is not None)

    def close(self) -> None:
        """Flush the journal and close the store."""
        self.journal.close()
        self.db.close()

    def secrets(self) -> KnownSecrets:
        """Known secrets, read from the store once and cached: call `key_secret_seen` when a key
        secret is added or opens a request, `token_issued` when a fetch URL hands out an
        auth-token."""
        with self._secrets_lock:
            if self._secrets is None:
                self._secrets = secrets_of(self.db, sorted(self._literals))
            return self._secrets

    def key_secret_seen(self, secret: str) -> None:
        """An API key secret came in clear (a key was made, or a request was opened with it):
        hide it from now on (the store cannot tell it, it keeps a hash)."""
        with self._secrets_lock:
            if secret in self._literals:
                return
            self._literals.add(secret)
            if self._secrets is not None:
                self._secrets.set_literals(sorted(self._literals))

    def token_issued(self, token: str) -> None:
        """A token just left the LMS (its handing out is committed): hide it from now on."""
        known = self.secrets()
        with self._secrets_lock:
            known.add_token(token)


def current_lms() -> LMS:
    return cast(LMS, current_app.extensions["weare"])


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact UTF-8 JSON response (Flask's jsonify sorts keys and escapes non-ASCII)."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, headers=headers, content_type="application/json")
