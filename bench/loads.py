"""The loads the bench sends to an LRS: batched POSTs, single POSTs, filtered GETs.

Every load is bounded in count and in time (`max_s`): a slow LRS is measured on what it did
within the cap, and the result says it was cut short (`capped`).
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from targets import Endpoint

CLIENT_TIMEOUT_S = 30.0  # a request not answered within this fails

HOME = "https://lms.example.com"
LEARNERS = 20_000  # distinct learners in the generated statements
STORIES = 500  # distinct stories (activities)
PER_SESSION = 5  # statements a learner sends in a row, under one registration
VERBS = [
    "http://adlnet.gov/expapi/verbs/" + v
    for v in ("launched", "initialized", "completed", "passed", "terminated")
]


def actor(learner: int) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": HOME, "name": f"l{learner}"}}


def typical_statement(rng: random.Random, n: int) -> dict[str, Any]:
    """Statement n as We Are sends it: cmi5 context, a story activity, a registration, ids drawn
    from `rng`. Learners take turns: each sends PER_SESSION statements (one session of one story,
    launched to terminated) under one registration."""
    learner = n // PER_SESSION % LEARNERS
    story = (n // PER_SESSION * 7919) % STORIES
    verb = VERBS[n % PER_SESSION]
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": actor(learner),
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {
            "id": f"https://weare.example.com/stories/{story}",
            "objectType": "Activity",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "name": {"en-US": f"Story {story}"},
            },
        },
        "result": {"completion": True, "duration": "PT4M12.5S"},
        "timestamp": "2024-06-05T13:05:36.253Z",
        "context": {
            "registration": str(uuid.UUID(int=(learner << 20) + story, version=4)),
            "contextActivities": {
                "grouping": [{"id": f"https://weare.example.com/publisher/{story}"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
            },
            "extensions": {
                "https://w3id.org/xapi/cmi5/context/extensions/sessionid": str(
                    uuid.UUID(int=rng.getrandbits(128), version=4)
                )
            },
        },
    }


_fresh = random.Random()
_count = itertools.count()


def make_statement() -> dict[str, Any]:
    """The next typical statement of this process, with ids no other call returns."""
    return typical_statement(_fresh, next(_count))


def percentile(sorted_ms: list[float], q: float) -> float:
    """The nearest-rank percentile q (0-100) of sorted latencies."""
    if not sorted_ms:
        return math.nan
    return sorted_ms[max(0, math.ceil(len(sorted_ms) * q / 100) - 1)]


class Client:
    """One keep-alive HTTP connection to an endpoint."""

    def __init__(self, ep: Endpoint, timeout_s: float = CLIENT_TIMEOUT_S) -> None:
        self.ep = ep
        self.conn = http.client.HTTPConnection(ep.host, ep.port, timeout=timeout_s)

    def post(self, body: bytes) -> tuple[int, bytes]:
        self.conn.request("POST", self.ep.statements_path, body, self.ep.headers(body=True))
        response = self.conn.getresponse()
        return response.status, response.read()

    def get(self, query: dict[str, str]) -> tuple[int, bytes]:
        path = self.ep.statements_path + "?" + urlencode(query)
        self.conn.request("GET", path, headers=self.ep.headers(body=False))
        response = self.conn.getresponse()
        return response.status, response.read()

    def get_path(self, path: str) -> tuple[int, bytes]:
        """GET a path of the same server (a `more` link, another resource)."""
        self.conn.request("GET", path, headers=self.ep.headers(body=False))
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


class Failures:
    """Refused or failed requests, counted, with the first one kept to show."""

    def __init__(self) -> None:
        self.count = 0
        self.first: str | None = None
        self._lock = threading.Lock()

    def add(self, what: str) -> None:
        with self._lock:
            self.count += 1
            if self.first is None:
                self.first = what[:300]

    def record(self, status: int, body: bytes) -> None:
        if status != 200:
            self.add(f"{status} {body[:200].decode(errors='replace')}")

    def as_dict(self) -> dict[str, Any]:
        return {"failures": self.count, "first_failure": self.first}


def in_threads(target: Callable[[int], None], count: int) -> float:
    """Run target(0) ... target(count - 1) in `count` threads at once; the wall-clock seconds
    from their start until the last one is done."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def batched(ep: Endpoint, *, clients: int, batches: int, size: int, max_s: float) -> dict:
    """`clients` threads each POST `batches` batches of `size` statements, on one connection each."""
    rng = random.Random()
    bodies = [
        [
            json.dumps(
                [typical_statement(rng, c * batches * size + b * size + i) for i in range(size)]
            )
            for b in range(batches)
        ]
        for c in range(clients)
    ]
    failures = Failures()
    sent = [0] * clients
    deadline = time.monotonic() + max_s

    def run(index: int) -> None:
        client = Client(ep)
        try:
            for body in bodies[index]:
                if time.monotonic() > deadline:
                    break
                failures.record(*client.post(body.encode()))
                sent[index] += size
        except OSError as exc:
            failures.add(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()

    elapsed = in_threads(run, clients)
    total = sum(sent)
    return {
        "clients": clients,
        "batch_size": size,
        "statements": total,
        "seconds": round(elapsed, 3),
        "statements_per_s": round(total / elapsed) if elapsed else 0,
        "capped": total < clients * batches * size,
        **failures.as_dict(),
    }


def _timed(
    requests: list[Any],
    send: Any,
    max_s: float,
    failures: Failures,
    latencies: list[float] | None = None,
) -> dict:
    """The requests sent one after the other; `latencies` (given) receives each one's ms."""
    latencies = [] if latencies is None else latencies
    deadline = time.monotonic() + max_s
    start = time.perf_counter()
    for item in requests:
        if latencies and time.monotonic() > deadline:  # at least one, however slow
            break
        t0 = time.perf_counter()
        try:
            failures.record(*send(item))
        except OSError as exc:
            failures.add(f"{type(exc).__name__}: {exc}")
            break
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "per_s": round(len(latencies) / elapsed) if elapsed else 0,
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
        "capped": len(latencies) < len(requests),
        **failures.as_dict(),
    }


