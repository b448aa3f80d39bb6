"""Filtered GET latency as the store grows, and bytes stored per statement.

Seeds a store with N typical statements (loads.typical_statement, through
statement_store.bulk_seed: no HTTP, one transaction per chunk) and 20 probe statements in the
middle, starts `weare-harness serve` on it, and times GET /statements with limit=10 for each
xAPI filter (xAPI-C §2.1.3) over real HTTP on loopback, and the store's query alone. Then POSTs
statements through the LRS (journal on) into a fresh store and divides the file size by their
count. `growth()` is also the growth table of `make bench` (bench/lrs_bench.py).

    .venv/bin/python bench/store_growth.py --sizes 0 100000 1000000

Writes reports/bench/store_growth.json (not a tracked file).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from loads import HOME, VERBS, Client, percentile, typical_statement  # noqa: E402
from targets import serve_endpoint  # noqa: E402

from fake_lms.db import Database  # noqa: E402
from fake_lms.xapi import statement_store  # noqa: E402
from fake_lms.xapi.validation import agent_ifi, parse_timestamp  # noqa: E402
from tests.serve_process import ServeProcess  # noqa: E402

SIZES = (0, 100_000, 1_000_000)
# The probes: one learner, one story, one registration, all stored once in the middle.
PROBE_ACTOR = {"objectType": "Agent", "account": {"homePage": HOME, "name": "probe-learner"}}
PROBE_ACTIVITY = "https://weare.example.com/stories/probe"
PROBE_REGISTRATION = "6b7c1d2e-0000-4000-8000-00000000beef"
PROBES = 20


def small_statement() -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:learner@example.com"},
        "verb": {"id": VERBS[2]},
        "object": {"id": "https://weare.example.com/stories/1"},
    }


def probe_statements() -> list[dict[str, Any]]:
    """PROBES statements of the probe learner on the probe story: what every filter finds."""
    rng = random.Random(7)
    out = []
    for n in range(PROBES):
        s = typical_statement(rng, n)
        s["actor"] = PROBE_ACTOR
        s["object"]["id"] = PROBE_ACTIVITY
        s["context"]["registration"] = PROBE_REGISTRATION
        out.append(s)
    return out


def seed(path: Path, count: int) -> float:
    """Fill `path` with `count` statements, the probes in the middle; the seconds it took."""
    db = Database(path)
    rng = random.Random(count)
    start = time.perf_counter()
    chunk = 5000
    half = count // 2
    done = 0
    while done < half:
        n = min(chunk, half - done)
        statement_store.bulk_seed(
            db, "default", [typical_statement(rng, done + i) for i in range(n)]
        )
        done += n
    time.sleep(0.002)  # the probes get a stored time of their own
    statement_store.bulk_seed(db, "default", probe_statements())
    time.sleep(0.002)
    while done < count:
        n = min(chunk, count - done)
        statement_store.bulk_seed(
            db, "default", [typical_statement(rng, done + i) for i in range(n)]
        )
        done += n
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def probe_window(path: Path) -> tuple[int, int]:
    """(since_us, until_us) that select the probes' stored time and what follows or precedes."""
    conn = sqlite3.connect(path)
    low, high = conn.execute(
        "SELECT MIN(stored_us), MAX(stored_us) FROM statements WHERE registration = ?",
        (PROBE_REGISTRATION,),
    ).fetchone()
    conn.close()
    return low - 1, high


def time_store_queries(path: Path, since_us: int, until_us: int, repeat: int) -> dict:
    """p50 of statement_store.query itself (no HTTP): the part that must not grow."""
    db = Database(path)
    out = {}
    try:
        for name, params in filters(since_us, until_us).items():
            f = _as_filters(params)
            times = []
            for _ in range(repeat + 1):
                t0 = time.perf_counter()
                statement_store.query(db, "default", f, limit=10, after_seq=None, snapshot=None)
                times.append((time.perf_counter() - t0) * 1000)
            out[name] = round(statistics.median(sorted(times[1:])), 3)
    finally:
        db.close()
    return out


