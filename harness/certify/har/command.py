"""`weare-harness certify --har FILE [--launch N]`: judge a launch a browser recorded.

Nothing is sent anywhere: the recording is read, its launch found and every registered check run
on what it holds; `harness/cli/certify.py` writes the usual reports. A file certify cannot judge
is one line, exit 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.certify.capture.command import launches
from harness.certify.har import reader
from harness.certify.har.judge import judge
from harness.certify.har.secrets import recording_secrets
from harness.certify.run import Certification
from harness.errors import UsageError

SecretSource = Callable[[], Iterable[str]]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--har",
        type=Path,
        metavar="FILE",
        help="judge a launch a browser recorded: a HAR file saved from the browser's Network "
        "panel (Chrome, Edge, Firefox, Safari, Playwright); nothing is sent anywhere",
    )
    p.add_argument(
        "--launch",
        type=launches,
        metavar="N",
        help="--har: which launch of the recording to judge when it holds several (1 is the first)",
    )


CONFLICTS = ("launch_url", "capture", "endpoint", "api_key")


def run(args: argparse.Namespace, sources: list[SecretSource]) -> Certification:
    """Read and judge; `sources` learns the recording's secrets (for an internal error)."""
    given = [f"--{name.replace('_', '-')}" for name in CONFLICTS if getattr(args, name, None)]
    if given:
        raise UsageError(f"--har judges a recording: drop {', '.join(given)}")
    recording = reader.read(args.har)
    sources.append(lambda: recording_secrets(recording.entries))
    launch = reader.pick(recording, args.launch)
    return judge(recording, launch, recording.launches.index(launch) + 1)
