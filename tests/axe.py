"""axe-core (from tests/interop/node_modules) run in a Playwright page: the WCAG 2.2 A/AA rules,
the critical and serious violations described one per line, and the sideways-scroll check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "interop" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("critical", "serious")


def require_axe() -> Path:
    """axe.min.js, or the test is skipped saying how to install it."""
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE} missing): cd tests/interop && npm install")
    return AXE


def violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations of the page as it is now (WCAG 2.0 to 2.2, levels A and AA)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # the page's CSP would refuse this inline script: the context is opened with bypass_csp
        page.add_script_tag(path=str(require_axe()))
    found: list[dict[str, Any]] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.map(n => n.target.join(' '))})))",
        TAGS,
    )
    return found


def blocking(found: list[dict[str, Any]]) -> list[str]:
    """The critical and serious violations, one line each: rule, impact, count, first targets."""
    return [
        f"{v['id']} ({v['impact']}, {len(v['targets'])} elements: {v['help']}): "
        + ", ".join(v["targets"][:5])
        for v in found
        if v["impact"] in BLOCKING
    ]


def sideways_overflow(page: Page, width: int = 375) -> tuple[int, list[str]]:
    """The document's scroll width at a phone's `width`, and the elements reaching past it."""
    page.set_viewport_size({"width": width, "height": 800})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    wide: list[str] = page.evaluate(
        "w => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > w + 0.5)"
        ".map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}"
        " ${Math.round(e.getBoundingClientRect().right)}`)",
        width,
    )
    scroll: int = page.evaluate("document.documentElement.scrollWidth")
    return scroll, wide[-5:]
