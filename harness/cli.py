"""The `weare-harness` command: one sub-command per job, exit 0 (good), 1 (checks failed), 2 (usage)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import (
    au_cmd,
    certify_cmd,
    doctor_cmd,
    launch_cmd,
    quirks_cmd,
    run_cmd,
    scenarios_cmd,
    serve_cmd,
)
from harness.version import tool_version


class UsageError(Exception):
    """A usage or environment problem: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="weare-harness",
        description="Conformance test bench for We Are's LMS integration (cmi5 / xAPI).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {tool_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run_cmd.add_parser(sub)
    serve_cmd.add_parser(sub)
    launch_cmd.add_parser(sub)
    au_cmd.add_parsers(sub)
    certify_cmd.add_parser(sub)
    quirks_cmd.add_parser(sub)
    doctor_cmd.add_parser(sub)
    scenarios_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"weare-harness {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 2
