"""How long the CLI takes to start: `--version` and `--help` (best of N), and `serve` until it
answers its first request (GET /xapi/default/about (the default mount) on 127.0.0.1, polled from the moment the process is
spawned; best and median of N starts, each on a fresh store).

    .venv/bin/python bench/startup_bench.py [--runs 10] [--serve-runs 5]

Run from the repository root; the commands are this interpreter's `-m harness`, so the source
tree's packages are the ones timed. Prints each figure next to its goal and writes
reports/bench/startup.json. Exit 0 when every figure meets its goal, 1 otherwise, 2 when `serve`
did not answer within the time allowed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ingest_cpu import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "bench" / "startup.json"
HARNESS = (sys.executable, "-m", "harness")
GOALS_S = {"--version": 0.15, "--help": 0.15, "serve": 0.4}
SERVE_DEADLINE_S = 30.0  # a start slower than this is a failure, not a figure
POLL_S = 0.005


def best_wall(argv: tuple[str, ...], runs: int) -> float:
    """The fastest of `runs` wall-clock times of the command, to its exit."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return min(times)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def serve_first_answer(tmp: Path) -> tuple[float, float] | None:
    """Seconds from spawning `serve` (on a port it picks: its banner's first line names it) to
    its first 200 on /xapi/default/about, and the CPU seconds it had used by then (less
    sensitive to a busy machine); None: not within the deadline, or the process ended."""
    argv = (*HARNESS, "serve", "--port", "0", "--db", str(tmp / "startup.db"))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, "--api-key", "bench:s3cret-startup"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        listening = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if listening is None:
            return None
        url = listening.group(1) + "/xapi/default/about"
        while time.perf_counter() - started < SERVE_DEADLINE_S and proc.poll() is None:
            if _answers(url):
                return time.perf_counter() - started, cpu_seconds(proc.pid)
            time.sleep(POLL_S)
        return None
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of --version and --help")
    parser.add_argument("--serve-runs", type=int, default=5, help="starts of serve")
    parser.add_argument("--out", type=Path, default=OUT, help=f"results file (default {OUT})")
    args = parser.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]
    python = best_wall((sys.executable, "-c", "pass"), args.runs)
    figures: dict[str, Any] = {
        flag: round(best_wall((*HARNESS, flag), args.runs), 3) for flag in ("--version", "--help")
    }
    starts = []
    for n in range(args.serve_runs):
        with tempfile.TemporaryDirectory(prefix=f"bench-startup-{n}-") as tmp:
            start = serve_first_answer(Path(tmp))
        if start is None:
            print(f"serve did not answer within {SERVE_DEADLINE_S:g} s", file=sys.stderr)
            return 2
        starts.append(start)
    figures["serve"] = round(min(wall for wall, _ in starts), 3)
    results = {
        "load_average_before": load_before,
        "python_alone_s": round(python, 3),
        "best_s": figures,
        "serve_median_s": round(statistics.median(wall for wall, _ in starts), 3),
        "serve_cpu_s": round(min(cpu for _, cpu in starts), 3),
        "goals_s": GOALS_S,
    }
    print(f"python -c pass, best of {args.runs}: {python:.3f} s (load average {load_before[0]})")
    for name, seconds in figures.items():
        what = f"serve → first answer, best of {args.serve_runs}" if name == "serve" else name
        verdict = "meets" if seconds <= GOALS_S[name] else "MISSES"
        print(f"{what}: {seconds:.3f} s ({verdict} the goal, ≤ {GOALS_S[name]:g} s)")
    print(
        f"serve → first answer, median: {results['serve_median_s']:.3f} s; "
        f"CPU used by then (least): {results['serve_cpu_s']:.3f} s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all(figures[name] <= GOALS_S[name] for name in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
