"""HTTP for certify: every request bounded by a timeout, timed, and recorded with secrets hidden."""

from __future__ import annotations

import json
import re
import shlex
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import requests

from fake_lms.redact import redact_headers, redact_text


def network_error(exc: requests.RequestException) -> str:
    """What went wrong below HTTP, in the words a network engineer would use."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if "NameResolution" in text or "Name or service not known" in text:
        return "DNS failure"
    if "Connection refused" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "connection closed without an answer"
    return type(exc).__name__


def compact(body: Any) -> bytes:
    """The bytes a browser's JSON.stringify sends: no spaces, UTF-8 (a proxy that forwards the
    original Content-Length of re-serialised JSON is judged as We Are's story meets it)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Exchange:
    """One request certify made and what came back, as shown in reports (secrets redacted)."""

    label: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error: str | None = None
    seconds: float = 0.0
    raw: str = field(default="", repr=False)  # the unredacted answer, for certify's own use only

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": self.response_body,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }

    def curl(self) -> str:
        """A copy-pasteable curl that repeats this request, secrets shown as <redacted>."""

        def shown(text: str) -> str:
            return re.sub(r"\[redacted[^\]]*\]", "<redacted>", text)

        parts = ["curl", "-i", "-X", self.method, shlex.quote(shown(self.url))]
        for name, value in self.request_headers.items():
            parts += ["-H", shlex.quote(f"{name}: {shown(value)}")]
        if self.request_body:
            parts += ["--data-raw", shlex.quote(shown(self.request_body))]
        return " ".join(parts)

    def json(self) -> Any:
        try:
            return json.loads(self.raw)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        for key, value in self.response_headers.items():
            if key.lower() == name.lower():
                return value
        return None


_UNICODE_ESCAPE = re.compile(r"\\u[0-9a-f]{4}")


def secret_forms(secrets: list[str]) -> list[str]:
    """Each secret as it may be written: raw, percent-encoded (twice, as inside a launch URL's
    encoded value), form-encoded, JSON-escaped (non-ASCII escaped in either case or kept, '/'
    escaped or not) and in a Python repr; longest first, so no form is cut by a shorter one.
    A secret may hold any character: quotes, backslashes, spaces, non-ASCII."""
    forms = set()
    for secret in secrets:
        if not secret:
            continue
        once = quote(secret, safe="")
        forms |= {secret, once, quote(once, safe=""), quote_plus(secret), repr(secret)[1:-1]}
        for escaped in (json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
            upper = _UNICODE_ESCAPE.sub(lambda m: m.group(0)[:2] + m.group(0)[2:].upper(), escaped)
            forms |= {escaped, escaped.replace("/", "\\/"), upper, upper.replace("/", "\\/")}
    return sorted(forms, key=len, reverse=True)


class Recorder:
    """Makes certify's requests; nothing it sends or receives reaches a report unredacted."""

    BODY_LIMIT = 4000

    def __init__(self, timeout: float, secrets: list[str]) -> None:
        self.timeout = timeout
        self.secrets = [s for s in secrets if s]
        self.exchanges: list[Exchange] = []
        self.http = requests.Session()

    def add_secret(self, secret: str | None) -> None:
        if secret:
            self.secrets.append(secret)

    def clean(self, text: str) -> str:
        """Text as reports may show it: known secrets and credentials redacted."""
        return redact_text(text, secret_forms(self.secrets))

    def _clean(self, text: str) -> str:
        return self.clean(text[: self.BODY_LIMIT])

    def request(
        self,
        label: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        params: dict[str, str] | None = None,
        follow_redirects: bool = False,
        timeout: float | None = None,
    ) -> Exchange:
        """One request, bounded by `timeout` (default the recorder's) and recorded."""
        patience = self.timeout if timeout is None else timeout
        headers = dict(headers or {})
        data = raw_body if raw_body is not None else (None if body is None else compact(body))
        shown_body = (
            ""
            if data is None
            else (data if isinstance(data, str) else data.decode("utf-8", "replace"))
        )
        prepared = requests.Request(
            method, url, headers=headers, data=data, params=params
        ).prepare()
        exchange = Exchange(
            label=label,
            method=method,
            url=self._clean(prepared.url or url),
            request_headers={k: self._clean(v) for k, v in redact_headers(headers).items()},
            request_body=self._clean(shown_body),
        )
        started = time.perf_counter()
        try:
            response = self.http.send(prepared, timeout=patience, allow_redirects=follow_redirects)
        except requests.Timeout:
            exchange.error = f"no answer within {patience:g} s"
        except requests.RequestException as exc:
            exchange.error = f"{network_error(exc)} ({self._clean(str(exc))[:240]})"
        except UnicodeEncodeError:  # http.client refuses it before anything is sent
            exchange.error = (
                "not sent: a header holds characters outside ISO-8859-1, which HTTP (and a "
                "browser's fetch) cannot send"
            )
        else:
            exchange.status = response.status_code
            exchange.response_headers = {
                k: self._clean(v) for k, v in redact_headers(response.headers).items()
            }
            exchange.response_body = self._clean(response.text)
            exchange.raw = response.text
        exchange.seconds = time.perf_counter() - started
        self.exchanges.append(exchange)
        return exchange
