"""Acknowledged statements across `kill -9`: none lost, none stored twice.

Runs `--cycles` rounds against one SQLite file: start `weare-harness serve`, post statements
(single and batches of 10) from `--clients` threads for a random 0.3–1.5 s, then SIGKILL the
server mid-load. A statement is acknowledged when its POST answered 200; one whose POST got no
answer is in doubt, and its client posts it again (same id) in the next round, as a real client
would. At the end every acknowledged id must be stored exactly once; `PRAGMA integrity_check`
must say ok. Bounded: each round stops after 1.5 s of load, the run after `--cycles` rounds.

    .venv/bin/python bench/kill9_bench.py [--cycles 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from loads import make_statement

from tests.serve_process import ServeProcess


class Poster(threading.Thread):
    """One client: posts until told to stop or the server dies; remembers what it was told."""

    def __init__(self, base_url: str, api_key: str, retry: list[list[dict]], stop: threading.Event):
        super().__init__(daemon=True)
        host, _, port = base_url.removeprefix("http://").partition(":")
        self.address = (host, int(port))
        self.headers = {
            "Authorization": "Basic " + base64.b64encode(api_key.encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }
        self.todo = retry  # batches in doubt from the last round go first
        self.stop = stop
        self.acked: list[str] = []
        self.doubtful: list[list[dict]] = []
        self.refused: Counter[int] = Counter()

    def run(self) -> None:
        conn = http.client.HTTPConnection(*self.address, timeout=10)
        while not self.stop.is_set():
            batch = self.todo.pop() if self.todo else self._new_batch()
            body = json.dumps(batch[0] if len(batch) == 1 else batch).encode()
            try:
                conn.request("POST", "/xapi/default/statements", body=body, headers=self.headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                self.doubtful.append(batch)  # killed before answering: stored or not
                self.doubtful.extend(self.todo)
                return
            if response.status == 200:
                self.acked.extend(s["id"] for s in batch)
            else:
                self.refused[response.status] += 1
        self.doubtful.extend(self.todo)

    @staticmethod
    def _new_batch() -> list[dict]:
        return [make_statement() for _ in range(10 if random.random() < 0.3 else 1)]


def stored_ids(server: ServeProcess) -> list[str]:
    """Every stored statement id of the default mount, all pages of the admin API."""
    client = server.client()
    ids: list[str] = []
    after = 0
    for _ in range(10_000):  # pages of 5,000: far more than a run stores
        page = client.get(
            server.base_url + "/api/mounts/default/statements",
            params={"after": after, "limit": 5000},
            timeout=30,
        ).json()
        ids += [s["id"] for s in page["statements"]]
        if not page["more"]:
            break
        after = page["next_after"]
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    rng = random.Random(args.seed)
    acked: list[str] = []
    retries: list[list[list[dict]]] = [[] for _ in range(args.clients)]
    refused: Counter[int] = Counter()
    kills = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kill9.db"
        for _ in range(args.cycles):
            with ServeProcess(db) as server:
                stop = threading.Event()
                posters = [
                    Poster(server.base_url, server.api_key, retries[i], stop)
                    for i in range(args.clients)
                ]
                for p in posters:
                    p.start()
                time.sleep(rng.uniform(0.3, 1.5))
                server.kill()  # SIGKILL while the clients post
                kills += 1
                stop.set()
                for p in posters:
                    p.join(timeout=15)
                for i, p in enumerate(posters):
                    acked += p.acked
                    retries[i] = p.doubtful
                    refused.update(p.refused)
        doubtful = [s["id"] for per_client in retries for b in per_client for s in b]
        with ServeProcess(db) as server:
            ids = stored_ids(server)
            server.terminate()
        integrity = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    counts = Counter(ids)
    lost = [i for i in set(acked) if counts[i] == 0]
    duplicated = [i for i, n in counts.items() if n > 1]
    result = {
        "cycles": kills,
        "clients": args.clients,
        "acknowledged": len(set(acked)),
        "acknowledged_twice": len(acked) - len(set(acked)),
        "in_doubt_at_end": len(doubtful),
        "stored": len(ids),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "refused": dict(refused),
        "integrity_check": integrity,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(result, indent=2))
    ok = not lost and not duplicated and integrity == "ok" and not refused
    print(
        f"{kills} kill -9 cycles, {args.clients} clients: {result['acknowledged']} statements "
        f"acknowledged, {len(lost)} lost, {len(duplicated)} duplicated, integrity {integrity}"
        f" -> {'OK' if ok else 'FAILED'} (load average, 1 min: before {load_before:g},"
        f" after {os.getloadavg()[0]:.2f})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
