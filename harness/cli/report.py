"""`weare-harness report open [DIR]`: show the report.html a `run` (or `certify`) wrote."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from harness.cli.args import REPORT_DIR
from harness.cli.commands import summary
from harness.errors import UsageError

PAGE = "report.html"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help=summary("report"))
    inner = p.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    o = inner.add_parser(
        "open",
        help="open DIR/report.html in the default browser ($BROWSER names another)",
        description="Open the report.html a run wrote in the default browser.",
    )
    o.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=REPORT_DIR,
        metavar="DIR",
        help=f"the report folder, or a report.html (default {REPORT_DIR}, where `run` writes)",
    )
    o.set_defaults(run=run_open)


def run_open(args: argparse.Namespace) -> int:
    page = args.dir if args.dir.is_file() else args.dir / PAGE
    if not page.is_file():
        raise UsageError(f"no report at {page}: run `weare-harness run` first, or name its folder")
    url = page.resolve().as_uri()
    if not webbrowser.open(url):
        raise UsageError(f"no browser could be started: open {url} yourself (or set BROWSER)")
    print(f"opened {page}")
    return 0