def single(
    ep: Endpoint,
    *,
    count: int,
    max_s: float,
    warmup: int = 50,
    latencies: list[float] | None = None,
    first: int = 0,
) -> dict:
    """`count` single-statement POSTs, one after the other, on one connection (statements
    `first`, `first` + 1, ... of the typical sequence; `latencies`, given, receives each one's ms)."""
    client = Client(ep)
    rng = random.Random()
    try:
        for n in range(warmup):  # not measured
            client.post(json.dumps(typical_statement(rng, first + n)).encode())
        first += warmup
        bodies = [json.dumps(typical_statement(rng, first + n)).encode() for n in range(count)]
        return _timed(bodies, client.post, max_s, Failures(), latencies)
    finally:
        client.close()


def concurrent_singles(ep: Endpoint, *, clients: int, count: int, max_s: float) -> dict:
    """`clients` connections at once, each sending `count` single-statement POSTs one after
    the other (after a warm-up of 20): the rate of all together, p50 and p99 over every POST."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    results: list[dict] = [{} for _ in range(clients)]

    def run(index: int) -> None:
        results[index] = single(
            ep,
            count=count,
            max_s=max_s,
            warmup=20,
            latencies=latencies[index],
            first=index * (count + 20),
        )

    elapsed = in_threads(run, clients)
    every = sorted(itertools.chain.from_iterable(latencies))
    failed = [r for r in results if r.get("failures")]
    return {
        "clients": clients,
        "requests": len(every),
        "seconds": round(elapsed, 3),
        "per_s": round(len(every) / elapsed) if elapsed else 0,
        "p50_ms": round(statistics.median(every), 2) if every else None,
        "p99_ms": round(percentile(every, 99), 2) if every else None,
        "capped": any(r.get("capped") for r in results),
        "failures": sum(r.get("failures", 0) for r in results),
        "first_failure": failed[0]["first_failure"] if failed else None,
    }


def filtered_get(ep: Endpoint, query: dict[str, str], *, count: int, max_s: float) -> dict:
    """`count` GETs of the statements resource with `query` (filters and a limit), after one
    unmeasured GET that also gives the number of statements matched (`matched`)."""
    client = Client(ep)
    try:
        started = time.monotonic()
        status, body = client.get(query)
        matched = len(json.loads(body).get("statements", [])) if status == 200 else None
        left = max_s - (time.monotonic() - started)
        return {**_timed([query] * count, client.get, left, Failures()), "matched": matched}
    except OSError as exc:
        return {
            "requests": 0,
            "p50_ms": None,
            "p99_ms": None,
            "failures": 1,
            "first_failure": f"{type(exc).__name__}: {exc}",
            "capped": True,
        }
    finally:
        client.close()


def agent_query(n: int = 0, limit: int = 10) -> dict[str, str]:
    """`agent=` learner n (PER_SESSION statements of every LEARNERS * PER_SESSION), the filter
    the comparison times."""
    return {"agent": json.dumps(actor(n), separators=(",", ":")), "limit": str(limit)}
