"""Secrets never leave the fake LMS in clear: headers, bodies and URLs are redacted before recording."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
# "Basic <base64>" anywhere in a text (a header line, a log message, a repr).
_BASIC = re.compile(r"(?i)\b(basic)(\s+)([A-Za-z0-9+/_-]{4,}=*)(?![A-Za-z0-9+/=_-])")
# An auth-token member in JSON or in a Python repr, also inside a JSON-encoded string (its
# quotes then escaped): up to the opening quote of its value, the backslashes before it apart.
_AUTH_TOKEN = re.compile(r"""(?i)\\*["']auth-token\\*["']\s*:\s*(\\*)(["'])""")
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


def redact_headers(
    headers: Iterable[tuple[str, str]] | Mapping[str, str],
    secrets: KnownSecrets | Iterable[str] = (),
) -> dict[str, str]:
    """Secret headers hidden by name; in every other header, credentials and known secrets."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    known = secrets if isinstance(secrets, KnownSecrets) else KnownSecrets(secrets)
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        if low in ("authorization", "proxy-authorization"):
            out[name] = redact_authorization(value)
        elif low in SECRET_HEADERS:
            out[name] = "[redacted]"
        else:
            out[name] = redact_text(value, known)
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


def _value_end(text: str, start: int, quote: str, level: int) -> int:
    """Where a quoted value that begins at `start` ends: at the quote closing it, escaped
    `level` times as its opening quote was. Quotes inside the value are escaped once more
    (2·level + 1 backslashes) and backslashes doubled, so the closing quote is the first whose
    run of backslashes is ≡ level mod 2·(level + 1); a value cut short ends with the text."""
    period = 2 * (level + 1)
    at = start
    while (found := text.find(quote, at)) >= 0:
        run = found
        while run > start and text[run - 1] == "\\":
            run -= 1
        if (found - run) % period == level:
            return found - level
        at = found + 1
    return len(text)


def _auth_tokens(text: str) -> str:
    """Every auth-token member's whole value replaced by "[redacted]", whatever it holds."""
    out: list[str] = []
    at = 0
    for m in _AUTH_TOKEN.finditer(text):
        if m.start() < at:  # inside a value already hidden
            continue
        end = _value_end(text, m.end(), m.group(2), len(m.group(1)))
        out += [text[at : m.end()], REDACTED]
        at = end
    out.append(text[at:])
    return "".join(out)


def redact_credentials(text: str) -> str:
    """The text with any Basic credential and any auth-token value replaced by "[redacted]"."""
    if "asic" not in text and "uth-token" not in text and "ASIC" not in text:
        return text
    text = _BASIC.sub(_basic, text)
    return _auth_tokens(text) if "uth-token" in text.lower() else text


