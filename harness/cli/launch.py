"""`weare-harness launch`: ask a running fake LMS for a launch URL in any profile or variant."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fake_lms.client import AdminClient, AdminError
from harness.cli.args import http_url
from harness.cli.commands import summary
from harness.errors import UsageError

# The story behaviour each launch profile goes with, as the runner pairs them.
PROFILE_BEHAVIOUR = {"weare": "weare-documented", "cmi5": "cmi5-full"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("launch", help=summary("launch"))
    p.add_argument(
        "--lms",
        required=True,
        type=http_url,
        help="base URL of the fake LMS, e.g. http://127.0.0.1:8080",
    )
    p.add_argument(
        "--api-key",
        metavar="USER:SECRET",
        help="server-wide API key (default: $WEARE_HARNESS_API_KEY)",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--au-url",
        help="URL of the story (the AU), registered on first use; `reference`: the reference "
        "story `serve` hosts (GET /api/story), in the behaviour of --profile",
    )
    target.add_argument("--au-id", help="id of an AU registered before")
    p.add_argument("--profile", choices=("cmi5", "weare"), default="cmi5")
    p.add_argument("--omit", default="", metavar="NAME,...", help="launch parameters to leave out")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="replace a launch parameter's value in the URL, repeatable",
    )
    p.add_argument("--actor", metavar="JSON", help="the learner as an xAPI Agent (JSON)")
    p.add_argument("--registration", help="reuse a registration (UUID)")
    p.add_argument("--launch-mode", choices=("Normal", "Browse", "Review"), default="Normal")
    p.add_argument("--mount", help="LRS mount the session belongs to (default: the default mount)")
    p.add_argument("--endpoint-mount", help="make the endpoint pair point at another mount")
    p.add_argument(
        "--encoding",
        choices=("percent", "plus"),
        default="percent",
        help="space as %%20 (percent) or + (plus)",
    )
    p.add_argument("--raw-actor", action="store_true", help="leave the actor JSON unencoded")
    p.add_argument("--amp", action="store_true", help="separate pairs with &amp;")
    p.add_argument("--json", action="store_true", help="print the launch as JSON")
    p.set_defaults(run=run)


def launch_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {
        "profile": args.profile,
        "launch_mode": args.launch_mode,
        "encoding": args.encoding,
    }
    if args.au_url:
        body["au_url"] = args.au_url
    else:
        body["au_id"] = args.au_id
    if args.omit:
        body["omit"] = [n.strip() for n in args.omit.split(",") if n.strip()]
    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--set needs NAME=VALUE, got {item!r}")
        overrides[name] = value
    if overrides:
        body["overrides"] = overrides
    if args.actor:
        try:
            body["actor"] = json.loads(args.actor)
        except ValueError as exc:
            raise UsageError(f"--actor is not JSON: {exc}") from exc
    for name in ("registration", "mount", "endpoint_mount"):
        if getattr(args, name):
            body[name] = getattr(args, name)
    if args.raw_actor:
        body["raw_actor"] = True
    if args.amp:
        body["amp_entities"] = True
    return body


def reference_story_url(client: AdminClient, profile: str) -> str:
    """The URL of the reference story the fake LMS hosts, in the behaviour that goes with the
    launch profile (`weare`: weare-documented, `cmi5`: cmi5-full); AdminError when it hosts none."""
    try:
        story = client.call("GET", "story")
        return str(story.get("behaviours", {}).get(PROFILE_BEHAVIOUR[profile], story["url"]))
    except AdminError as exc:
        if exc.status == 404:
            raise AdminError(
                "--au-url reference: the fake LMS hosts no reference story (started with "
                "--no-story?); give the story's URL instead",
                404,
            ) from exc
        raise


def run(args: argparse.Namespace) -> int:
    try:
        client = AdminClient.from_key(args.lms, args.api_key)
        if args.au_url == "reference":
            args.au_url = reference_story_url(client, args.profile)
        payload = client.launch(launch_body(args))
    except AdminError as exc:
        raise UsageError(str(exc)) from exc
    print(json.dumps(payload, indent=2) if args.json else payload["launch_url"])
    return 0
