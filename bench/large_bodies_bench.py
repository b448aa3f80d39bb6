"""One-statement POSTs while maximum-size batches of one credential are in flight on `serve`.

Starts `weare-harness serve` (default flags: 4 worker threads) on a fresh store, sends
`--bodies` batches of 10,000 statements (fewer below 16 MB) padded to just under the server's body limit (16 MiB,
or `--body-mib` if lower), each on its own connection with the same API key, then POSTs one
statement at a time (a fresh connection each, `--gap-ms` apart) until every batch is answered,
and prints the small POSTs' p50, p99 and max. Target: p99 ≤ 200 ms. Bounded: the run stops
after `--max-seconds`.

    .venv/bin/python bench/large_bodies_bench.py [--bodies 4] [--body-mib 16] [--out FILE]

Exit 0 when every request was answered 200, 1 otherwise, 2 when `serve` could not start.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from loads import CLIENT_TIMEOUT_S, make_statement, percentile  # noqa: E402
from targets import Endpoint, WeareTarget  # noqa: E402

from fake_lms.config import LMSConfig  # noqa: E402
from fake_lms.xapi.limits import MAX_BATCH_STATEMENTS  # noqa: E402

OUT = ROOT / "reports" / "bench" / "large_bodies.json"
TARGET_P99_MS = 200.0


def padded_batch(size: int) -> bytes:
    """Typical statements (MAX_BATCH_STATEMENTS, fewer in a small batch) whose result.response
    pads the batch to `size` bytes."""
    batch = [make_statement() for _ in range(min(MAX_BATCH_STATEMENTS, size // 1600 or 1))]
    plain = len(json.dumps(batch))
    pad = max(0, (size - plain) // len(batch) - len(', "response": ""'))
    for statement in batch:
        statement["result"]["response"] = "x" * pad
    body = json.dumps(batch).encode()
    assert len(body) <= size, (len(body), size)
    return body


def post(ep: Endpoint, body: bytes, timeout: float) -> tuple[int | str, float]:
    """Status (or the error's name) and milliseconds of one POST on a fresh connection."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(ep.host, ep.port, timeout=timeout)
    try:
        conn.request("POST", ep.statements_path, body, ep.headers(body=True))
        response = conn.getresponse()
        response.read()
        outcome: int | str = response.status
    except OSError as exc:
        outcome = type(exc).__name__
    finally:
        conn.close()
    return outcome, (time.perf_counter() - started) * 1000


def small_posts(
    ep: Endpoint, gap_ms: float, until: Callable[[int], bool]
) -> list[tuple[int | str, float]]:
    """One-statement POSTs, `gap_ms` apart, until `until(count sent)` is true."""
    done: list[tuple[int | str, float]] = []
    while not until(len(done)):
        done.append(post(ep, json.dumps(make_statement()).encode(), CLIENT_TIMEOUT_S))
        time.sleep(gap_ms / 1000)
    return done


def summary(posts: list[tuple[int | str, float]]) -> dict[str, Any]:
    ms = sorted(lat for _, lat in posts)
    return {
        "requests": len(posts),
        "failures": sum(1 for status, _ in posts if status != 200),
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(ms[-1], 1) if ms else None,
        "over_target": sum(1 for lat in ms if lat > TARGET_P99_MS),
    }


def measure(ep: Endpoint, args: argparse.Namespace, size: int) -> dict[str, Any]:
    alone = small_posts(ep, args.gap_ms, lambda sent: sent >= args.alone)
    bodies = [padded_batch(size) for _ in range(args.bodies)]
    large: list[tuple[int | str, float]] = []

    def send(body: bytes) -> None:
        large.append(post(ep, body, args.max_seconds))

    threads = [threading.Thread(target=send, args=(b,), daemon=True) for b in bodies]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + args.max_seconds
    running = small_posts(
        ep,
        args.gap_ms,
        lambda _: not any(t.is_alive() for t in threads) or time.monotonic() > deadline,
    )
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return {
        "small_posts_alone": summary(alone),
        "small_posts": summary(running),
        "large_bodies": {
            "count": args.bodies,
            "bytes_each": len(bodies[0]),
            "answered": sum(1 for status, _ in large if status == 200),
            "seconds": sorted(round(lat / 1000, 1) for _, lat in large),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=4, help="large batches in flight")
    parser.add_argument("--body-mib", type=float, default=16, help="size of each (MiB)")
    parser.add_argument("--alone", type=int, default=100, help="small POSTs timed first, alone")
    parser.add_argument("--gap-ms", type=float, default=20, help="pause between small POSTs")
    parser.add_argument("--max-seconds", type=float, default=300, help="the whole run's cap")
    parser.add_argument("--out", type=Path, default=OUT, help=f"results file (default {OUT})")
    args = parser.parse_args()
    limit = LMSConfig().max_body_bytes
    size = min(int(args.body_mib * 1024 * 1024), limit) - 1024  # the request line's margin
    try:
        with WeareTarget() as ep:
            print(f"{args.bodies} × {size:,} bytes in flight, one-statement POSTs meanwhile …")
            result = measure(ep, args, size)
    except AssertionError as exc:  # ServeProcess: serve did not start
        print(f"weare-harness serve could not start: {exc}", file=sys.stderr)
        return 2
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    small, large, alone = result["small_posts"], result["large_bodies"], result["small_posts_alone"]
    met = "met" if small["p99_ms"] <= TARGET_P99_MS else "NOT met"
    print(json.dumps(result, indent=2))
    print(
        f"one-statement POST while {args.bodies} × {size / 2**20:.1f} MiB batches are in flight:"
        f" p50 {small['p50_ms']} ms, p99 {small['p99_ms']} ms, max {small['max_ms']} ms"
        f" over {small['requests']} requests -> target p99 ≤ {TARGET_P99_MS:g} ms {met}"
        f" (alone: p50 {alone['p50_ms']} ms, p99 {alone['p99_ms']} ms)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = small["failures"] == 0 == alone["failures"] and large["answered"] == args.bodies
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
