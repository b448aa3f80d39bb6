"""`weare-harness load`: many simulated We Are learners at once; does the LMS keep up?

The target is checked here (reachable, a readable launch-URL file, --yes for a vendor's system),
without importing Locust; the load runs in `python -m harness.load.engine` (Locust patches its
process with gevent), which gets the config on stdin (so no secret shows in a process list) and
answers one JSON line. Exit 0 when nothing was lost and no request failed, 1 otherwise, 2 on a
usage or environment error (one line).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from fake_lms.client import API_KEY_ENV, AdminClient, AdminError
from fake_lms.redact import redact_text
from harness.cli.args import http_url
from harness.cli.commands import summary
from harness.cli.launch import reference_story_url
from harness.errors import UsageError
from harness.load.config import (
    BEHAVIOUR_PROFILE,
    DEFAULT_DURATION,
    DEFAULT_USERS,
    MAX_DURATION,
    MAX_USERS,
    ConfigError,
    LoadConfig,
    check_caps,
    is_vendor_target,
    notice,
    read_launch_urls,
)
from harness.story.behaviour import BEHAVIOURS
from harness.story.client import parse_launch, statements_url

INSTALL_HINT = "Locust is not installed: pip install 'weare-harness[load]'"
ENGINE_SLACK = 300.0  # seconds past --duration for workers to join and the read-back


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("load", help=summary("load"))
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--lms", type=http_url, metavar="URL", help="a fake LMS: launches made by its admin API"
    )
    target.add_argument(
        "--launch-urls",
        type=Path,
        metavar="FILE",
        help="a vendor's LMS: one launch URL per line, one learner each (each used once)",
    )
    target.add_argument(
        "--endpoint",
        type=http_url,
        metavar="URL",
        help="a configured API URL: generated actors and registrations, sent with --api-key",
    )
    p.add_argument(
        "--mount",
        metavar="NAME",
        help="with --lms: the LRS mount the learners' sessions belong to (default: the default "
        "mount); e.g. an observe mount for weare-documented",
    )
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"USER:SECRET of the fake LMS (default ${API_KEY_ENV}); the API key We Are "
        "would use with --endpoint (USER:SECRET or the Basic credential); with --launch-urls, "
        "a key that reads statements back (else each learner's token)",
    )
    p.add_argument(
        "--behaviour",
        choices=BEHAVIOURS,
        help="what each learner does (default: cmi5-full with a launch, weare-documented "
        "with --endpoint)",
    )
    p.add_argument(
        "--users",
        type=int,
        default=DEFAULT_USERS,
        help=f"learners at once, at most {MAX_USERS} (default {DEFAULT_USERS})",
    )
    p.add_argument(
        "--spawn-rate", type=float, help="learners started per second (default: --users)"
    )
    p.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION,
        help=f"seconds of load, at most {MAX_DURATION:g} (default {DEFAULT_DURATION:g})",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="Locust worker processes on this machine, with a master (default 0: one process)",
    )
    p.add_argument(
        "--remote-workers",
        type=int,
        default=0,
        help="also wait for this many workers joining from other machines with --master",
    )
    p.add_argument(
        "--bind",
        default="127.0.0.1:0",
        metavar="HOST:PORT",
        help="where the master listens for workers; with --remote-workers an address they "
        "reach, e.g. 10.0.0.5:5557 (default 127.0.0.1, a free port)",
    )
    p.add_argument(
        "--master",
        metavar="HOST:PORT",
        help="be a worker of the master there (started with --remote-workers); the target "
        "and options come from the master",
    )
    p.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/load"),
        help="write locust.html and results.json here",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--yes", action="store_true", help="write to a vendor's system (see notice)")
    p.set_defaults(run=run)


def _probe(url: str, what: str, timeout: float) -> None:
    """The server answers at all (any status); else one line naming the URL and the error."""
    try:
        requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise UsageError(f"cannot reach {what} at {url} ({type(exc).__name__})") from None


def build_config(args: argparse.Namespace) -> LoadConfig:
    """The run's config from the arguments, with the target checked; UsageError says why not."""
    spawn_rate = args.spawn_rate if args.spawn_rate is not None else float(args.users)
    try:
        check_caps(args.users, spawn_rate, args.duration, args.workers)
        if not 0 <= args.remote_workers <= 1000:
            raise ConfigError(f"--remote-workers must be 0-1000, got {args.remote_workers}")
        if args.timeout <= 0:
            raise ConfigError("--timeout must be positive")
        common: dict[str, Any] = {
            "users": args.users,
            "spawn_rate": spawn_rate,
            "duration": args.duration,
            "workers": args.workers,
            "remote_workers": args.remote_workers,
            "bind": args.bind,
            "timeout": args.timeout,
            "report_dir": str(args.report_dir),
        }
        if args.lms:
            key = args.api_key or os.environ.get(API_KEY_ENV)
            if not key or ":" not in key:
                raise ConfigError(f"--lms needs --api-key USER:SECRET (or {API_KEY_ENV})")
            config = LoadConfig(
                "lms",
                args.behaviour or "cmi5-full",
                lms=args.lms,
                mount=args.mount,
                api_key=key,
                **common,
            )
        elif args.launch_urls:
            urls = read_launch_urls(args.launch_urls)
            config = LoadConfig(
                "launch-urls",
                args.behaviour or "cmi5-full",
                launch_urls=urls,
                api_key=args.api_key,
                **common,
            )
        elif args.endpoint:
            if not args.api_key:
                raise ConfigError("--endpoint needs --api-key (the key We Are would use there)")
            if args.behaviour == "cmi5-full":
                raise ConfigError(
                    "--endpoint has no launch, so no cmi5 session: cmi5-full needs --lms or "
                    "--launch-urls"
                )
            config = LoadConfig(
                "endpoint",
                "weare-documented",
                endpoint=args.endpoint,
                api_key=args.api_key,
                **common,
            )
        else:
            raise ConfigError("give a target: --lms URL, --launch-urls FILE or --endpoint URL")
        if config.target == "launch-urls" and 0 < config.total_workers > config.users:
            raise ConfigError(
                f"--launch-urls shares the file among the {config.total_workers} workers: "
                f"give at least as many --users (got {config.users})"
            )
        if args.mount and config.target != "lms":
            raise ConfigError("--mount goes with --lms (a mount of the fake LMS)")
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return config


