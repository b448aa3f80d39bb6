"""The "meta" of a report: which tool, when, how long, what command, on what, with which files.

The same block heads results.json and report.html for `run` and `certify`, so a report read
months later still says what produced it.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.report import REDACTED, redact_text
from harness.version import tool_version

# Flags whose value is a secret, whatever it looks like.
SECRET_FLAGS = ("--api-key",)


def utc_iso(stamp: str) -> str:
    """An ISO 8601 time in UTC with a Z ('2026-01-02T03:04:05Z'); unparsable text as given."""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return stamp
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def command_line(argv: Sequence[str]) -> str:
    """'weare-harness ARGS…', shell-quoted, secret flag values and credentials redacted."""
    words: list[str] = []
    hide = False
    for arg in argv:
        if hide:
            words.append(REDACTED)
            hide = False
            continue
        flag, eq, _ = arg.partition("=")
        if flag in SECRET_FLAGS:
            words.append(f"{flag}={REDACTED}" if eq else arg)
            hide = not eq
            continue
        words.append(arg)
    return redact_text("weare-harness " + " ".join(shlex.quote(w) for w in words))


def files_sha256(paths: Iterable[str]) -> str | None:
    """sha256 over the files sorted by path (relative to their common folder): path, content.

    None when there are no files; an unreadable file counts by its path alone.
    """
    unique = sorted({str(p) for p in paths if p})
    if not unique:
        return None
    base = os.path.commonpath(unique) if len(unique) > 1 else str(Path(unique[0]).parent)
    digest = hashlib.sha256()
    for path in unique:
        name = Path(os.path.relpath(path, base)).as_posix()
        digest.update(name.encode() + b"\0")
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()


def meta(
    *,
    started: str,
    duration_s: float,
    command: str,
    driver: str,
    target: str,
    chromium: str | None = None,
    scenario_files: Iterable[str] = (),
) -> dict[str, Any]:
    """The block itself, in a fixed key order."""
    return {
        "tool_version": tool_version(),
        "started_at": utc_iso(started),
        "duration_s": round(float(duration_s), 3),
        "command": redact_text(command),
        "driver": driver,
        "target": redact_text(target),
        "python": platform.python_version(),
        "chromium": chromium,
        "scenarios_sha256": files_sha256(scenario_files),
    }
