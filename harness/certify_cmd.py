"""`weare-harness certify`: will an LMS receive We Are completions? Check by check."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import urlsplit

from harness.certify import report
from harness.certify.context import CertInputs
from harness.certify.run import certify, notice


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("certify", help="play We Are against a real LMS/LRS and report what works")
    p.add_argument(
        "--launch-url",
        action="append",
        default=[],
        metavar="URL",
        help="a launch URL copied from the LMS; give a second, unused one for the "
        "checks that need a fresh fetch URL",
    )
    p.add_argument("--endpoint", metavar="URL", help="the API URL a customer pastes into We Are")
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help="the API key a customer pastes into We Are (USER:SECRET or the Basic "
        "credential); default $WEARE_HARNESS_CERTIFY_API_KEY",
    )
    p.add_argument(
        "--origin",
        default="https://weare.example.com",
        help="the story's origin, for the CORS checks",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.add_argument(
        "--report-dir", type=Path, help="write report.html, results.json, junit.xml here"
    )
    p.set_defaults(run=run)


def _url(value: str, what: str) -> str:
    from harness.cli import UsageError

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{what} must be an absolute http(s) URL, got {value!r}")
    return value


def run(args: argparse.Namespace) -> int:
    from harness.cli import UsageError

    api_key = args.api_key or os.environ.get("WEARE_HARNESS_CERTIFY_API_KEY")
    if not args.launch_url and not args.endpoint:
        raise UsageError("give --launch-url, or --endpoint with --api-key (or both)")
    if args.endpoint and not api_key and not args.launch_url:
        raise UsageError("--endpoint needs --api-key (the key We Are would use there)")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    inputs = CertInputs(
        launch_urls=[_url(u, "--launch-url") for u in args.launch_url],
        endpoint=_url(args.endpoint, "--endpoint") if args.endpoint else None,
        api_key=api_key,
        origin=args.origin,
        timeout=args.timeout,
    )
    print(notice(inputs), flush=True)
    print(flush=True)
    cert = certify(inputs)
    print(report.summary(cert))
    if args.report_dir:
        paths = report.write(cert, args.report_dir)
        print("reports: " + ", ".join(str(p) for p in paths.values()))
    return 1 if cert.failed() else 0
