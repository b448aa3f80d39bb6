"""Every secret a recording holds, so that no output of `certify --har` shows one.

A HAR saved from a learner's browser carries what the browser sent and got: Authorization
headers (an auth-token, a Basic user and password), cookies (request, response, Set-Cookie),
the auth-token in a fetch answer, the fetch URL's single-use capability in the launch URL and
credentials written into a URL (`https://user:password@host`). Each is collected whole and in
its parts (a Basic credential decoded: its password and `user:password`); the reports hide
every form of each (see `harness.certify.recorder.secret_forms`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from harness.certify.context import fetch_capability
from harness.certify.har.entries import Recorded

SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
TOKEN_MEMBERS = re.compile(r"(?i)^(auth-token|access_token|refresh_token|id_token|token|api_?key)$")
SECRET_PARAMS = re.compile(r"(?i)(token|secret|password|passwd|api_?key|sesskey|sig|auth)")
SHORTEST = 4  # shorter values are words, not secrets (and hiding them would garble reports)


def _credential(value: str) -> list[str]:
    """An Authorization value: whole, its credential, and a Basic credential's decoded parts."""
    found = [value.strip()]
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip() or scheme
    found.append(credential)
    try:
        decoded = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return found
    if ":" in decoded:
        found += [decoded, decoded.partition(":")[2]]
    return found


def _cookie_values(header: str) -> list[str]:
    """The values of a Cookie or Set-Cookie header (attributes such as Path are no secret)."""
    found = []
    for part in re.split(r"[;\n]", header):
        name, sep, value = part.strip().partition("=")
        if sep and name.lower() not in ("path", "domain", "expires", "max-age", "samesite"):
            found.append(value.strip().strip('"'))
    return found


def _json_tokens(text: str) -> list[str]:
    """Token-like members of a JSON answer (the fetch URL's auth-token, an OAuth answer)."""
    if "token" not in text.lower() and "key" not in text.lower():
        return []
    try:
        body = json.loads(text)
    except ValueError:
        return re.findall(r'"auth-token"\s*:\s*"([^"]+)"', text)
    if not isinstance(body, dict):
        return []
    return [v for k, v in body.items() if TOKEN_MEMBERS.match(k) and isinstance(v, str)]


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    if parts.username and parts.password:
        found.append(f"{parts.username}:{parts.password}")
    found += [v for k, v in parse_qsl(parts.query) if SECRET_PARAMS.search(k)]
    found += fetch_capability(dict(parse_qsl(parts.query)).get("fetch"))
    return found


def entry_secrets(entry: Recorded) -> list[str]:
    found: list[str] = list(entry.cookies) + _url_secrets(entry.url)
    for name, value in entry.request_headers + entry.response_headers:
        low = name.lower()
        if low in ("authorization", "proxy-authorization"):
            found += _credential(value)
        elif low in ("cookie", "set-cookie"):
            found += _cookie_values(value)
        elif low in SECRET_HEADERS:
            found.append(value)
    for body in (entry.response_body, entry.request_body):
        if body:
            found += _json_tokens(body)
    return found


def recording_secrets(entries: Iterable[Recorded]) -> list[str]:
    """Every secret of every entry, each once, the short words left out."""
    found: dict[str, None] = {}
    for entry in entries:
        for secret in entry_secrets(entry):
            if secret and len(secret) >= SHORTEST:
                found.setdefault(secret)
    return list(found)