def _as_filters(params: dict[str, str]) -> statement_store.Filters:
    f = statement_store.Filters()
    if "agent" in params:
        f.agent = agent_ifi(json.loads(params["agent"]))
    f.verb = params.get("verb")
    f.activity = params.get("activity")
    f.registration = params.get("registration")
    f.related_agents = params.get("related_agents") == "true"
    f.related_activities = params.get("related_activities") == "true"
    f.ascending = params.get("ascending") == "true"
    for name in ("since", "until"):
        if name in params:
            when = parse_timestamp(params[name])
            setattr(f, f"{name}_us", int(when.timestamp() * 1_000_000))
    return f


def iso(us: int) -> str:
    return statement_store.iso_us(us)


def filters(since_us: int, until_us: int) -> dict[str, dict[str, str]]:
    agent = json.dumps(PROBE_ACTOR)
    return {
        "none": {},
        "agent": {"agent": agent},
        "agent+related_agents": {"agent": agent, "related_agents": "true"},
        "verb": {"verb": VERBS[2]},
        "activity": {"activity": PROBE_ACTIVITY},
        "activity+related_activities": {
            "activity": PROBE_ACTIVITY,
            "related_activities": "true",
        },
        "registration": {"registration": PROBE_REGISTRATION},
        "since": {"since": iso(since_us)},
        "until": {"until": iso(until_us)},
        "since+ascending": {"since": iso(since_us), "ascending": "true"},
        "until+ascending": {"until": iso(until_us), "ascending": "true"},
        "agent+verb": {"agent": agent, "verb": VERBS[2]},
        "agent+ascending": {"agent": agent, "ascending": "true"},
    }


def _page(answer: tuple[int, bytes]) -> tuple[int, dict]:
    status, body = answer
    return status, json.loads(body) if status == 200 else {}


def time_filters(
    server: ServeProcess, since_us: int, until_us: int, repeat: int, max_s: float = 10.0
) -> dict:
    """Each filter's GET with limit=10: `repeat` timed after one warm-up, within `max_s` (at
    least one), then its `more` page once. A request not answered 200 counts as a failure."""
    out = {}
    for name, params in filters(since_us, until_us).items():
        out[name] = _time_filter(Client(serve_endpoint(server)), params, repeat, max_s)
    return out


def _time_filter(client: Client, params: dict[str, str], repeat: int, max_s: float) -> dict:
    times: list[float] = []
    statuses: list[int] = []
    page: dict = {}
    more_ms = raised = None
    deadline = time.monotonic() + max_s
    query = {**params, "limit": "10"}
    try:
        status, page = _page(client.get(query))  # warm-up; also the page followed below
        statuses.append(status)
        for _ in range(repeat):
            if times and time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            status, page = _page(client.get(query))
            times.append((time.perf_counter() - t0) * 1000)
            statuses.append(status)
        if page.get("more"):
            t0 = time.perf_counter()
            statuses.append(client.get_path(page["more"])[0])
            more_ms = round((time.perf_counter() - t0) * 1000, 2)
    except OSError as exc:
        raised = f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    failed = [f"status {s}" for s in statuses if s != 200] + ([raised] if raised else [])
    times.sort()
    return {
        "status": statuses[-1] if statuses else None,
        "returned": len(page.get("statements", [])),
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 2) if times else None,
        "p99_ms": round(percentile(times, 99), 2) if times else None,
        "more_ms": more_ms,
        "failures": len(failed),
        "first_failure": failed[0] if failed else None,
    }


