"""Where `serve`'s CPU goes, per resource and per thread, under a load of cmi5 learners or of
single POSTs: the part of each figure of the benchmark page that the server itself sets.

    .venv/bin/python bench/request_cost.py [--load learners|singles] [--users 20] [--seconds 15]

Starts `serve` through this file, with one WSGI layer around the fake LMS that adds the CPU
clock of the serving thread (`time.thread_time`) to the request's resource (method and path,
with mount, token and launch ids folded). Then it sends the load: `weare-harness load` with
cmi5-full learners (a launch, the fetch URL, LaunchData, the learner preferences, three
statements; then the loss check's GETs), or 4 clients of single POSTs with an API key. The CPU
of each of the server's threads (from /proc, user + system) is read before and after the load:
the request threads, waitress's main thread (accept, read, parse, hand-off, write), the
journal writer and the rest. Nothing is profiled, so the figures are those of a plain `serve`
plus the few microseconds of the layer.

Prints, per resource: requests, request-thread CPU per request and its share; then each thread
group's CPU per request and per learner, and the rate one core could serve at that cost; then
the store's write lock per write transaction: how long it was waited for and held, and how much
of the holding was the holder's own CPU (the rest it waited, mostly for the GIL).
Writes reports/bench/request_cost.json. Exit 1 when a request failed, 2 when serve did not start.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "bench" / "request_cost.json"
OUT_ENV = "REQUEST_COST_DIR"
# (pattern, replacement): ids folded so that each resource is one line
FOLDS = (
    (re.compile(r"^/xapi/[^/]+/+"), "/xapi/M/"),
    (re.compile(r"^/fetch/.*"), "/fetch/T"),
    (re.compile(r"^/api/launches/.+"), "/api/launches/X"),
)


def resource(method: str, path: str) -> str:
    """A request's resource: its method and its path with ids folded."""
    for pattern, replacement in FOLDS:
        path = pattern.sub(replacement, path)
    return f"{method} {path}"


