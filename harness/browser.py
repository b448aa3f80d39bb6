"""Chromium for the browser driver and browser tests: Debian's build where present, flags for here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def chromium_executable() -> str | None:
    """$PLAYWRIGHT_CHROMIUM_EXECUTABLE, else /usr/bin/chromium, else None (Playwright's own)."""
    explicit = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE")
    if explicit and Path(explicit).is_file():
        return explicit
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    """A headless Chromium browser from a started `sync_playwright()` instance."""
    executable = chromium_executable()
    options: dict[str, Any] = {"headless": True, "args": list(CHROMIUM_ARGS), **kwargs}
    if executable:
        options["executable_path"] = executable
    return playwright.chromium.launch(**options)
