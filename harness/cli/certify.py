"""`weare-harness certify`: will an LMS receive We Are completions? Check by check, per behaviour.

Exit codes: 0 when the requirement (`--require`, default `any`: at least one We Are behaviour
works) is met, 1 when it is not, 2 for a usage error or a target that answers nothing at all (one
line naming the URL and the network error), 3 for an internal error of certify itself (one line;
the traceback, redacted, in the report folder). No input ends in a Python traceback.
`certify --verify DIR` checks a certificate against its evidence: 0 intact, 1 changed, 2 missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.certify import certificate, report
from harness.certify.browser_play import BrowserUnavailable, certify_in_browser
from harness.certify.capture import command as capture_command
from harness.certify.context import CertInputs, input_secrets
from harness.certify.har import command as har_command
from harness.certify.recorder import secret_forms
from harness.certify.run import (
    REQUIREMENTS,
    STAGES,
    Certification,
    Unreachable,
    certify,
    notice,
    start,
)
from harness.cli.args import http_url
from harness.cli.commands import summary
from harness.console import Console
from harness.errors import UsageError
from harness.report.meta import command_line


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("certify", help=summary("certify"))
    p.add_argument(
        "--launch-url",
        action="append",
        default=[],
        type=http_url,
        metavar="URL",
        help="a launch URL copied from the LMS; give a second, unused one so the full cmi5 "
        "flow gets a session of its own and GET on a fresh fetch URL is checked. Each launch "
        "URL must be for another learner or registration, or made after the previous one was "
        "used: an LMS may abandon a session when it makes a newer launch for the same "
        "registration (cmi5 allows it), and the older URL's token is then refused",
    )
    p.add_argument(
        "--driver",
        choices=("browser", "http"),
        default="browser",
        help="browser (default): play We Are in headless Chromium from --origin, as the "
        "learner's browser does; http: from Python only (CORS, mixed content and redirects "
        "as a browser meets them are then not tested, and no behaviour can be better than "
        "works-with-warnings)",
    )
    p.add_argument(
        "--endpoint", type=http_url, metavar="URL", help="the API URL a customer pastes into We Are"
    )
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help="the API key a customer pastes into We Are (USER:SECRET or the Basic "
        "credential); default $WEARE_HARNESS_CERTIFY_API_KEY",
    )
    p.add_argument(
        "--origin",
        type=origin,
        default="https://weare.example.com",
        help="the origin We Are's story is served from (the one your LMS allowlists for We Are); "
        "the browser's requests carry it (default https://weare.example.com)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per request (default 10); with --capture, seconds to wait for the "
        "launches (default 900)",
    )
    p.add_argument(
        "--give-up-after",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long certify's first request waits for any answer at all (default 60): a "
        "target that answers after --timeout is judged too slow (exit 1); one that answers "
        "nothing within this is unreachable (exit 2)",
    )
    p.add_argument(
        "--report-dir",
        type=Path,
        default=report.DEFAULT_DIR,
        help="write report.html, results.json, junit.xml, evidence.json and certificate.json "
        f"here (default {report.DEFAULT_DIR})",
    )
    p.add_argument(
        "--require",
        choices=REQUIREMENTS,
        default="any",
        help="what exit code 0 needs: any (at least one We Are behaviour works), both, or the "
        "named behaviour (weare-documented: the lone Completed statement; cmi5-full: a whole "
        "cmi5 session); junit.xml fails exactly when the exit code is 1",
    )
    p.add_argument(
        "--verify",
        type=Path,
        metavar="DIR",
        help="check that DIR's certificate.json matches its evidence.json, and exit",
    )
    capture_command.add_arguments(p)
    har_command.add_arguments(p)
    p.set_defaults(run=run)


def origin(text: str) -> str:
    """An origin: scheme, host and port of an http(s) URL, nothing else."""
    from urllib.parse import urlsplit

    parts = urlsplit(http_url(text))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"{text!r} must be an origin only (scheme://host[:port]), no path or query"
        )
    return f"{parts.scheme}://{parts.netloc}"


def verify(report_dir: Path) -> int:
    code, line = certificate.verify(report_dir)
    print(f"weare-harness certify --verify: {line}", file=sys.stderr if code == 2 else sys.stdout)
    return code


# Where an internal error's traceback goes, in the report folder.
TRACEBACK = "traceback.txt"
SecretSource = Callable[[], Iterable[str]]


def internal_error(exc: Exception, report_dir: Path, sources: list[SecretSource]) -> int:
    """An unexpected exception: one redacted line on stderr, the redacted traceback in the
    report folder, exit 3 (never 1, which is a verdict)."""
    from fake_lms.redact import redact_text

    secrets: list[str] = []
    for source in sources:
        try:
            secrets += list(source())
        except Exception:  # a source that breaks hides nothing more
            continue
    forms = secret_forms(secrets)
    text = redact_text("".join(traceback.format_exception(exc)), forms)
    reason = " ".join(redact_text(f"{type(exc).__name__}: {exc}", forms).split())[:300]
    path = Path(report_dir) / TRACEBACK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="backslashreplace")
        where = f"traceback written to {path}"
    except OSError as error:
        where = f"the traceback could not be written to {path} ({error.strerror or error})"
    print(f"weare-harness certify: internal error ({reason}); {where}", file=sys.stderr)
    return 3


def run(args: argparse.Namespace) -> int:
    if args.verify is not None:
        return verify(args.verify)
    sources: list[SecretSource] = []  # what an internal error's report must hide
    try:
        if args.har is not None:
            return publish(har_command.run(args, sources), args, Console())
        if args.launch is not None:
            raise UsageError("--launch N picks a launch of a recording: give --har FILE")
        if args.capture:
            return capture_command.run(args, sources)
        return certify_launch(args, sources)
    except (UsageError, KeyboardInterrupt):
        raise
    except Exception as exc:
        return internal_error(exc, args.report_dir, sources)


def certify_launch(args: argparse.Namespace, sources: list[SecretSource]) -> int:
    """certify on launch URLs or an API URL and key: play, judge, write the reports."""
    api_key = args.api_key or os.environ.get("WEARE_HARNESS_CERTIFY_API_KEY")
    given = CertInputs(launch_urls=list(args.launch_url), api_key=api_key)
    sources.append(lambda: input_secrets(given))
    args.timeout = 10.0 if args.timeout is None else args.timeout
    if not args.launch_url and not args.endpoint:
        raise UsageError("give --launch-url, or --endpoint with --api-key (or both)")
    if args.endpoint and not api_key and not args.launch_url:
        raise UsageError("--endpoint needs --api-key (the key We Are would use there)")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.give_up_after <= 0:
        raise UsageError("--give-up-after must be positive")
    console = Console()
    inputs = CertInputs(
        launch_urls=list(args.launch_url),
        endpoint=args.endpoint,
        api_key=api_key,
        origin=args.origin,
        timeout=args.timeout,
        give_up=args.give_up_after,
        driver=args.driver,
    )
    try:
        if args.driver == "browser":
            start(inputs)  # something must answer before anything is said or written
            console.line(notice(inputs))
            console.line("")
            with console.progress("certify", max(1, len(inputs.launch_urls))) as advance:
                cert = certify_in_browser(inputs, advance)
        else:
            ctx = start(inputs)
            sources.append(lambda: ctx.http.secrets)  # with the tokens fetched since
            console.line(notice(inputs))
            console.line("")
            with console.progress("certify", STAGES) as advance:
                cert = certify(inputs, ctx, advance)
    except (Unreachable, BrowserUnavailable) as exc:
        raise UsageError(str(exc)) from None
    return publish(cert, args, console)


def publish(cert: Certification, args: argparse.Namespace, console: Console) -> int:
    """The summary on the terminal and the reports in --report-dir; the exit code."""
    cert.require = args.require
    console.line(report.summary(cert))
    try:
        paths = report.write(cert, args.report_dir, command_line(args.argv))
    except OSError as exc:
        raise UsageError(f"cannot write the reports to {args.report_dir}: {exc}") from None
    console.line(
        f"reports written to {args.report_dir}: " + ", ".join(p.name for p in paths.values())
    )
    return cert.exit_code
