"""What a scenario run left behind: the launch, the story's outcome, journals and statements."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_REDACTED_USER = re.compile(r"user='([^']*)'")
NOT_BASIC = "<not a Basic credential>"


@dataclass
class Exchange:
    """One journaled request to a mount, reduced to what checks look at."""

    role: str  # launch, configured, other
    seq: int  # journal sequence number: arrival order across mounts
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: str
    verdicts: list[dict[str, Any]]
    principal: str

    @property
    def is_statements(self) -> bool:
        return "/statements" in self.path and self.method in ("POST", "PUT")

    @property
    def is_fetch(self) -> bool:
        return self.path.startswith("/fetch")

    @property
    def basic_user(self) -> str | None:
        """The Basic user name the request carried (the journal keeps only that), if any."""
        for name, value in self.headers.items():
            if name.lower() == "authorization":
                match = _REDACTED_USER.search(value)
                return match.group(1) if match else NOT_BASIC
        return None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def statements(self) -> list[dict[str, Any]]:
        try:
            body = json.loads(self.body)
        except ValueError:
            return []
        items = body if isinstance(body, list) else [body]
        return [s for s in items if isinstance(s, dict)]


@dataclass
class Evidence:
    launch: dict[str, Any]
    outcome: dict[str, Any]
    mount_names: dict[str, str]  # role -> mount name
    key_users: dict[str, str]  # role -> the Basic user of that mount's API key
    exchanges: list[Exchange] = field(default_factory=list)
    stored: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def statement_requests(self, role: str | None = None) -> list[Exchange]:
        return [e for e in self.exchanges if e.is_statements and role in (None, e.role)]

    def received(self, role: str | None = None) -> list[dict[str, Any]]:
        """Statements the story sent (to `role`, or anywhere), whether accepted or not."""
        return [s for e in self.statement_requests(role) for s in e.statements()]

    def main_statement(self) -> dict[str, Any] | None:
        """The completion the story reported: the completed statement, else the first sent."""
        received = self.received()
        for stmt in received:
            verb = stmt.get("verb", {})
            if isinstance(verb, dict) and verb.get("display", {}).get("en-US") in (
                "Completed",
                "completed",
            ):
                return stmt
        return received[0] if received else None

    def fetches(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.is_fetch]

    def credential_kind(self, exchange: Exchange) -> str:
        user = exchange.basic_user
        if user is None:
            return "none"
        if user == "":
            return "fetch-token"
        if user in self.key_users.values():
            return "api-key"
        return f"unknown ({user})"

    def lookup(self, value: Any) -> Any:
        """Resolve '$launch.NAME' references in expected values."""
        if isinstance(value, str) and value.startswith("$launch."):
            return self.launch.get(value.removeprefix("$launch."))
        return value


def gather(
    *,
    launch: dict[str, Any],
    outcome: dict[str, Any],
    mounts: dict[str, str],
    keys: dict[str, tuple[str, str]],
    journals: dict[str, list[dict[str, Any]]],
    stored: dict[str, list[dict[str, Any]]],
) -> Evidence:
    """Evidence from the admin API's journal entries of each role's mount, in arrival order."""
    exchanges = [
        Exchange(
            role=role,
            seq=entry["seq"],
            method=entry["method"],
            path=entry["path"],
            status=entry["status"],
            headers=entry["request_headers"],
            body=entry["request_body"],
            verdicts=entry["verdicts"],
            principal=entry.get("principal", ""),
        )
        for role, entries in journals.items()
        for entry in entries
    ]
    exchanges.sort(key=lambda e: e.seq)
    return Evidence(
        launch=launch,
        outcome=outcome,
        mount_names=dict(mounts),
        key_users={role: key[0] for role, key in keys.items()},
        exchanges=exchanges,
        stored=stored,
    )
