"""The per-app state every blueprint reaches through `current_lms()`: config and database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app

from fake_lms.config import LMSConfig
from fake_lms.db import Database
from fake_lms.journal import JournalWriter
from fake_lms.mounts import secrets_of


@dataclass
class LMS:
    config: LMSConfig
    db: Database
    journal: JournalWriter = field(init=False)
    _secrets: list[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.journal = JournalWriter(self.db)

    def close(self) -> None:
        """Flush the journal and close the store."""
        self.journal.close()
        self.db.close()

    def secrets(self) -> list[str]:
        """Known secrets, cached; call `forget_secrets` after adding credentials."""
        if self._secrets is None:
            self._secrets = secrets_of(self.db)
        return self._secrets

    def forget_secrets(self) -> None:
        self._secrets = None


def current_lms() -> LMS:
    return current_app.extensions["weare"]


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact UTF-8 JSON response (Flask's jsonify sorts keys and escapes non-ASCII)."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, headers=headers, content_type="application/json")
