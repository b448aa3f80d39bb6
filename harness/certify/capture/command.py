"""`weare-harness certify --capture`: a capture page and a cmi5 course package for the vendor's LMS.

certify serves the capture page, writes `DIR/weare-certify-course.zip`, prints both, waits for
`--launches` launches from the LMS, judges the page's and its own requests together, shows the
verdict on the page and writes the usual reports. No launch within `--timeout` seconds: exit 2.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from fake_lms.cmi5.course import CourseImportError
from harness.certify import report
from harness.certify.capture import package
from harness.certify.capture.server import CaptureServer
from harness.certify.capture.session import CaptureSession
from harness.certify.context import CertInputs, input_secrets
from harness.certify.run import notice
from harness.cli.args import http_url, port
from harness.errors import UsageError
from harness.listening import listen_problem
from harness.report.meta import command_line

DEFAULT_TIMEOUT_S = 900.0  # how long certify --capture waits for the launches
REQUEST_TIMEOUT_S = 10.0  # each of certify's own requests
FINAL_GRACE_S = 30.0  # how long the pages have to read the verdict before certify exits


def launches(text: str) -> int:
    """How many launches to wait for: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--capture",
        action="store_true",
        help="serve a capture page and write a cmi5 course package to import into your LMS; "
        "launch it as a test learner and certify checks in your own browser",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="--capture: the address to listen on (127.0.0.1)"
    )
    p.add_argument(
        "--port",
        type=port,
        default=8765,
        help="--capture: the capture page's port (default 8765; 0 picks a free one)",
    )
    p.add_argument(
        "--public-url",
        type=http_url,
        metavar="URL",
        help="--capture: the base URL the learner's browser reaches the capture server by (your "
        "HTTPS tunnel or proxy in front of --host:--port); the course package's page URL is "
        "under it, and requests naming another Host are refused",
    )
    p.add_argument(
        "--launches",
        type=launches,
        default=1,
        metavar="N",
        help="--capture: launches to wait for (default 1; a second one checks GET and "
        "single use on a fresh fetch URL and gives the full cmi5 flow a session of its own)",
    )


def run(args: argparse.Namespace, secrets: list[Callable[[], Iterable[str]]] | None = None) -> int:
    """Capture, judge and report; `secrets` gets the sources of what an internal error's
    report must hide (the API key, then every secret the session's recorder learns)."""
    sources = [] if secrets is None else secrets
    if args.launch_url:
        raise UsageError("--capture takes the launch from your LMS: drop --launch-url")
    api_key = args.api_key or os.environ.get("WEARE_HARNESS_CERTIFY_API_KEY")
    sources.append(lambda: input_secrets(CertInputs(api_key=api_key)))
    if bool(args.endpoint) != bool(api_key):
        raise UsageError(
            "--endpoint and --api-key go together: We Are's configured API URL and key, for "
            "launches without endpoint and fetch"
        )
    if args.host in ("0.0.0.0", "::") and not args.public_url:
        raise UsageError(f"--host {args.host} needs --public-url (the URL browsers reach)")
    wait_s = DEFAULT_TIMEOUT_S if args.timeout is None else args.timeout
    if wait_s <= 0:
        raise UsageError("--timeout must be positive")
    session = CaptureSession(
        launches=args.launches,
        request_timeout=REQUEST_TIMEOUT_S,
        page_url="",
        endpoint=args.endpoint,
        api_key=api_key,
    )
    sources.append(lambda: [session.secret, *(session.ctx.http.secrets if session.ctx else [])])
    server = CaptureServer(session, host=args.host, port=args.port, public_url=args.public_url)
    problem = listen_problem(args.host, args.port)  # (werkzeug would print and exit instead)
    if problem is None:
        try:
            server.start()
        except (OSError, SystemExit) as exc:  # werkzeug exits on a port it cannot take
            problem = getattr(exc, "strerror", None) or "the server could not start"
    if problem is not None:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {problem}")
    try:
        session.page_url = server.page_url
        try:
            zip_path = package.write(session.page_url, args.report_dir)
        except OSError as exc:
            raise UsageError(
                f"cannot write the course package to {args.report_dir}: {exc}"
            ) from None
        except CourseImportError as exc:
            raise UsageError(f"the capture page URL makes no valid cmi5 course: {exc}") from None
        print(f"capture page (the AU; register it as external content): {session.page_url}")
        print(f"cmi5 course package (import it into your LMS): {zip_path}")
        print(
            f"waiting up to {wait_s:g} s for {args.launches} launch(es): launch the course as a "
            "test learner, in its own window or tab",
            flush=True,
        )
        print(notice_for_capture(), flush=True)
        cert = session.wait(time.monotonic() + wait_s, lambda line: print(f"  {line}", flush=True))
        if session.failure:
            raise UsageError(session.failure)
        if cert is None:
            arrived = len(session.launches)
            if not arrived:
                raise UsageError(
                    f"no launch arrived within {wait_s:g} s (import {zip_path.name} into the "
                    f"LMS, or register {session.page_url}, and launch it)"
                )
            raise UsageError(
                f"{arrived} of {args.launches} launch(es) arrived and finished their browser "
                f"steps within {wait_s:g} s; keep the page open until the verdict shows"
            )
        cert.require = args.require  # before the page reads the exit code (after the reports)
        cert.notes.setdefault("driver", "capture (the learner's own browser)")
        print(report.summary(cert))
        try:
            paths = report.write(cert, args.report_dir, command_line(args.argv))
        except OSError as exc:
            raise UsageError(f"cannot write the reports to {args.report_dir}: {exc}") from None
        session.finish(str(Path(args.report_dir).resolve()))
        print(
            f"reports written to {args.report_dir}: " + ", ".join(p.name for p in paths.values()),
            flush=True,
        )
        session.final_seen.wait(FINAL_GRACE_S)
        return cert.exit_code
    finally:
        server.stop()


def notice_for_capture() -> str:
    from harness.certify.context import CertInputs

    return notice(CertInputs(timeout=REQUEST_TIMEOUT_S)).replace(
        "certify plays We Are", "On each launch the page (in your browser) and certify play We Are"
    )
