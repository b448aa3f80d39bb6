"""`make fuzz`: a long Schemathesis campaign against a live `weare-harness serve`.

Every operation of /api/openapi.json, resource (path) by resource: positive and negative cases
(Hypothesis rounds with fresh seeds) until each resource has had --requests requests (default
10,000; FUZZ_REQUESTS in make), shared among its operations. An operation whose whole input space
is smaller (GET /api/health has one) replays its distinct cases to reach its share. Reports per
resource: requests, distinct generated cases, 5xx, response-schema violations, other check
failures, timeouts, p50/p99/max latency; the server's RSS before, after each resource and at
the end. Writes reports/bench/fuzz_results.json. Exit 0: nothing found; 1: findings (listed with a
reproducer); 2: usage or environment error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import requests

from tests.fuzz_campaign import (
    FUZZ_MOUNT,
    OperationRun,
    load_schema,
    operations,
    percentile,
    prepare,
    run_operation,
    send,
)
from tests.serve_process import ServeProcess

RESPONSE_SCHEMA = "Response violates schema"  # Schemathesis's title for that check
ROUND = 250  # Hypothesis examples per operation, mode and round
OUT = Path(__file__).resolve().parent.parent / "reports" / "bench" / "fuzz_results.json"


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fuzz_operation(
    op, target, session, share: int, timeout: float, deadline: float
) -> OperationRun:
    run = OperationRun(f"{op.method.upper()} {op.path}", op.path, keep_cases=True)
    round_no = 0
    while run.requests < share and time.monotonic() < deadline:
        before = run.requests
        want = min(ROUND, math.ceil((share - run.requests) / 2))
        run_operation(
            op,
            target,
            examples=want,
            session=session,
            timeout=timeout,
            rounds_seed=round_no,
            run=run,
        )
        round_no += 1
        if run.requests - before < want:  # the input space is exhausted: replay what it holds
            break
    distinct = len(run.cases)
    while run.cases and run.requests < share and time.monotonic() < deadline:
        send(run.cases[run.requests % distinct], run, target, session, timeout)
    run.cases = [None] * distinct  # keep the count, drop the cases
    return run


def summarise(runs: list[OperationRun]) -> dict:
    seconds = [s for r in runs for s in r.seconds]
    findings = [f for r in runs for f in r.findings]
    statuses: dict[str, int] = {}
    for r in runs:
        for status, n in r.statuses.items():
            statuses[str(status)] = statuses.get(str(status), 0) + n
    return {
        "requests": sum(r.requests for r in runs),
        "distinct": sum(len(r.cases) for r in runs),
        "5xx": sum(n for s, n in statuses.items() if s.isdigit() and int(s) >= 500),
        "schema_violations": sum(1 for f in findings if f.kind == RESPONSE_SCHEMA),
        "other_findings": sum(
            1 for f in findings if f.kind != RESPONSE_SCHEMA and not f.kind.startswith("Server")
        ),
        "timeouts": statuses.get("timeout", 0),
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 1),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 1),
        "max_ms": round(max(seconds, default=0.0) * 1000, 1),
        "statuses": statuses,
        # refusals of schema-valid data excused as code-only rules (tests/fuzz_refusals.py)
        "excused": dict(sum((r.excused for r in runs), Counter()).most_common()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests per resource")
    parser.add_argument("--only", default="", help="only resources whose path contains this")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a hang")
    parser.add_argument(
        "--max-minutes", type=float, default=90.0, help="stop the campaign after this long"
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"results file (default {OUT})")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.timeout <= 0 or args.max_minutes <= 0:
        print("fuzz: --requests, --timeout and --max-minutes must be positive", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.max_minutes * 60
    with tempfile.TemporaryDirectory() as tmp, ServeProcess(Path(tmp) / "lms.db") as serve:
        assert serve.proc is not None
        target = prepare(serve.base_url, tuple(serve.api_key.split(":", 1)))
        ops = operations(load_schema(target))
        by_path: dict[str, list] = {}
        for op in ops.values():
            if args.only in op.path:
                by_path.setdefault(op.path, []).append(op)
        if not by_path:
            print(f"fuzz: no resource matches {args.only!r}", file=sys.stderr)
            return 2
        rss_start = rss_kib(serve.proc.pid)
        rss_peak = rss_start
        results: dict[str, dict] = {}
        all_runs: list[OperationRun] = []
        started = time.monotonic()
        with requests.Session() as session:
            for path, path_ops in sorted(by_path.items()):
                share = math.ceil(args.requests / len(path_ops))
                t0 = time.monotonic()
                runs = [
                    fuzz_operation(op, target, session, share, args.timeout, deadline)
                    for op in path_ops
                ]
                all_runs += runs
                rss = rss_kib(serve.proc.pid)
                rss_peak = max(rss_peak, rss)
                results[path] = {
                    **summarise(runs),
                    "seconds": round(time.monotonic() - t0, 1),
                    "rss_kib_after": rss,
                    "operations": {r.label: summarise([r]) for r in runs},
                }
                row = results[path]
                print(
                    f"{path:52} {row['requests']:>7} req {row['5xx']:>3} 5xx"
                    f" {row['schema_violations']:>3} schema {row['other_findings']:>3} other"
                    f" {row['timeouts']:>3} hang  p50 {row['p50_ms']:>6} ms  p99 {row['p99_ms']:>7} ms"
                    f"  max {row['max_ms']:>7} ms  RSS {rss / 1024:.0f} MiB",
                    flush=True,
                )
                for label, op_row in row["operations"].items():
                    print(
                        f"  {label:50} {op_row['requests']:>7} req {op_row['5xx']:>3} 5xx"
                        f"  p50 {op_row['p50_ms']:>6} ms  p99 {op_row['p99_ms']:>7} ms"
                        f"  max {op_row['max_ms']:>7} ms",
                        flush=True,
                    )
        mount = requests.get(f"{serve.base_url}/api/mounts", auth=target.api_key, timeout=10).json()
        quirks = next(m["quirks"] for m in mount if m["name"] == FUZZ_MOUNT)
        rss_end = rss_kib(serve.proc.pid)
        alive = serve.proc.poll() is None
    findings = [f for r in all_runs for f in r.findings]
    total = summarise(all_runs)
    report = {
        "requests_per_resource": args.requests,
        "resources": results,
        "total": {**total, "seconds": round(time.monotonic() - started, 1)},
        "rss_kib": {"start": rss_start, "peak": rss_peak, "end": rss_end},
        "server_alive_at_end": alive,
        "fuzzed_mount_quirks_at_end": quirks,
        "findings": [str(f) for f in findings[:200]],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(
        f"\n{total['requests']} requests on {len(results)} resources in"
        f" {report['total']['seconds']} s: {total['5xx']} 5xx, {total['schema_violations']}"
        f" schema violations, {total['other_findings']} other findings, {total['timeouts']}"
        f" hangs; p50 {total['p50_ms']} ms, p99 {total['p99_ms']} ms, max {total['max_ms']} ms;"
        f" server RSS {rss_start / 1024:.0f} -> {rss_end / 1024:.0f} MiB (peak"
        f" {rss_peak / 1024:.0f}); quirks on the fuzzed mount: {quirks or 'none'}"
    )
    excused_total = sum(total["excused"].values())
    print(f"schema-valid requests refused by code-only rules (excused): {excused_total}")
    for section, count in total["excused"].items():
        print(f"  {count:>6}  {section}")
    for finding in findings[:30]:
        print(finding)
    print(f"results: {args.out}")
    return 1 if findings or not alive or quirks else 0


if __name__ == "__main__":
    sys.exit(main())