_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# A UUID found from its first '-' (a literal start the regex engine finds fast), then its head.
_UUID_TAIL = re.compile(r"-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
# Where an encoded token may start: base64 of ':' + anything begins with 'O' then one of g..v
# (':' is 0x3A), in every alphabet and escape below, followed by as many characters of those
# alphabets as the shortest known form has (a lookahead, so candidates may overlap).
_ENCODED_CHARS = r"[A-Za-z0-9+/_%\\-]"
_PADDING = re.compile(r"(?:=|%3[dD]|\\u003[dD]){0,2}")
_PREFIX = 6  # characters of an encoded form that index it (the shortest form has 7)
# base64 of ':' + a UUID (37 bytes: 50 characters before the padding), in any alphabet or escape
# of `encoded_forms`: where a token known by its digest only may hide.
_ENCODED_UUID = re.compile(r"O(?=((?:[A-Za-z0-9+/_-]|%2[bBfF]|\\/){49}))")
_UNESCAPE = (("%2B", "+"), ("%2b", "+"), ("%2F", "/"), ("%2f", "/"), ("\\/", "/"), ("-", "+"))


def encoded_forms(token: str) -> set[str]:
    """How a cmi5 auth-token travels once handed out: base64 of ':' + token (the fetch URL's
    answer, rules doc §2.2), in the standard and URL-safe alphabets, percent-encoded in a URL and
    with '/' escaped in JSON; without padding, which `KnownSecrets` strips separately."""
    b64 = base64.b64encode(f":{token}".encode()).decode().rstrip("=")
    return {
        b64,
        b64.replace("+", "-").replace("/", "_"),
        b64.replace("+", "%2B").replace("/", "%2F"),
        b64.replace("+", "%2b").replace("/", "%2f"),
        b64.replace("/", "\\/"),
    }


class KnownSecrets:
    """The secrets a recorder must hide wherever they appear: literal strings (API key secrets)
    and live cmi5 auth-tokens, raw or encoded.

    Tokens are many (one per launch), so they are not searched one by one: one pass finds every
    UUID and every place an encoded token could start and looks each up, so the cost is linear
    in the text whatever the number of tokens. `add_token` may be called while other threads
    redact (set and dict updates are atomic).
    """

    def __init__(self, literals: Iterable[str] = (), tokens: Iterable[str] = ()) -> None:
        self.set_literals(literals)
        self._raw: set[str] = set()
        self._literal_tokens: list[str] = []
        self._encoded: dict[str, list[str]] = {}
        self._shortest = 0
        self._start: re.Pattern[str] | None = None
        self._digest: Callable[[str], str] | None = None
        self._digests: set[str] = set()
        for token in tokens:
            self.add_token(token)

    def tokens(self) -> list[str]:
        """The tokens known in clear (those known by digest only are not)."""
        return [*sorted(self._raw), *self._literal_tokens]

    def add_digests(self, digest: Callable[[str], str], digests: Iterable[str]) -> None:
        """UUID tokens known by their digest only (`digest(token)`, as the store keeps them)."""
        self._digest = digest
        self._digests.update(digests)

    def _digest_known(self, token: str) -> bool:
        return self._digest is not None and self._digest(token) in self._digests

    def _encoded_by_digest(self, text: str) -> list[tuple[int, int]]:
        """Spans of `encoded_forms` of tokens known by their digest."""
        spans = []
        for m in _ENCODED_UUID.finditer(text):
            encoded = "O" + m.group(1)
            for escaped, plain in _UNESCAPE:
                encoded = encoded.replace(escaped, plain)
            try:
                decoded = base64.b64decode(encoded.replace("_", "/") + "==").decode("ascii")
            except (binascii.Error, ValueError):
                continue
            token = decoded[1:]
            if decoded.startswith(":") and _UUID.fullmatch(token) and self._digest_known(token):
                end = _PADDING.match(text, m.start() + 1 + len(m.group(1)))
                spans.append((m.start(), end.end() if end else m.start() + 1 + len(m.group(1))))
        return spans

    def set_literals(self, literals: Iterable[str]) -> None:
        """The literal secrets (shorter than 4 characters: too common to hide)."""
        self.literals = tuple(s for s in literals if s and len(s) >= 4)

    def add_token(self, token: str) -> None:
        if len(token) < 4:
            return
        if _UUID.fullmatch(token):
            self._raw.add(token.lower())
        elif token not in self._literal_tokens:
            self._literal_tokens.append(token)
        forms = encoded_forms(token)
        for form in forms:
            bucket = self._encoded.setdefault(form[:_PREFIX], [])
            if form not in bucket:
                bucket.append(form)
        shortest = min(len(f) for f in forms)
        if self._start is None or shortest < self._shortest:
            self._shortest = shortest
            self._start = re.compile(f"O(?=[g-v]{_ENCODED_CHARS}{{{shortest - 2}}})")

    def redact(self, text: str) -> str:
        for s in (*self.literals, *self._literal_tokens):
            text = text.replace(s, REDACTED)
        if self._start is None and not self._digests:
            return text
        spans = []
        for m in _UUID_TAIL.finditer(text):
            start = m.start() - 8
            if start >= 0 and _HEX8.fullmatch(text, start, m.start()):
                found = (text[start : m.start()] + m.group()).lower()
                if found in self._raw or self._digest_known(found):
                    spans.append((start, m.end()))
        if self._digests:
            spans += self._encoded_by_digest(text)
        for m in self._start.finditer(text) if self._start is not None else ():
            start = m.start()
            for form in self._encoded.get(text[start : start + _PREFIX], ()):
                if text.startswith(form, start):
                    end = _PADDING.match(text, start + len(form))
                    spans.append((start, end.end() if end else start + len(form)))
                    break
        return _cut(text, spans)


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with every span replaced by REDACTED (overlapping spans by one)."""
    if not spans:
        return text
    out: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start >= at:
            out += [text[at:start], REDACTED]
            at = end
        elif end > at:
            at = end
    out.append(text[at:])
    return "".join(out)


def redact_text(text: str, secrets: KnownSecrets | Iterable[str] = ()) -> str:
    """Hide credentials, auth tokens and any known secret string wherever they appear; known
    secrets first, whole, before a credential's shape could hide only a part of one."""
    known = secrets if isinstance(secrets, KnownSecrets) else KnownSecrets(secrets)
    text = redact_credentials(known.redact(text))
    if "authorization=" in text.lower():
        text = _FORM_AUTH.sub(r"\1[redacted]", text)
    return text


def redact_strings(value: Any, secrets: KnownSecrets) -> Any:
    """A copy of JSON-like data with `redact_text` applied to every string (keys included), so
    redaction can never break the JSON it is dumped to."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {redact_strings(k, secrets): redact_strings(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_strings(item, secrets) for item in value]
    return value
