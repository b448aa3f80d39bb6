"""`weare-harness doctor`: what the commands need on this machine, and the one command fixing each gap.

Exit 0 when `run` can work (with the http driver, or the browser one under `--driver browser`),
1 when something it needs is missing, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from fake_lms.findings import MISSING, OK, WARNING, Finding
from harness.cli.commands import summary
from harness.doctor_checks import Options, as_json, run_checks
from harness.errors import UsageError

# Checks that only some drivers need: failing them makes that driver not ready, not the machine.
DRIVER_CHECKS = {"browser": "chromium"}
MARKS = {OK: ("✓", "32"), MISSING: ("✗", "31"), WARNING: ("!", "33")}
ASCII_MARKS = {OK: "ok", MISSING: "X", WARNING: "!"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help=summary("doctor"))
    p.add_argument("--json", action="store_true", help="print a JSON document instead")
    p.add_argument(
        "--port", type=int, default=8080, metavar="P", help="serve's port to test (default 8080)"
    )
    p.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="report folder to test (default reports)",
    )
    p.add_argument(
        "--db",
        type=Path,
        default=Path(".harness/lms.db"),
        metavar="PATH",
        help="serve's SQLite file, whose folder is tested (default .harness/lms.db)",
    )
    p.add_argument(
        "--interop", action="store_true", help="also check node and npm (for the interop tests)"
    )
    p.add_argument(
        "--driver",
        choices=("http", "browser"),
        default="http",
        help="the driver `run` must have ready for exit 0 (default http)",
    )
    p.add_argument("--no-color", action="store_true", help="plain output")
    p.set_defaults(run=run)


def verdict(findings: list[Finding], driver: str) -> tuple[bool, dict[str, bool]]:
    """(whether `run --driver DRIVER` can work, readiness of each driver)."""
    failed = {f.check for f in findings if f.status == MISSING}
    common = failed - set(DRIVER_CHECKS.values())
    drivers = {"http": not common}
    for name, check_id in DRIVER_CHECKS.items():
        drivers[name] = not common and check_id not in failed
    return drivers[driver], drivers


def _mark(status: str, color: bool) -> str:
    symbol, code = MARKS[status]
    try:
        symbol.encode(sys.stdout.encoding or "utf-8")
    except UnicodeEncodeError:
        symbol = ASCII_MARKS[status]
    return f"\033[{code}m{symbol}\033[0m" if color else symbol


def render(findings: list[Finding], ok: bool, drivers: dict[str, bool], color: bool) -> str:
    width = max(len(f.check) for f in findings)
    lines = ["weare-harness doctor"]
    for f in findings:
        lines.append(f"  {_mark(f.status, color)} {f.check:<{width}}  {f.message}")
        if f.fix:
            lines.append(f"    {'':<{width}}  fix: {f.fix}")
    ready = [name for name, yes in drivers.items() if yes]
    not_ready = [name for name, yes in drivers.items() if not yes]
    line = f"drivers ready: {', '.join(ready) or 'none'}"
    if not_ready:
        line += f"; not ready: {', '.join(not_ready)}"
    lines.append(line)
    if ok and not_ready:
        lines.append(f"`weare-harness run --driver {ready[0]}` can work.")
    elif ok:
        lines.append("`weare-harness run` can work with either driver.")
    else:
        lines.append("not ready: apply the fixes above, then run `weare-harness doctor` again.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: a port is 0 to 65535")
    options = Options(report_dir=args.report_dir, db=args.db, port=args.port, interop=args.interop)
    findings = run_checks(options)
    ok, drivers = verdict(findings, args.driver)
    if args.json:
        document = {"ok": ok, "drivers": drivers, "checks": [as_json(f) for f in findings]}
        print(json.dumps(document, indent=2))
    else:
        color = not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
        print(render(findings, ok, drivers, color))
    return 0 if ok else 1
