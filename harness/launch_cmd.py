"""`weare-harness launch`: ask a running fake LMS for a launch URL."""

from __future__ import annotations

import argparse
import json
import os

import requests


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("launch", help="ask a running fake LMS for a launch URL")
    p.add_argument(
        "--lms", required=True, help="base URL of the fake LMS, e.g. http://127.0.0.1:8080"
    )
    p.add_argument(
        "--api-key",
        default=os.environ.get("WEARE_HARNESS_API_KEY"),
        metavar="USER:SECRET",
        help="server-wide API key (default: $WEARE_HARNESS_API_KEY)",
    )
    p.add_argument("--au-url", required=True, help="URL of the story (the AU) to launch")
    p.add_argument("--mount", default=None, help="LRS mount the endpoint points at")
    p.add_argument("--json", action="store_true", help="print the launch as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from harness.cli import UsageError

    if not args.api_key or ":" not in args.api_key:
        raise UsageError("--api-key USER:SECRET (or WEARE_HARNESS_API_KEY) is required")
    user, _, secret = args.api_key.partition(":")
    body = {"au_url": args.au_url}
    if args.mount:
        body["mount"] = args.mount
    url = args.lms.rstrip("/") + "/api/launches"
    try:
        response = requests.post(url, json=body, auth=(user, secret), timeout=10)
    except requests.RequestException as exc:
        raise UsageError(f"cannot reach the fake LMS at {args.lms}: {type(exc).__name__}") from exc
    try:
        payload = response.json()
    except ValueError:
        payload = {"error": response.text[:200]}
    if response.status_code != 201:
        raise UsageError(
            f"the fake LMS refused the launch ({response.status_code}): "
            f"{payload.get('error', payload)}"
        )
    print(json.dumps(payload, indent=2) if args.json else payload["launch_url"])
    return 0
