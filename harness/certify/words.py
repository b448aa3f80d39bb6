"""What an LMS's answer says, whatever its shape: the cmi5 requirement id, the error word, a message.

Real LMSs word a refusal in many ways: our fake LMS's `{"error": …, "requirement": …}`, a
Node LMS's `{"statusCode": 403, "error": "Forbidden", "message": "11.0.0.0-3 - …",
"violatedReqId": "11.0.0.0-3"}`, nested error lists, plain text, an HTML error page. `read_words`
reads all of them the same way, and every cause and check that quotes an answer uses it. A
requirement id counts only if the `@cmi5/requirements` catalogue lists it, so a version number,
a date or a made-up id is never read as one.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from harness.cmi5_requirements import requirement_ids

MESSAGE_LIMIT = 200
# An id in running text: not part of a longer dotted number, optionally marked derived "(d1)".
ID_IN_TEXT = re.compile(r"(?<![\d.])(\d+\.\d+\.\d+\.\d+-\d+)(?:\s?\((d\d*)\))?(?!\d|\.\d)")
# JSON members that name a requirement are read first (the message may cite another id).
REQUIREMENT_KEY = re.compile(r"req|rule|violat|cmi5", re.IGNORECASE)
# Message members, most telling first; names compared lower-case without '-' and '_'.
MESSAGE_KEYS = (
    "message",
    "detail",
    "errordescription",
    "errormessage",
    "errortext",
    "description",
    "msg",
    "reason",
    "error",
    "title",
)
ERROR_KEYS = ("error", "code", "errorcode", "type", "title", "statustext")
ERROR_PHRASES = {s.phrase.lower(): s.phrase for s in HTTPStatus if s.value >= 400}
ERROR_PHRASE = re.compile(
    r"\b(" + "|".join(re.escape(p) for p in sorted(ERROR_PHRASES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
ERROR_TOKEN = re.compile(r"[A-Za-z][\w.:-]{1,40}")
HTML = re.compile(r"<!doctype html|<html|<body|<title", re.IGNORECASE)
SEPARATORS = " \t\r\n:-–—"


@dataclass(frozen=True)
class Words:
    """An answer's own words: a catalogue requirement id, the HTTP/xAPI error word, a message."""

    requirement: str | None
    error: str | None
    message: str

    @property
    def base_requirement(self) -> str | None:
        """The requirement id without its derived mark: '8.1.2.0-2 (d)' -> '8.1.2.0-2'."""
        return self.requirement.split(" ", 1)[0] if self.requirement else None


def read_words(text: str) -> Words:
    """The words of any answer body: JSON of any shape and depth, plain text or HTML."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict | list):
        return _json_words(body, text)
    visible = _visible_text(text) if HTML.search(text[:500]) else " ".join(text.split())
    requirement = requirement_in(text)
    found = ERROR_PHRASE.search(visible)
    error = ERROR_PHRASES[found.group(1).lower()] if found else None
    return Words(requirement, error, _short(visible, error, requirement))


def requirement_in(text: str) -> str | None:
    """The first catalogue requirement id in a text ('8.2.3.0-1', or '8.2.3.0-1 (d)' when the
    catalogue lists the derived one), None when the text names none."""
    known = requirement_ids()
    for match in ID_IN_TEXT.finditer(text):
        base, derived = match.group(1), match.group(2)
        if derived and f"{base} ({derived})" in known:
            return f"{base} ({derived})"
        if base in known:
            return base
    return None


def _json_words(body: dict[str, Any] | list[Any], text: str) -> Words:
    pairs = list(_strings(body, ""))
    named = [value for key, value in pairs if REQUIREMENT_KEY.search(key)]
    requirement = next(
        (found for value in named + [v for _, v in pairs] if (found := requirement_in(value))),
        None,
    )
    requirement = requirement or requirement_in(text)  # a cut or odd body: its text
    error = _json_error(pairs)
    message = None
    for name in MESSAGE_KEYS:
        message = next(
            (
                value
                for key, value in pairs
                if _norm(key) == name
                and value.strip()
                and value.strip().lower() != (error or "").lower()
                and value.strip() != requirement
            ),
            None,
        )
        if message:
            break
    if message is None:
        message = json.dumps(body, ensure_ascii=False)
    return Words(requirement, error, _short(message, error, requirement))


def _strings(value: Any, key: str) -> Iterator[tuple[str, str]]:
    """(member name, string) for every string at any depth; list items keep their member's name,
    and a member named like an id is read as one."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            if ID_IN_TEXT.fullmatch(str(name)):
                yield "requirement", str(name)
            yield from _strings(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)


def _json_error(pairs: list[tuple[str, str]]) -> str | None:
    for _, value in pairs:
        phrase = ERROR_PHRASES.get(value.strip().lower())
        if phrase:
            return phrase
    for name in ERROR_KEYS:
        for key, value in pairs:
            token = value.strip()
            if _norm(key) == name and ERROR_TOKEN.fullmatch(token) and not ID_IN_TEXT.match(token):
                return token
    return None


def _norm(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def _visible_text(page: str) -> str:
    """An HTML page's words: the body's text (scripts and styles dropped), else its title."""
    title = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    body = re.sub(r"<(script|style|head)\b.*?</\1\s*>", " ", page, flags=re.IGNORECASE | re.DOTALL)
    words = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", body)).split())
    return words or (" ".join(html.unescape(title.group(1)).split()) if title else "")


def _short(message: str, error: str | None, requirement: str | None) -> str:
    """The message without a leading status, error word or requirement id, cut short."""
    text = " ".join(message.split())
    rest = re.sub(r"^\d{3}\b", "", text).lstrip(SEPARATORS)
    if error and rest.lower().startswith(error.lower()):
        rest = rest[len(error) :].lstrip(SEPARATORS)
    if requirement and rest.startswith(requirement):
        rest = rest[len(requirement) :].lstrip(SEPARATORS)
    return (rest or text)[:MESSAGE_LIMIT]
