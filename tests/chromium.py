"""Chromium for the page tests (Playwright): a module-scoped `browser` fixture and fresh tabs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Error, Page, sync_playwright

from harness.browser import launch_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module; the module is skipped, saying why, where none can start."""
    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except Error as exc:  # no Chromium on this machine: say so instead of failing obscurely
            pytest.skip(f"Chromium cannot be launched here: {exc.message.splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def fresh_page(
    browser: Browser, width: int, height: int, timeout_ms: int, bypass_csp: bool = False
) -> Iterator[Page]:
    """A tab in a browser context of its own; fails the test on any JavaScript error of the page.
    `bypass_csp`: the pages' Content-Security-Policy is not enforced (to inject a test script)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, bypass_csp=bypass_csp
    )
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
