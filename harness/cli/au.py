"""`weare-harness au register` and `weare-harness course import`: put content into a fake LMS."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fake_lms.au_fields import AU_FIELDS
from fake_lms.client import AdminClient, AdminError
from harness.cli.args import http_url
from harness.cli.commands import summary
from harness.errors import UsageError


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    au = sub.add_parser("au", help=summary("au"))
    au_sub = au.add_subparsers(dest="au_command", required=True, metavar="ACTION")
    reg = au_sub.add_parser("register", help="register one AU by URL")
    _common(reg)
    reg.add_argument("--url", required=True, help="the AU's URL (may carry its own query)")
    reg.add_argument("--publisher-id", help="the AU id of the course structure (an IRI)")
    reg.add_argument("--title")
    reg.add_argument(
        "--move-on",
        choices=("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"),
    )
    reg.add_argument("--mastery-score", type=float)
    reg.add_argument("--launch-method", choices=("AnyWindow", "OwnWindow"))
    reg.add_argument("--launch-parameters")
    reg.add_argument("--entitlement-key")
    reg.set_defaults(run=run_register)

    course = sub.add_parser("course", help=summary("course"))
    course_sub = course.add_subparsers(dest="course_command", required=True, metavar="ACTION")
    imp = course_sub.add_parser("import", help="import cmi5.xml or a zip holding it")
    _common(imp)
    imp.add_argument("package", type=Path, help="path of cmi5.xml or the course zip")
    imp.set_defaults(run=run_import)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lms", required=True, type=http_url, help="base URL of the fake LMS")
    p.add_argument("--api-key", metavar="USER:SECRET", help="default: $WEARE_HARNESS_API_KEY")


def run_register(args: argparse.Namespace) -> int:
    body = {"url": args.url}
    for name in AU_FIELDS[1:]:  # (the url is required)
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    try:
        au = AdminClient.from_key(args.lms, args.api_key).call("POST", "aus", expect=201, json=body)
    except AdminError as exc:
        raise UsageError(str(exc)) from exc
    print(json.dumps(au, indent=2))
    return 0


def run_import(args: argparse.Namespace) -> int:
    try:
        data = args.package.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.package}: {exc.strerror}") from exc
    try:
        course = AdminClient.from_key(args.lms, args.api_key).call(
            "POST",
            f"courses?filename={args.package.name}",
            expect=201,
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
    except AdminError as exc:
        if exc.status == 400:  # the package failed the import checks: a finding, not a usage error
            print(f"weare-harness course import: {exc}", file=sys.stderr)
            return 1
        raise UsageError(str(exc)) from exc
    print(json.dumps(course, indent=2))
    return 0