def growth(
    sizes: Iterable[int],
    tmp: Path,
    *,
    repeat: int = 50,
    max_s: float = 10.0,
    reuse: bool = False,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """One row per size: a store of that many typical statements (and the probes) in
    `tmp/growth-N.db`, seeded unless `reuse` finds it there, each filter's HTTP timing and its
    store query's p50 (`store_p50_ms`), and the store's bytes per statement."""
    rows = []
    for size in sizes:
        path = tmp / f"growth-{size}.db"
        seconds = None
        if not (reuse and path.exists()):
            path.unlink(missing_ok=True)
            say(f"growth: seeding {size:,} statements")
            seconds = round(seed(path, size), 1)
            say(f"growth: seeded {size:,} statements in {seconds} s")
        since_us, until_us = probe_window(path)
        in_store = time_store_queries(path, since_us, until_us, repeat)
        with ServeProcess(path) as server:
            timed = time_filters(server, since_us, until_us, repeat, max_s)
        for name, r in timed.items():
            r["store_p50_ms"] = in_store[name]
            say(
                f"  {size:>8} {name:<28} HTTP p50 {r['p50_ms']!s:>7} ms  p99 {r['p99_ms']!s:>7} ms"
                f"  more {r['more_ms']} ms  store p50 {r['store_p50_ms']} ms"
                f"  ({r['returned']} returned)"
            )
        store_bytes = sum(p.stat().st_size for p in tmp.glob(f"growth-{size}.db*"))
        rows.append(
            {
                "statements": size,
                "stored": size + PROBES,
                "seed_seconds": seconds,
                "filters": timed,
                "store_bytes": store_bytes,
                # no journal: the statements were seeded, not POSTed
                "bytes_per_statement": round(store_bytes / (size + PROBES)) if size else None,
            }
        )
    return rows


def bytes_per_statement(tmp: Path, kind: str, statements: int, batch: int) -> dict:
    """POST `statements` through the LRS (journal on) into a fresh store: file size / count."""
    path = tmp / f"bytes-{kind}-{batch}.db"
    make = small_statement if kind == "small" else None
    rng = random.Random(1)
    with ServeProcess(path) as server:
        client = Client(serve_endpoint(server))
        json_bytes = 0
        for n in range(0, statements, batch):
            items = [
                make() if make else typical_statement(rng, n + i)
                for i in range(min(batch, statements - n))
            ]
            json_bytes += sum(len(json.dumps(s, separators=(",", ":"))) for s in items)
            body = json.dumps(items if batch > 1 else items[0]).encode()
            assert client.post(body)[0] == 200
        client.get({"limit": "1"})  # the journal is flushed before a read of it
        client.get_path("/admin/mounts/default/journal?limit=1")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    empty = _empty_store_bytes(tmp)
    as_stored = sum(
        len(json.dumps(statement_store.load(r[0]), separators=(",", ":")))
        for r in conn.execute("SELECT statement FROM statements")
    )
    conn.close()
    stored = (pages * size - empty) / statements
    return {
        "statement": kind,
        "per_post": batch,
        "statements": statements,
        "json_bytes_per_statement": round(json_bytes / statements),
        "stored_bytes_per_statement": round(stored),
        "ratio": round(stored / (json_bytes / statements), 2),
        # the statement as GET returns it: with id, stored, authority and version added
        "stored_json_bytes_per_statement": round(as_stored / statements),
        "ratio_to_stored_json": round(stored / (as_stored / statements), 2),
    }


def _empty_store_bytes(tmp: Path) -> int:
    path = tmp / "empty.db"
    Database(path).close()
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return pages * size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=50, help="timed GETs per filter")
    parser.add_argument("--bytes-statements", type=int, default=2000)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "reports" / "bench" / "store_growth.json"
    )
    parser.add_argument("--keep", type=Path, default=None, help="a directory to keep stores in")
    parser.add_argument(
        "--reuse", action="store_true", help="time the stores already in --keep, do not seed"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {"growth": [], "bytes": []}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = args.keep or Path(tmpdir)
        tmp.mkdir(parents=True, exist_ok=True)
        say = partial(print, flush=True)
        results["growth"] = growth(args.sizes, tmp, repeat=args.repeat, reuse=args.reuse, say=say)
        for kind, batch in (("small", 1), ("typical", 1), ("small", 50), ("typical", 50)):
            r = bytes_per_statement(tmp, kind, args.bytes_statements, batch)
            results["bytes"].append(r)
            print(
                f"bytes: {kind} statement, {batch} per POST: {r['stored_bytes_per_statement']} B"
                f" stored for {r['json_bytes_per_statement']} B of JSON sent (x{r['ratio']}),"
                f" {r['stored_json_bytes_per_statement']} B as GET returns it"
                f" (x{r['ratio_to_stored_json']})",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
