"""Failures grouped by cause: one cause seen in 12 scenarios is read once, with its count.

Two failures share a cause when they come from the same check and their messages read the same
once what differs from run to run is masked: URLs, UUIDs, timestamps, long tokens, numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# Order matters: a URL holds numbers and tokens, a timestamp holds numbers.
_MASKS = (
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)\]]+", re.IGNORECASE), "<url>"),
    (re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"), "<uuid>"),
    (
        re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?"),
        "<time>",
    ),
    (re.compile(r"\b(?=[A-Za-z0-9+/_=-]*\d)[A-Za-z0-9+/_=-]{16,}"), "<token>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


def normalise(message: str, *, numbers: bool = True) -> str:
    """The message with run-specific values masked and whitespace collapsed; `numbers=False`
    keeps the numbers (a status, a requirement id) where they tell causes apart."""
    text = " ".join(str(message).split())
    for pattern, mask in _MASKS if numbers else _MASKS[:-1]:
        text = pattern.sub(mask, text)
    return text


@dataclass
class Cause:
    """One cause: the check it comes from, a real example of its message, and who showed it."""

    check: str
    message: str  # the first message seen, unmasked
    key: str  # the normalised message
    rank: int = 0  # lower comes first (e.g. blockers before warnings)
    status: str = "failed"
    rule: str = ""
    members: list[str] = field(default_factory=list)  # scenario or check ids, each once

    @property
    def count(self) -> int:
        return len(self.members)


def group(
    failures: Iterable[dict[str, Any]], *, mask: Callable[[str], str] = normalise
) -> list[Cause]:
    """Causes from `{"check", "message", "member", "rank"?, "status"?, "rule"?, "key"?}` items
    (`key`, when given, is what must match instead of the message; `mask` makes it comparable,
    `str` for keys already normalised).

    Ordered by rank, then by count (most widespread first), then by check; members keep the
    order they came in, each once.
    """
    causes: dict[tuple[str, str], Cause] = {}
    for item in failures:
        check, message = str(item["check"]), str(item["message"])
        key = (check, mask(str(item.get("key", message))))
        cause = causes.get(key)
        if cause is None:
            cause = causes[key] = Cause(
                check,
                message,
                key[1],
                rank=int(item.get("rank", 0)),
                status=str(item.get("status", "failed")),
                rule=str(item.get("rule", "")),
            )
        cause.rank = min(cause.rank, int(item.get("rank", 0)))
        if item["member"] not in cause.members:
            cause.members.append(str(item["member"]))
    return sorted(causes.values(), key=lambda c: (c.rank, -c.count, c.check, c.key))
