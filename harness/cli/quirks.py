"""`weare-harness quirks`: the broken-LMS behaviours the fake LMS can put on."""

from __future__ import annotations

import argparse
import json

from fake_lms.quirks import catalogue
from harness.cli.commands import summary


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("quirks", help=summary("quirks"))
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    quirks = catalogue()
    if args.json:
        print(json.dumps([{"name": n, **spec} for n, spec in quirks.items()], indent=2))
    else:
        width = max(len(n) for n in quirks)
        for name, spec in quirks.items():
            print(f"{name:<{width}}  {spec['description']}")
    return 0
