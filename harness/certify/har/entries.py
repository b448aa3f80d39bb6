"""One HAR entry as certify keeps it: the request, the answer as the browser saw it, and what the
export left out, without the bodies nobody judges.

Browsers write HAR 1.2 each with their own additions: Chrome `_resourceType`, `_initiator` and a
failed request's words in `response._error`; Playwright `_resourceType` and `_failureText` with
status -1; Firefox may leave `content.text` out (response bodies not saved); Safari writes status
0 with no words. A status of 0 or below is no answer as the page saw it (a CORS refusal, most
often); its words are kept from whichever field holds them. A body is kept only where a check may
read it (JSON, text, or a POST/PUT), up to `BODY_LIMIT` characters; a body the export omitted is
`None` with the reason, never an empty string that would read as an empty answer.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.certify.har.stream import ELIDED

BODY_LIMIT = 200_000  # characters of one body kept for the checks
ERROR_FIELDS = ("_error", "_failureText", "_errorText", "_blockedReason", "_blocked_reason")
NEEDED_TYPES = ("json", "text/plain", "x-unknown", "octet-stream")
NO_BODY = (204, 205, 304)
OMITTED = "the recording leaves this answer's body out"
TOO_LARGE = "the body is too large to be read"


@dataclass
class Recorded:
    """A request the browser made, as the recording holds it."""

    number: int  # its place in log.entries, from 1
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str | None  # None: the recording holds none
    status: int | None  # None: no answer as the page saw it
    response_headers: list[tuple[str, str]]
    response_body: str | None  # None: omitted (see `body_missing`) or not kept
    mime: str = ""
    error: str | None = None  # the browser's words for a request with no answer
    seconds: float = 0.0
    started: str = ""
    resource_type: str = ""
    body_missing: str | None = None  # why the answer's body is not there
    cookies: list[str] = field(default_factory=list)  # cookie values, secrets all

    def header(self, name: str, response: bool = False) -> str | None:
        for key, value in self.response_headers if response else self.request_headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def is_page(self) -> bool:
        """A page load (top document or frame), as the recording marks it or its answer says."""
        kind = self.resource_type.lower()
        if kind:
            return kind in ("document", "iframe", "frame", "subdocument")
        accept = (self.header("Accept") or "").lower()
        return self.method == "GET" and ("text/html" in self.mime or "text/html" in accept)


def _text(value: Any, limit: int = 20_000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _headers(value: Any) -> list[tuple[str, str]]:
    items = value if isinstance(value, list) else []
    return [
        (_text(h.get("name"), 200), _text(h.get("value")))
        for h in items
        if isinstance(h, dict) and isinstance(h.get("name"), str)
    ]


def _cookies(*groups: Any) -> list[str]:
    return [
        c["value"]
        for group in groups
        if isinstance(group, list)
        for c in group
        if isinstance(c, dict) and isinstance(c.get("value"), str) and c["value"]
    ]


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def needed(method: str, mime: str) -> bool:
    """Whether a check may read this body: fetch and xAPI answers are JSON or text."""
    kind = mime.lower()
    return method in ("POST", "PUT") or not kind or any(t in kind for t in NEEDED_TYPES)


def _body(content: dict[str, Any], keep: bool) -> tuple[str | None, str | None]:
    """(the body, why it is missing) of a HAR content or postData object."""
    text = content.get("text")
    if not isinstance(text, str):
        return None, OMITTED
    if text.startswith(ELIDED):
        return None, TOO_LARGE
    if not keep:
        return None, None
    if content.get("encoding") == "base64":
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None, "the body is base64 that does not decode"
    if len(text) > BODY_LIMIT:
        return None, TOO_LARGE
    return text, None


def _error(entry: dict[str, Any], response: dict[str, Any]) -> str:
    for where in (response, entry):
        for name in ERROR_FIELDS:
            said = where.get(name)
            if isinstance(said, str) and said.strip():
                return said.strip()[:300]
    text = response.get("statusText")
    return text.strip()[:300] if isinstance(text, str) else ""


def recorded(number: int, entry: Any) -> Recorded | None:
    """The entry as certify keeps it; None for one that is no HTTP request (no method or URL)."""
    if not isinstance(entry, dict):
        return None
    request, response = _object(entry, "request"), _object(entry, "response")
    method, url = request.get("method"), request.get("url")
    if not (isinstance(method, str) and isinstance(url, str) and url):
        return None
    method = method.upper()[:10]
    content = _object(response, "content")
    mime = _text(content.get("mimeType"), 200)
    status = _number(response.get("status"))
    answered = status is not None and status > 0
    keep = needed(method, mime)
    post = _object(request, "postData")
    request_body = _body(post, True)[0] if post else ""
    body, missing = _body(content, keep) if answered else ("", None)
    headers = _headers(response.get("headers"))
    empty = any(k.lower() == "content-length" and v.strip() == "0" for k, v in headers)
    if missing == OMITTED and (status in NO_BODY or empty):
        body, missing = "", None  # nothing was left out: an answer without a body
    seconds = _number(entry.get("time"))
    return Recorded(
        number=number,
        method=method,
        url=url[:8000],
        request_headers=_headers(request.get("headers")),
        request_body=request_body,
        status=int(status) if answered and status is not None else None,
        response_headers=headers,
        response_body=body,
        mime=mime,
        error=None if answered else _error(entry, response),
        seconds=max(seconds or 0.0, 0.0) / 1000,
        started=_text(entry.get("startedDateTime"), 40),
        resource_type=_text(entry.get("_resourceType"), 40),
        body_missing=missing,
        cookies=_cookies(request.get("cookies"), response.get("cookies")),
    )
