"""The growth table: filtered GET p50 of `weare-harness serve` as its store grows (0 / 100k / 1M).

One store file grows step by step (`seeding.seed`), and at each step `serve` is started on it
and every filter is timed with `limit=10`. Each filter selects few statements or a narrow range,
so an LRS that scans the store for them slows down with its size and one that indexes them does
not: an agent (0.1 % of the statements, directly or as a related agent), an activity (1 %, as
the object or in context), a registration (5 statements), the verb (all of them), `since` the
last 1 % and `until` the first 1 %.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loads import agent_query, filtered_get, registration, story
from seeding import seed, stored_us
from targets import WeareTarget

STEPS = (0, 100_000, 1_000_000)
LIMIT = "10"


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, UTC).isoformat(timespec="milliseconds")


def filters(size: int) -> dict[str, dict[str, str]]:
    """Each filter the table times, as query parameters, for a store of `size` statements."""
    last = max(size - 1, 0)
    return {
        "agent": agent_query(7),
        "agent, related_agents": {**agent_query(7), "related_agents": "true"},
        "verb": {"verb": "http://adlnet.gov/expapi/verbs/completed", "limit": LIMIT},
        "activity": {"activity": story(42), "limit": LIMIT},
        "activity, related_activities": {
            "activity": story(42),
            "related_activities": "true",
            "limit": LIMIT,
        },
        "registration": {"registration": registration(last // 2), "limit": LIMIT},
        "since (last 1 %)": {"since": _iso(stored_us(last - size // 100)), "limit": LIMIT},
        "until (first 1 %)": {"until": _iso(stored_us(size // 100)), "limit": LIMIT},
    }


def growth(
    steps: tuple[int, ...] = STEPS,
    *,
    samples: int = 50,
    max_s: float = 10.0,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """One row per step: the store size, its bytes per statement and each filter's GET p50."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        db = Path(tmp) / "growth.db"
        have = 0
        for size in sorted(steps):
            if size > have:
                say(f"growth: seeding {have:,} → {size:,} statements")
                t0 = time.perf_counter()
                seed(db, size - have, start=have)
                say(f"growth: seeded in {time.perf_counter() - t0:.0f} s")
                have = size
            row: dict[str, Any] = {"statements": size, "filters": {}}
            with WeareTarget(db) as ep:
                for name, query in filters(size).items():
                    got = filtered_get(ep, query, count=samples, max_s=max_s)
                    row["filters"][name] = got
            stored = sum(p.stat().st_size for p in Path(tmp).glob("growth.db*"))
            row["store_bytes"] = stored
            row["bytes_per_statement"] = round(stored / size) if size else None
            say(
                f"growth: {size:,} statements: "
                + ", ".join(f"{k} {v['p50_ms']} ms" for k, v in row["filters"].items())
            )
            rows.append(row)
    return rows