def _serve_measured(argv: list[str]) -> int:
    """The CLI, with the fake LMS's app wrapped in a layer adding each request's thread CPU to
    its resource; the sums are written when the process exits."""
    sys.path.insert(0, str(ROOT))
    import atexit

    import fake_lms
    import harness.cli.serve as serve_cli
    from fake_lms.db import Database

    costs: dict[str, list[float]] = {}
    lock = threading.Lock()
    real_create_app: Callable[..., Any] = fake_lms.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = real_create_app(*args, **kwargs)
        inner = app.wsgi_app

        def measured(environ: dict[str, Any], start_response: Any) -> Any:
            began = time.thread_time()
            try:
                return inner(environ, start_response)
            finally:
                used = time.thread_time() - began
                key = resource(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
                with lock:
                    cost = costs.setdefault(key, [0, 0.0])
                    cost[0] += 1
                    cost[1] += used

        app.wsgi_app = measured
        return app

    serve_cli.create_app = create_app  # type: ignore[attr-defined]
    out = Path(os.environ[OUT_ENV])
    lock_times: list[tuple[float, float, float]] = []  # (waited, held, holder's CPU) per write
    real_write = Database.write

    @contextmanager
    def write(self: Database) -> Iterator[Any]:
        asked = time.perf_counter()
        with real_write(self) as conn:
            got, cpu = time.perf_counter(), time.thread_time()
            try:
                yield conn
            finally:
                lock_times.append(
                    (got - asked, time.perf_counter() - got, time.thread_time() - cpu)
                )

    Database.write = write  # type: ignore[method-assign,assignment]

    def names() -> None:  # which native thread is which, for the parent's /proc reading
        while True:
            table = {t.native_id: t.name for t in threading.enumerate()}
            (out / "threads.json").write_text(json.dumps(table))
            time.sleep(0.5)

    threading.Thread(target=names, daemon=True).start()
    atexit.register(lambda: (out / "costs.json").write_text(json.dumps(costs)))
    atexit.register(lambda: (out / "lock.json").write_text(json.dumps(lock_times)))
    from harness.cli import main

    return main(argv)


def thread_cpu(pid: int) -> dict[int, float]:
    """Each thread's user + system CPU seconds, from /proc."""
    from ingest_cpu import stat_cpu_seconds

    out: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            out[int(tid)] = stat_cpu_seconds(Path(f"/proc/{pid}/task/{tid}/stat"))
        except OSError:  # (a thread that ended meanwhile)
            continue
    return out


def group(name: str, pid_is_main: bool) -> str:
    if pid_is_main:
        return "waitress main thread (accept, read, parse, write)"
    if name.startswith("waitress-large"):
        return "large-body request threads"
    if name.startswith("waitress"):
        return "request threads"
    if name == "journal-writer":
        return "journal writer"
    return "other threads (story and content servers, timers)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", choices=("learners", "singles"), default="learners")
    parser.add_argument("--users", type=int, default=20, help="learners at once (learners)")
    parser.add_argument("--seconds", type=int, default=15, help="seconds of load (learners)")
    parser.add_argument("--singles", type=int, default=2000, help="POSTs per client (singles)")
    parser.add_argument("--threads", type=int, help="serve's --threads (default: serve's own)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import loads
    from learners_bench import load as learners_load
    from targets import API_KEY, serve_endpoint

    from tests.serve_process import ServeProcess

    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        folder = Path(tmp)
        extra = () if args.load == "learners" else ("--no-story",)
        if args.threads:
            extra += ("--threads", str(args.threads))
        server = ServeProcess(
            folder / "cost.db",
            *extra,
            api_key=API_KEY,
            command=(sys.executable, __file__),
            env={**os.environ, OUT_ENV: str(folder)},
        )
        try:
            server.start()
        except AssertionError as exc:
            print(f"request_cost: serve did not start: {exc}", file=sys.stderr)
            return 2
        assert server.proc is not None
        pid = server.proc.pid
        load_avg_before = [round(x, 2) for x in os.getloadavg()]
        try:
            before = thread_cpu(pid)
            began = time.monotonic()
            if args.load == "learners":
                result = learners_load(["--lms", server.base_url], args.users, args.seconds)
            else:
                result = loads.concurrent_singles(
                    serve_endpoint(server), clients=4, count=args.singles, max_s=120
                )
            time.sleep(0.5)  # the journal writer's last entries
            after = thread_cpu(pid)
            wall = time.monotonic() - began
        finally:
            server.terminate()
        names = {int(k): v for k, v in json.loads((folder / "threads.json").read_text()).items()}
        costs = json.loads((folder / "costs.json").read_text())
        lock = json.loads((folder / "lock.json").read_text())
    load_avg_after = [round(x, 2) for x in os.getloadavg()]

    requests = sum(int(n) for n, _ in costs.values())
    learners = result.get("learners_completed") if args.load == "learners" else None
    threads: dict[str, float] = {}
    for tid, cpu in after.items():
        used = cpu - before.get(tid, 0.0)
        key = group(names.get(tid, ""), tid == pid)
        threads[key] = threads.get(key, 0.0) + used
    total = sum(threads.values())
    report = {
        "load": args.load,
        "threads": args.threads,
        "load_average": {"before": load_avg_before, "after": load_avg_after},
        "seconds": round(wall, 2),
        "requests": requests,
        "learners_completed": learners,
        "server_cpu_s": round(total, 2),
        "server_cpu_ms_per_request": round(1000 * total / max(requests, 1), 3),
        "resources": {
            key: {
                "requests": int(n),
                "thread_cpu_ms_each": round(1000 * cpu / max(n, 1), 3),
                "share_of_request_threads": round(
                    100 * cpu / max(sum(c for _, c in costs.values()), 1e-9), 1
                ),
            }
            for key, (n, cpu) in sorted(costs.items(), key=lambda kv: -kv[1][1])
        },
        "threads_cpu_ms_per_request": {
            key: round(1000 * cpu / max(requests, 1), 3)
            for key, cpu in sorted(threads.items(), key=lambda kv: -kv[1])
        },
        "write_lock": lock_summary(lock),
        "result": result,
    }
    if learners:
        report["server_cpu_ms_per_learner"] = round(1000 * total / learners, 2)
        report["learners_per_s_one_core_could_serve"] = round(learners / total, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(text(report))
    failed = (
        result.get("error")
        or result.get("requests_failed")
        or result.get("failures")
        or result.get("lost")
    )
    return 1 if failed else 0


def lock_summary(times: list[list[float]]) -> dict[str, Any]:
    """The store's write lock per write transaction: waited for, held, and the holder's own CPU
    while it held it (the rest of the time held, it waited: for the GIL, or for I/O)."""
    if not times:
        return {"writes": 0}

    def p50_ms(values: list[float]) -> float:
        return round(1000 * sorted(values)[len(values) // 2], 3)

    def mean_ms(values: list[float]) -> float:
        return round(1000 * sum(values) / len(values), 3)

    waited, held, cpu = ([t[i] for t in times] for i in range(3))
    return {
        "writes": len(times),
        "waited_ms": {"mean": mean_ms(waited), "p50": p50_ms(waited)},
        "held_ms": {"mean": mean_ms(held), "p50": p50_ms(held)},
        "holder_cpu_ms": {"mean": mean_ms(cpu), "p50": p50_ms(cpu)},
    }


def text(report: dict[str, Any]) -> str:
    """The report as the terminal shows it."""
    got = report["result"]
    rate = (
        f"{got.get('learners_per_s')} learners/s"
        if report["load"] == "learners"
        else f"{got.get('per_s')} POSTs/s"
    )
    lines = [
        f"load: {report['load']} ({rate}, p50 {got.get('p50_ms')} ms, p99 {got.get('p99_ms')} ms),"
        f" {report['requests']} requests in {report['seconds']} s"
        + (
            f", {report['learners_completed']} learners completed"
            if report["learners_completed"]
            else ""
        ),
        f"load average (1 min) before {report['load_average']['before'][0]:g},"
        f" after {report['load_average']['after'][0]:g}",
        f"{'resource':44} {'requests':>9} {'CPU ms each':>12} {'share':>7}",
    ]
    for key, row in report["resources"].items():
        lines.append(
            f"{key:44} {row['requests']:>9,} {row['thread_cpu_ms_each']:>12.3f}"
            f" {row['share_of_request_threads']:>6.1f}%"
        )
    lines.append(
        f"server CPU per request, by thread ({report['server_cpu_ms_per_request']} ms in all):"
    )
    for key, ms in report["threads_cpu_ms_per_request"].items():
        lines.append(f"  {key:60} {ms:8.3f} ms")
    lock = report["write_lock"]
    if lock["writes"]:
        lines.append(
            f"the store's write lock, {lock['writes']} writes: held {lock['held_ms']['mean']} ms"
            f" (mean) for {lock['holder_cpu_ms']['mean']} ms of the holder's CPU; waited for"
            f" {lock['waited_ms']['mean']} ms"
        )
    if "server_cpu_ms_per_learner" in report:
        lines.append(
            f"server CPU per completed learner: {report['server_cpu_ms_per_learner']} ms"
            f" (one core's worth: {report['learners_per_s_one_core_could_serve']} learners/s)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(_serve_measured(sys.argv[1:]) if sys.argv[1:2] == ["serve"] else main())
