"""Where ingest time goes: server CPU per statement for POST /statements, batched and single.

On a shared machine, wall-clock rates swing with the other processes' load; the CPU time the
`serve` process spends per statement does not, and it bounds the rate: with the GIL, one core's
worth of Python, so 1,000,000 / (CPU us per statement) is the most a quiet machine can reach.
`--py-spy` also samples the server (py-spy must be installed) and prints the heaviest frames.

    .venv/bin/python bench/ingest_cpu.py [--batches 40] [--singles 500] [--modes ...] [--py-spy]

Writes reports/bench/ingest_cpu.json (not a tracked file).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import loads  # noqa: E402
from targets import serve_endpoint  # noqa: E402

from tests.serve_process import ServeProcess  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
MODES = ("batched", "single", "single-clients")


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process, from /proc (Linux)."""
    return stat_cpu_seconds(Path(f"/proc/{pid}/stat"))


def stat_cpu_seconds(stat: Path) -> float:
    """user + system CPU time in a /proc `stat` file: a process's, or one of its threads'
    (/proc/PID/task/TID/stat)."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def heaviest(raw: Path, top: int) -> list[tuple[str, float]]:
    """Inclusive share of samples per frame of the fake LMS's own code, from py-spy's raw output."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        frames = {f for f in stack.split(";") if "fake_lms" in f or "json" in f or "sqlite" in f}
        for frame in {f.split(":")[0] for f in frames}:
            counts[frame] += int(n)
    return [(frame, round(100 * n / max(total, 1), 1)) for frame, n in counts.most_common(top)]


def measure(mode: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp, ServeProcess(Path(tmp) / "b.db") as server:
        pid = server.proc.pid
        spy = None
        raw = Path(tmp) / "spy.txt"
        if args.py_spy:
            tool = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            spy = subprocess.Popen(
                [tool, "record", "-p", str(pid), "-r", "250", "-f", "raw", "-o", str(raw)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        before = cpu_seconds(pid)
        ep = serve_endpoint(server)
        if mode == "batched":
            result = loads.batched(ep, clients=4, batches=args.batches, size=50, max_s=300)
            count = result["statements"]
        elif mode == "single":
            result = loads.single(ep, count=args.singles, max_s=300, warmup=50)
            count = result["requests"] + 50  # with the 50 of the warm-up
        else:  # single-clients
            result = loads.concurrent_singles(ep, clients=4, count=args.singles, max_s=300)
            count = result["requests"] + 4 * 20  # with each client's warm-up
        time.sleep(0.3)  # the journal writer's last entries
        used = cpu_seconds(pid) - before
        result["server_cpu_s"] = round(used, 3)
        result["server_cpu_us_per_statement"] = round(used / count * 1e6)
        result["cpu_bound_statements_per_s"] = round(count / used) if used else None
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
            if raw.exists():
                result["py_spy_inclusive_percent"] = heaviest(raw, args.top)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="batches of 50 per client (4)")
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--py-spy", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="batches of 50 from 4 clients, single POSTs from 1, single POSTs from 4",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench" / "ingest_cpu.json")
    args = parser.parse_args()
    results = {mode: measure(mode, args) for mode in args.modes}
    for mode, r in results.items():
        print(
            f"{mode}: server CPU {r['server_cpu_us_per_statement']} us per statement"
            f" (CPU-bound rate {r['cpu_bound_statements_per_s']}/s; wall-clock rate"
            f" {r.get('statements_per_s') or r.get('per_s')}/s on this machine now"
            + (f", p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms)" if "p50_ms" in r else ")")
        )
        for frame, share in r.get("py_spy_inclusive_percent", []):
            print(f"   {share:5.1f}% {frame}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
