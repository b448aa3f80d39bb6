"""The same load against `weare-harness serve` and against Ralph, in one run, and the growth table.

For each LRS, on a fresh store: single-statement POSTs from one client (rate, p50, p99), the same
from 4 concurrent clients (rate of all, p50, p99), then batches of 50 from 4 concurrent clients
(statements/s), then a filtered GET (`agent=`, limit 10) on what the load stored (p50);
`--only single-clients` (repeatable) runs only the loads named, without the growth table. Ralph (a third-party LRS, installed by `make setup` into
.harness/ralph-venv) runs with its file backend, made to append by bench/ralph_launcher.py.
Where Ralph is not installed the bench says so and measures weare-harness alone. Then the growth
table of bench/store_growth.py: weare-harness's filtered GET p50 over HTTP, and its store's query
alone, with 0, 100,000 and 1,000,000 statements stored (BENCH_GROWTH_MAX=100000 stops at 100k;
0 skips the table).

Prints both figures and their ratio and writes reports/bench/results.json.
Exit 0 when every request was answered 200, 1 otherwise, 2 when weare-harness could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loads import (
    CLIENT_TIMEOUT_S,
    agent_query,
    batched,
    concurrent_singles,
    filtered_get,
    single,
)
from store_growth import SIZES, growth
from targets import ROOT, Endpoint, RalphError, RalphTarget, WeareTarget, ralph_installed

OUT = ROOT / "reports" / "bench" / "results.json"

# (key in the results, label, better when: "higher" or "lower")
FIGURES = (
    ("batched.statements_per_s", "POST batches of 50, 4 clients (statements/s)", "higher"),
    ("single.per_s", "single POST, 1 client (requests/s)", "higher"),
    ("single.p50_ms", "single POST p50 (ms)", "lower"),
    ("single.p99_ms", "single POST p99 (ms)", "lower"),
    ("singles.per_s", "single POST, 4 clients (requests/s)", "higher"),
    ("singles.p50_ms", "single POST, 4 clients, p50 (ms)", "lower"),
    ("singles.p99_ms", "single POST, 4 clients, p99 (ms)", "lower"),
    ("get.p50_ms", "GET ?agent=…&limit=10 p50 (ms)", "lower"),
)


LOADS = ("single", "single-clients", "batched", "get")


def measure(ep: Endpoint, args: argparse.Namespace) -> dict[str, Any]:
    """The loads (those of --only, else all), one after the other, on the endpoint's (fresh)
    store."""
    say = print
    only = set(args.only or LOADS)
    out: dict[str, Any] = {}
    if "single" in only:
        say(f"{ep.name}: {args.singles} single POSTs …")
        out["single"] = single(ep, count=args.singles, max_s=args.max_seconds)
    if "single-clients" in only:
        say(f"{ep.name}: {args.single_clients} × {args.singles} single POSTs …")
        out["singles"] = concurrent_singles(
            ep, clients=args.single_clients, count=args.singles, max_s=args.max_seconds
        )
    if "batched" in only:
        say(f"{ep.name}: {args.clients} × {args.batches} batches of {args.batch_size} …")
        out["batched"] = batched(
            ep,
            clients=args.clients,
            batches=args.batches,
            size=args.batch_size,
            max_s=args.max_seconds,
        )
    if "get" in only:
        say(f"{ep.name}: {args.gets} filtered GETs …")
        g = filtered_get(ep, agent_query(0), count=args.gets, max_s=args.max_seconds)
        g["stored_before"] = sum(p.get("statements", p.get("requests", 0)) for p in out.values())
        out["get"] = g
    return out


def figure(result: dict[str, Any], key: str) -> float | None:
    phase, name = key.split(".")
    return result.get(phase, {}).get(name)


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float | None]:
    """How many times better weare-harness is than Ralph on each figure (> 1: weare-harness)."""
    out: dict[str, float | None] = {}
    for key, _, better in FIGURES:
        a, b = figure(ours, key), figure(theirs, key)
        if not a or not b:
            out[key] = None
        else:
            out[key] = round(a / b if better == "higher" else b / a, 1)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


def _load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages now."""
    return [round(x, 2) for x in os.getloadavg()]


def load_line(machine: dict[str, Any]) -> str:
    """The load averages (1 min) the figures were measured under: before, and after each LRS."""
    after = machine.get("load_average_after", {})
    said = [f"before {machine['load_average_before'][0]:g}"]
    said += [f"after {name} {loads[0]:g}" for name, loads in after.items()]
    return f"load average (1 min, {machine.get('cpus')} CPUs): " + ", ".join(said)


