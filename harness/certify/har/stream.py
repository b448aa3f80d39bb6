"""A HAR file read in one pass with bounded memory: each entry decoded on its own, long strings
left unread.

The standard library's `json` reads a whole document at once; a HAR of 100 MB (video and image
bodies, base64) would then sit in memory whole, several times over as Python objects. This
scanner reads the file in chunks, finds `log.entries` by tracking only which container it is in,
hands each entry's text to `json.loads` on its own and keeps the rest of the document (version,
creator, browser, pages) as a skeleton decoded at the end. A string longer than `string_limit`
(a body nobody judges: an image, a script) is replaced by `ELIDED` and its length, never held.
Every entry and the skeleton are still decoded by `json`, so what is not JSON is refused with
`json`'s own words; only the characters between two entries are judged here (commas, spaces).

A file that ends before its containers close is *truncated*: the entries read whole are kept
and `Scan.truncated` says so; the caller judges what was recorded and says what was lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

CHUNK = 1 << 20  # characters read at a time
STRING_LIMIT = 1 << 20  # a longer string (a body nobody judges) is not kept
ELIDED = "\x00weare-harness: not read, characters: "
KEY_LIMIT = 200  # a string this short may be the key of the container that follows
ENTRIES_PATH = ("log", "entries")

_OUTSIDE = re.compile(r'["{}\[\]]')  # what matters between strings
_INSIDE = re.compile(r'["\\]')  # what ends a string, or escapes its next character


class NotJson(ValueError):
    """The file is not JSON; the message says where and why."""


class NotHar(ValueError):
    """The file is JSON, but no HAR: the message says why."""


@dataclass
class Scan:
    """What the scanner found: the document without its entries, and whether it ended early."""

    skeleton: dict[str, Any] | None = None
    truncated: bool = False
    entries_found: bool = False
    elided: int = 0  # strings left unread for their length


class _Scanner:
    def __init__(self, source: TextIO, scan: Scan, string_limit: int) -> None:
        self.source = source
        self.scan = scan
        self.limit = string_limit
        self.stack: list[tuple[str, str | None]] = []  # (opener, the key it is the value of)
        self.last_string: str | None = None
        self.skeleton: list[str] = []
        self.entry: list[str] | None = None  # the text of the entry being read
        self.entry_depth = 0

    # -- where the text goes --------------------------------------------------------------
    def emit(self, text: str) -> None:
        if self.entry is not None:
            self.entry.append(text)
        elif not self.in_entries():
            self.skeleton.append(text)
        elif text.strip(" \t\r\n,"):  # between two entries: only commas and spaces
            raise NotJson(f"unexpected {text.strip()[:20]!r} between two entries")

    def in_entries(self) -> bool:
        keys = tuple(key for _, key in self.stack[1:])
        return len(self.stack) == 3 and self.stack[-1][0] == "[" and keys == ENTRIES_PATH

    # -- the scan -------------------------------------------------------------------------
    def run(self) -> Iterator[Any]:
        buffer = self.source.read(CHUNK)
        start = buffer.lstrip("\ufeff \t\r\n")
        if not start:
            raise NotJson("the file is empty")
        if start[0] != "{":
            try:
                json.loads(start)
            except ValueError:
                raise NotJson(f"it starts with {start[:20]!r}, not with '{{'") from None
            raise NotHar("the document is not a JSON object")
        pos = 0
        while True:
            match = _OUTSIDE.search(buffer, pos)
            if match is None:
                self.emit(buffer[pos:])
                buffer, pos = self.source.read(CHUNK), 0
                if not buffer:
                    break
                continue
            self.emit(buffer[pos : match.start()])
            char = match.group()
            pos = match.end()
            if char == '"':
                rest, pos = self.string(buffer, pos)
                if rest is None:
                    break
                buffer = rest
                continue
            yield from self.structure(char)
            if not self.stack:
                tail = buffer[pos:] + self.source.read(CHUNK)
                if tail.strip():
                    raise NotJson(f"text after the end of the document: {tail.strip()[:20]!r}")
                return
        self.scan.truncated = True

    def structure(self, char: str) -> Iterator[Any]:
        if char in "{[":
            if self.entry is None and self.in_entries():
                if char != "{":
                    raise NotJson("an entry of log.entries is not an object")
                self.entry, self.entry_depth = [], len(self.stack)
            self.emit(char)
            self.stack.append((char, self.last_string))
            self.last_string = None
            if len(self.stack) == 3 and self.in_entries():
                self.scan.entries_found = True
            return
        if not self.stack or {"}": "{", "]": "["}[char] != self.stack[-1][0]:
            raise NotJson(f"{char!r} closes nothing that is open")
        self.stack.pop()
        self.emit(char)
        self.last_string = None
        if self.entry is not None and len(self.stack) == self.entry_depth:
            text, self.entry = "".join(self.entry), None
            try:
                yield json.loads(text)
            except ValueError as exc:
                raise NotJson(f"an entry of log.entries is not JSON ({exc})") from None

    def string(self, buffer: str, pos: int) -> tuple[str | None, int]:
        """Read a string that opened just before `pos`; keep it, or elide it when too long.
        Returns where the scan goes on (no buffer: the file ended inside the string)."""
        parts = ['"']
        length = 0

        def take(piece: str) -> None:
            nonlocal length, parts
            length += len(piece)
            if length <= self.limit:
                parts.append(piece)
            else:
                parts = []

        while True:
            match = _INSIDE.search(buffer, pos)
            if match is None:
                take(buffer[pos:])
                buffer, pos = self.source.read(CHUNK), 0
                if not buffer:
                    return None, 0
                continue
            take(buffer[pos : match.start()])
            if match.group() == '"':
                pos = match.end()
                break
            if match.end() == len(buffer):  # the escaped character is in the next chunk
                more = self.source.read(CHUNK)
                if not more:
                    return None, 0
                buffer, pos = buffer[match.start() :] + more, 0
                continue
            take(buffer[match.start() : match.end() + 1])
            pos = match.end() + 1
        if length > self.limit:
            self.scan.elided += 1
            self.emit(json.dumps(f"{ELIDED}{length}"))
            self.last_string = None
        else:
            text = "".join(parts) + '"'
            self.emit(text)
            self.last_string = json.loads(text) if len(text) <= KEY_LIMIT else None
        return buffer, pos


def scan_entries(path: Path, scan: Scan, string_limit: int = STRING_LIMIT) -> Iterator[Any]:
    """Each entry of the HAR at `path`, decoded; `scan` holds the rest once they are read.

    Raises NotJson (with where and why) for a file that is not JSON, OSError when it cannot be
    read."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as source:
        scanner = _Scanner(source, scan, string_limit)
        yield from scanner.run()
        text = "".join(scanner.skeleton)
        if scan.truncated:
            open_ = scanner.stack if scanner.entry is None else scanner.stack[: scanner.entry_depth]
            text = _closed(text, open_)
        try:
            decoded = json.loads(text) if text else None
        except ValueError as exc:
            if not scan.truncated:
                raise NotJson(str(exc)) from None
            decoded = None  # cut inside the skeleton: what it held is unknown
        scan.skeleton = decoded if isinstance(decoded, dict) else None


def _closed(text: str, stack: list[tuple[str, str | None]]) -> str:
    """A truncated skeleton closed as it stood (a trailing comma dropped)."""
    text = text.rstrip()
    if text.endswith(","):
        text = text[:-1]
    return text + "".join("}" if opener == "{" else "]" for opener, _ in reversed(stack))
