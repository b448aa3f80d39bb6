"""Chromium for the browser driver and browser tests: Debian's build where present, flags for here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
    # Site isolation gives each site's documents renderers of their own; with a tab per worker
    # it started a renderer process for nearly every scenario (all on one loopback site).
    "--disable-site-isolation-trials",
)

# Where Chromium is looked for before PATH: os.pathsep-separated files, replacing the default.
# Every launch here is headless, so Debian's headless shell (package chromium-headless-shell,
# the build Playwright itself launches for headless Chromium) comes first: the same Blink and V8
# as the full browser, without its browser UI, about a fifth less CPU per page run.
SEARCH_ENV = "WEARE_HARNESS_CHROMIUM_SEARCH"
DEFAULT_SEARCH = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
ON_PATH = ("chromium-headless-shell", "chromium")


def chromium_candidates() -> list[str]:
    """The files `chromium_executable()` tries after $PLAYWRIGHT_CHROMIUM_EXECUTABLE, in order."""
    listed = os.environ.get(SEARCH_ENV)
    places = [p for p in listed.split(os.pathsep) if p] if listed is not None else []
    on_path = [shutil.which(name) or "" for name in ON_PATH]
    return [*(places if listed is not None else DEFAULT_SEARCH), *on_path]


def chromium_executable() -> str | None:
    """$PLAYWRIGHT_CHROMIUM_EXECUTABLE, else the search list and PATH, else None (Playwright's own)."""
    explicit = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE")
    if explicit and Path(explicit).is_file():
        return explicit
    for candidate in chromium_candidates():
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


def probe_launch(timeout: float = 30.0) -> dict[str, Any]:
    """Launch headless Chromium once, in a child process killed after `timeout` seconds.

    Returns {"launched": bool, "executable": path or None, "version": str or None, "error": str}.
    """
    code = "from harness.browser import _probe; _probe()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"launched": False, "error": f"no launch within {timeout:g} s"}
    except OSError as exc:
        return {"launched": False, "error": str(exc)}
    try:
        probe: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return probe
    except (ValueError, IndexError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"launched": False, "error": f"probe exited {done.returncode}: {last}"}


def _probe() -> None:
    """In the child of `probe_launch`: one launch, its outcome as a JSON line on stdout."""
    out: dict[str, Any] = {"launched": False, "executable": chromium_executable(), "version": None}
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            if out["executable"] is None:
                downloaded = playwright.chromium.executable_path
                out["executable"] = downloaded
                out["playwright_download"] = True
                if not Path(downloaded).is_file():
                    out["error"] = f"Playwright's Chromium is not downloaded: {out['executable']}"
                    print(json.dumps(out))
                    return
            browser = launch_chromium(playwright, timeout=15_000)
            out["version"] = browser.version
            browser.close()
            out["launched"] = True
    except Exception as exc:
        out["error"] = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    print(json.dumps(out))
