"""What counts as a usable URL for the harness: one predicate for the CLI, the runner and certify."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(url: str | None) -> bool:
    """An absolute http(s) URL with a host (what requests and a browser can open)."""
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)
