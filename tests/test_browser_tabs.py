"""The browser driver's tabs: a tab that ran a scenario well serves the next; a crashed one never.

A reused tab opens the next launch URL straight from the page it showed, so a tab whose renderer
died must not be handed to another scenario (it would fail that scenario for nothing).
"""

from __future__ import annotations

import asyncio

import pytest

from harness.browser import launch_chromium
from harness.runner import Tabs
from harness.story.server import StoryServer

pytestmark = pytest.mark.slow


async def _reuse(story: StoryServer, browser, crash: bool) -> tuple[bool, bool]:
    """(the next take gave the same tab, that tab's page loads)"""
    tabs = Tabs(browser)
    try:
        page = await tabs.take()
        await page.goto(story.base_url + "/story/index.html?cfg=none")
        if crash:
            crashed = asyncio.get_running_loop().create_future()
            page.once("crash", lambda _: crashed.set_result(True))
            with pytest.raises(Exception):  # noqa: B017 - Playwright's error
                await page.goto("chrome://crash", timeout=10_000)
            await asyncio.wait_for(crashed, 10)
        await tabs.give(page, reuse=True)
        following = await tabs.take()
        answer = await following.goto(story.base_url + "/story/index.html?cfg=none")
        return following is page, answer is not None and answer.ok
    finally:
        await tabs.close()


async def _both() -> dict[str, tuple[bool, bool]]:
    from playwright.async_api import async_playwright

    with StoryServer() as story:
        async with async_playwright() as p:
            browser = await launch_chromium(p)
            try:
                return {
                    "well": await _reuse(story, browser, crash=False),
                    "crashed": await _reuse(story, browser, crash=True),
                }
            finally:
                await browser.close()


@pytest.fixture(scope="module")
def reused() -> dict[str, tuple[bool, bool]]:
    """Both cases in one Chromium."""
    return asyncio.run(_both())


def test_a_tab_that_ran_well_serves_the_next_scenario(reused) -> None:
    assert reused["well"] == (True, True)


def test_a_crashed_tab_is_not_given_to_another_scenario(reused) -> None:
    assert reused["crashed"] == (False, True)
