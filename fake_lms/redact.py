"""Secrets never leave the fake LMS in clear: headers, bodies and URLs are redacted before recording."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping

REDACTED = "[redacted]"
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
# "Basic <base64>" anywhere in a text (a header line, a log message, a repr).
_BASIC = re.compile(r"(?i)\b(basic)(\s+)([A-Za-z0-9+/_-]{4,}=*)(?![A-Za-z0-9+/=_-])")
# An auth-token member in JSON or in a Python repr, also inside a JSON-encoded string.
_AUTH_TOKEN = re.compile(
    r"""(?i)(\\*["']auth-token\\*["']\s*:\s*\\*["'])((?:(?!\\*["']).)*)""", re.DOTALL
)
_PROSE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
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


def _looks_like_credential(token: str) -> bool:
    """A word after "Basic" is a credential unless it is a plain word of prose ("Basic auth")."""
    if not _PROSE.fullmatch(token):
        return True
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def _basic(match: re.Match[str]) -> str:
    if not _looks_like_credential(match.group(3)):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def redact_credentials(text: str) -> str:
    """The text with any Basic credential and any auth-token value replaced by "[redacted]"."""
    if "asic" not in text and "uth-token" not in text and "ASIC" not in text:
        return text
    text = _BASIC.sub(_basic, text)
    return _AUTH_TOKEN.sub(lambda m: m.group(1) + REDACTED, text)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Hide credentials, auth tokens and any known secret string wherever they appear."""
    text = redact_credentials(text)
    text = _FORM_AUTH.sub(r"\1[redacted]", text)
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "[redacted]")
    return text
