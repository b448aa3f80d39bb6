"""The journal: every exchange with a mount, recorded with secrets redacted, readable and resettable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fake_lms.db import Database
from fake_lms.redact import redact_headers, redact_text


def _body_text(body: bytes, limit: int) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    if len(body) > limit:
        text += f"\n[... {len(body) - limit} more bytes not journaled]"
    return text


def record(
    db: Database,
    *,
    mount: str,
    method: str,
    path: str,
    query: str,
    request_headers: Any,
    request_body: bytes,
    status: int,
    response_headers: Any,
    response_body: bytes,
    verdicts: list[dict[str, Any]],
    duration_ms: float,
    body_limit: int,
    secrets: list[str],
) -> None:
    """Store one exchange; bodies beyond `body_limit` are cut with a note saying how much."""
    with db.write() as conn:
        conn.execute(
            "INSERT INTO journal (mount, at, method, path, query, request_headers, request_body,"
            " status, response_headers, response_body, verdicts, duration_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                mount,
                datetime.now(UTC).isoformat(timespec="microseconds"),
                method,
                path,
                redact_text(query, secrets),
                json.dumps(redact_headers(request_headers)),
                redact_text(_body_text(request_body, body_limit), secrets),
                status,
                json.dumps(redact_headers(response_headers)),
                redact_text(_body_text(response_body, body_limit), secrets),
                json.dumps(verdicts),
                round(duration_ms, 3),
            ),
        )


def read(db: Database, mount: str, *, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Entries of a mount in arrival order, after sequence number `after`."""
    rows = db.connection().execute(
        "SELECT * FROM journal WHERE mount = ? AND seq > ? ORDER BY seq LIMIT ?",
        (mount, after, limit),
    )
    out = []
    for r in rows:
        entry = dict(r)
        for key in ("request_headers", "response_headers", "verdicts"):
            entry[key] = json.loads(entry[key])
        out.append(entry)
    return out


def reset(db: Database, mount: str) -> int:
    with db.write() as conn:
        return conn.execute("DELETE FROM journal WHERE mount = ?", (mount,)).rowcount
