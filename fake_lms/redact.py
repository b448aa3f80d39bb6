"""Secrets never leave the fake LMS in clear: headers, bodies and URLs are redacted before recording."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping

SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
_TOKEN_FIELDS = re.compile(r'("auth-token"\s*:\s*")([^"]*)(")')
# The 1.0.3 alternate request syntax carries the Authorization header as a form field.
_FORM_AUTH = re.compile(r"((?:^|&)authorization=)([^&]*)", re.IGNORECASE)


def redact_authorization(value: str) -> str:
    """Keep the scheme and the user name (useful for diagnosis), hide the secret."""
    scheme, _, cred = value.partition(" ")
    if scheme.lower() == "basic" and cred:
        try:
            user = base64.b64decode(cred.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return "Basic [redacted: not valid base64]"
        return f"Basic [redacted user={user!r}]"
    return f"{scheme} [redacted]" if cred else "[redacted]"


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        if low in ("authorization", "proxy-authorization"):
            out[name] = redact_authorization(value)
        elif low in SECRET_HEADERS:
            out[name] = "[redacted]"
        else:
            out[name] = value
    return out


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Hide auth tokens in JSON bodies and any known secret string wherever it appears."""
    text = _TOKEN_FIELDS.sub(r"\1[redacted]\3", text)
    text = _FORM_AUTH.sub(r"\1[redacted]", text)
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "[redacted]")
    return text
