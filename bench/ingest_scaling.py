"""Would more processes ingest more? N `serve` processes on one store, the load spread over them.

One `serve` runs its Python on one core (the GIL). This starts 1, then 2, ... processes on the
same SQLite file (each on its own port), spreads 4 clients over them (batches of 50, then
single POSTs) and prints the statements/s of all together and how busy each process was (its
CPU seconds over the wall-clock seconds): a process far below 1.0 waited, for SQLite's one write
lock, which every process's write transaction needs.

    .venv/bin/python bench/ingest_scaling.py [--processes 1 2] [--batches 100] [--singles 1500]

Writes reports/bench/ingest_scaling.json (not a tracked file).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ingest_cpu import cpu_seconds
from loads import batched, in_threads, single
from targets import ROOT, serve_endpoint

from harness.console import plural
from tests.serve_process import ServeProcess

CLIENTS = 4


def spread(processes: int, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """One load (`batched` or `single`) from CLIENTS clients over `processes` serve processes."""
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp, ExitStack() as stack:
        db = Path(tmp) / "scaling.db"
        servers = [stack.enter_context(ServeProcess(db)) for _ in range(processes)]
        endpoints = [serve_endpoint(s) for s in servers]
        results: list[dict[str, Any]] = [{} for _ in range(CLIENTS)]

        def client(i: int) -> None:
            ep = endpoints[i % processes]
            if mode == "batched":
                results[i] = batched(ep, clients=1, batches=args.batches, size=50, max_s=120)
            else:
                results[i] = single(ep, count=args.singles, max_s=120, warmup=20)

        before = [cpu_seconds(s.proc.pid) for s in servers]
        elapsed = in_threads(client, CLIENTS)
        busy = [
            round((cpu_seconds(s.proc.pid) - b) / elapsed, 2)
            for s, b in zip(servers, before, strict=True)
        ]
    count = sum(r["statements"] if mode == "batched" else r["requests"] for r in results)
    return {
        "processes": processes,
        "load": mode,
        "per_s": round(count / elapsed),
        "busy": busy,
        "failures": sum(r["failures"] for r in results),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, default=100, help="batches of 50 per client")
    parser.add_argument("--singles", type=int, default=1500, help="single POSTs per client")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "reports" / "bench" / "ingest_scaling.json"
    )
    args = parser.parse_args()
    rows = [spread(n, mode, args) for n in args.processes for mode in ("batched", "single")]
    for r in rows:
        unit = "statements/s" if r["load"] == "batched" else "POSTs/s"
        print(
            f"{plural(r['processes'], 'process', 'processes')}, {r['load']}: {r['per_s']:,} {unit}"
            f" (each process busy {', '.join(map(str, r['busy']))};"
            f" {r['failures']} failed requests)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if any(r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
