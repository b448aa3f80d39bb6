"""One readable line for what came back: the network error, a redirect, a page title or the body."""

from __future__ import annotations

import re

from harness.certify.recorder import Exchange


def page_title(ex: Exchange) -> str | None:
    """The <title> of an HTML answer, '' for an untitled page, None for anything else."""
    if "<html" not in ex.response_body[:300].lower() and "text/html" not in (
        ex.header("Content-Type") or ""
    ):
        return None
    title = re.search(r"<title>(.*?)</title>", ex.response_body, re.IGNORECASE | re.DOTALL)
    return title.group(1).strip() if title else ""


def answer(ex: Exchange) -> str:
    if ex.error:
        return ex.error
    if ex.status is not None and 300 <= ex.status < 400:
        return f"{ex.status} redirect to {ex.header('Location')!r}"
    title = page_title(ex)
    if title is not None:
        return f"{ex.status} (an HTML page{': ' + title if title else ''})"
    return f"{ex.status} {ex.response_body[:160]!r}"
