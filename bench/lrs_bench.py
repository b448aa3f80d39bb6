"""LRS throughput and latency against `weare-harness serve`, with full validation and SQLite.

Measures: statements/s for POST batches of 50 from 4 concurrent clients, and the rate and p50/p99
latency of single-statement POSTs from one client. Prints a table and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.serve_process import ServeProcess

ACTOR = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.com", "name": "1625378"},
}


def make_statement() -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": ACTOR,
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {
            "id": "https://weare.example.com/stories/42",
            "objectType": "Activity",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "name": {"en-US": "Story 42"},
            },
        },
        "result": {"completion": True, "duration": "PT4M12.5S"},
        "timestamp": "2024-06-05T13:05:36.253062Z",
        "context": {
            "registration": str(uuid.uuid4()),
            "contextActivities": {
                "grouping": [{"id": "https://weare.example.com/publisher/42"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
            },
            "extensions": {
                "https://w3id.org/xapi/cmi5/context/extensions/sessionid": str(uuid.uuid4())
            },
        },
    }


class Client:
    def __init__(self, base_url: str, api_key: str) -> None:
        host_port = base_url.removeprefix("http://")
        host, _, port = host_port.partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.headers = {
            "Authorization": "Basic " + base64.b64encode(api_key.encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }

    def post(self, body: bytes) -> int:
        self.conn.request("POST", "/xapi/default/statements", body=body, headers=self.headers)
        response = self.conn.getresponse()
        response.read()
        return response.status


def batched(server: ServeProcess, clients: int, batches: int, size: int) -> dict:
    bodies = [
        [json.dumps([make_statement() for _ in range(size)]).encode() for _ in range(batches)]
        for _ in range(clients)
    ]
    failures: list[int] = []

    def run(mine: list[bytes]) -> None:
        client = Client(server.base_url, server.api_key)
        for body in mine:
            status = client.post(body)
            if status != 200:
                failures.append(status)

    threads = [threading.Thread(target=run, args=(b,)) for b in bodies]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    total = clients * batches * size
    return {
        "statements": total,
        "seconds": round(elapsed, 3),
        "statements_per_s": round(total / elapsed),
        "failures": len(failures),
    }


def single(server: ServeProcess, count: int) -> dict:
    bodies = [json.dumps(make_statement()).encode() for _ in range(count)]
    client = Client(server.base_url, server.api_key)
    for _ in range(50):  # warm-up, not measured
        client.post(json.dumps(make_statement()).encode())
    latencies = []
    failures = 0
    start = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        failures += client.post(body) != 200
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": count,
        "per_s": round(count / elapsed),
        "failures": failures,
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", type=int, default=100, help="batches per client")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--singles", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None, help="serve --threads")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        ServeProcess(
            Path(tmp) / "bench.db", *(["--threads", str(args.threads)] if args.threads else [])
        ) as server,
    ):
        b = batched(server, args.clients, args.batches, args.batch_size)
        s = single(server, args.singles)
    results = {"batched": b, "single": s}
    print(
        f"batched: {b['statements']} statements in batches of {args.batch_size} from "
        f"{args.clients} clients: {b['statements_per_s']} statements/s ({b['failures']} failures)"
    )
    print(
        f"single:  {s['requests']} POSTs from 1 client: {s['per_s']} requests/s, "
        f"p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms ({s['failures']} failures)"
    )
    Path(__file__).with_name("results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0 if not (b["failures"] or s["failures"]) else 1


if __name__ == "__main__":
    sys.exit(main())
