"""Normal request latency while hundreds of idle and slowloris connections hold `serve` open.

Starts `weare-harness serve` on 127.0.0.1, opens `--idle` sockets that never send a byte and
`--slow` sockets that send a request head one byte every `--drip` seconds (never finishing
it), then measures p50/p99 of GET /xapi/default/about and of single-statement POSTs, each on a
fresh connection (the case a connection limit hurts). A request slower than `--timeout` counts
as failed. Bounded: five timeouts in a row end a phase, the whole run ends within 2 minutes.

    .venv/bin/python bench/idle_connections_bench.py [--idle 500] [--slow 500] [-- serve args]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from loads import make_statement

from tests.serve_process import ServeProcess

BENCH_SECONDS = 120  # the whole run, whatever the server does
SLOW_HEAD = b"GET /xapi/default/about HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4096


def raise_fd_limit(needed: int) -> None:
    """Enough file descriptors for every socket here and in the server (it inherits them)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, needed)) if hard != resource.RLIM_INFINITY else max(soft, needed)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def open_sockets(host: str, port: int, count: int, deadline: float) -> list[socket.socket]:
    out = []
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        s = socket.create_connection((host, port), timeout=5)
        out.append(s)
    return out


class Drip:
    """Sends the next byte of an endless request head on every slow socket every `every` s."""

    def __init__(self, sockets: list[socket.socket], every: float) -> None:
        self.sockets = sockets
        self.every = every
        self.sent = [0] * len(sockets)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Drip:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, s in enumerate(self.sockets):
                if self.sent[i] < 0:
                    continue
                try:
                    s.send(SLOW_HEAD[self.sent[i] : self.sent[i] + 1])
                    self.sent[i] = (self.sent[i] + 1) % len(SLOW_HEAD) or 40
                except OSError:
                    self.sent[i] = -1  # the server closed it
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def timed_requests(
    base_url: str, api_key: str, count: int, method: str, timeout: float, deadline: float
) -> tuple[list[float], list[str]]:
    host, _, port = base_url.removeprefix("http://").partition(":")
    headers = {
        "Authorization": "Basic " + base64.b64encode(api_key.encode()).decode(),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    latencies: list[float] = []
    failures: list[str] = []
    for _ in range(count):
        if time.monotonic() > deadline:
            failures.append("bench deadline reached")
            break
        if len(latencies) >= 5 and all(lat >= timeout * 990 for lat in latencies[-5:]):
            failures.append("5 timeouts in a row: gave up")
            break
        body = json.dumps(make_statement()).encode() if method == "POST" else None
        path = "/xapi/default/statements" if method == "POST" else "/xapi/default/about"
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{method} {response.status}")
        except OSError as exc:
            failures.append(f"{method} {type(exc).__name__}")
        finally:
            conn.close()
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies, failures


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    if not ordered:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
        "max_ms": round(ordered[-1], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=500, help="sockets that never send")
    parser.add_argument("--slow", type=int, default=500, help="slowloris sockets")
    parser.add_argument("--drip", type=float, default=3.0, help="seconds between slow bytes")
    parser.add_argument("--requests", type=int, default=200, help="requests per kind measured")
    parser.add_argument("--timeout", type=float, default=5.0, help="per-request timeout (s)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("serve_args", nargs="*", help="extra `serve` arguments, after --")
    args = parser.parse_args()
    raise_fd_limit(2 * (args.idle + args.slow) + 256)
    deadline = time.monotonic() + BENCH_SECONDS
    with (
        tempfile.TemporaryDirectory() as tmp,
        ServeProcess(Path(tmp) / "bench.db", *args.serve_args) as server,
    ):
        host, _, port = server.base_url.removeprefix("http://").partition(":")
        base_lat, _ = timed_requests(server.base_url, server.api_key, 20, "GET", 5, deadline)
        idle = open_sockets(host, int(port), args.idle, deadline)
        slow = open_sockets(host, int(port), args.slow, deadline)
        drip = Drip(slow, args.drip).start()
        time.sleep(args.settle)
        got, fails = timed_requests(
            server.base_url, server.api_key, args.requests, "GET", args.timeout, deadline
        )
        posted, post_fails = timed_requests(
            server.base_url, server.api_key, args.requests, "POST", args.timeout, deadline
        )
        drip.stop()
        idle_closed = sum(_closed_by_server(s) for s in idle)
        slow_closed = sum(_closed_by_server(s) for s in slow)
        for s in idle + slow:
            s.close()
    result = {
        "run": str(uuid.uuid4())[:8],
        "idle": len(idle),
        "slow": len(slow),
        "serve_args": args.serve_args,
        "unloaded_get": summary(base_lat),
        "get_about": {**summary(got), "failures": len(fails), "kinds": sorted(set(fails))},
        "post_statement": {
            **summary(posted),
            "failures": len(post_fails),
            "kinds": sorted(set(post_fails)),
        },
        "idle_closed_by_server": idle_closed,
        "slow_closed_by_server": slow_closed,
    }
    print(json.dumps(result, indent=2))
    ok = not fails and not post_fails
    ok = ok and result["get_about"]["p99_ms"] <= 100 and result["post_statement"]["p99_ms"] <= 100
    print(
        f"{len(idle)} idle + {len(slow)} slowloris connections: GET /about p50 "
        f"{result['get_about']['p50_ms']} ms p99 {result['get_about']['p99_ms']} ms, "
        f"POST statement p50 {result['post_statement']['p50_ms']} ms p99 "
        f"{result['post_statement']['p99_ms']} ms, {len(fails) + len(post_fails)} failures"
        f" -> {'OK' if ok else 'FAILED'} (p99 <= 100 ms)"
    )
    return 0 if ok else 1


def _closed_by_server(s: socket.socket) -> bool:
    """Whether the server has answered (a 408) or closed a socket, without blocking."""
    s.setblocking(False)
    try:
        return s.recv(1) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True


if __name__ == "__main__":
    sys.exit(main())
