"""`make bench` end to end on a tiny load: both LRSs measured, their ratio, the growth table, the file.

Ralph's own file backend answers 500 to every write after the first; the bench's launcher makes
it append, so a run with several POSTs to Ralph has no failure only if the launcher works.
Speed is not judged here (it lives in `make bench`), only that the figures are all there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
RALPH = ROOT / ".harness" / "ralph-venv" / "bin" / "ralph"


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A bench script run by this interpreter from the repository root."""
    return subprocess.run(
        [sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=240
    )


def test_bench_measures_both_lrss_and_the_growth_table(tmp_path: Path) -> None:
    out = tmp_path / "bench" / "results.json"
    tiny = ["--singles", "5", "--batches", "2", "--batch-size", "5", "--gets", "3"]
    done = subprocess.run(
        [sys.executable, "bench/lrs_bench.py", *tiny, "--growth-max", "50", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    ours = results["targets"]["weare-harness"]
    assert ours["batched"]["statements"] == 4 * 2 * 5 and ours["single"]["requests"] == 5
    assert ours["get"]["matched"] >= 1 and ours["get"]["p50_ms"] > 0
    machine = results["machine"]
    assert len(machine["load_average_before"]) == 3
    printed = f"load average (1 min, {machine['cpus']} CPUs): before "
    assert printed in done.stdout and "after weare-harness " in done.stdout
    if RALPH.exists():
        assert set(machine["load_average_after"]) == {"weare-harness", "Ralph"}
        assert "after Ralph " in done.stdout
        theirs = results["targets"]["Ralph"]
        for phase in ("single", "batched", "get"):
            assert theirs[phase]["failures"] == 0, theirs[phase]
        assert theirs["batched"]["statements"] == 40 and theirs["get"]["matched"] >= 1
        assert all(v and v > 0 for v in results["ratios"].values()), results["ratios"]
        assert "weare-harness" in done.stdout and "Ralph" in done.stdout and "×" in done.stdout
    else:
        assert "Ralph is not installed" in results["targets"]["Ralph"]["skipped"]
        assert "Ralph is not installed" in done.stdout
    assert [row["statements"] for row in results["growth"]] == [0, 50]
    grown = results["growth"][1]["filters"]
    # the 20 probe statements share one registration: a full page of 10
    assert grown["registration"]["returned"] == 10 and grown["agent"]["returned"] == 10
    for name, got in grown.items():
        assert got["failures"] == 0 and got["p50_ms"] > 0 and got["store_p50_ms"] > 0, name


def test_the_ingest_profiles_run_on_a_tiny_load(tmp_path: Path) -> None:
    """bench/ingest_cpu.py (server CPU per statement) and bench/ingest_scaling.py (1 and 2 serve
    processes on one store) give their figures: the ingest table of docs/benchmarks.md comes from them."""
    cpu_out, scaling_out = tmp_path / "cpu.json", tmp_path / "scaling.json"
    runs = [
        ["bench/ingest_cpu.py", "--batches", "1", "--singles", "5", "--out", str(cpu_out)],
        [
            "bench/ingest_scaling.py",
            "--processes",
            "2",
            "--batches",
            "1",
            "--singles",
            "3",
            "--out",
            str(scaling_out),
        ],
    ]
    for args in runs:
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    cpu = json.loads(cpu_out.read_text())
    assert cpu["batched"]["statements"] == 4 * 50 and cpu["single"]["requests"] == 5
    for mode in ("batched", "single"):
        assert cpu[mode]["failures"] == 0 and cpu[mode]["server_cpu_us_per_statement"] > 0
    scaling = json.loads(scaling_out.read_text())
    assert [(r["processes"], r["load"]) for r in scaling] == [(2, "batched"), (2, "single")]
    for row in scaling:
        assert row["failures"] == 0 and row["per_s"] > 0 and len(row["busy"]) == 2, row


def test_the_large_bodies_bench_runs_on_a_tiny_load(tmp_path: Path) -> None:
    """bench/large_bodies_bench.py (one-statement POSTs while large batches are in flight) gives
    its figures; the latency itself is judged by reading them, not here."""
    out = tmp_path / "large.json"
    tiny = ["--bodies", "2", "--body-mib", "1.1", "--alone", "3", "--out", str(out)]
    done = run_bench("bench/large_bodies_bench.py", *tiny)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "one-statement POST while 2 × 1.1 MiB batches are in flight: p50" in done.stdout
    result = json.loads(out.read_text())
    assert result["large_bodies"]["answered"] == 2
    assert result["large_bodies"]["bytes_each"] > 1024 * 1024
    assert result["small_posts_alone"]["requests"] == 3
    for phase in ("small_posts_alone", "small_posts"):
        assert result[phase]["failures"] == 0 and result[phase]["p99_ms"] > 0, phase


def test_the_startup_bench_gives_every_figure(tmp_path: Path) -> None:
    """bench/startup_bench.py (run by `make bench`): `--version`, `--help` and serve's first
    answer timed, each next to its goal; exit 0 or 1 by the goals (a busy machine misses them),
    never 2 (serve did not answer)."""
    out = tmp_path / "startup.json"
    done = run_bench(
        "bench/startup_bench.py", "--runs", "1", "--serve-runs", "1", "--out", str(out)
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    results = json.loads(out.read_text())
    assert set(results["best_s"]) == {"--version", "--help", "serve"} == set(results["goals_s"])
    assert all(0 < seconds < 30 for seconds in results["best_s"].values()), results
    assert results["serve_cpu_s"] > 0
    assert "serve → first answer" in done.stdout and "goal" in done.stdout


def test_the_serve_profile_names_where_the_cpu_went(tmp_path: Path) -> None:
    """bench/serve_profile.py (the profile behind docs/benchmarks.md's single-POST breakdown):
    every request served by a profiled `serve`, the main thread's and request threads' CPU
    given, and the request threads' functions listed down to the statement's storing."""
    done = run_bench(
        "bench/serve_profile.py", "--singles", "5", "--top", "60", "--keep", str(tmp_path)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "4 clients × 5 single POSTs, profiled" in done.stdout and "0 failed" in done.stdout
    assert "waitress main thread" in done.stdout and "s CPU" in done.stdout
    assert "serving 100 requests" in done.stdout  # 4 × (5 + a warm-up of 20)
    assert "statements.py" in done.stdout and "_store" in done.stdout
    assert sorted(p.name.split("-", 1)[1] for p in tmp_path.glob("*-main.prof")) == ["main.prof"]


def test_the_scenario_setup_bench_times_both_ways_of_making_keys(tmp_path: Path) -> None:
    """bench/scenario_setup_bench.py (run by `make bench`): a scenario's mounts and keys made
    with chosen secrets and with generated ones, each timed; the PBKDF2 way costs more CPU."""
    out = tmp_path / "setup.json"
    done = run_bench("bench/scenario_setup_bench.py", "--rounds", "3", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    per = json.loads(out.read_text())["per_scenario"]
    chosen, generated = per["chosen secrets (PBKDF2)"], per["generated secrets (HMAC)"]
    assert chosen["cpu_ms"] > generated["cpu_ms"] > 0, per
    assert "ms CPU" in done.stdout and "load average" in done.stdout


def test_the_request_cost_bench_splits_the_cpu_by_resource_and_thread(tmp_path: Path) -> None:
    """bench/request_cost.py (run by `make bench`): every request counted under its resource,
    with the request threads' CPU, and the server's CPU split by thread from /proc."""
    out = tmp_path / "cost.json"
    done = run_bench(
        "bench/request_cost.py", "--load", "singles", "--singles", "10", "--out", str(out)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    # 4 clients × (10 + a warm-up of 20), all on the statements resource
    assert report["resources"]["POST /xapi/M/statements"]["requests"] == 120, report["resources"]
    assert report["resources"]["POST /xapi/M/statements"]["thread_cpu_ms_each"] > 0
    threads = report["threads_cpu_ms_per_request"]
    assert (
        threads["request threads"] > 0
        and threads["waitress main thread (accept, read, parse, write)"] > 0
    ), threads
    lock = report["write_lock"]
    assert lock["writes"] >= 120 and lock["held_ms"]["mean"] > 0, lock
    assert (
        "POSTs/s" in done.stdout and "write lock" in done.stdout and "load average" in done.stdout
    )


def test_the_learners_bench_measures_both_behaviours(tmp_path: Path) -> None:
    """bench/learners_bench.py (run by `make bench`): cmi5-full and weare-documented learners
    against `serve`, each with its rate, its loss check and the client's CPU per learner; and
    Ralph's row, measured when Ralph is installed, else said skipped."""
    out = tmp_path / "learners.json"
    args = ("--users", "2", "--seconds", "3", "--out", str(out))
    done = run_bench("bench/learners_bench.py", *args, *(() if RALPH.exists() else ("--no-ralph",)))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    loads = json.loads(out.read_text())["loads"]
    for key in ("cmi5-full@weare-harness", "documented@weare-harness"):
        row = loads[key]
        assert row["learners_completed"] > 0 and row["lost"] == 0, row
        assert row["client_cpu_ms_per_learner"] > 0, row
    assert (
        loads["cmi5-full@weare-harness"]["requests"]
        >= 7 * loads["cmi5-full@weare-harness"]["learners_completed"]
    )
    ralph = loads["documented@Ralph"]
    assert ralph.get("learners_completed", 0) > 0 if RALPH.exists() else "skipped" in ralph, ralph
    assert "learners/s" in done.stdout and "load average" in done.stdout
