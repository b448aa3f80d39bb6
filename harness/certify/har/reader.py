"""A HAR file as certify judges it: its entries kept (bounded), who wrote it, and the launches in it.

Every problem with the file is a UsageError of one line (exit 2) saying what is wrong: not JSON,
not a HAR, no launch in it (what was looked for, and the page URLs found, their query values
left out), several launches and no `--launch N`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.certify.har.entries import Recorded, recorded
from harness.certify.har.stream import NotHar, NotJson, Scan, scan_entries
from harness.errors import UsageError
from harness.story.client import REQUIRED

LISTED = 8  # page URLs named in an error, at most
LOOKED_FOR = (
    "a page request (a document or frame) whose query carries the launch parameters "
    + " and ".join(REQUIRED)
)


@dataclass
class Recording:
    """What a HAR file holds, as certify keeps it."""

    name: str
    entries: list[Recorded]
    creator: str = ""
    browser: str = ""
    truncated: bool = False
    elided: int = 0  # bodies left unread for their size
    skipped: int = 0  # entries that are no HTTP request
    launches: list[Recorded] = field(default_factory=list)

    @property
    def writer(self) -> str:
        """Who wrote the file, in words: the browser and the tool that saved it."""
        if self.browser and self.creator and self.creator != self.browser:
            return f"{self.browser} ({self.creator})"
        return self.browser or self.creator or "an unnamed tool"


def _named(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    name, version = value.get("name"), value.get("version")
    if not isinstance(name, str):
        return ""
    return f"{name} {version}".strip()[:80] if isinstance(version, str) else name[:80]


def read(path: Path) -> Recording:
    """Read the HAR at `path`; raises UsageError (one line) for a file certify cannot judge."""
    scan = Scan()
    entries: list[Recorded] = []
    skipped = 0
    try:
        for number, raw in enumerate(scan_entries(path, scan), 1):
            kept = recorded(number, raw)
            if kept is None:
                skipped += 1
            else:
                entries.append(kept)
    except NotJson as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    except NotHar as exc:
        raise UsageError(f"{path} is JSON but not a HAR (HTTP Archive 1.2): {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    log = (scan.skeleton or {}).get("log")
    if not scan.truncated and not (isinstance(log, dict) and scan.entries_found):
        raise UsageError(
            f"{path} is JSON but not a HAR (HTTP Archive 1.2): it has no log.entries; save the "
            "recording from the browser's Network panel (Save all as HAR / Export HAR)"
        )
    if scan.truncated and not entries:
        raise UsageError(f"{path} is truncated before its first whole entry: nothing to judge")
    log = log if isinstance(log, dict) else {}
    recording = Recording(
        name=path.name,
        entries=entries,
        creator=_named(log.get("creator")),
        browser=_named(log.get("browser")),
        truncated=scan.truncated,
        elided=scan.elided,
        skipped=skipped,
    )
    recording.launches = launches(entries)
    return recording


def is_launch(entry: Recorded) -> bool:
    """A page request carrying We Are's required launch parameters."""
    if not entry.is_page:
        return False
    params = dict(parse_qsl(urlsplit(entry.url.replace("&amp;", "&")).query))
    return all(name in params for name in REQUIRED)


def launches(entries: list[Recorded]) -> list[Recorded]:
    """The launches, each launch URL once (a page loaded again is the same launch)."""
    seen: set[str] = set()
    found = []
    for entry in entries:
        if is_launch(entry) and entry.url not in seen:
            seen.add(entry.url)
            found.append(entry)
    return found


def shown(url: str) -> str:
    """A URL as an error line may show it: its query's names, none of its values."""
    parts = urlsplit(url)
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    query = f" (query: {', '.join(dict.fromkeys(names))})" if names else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query}"


def pick(recording: Recording, number: int | None) -> Recorded:
    """The launch to judge: the only one, or `--launch N`; UsageError otherwise."""
    found = recording.launches
    if not found:
        pages = list(dict.fromkeys(shown(e.url) for e in recording.entries if e.is_page))
        more = f"; and {len(pages) - LISTED} more" if len(pages) > LISTED else ""
        listed = "; ".join(pages[:LISTED]) + more
        raise UsageError(
            f"no launch in {recording.name}: looked for {LOOKED_FOR}; page URLs found: "
            + (listed or "none (the recording holds no page request)")
        )
    if number is None and len(found) > 1:
        listed = "; ".join(f"{i}: {shown(e.url)}" for i, e in enumerate(found[:LISTED], 1))
        raise UsageError(
            f"{len(found)} launches in {recording.name} ({listed}); pick one with --launch N"
        )
    chosen = number or 1
    if not 1 <= chosen <= len(found):
        raise UsageError(
            f"--launch {chosen}: {recording.name} holds {len(found)} launch(es); give 1 to "
            f"{len(found)}"
        )
    return found[chosen - 1]
