"""The one rule for an AU's absolute URL, whether registered by hand or imported in a course."""

from __future__ import annotations

from urllib.parse import urlsplit

LAUNCHABLE_SCHEMES = ("http", "https")


def au_url_problem(url: str) -> str | None:
    """Why an absolute AU url cannot be launched in a browser (cmi5 13.1.4.0-2: a URL the LMS
    opens; `javascript:`, `data:` or `file:` would run or read in the LMS's own context), or
    None when it is an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"cannot be parsed as a URL ({exc})"
    if parts.scheme.lower() not in LAUNCHABLE_SCHEMES:
        return f"has the scheme {parts.scheme + ':' if parts.scheme else 'none'}; expected http or https"
    if not parts.hostname:
        return "has no host"
    return None
