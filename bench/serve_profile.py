"""Where a `serve` process's CPU goes under single POSTs from several clients: cProfile in every
thread, each on its own CPU clock (`time.thread_time`), so a thread waiting costs nothing.

    .venv/bin/python bench/serve_profile.py [--clients 4] [--singles 1000] [--top 40]

Starts `serve` through this file (the CLI with a profiler in each thread it starts, and in its
main thread, where waitress reads, parses and answers on the sockets), sends the load, stops it
with SIGTERM (the profiles are written as it exits), then prints the CPU seconds of waitress's
main thread and of the request threads, and the request threads' heaviest functions by CPU
including their callees. A profiler makes Python code several times slower and C code (SQLite,
zlib, the schema validator) no slower: read the shares as a ranking, not as a measure. The
profiles stay in --keep DIR for pstats.
"""

from __future__ import annotations

import argparse
import cProfile
import glob
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_ENV = "SERVE_PROFILE_DIR"
REQUEST_WORK = ("waitress/channel.py", "service")  # one request, as a request thread serves it


def _serve_profiled(argv: list[str]) -> int:
    """The CLI, with a profiler on each thread's CPU clock; the profiles written at exit."""
    profiles: list[tuple[str, cProfile.Profile]] = []

    def boot(frame: FrameType, event: str, arg: Any) -> None:  # first event of a new thread
        sys.setprofile(None)
        profile = cProfile.Profile(time.thread_time)
        profiles.append((threading.current_thread().name, profile))
        profile.enable()

    threading.setprofile(boot)
    sys.path.insert(0, str(ROOT))
    from harness.cli import main

    main_profile = cProfile.Profile(time.thread_time)
    profiles.append(("main", main_profile))
    main_profile.enable()
    try:
        return main(argv)
    finally:
        main_profile.disable()
        out = Path(os.environ[OUT_ENV])
        for n, (name, profile) in enumerate(profiles):
            profile.dump_stats(out / f"{n:03d}-{name}.prof")


def _stats(files: list[str]) -> pstats.Stats:
    stats = pstats.Stats(files[0])
    for file in files[1:]:
        stats.add(file)
    return stats


def _inclusive(stats: pstats.Stats, where: tuple[str, str]) -> float:
    """The CPU seconds of a function, callees included (summed over the files read)."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return sum(
        row[3]
        for (file, _, name), row in table.items()
        if file.endswith(where[0]) and name == where[1]
    )


def report(folder: Path, top: int, requests: int) -> None:
    main_files = sorted(glob.glob(str(folder / "*-main.prof")))
    workers = sorted(glob.glob(str(folder / "*-waitress-*.prof")))
    busy = [f for f in workers if _inclusive(_stats([f]), REQUEST_WORK) > 0]
    main_cpu = pstats.Stats(main_files[0]).total_tt if main_files else 0.0  # type: ignore[attr-defined]
    stats = _stats(busy)
    served = _inclusive(stats, REQUEST_WORK)
    print(f"waitress main thread (accept, read, parse, hand-off, write): {main_cpu:.2f} s CPU")
    print(
        f"request threads ({len(busy)}), serving {requests} requests: {served:.2f} s CPU, "
        f"{served / max(requests, 1) * 1e3:.2f} ms each (profiled)"
    )
    stats.sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--singles", type=int, default=1000, help="single POSTs per client")
    parser.add_argument("--top", type=int, default=40, help="functions listed")
    parser.add_argument(
        "--keep", type=Path, help="folder for the profiles (default: a temporary one)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import loads
    from targets import API_KEY, serve_endpoint

    from tests.serve_process import ServeProcess

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        folder = args.keep or Path(tmp) / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        server = ServeProcess(
            Path(tmp) / "profile.db",
            "--no-story",
            api_key=API_KEY,
            command=(sys.executable, __file__),
            env={**os.environ, OUT_ENV: str(folder)},
        ).start()
        try:
            result = loads.concurrent_singles(
                serve_endpoint(server), clients=args.clients, count=args.singles, max_s=600
            )
            time.sleep(0.5)  # the journal writer's last entries
        finally:
            server.terminate()
        print(
            f"{args.clients} clients × {args.singles} single POSTs, profiled: {result['per_s']}/s, "
            f"p50 {result['p50_ms']} ms, {result['failures']} failed"
        )
        report(folder, args.top, result["requests"] + args.clients * 20)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(_serve_profiled(sys.argv[1:]) if sys.argv[1:2] == ["serve"] else main())