def comparison_table(results: dict[str, Any]) -> str:
    ours = results["targets"]["weare-harness"]
    theirs = results["targets"].get("Ralph", {})
    ralph = "skipped" not in theirs
    lines = [
        f"{'':48} {'weare-harness':>14}" + (f" {'Ralph':>10} {'ratio':>8}" if ralph else ""),
    ]
    for key, label, _ in FIGURES:
        line = f"{label:48} {_cell(figure(ours, key)):>14}"
        if ralph:
            r = results["ratios"].get(key)
            line += f" {_cell(figure(theirs, key)):>10} {(_cell(r) + '×') if r else '–':>8}"
        lines.append(line)
    if ralph:
        lines.append("ratio: how many times better weare-harness is (rates ÷, latencies ×)")
        lines.append(
            f"the GETs ran on {_cell(ours.get('get', {}).get('stored_before'))} statements "
            f"stored (weare-harness) and {_cell(theirs.get('get', {}).get('stored_before'))} (Ralph)"
        )
        capped = [p for p, got in theirs.items() if got.get("capped")]
        if capped:
            lines.append(
                "Ralph stopped at the time cap in: "
                + ", ".join(
                    f"{p} ({theirs[p].get('requests', theirs[p].get('statements'))} "
                    f"{'statements' if p == 'batched' else 'requests'})"
                    for p in capped
                )
            )
    else:
        lines.append(f"Ralph: {theirs.get('skipped', 'not run')}")
    if "load_average_before" in results.get("machine", {}):
        lines.append(load_line(results["machine"]))
    return "\n".join(lines)


def _p50(got: dict[str, Any]) -> str:
    """A GET's p50, or why there is none (no answer within the client's timeout)."""
    if got.get("p50_ms") is None and "timed out" in (got.get("first_failure") or ""):
        return f"> {CLIENT_TIMEOUT_S:g} s"
    return _cell(got.get("p50_ms"))


def growth_table(rows: list[dict[str, Any]]) -> str:
    """Each filter's HTTP GET p50 / the store's query p50, one column per store size."""
    names = list(rows[0]["filters"])
    head = f"{'filter, limit=10: GET p50 / store p50 (ms)':44}" + "".join(
        f"{row['statements']:>18,}" for row in rows
    )
    lines = [head]
    for name in names:
        cells = (
            f"{_p50(row['filters'][name])} / {_cell(row['filters'][name].get('store_p50_ms'))}"
            for row in rows
        )
        lines.append(f"{name:44}" + "".join(f"{cell:>18}" for cell in cells))
    lines.append(
        f"{'store bytes per statement (seeded)':44}"
        + "".join(f"{_cell(row['bytes_per_statement']):>18}" for row in rows)
    )
    return "\n".join(lines)


def failures(results: dict[str, Any]) -> int:
    count = 0
    for target in results["targets"].values():
        count += sum(p.get("failures", 0) for p in target.values() if isinstance(p, dict))
    for row in results.get("growth", []):
        count += sum(f.get("failures", 0) for f in row["filters"].values())
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", type=int, default=100, help="batches per client")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--singles", type=int, default=2000, help="single POSTs per client")
    parser.add_argument(
        "--single-clients", type=int, default=4, help="clients of the concurrent single POSTs"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=LOADS,
        help="run only this load (repeatable), and no growth table",
    )
    parser.add_argument("--gets", type=int, default=200, help="filtered GETs timed")
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="time cap of each load on each LRS"
    )
    parser.add_argument("--no-ralph", action="store_true", help="measure weare-harness alone")
    parser.add_argument(
        "--growth-max",
        type=int,
        default=int(os.environ.get("BENCH_GROWTH_MAX", SIZES[-1])),
        help="largest store of the growth table (default $BENCH_GROWTH_MAX or 1000000; 0: none)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"results file (default {OUT})")
    args = parser.parse_args()
    started = time.monotonic()
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": _load_average(),
            "python": platform.python_version(),
        },
        "load": {
            "single_posts": args.singles,
            "batched": f"{args.clients} clients × {args.batches} batches of {args.batch_size}",
            "filtered_gets": args.gets,
            "max_seconds_per_load": args.max_seconds,
        },
        "targets": {},
    }
    try:
        with WeareTarget() as ep:
            results["targets"]["weare-harness"] = measure(ep, args)
        results["machine"]["load_average_after"] = {"weare-harness": _load_average()}
    except AssertionError as exc:  # ServeProcess: serve did not start
        print(f"weare-harness serve could not start: {exc}", file=sys.stderr)
        return 2
    why_not = "--no-ralph" if args.no_ralph else ralph_installed()
    if why_not is None:
        try:
            with RalphTarget() as ep:
                results["targets"]["Ralph"] = measure(ep, args)
            results["machine"]["load_average_after"]["Ralph"] = _load_average()
        except RalphError as exc:
            why_not = str(exc)
    if why_not is not None:
        results["targets"]["Ralph"] = {"skipped": why_not}
    else:
        results["ratios"] = ratios(results["targets"]["weare-harness"], results["targets"]["Ralph"])
    print()
    print(comparison_table(results))
    # 0, 100k and 1M, stopping at --growth-max (itself a step: 20000 gives 0 and 20,000)
    steps = sorted({s for s in SIZES if s < args.growth_max} | {args.growth_max})
    steps = steps if args.growth_max > 0 and not args.only else []
    if steps:
        print()
        with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
            results["growth"] = growth(steps, Path(tmp))
        print()
        print(growth_table(results["growth"]))
    results["duration_s"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {args.out} ({results['duration_s']:g} s)")
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
