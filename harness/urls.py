"""What counts as a usable URL for the harness: one predicate for the CLI, the runner and certify."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import TypeGuard
from urllib.parse import urlsplit

from fake_lms.redact import redact_text


def is_http_url(url: str | None) -> TypeGuard[str]:
    """An absolute http(s) URL with a host (what requests and a browser can open)."""
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_QUERY = re.compile(r"(https?://[^\s?#]+)\?[^\s#]*")
ERROR_LIMIT = 300


def error_text(exc: BaseException) -> str:
    """An exception in one line for a result: its type, its first line, launch URLs without
    their query (parameters, the fetch URL), redacted, at most ERROR_LIMIT characters."""
    lines = str(exc).strip().splitlines()
    first = _QUERY.sub(r"\1?…", lines[0] if lines else "")
    text = redact_text(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


def unreachable(url: str, timeout: float = 10.0) -> str | None:
    """Why a story's page cannot be loaded at all (no answer, DNS, TLS, 404/410), or None.
    Any other answer counts as reachable: the page may need its launch parameters."""
    request = urllib.request.Request(url, headers={"User-Agent": "weare-harness"})
    host = urlsplit(url).hostname or ""
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    # A loopback story is opened directly, whatever proxy the environment names.
    opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if loopback else []))
    try:
        with opener.open(request, timeout=timeout):
            return None
    except urllib.error.HTTPError as answer:
        return f"answers {answer.code}" if answer.code in (404, 410) else None
    except urllib.error.URLError as exc:
        return f"cannot be reached: {exc.reason}"
    except (TimeoutError, OSError, ValueError) as exc:
        return f"cannot be reached: {type(exc).__name__}: {exc}"
