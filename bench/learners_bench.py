"""Learners per second with `weare-harness load`, against `serve` and, side by side, Ralph.

    .venv/bin/python bench/learners_bench.py [--users 20] [--seconds 15] [--no-ralph]

Three loads, each on a fresh store, one after the other, each `--seconds` long with `--users`
learners at once (Locust in one process, on this machine):
1. cmi5-full learners against `serve` (a launch made through the admin API, the fetch URL,
   LaunchData, the learner preferences, then initialized, completed and terminated: 7 requests
   and 3 statements per learner, judged by the cmi5 rules in enforce mode);
2. weare-documented learners against `serve`'s xAPI endpoint with an API key (one Completed
   statement per learner, as We Are sends with a configured API URL and key);
3. the same weare-documented learners against Ralph 5.1.0 (bench/targets.py), the only load
   both LRSs can take: Ralph is no cmi5 LMS.
Each ends with `load`'s own loss check (every acknowledged statement read back). Prints
learners/s, requests/s, p50, p99 and lost for each, the ratio of 2 to 3 and the load average;
and the load generator's own CPU per learner (it shares the cores with the server); writes
reports/bench/learners.json. Exit 1 when a load lost a statement or failed a request.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from targets import API_KEY, ROOT, RalphError, RalphTarget, WeareTarget, ralph_installed

OUT = ROOT / "reports" / "bench" / "learners.json"
WEARE = str(ROOT / ".venv" / "bin" / "weare-harness")


def load(target: list[str], users: int, seconds: int) -> dict[str, Any]:
    """`weare-harness load` with `target` (--lms URL or --endpoint URL), its --json summary."""
    with tempfile.TemporaryDirectory(prefix="bench-learners-") as folder:
        cmd = [
            WEARE,
            "load",
            *target,
            *("--api-key", API_KEY, "--users", str(users), "--duration", str(seconds)),
            *("--yes", "--json", "--report-dir", folder),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 180)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        summary: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        return {"error": (done.stderr or done.stdout).strip()[-400:] or f"exit {done.returncode}"}
    # The load generator's own CPU (Locust, the clients, the loss check), on the same cores
    client_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    completed = summary.get("learners_completed") or 0
    summary["client_cpu_ms_per_learner"] = (
        round(1000 * client_s / completed, 2) if completed else None
    )
    summary["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return summary


def failed(row: dict[str, Any]) -> bool:
    return bool(row.get("error") or row.get("lost") or row.get("requests_failed"))


ROWS = (
    ("cmi5-full", "weare-harness", "cmi5-full learners, serve (7 requests each)"),
    ("documented", "weare-harness", "weare-documented learners, serve's endpoint (1 each)"),
    ("documented", "Ralph", "weare-documented learners, Ralph's endpoint (1 each)"),
)


def table(results: dict[str, Any]) -> str:
    head = (
        f"{'':54} {'learners/s':>10} {'requests/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'lost':>5}"
        f" {'client CPU ms/learner':>22}"
    )
    lines = [head]
    for key, target, label in ROWS:
        row = results["loads"].get(f"{key}@{target}")
        if row is None:
            continue
        if "skipped" in row or "error" in row:
            lines.append(f"{label:54} {row.get('skipped') or row.get('error')}")
            continue
        lines.append(
            f"{label:54} {row['learners_per_s']:>10,.1f} {row['requests_per_s']:>10,.1f}"
            f" {row['p50_ms'] or 0:>7g} {row['p99_ms'] or 0:>7g} {row['lost']:>5}"
            f" {row['client_cpu_ms_per_learner'] or 0:>22g}"
        )
    ratio = results.get("ratio_documented")
    if ratio:
        lines.append(f"weare-documented learners/s, weare-harness ÷ Ralph: {ratio}×")
    loads = [f"before {results['load_average_before'][0]:g}"] + [
        f"after {name} {row['load_average_after'][0]:g}"
        for name, row in results["loads"].items()
        if "load_average_after" in row
    ]
    lines.append(f"load average (1 min, {os.cpu_count()} CPUs): " + ", ".join(loads))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="learners at once (default 20)")
    parser.add_argument("--seconds", type=int, default=15, help="seconds of each load")
    parser.add_argument("--no-ralph", action="store_true", help="measure weare-harness alone")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "users": args.users,
        "seconds": args.seconds,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "loads": {},
    }
    loads = results["loads"]
    target = WeareTarget()
    with target:
        base = target.server.base_url
        print("weare-harness: cmi5-full learners …", flush=True)
        loads["cmi5-full@weare-harness"] = load(["--lms", base], args.users, args.seconds)
    target = WeareTarget("--no-story")
    with target:
        endpoint = f"{target.server.base_url}/xapi/default/"
        print("weare-harness: weare-documented learners …", flush=True)
        loads["documented@weare-harness"] = load(["--endpoint", endpoint], args.users, args.seconds)
    why_not = "--no-ralph" if args.no_ralph else ralph_installed()
    if why_not:
        loads["documented@Ralph"] = {"skipped": f"Ralph: {why_not}"}
    else:
        try:
            with RalphTarget() as ralph:
                print("Ralph: weare-documented learners …", flush=True)
                endpoint = f"http://{ralph.host}:{ralph.port}/xAPI/"
                loads["documented@Ralph"] = load(["--endpoint", endpoint], args.users, args.seconds)
        except RalphError as exc:
            loads["documented@Ralph"] = {"skipped": f"Ralph did not start: {exc}"}
    ours, theirs = loads["documented@weare-harness"], loads["documented@Ralph"]
    if ours.get("learners_per_s") and theirs.get("learners_per_s"):
        results["ratio_documented"] = round(ours["learners_per_s"] / theirs["learners_per_s"], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"results: {args.out}")
    return 1 if any(failed(row) for row in loads.values() if "skipped" not in row) else 0


if __name__ == "__main__":
    sys.exit(main())