def prepare(config: LoadConfig) -> None:
    """Check the target answers; for the fake LMS, find the reference story it hosts."""
    if config.target == "lms":
        client = AdminClient.from_key(config.lms or "", config.api_key, timeout=config.timeout)
        try:
            client.health()
            config.story_url = reference_story_url(client, BEHAVIOUR_PROFILE[config.behaviour])
        except AdminError as exc:
            raise UsageError(redact_text(str(exc), config.secrets())) from None
        finally:
            client.close()
    elif config.target == "endpoint":
        _probe(statements_url(config.endpoint or "", False), "the LRS", config.timeout)
    else:
        endpoint = parse_launch(config.launch_urls[0])["endpoint"]
        _probe(statements_url(endpoint, False), "the LRS of the first launch URL", config.timeout)


def engine(config: LoadConfig, worker_of: str | None = None) -> tuple[int, dict[str, Any]]:
    """Run the engine process; its exit code and its JSON answer."""
    command = [sys.executable, "-m", "harness.load.engine"]
    if worker_of:
        command += ["--worker", worker_of]
    limit = config.duration + ENGINE_SLACK if worker_of is None else None
    try:
        done = subprocess.run(
            command,
            input="" if worker_of else config.to_json(),
            stdout=subprocess.PIPE,
            text=True,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"the load did not end within {limit:g} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    answer = json.loads(lines[-1]) if lines else {}
    if done.returncode == 2 or "error" in answer:
        raise UsageError(answer.get("error") or f"the load engine stopped ({done.returncode})")
    if worker_of is None and not answer:
        raise UsageError(f"the load engine stopped without results (exit {done.returncode})")
    return done.returncode, answer


def human(result: dict[str, Any]) -> str:
    lines = [
        f"load: {result['users']} learners at once for {result['duration_s']:g} s against "
        f"{result['url']} ({result['behaviour']}, "
        + (f"{result['workers']} Locust workers)" if result["workers"] else "one process)"),
        f"learners: {result['launches']} launched, {result['learners_completed']} completed, "
        f"{result['learners_failed']} failed ({result['learners_per_s']:g} completed/s)",
        f"statements: {result['statements_sent']} sent, {result['statements_accepted']} "
        f"acknowledged, {result['lost']} lost, {result['duplicated']} duplicated "
        f"(loss check {result['loss_check']['status']}: {result['loss_check']['reason']})",
        f"requests: {result['requests']} ({result['requests_per_s']:g}/s), "
        f"{result['requests_failed']} failed, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms",
    ]
    for row in result["by_request"]:
        lines.append(
            f"  {row['method']:<5} {row['name']:<22} {row['count']:>7}  failed "
            f"{row['failures']:<5} p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms"
        )
    if result["errors"]:
        lines.append("errors:")
        lines += [f"  {e['count']:>6} x {e['cause']} ({e['request']})" for e in result["errors"]]
    if result.get("generator_cpu_over_90"):
        lines.append(
            "note: a load process passed 90% CPU: the figures may be the generator's limit, not "
            "the LMS's (add --workers, or workers on other machines)"
        )
    lines.append(f"report: {result['report']} (and results.json beside it)")
    lines.append(f"verdict: {result['verdict']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("locust") is None:
        raise UsageError(INSTALL_HINT)
    if args.master:
        if args.lms or args.launch_urls or args.endpoint:
            raise UsageError("--master joins a master that has the target: give no target")
        code, _ = engine(LoadConfig("lms", "cmi5-full"), worker_of=args.master)
        return code
    config = build_config(args)
    if is_vendor_target(config):
        print(notice(config), file=sys.stderr if args.json else sys.stdout, flush=True)
        if not args.yes:
            raise UsageError(
                "this writes to a system that is not a fake LMS on this machine: read the "
                "notice above and add --yes to go on"
            )
    try:
        args.report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write the reports to {args.report_dir}: {exc}") from None
    prepare(config)
    code, result = engine(config)
    print(json.dumps(result, indent=2) if args.json else human(result))
    return code
